// A listener shared after fork(): both processes hold it, each with its own fd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listSockets } from '../../src/index.js';
import { describeAll, eventually, holderPairs, socketsOnPort, startPython } from './helpers.js';

const SCRIPT = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(4)
pid = os.fork()
if pid == 0:
    signal.alarm(120)            # alarms are not inherited across fork
    fd2 = os.dup(s.fileno())     # a different fd number in the child...
    s.close()                    # ...and only that one
    emit(childpid=os.getpid(), childfd=fd2)
    hold()
emit(port=s.getsockname()[1], fd=s.fileno(), forked=pid)
hold()
`;

test('fork: a shared listener has both processes as holders, with their own fds', async (t) => {
  const parent = startPython(t, 'fork parent', SCRIPT);
  const { port, fd, forked } = (await parent.message('port')) as { port: number; fd: number; forked: number };
  const { childpid, childfd } = (await parent.message('childpid')) as { childpid: number; childfd: number };
  assert.equal(childpid, forked);
  assert.notEqual(childfd, fd, 'the child moved the socket to another fd');

  await eventually('shared listener', async () => {
    const { sockets } = await socketsOnPort(port, { protocols: ['tcp'], families: ['ipv4'] });
    const all = describeAll(sockets);
    assert.equal(sockets.length, 1, all);
    const l = sockets[0]!;
    assert.equal(l.state, 'LISTEN', all);
    assert.deepEqual(holderPairs(l), [`${parent.pid}:${fd}`, `${childpid}:${childfd}`].sort(), `both holders:${all}`);
    for (const h of l.holders) {
      assert.match(h.name ?? '', /^python/, all);
      assert.equal(h.uid, process.getuid!(), all);
    }
  }, { timeoutMs: 5000 });

  // A pid-scoped query shows the listener, with every holder still named.
  const byChild = await listSockets({ filter: { all: true, ports: [port] }, pids: [childpid] });
  assert.equal(byChild.sockets.length, 1, describeAll(byChild.sockets));
  assert.ok(byChild.sockets[0]!.holders.some((h) => h.pid === childpid && h.fd === childfd), describeAll(byChild.sockets));
});

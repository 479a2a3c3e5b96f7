// accept-queue-full, for real: a listener with backlog 2 that never calls
// accept(), and more clients than its queue holds. The queue sits at its
// backlog, the kernel drops the clients' SYNs (ListenOverflows rises as they
// are sent again during the check, 1, 3 and 7 s after the first: a 4 s check sees
// one whatever its start): critical, naming the listener and its process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, kindsOf, netns, ofKind, waitSs } from './doctor-scene.js';

const LISTENER = `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 7101)); s.listen(2)
emit(listening=7101)
hold()
`;

const CLIENTS = `
cs = []
for i in range(8):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', 7101))
    except BlockingIOError: pass
    cs.append(c)
emit(started=len(cs))
hold()
`;

test('accept-queue-full: a listener that never accepts, queue at its backlog, ListenOverflows rising', async (t) => {
  const ns = netns(t);
  const server = actor(t, ns, 'listener', LISTENER);
  await server.message('listening');
  await actor(t, ns, 'clients', CLIENTS).message('started');
  // The queue holds backlog + 1 completed connections; the others' SYNs are dropped and sent again.
  await waitSs(ns, ['-tln', 'sport = :7101'], /LISTEN\s+3\s+2\s/, 'accept queue full');
  const { report, code } = await doctorIn(ns, ['--duration', '4']);
  const found = ofKind(report, 'accept-queue-full');
  assert.equal(found.length, 1, kindsOf(report));
  const f = found[0]!;
  assert.equal(f.severity, 'critical', kindsOf(report));
  assert.equal(f.subject.localPort, 7101);
  assert.equal(f.subject.localAddress, '127.0.0.1');
  assert.deepEqual(f.subject.processes?.map((p) => p.pid), [server.pid]);
  assert.equal(f.evidence['backlog'], 2);
  assert.ok((f.evidence['queue'] as number) >= 2);
  assert.ok((f.evidence['listenOverflows'] as number) >= 1, `overflows during the check: ${JSON.stringify(f.evidence)}`);
  assert.equal(f.evidence['accept-queue-ratio'], 1);
  assert.match(f.text.todo, /somaxconn/);
  // The clients whose SYNs were dropped wait in SYN_SENT: that is said, once, as what it is.
  assert.deepEqual(ofKind(report, 'send-queue-stuck'), [], kindsOf(report));
  assert.equal(code, 1, 'a critical finding exits 1');
});

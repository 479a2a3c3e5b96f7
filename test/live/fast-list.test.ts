// `list` and `port` on live sockets through the native one-shot table and through the
// collector's Socket objects (SOCKSCOPE_FAST=0): the same bytes on stdout and
// stderr, in every format the fast road writes. The scene has what makes rows
// differ: held and unaccepted connections, a TIME_WAIT, a UDP socket and an
// IPv6 listener on the same port, and a process holding one socket twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FastTable } from '../../src/collectors/fast/one-shot.js';
import { memorySink } from '../../src/views/sink.js';
import { writeFastJson } from '../../src/views/fast.js';
import { runCli, startPython } from './helpers.js';
import { makeNetns, netnsInode, pythonIn, SERVER_PY } from './netns-scene.js';

const SCENE = `
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(('127.0.0.1', 0))
port = l.getsockname()[1]
l.listen(8)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', port))
six = None
try:
    six = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    six.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    six.bind(('::1', port))
    six.listen(4)
except OSError:
    six = None
# The client closes first: its end waits in TIME_WAIT (before the queue fills, so that accept() takes it).
tw = socket.create_connection(('127.0.0.1', port))
a, _ = l.accept()
tw.close(); time.sleep(0.2); a.close()
clients = [socket.create_connection(('127.0.0.1', port)) for _ in range(5)]
accepted = [l.accept()[0] for _ in range(3)]   # two stay in the accept queue
dup = os.dup(accepted[0].fileno())             # one socket, two fds
f = socket.socket(); f.bind(('127.0.0.1', 0)); free = f.getsockname()[1]; f.close()
emit(port=port, six=six is not None, free=free)
hold()
`;

/** JSON timers count down between two runs: their values aside, the bytes must agree. */
const noTimers = (s: string): string => s.replace(/"expiresMs":\d+/g, '"expiresMs":0');

/** Each run's stdout, stderr and exit status through both roads, compared. */
async function sameBothWays(runs: readonly string[][], code: (args: readonly string[]) => number | undefined): Promise<void> {
  for (const args of runs) {
    const fast = await runCli(args);
    const slow = await runCli(args, { env: { SOCKSCOPE_FAST: '0' } });
    assert.equal(fast.code, slow.code, `${args.join(' ')}: exit status`);
    const want = code(args);
    if (want !== undefined) assert.equal(fast.code, want, `${args.join(' ')}: ${fast.stderr}`);
    else assert.ok(fast.code === 0 || fast.code === 1, `${args.join(' ')}: ${fast.stderr}`);
    assert.equal(noTimers(fast.stdout), noTimers(slow.stdout), `${args.join(' ')}: stdout`);
    assert.equal(fast.stderr, slow.stderr, `${args.join(' ')}: stderr`);
  }
}

test('list and port: the native table and the Socket objects write the same bytes', async (t) => {
  const child = startPython(t, 'fast scene', SCENE);
  const m = await child.message('port', 20_000);
  const port = String(m['port']);
  const runs: string[][] = [
    ['list', '--port', port],
    ['list', '-a', '--port', port],
    ['list', '-a', '--port', port, '--json'],
    ['list', '-a', '--port', port, '--ndjson'],
    ['list', '--port', port, '--lang', 'zh-CN'],
    ['list', '-l', '--port', port],
    ['list', '-t', '--port', port, '--sort', 'state', '-W'],
    ['list', '-a', '-n', '--port', port, '--sort', 'rport', '--json'],
    ['list', '-a', '--port', port, '--sort', 'pid'],
    ['list', '-6', '-a', '--port', port],
    ['port', port],
    ['port', port, '-W', '--sort', 'rport'],
    ['port', port, '--json'],
    ['port', `${port}/udp`, '--lang', 'zh-CN'],
    ['port', port, '-l'],
    ['port', String(m['free'])],
  ];
  // The free port was free when the scene started; another program may take it since: both roads must agree either way.
  await sameBothWays(runs, (args) => (args.includes(String(m['free'])) ? undefined : 0));
  // Without the addon at all (the JavaScript scan and the npm netlink socket): the same answer again.
  for (const args of [['list', '-a', '--port', port, '--json'], ['port', port]]) {
    const fast = await runCli(args);
    const js = await runCli(args, { env: { SOCKSCOPE_NATIVE: '0' } });
    assert.equal(noTimers(js.stdout), noTimers(fast.stdout), `${args.join(' ')} without the addon`);
  }
  // What the rows say, so that two equally wrong answers cannot pass.
  const rows = JSON.parse((await runCli(['list', '-a', '--port', port, '--json'])).stdout) as
    { protocol: string; state: string; localPort: number; holders: { pid: number; fd: number }[]; unheldReason?: string }[];
  const mine = rows.filter((r) => r.holders.some((h) => h.pid === child.pid));
  assert.ok(mine.length >= 2 + 5 + 3, `the scene's held sockets (${mine.length})`);
  assert.equal(rows.filter((r) => r.unheldReason === 'not-accepted').length, 2, 'two connections wait in the accept queue');
  assert.ok(rows.some((r) => r.state === 'TIME_WAIT' && r.unheldReason === 'kernel'), 'the closed connection waits in TIME_WAIT');
  assert.ok(rows.some((r) => r.holders.filter((h) => h.pid === child.pid).length === 2), 'one socket held by two fds');
  assert.ok(rows.some((r) => r.protocol === 'udp' && r.localPort === Number(port)));
  const table = (await runCli(['list', '--port', port])).stderr;
  assert.match(table, /TIME_WAIT/, 'the table says it left the TIME_WAIT out');

  // The fast road is the one the CLI takes for this query on this machine.
  const ft = FastTable.collect({ ports: [Number(port)], all: true }, 'proto');
  assert.ok(ft, 'the native table answers a port query here');
  const out = memorySink();
  await writeFastJson(ft, out.sink, false);
  assert.equal(noTimers(out.text()).split('\n').length, noTimers((await runCli(['list', '-a', '--port', port, '--json'])).stdout).split('\n').length);
});

test('another network namespace: the native table reads it too, and the answers stay the same', async (t) => {
  // A host listener on a port, and a server on the same port inside a namespace of ours.
  const host = startPython(t, 'host twin', `
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(2)
emit(port=l.getsockname()[1])
hold()
`);
  const port = String((await host.message('port', 20_000))['port']);
  const ns = makeNetns(t);
  const server = pythonIn(t, ns, 'namespace server', SERVER_PY, [port]);
  await server.message('port', 20_000);
  await sameBothWays([
    ['list', '-a', '--port', port, '--json'],
    ['list', '--port', port, '--ndjson'],
    ['list', '-a', '--port', port], // NETNS and CONTAINER columns: the collector's table
    ['port', port], // one answer per namespace: the collector's
  ], () => 0);
  const ft = FastTable.collect({ ports: [Number(port)], all: true }, 'proto');
  assert.ok(ft, 'the native table reads every namespace');
  assert.ok(ft.foreignRows >= 3, `the namespace's TCP, TCP6 and UDP sockets (${ft.foreignRows})`);
  const out = memorySink();
  await writeFastJson(ft, out.sink, false);
  const rows = JSON.parse(out.text()) as { netns?: { inode: number; name?: string }; holders: { pid: number }[] }[];
  const inode = netnsInode(ns);
  assert.ok(rows.some((r) => r.netns?.inode === inode && r.netns.name === ns && r.holders.some((h) => h.pid === server.pid)),
    'a socket of the namespace, held by its server, named by the namespace');
  assert.ok(rows.some((r) => r.holders.some((h) => h.pid === host.pid)), 'the host twin');
});

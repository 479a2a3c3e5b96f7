// A queued connection that the program accepts is one event, `accepted`.
// It used to come out as `opened` (the new inode) and `closed` (the same
// 4-tuple without an inode) in one refresh, and a consumer keyed on the
// 4-tuple then believed a live connection had closed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { diffSockets } from '../../src/model/diff.js';
import type { Socket } from '../../src/model/socket.js';
import { eventJson, eventLine, eventsOf } from '../../src/views/tui/events.js';
import { BIN, REPO_ROOT, eventually, startPython } from '../live/helpers.js';

function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '127.0.0.1', remotePort: 40000,
    state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1000, uid: 0, holders: [{ pid: 10, fd: 3, name: 'srv' }], ...over,
  };
}

const queued = (over: Partial<Socket> = {}): Socket => sock({ inode: 0, holders: [], unheldReason: 'not-accepted', ...over });

test('accept: inode 0 in the queue, then an inode and a holder: one change, one `accepted` event', () => {
  const listener = sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, inode: 900 });
  const client = sock({ localPort: 40000, remotePort: 5000, inode: 901, holders: [{ pid: 20, fd: 4 }] });
  const q = queued();
  const taken = sock({ inode: 1000 });
  const d = diffSockets([listener, client, q], [listener, client, taken]);
  assert.deepEqual(d.opened, []);
  assert.deepEqual(d.closed, []);
  assert.equal(d.changed.length, 1);
  assert.equal(d.changed[0]!.before, q);
  assert.equal(d.changed[0]!.after, taken);
  assert.deepEqual(d.changed[0]!.fields, ['accepted']);
  const ev = eventsOf(d);
  assert.deepEqual(ev.map((e) => e.kind), ['accepted']);
  const json = JSON.parse(eventJson(ev[0]!, 0, new Map())) as { event: string; socket: Socket };
  assert.equal(json.event, 'accepted');
  assert.equal(json.socket.inode, 1000);
  assert.deepEqual(json.socket.holders.map((h) => h.pid), [10]);
  assert.match(eventLine(ev[0]!, 0, { lang: 'en', numeric: true, color: false }), / accepted +tcp +127\.0\.0\.1:5000 ⇄ 127\.0\.0\.1:40000 +ESTABLISHED +10\/srv/);
  assert.match(eventLine(ev[0]!, 0, { lang: 'zh-CN', numeric: true, color: false }), /已接受/);
});

test('accepted after the peer closed: `accepted` and the state change; queue bytes still count', () => {
  const d = diffSockets([queued({ state: 'ESTABLISHED', recvQ: 3 })], [sock({ state: 'CLOSE_WAIT', recvQ: 4 })]);
  assert.deepEqual(d.changed[0]!.fields, ['accepted', 'state', 'queues']);
  assert.deepEqual(eventsOf(d).map((e) => e.kind), ['accepted', 'state-changed']);
});

test('not an acceptance: TIME_WAIT reused by a new connection, a listener, ambiguity', () => {
  // A TIME_WAIT entry and a new connection on the same 4-tuple are two sockets.
  const tw = queued({ state: 'TIME_WAIT', unheldReason: 'kernel' });
  const d1 = diffSockets([tw], [sock()]);
  assert.equal(d1.opened.length, 1);
  assert.equal(d1.closed.length, 1);
  // Two queued candidates for one tuple (cannot happen in one table, but never guess).
  const d2 = diffSockets([queued(), queued({ localAddress: '127.0.0.1' })], [sock()]);
  assert.equal(d2.opened.length, 1);
  // UDP has no accept queue.
  const d3 = diffSockets([queued({ protocol: 'udp' })], [sock({ protocol: 'udp' })]);
  assert.equal(d3.opened.length, 1);
  assert.equal(d3.closed.length, 1);
});

// A listener that accepts only when told to, so the connection is first seen in the queue.
const LATE_ACCEPT = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(8)
emit(port=s.getsockname()[1])
keep = []
for line in sys.stdin:
    c, _ = s.accept()
    keep.append(c)
    emit(accepted=c.getpeername()[1], fd=c.fileno())
os._exit(0)
`;

test('watch --events --json: a connection accepted late is `opened` while queued, then `accepted`; never `closed`', { timeout: 60_000 }, async (t) => {
  const server = startPython(t, 'late acceptor', LATE_ACCEPT);
  const { port } = (await server.message('port')) as { port: number };
  const proc = spawn(process.execPath, [BIN, 'watch', '--events', '--json', '--interval', '0.2', '--port', String(port), '--duration', '30'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: { event: string; socket: Socket }[] = [];
  let buf = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)) as { event: string; socket: Socket });
      buf = buf.slice(nl + 1);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  t.after(() => proc.kill('SIGKILL'));
  await eventually('watching', () => assert.match(stderr, /Watching/), { timeoutMs: 10_000 });
  const client = startPython(t, 'client', `
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5)
emit(cport=c.getsockname()[1])
hold()
`, [String(port)]);
  const { cport } = (await client.message('cport')) as { cport: number };
  const serverSide = (e: { socket: Socket }): boolean => e.socket.localPort === port && e.socket.remotePort === cport;
  await eventually('the queued connection seen', () => {
    assert.ok(events.some((e) => e.event === 'opened' && serverSide(e) && e.socket.inode === 0 && e.socket.unheldReason === 'not-accepted'),
      `events: ${JSON.stringify(events.map((e) => [e.event, e.socket.localPort, e.socket.inode]))}; ${stderr}`);
  }, { timeoutMs: 10_000, intervalMs: 50 });
  server.proc.stdin!.write('accept\n');
  const { fd } = (await server.message('accepted')) as { fd: number };
  const accepted = await eventually('accepted', () => {
    const e = events.find((x) => x.event === 'accepted' && serverSide(x));
    assert.ok(e, `events: ${JSON.stringify(events.map((x) => [x.event, x.socket.localPort, x.socket.remotePort, x.socket.inode]))}`);
    return e;
  }, { timeoutMs: 10_000, intervalMs: 50 });
  assert.notEqual(accepted.socket.inode, 0);
  assert.deepEqual(accepted.socket.holders.map((h) => [h.pid, h.fd]), [[server.pid, fd]]);
  // Two more ticks, then: the server side was never reported closed, nor opened twice.
  await new Promise((r) => setTimeout(r, 600));
  const mine = events.filter(serverSide).map((e) => e.event);
  assert.deepEqual(mine, ['opened', 'accepted'], JSON.stringify(events.filter(serverSide)));
});

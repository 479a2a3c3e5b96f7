// The live table (watch's socket table) reads our namespace through the
// native addon (native/live.cc: whole replies read on a worker thread into
// one reused buffer) when it is built, else through the npm `netlink` socket.
// Both must give the same records, and the native reads must follow changes:
// a socket that changes is a new record, one that closes is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket as NetSocket } from 'node:net';
import { LiveSockDiag, type LiveTableRead } from '../../src/collectors/sockdiag/live-table.js';
import { NativeDiagChannel, diagNative } from '../../src/collectors/sockdiag/native-channel.js';
import { SockDiagChannel } from '../../src/collectors/sockdiag/transport.js';
import type { RawSocket } from '../../src/model/socket.js';
import { eventually } from './helpers.js';

/** A listener on 127.0.0.1 (port 0) with `n` connections to it, both ends open in this process. */
async function scene(t: import('node:test').TestContext, n: number): Promise<{ port: number; clients: NetSocket[]; accepted: NetSocket[]; server: Server }> {
  const accepted: NetSocket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const clients: NetSocket[] = [];
  t.after(() => {
    for (const c of [...clients, ...accepted]) c.destroy();
    server.close();
  });
  for (let i = 0; i < n; i++) {
    const c = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
    clients.push(c);
  }
  await eventually('every connection accepted', () => assert.equal(accepted.length, n));
  return { port, clients, accepted, server };
}

// TIME_WAIT left out: a port just freed by an earlier test's listener may come back to us with its closed connections.
const OPTS = { protocols: ['tcp'] as const, families: ['ipv4'] as const, states: ~(1 << 6) >>> 0 };

/** A record as text, for comparing what two reads saw (holders are not the table's business). */
function row(s: RawSocket): string {
  return `${s.protocol} ${s.family} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${s.state} q=${s.recvQ}/${s.sendQ}/${s.backlog} inode=${s.inode} uid=${s.uid}`;
}

/**
 * Our sockets: the listener and both ends of our connections (other programs'
 * connections, e.g. from 127.0.0.9, may use the same port number).
 */
function ours(s: RawSocket, port: number, clients: readonly NetSocket[]): boolean {
  const mine = new Set(clients.map((c) => c.localPort));
  if (s.localAddress !== '127.0.0.1') return false;
  if (s.localPort === port) return s.remotePort === 0 || (s.remoteAddress === '127.0.0.1' && mine.has(s.remotePort));
  return s.remotePort === port && s.remoteAddress === '127.0.0.1' && mine.has(s.localPort);
}

function rows(r: LiveTableRead, port: number, clients: readonly NetSocket[]): string[] {
  return r.sockets.filter((s) => ours(s, port, clients)).map(row);
}

test('the native addon has the live table functions (a test of the fast path fails when the addon is not built)', () => {
  assert.ok(diagNative(), 'native/live.cc not built: npm run build:native');
});

test('live table: the native channel and the npm netlink channel read the same records', { timeout: 30_000 }, async (t) => {
  const { port, clients } = await scene(t, 20);
  const viaNative = new LiveSockDiag(() => NativeDiagChannel.open(), null);
  const viaNpm = new LiveSockDiag(() => new SockDiagChannel({ bulk: true }), null);
  t.after(() => { viaNative.close(); viaNpm.close(); });
  // The same port filter both times; the two reads are a moment apart, so nothing of ours changes between them.
  const a = await viaNative.read({ ...OPTS, ports: [port] });
  const b = await viaNpm.read({ ...OPTS, ports: [port] });
  assert.equal(rows(a, port, clients).length, 41, rows(a, port, clients).join('\n'));
  assert.deepEqual(rows(a, port, clients), rows(b, port, clients));
  assert.deepEqual(a.issues, []);
  // And without a filter (the whole table, many datagrams): ours among them, in the same order.
  const all = await viaNative.read(OPTS);
  const allNpm = await viaNpm.read(OPTS);
  assert.deepEqual(rows(all, port, clients), rows(allNpm, port, clients));
});

test('live table, native channel: a reply larger than its buffer grows it, and the next read reuses it', { timeout: 30_000 }, async (t) => {
  const { port, clients } = await scene(t, 20);
  // 256 bytes hold two records: every read below overflows at first.
  const table = new LiveSockDiag(() => NativeDiagChannel.open(256), null);
  t.after(() => table.close());
  const first = await table.read({ ...OPTS, ports: [port] });
  assert.equal(rows(first, port, clients).length, 41);
  const second = await table.read({ ...OPTS, ports: [port] });
  assert.deepEqual(rows(second, port, clients), rows(first, port, clients));
  // Unchanged sockets are last read's objects (the reused buffer was decoded again, not kept).
  const mine = (r: LiveTableRead): RawSocket[] => r.sockets.filter((s) => ours(s, port, clients));
  for (const [i, s] of mine(second).entries()) assert.equal(s, mine(first)[i]);
});

test('live table, native channel: a socket whose queue changes is a new record; one that closes is gone', { timeout: 30_000 }, async (t) => {
  const { port, clients, accepted } = await scene(t, 3);
  const table = new LiveSockDiag(() => NativeDiagChannel.open(), null);
  t.after(() => table.close());
  const before = await table.read({ ...OPTS, ports: [port] });
  assert.equal(before.sockets.filter((s) => ours(s, port, clients)).length, 7);
  // Bytes the server side does not read: its receive queue grows (a paused stream
  // still reads up to its high-water mark, so more than that is sent).
  const receiver = accepted[0]!;
  receiver.pause();
  const local = (receiver.address() as { port: number }).port;
  const peerPort = receiver.remotePort!;
  clients.find((c) => (c.address() as { port: number }).port === peerPort)!.write(Buffer.alloc(1 << 20, 120));
  const grown = await eventually('the receive queue seen', async () => {
    const r = await table.read({ ...OPTS, ports: [port] });
    const s = r.sockets.find((x) => x.localPort === local && x.remotePort === peerPort);
    assert.ok(s && s.recvQ > 0, `recvQ ${s?.recvQ}`);
    return { r, s: s! };
  });
  const old = before.sockets.find((x) => x.localPort === local && x.remotePort === peerPort)!;
  assert.notEqual(grown.s, old, 'a changed record is a new object');
  assert.equal(grown.s.inode, old.inode);
  // Close one connection, both ends: its two inodes are gone from the next reads.
  const victim = clients[2]!;
  const victimPort = (victim.address() as { port: number }).port;
  const inodes = before.sockets.filter((x) => ours(x, port, clients) && (x.localPort === victimPort || x.remotePort === victimPort)).map((x) => x.inode);
  assert.equal(inodes.length, 2);
  victim.destroy();
  accepted.find((a) => a.remotePort === victimPort)!.destroy();
  const gone: number[] = [];
  await eventually('both ends gone', async () => {
    const r = await table.read({ ...OPTS, ports: [port] });
    gone.push(...r.gone);
    assert.deepEqual(inodes.filter((i) => !gone.includes(i)), []);
    assert.deepEqual(r.sockets.filter((x) => inodes.includes(x.inode)), []);
  });
});

test('live table, native channel: closed while a read runs, the read still settles and the next one is refused', { timeout: 30_000 }, async () => {
  const channel = NativeDiagChannel.open();
  const table = new LiveSockDiag(() => channel, null);
  const reading = table.read(OPTS);
  channel.close();
  await reading.then(() => undefined, () => undefined);
  await assert.rejects(channel.request(Buffer.alloc(72), () => true), /closed/);
});

test('live table: TCP of both families in one dump (the kernel\'s compat request) lists what one dump per family lists', { timeout: 30_000 }, async (t) => {
  // A listener on ::1 with a connection, beside the IPv4 scene: both families have sockets of ours.
  const { port, clients } = await scene(t, 3);
  const accepted6: NetSocket[] = [];
  const server6 = createServer((s) => accepted6.push(s));
  await new Promise<void>((resolve) => server6.listen(0, '::1', resolve));
  const port6 = (server6.address() as { port: number }).port;
  const c6 = connect(port6, '::1');
  t.after(() => { c6.destroy(); for (const s of accepted6) s.destroy(); server6.close(); });
  await new Promise<void>((resolve, reject) => { c6.once('connect', resolve); c6.once('error', reject); });
  await eventually('accepted on ::1', () => assert.equal(accepted6.length, 1));
  const both = { protocols: ['tcp'] as const, families: ['ipv4', 'ipv6'] as const, states: OPTS.states };
  const compat = NativeDiagChannel.open();
  const oneWalk = new LiveSockDiag(() => compat, null);
  // The same channel without the capability: asked per family.
  const perFamily = new LiveSockDiag(() => ({ request: (req, on) => compat.request(req, on), close: () => undefined }), null);
  t.after(() => { oneWalk.close(); perFamily.close(); });
  const mine6 = (s: RawSocket): boolean => s.localAddress === '::1' && s.remoteAddress !== '127.0.0.1' &&
    ((s.localPort === port6 && (s.remotePort === 0 || s.remotePort === c6.localPort)) || (s.localPort === c6.localPort && s.remotePort === port6));
  const pick = (r: LiveTableRead): string[] => r.sockets.filter((s) => ours(s, port, clients) || mine6(s)).map(row);
  // And the npm netlink channel (the fallback without the addon), which asks the kernel the same way.
  const viaNpm = new LiveSockDiag(() => new SockDiagChannel({ bulk: true }), null);
  t.after(() => viaNpm.close());
  const a = await oneWalk.read({ ...both, ports: [port, port6] });
  const b = await perFamily.read({ ...both, ports: [port, port6] });
  const c = await viaNpm.read({ ...both, ports: [port, port6] });
  assert.equal(pick(a).length, 7 + 3, pick(a).join('\n'));
  assert.deepEqual(pick(a), pick(b));
  assert.deepEqual(pick(c), pick(b));
  assert.deepEqual(a.issues, []);
});

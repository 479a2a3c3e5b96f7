// Traffic in the library's watch(): rates per socket, process, container and
// unit from the kernel's byte counters, looked at twice; totals since the
// first look, closed connections kept in them; UDP's drops. A scripted
// source hands out counters (as the live table does) and a clock the test moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watch, type Snapshot, type Socket, type WatchClock, type WatchSource } from '../../src/index.js';
import type { TickQuery } from '../../src/collectors/live.js';
import type { TrafficCounters } from '../../src/collectors/sockdiag/live-table.js';

function sock(over: Partial<Socket>): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '127.0.0.1', remotePort: 40000,
    state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1000, uid: 0, holders: [], ...over,
  };
}

class Clock implements WatchClock {
  t = 1_000_000;
  now(): number { return this.t; }
  async sleep(ms: number): Promise<void> { this.t += ms; }
}

interface Row { s: Socket; acked?: number; received?: number; drops?: number; cookie: number }

class Source implements WatchSource {
  queries: TickQuery[] = [];
  constructor(private readonly clock: Clock, private readonly looks: Row[][]) {}
  async tick(q: TickQuery): Promise<{ snapshot: Snapshot; counters?: TrafficCounters }> {
    this.queries.push(q);
    const rows = this.looks[Math.min(this.queries.length - 1, this.looks.length - 1)]!;
    const snapshot: Snapshot = { takenAt: this.clock.t, source: 'netlink', backlogKnown: true, privileged: false, sockets: rows.map((r) => r.s), unreadableProcesses: 0, issues: [] };
    const counters: TrafficCounters = {
      acked: rows.map((r) => r.acked ?? NaN), received: rows.map((r) => r.received ?? NaN), drops: rows.map((r) => r.drops ?? NaN), cookie: rows.map((r) => r.cookie),
    };
    return { snapshot, counters: q.counters ? counters : undefined };
  }
}

const web = { pid: 10, fd: 4, name: 'web', container: { runtime: 'docker' as const, id: 'a'.repeat(64), name: 'shop' }, unit: 'docker.service' };
const worker = { pid: 11, fd: 5, name: 'worker', unit: 'worker.service' };
const listener = sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, inode: 1, holders: [web] });
const a = sock({ inode: 2, remotePort: 40001, holders: [web, { ...web, fd: 7 }] });
// A socket two processes share (a forked server): in each process, once in the totals.
const b = sock({ inode: 3, remotePort: 40002, holders: [web, worker] });
// A client this machine opened while we watched (no listener on its port): its SYN's byte is not the program's.
const c = sock({ inode: 4, localPort: 40003, remotePort: 5000, holders: [worker] });
const u = sock({ protocol: 'udp', state: 'UNCONN', inode: 5, localPort: 5353, remoteAddress: '0.0.0.0', remotePort: 0, holders: [worker] });

test('watch({ traffic }): rates over the interval, totals since the first look, per socket, process, container and unit', async () => {
  const clock = new Clock();
  const source = new Source(clock, [
    [{ s: listener, cookie: 1 }, { s: a, cookie: 2, acked: 1000, received: 50 }, { s: b, cookie: 3, acked: 0, received: 0 }, { s: u, cookie: 5, drops: 7 }],
    [{ s: listener, cookie: 1 }, { s: a, cookie: 2, acked: 3000, received: 50 }, { s: b, cookie: 3, acked: 0, received: 4000 },
      { s: c, cookie: 4, acked: 501, received: 0 }, { s: u, cookie: 5, drops: 9 }],
    // a closed after 1000 more bytes; b idle.
    [{ s: listener, cookie: 1 }, { s: b, cookie: 3, acked: 0, received: 4000 }, { s: c, cookie: 4, acked: 501, received: 0 }, { s: u, cookie: 5, drops: 9 }],
  ]);
  const updates = [];
  for await (const up of watch({ source, clock, traffic: true, intervalSeconds: 2, durationSeconds: 5 })) updates.push(up);
  assert.equal(updates.length, 3);
  assert.ok(source.queries.every((q) => q.counters === true));
  const [one, two, three] = updates.map((x) => x.traffic!);
  // First look: a baseline, nothing moved yet (the UDP drops before it are not ours either).
  assert.equal(one!.intervalMs, 0);
  assert.deepEqual(one!.sockets, []);
  // Second look, 2 s later.
  assert.equal(two!.intervalMs, 2000);
  const of = (s: Socket): { sendRate: number; recvRate: number; sent: number; received: number; drops?: number } => {
    const x = two!.sockets.find((t) => t.socket === s)!;
    return { sendRate: x.sendRate, recvRate: x.recvRate, sent: x.sent, received: x.received, ...(x.drops !== undefined ? { drops: x.drops } : {}) };
  };
  assert.deepEqual(of(a), { sendRate: 1000, recvRate: 0, sent: 2000, received: 0 });
  assert.deepEqual(of(b), { sendRate: 0, recvRate: 2000, sent: 0, received: 4000 });
  assert.deepEqual(of(c), { sendRate: 250, recvRate: 0, sent: 500, received: 0 });
  assert.deepEqual(of(u), { sendRate: 0, recvRate: 0, sent: 0, received: 0, drops: 2 });
  assert.deepEqual(two!.sockets.map((t) => t.socket), [b, a, c, u], 'busiest first');
  const p = (pid: number) => two!.processes.find((x) => x.pid === pid)!;
  assert.deepEqual([p(10).sendRate, p(10).recvRate, p(10).sockets], [1000, 2000, 2], 'a (held twice by web) counts once');
  assert.deepEqual([p(11).sendRate, p(11).recvRate, p(11).sent, p(11).received], [250, 2000, 500, 4000]);
  assert.deepEqual(p(10).container?.name, 'shop');
  assert.deepEqual(two!.totals, { sendRate: 1250, recvRate: 2000, sent: 2500, received: 4000, closedSent: 0, closedReceived: 0, closed: 0 });
  const g = (id: string) => two!.groups.find((x) => x.id === id)!;
  assert.deepEqual([g(`docker:${'a'.repeat(64)}`).name, g(`docker:${'a'.repeat(64)}`).sendRate, g(`docker:${'a'.repeat(64)}`).pids], ['shop', 1000, [10]]);
  assert.deepEqual([g('worker.service').recvRate, g('worker.service').sockets], [2000, 2], 'b and c; u (UDP) has no bytes to add');
  // Third look: a closed; its bytes up to its last look stay in the totals.
  assert.deepEqual([three!.totals.sent, three!.totals.received, three!.totals.closedSent, three!.totals.closed], [2500, 4000, 2000, 1]);
  assert.equal(three!.totals.sendRate, 0);
});

test('watch(): counters only while the query asks for them; a look without them starts afresh', async () => {
  const clock = new Clock();
  const source = new Source(clock, [
    [{ s: a, cookie: 2, acked: 100, received: 0 }], [{ s: a, cookie: 2, acked: 200, received: 0 }],
    [{ s: a, cookie: 2, acked: 300, received: 0 }], [{ s: a, cookie: 2, acked: 400, received: 0 }], [{ s: a, cookie: 2, acked: 900, received: 0 }],
  ]);
  let n = 0;
  const out = [];
  for await (const up of watch({ source, clock, intervalSeconds: 1, durationSeconds: 4.5, query: () => ({ counters: n++ !== 2 }) })) out.push(up.traffic);
  assert.equal(out[0]!.sockets.length, 0);
  assert.equal(out[1]!.sockets[0]!.sent, 100);
  assert.equal(out[2], undefined);
  assert.equal(out[3]!.intervalMs, 0, 'a fresh baseline after the gap');
  assert.deepEqual([out[4]!.sockets[0]!.sent, out[4]!.sockets[0]!.sendRate], [500, 500]);
});

test('TrafficTracker: destroyed sockets counted to their last byte, on their holders; one never seen counts in the totals only', async () => {
  const { TrafficTracker } = await import('../../src/traffic.js');
  const t = new TrafficTracker();
  const srv = sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, inode: 1, holders: [worker] });
  const c1 = sock({ inode: 7, localPort: 40007, remotePort: 5000, holders: [web] });
  const all = [srv, c1];
  const cnt = (acked: number[], closed?: { cookie: number; acked: number; received: number; socket: Socket }[]) =>
    ({ c: { acked, received: acked.map(() => 0), drops: acked.map(() => NaN), cookie: [1, 7], closed }, all });
  t.update(0, all, cnt([NaN, 100]));
  t.update(1000, all, cnt([NaN, 600]));
  // c1 sends 400 more and closes; a connection never seen (port 40009) sent 999 (+ its SYN) and closed; another is filtered out.
  const born = { ...sock({ inode: 0, localPort: 40009, remotePort: 5000, state: 'CLOSE' }) };
  const other = { ...sock({ inode: 0, localPort: 40010, remotePort: 6000, state: 'CLOSE' }) };
  const up = t.update(2000, [srv], { c: { acked: [NaN], received: [0], drops: [NaN], cookie: [1], closed: [
    { cookie: 7, acked: 1000, received: 0, socket: c1 }, { cookie: 9, acked: 1000, received: 0, socket: born }, { cookie: 10, acked: 50, received: 0, socket: other },
  ] }, all: [srv] }, (s) => s.remotePort === 5000);
  const closed = up.sockets.filter((x) => x.closed);
  assert.deepEqual(closed.map((x) => [x.socket.localPort, x.sendRate, x.sent, x.socket.holders.length]), [[40009, 999, 999, 0], [40007, 400, 900, 1]]);
  assert.deepEqual([up.totals.sent, up.totals.closedSent, up.totals.closed, up.totals.sendRate], [1899, 1899, 2, 1399]);
  const p = up.processes.find((x) => x.pid === web.pid)!;
  assert.deepEqual([p.sent, p.sendRate, p.sockets], [900, 400, 0], 'its bytes stay the process\'s after the close');
});

test('watch({ traffic }) over a plain Collector: tcp_info and memory are asked for, rates come from each socket\'s own tcp', async () => {
  const clock = new Clock();
  const asked: { info?: boolean; memory?: boolean }[] = [];
  let n = 0;
  const collector = {
    name: 'scripted',
    async collect(o: { info?: boolean; memory?: boolean }): Promise<Snapshot> {
      asked.push({ info: o.info, memory: o.memory });
      const acked = [10, 5010][Math.min(n++, 1)]!;
      const s = sock({ inode: 2, tcp: { rttMs: 1, rttVarMs: 1, rtoMs: 200, mss: 1000, cwnd: 10, retransmits: 0, totalRetrans: 0, unacked: 0, lost: 0,
        lastSendMs: 0, lastRecvMs: 0, sack: true, timestamps: true, ecn: false, structBytes: 232, bytesAcked: acked, bytesReceived: 0 } });
      return { takenAt: clock.t, source: 'netlink', backlogKnown: true, privileged: false, sockets: [s], unreadableProcesses: 0, issues: [] };
    },
  };
  const out = [];
  for await (const up of watch({ source: collector, clock, traffic: true, intervalSeconds: 1, durationSeconds: 1.5 })) out.push(up.traffic);
  assert.deepEqual(asked, [{ info: true, memory: true }, { info: true, memory: true }]);
  assert.deepEqual([out[1]!.sockets[0]!.sendRate, out[1]!.sockets[0]!.sent], [5000, 5000]);
  assert.equal(out[1]!.atClose, undefined, 'no destroy events from a polled collector');
});

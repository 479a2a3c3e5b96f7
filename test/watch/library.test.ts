// The library's watch() with a scripted source and a clock the test moves:
// snapshots and diffs in order, the filter, the interval kept from the start
// of each look, the duration, the abort (also in the middle of a sleep), no
// timer left behind, and the polling fallback over a plain Collector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watch, realClock, type SocketSource, type CollectOptions, type Snapshot, type Socket, type WatchClock, type WatchSource } from '../../src/index.js';
import type { TickQuery } from '../../src/collectors/live.js';

function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '0.0.0.0', remotePort: 0,
    state: 'LISTEN', recvQ: 0, sendQ: 0, inode: 1000, uid: 0, holders: [{ pid: 10, fd: 3, name: 'srv' }], ...over,
  };
}

function snap(sockets: Socket[], takenAt: number): Snapshot {
  return { takenAt, source: 'netlink', backlogKnown: true, privileged: false, sockets, unreadableProcesses: 0, issues: [] };
}

/** A clock that only moves when the loop sleeps (each sleep takes exactly what it asks). */
class FakeClock implements WatchClock {
  t = 1_000_000;
  sleeps: number[] = [];
  /** Called at the start of each sleep, before time moves (to abort in the middle of one). */
  onSleep?: (n: number) => void;
  now(): number { return this.t; }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.onSleep?.(this.sleeps.length);
    if (signal.aborted) return;
    this.t += Math.max(0, ms);
  }
}

/** Hands out a scripted list of socket tables, one per look; each look "costs" `costMs` of the fake clock. */
class ScriptedSource implements WatchSource {
  queries: TickQuery[] = [];
  closed = 0;
  constructor(private readonly clock: FakeClock, private readonly tables: Socket[][], private readonly costMs = 0) {}
  async tick(q: TickQuery): Promise<{ snapshot: Snapshot }> {
    this.queries.push(q);
    const i = Math.min(this.queries.length - 1, this.tables.length - 1);
    const at = this.clock.t;
    this.clock.t += this.costMs;
    return { snapshot: snap(this.tables[i]!, at) };
  }
  close(): void { this.closed++; }
}

const listener = sock({ inode: 1 });
const conn = sock({ inode: 2, localPort: 5000, remoteAddress: '127.0.0.1', remotePort: 40000, state: 'ESTABLISHED' });
const connClosing = { ...conn, state: 'CLOSE_WAIT' as const, recvQ: 1 };
const other = sock({ inode: 3, localPort: 6000 });

test('watch(): first look without a diff, then opened, changed and closed in order; stops on abort', async () => {
  const clock = new FakeClock();
  const tables = [[listener], [listener, conn], [listener, connClosing], [listener], [listener]];
  const source = new ScriptedSource(clock, tables, 30);
  const stop = new AbortController();
  const seen: string[] = [];
  const times: number[] = [];
  for await (const u of watch({ source, clock, intervalSeconds: 0.5, signal: stop.signal })) {
    times.push(u.snapshot.takenAt);
    assert.equal(u.stats.tick, times.length);
    if (!u.diff) seen.push(`first ${u.sockets.length}`);
    else {
      for (const s of u.diff.opened) seen.push(`opened ${s.inode}`);
      for (const c of u.diff.changed) seen.push(`changed ${c.after.inode} ${c.fields.join('+')} ${c.before.state}->${c.after.state}`);
      for (const s of u.diff.closed) seen.push(`closed ${s.inode}`);
      if (u.diff.opened.length + u.diff.changed.length + u.diff.closed.length === 0) seen.push('nothing');
    }
    if (u.stats.tick === 5) stop.abort();
  }
  assert.deepEqual(seen, ['first 1', 'opened 2', 'changed 2 state+queues ESTABLISHED->CLOSE_WAIT', 'closed 2', 'nothing']);
  // Looks start every 500 ms from the start of the previous one: a 30 ms look sleeps 470 ms.
  assert.deepEqual(times.map((x) => x - times[0]!), [0, 500, 1000, 1500, 2000]);
  assert.deepEqual(clock.sleeps, [470, 470, 470, 470]);
  assert.equal(source.queries.length, 5, 'no look after the abort');
  assert.equal(source.closed, 0, "a source the caller passed is the caller's to close");
});

test('watch(): an abort during the sleep ends the loop at once', async () => {
  const clock = new FakeClock();
  const source = new ScriptedSource(clock, [[listener]]);
  const stop = new AbortController();
  clock.onSleep = (n) => { if (n === 2) stop.abort(); };
  let looks = 0;
  for await (const _ of watch({ source, clock, intervalSeconds: 1, signal: stop.signal })) looks++;
  assert.equal(looks, 2);
  assert.equal(source.queries.length, 2);
});

test('watch(): the filter decides the sockets, the diff and the kernel query; the duration ends it', async () => {
  const clock = new FakeClock();
  const tables = [[listener], [listener, other], [other], [other]];
  const source = new ScriptedSource(clock, tables);
  const updates = [];
  for await (const u of watch({ source, clock, intervalSeconds: 1, durationSeconds: 2.5, filter: { ports: [6000], listening: true } })) updates.push(u);
  // Looks at 0, 1000, 2000 ms; the next would be at 3000, after the 2500 ms duration.
  assert.equal(updates.length, 3);
  assert.deepEqual(clock.sleeps, [1000, 1000, 500]);
  assert.deepEqual(updates.map((u) => u.sockets.map((s) => s.inode)), [[], [3], [3]]);
  assert.deepEqual(updates[1]!.diff?.opened.map((s) => s.inode), [3]);
  // The listener on 5000 closed, but the filter never kept it: no event about it.
  assert.deepEqual(updates[2]!.diff, { opened: [], closed: [], changed: [] });
  assert.deepEqual(source.queries[0], { states: ['LISTEN', 'UNCONN'], ports: [6000] });
});

test('watch(): leaving the loop early (break) stops the looks', async () => {
  const clock = new FakeClock();
  const source = new ScriptedSource(clock, [[listener]]);
  for await (const u of watch({ source, clock })) if (u.stats.tick === 3) break;
  assert.equal(source.queries.length, 3);
  assert.equal(clock.sleeps.length, 2);
});

test('watch() with the real clock: an abort while it sleeps clears its timer', async () => {
  const clock = new FakeClock();
  const source = new ScriptedSource(clock, [[listener]]);
  const stop = new AbortController();
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const started = Date.now();
  const it = watch({ source, clock: realClock, intervalSeconds: 3600, signal: stop.signal })[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, false);
  const pending = it.next(); // now asleep for an hour
  await new Promise((r) => setImmediate(r));
  assert.equal(timers(), before + 1, 'the sleep holds one timer');
  stop.abort();
  assert.equal((await pending).done, true);
  assert.ok(Date.now() - started < 5000, 'woke on the abort, not after the hour');
  assert.equal(timers(), before, 'no timer left');
});

test('watch() over a plain Collector: one collect per look (polling fallback)', async () => {
  const clock = new FakeClock();
  const calls: CollectOptions[] = [];
  const tables = [[listener], [listener, other], [other]];
  const collector: SocketSource = {
    name: 'recorded',
    async collect(o) {
      calls.push(o);
      const table = tables[Math.min(calls.length - 1, tables.length - 1)]!;
      return snap(o.select ? table.filter(o.select) : table, clock.now());
    },
  };
  const stop = new AbortController();
  const seen: string[] = [];
  for await (const u of watch({ source: collector, clock, signal: stop.signal, filter: { protocols: ['tcp'], listening: true } })) {
    if (u.diff) seen.push(...u.diff.opened.map((s) => `opened ${s.inode}`), ...u.diff.closed.map((s) => `closed ${s.inode}`));
    if (u.stats.tick === 3) stop.abort();
  }
  assert.deepEqual(seen, ['opened 3', 'closed 1']);
  assert.equal(calls.length, 3);
  // The filter's narrowing reaches the collector: protocols, and the states the kernel may skip.
  assert.deepEqual(calls[0]!.protocols, ['tcp']);
  assert.deepEqual(calls[0]!.narrow?.states, ['LISTEN', 'UNCONN']);
  assert.equal(calls[0]!.select?.(sock({ state: 'ESTABLISHED' })), false);
  assert.equal(calls[0]!.select?.(sock({ state: 'LISTEN' })), true);
});

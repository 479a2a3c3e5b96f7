// The loop behind `watch`, as a library call: successive snapshots of a live
// source and what changed between them. Time (clock and sleep) and stopping
// (an AbortSignal) come from the caller, so tests drive it without real time
// and every front end (the event stream, the terminal view) shares one loop.
import type { SocketSource as Collector, CollectOptions, CollectorContext } from './collectors/collector.js';
import { LiveCollector, type TickQuery, type TickStats } from './collectors/live.js';
import { diffSockets, type SnapshotDiff } from './model/diff.js';
import { matches, type Filter } from './model/filter.js';
import { defaultContext } from './index.js';
import type { Snapshot } from './model/snapshot.js';
import { SOCKET_STATES, type Socket, type SocketState } from './model/socket.js';
import type { TrafficCounters } from './collectors/sockdiag/live-table.js';
import { TrafficTracker, type TrafficUpdate } from './traffic.js';

/** Where successive snapshots come from: the live collector, or anything with its `tick`. */
export interface WatchSource {
  tick(q: TickQuery): Promise<{ snapshot: Snapshot; stats?: Partial<TickStats>; counters?: TrafficCounters }>;
  close?(): void;
}

/** Time as the loop sees it; the default is the real clock and setTimeout. */
export interface WatchClock {
  now(): number;
  /** Wait `ms` (never less than 0); resolves early, without throwing, when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Options of {@link watch}. */
export interface WatchOptions {
  /** Which sockets to keep; the diff is taken over the kept ones. */
  filter?: Filter;
  /** Seconds from the start of one look to the start of the next (default 1). */
  intervalSeconds?: number;
  /** Stop after this many seconds (default: until aborted). */
  durationSeconds?: number;
  /** Stops the loop, also while it sleeps. */
  signal?: AbortSignal;
  clock?: WatchClock;
  /**
   * The source: a {@link WatchSource} (the caller keeps and closes it), or any
   * {@link Collector}, polled with one full collect per look. Default: the
   * Linux incremental collector, opened and closed by the loop.
   */
  source?: WatchSource | Collector;
  /** Socket source of the default collector ('auto' tries netlink, then /proc/net). */
  sourceName?: 'auto' | 'netlink' | 'proc';
  /** Every process's fds are reread at least this often, seconds (default collector; default 20). */
  rescanSeconds?: number;
  /** What to ask the source for on each look (default: what the filter needs); read before every look. */
  query?: () => TickQuery;
  /** Collector context (proc root, passwd, uid, clock of the snapshots). */
  context?: CollectorContext;
  /**
   * Send and receive rates per socket, process, container and unit, and
   * totals since the first look ({@link WatchUpdate.traffic}), from the
   * kernel's byte counters of each TCP connection. Asks the source for them
   * on every look (TickQuery.counters), which costs a larger dump. A `query`
   * returning `counters: true` turns it on for that look alone (the live
   * view's Traffic tab); a look without them starts the totals afresh.
   */
  traffic?: boolean;
}

/** What a look cost. */
export interface WatchStats {
  /** Looks taken so far, this one included (1 for the first). */
  tick: number;
  /** Time of the look and the diff (ms, performance clock). */
  wallMs: number;
  /** CPU time of the process during the look and the diff (user + system, ms). */
  cpuMs: number;
  /** The source's own account of the look, when it gives one. */
  source?: Partial<TickStats>;
}

/** One look: the snapshot, what changed since the previous look (none on the first), and its cost. */
export interface WatchUpdate {
  snapshot: Snapshot;
  /** The snapshot's sockets the filter keeps (all of them without a filter). */
  sockets: Socket[];
  /** Against the previous look's kept sockets; undefined on the first look. */
  diff: SnapshotDiff | undefined;
  /** With the `traffic` option (or a query asking for counters): rates and totals of the kept sockets. */
  traffic?: TrafficUpdate;
  stats: WatchStats;
}

/** States to ask the kernel for, given a list filter (as listSockets narrows). */
export function kernelStates(f: Filter): SocketState[] | undefined {
  if (f.states && f.states.length) return [...f.states];
  if (f.listening) return ['LISTEN', 'UNCONN'];
  if (f.all) return undefined;
  return SOCKET_STATES.filter((s) => s !== 'TIME_WAIT');
}

/** The real clock: Date.now and a setTimeout that an abort clears. */
export const realClock: WatchClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  }),
};

/** A Collector made a WatchSource: one whole collect per look (any platform, any recorded tree). */
export class PollingSource implements WatchSource {
  constructor(private readonly collector: Collector, private readonly base: CollectOptions = {}) {}

  async tick(q: TickQuery): Promise<{ snapshot: Snapshot }> {
    // Counters come whole with each socket's tcp_info (and UDP's memory record, for drops).
    const extra: CollectOptions = q.counters ? { info: true, memory: true } : {};
    const states = q.states ? new Set<SocketState>([...q.states, 'LISTEN']) : undefined;
    const ports = q.ports && q.ports.length ? new Set(q.ports) : undefined;
    const select = states || ports
      ? (s: { state: SocketState; localPort: number; remotePort: number }): boolean =>
        (!states || states.has(s.state)) && (!ports || ports.has(s.localPort) || ports.has(s.remotePort))
      : undefined;
    const snapshot = await this.collector.collect({
      ...this.base,
      ...extra,
      select,
      narrow: states || ports ? { states: states ? [...states] : undefined, ports: q.ports } : undefined,
    });
    return { snapshot };
  }
}

function isCollector(x: WatchSource | Collector): x is Collector {
  return typeof (x as Collector).collect === 'function' && typeof (x as WatchSource).tick !== 'function';
}

/**
 * Successive snapshots of this machine's sockets and what changed between
 * them (opened, closed, changed), one every `intervalSeconds`, until
 * `signal` aborts, `durationSeconds` pass, or the consumer leaves the loop.
 * A source the loop opened is closed when it ends, however it ends.
 *
 * @example
 *   const stop = new AbortController();
 *   for await (const { diff } of watch({ filter: { listening: true }, signal: stop.signal })) {
 *     for (const s of diff?.opened ?? []) console.log('listening:', s.localPort, s.holders.map((h) => h.name));
 *   }
 */
export async function* watch(options: WatchOptions = {}): AsyncGenerator<WatchUpdate, void, undefined> {
  const clock = options.clock ?? realClock;
  const filter = options.filter;
  const interval = (options.intervalSeconds ?? 1) * 1000;
  const signal = options.signal ?? new AbortController().signal;
  const started = clock.now();
  const stopAt = options.durationSeconds !== undefined ? started + options.durationSeconds * 1000 : Infinity;
  let owned: WatchSource | undefined;
  let source: WatchSource;
  if (options.source === undefined) {
    const ctx = options.context ?? defaultContext();
    source = owned = new LiveCollector(ctx, {
      source: options.sourceName, protocols: filter?.protocols, families: filter?.families, netns: filter?.netns,
      intervalSeconds: interval / 1000, fullEverySeconds: options.rescanSeconds ?? 20,
    });
  } else if (isCollector(options.source)) {
    source = new PollingSource(options.source, { protocols: filter?.protocols, families: filter?.families, netns: filter?.netns });
  } else {
    source = options.source;
  }
  // A source made here reads only the namespaces named (pid:N and self resolved
  // there): they are not matched again. A source handed in may read more.
  const readsNetns = options.source === undefined || isCollector(options.source);
  const matchFilter = filter?.netns && readsNetns ? { ...filter, netns: undefined } : filter;
  const base = options.query ?? ((): TickQuery => ({ states: filter ? kernelStates(filter) : undefined, ports: filter?.ports }));
  const query = options.traffic ? (): TickQuery => ({ ...base(), counters: true }) : base;
  const tracker = new TrafficTracker();
  let prev: Socket[] | undefined;
  let tick = 0;
  try {
    while (!signal.aborted) {
      const next = clock.now() + interval;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      // A look already under way when the signal comes is still handed over
      // (the event stream prints what it saw); none is started after it.
      const q = query();
      const { snapshot, stats, counters } = await source.tick(q);
      let sockets = matchFilter ? snapshot.sockets.filter((s) => matches(matchFilter, s)) : snapshot.sockets;
      // Kept every one (the kernel was asked for what the filter wants): the snapshot's own list, the
      // same sockets in the same order, which lets the traffic tracker skip a set of 100k kept ones.
      if (sockets.length === snapshot.sockets.length) sockets = snapshot.sockets;
      const diff = prev === undefined ? undefined : diffSockets(prev, sockets);
      prev = sockets;
      let traffic: TrafficUpdate | undefined;
      if (q.counters) {
        traffic = tracker.update(snapshot.takenAt, sockets, counters ? { c: counters, all: snapshot.sockets } : undefined,
          filter ? (s) => matches(filter, s) : undefined);
      }
      else tracker.reset();
      const c = process.cpuUsage(c0);
      yield { snapshot, sockets, diff, traffic, stats: { tick: ++tick, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, source: stats } };
      if (signal.aborted || clock.now() >= stopAt) break;
      await clock.sleep(Math.min(next, stopAt) - clock.now(), signal);
      if (clock.now() >= stopAt) break;
    }
  } finally {
    owned?.close?.();
  }
}

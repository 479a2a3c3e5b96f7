// What the web server knows between ticks, fed by the library's watch() (one
// WatchUpdate per look): every socket with a stable id and the time it was
// first seen, the last ten minutes of per-tick counts, and "views" — one per
// (filter text, time range) a page asks for — each holding its members, its
// map aggregate and its rows sorted by the keys asked for.
//
// Everything is kept up to date from the diff, not rebuilt: a tick costs what
// changed (plus one linear merge per kept sort order when members changed), so
// a 100k-socket machine with a few changes per second stays cheap.
import { tupleKey } from '../model/diff.js';
import type { Socket, SocketState } from '../model/socket.js';
import { SOCKET_STATES } from '../model/socket.js';
import { parseAddress } from '../model/address.js';
import { SORT_KEYS, sortSockets, type SortKey } from '../model/sort.js';
import { matchesText, parseFilterText, type TextFilter } from '../views/tui/filter-text.js';
import type { WatchUpdate } from '../watch.js';
import { contribute, frameDelta, otherNetns, MapAggregate, type Contribution, type MapContext, type MapDelta, type MapFrame, type MapLimits, DEFAULT_MAP_LIMITS } from './map.js';

/** One socket as the server tracks it across ticks. */
export interface Entry {
  /** Stable for the socket's life (across ticks, state changes and accept). */
  id: number;
  socket: Socket;
  /** Milliseconds since the epoch: the look that first saw it (the first look's time for sockets already there). */
  firstSeen: number;
  contrib: Contribution;
  alive: boolean;
  /** Tick in which it changed (its sort position may have moved). */
  touched: number;
  /**
   * During a tick in which it changed: the socket it had before, which is
   * where the sorted orders still have it (cleared when the tick is settled).
   */
  sortedAs?: Socket;
}

/** One point of the timeline. */
export interface HistoryPoint {
  t: number;
  opened: number;
  closed: number;
  byState: Partial<Record<SocketState, number>>;
}

export interface ViewSpec {
  filter: string;
  from?: number;
  to?: number;
}

const HISTORY_MS = 10 * 60 * 1000;
/** Views kept without a stream holding them. */
const MAX_IDLE_VIEWS = 8;
/** Sort orders kept up to date per view (the most recently asked). */
const MAX_SORTS = 3;

const STATE_ORDER: Record<SocketState, number> = {
  LISTEN: 0, UNCONN: 1, SYN_SENT: 2, SYN_RECV: 3, ESTABLISHED: 4, FIN_WAIT1: 5, FIN_WAIT2: 6,
  CLOSE_WAIT: 7, CLOSING: 8, LAST_ACK: 9, TIME_WAIT: 10, CLOSE: 11,
};

// Addresses in numeric order (IPv4 before IPv6), as sortSockets orders them: a sortable text per address, cached.
const addrKeys = new Map<string, string>();
function addrKey(a: string): string {
  let k = addrKeys.get(a);
  if (k === undefined) {
    if (addrKeys.size > 200_000) addrKeys.clear();
    const b = parseAddress(a);
    k = b ? (b.length === 4 ? '4' : '6') + Buffer.from(b).toString('hex') : 'z' + a;
    addrKeys.set(a, k);
  }
  return k;
}
const cmpText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const protoRank = (s: Socket): number => (s.protocol === 'tcp' ? 0 : 2) + (s.family === 'ipv6' ? 1 : 0);
const pidOf = (s: Socket): number => s.holders[0]?.pid ?? Number.MAX_SAFE_INTEGER;

/** The CLI's orderings (src/model/sort.ts) as a comparator of entries, ties broken the same way, then by id. */
export function comparator(key: SortKey): (a: Entry, b: Entry) => number {
  const c = socketComparator(key);
  return (a, b) => c(a.socket, a.id, b.socket, b.id);
}

/** The same order over the sockets entries had when they were sorted (a changed one's before this tick). */
function sortedAsComparator(key: SortKey): (a: Entry, b: Entry) => number {
  const c = socketComparator(key);
  return (a, b) => c(a.sortedAs ?? a.socket, a.id, b.sortedAs ?? b.socket, b.id);
}

function socketComparator(key: SortKey): (x: Socket, xid: number, y: Socket, yid: number) => number {
  const primary = (x: Socket, y: Socket): number => {
    switch (key) {
      case 'proto': return protoRank(x) - protoRank(y);
      case 'local': return cmpText(addrKey(x.localAddress), addrKey(y.localAddress)) || x.localPort - y.localPort;
      case 'remote': return cmpText(addrKey(x.remoteAddress), addrKey(y.remoteAddress)) || x.remotePort - y.remotePort;
      case 'state': return STATE_ORDER[x.state] - STATE_ORDER[y.state];
      case 'recvq': return y.recvQ - x.recvQ;
      case 'sendq': return y.sendQ - x.sendQ;
      case 'port': return x.localPort - y.localPort;
      case 'rport': return x.remotePort - y.remotePort;
      case 'pid': return pidOf(x) - pidOf(y);
      case 'process': return cmpText(x.holders[0]?.name ?? '\uffff', y.holders[0]?.name ?? '\uffff') || pidOf(x) - pidOf(y);
      case 'inode': return x.inode - y.inode;
    }
  };
  return (x, xid, y, yid) =>
    primary(x, y) || protoRank(x) - protoRank(y) || x.localPort - y.localPort ||
      cmpText(addrKey(x.localAddress), addrKey(y.localAddress)) || cmpText(addrKey(x.remoteAddress), addrKey(y.remoteAddress)) ||
      x.remotePort - y.remotePort || xid - yid;
}

/**
 * `arr` without the entries of `leaving`, found by binary search (each is
 * where its sortedAs socket sorts), removed in one pass from the first of
 * them. Undefined when one is not where it should be (the caller then filters).
 */
function without(arr: Entry[], leaving: ReadonlySet<Entry>, cmp: (a: Entry, b: Entry) => number): Entry[] | undefined {
  const at: number[] = [];
  for (const e of leaving) {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(arr[mid]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (arr[lo] !== e) return undefined;
    at.push(lo);
  }
  if (!at.length) return arr;
  at.sort((a, b) => a - b);
  let w = at[0]!;
  let k = 0;
  for (let r = at[0]!; r < arr.length; r++) {
    if (k < at.length && r === at[k]) {
      k++;
      continue;
    }
    arr[w++] = arr[r]!;
  }
  arr.length = w;
  return arr;
}

/**
 * Merge `b` (few, sorted) into `a` (many, sorted by `cmp`), in place: each of
 * b's entries finds its place by binary search, then the rows after the first
 * place move up from the back. A tick with k changes among n rows costs
 * k log n comparisons (each may read addresses through a map) and no new
 * array of n (whose garbage the collector would pay for at every tick).
 */
export function merge(a: Entry[], b: readonly Entry[], cmp: (x: Entry, y: Entry) => number): Entry[] {
  if (!b.length) return a;
  const n = a.length;
  const at = new Array<number>(b.length);
  let from = 0;
  for (let j = 0; j < b.length; j++) {
    // First index in a[from..] whose entry sorts after b[j] (ties: a's entry first).
    let lo = from;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(a[mid]!, b[j]!) <= 0) lo = mid + 1;
      else hi = mid;
    }
    at[j] = lo;
    from = lo;
  }
  for (let j = 0; j < b.length; j++) a.push(b[j]!);
  let w = n + b.length - 1;
  let r = n - 1;
  for (let j = b.length - 1; j >= 0; j--) {
    while (r >= at[j]!) a[w--] = a[r--]!;
    a[w--] = b[j]!;
  }
  return a;
}

/**
 * Entries in the order of comparator(key), built with the CLI's sort
 * (sortSockets: keys computed once, numbers compared), which is several times
 * faster on 100k rows than a comparator that looks addresses up at every
 * comparison. Its last tie-break is the input order: given by id, as comparator's is.
 */
export function sortEntries(entries: Entry[], key: SortKey): Entry[] {
  entries.sort((a, b) => a.id - b.id);
  const of = new Map<Socket, Entry>();
  for (const e of entries) of.set(e.socket, e);
  return sortSockets(entries.map((e) => e.socket), key).map((s) => of.get(s)!);
}

/** The sockets one page asks for (filter text and time brush), with their map and sorted rows. */
export class View {
  readonly members = new Set<Entry>();
  readonly map = new MapAggregate();
  /** Changes whenever the filtered rows change (membership or a member's shown fields). */
  version = 0;
  /** Streams holding the view. */
  holders = 0;
  lastUsed = Date.now();
  private readonly sorted = new Map<SortKey, Entry[]>();
  private sortUse = new Map<SortKey, number>();
  // This tick's work: entries that left their place in the sorted orders (closed, left the view,
  // changed and so maybe sorting elsewhere), and those to merge in.
  private leaving = new Set<Entry>();
  private inserted: Entry[] = [];
  private changedRows = false;
  /** The latest frame and the tick it was made for (shared by every stream of the view). */
  frame?: MapFrame;
  frameTick = -1;
  /** Frames made so far; `delta` turns frame frameSeq-1 into frame frameSeq. */
  frameSeq = 0;
  delta?: MapDelta;

  constructor(readonly key: string, readonly text: TextFilter | undefined, readonly from: number | undefined, readonly to: number | undefined) {}

  passes(e: Entry): boolean {
    if (this.from !== undefined && e.firstSeen < this.from) return false;
    if (this.to !== undefined && e.firstSeen > this.to) return false;
    return this.text === undefined || matchesText(this.text, e.socket);
  }

  /** A socket left (closed, or changed out of the view). */
  leave(e: Entry, contrib: Contribution): void {
    if (!this.members.delete(e)) return;
    this.map.add(contrib, -1);
    this.leaving.add(e);
    this.changedRows = true;
  }

  /** A socket came in (opened, or changed into the view). */
  enter(e: Entry): void {
    if (!this.passes(e)) return;
    this.members.add(e);
    this.map.add(e.contrib, 1);
    this.inserted.push(e);
    this.changedRows = true;
  }

  /** A member's row changed where a page can see it (state, queues, holders). */
  touch(e: Entry): void {
    this.changedRows = true;
    this.leaving.add(e);
    this.inserted.push(e);
  }

  /** Re-count a member whose contribution changed without a change of its own. */
  recontribute(before: Contribution, e: Entry): void {
    if (!this.members.has(e)) return;
    this.map.add(before, -1);
    this.map.add(e.contrib, 1);
  }

  /** End of a tick: the kept sort orders take the tick's changes (one merge each). */
  settle(): void {
    if (this.changedRows) this.version++;
    if (this.leaving.size || this.inserted.length) {
      const fresh = [...new Set(this.inserted.filter((e) => e.alive && this.members.has(e)))];
      const leaving = this.leaving;
      for (const [key, arr] of this.sorted) {
        const cmp = comparator(key);
        // The leavers found by binary search and cut out, then one merge: k log n comparisons.
        const kept = leaving.size ? without(arr, leaving, sortedAsComparator(key)) ?? arr.filter((e) => !leaving.has(e)) : arr;
        // Each order sorts its own copy of the newcomers (one array shared by two orders would be re-sorted under the other).
        this.sorted.set(key, merge(kept, [...fresh].sort(cmp), cmp));
      }
    }
    this.leaving = new Set();
    this.inserted = [];
    this.changedRows = false;
  }

  /** The members in one order (built on first use, then kept up to date at every tick). */
  rows(key: SortKey): Entry[] {
    this.lastUsed = Date.now();
    this.sortUse.set(key, Date.now());
    let arr = this.sorted.get(key);
    if (!arr) {
      arr = sortEntries([...this.members], key);
      this.sorted.set(key, arr);
      if (this.sorted.size > MAX_SORTS) {
        const oldest = [...this.sortUse].filter(([k]) => k !== key).sort((a, b) => a[1] - b[1])[0];
        if (oldest) {
          this.sorted.delete(oldest[0]);
          this.sortUse.delete(oldest[0]);
        }
      }
    }
    return arr;
  }
}

/** The server's picture of the machine, updated by apply() at every look. */
export class WebState {
  /** Entries by the socket object of the latest look. */
  private readonly bySocket = new Map<Socket, Entry>();
  private readonly byId = new Map<number, Entry>();
  private readonly views = new Map<string, View>();
  /** TCP listeners by namespace and port ('' or inode, ':', port): connections on those ports came in through a door. */
  private readonly listeners = new Map<string, number>();
  private nextId = 1;
  tick = 0;
  takenAt = 0;
  /** Time of the first look: sockets first seen then were already there when the server started. */
  startedAt = 0;
  readonly byState = new Map<SocketState, number>();
  readonly history: HistoryPoint[] = [];
  /** The latest look's sockets (for explanations and the actions' checks). */
  sockets: readonly Socket[] = [];
  /** What the latest apply() cost (ms, performance clock). */
  lastApplyMs = 0;
  private readonly ctx: MapContext;

  constructor(ephemeral?: readonly [number, number], readonly limits: MapLimits = DEFAULT_MAP_LIMITS, ownNetns?: number) {
    this.ctx = { tcpListening: (p, ns) => (this.listeners.get(`${ns ?? ''}:${p}`) ?? 0) > 0, ephemeral, ownNetns };
  }

  get size(): number {
    return this.bySocket.size;
  }

  entry(id: number): Entry | undefined {
    return this.byId.get(id);
  }

  /** Every entry (unordered). */
  entries(): IterableIterator<Entry> {
    return this.byId.values();
  }

  /**
   * The view for a filter text and time range, made (one pass over the
   * sockets) when no page asked for it yet. Throws FilterTextError on a bad filter.
   */
  view(spec: ViewSpec): View {
    const text = spec.filter.trim();
    const key = `${text}\u0000${spec.from ?? ''}\u0000${spec.to ?? ''}`;
    let v = this.views.get(key);
    if (v) {
      v.lastUsed = Date.now();
      return v;
    }
    v = new View(key, text === '' ? undefined : parseFilterText(text), spec.from, spec.to);
    for (const e of this.byId.values()) v.enter(e);
    v.settle();
    v.version = 1;
    this.views.set(key, v);
    this.evict();
    return v;
  }

  private evict(): void {
    const idle = [...this.views.values()].filter((v) => v.holders === 0 && v.key !== this.defaultKey);
    if (idle.length <= MAX_IDLE_VIEWS) return;
    idle.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const v of idle.slice(0, idle.length - MAX_IDLE_VIEWS)) this.views.delete(v.key);
  }

  private readonly defaultKey = '\u0000\u0000';

  private listenerKey(s: Socket): string {
    return `${otherNetns(s, this.ctx)?.inode ?? ''}:${s.localPort}`;
  }

  private listenerDelta(s: Socket, d: 1 | -1, flipped: Set<string>): void {
    if (s.protocol !== 'tcp' || s.state !== 'LISTEN') return;
    const key = this.listenerKey(s);
    const before = this.listeners.get(key) ?? 0;
    const after = before + d;
    if (after <= 0) this.listeners.delete(key);
    else this.listeners.set(key, after);
    if ((before > 0) !== (after > 0)) flipped.add(key);
  }

  private countState(st: SocketState, d: number): void {
    const n = (this.byState.get(st) ?? 0) + d;
    if (n <= 0) this.byState.delete(st);
    else this.byState.set(st, n);
  }

  /** Take one look's update. Returns the numbers of the tick. */
  apply(u: WatchUpdate): HistoryPoint {
    const t0 = performance.now();
    const tick = ++this.tick;
    const now = u.snapshot.takenAt;
    this.takenAt = now;
    this.sockets = u.sockets;
    const views = [...this.views.values()];
    const flipped = new Set<string>();
    const changedNow: Entry[] = [];
    let opened: readonly Socket[];
    let closed: readonly Socket[] = [];
    if (u.diff === undefined) {
      // The first look (or a restart of the loop): everything is new.
      for (const e of this.byId.values()) e.alive = false;
      this.bySocket.clear();
      this.byId.clear();
      this.listeners.clear();
      this.byState.clear();
      for (const v of this.views.values()) {
        for (const e of [...v.members]) v.leave(e, e.contrib);
      }
      opened = u.sockets;
      this.startedAt = now;
      for (const s of opened) this.listenerDelta(s, 1, flipped);
      flipped.clear();
    } else {
      const d = u.diff;
      opened = d.opened;
      closed = d.closed;
      for (const s of d.closed) this.listenerDelta(s, -1, flipped);
      for (const s of d.opened) this.listenerDelta(s, 1, flipped);
      for (const c of d.changed) {
        this.listenerDelta(c.before, -1, flipped);
        this.listenerDelta(c.after, 1, flipped);
      }
      for (const s of d.closed) {
        const e = this.bySocket.get(s);
        if (!e) continue;
        this.bySocket.delete(s);
        this.byId.delete(e.id);
        e.alive = false;
        this.countState(s.state, -1);
        for (const v of views) v.leave(e, e.contrib);
      }
      for (const c of d.changed) {
        const e = this.bySocket.get(c.before);
        if (!e) continue;
        this.bySocket.delete(c.before);
        this.bySocket.set(c.after, e);
        this.countState(c.before.state, -1);
        this.countState(c.after.state, 1);
        const before = e.contrib;
        const wasIn = views.map((v) => v.members.has(e));
        e.sortedAs ??= c.before;
        changedNow.push(e);
        e.socket = c.after;
        e.contrib = contribute(c.after, this.ctx);
        e.touched = tick;
        views.forEach((v, i) => {
          const inNow = v.passes(e);
          if (wasIn[i] && inNow) {
            v.map.add(before, -1);
            v.map.add(e.contrib, 1);
            v.touch(e);
          } else if (wasIn[i]) {
            v.leave(e, before);
          } else if (inNow) {
            v.enter(e);
          }
        });
      }
      for (const r of d.replaced ?? []) {
        const e = this.bySocket.get(r.before);
        if (!e) continue;
        this.bySocket.delete(r.before);
        this.bySocket.set(r.after, e);
        e.socket = r.after;
      }
      if (flipped.size) {
        // A listener came or went: connections on its port change sides (inbound through a door, or outbound).
        for (const e of this.byId.values()) {
          const s = e.socket;
          if (s.protocol !== 'tcp' || s.state === 'LISTEN' || !flipped.has(this.listenerKey(s))) continue;
          const before = e.contrib;
          e.contrib = contribute(s, this.ctx);
          for (const v of views) v.recontribute(before, e);
        }
      }
    }
    for (const s of opened) {
      const e: Entry = { id: this.nextId++, socket: s, firstSeen: now, contrib: contribute(s, this.ctx), alive: true, touched: tick };
      this.bySocket.set(s, e);
      this.byId.set(e.id, e);
      this.countState(s.state, 1);
      for (const v of views) v.enter(e);
    }
    for (const v of views) v.settle();
    for (const e of changedNow) e.sortedAs = undefined;
    const point: HistoryPoint = {
      t: now, opened: u.diff === undefined ? 0 : opened.length, closed: closed.length, byState: this.stateCounts(),
    };
    this.history.push(point);
    while (this.history.length && this.history[0]!.t < now - HISTORY_MS) this.history.shift();
    this.lastApplyMs = performance.now() - t0;
    return point;
  }

  stateCounts(): Partial<Record<SocketState, number>> {
    const out: Partial<Record<SocketState, number>> = {};
    for (const st of SOCKET_STATES) {
      const n = this.byState.get(st);
      if (n) out[st] = n;
    }
    return out;
  }

  /** The view's frame for this tick (made once, shared by every stream of the view). */
  frameOf(v: View): MapFrame {
    if (!v.frame || (v.map.dirty && v.frameTick !== this.tick)) {
      const prev = v.frame;
      v.frame = v.map.frame(this.limits);
      v.delta = prev ? frameDelta(prev, v.frame) : undefined;
      v.frameSeq++;
      v.frameTick = this.tick;
    }
    return v.frame;
  }

  /** Forget views nobody holds or asked for lately. */
  releaseView(v: View): void {
    v.holders = Math.max(0, v.holders - 1);
    this.evict();
  }
}

export { SORT_KEYS, tupleKey };

// The live view's state, apart from drawing (as bandwhich keeps it): what is
// shown, how it is sorted and filtered, what is highlighted and until when,
// what the user is being asked. Pure: time comes in as `now`, snapshots and
// diffs come in from the caller, effects (kill, close, quit) go out as values.
import { bindScope, parseAddress, type BindScope } from '../../model/address.js';
import type { SnapshotDiff } from '../../model/diff.js';
import { socketKey } from '../../model/diff.js';
import { isListening, matchesTable, type Filter } from '../../model/filter.js';
import type { Snapshot } from '../../model/snapshot.js';
import type { Protocol, Socket, SocketState } from '../../model/socket.js';
import { SOCKET_STATES } from '../../model/socket.js';
import { SORT_KEYS, sortSockets, type SortKey } from '../../model/sort.js';
import { matchesText, parseFilterText, type TextFilter } from './filter-text.js';
import type { SocketTraffic, TrafficUpdate } from '../../traffic.js';

export type ViewName = 'sockets' | 'processes' | 'listeners' | 'traffic';
export const VIEWS: readonly ViewName[] = ['sockets', 'processes', 'listeners', 'traffic'];
export type Mark = 'new' | 'changed' | 'closed';

export const PROCESS_SORT_KEYS = ['pid', 'process', 'user', 'sockets', 'listening', 'recvq', 'sendq', 'acceptq'] as const;
export const LISTENER_SORT_KEYS = ['port', 'proto', 'local', 'fill', 'recvq', 'process'] as const;
/** Traffic view: rate = send + receive rate; total = bytes both ways since the view began counting. */
export const TRAFFIC_SORT_KEYS = ['rate', 'send', 'recv', 'total', 'process', 'pid'] as const;

/** How long a change stays coloured, and a closed socket stays on screen (ms). */
export const MARK_MS = 3000;
/** At most this many highlights and closed rows kept (memory stays bounded under churn). */
const MAX_MARKS = 20_000;
const MAX_GHOSTS = 2_000;
const RATE_WINDOW_MS = 5000;

export interface Toggles {
  tcp: boolean;
  udp: boolean;
  listening: boolean;
  all: boolean;
}

/** A process `k` may signal, as it was seen when its fds were read. */
export interface KillTarget {
  pid: number;
  name: string;
  /** Start time then: a pid whose start time differs now is another process and is never signalled. */
  startTicks?: number;
}

export interface KillPending {
  kind: 'kill';
  targets: KillTarget[];
  signal: 'SIGTERM' | 'SIGKILL';
  /** The socket the user pressed `k` on (to say afterwards whether it is still held). */
  socket?: Socket;
}

export interface DestroyPending {
  kind: 'destroy';
  socket: Socket;
  /** The kernel's cookie of the socket on screen: the only socket SOCK_DESTROY may hit. */
  cookie?: [number, number];
}

export type Pending = KillPending | DestroyPending;

export type Mode =
  | { kind: 'normal' }
  | { kind: 'filter'; text: string }
  | { kind: 'help' }
  /** Several processes hold the socket: which one, or all (`at` = holders.length means all). */
  | { kind: 'choose'; socket: Socket; holders: KillTarget[]; at: number }
  /** `shown` is set when the question has been drawn: a `y` read before that is not an answer. */
  | { kind: 'confirm'; pending: Pending; shown?: boolean };

/** Something the caller must do; the state never touches the OS. */
export type Effect =
  | { kind: 'quit' }
  | KillPending
  | DestroyPending
  | { kind: 'recollect' }
  /** Look again now, without starting highlights afresh (the Traffic view wants its first counters). */
  | { kind: 'refresh' };

export interface Status {
  /** Already translated. */
  text: string;
  tone: 'info' | 'error' | 'ok';
  until: number;
}

export interface ProcessRow {
  pid: number;
  name: string;
  user: string;
  command: string;
  sockets: number;
  listening: string[];
  states: Partial<Record<SocketState, number>>;
  /** Bytes waiting in the process's sockets other than listeners (a listener's Recv-Q counts connections). */
  recvQ: number;
  sendQ: number;
  /** Connections waiting in the accept queues of its TCP listeners: a count of connections, not bytes. */
  acceptQ: number;
}

/** A process in the Traffic view: the sums of the connections shown (after the filter). */
export interface TrafficProcessRow {
  pid: number;
  name: string;
  /** Container name (or short id) or systemd unit, when the holder names one. */
  group?: string;
  sockets: number;
  sendRate: number;
  recvRate: number;
  sent: number;
  received: number;
}

export interface TrafficRows {
  of: TrafficUpdate;
  connections: SocketTraffic[];
  processes: TrafficProcessRow[];
  /** UDP, which has no byte counters: how many sockets, bytes queued now, datagrams dropped since counting began. */
  udp: { n: number; queued: number; drops: number };
  /** Sums of the connections shown, when the toggles or `/` filter them (the update's totals are of every socket). */
  shown?: { sendRate: number; recvRate: number; sent: number; received: number };
}

export interface ListenerRow {
  socket: Socket;
  scope: BindScope;
  /** recvQ / backlog, 0..1 (undefined when the backlog is unknown, or UDP). */
  fill?: number;
}

export interface TuiState {
  view: ViewName;
  sort: Record<ViewName, string>;
  descending: Record<ViewName, boolean>;
  toggles: Toggles;
  text?: TextFilter;
  paused: boolean;
  detail: boolean;
  mode: Mode;
  status?: Status;
  selected: Record<ViewName, number>;
  /** Key of the selected socket, so the selection follows it when rows move. */
  selectedKey?: string;
  scroll: Record<ViewName, number>;
  /** Rows in the body on the last draw (for paging). */
  pageRows: number;
  snapshot?: Snapshot;
  marks: Map<string, { mark: Mark; until: number }>;
  ghosts: Map<string, { socket: Socket; until: number }>;
  rates: { at: number; opened: number; closed: number }[];
  cost?: { wallMs: number; cpuMs: number };
  counts: Partial<Record<SocketState, number>>;
  /** Every socket and ghost, sorted by the sockets view's key. */
  order: Socket[];
  orderValid: boolean;
  /** order filtered by toggles and text (order itself when nothing filters). */
  visible: Socket[];
  visibleValid: boolean;
  processRows?: ProcessRow[];
  listenerRows?: ListenerRow[];
  /** The latest look's traffic, while the Traffic view is shown (undefined until its counters come). */
  traffic?: TrafficUpdate;
  trafficRows?: TrafficRows;
  /** State counts of the visible rows, for the header (cached per visible list). */
  shownCounts?: { of: Socket[]; ghosts: number; counts: Partial<Record<SocketState, number>>; n: number };
  /** Skip highlights on the next snapshot (the collection itself changed). */
  baseline: boolean;
}

export function initialState(opts: { toggles?: Partial<Toggles>; sort?: SortKey; text?: string } = {}): TuiState {
  return {
    view: 'sockets',
    sort: { sockets: opts.sort ?? 'local', processes: 'sockets', listeners: 'port', traffic: 'rate' },
    descending: { sockets: false, processes: true, listeners: false, traffic: true },
    toggles: { tcp: false, udp: false, listening: false, all: false, ...opts.toggles },
    text: opts.text ? parseFilterText(opts.text) : undefined,
    paused: false,
    detail: false,
    mode: { kind: 'normal' },
    selected: { sockets: 0, processes: 0, listeners: 0, traffic: 0 },
    scroll: { sockets: 0, processes: 0, listeners: 0, traffic: 0 },
    pageRows: 20,
    marks: new Map(),
    ghosts: new Map(),
    rates: [],
    counts: {},
    order: [],
    orderValid: false,
    visible: [],
    visibleValid: false,
    baseline: true,
  };
}

/** The toggles as the Filter `list` would build from -t -u -l -a. */
export function togglesFilter(t: Toggles): Filter {
  const f: Filter = {};
  const protocols: Protocol[] = [];
  if (t.tcp) protocols.push('tcp');
  if (t.udp) protocols.push('udp');
  if (protocols.length) f.protocols = protocols;
  if (t.listening) f.listening = true;
  if (t.all) f.all = true;
  return f;
}

/** States the collector should ask the kernel for (TIME_WAIT only with `a`). */
export function collectStates(t: Toggles): SocketState[] | undefined {
  return t.all ? undefined : SOCKET_STATES.filter((s) => s !== 'TIME_WAIT');
}

export function setStatus(st: TuiState, text: string, tone: Status['tone'], now: number, ms = 4000): void {
  st.status = { text, tone, until: now + ms };
}

// ------------------------------------------------------------------ snapshots

/** Take in a new snapshot and what changed since the last one. */
export function applySnapshot(st: TuiState, snap: Snapshot, diff: SnapshotDiff | undefined, now: number,
  cost?: { wallMs: number; cpuMs: number }): void {
  st.snapshot = snap;
  if (cost) st.cost = cost;
  // Expire marks and ghosts.
  const expired: Socket[] = [];
  for (const [k, m] of st.marks) if (m.until <= now) st.marks.delete(k);
  for (const [k, g] of st.ghosts) {
    if (g.until <= now) {
      st.ghosts.delete(k);
      expired.push(g.socket);
    }
  }
  const counts: Partial<Record<SocketState, number>> = {};
  for (const s of snap.sockets) counts[s.state] = (counts[s.state] ?? 0) + 1;
  st.counts = counts;
  st.processRows = undefined;
  st.listenerRows = undefined;
  st.visibleValid = false;
  if (!diff || st.baseline) {
    st.baseline = false;
    st.marks.clear();
    st.ghosts.clear();
    st.orderValid = false;
    st.rates = [];
    rebuildOrder(st);
    return;
  }
  if (diff.replaced) {
    // Same sockets as new objects: the order holds the new ones (in place: nothing
    // that sorts moved), so a socket's row is removed with the object that closes.
    const swap = new Map<Socket, Socket>();
    for (const r of diff.replaced) swap.set(r.before, r.after);
    const order = st.order;
    for (let i = 0; i < order.length; i++) {
      const n = swap.get(order[i]!);
      if (n) order[i] = n;
    }
  }
  st.rates.push({ at: now, opened: diff.opened.length, closed: diff.closed.length });
  while (st.rates.length && st.rates[0]!.at <= now - RATE_WINDOW_MS) st.rates.shift();
  const until = now + MARK_MS;
  const mark = (s: Socket, m: Mark): void => {
    if (st.marks.size >= MAX_MARKS) return;
    st.marks.set(socketKey(s), { mark: m, until });
  };
  for (const s of diff.opened) mark(s, 'new');
  for (const c of diff.changed) {
    const kb = socketKey(c.before);
    const ka = socketKey(c.after);
    if (kb !== ka) st.marks.delete(kb);
    // A socket opened a moment ago stays green when it changes.
    if (st.marks.get(ka)?.mark !== 'new') mark(c.after, 'changed');
  }
  const removed = new Set<Socket>(expired);
  for (const c of diff.changed) removed.add(c.before);
  for (const s of diff.closed) {
    if (st.ghosts.size < MAX_GHOSTS) {
      const k = socketKey(s);
      st.ghosts.set(k, { socket: s, until });
      st.marks.set(k, { mark: 'closed', until });
    } else {
      removed.add(s);
    }
  }
  const inserted = diff.opened.concat(diff.changed.map((c) => c.after));
  // A closed socket's red row whose key (4-tuple, and inode: 0 for a TIME_WAIT) a live
  // socket has now, as when a new connection takes over a TIME_WAIT's 4-tuple: the
  // live row takes its place, else two rows read alike and share one mark.
  if (st.ghosts.size) {
    for (const s of inserted) {
      const k = socketKey(s);
      const g = st.ghosts.get(k);
      if (g && g.socket !== s) {
        st.ghosts.delete(k);
        removed.add(g.socket);
      }
    }
  }
  if (!st.orderValid || inserted.length + removed.size > Math.max(64, st.order.length / 20)) {
    rebuildOrder(st);
  } else if (inserted.length || removed.size) {
    st.order = mergeInto(st.order.filter((s) => !removed.has(s)), inserted, st.sort.sockets as SortKey, st.descending.sockets);
  }
}

function rebuildOrder(st: TuiState): void {
  const all = st.snapshot ? st.snapshot.sockets.slice() : [];
  for (const g of st.ghosts.values()) all.push(g.socket);
  sortSockets(all, st.sort.sockets as SortKey);
  if (st.descending.sockets) all.reverse();
  st.order = all;
  st.orderValid = true;
  st.visibleValid = false;
}

// The comparison sortSockets makes, for merging a few new rows into the order.
const STATE_ORDER: Record<SocketState, number> = {
  LISTEN: 0, UNCONN: 1, SYN_SENT: 2, SYN_RECV: 3, ESTABLISHED: 4, FIN_WAIT1: 5, FIN_WAIT2: 6,
  CLOSE_WAIT: 7, CLOSING: 8, LAST_ACK: 9, TIME_WAIT: 10, CLOSE: 11,
};
const addrKeys = new Map<string, string>();
function addrKey(a: string): string {
  let k = addrKeys.get(a);
  if (k === undefined) {
    const b = parseAddress(a);
    k = b ? (b.length === 4 ? '4' : '6') + Buffer.from(b).toString('hex') : 'z' + a;
    if (addrKeys.size > 50_000) addrKeys.clear();
    addrKeys.set(a, k);
  }
  return k;
}
const cmpText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const protoRank = (s: Socket): number => (s.protocol === 'tcp' ? 0 : 2) + (s.family === 'ipv6' ? 1 : 0);

export function compareSockets(a: Socket, b: Socket, key: SortKey): number {
  const pa = a.holders[0]?.pid ?? Number.MAX_SAFE_INTEGER;
  const pb = b.holders[0]?.pid ?? Number.MAX_SAFE_INTEGER;
  let d = 0;
  switch (key) {
    case 'proto': d = protoRank(a) - protoRank(b); break;
    case 'local': d = cmpText(addrKey(a.localAddress), addrKey(b.localAddress)) || a.localPort - b.localPort; break;
    case 'remote': d = cmpText(addrKey(a.remoteAddress), addrKey(b.remoteAddress)) || a.remotePort - b.remotePort; break;
    case 'state': d = STATE_ORDER[a.state] - STATE_ORDER[b.state]; break;
    case 'recvq': d = b.recvQ - a.recvQ; break;
    case 'sendq': d = b.sendQ - a.sendQ; break;
    case 'port': d = a.localPort - b.localPort; break;
    case 'rport': d = a.remotePort - b.remotePort; break;
    case 'pid': d = pa - pb; break;
    case 'process': d = cmpText(a.holders[0]?.name ?? '\uffff', b.holders[0]?.name ?? '\uffff') || pa - pb; break;
    case 'inode': d = a.inode - b.inode; break;
  }
  return d || protoRank(a) - protoRank(b) || a.localPort - b.localPort ||
    cmpText(addrKey(a.localAddress), addrKey(b.localAddress)) || cmpText(addrKey(a.remoteAddress), addrKey(b.remoteAddress)) ||
    a.remotePort - b.remotePort;
}

/** Merge a few rows into a sorted list: O(n), where re-sorting 100k rows every second would not be. */
export function mergeInto(sorted: Socket[], add: Socket[], key: SortKey, descending: boolean): Socket[] {
  if (!add.length) return sorted;
  const sign = descending ? -1 : 1;
  const ins = add.slice().sort((a, b) => sign * compareSockets(a, b, key));
  const out: Socket[] = new Array(sorted.length + ins.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < sorted.length && j < ins.length) {
    if (sign * compareSockets(sorted[i]!, ins[j]!, key) <= 0) out[o++] = sorted[i++]!;
    else out[o++] = ins[j++]!;
  }
  while (i < sorted.length) out[o++] = sorted[i++]!;
  while (j < ins.length) out[o++] = ins[j++]!;
  return out;
}

// ------------------------------------------------------------------ rows

/** Whether the toggles or the `/` text hide any socket. */
export function filtering(st: TuiState): boolean {
  const t = st.toggles;
  return t.tcp || t.udp || t.listening || st.text !== undefined;
}

/** The sockets view's rows (toggles and text filter applied). */
export function visibleSockets(st: TuiState): Socket[] {
  if (!st.orderValid) rebuildOrder(st);
  if (st.visibleValid) return st.visible;
  if (!filtering(st)) st.visible = st.order;
  else {
    // TIME_WAIT is collected only with `a`: no need to hide it again here.
    const f: Filter = { ...togglesFilter(st.toggles), all: true };
    const tf = st.text;
    st.visible = st.order.filter((s) => matchesTable(f, s) && (!tf || matchesText(tf, s)));
  }
  st.visibleValid = true;
  return st.visible;
}

/** Each holding process with what it holds. */
export function processRows(st: TuiState): ProcessRow[] {
  if (st.processRows) return st.processRows;
  const byPid = new Map<number, ProcessRow>();
  const f: Filter = { ...togglesFilter(st.toggles), all: true };
  for (const s of st.snapshot?.sockets ?? []) {
    if (filtering(st) && (!matchesTable(f, s) || (st.text && !matchesText(st.text, s)))) continue;
    let lastPid = -1;
    for (const h of s.holders) {
      if (h.pid === lastPid) continue; // one socket counts once per process, however many fds
      lastPid = h.pid;
      let r = byPid.get(h.pid);
      if (!r) {
        r = { pid: h.pid, name: h.name ?? '?', user: h.user ?? '', command: h.command ?? '', sockets: 0, listening: [], states: {}, recvQ: 0, sendQ: 0, acceptQ: 0 };
        byPid.set(h.pid, r);
      }
      r.sockets++;
      r.states[s.state] = (r.states[s.state] ?? 0) + 1;
      // A TCP listener's Recv-Q is its accept queue (connections), never added to bytes.
      if (s.protocol === 'tcp' && s.state === 'LISTEN') r.acceptQ += s.recvQ;
      else {
        r.recvQ += s.recvQ;
        r.sendQ += s.sendQ;
      }
      if (isListening(s)) {
        const l = `${s.protocol}/${s.localPort}`;
        if (!r.listening.includes(l)) r.listening.push(l);
      }
    }
  }
  const rows = [...byPid.values()];
  for (const r of rows) r.listening.sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1]) || cmpText(a, b));
  const key = st.sort.processes;
  const sign = st.descending.processes ? -1 : 1;
  rows.sort((a, b) => {
    let d = 0;
    switch (key) {
      case 'pid': d = a.pid - b.pid; break;
      case 'process': d = cmpText(a.name, b.name); break;
      case 'user': d = cmpText(a.user, b.user); break;
      case 'sockets': d = a.sockets - b.sockets; break;
      case 'listening': d = a.listening.length - b.listening.length; break;
      case 'recvq': d = a.recvQ - b.recvQ; break;
      case 'sendq': d = a.sendQ - b.sendQ; break;
      case 'acceptq': d = a.acceptQ - b.acceptQ; break;
    }
    return sign * d || a.pid - b.pid;
  });
  st.processRows = rows;
  return rows;
}

/** Every listener (TCP LISTEN, unconnected UDP) with its bind scope and accept-queue fill. */
export function listenerRows(st: TuiState): ListenerRow[] {
  if (st.listenerRows) return st.listenerRows;
  const f: Filter = { ...togglesFilter(st.toggles), all: true };
  const rows: ListenerRow[] = [];
  for (const s of st.snapshot?.sockets ?? []) {
    if (!isListening(s)) continue;
    if (filtering(st) && (!matchesTable(f, s) || (st.text && !matchesText(st.text, s)))) continue;
    rows.push({ socket: s, scope: bindScope([s.localAddress], s.v6only), fill: s.backlog ? s.recvQ / s.backlog : undefined });
  }
  const key = st.sort.listeners;
  const sign = st.descending.listeners ? -1 : 1;
  rows.sort((a, b) => {
    const x = a.socket;
    const y = b.socket;
    let d = 0;
    switch (key) {
      case 'port': d = x.localPort - y.localPort; break;
      case 'proto': d = protoRank(x) - protoRank(y); break;
      case 'local': d = cmpText(addrKey(x.localAddress), addrKey(y.localAddress)); break;
      case 'fill': d = (a.fill ?? -1) - (b.fill ?? -1); break;
      case 'recvq': d = x.recvQ - y.recvQ; break;
      case 'process': d = cmpText(x.holders[0]?.name ?? '\uffff', y.holders[0]?.name ?? '\uffff'); break;
    }
    return sign * d || x.localPort - y.localPort || protoRank(x) - protoRank(y) || cmpText(addrKey(x.localAddress), addrKey(y.localAddress));
  });
  st.listenerRows = rows;
  return rows;
}

/** Take in a look's traffic (undefined when the look had no counters). */
export function applyTraffic(st: TuiState, traffic: TrafficUpdate | undefined): void {
  st.traffic = traffic;
  st.trafficRows = undefined;
}

const trafficCmp = (key: string, a: { sendRate: number; recvRate: number; sent: number; received: number }, b: typeof a): number => {
  switch (key) {
    case 'send': return a.sendRate - b.sendRate;
    case 'recv': return a.recvRate - b.recvRate;
    case 'total': return a.sent + a.received - (b.sent + b.received);
    default: return a.sendRate + a.recvRate - (b.sendRate + b.recvRate);
  }
};

/** The Traffic view's connections and processes, filtered (toggles, `/`) and sorted by its key. */
export function trafficRows(st: TuiState): TrafficRows | undefined {
  const t = st.traffic;
  if (!t) return undefined;
  if (st.trafficRows?.of === t) return st.trafficRows;
  const f: Filter = { ...togglesFilter(st.toggles), all: true };
  const connections = filtering(st) ? t.sockets.filter((x) => matchesTable(f, x.socket) && (!st.text || matchesText(st.text, x.socket))) : t.sockets.slice();
  const byPid = new Map<number, TrafficProcessRow>();
  for (const x of connections) {
    if (x.socket.protocol !== 'tcp') continue;
    // Each process once per connection, however many fds it holds it by.
    const seen = new Set<number>();
    for (const h of x.socket.holders) {
      if (seen.has(h.pid)) continue;
      seen.add(h.pid);
      let r = byPid.get(h.pid);
      if (!r) {
        r = { pid: h.pid, name: h.name ?? '?', sockets: 0, sendRate: 0, recvRate: 0, sent: 0, received: 0 };
        const g = h.container ? h.container.name ?? h.container.id.slice(0, 12) : h.unit;
        if (g !== undefined) r.group = g;
        byPid.set(h.pid, r);
      }
      r.sockets++;
      r.sendRate += x.sendRate;
      r.recvRate += x.recvRate;
      r.sent += x.sent;
      r.received += x.received;
    }
  }
  const key = st.sort.traffic;
  const sign = st.descending.traffic ? -1 : 1;
  const pidOf = (x: SocketTraffic): number => x.socket.holders[0]?.pid ?? Number.MAX_SAFE_INTEGER;
  const nameOf = (x: SocketTraffic): string => x.socket.holders[0]?.name ?? '\uffff';
  connections.sort((a, b) => {
    const d = key === 'pid' ? pidOf(a) - pidOf(b) : key === 'process' ? cmpText(nameOf(a), nameOf(b)) : trafficCmp(key, a, b);
    return sign * d || compareSockets(a.socket, b.socket, 'local');
  });
  const processes = [...byPid.values()].sort((a, b) => {
    const d = key === 'pid' ? a.pid - b.pid : key === 'process' ? cmpText(a.name, b.name) : trafficCmp(key, a, b);
    return sign * d || a.pid - b.pid;
  });
  const udp = { n: 0, queued: 0, drops: 0 };
  for (const s of st.snapshot?.sockets ?? []) {
    if (s.protocol !== 'udp' || (filtering(st) && (!matchesTable(f, s) || (st.text && !matchesText(st.text, s))))) continue;
    udp.n++;
    udp.queued += s.recvQ + s.sendQ;
  }
  for (const x of connections) if (x.drops !== undefined) udp.drops += x.drops;
  // UDP rows carry drops only: they stay out of the connections by rate.
  const tcp = connections.filter((x) => x.socket.protocol === 'tcp');
  st.trafficRows = { of: t, connections: tcp, processes, udp };
  if (filtering(st)) {
    const shown = { sendRate: 0, recvRate: 0, sent: 0, received: 0 };
    for (const x of tcp) { shown.sendRate += x.sendRate; shown.recvRate += x.recvRate; shown.sent += x.sent; shown.received += x.received; }
    st.trafficRows.shown = shown;
  }
  return st.trafficRows;
}

export function rowCount(st: TuiState): number {
  if (st.view === 'traffic') return trafficRows(st)?.connections.length ?? 0;
  return st.view === 'sockets' ? visibleSockets(st).length : st.view === 'processes' ? processRows(st).length : listenerRows(st).length;
}

/** The socket under the cursor (sockets and listeners views). */
export function selectedSocket(st: TuiState): Socket | undefined {
  if (st.view === 'sockets') return visibleSockets(st)[st.selected.sockets];
  if (st.view === 'listeners') return listenerRows(st)[st.selected.listeners]?.socket;
  if (st.view === 'traffic') return trafficRows(st)?.connections[st.selected.traffic]?.socket;
  return undefined;
}

/** The highlight of a socket right now, if any. */
export function markOf(st: TuiState, s: Socket, now: number): Mark | undefined {
  if (!st.marks.size) return undefined;
  const m = st.marks.get(socketKey(s));
  return m && m.until > now ? m.mark : undefined;
}

/** Opened and closed sockets per second over the last few seconds. */
export function rates(st: TuiState, now: number): { opened: number; closed: number } {
  const recent = st.rates.filter((r) => r.at > now - RATE_WINDOW_MS);
  if (!recent.length) return { opened: 0, closed: 0 };
  const span = Math.max(1, (now - Math.min(...recent.map((r) => r.at))) / 1000 + 1);
  return {
    opened: recent.reduce((a, r) => a + r.opened, 0) / span,
    closed: recent.reduce((a, r) => a + r.closed, 0) / span,
  };
}

/** Keep the cursor on the same socket after the rows moved; clamp and scroll. */
export function settleSelection(st: TuiState): void {
  const n = rowCount(st);
  const v = st.view;
  if (v === 'sockets' && st.selectedKey !== undefined) {
    const rows = visibleSockets(st);
    const cur = rows[st.selected.sockets];
    if (!cur || socketKey(cur) !== st.selectedKey) {
      // Look near the old place first (cheap), then everywhere.
      const from = Math.max(0, st.selected.sockets - 200);
      let at = -1;
      for (let i = from; i < Math.min(rows.length, st.selected.sockets + 200); i++) if (socketKey(rows[i]!) === st.selectedKey) { at = i; break; }
      if (at >= 0) st.selected.sockets = at;
    }
  }
  st.selected[v] = Math.max(0, Math.min(st.selected[v], n - 1));
  const page = Math.max(1, st.pageRows);
  if (st.selected[v] < st.scroll[v]) st.scroll[v] = st.selected[v];
  if (st.selected[v] >= st.scroll[v] + page) st.scroll[v] = st.selected[v] - page + 1;
  st.scroll[v] = Math.max(0, Math.min(st.scroll[v], Math.max(0, n - page)));
  if (v === 'sockets') {
    const s = visibleSockets(st)[st.selected.sockets];
    st.selectedKey = s ? socketKey(s) : undefined;
  }
}

export function sortKeysOf(view: ViewName): readonly string[] {
  return view === 'sockets' ? SORT_KEYS : view === 'processes' ? PROCESS_SORT_KEYS : view === 'traffic' ? TRAFFIC_SORT_KEYS : LISTENER_SORT_KEYS;
}

/** After the sort key or direction changed. */
export function resort(st: TuiState): void {
  if (st.view === 'sockets') {
    st.orderValid = false;
    st.visibleValid = false;
  }
  st.processRows = undefined;
  st.listenerRows = undefined;
  st.trafficRows = undefined;
}

/** After a toggle or the text filter changed. */
export function refilter(st: TuiState): void {
  st.visibleValid = false;
  st.processRows = undefined;
  st.listenerRows = undefined;
  st.trafficRows = undefined;
}

/** Whether the pid still is the process we saw: same start time. Pure, for the `k` key. */
export function sameProcess(expectedStart: number | undefined, current: { startTicks?: number } | undefined):
  'same' | 'gone' | 'reused' | 'unknown' {
  if (!current) return 'gone';
  if (expectedStart === undefined || current.startTicks === undefined) return 'unknown';
  return current.startTicks === expectedStart ? 'same' : 'reused';
}

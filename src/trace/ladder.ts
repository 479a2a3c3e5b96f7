// From captured headers to a ladder: each TCP connection's sequence numbers
// made relative to its start, each segment marked when it is a retransmission,
// a zero window, a window probe or a reset; the socket states sockscope's
// collector saw, as changes between its looks; and the two merged by time into
// rows of text, one column per endpoint. Pure: records and snapshots in, events
// and lines out (the capture and the looks are in capture.ts and session.ts).
import type { Holder, Protocol, Socket, SocketState, UnheldReason } from '../model/socket.js';
import { paint, padDisplay } from '../views/sink.js';
import { safeText } from '../views/safe-text.js';
import type { MessageKey } from '../explain/i18n.js';
import type { PacketRecord, TcpFlag } from './pcap.js';

export interface TraceEndpoint {
  address: string;
  port: number;
}

/** What a packet is besides its flags (see TRACE_MARKS' explanations in the catalog). */
export type PacketMark = 'retransmission' | 'zero-window' | 'window-probe' | 'reset';
export const PACKET_MARKS: readonly PacketMark[] = ['retransmission', 'zero-window', 'window-probe', 'reset'];

/** One packet, as `trace --json` prints it and lab `packets` events carry it (a superset of LabPacket). */
export interface TracePacket {
  type: 'packet';
  /** Capture time, milliseconds since the epoch. */
  at: number;
  protocol: Protocol;
  from: TraceEndpoint;
  to: TraceEndpoint;
  flags: TcpFlag[];
  /** Relative to the sender's first sequence number of the connection (TCP; 0 for UDP). */
  seq: number;
  /** Relative to the receiver's first sequence number; absent without ACK. */
  ack?: number;
  /** The window in bytes, scaled when both SYNs agreed on a scale; else the field as sent. */
  window: number;
  /** Payload bytes. */
  length: number;
  marks?: PacketMark[];
  /** Numbers the connections (and UDP flows) of the capture, from 1, in the order they were first seen. */
  stream: number;
  /** MSS and window scale options (SYN segments). */
  mss?: number;
  wscale?: number;
}

/** A socket as one look of the collector saw it. */
export interface SocketView {
  state: SocketState;
  holders: { pid: number; fd?: number; name?: string }[];
  unheldReason?: UnheldReason;
}

/** A socket that changed between two looks: appeared (no `from`), went away (no `to`), or changed state or holders. */
export interface TraceState {
  type: 'state';
  /** When the look that saw it began (ms since the epoch). */
  at: number;
  /** When the previous look began: the change happened between `since` and `at`. */
  since: number;
  protocol: Protocol;
  local: TraceEndpoint;
  remote: TraceEndpoint;
  from?: SocketView;
  to?: SocketView;
}

export type TraceEvent = TracePacket | TraceState;

/** IPv4-mapped IPv6 addresses (a dual-stack socket) carry IPv4 packets: one name for both. */
export function plainAddress(a: string): string {
  return a.toLowerCase().startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function endpointKey(e: TraceEndpoint): string {
  return `${plainAddress(e.address)}|${e.port}`;
}

interface Direction {
  /** First sequence number (SYN's, or the first seen mid-stream). */
  isn?: number;
  /** Highest sequence number sent so far + 1 (relative). */
  next: number;
  synSeen: boolean;
  wscale?: number;
  /** Last window this side advertised (bytes). */
  window?: number;
}

interface Conn {
  stream: number;
  /** Indexed by the endpoint key of the sender. */
  dirs: Map<string, Direction>;
  /** Both SYNs carried a window scale: later windows are scaled (RFC 7323 §2.3). */
  scaled: boolean;
}

const rel = (n: number, base: number): number => (n - base) >>> 0;

/** Follows connections across packets: relative numbers and marks. */
export class PacketTracker {
  private conns = new Map<string, Conn>();
  private streams = 0;

  add(r: PacketRecord): TracePacket {
    const from = { address: r.src, port: r.sport };
    const to = { address: r.dst, port: r.dport };
    const a = endpointKey(from);
    const b = endpointKey(to);
    const key = `${r.protocol} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;
    let c = this.conns.get(key);
    // A SYN without ACK after the connection had ended starts a new one on the same 4-tuple.
    if (c && r.protocol === 'tcp' && r.flags.includes('SYN') && !r.flags.includes('ACK')) {
      const d = c.dirs.get(a);
      if (d?.isn !== undefined && d.isn !== r.seq) c = undefined;
    }
    if (!c) {
      c = { stream: ++this.streams, dirs: new Map(), scaled: false };
      this.conns.set(key, c);
    }
    const p: TracePacket = { type: 'packet', at: r.at, protocol: r.protocol, from, to, flags: [...r.flags], seq: 0, window: r.window, length: r.length, stream: c.stream };
    if (r.mss !== undefined) p.mss = r.mss;
    if (r.wscale !== undefined) p.wscale = r.wscale;
    if (r.protocol !== 'tcp') return p;

    const me = c.dirs.get(a) ?? { next: 0, synSeen: false };
    const peer = c.dirs.get(b) ?? { next: 0, synSeen: false };
    c.dirs.set(a, me);
    c.dirs.set(b, peer);
    const syn = r.flags.includes('SYN');
    const fin = r.flags.includes('FIN');
    const rst = r.flags.includes('RST');
    const ackFlag = r.flags.includes('ACK');
    const marks: PacketMark[] = [];

    if (me.isn === undefined) me.isn = r.seq;
    if (syn) {
      if (me.synSeen) marks.push('retransmission');
      me.synSeen = true;
      me.wscale = r.wscale;
      if (ackFlag) c.scaled = me.wscale !== undefined && peer.wscale !== undefined;
    }
    p.seq = rel(r.seq, me.isn);
    if (ackFlag) {
      if (peer.isn === undefined) peer.isn = (r.ack - 1) >>> 0;
      p.ack = rel(r.ack, peer.isn);
    }
    // Windows in SYN segments are never scaled.
    if (!syn && c.scaled && me.wscale !== undefined) p.window = r.window * 2 ** me.wscale;

    const end = p.seq + r.length + (syn ? 1 : 0) + (fin ? 1 : 0);
    const consumes = r.length > 0 || fin;
    if (rst) marks.push('reset');
    else if (peer.window === 0 && !syn && !fin && ((r.length === 0 && p.seq === me.next - 1) || (r.length === 1 && p.seq >= me.next - 1))) {
      // The peer's window is closed and this is a segment of at most one byte
      // at the edge of what was sent: the sender asking whether it has opened (RFC 9293 §3.8.6.1).
      marks.push('window-probe');
    } else if (!syn && consumes && end <= me.next) {
      marks.push('retransmission');
    }
    if (!rst && !syn && r.window === 0) marks.push('zero-window');
    if (!rst) me.window = syn ? r.window : p.window;
    if (end > me.next && !rst) me.next = end;
    if (marks.length) p.marks = marks;
    return p;
  }
}

/** Names for the ladder's legend from a look's sockets: each local endpoint's first holder. */
export function holderNames(sockets: readonly Socket[], t: LadderOptions['t']): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of sockets) {
    const h = s.holders[0];
    const k = endpointKey({ address: s.localAddress, port: s.localPort });
    if (h && !names.has(k)) names.set(k, t('trace.legend.holder', { name: safeText(h.name ?? '?'), pid: h.pid }));
  }
  return names;
}

/** A socket's identity across looks. */
function socketKey(s: Pick<Socket, 'protocol' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): string {
  return `${s.protocol} ${plainAddress(s.localAddress)}:${s.localPort} ${plainAddress(s.remoteAddress)}:${s.remotePort}`;
}

export function viewOf(s: Socket): SocketView {
  const v: SocketView = { state: s.state, holders: s.holders.map((h: Holder) => ({ pid: h.pid, fd: h.fd, name: h.name })) };
  if (s.unheldReason) v.unheldReason = s.unheldReason;
  return v;
}

function sameView(a: SocketView, b: SocketView): boolean {
  if (a.state !== b.state || a.unheldReason !== b.unheldReason || a.holders.length !== b.holders.length) return false;
  return a.holders.every((h, i) => h.pid === b.holders[i]!.pid && h.fd === b.holders[i]!.fd);
}

/** Follows sockets across looks: what changed since the previous one. */
export class StateTracker {
  private prev = new Map<string, { s: Socket; v: SocketView }>();
  private lastAt: number | undefined;

  /** The first look: what was there before anything was captured (no events). */
  baseline(sockets: readonly Socket[], at: number): void {
    this.prev = new Map(sockets.map((s) => [socketKey(s), { s, v: viewOf(s) }]));
    this.lastAt = at;
  }

  look(sockets: readonly Socket[], at: number): TraceState[] {
    const since = this.lastAt ?? at;
    const out: TraceState[] = [];
    const next = new Map<string, { s: Socket; v: SocketView }>();
    const ep = (s: Socket): Pick<TraceState, 'protocol' | 'local' | 'remote'> => ({
      protocol: s.protocol, local: { address: plainAddress(s.localAddress), port: s.localPort },
      remote: { address: plainAddress(s.remoteAddress), port: s.remotePort },
    });
    for (const s of sockets) {
      const k = socketKey(s);
      const v = viewOf(s);
      next.set(k, { s, v });
      const before = this.prev.get(k);
      if (!before) out.push({ type: 'state', at, since, ...ep(s), to: v });
      else if (!sameView(before.v, v)) out.push({ type: 'state', at, since, ...ep(s), from: before.v, to: v });
    }
    for (const [k, { s, v }] of this.prev) if (!next.has(k)) out.push({ type: 'state', at, since, ...ep(s), from: v });
    this.prev = next;
    this.lastAt = at;
    return out;
  }
}

export interface LadderOptions {
  t: (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;
  color: boolean;
  /** Names of endpoints' holders, for the legend (endpoint key → "python3 (pid 12)"); from the looks when absent. */
  names?: ReadonlyMap<string, string>;
  /** Time zero of the ladder (ms); the first event's when absent. */
  start?: number;
  /** Ports of listeners: their endpoints are drawn on the right, as servers, even in a capture without a SYN. */
  serverPorts?: ReadonlySet<number>;
}

const COL = 9;

/** The flags as one word: SYN, SYN-ACK, ACK, PSH-ACK, FIN-ACK, RST, RST-ACK… */
export function flagWord(flags: readonly string[]): string {
  if (!flags.length) return 'UDP';
  const order = ['SYN', 'PSH', 'FIN', 'RST', 'URG', 'ECE', 'CWR', 'ACK'];
  return order.filter((f) => flags.includes(f)).join('-');
}

/** What a view looks like in words: the state and who holds it. */
export function viewText(v: SocketView, t: LadderOptions['t']): string {
  return `${v.state} ${holderText(v, t)}`;
}

function holderText(v: SocketView, t: LadderOptions['t']): string {
  if (v.holders.length) {
    return v.holders.map((h) => t('trace.held', { pid: h.pid, fd: h.fd ?? '?', name: safeText(h.name ?? '?') })).join(', ');
  }
  if (v.unheldReason === 'not-accepted') return t('trace.not-accepted');
  if (v.unheldReason === 'kernel') return t('trace.kernel-only');
  return t('trace.unheld', { reason: v.unheldReason ?? 'unknown' });
}

/** The change in words: "SYN_SENT → ESTABLISHED", "not accepted yet → held by pid 12 fd 5", "new: LISTEN …", "gone". */
export function changeText(e: TraceState, t: LadderOptions['t']): string {
  if (!e.from) return t('trace.state.new', { view: viewText(e.to!, t) });
  if (!e.to) return t('trace.state.gone', { state: e.from.state });
  const parts: string[] = [];
  if (e.from.state !== e.to.state) parts.push(`${e.from.state} → ${e.to.state}`);
  const hf = holderText(e.from, t);
  const ht = holderText(e.to, t);
  if (hf !== ht) parts.push(`${hf} → ${ht}`);
  return parts.join(', ');
}

/**
 * The ladder as lines: a legend of the endpoints, then one row per packet (an
 * arrow from the sender's column to the receiver's, its flags, numbers and
 * marks) with the state changes of the look that followed it written beside
 * it, and rows of their own for changes no packet explains (an accept(), a
 * TIME_WAIT that ended). Then what each mark seen means.
 */
export function renderLadder(events: readonly TraceEvent[], o: LadderOptions): string[] {
  const t = o.t;
  const packets = events.filter((e): e is TracePacket => e.type === 'packet').sort((x, y) => x.at - y.at);
  const states = events.filter((e): e is TraceState => e.type === 'state').sort((x, y) => x.at - y.at);
  const lines: string[] = [];
  if (!packets.length && !states.length) return lines;

  // Columns: clients (senders of a bare SYN, or first seen) on the left, in
  // the order they appear; servers (receivers of a bare SYN, listeners) on the right.
  const endpoints = new Map<string, TraceEndpoint>();
  const servers = new Set<string>();
  const seen = (e: TraceEndpoint): void => { const k = endpointKey(e); if (!endpoints.has(k)) endpoints.set(k, { address: plainAddress(e.address), port: e.port }); };
  for (const p of packets) {
    seen(p.from);
    seen(p.to);
    if (p.flags.includes('SYN') && !p.flags.includes('ACK')) servers.add(endpointKey(p.to));
    if (o.serverPorts?.has(p.to.port)) servers.add(endpointKey(p.to));
    if (o.serverPorts?.has(p.from.port)) servers.add(endpointKey(p.from));
  }
  for (const s of states) {
    const v = s.to ?? s.from!;
    if (v.state === 'LISTEN') { seen(s.local); servers.add(endpointKey(s.local)); }
  }
  // A state of a socket whose endpoint sent no packet gets a column too, when it has a peer we draw.
  for (const s of states) if (s.remote.port !== 0 && endpoints.has(endpointKey(s.remote))) seen(s.local);
  const keys = [...endpoints.keys()];
  const cols = [...keys.filter((k) => !servers.has(k)), ...keys.filter((k) => servers.has(k))];
  const colOf = new Map(cols.map((k, i) => [k, i]));
  const addrs = new Set([...endpoints.values()].map((e) => e.address));
  const ports = [...endpoints.values()].map((e) => e.port);
  const label = (k: string): string => {
    const e = endpoints.get(k)!;
    return addrs.size === 1 || ports.filter((p) => p === e.port).length === 1 ? `:${e.port}` : `#${colOf.get(k)! + 1}`;
  };
  const ladderWidth = cols.length * COL;
  const t0 = o.start ?? Math.min(packets[0]?.at ?? Infinity, states[0]?.at ?? Infinity);
  const time = (at: number): string => ((at - t0) / 1000).toFixed(3).padStart(8);

  // The legend: which endpoint each column is and who held it.
  const names = new Map(o.names ?? []);
  for (const s of states) {
    const v = s.to ?? s.from!;
    const k = endpointKey(s.local);
    if (!names.has(k) && v.holders.length) {
      const h = v.holders[0]!;
      names.set(k, t('trace.legend.holder', { name: safeText(h.name ?? '?'), pid: h.pid }));
    }
  }
  lines.push(t('trace.legend.title'));
  for (const k of cols) {
    const e = endpoints.get(k)!;
    const where = e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
    lines.push(`  ${padDisplay(label(k), 7)} ${padDisplay(safeText(where), 24)} ${names.get(k) ?? ''}`.trimEnd());
  }
  lines.push('');
  lines.push(`${padDisplay(t('trace.col.time'), 8)}  ${cols.map((k) => padDisplay(label(k), COL)).join('')}`.trimEnd());

  const bars = (): string[] => cols.map(() => '│' + ' '.repeat(COL - 1));
  const row = (cells: string[]): string => cells.join('');
  const changes = (list: readonly TraceState[]): string[] => {
    // Several looks' changes of one socket in a row read as one chain: FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT.
    const bySocket = new Map<string, TraceState[]>();
    for (const s of list) {
      const k = `${endpointKey(s.local)} ${endpointKey(s.remote)}`;
      bySocket.set(k, [...(bySocket.get(k) ?? []), s]);
    }
    const parts: string[] = [];
    for (const group of bySocket.values()) {
      const s = group[0]!;
      const who = s.remote.port ? `${label2(s.local)}↔${label2(s.remote)}` : label2(s.local);
      const stateChain = group.every((g) => g.from && g.to && g.from.state !== g.to.state && holderText(g.from, t) === holderText(g.to, t))
        ? [group[0]!.from!.state, ...group.map((g) => g.to!.state)].join(' → ')
        : group.map((g) => changeText(g, t)).join('; ');
      parts.push(`${who} ${stateChain}`);
    }
    return parts;
  };
  const label2 = (e: TraceEndpoint): string => (colOf.has(endpointKey(e)) ? label(endpointKey(e)) : `:${e.port}`);

  // Attach each look's changes to the last packet captured between that look and the one before.
  const attached = new Map<TracePacket, TraceState[]>();
  const alone: TraceState[] = [];
  for (const s of states) {
    let last: TracePacket | undefined;
    for (const p of packets) {
      if (p.at > s.at) break;
      if (p.at > s.since) last = p;
    }
    if (last) attached.set(last, [...(attached.get(last) ?? []), s]);
    else alone.push(s);
  }
  // One socket's change per line: the first beside the arrow, the others under it.
  type Row = { at: number; text: string; more: string[] };
  const blank = `${' '.repeat(8)}  ${row(bars()).slice(0, ladderWidth)}`;
  const rows: Row[] = [];
  const marksSeen = new Set<PacketMark>();
  for (const p of packets) {
    const cells = bars();
    const a = colOf.get(endpointKey(p.from))!;
    const b = colOf.get(endpointKey(p.to))!;
    const lo = Math.min(a, b) * COL;
    const hi = Math.max(a, b) * COL;
    let line = row(cells).split('');
    for (let x = lo + 1; x < hi; x++) line[x] = '─';
    if (b > a) line[hi - 1] = '▶';
    else line[lo + 1] = '◀';
    const arrow = line.join('').slice(0, ladderWidth);
    const nums = p.protocol === 'tcp'
      ? `${p.length ? `seq ${p.seq}:${p.seq + p.length}` : `seq ${p.seq}`}${p.ack !== undefined ? ` ack ${p.ack}` : ''} win ${p.window} len ${p.length}`
      : `len ${p.length}`;
    const marks = (p.marks ?? []).map((m) => { marksSeen.add(m); return paint(o.color, m === 'retransmission' || m === 'reset' ? 'red' : 'yellow', `[${t(`trace.mark.${m}` as MessageKey)}]`); });
    const st = attached.get(p);
    const parts = st ? changes(st) : [];
    const beside = parts.length ? `  ${paint(o.color, 'cyan', parts[0]!)}` : '';
    rows.push({
      at: p.at, text: `${time(p.at)}  ${arrow} ${paint(o.color, 'bold', flagWord(p.flags))} ${nums}${marks.length ? ' ' + marks.join(' ') : ''}${beside}`,
      more: parts.slice(1).map((x) => `${blank}   ${paint(o.color, 'cyan', x)}`),
    });
  }
  // Changes no packet explains, one look at a time.
  const looks = new Map<number, TraceState[]>();
  for (const s of alone) looks.set(s.at, [...(looks.get(s.at) ?? []), s]);
  for (const [at, list] of looks) {
    const parts = changes(list);
    rows.push({ at, text: `${time(at)}  ${row(bars()).slice(0, ladderWidth)} ${paint(o.color, 'cyan', parts[0]!)}`, more: parts.slice(1).map((x) => `${blank} ${paint(o.color, 'cyan', x)}`) });
  }
  rows.sort((x, y) => x.at - y.at);
  for (const r of rows) {
    lines.push(r.text.trimEnd());
    for (const m of r.more) lines.push(m.trimEnd());
  }
  if (marksSeen.size) {
    lines.push('');
    for (const m of PACKET_MARKS) if (marksSeen.has(m)) lines.push(`[${t(`trace.mark.${m}` as MessageKey)}] ${t(`trace.explain.${m}` as MessageKey)}`);
  }
  return lines;
}

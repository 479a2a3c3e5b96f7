// `sockscope` with no arguments: what listens, who talks to whom, and totals.
// Grouping is pure (summarize), drawing is separate (renderOverview).
import { bindScope, type BindScope } from '../model/address.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Protocol, Socket, SocketState, UnheldReason } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import { serviceName } from '../explain/services.js';
import { unheldText } from './columns.js';
import { clip, displayWidth, padDisplay, paint, type RenderOptions, type Sink } from './sink.js';
import { msg, type Lang } from '../explain/i18n.js';

export interface Owner {
  /** Holding processes (several when a listener is shared after fork). Empty: unheld. */
  pids: number[];
  name: string;
  unheldReason?: UnheldReason;
}

export interface ListenerGroup {
  owner: Owner;
  protocol: Protocol;
  port: number;
  addresses: string[];
  /** IPV6_V6ONLY of its `::` socket, when known. */
  v6only?: boolean;
  scope: BindScope;
  /** Accept-queue length and backlog (TCP), summed over the bound addresses. */
  queued: number;
  backlog?: number;
  /** Connections to this port by state; not-accepted ones counted apart. */
  connections: Partial<Record<SocketState, number>>;
  notAccepted: number;
}

export interface OutboundGroup {
  owner: Owner;
  protocol: Protocol;
  /** The peer; for sockets only the kernel keeps, the first of `peers` peers. */
  remote: string;
  remotePort: number;
  peers: number;
  connections: Partial<Record<SocketState, number>>;
}

export interface Overview {
  listeners: ListenerGroup[];
  outbound: OutboundGroup[];
  total: number;
  byState: Partial<Record<SocketState, number>>;
  listeningTcp: number;
  listeningUdp: number;
}

function ownerOf(s: Socket): Owner {
  if (s.holders.length === 0) return { pids: [], name: '', unheldReason: s.unheldReason ?? 'unknown' };
  const pids = [...new Set(s.holders.map((h) => h.pid))];
  return { pids, name: s.holders[0]!.name ?? '?' };
}

function ownerKey(o: Owner): string {
  return o.pids.length ? o.pids.join(',') : `-${o.unheldReason}`;
}

const isListenerSocket = (s: Socket): boolean =>
  (s.protocol === 'tcp' && s.state === 'LISTEN') || (s.protocol === 'udp' && s.state === 'UNCONN');

/** Group a snapshot into listeners with their connections, and outbound connections. */
export function summarize(snap: Snapshot): Overview {
  const listeners = new Map<string, ListenerGroup>();
  const tcpListenPorts = new Map<number, ListenerGroup[]>();
  const byState: Partial<Record<SocketState, number>> = {};
  let listeningTcp = 0;
  let listeningUdp = 0;
  for (const s of snap.sockets) {
    byState[s.state] = (byState[s.state] ?? 0) + 1;
    if (!isListenerSocket(s)) continue;
    if (s.protocol === 'tcp') listeningTcp++;
    else listeningUdp++;
    const owner = ownerOf(s);
    const key = `${ownerKey(owner)}|${s.protocol}|${s.localPort}`;
    let g = listeners.get(key);
    if (!g) {
      g = { owner, protocol: s.protocol, port: s.localPort, addresses: [], scope: 'one-address', queued: 0, connections: {}, notAccepted: 0 };
      listeners.set(key, g);
      if (s.protocol === 'tcp') {
        const l = tcpListenPorts.get(s.localPort);
        if (l) l.push(g);
        else tcpListenPorts.set(s.localPort, [g]);
      }
    }
    if (!g.addresses.includes(s.localAddress)) g.addresses.push(s.localAddress);
    if (s.localAddress === '::' && s.v6only !== undefined) g.v6only = s.v6only;
    g.queued += s.recvQ;
    if (s.backlog !== undefined) g.backlog = (g.backlog ?? 0) + s.backlog;
  }
  const outbound = new Map<string, OutboundGroup>();
  for (const s of snap.sockets) {
    if (isListenerSocket(s)) continue;
    const inbound = s.protocol === 'tcp' ? tcpListenPorts.get(s.localPort) : undefined;
    if (inbound) {
      const g = inbound[0]!;
      if (s.unheldReason === 'not-accepted') g.notAccepted++;
      else g.connections[s.state] = (g.connections[s.state] ?? 0) + 1;
      continue;
    }
    const owner = ownerOf(s);
    // Sockets no process holds (TIME_WAIT leftovers, mostly) are one line per
    // reason, not one per peer: there can be tens of thousands of them.
    const key = owner.pids.length ? `${ownerKey(owner)}|${s.protocol}|${s.remoteAddress}|${s.remotePort}` : `${ownerKey(owner)}|${s.protocol}`;
    let g = outbound.get(key);
    if (!g) {
      g = { owner, protocol: s.protocol, remote: s.remoteAddress, remotePort: s.remotePort, peers: 0, connections: {} };
      outbound.set(key, g);
    }
    g.peers++;
    g.connections[s.state] = (g.connections[s.state] ?? 0) + 1;
  }
  for (const g of listeners.values()) g.scope = bindScope(g.addresses, g.v6only);
  const sortOwner = (a: Owner, b: Owner): number =>
    (a.pids.length ? 0 : 1) - (b.pids.length ? 0 : 1) || a.name.localeCompare(b.name) || (a.pids[0] ?? 0) - (b.pids[0] ?? 0);
  return {
    listeners: [...listeners.values()].sort((a, b) => sortOwner(a.owner, b.owner) || a.protocol.localeCompare(b.protocol) || a.port - b.port),
    outbound: [...outbound.values()].sort((a, b) => sortOwner(a.owner, b.owner) || a.remotePort - b.remotePort || a.remote.localeCompare(b.remote)),
    total: snap.sockets.length,
    byState,
    listeningTcp,
    listeningUdp,
  };
}

/** Outbound groups shown before "… N more": the overview must stay an overview. */
const MAX_OUTBOUND = 40;

/** The words for a bind scope. */
export function scopeText(scope: BindScope, lang: Lang): string {
  return msg(lang, `scope.${scope}`);
}

function countsText(c: Partial<Record<SocketState, number>>, lang: Lang, notAccepted = 0): string {
  const parts = Object.entries(c).sort((a, b) => b[1] - a[1]).map(([st, n]) => `${n} ${st}`);
  if (notAccepted) parts.unshift(msg(lang, 'overview.not-accepted', { n: notAccepted }));
  return parts.length ? parts.join(', ') : '-';
}

function ownerCells(o: Owner, lang: Lang): [string, string] {
  if (!o.pids.length) return [`(${unheldText(o.unheldReason ?? 'unknown', lang)})`, '-'];
  return [o.name, o.pids.join(',')];
}

/** Print rows of cells aligned; the last cell is cut to the terminal width. */
async function grid(rows: string[][], header: string[], sink: Sink, opts: RenderOptions): Promise<void> {
  const all = [header, ...rows];
  const n = header.length;
  const widths = Array.from({ length: n }, (_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  for (let r = 0; r < all.length; r++) {
    const cells = all[r]!;
    let line = '  ';
    for (let i = 0; i < n - 1; i++) line += padDisplay(cells[i] ?? '', widths[i]!) + '  ';
    const rest = opts.width !== undefined ? Math.max(opts.width - displayWidth(line), 8) : Infinity;
    line += clip(cells[n - 1] ?? '', rest);
    line = line.trimEnd();
    await sink.line(r === 0 ? paint(opts.color, 'dim', line) : line);
  }
}

function portText(port: number, protocol: Protocol, numeric: boolean): string {
  const name = numeric ? undefined : serviceName(port, protocol);
  return name ? `${port} (${name})` : String(port);
}

export async function renderOverview(snap: Snapshot, sink: Sink, opts: RenderOptions): Promise<void> {
  const o = summarize(snap);
  const L = opts.lang;
  const head = (k: Parameters<typeof msg>[1]): string => msg(L, k);
  await sink.line(paint(opts.color, 'bold', msg(L, 'overview.listening', { n: o.listeners.length })));
  if (o.listeners.length === 0) await sink.line('  ' + msg(L, 'overview.nothing-listens'));
  else {
    const rows = o.listeners.map((g) => {
      const [name, pid] = ownerCells(g.owner, L);
      const queue = g.protocol === 'tcp' ? (g.backlog !== undefined ? `${g.queued}/${g.backlog}` : `${g.queued}/?`) : '-';
      return [name, pid, g.protocol, portText(g.port, g.protocol, opts.numeric),
        `${scopeText(g.scope, L)} (${g.addresses.join(', ')})`, queue, countsText(g.connections, L, g.notAccepted)];
    });
    await grid(rows, [head('overview.col.process'), head('overview.col.pid'), head('overview.col.proto'), head('overview.col.port'),
      head('overview.col.bind'), head('overview.col.queue'), head('overview.col.connections')], sink, opts);
  }
  await sink.line('');
  await sink.line(paint(opts.color, 'bold', msg(L, 'overview.outbound', { n: o.outbound.length })));
  if (o.outbound.length === 0) await sink.line('  ' + msg(L, 'overview.no-outbound'));
  else {
    const shown = o.outbound.slice(0, MAX_OUTBOUND);
    const rows = shown.map((g) => {
      const [name, pid] = ownerCells(g.owner, L);
      const remote = g.owner.pids.length || g.peers === 1
        ? formatEndpoint(g.remote, portText(g.remotePort, g.protocol, opts.numeric))
        : msg(L, 'overview.peers', { n: g.peers });
      return [name, pid, g.protocol, remote, countsText(g.connections, L)];
    });
    await grid(rows, [head('overview.col.process'), head('overview.col.pid'), head('overview.col.proto'), head('overview.col.remote'),
      head('overview.col.connections')], sink, opts);
    if (o.outbound.length > shown.length) {
      await sink.line('  ' + msg(L, 'overview.more', { n: o.outbound.length - shown.length }));
    }
  }
  await sink.line('');
  await sink.line(totalsLine(o, snap, L));
  const hint = hiddenHint(snap, L);
  if (hint) await sink.line(paint(opts.color, 'yellow', hint));
  await sink.flush();
}

/** One line of totals: sockets, listeners, and the states that matter. */
export function totalsLine(o: Overview, snap: Snapshot, lang: Lang): string {
  const states = Object.entries(o.byState).filter(([st]) => st !== 'LISTEN' && st !== 'UNCONN')
    .sort((a, b) => b[1] - a[1]).map(([st, n]) => `${n} ${st}`);
  return msg(lang, 'overview.total', {
    total: o.total, tcp: o.listeningTcp, udp: o.listeningUdp, source: snap.source,
    states: states.length ? `; ${states.join(', ')}` : '',
  });
}

/** Said once, when owners are hidden from us: how many processes and what to do. */
export function hiddenHint(snap: Snapshot, lang: Lang): string | undefined {
  if (snap.unreadableProcesses === 0) return undefined;
  const hidden = snap.sockets.filter((s) => s.unheldReason === 'permission-denied').length;
  if (hidden === 0) return undefined;
  return msg(lang, 'note.hidden', {
    processes: snap.unreadableProcesses, sockets: hidden,
    advice: msg(lang, snap.privileged ? 'note.hidden.root' : 'note.hidden.sudo'),
  });
}

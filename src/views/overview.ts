// `sockscope` with no arguments: what listens, who talks to whom, and totals.
// Grouping is pure (summarize), drawing is separate (renderOverview).
import { bindScope, type BindScope } from '../model/address.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ContainerRef, NetnsRef, Protocol, PublishedPort, Socket, SocketState, UnheldReason } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import { nameText, portName, publishedWhere, showsNamespaces, unheldText } from './columns.js';
import { containerPhrase } from '../explain/containers.js';
import { safeText } from './safe-text.js';
import { displayWidth, padDisplay, paint, wrap, type RenderOptions, type Sink } from './sink.js';
import { flowLastCell, placeCells } from './table.js';
import { msg, translator, type Lang } from '../explain/i18n.js';
import type { UnixSocket } from '../model/unix.js';

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
  /** A source without queues (Windows netstat): the queue is unknown, not 0. */
  queueUnknown?: boolean;
  backlog?: number;
  /** Connections to this port by state; not-accepted ones counted apart. */
  connections: Partial<Record<SocketState, number>>;
  notAccepted: number;
  /** Who runs it, when the overview is grouped (containers or other namespaces exist). */
  where?: Where;
  /** A host port kept for a container (docker-proxy, rootlessport, conmon): where it leads. */
  published?: PublishedPort;
}

/** The group of a listener: its container, its network namespace, its systemd unit, or the host. */
export type Where =
  | { kind: 'container'; key: string; container: ContainerRef }
  | { kind: 'netns'; key: string; netns: NetnsRef }
  | { kind: 'unit'; key: string; unit: string }
  | { kind: 'host'; key: string };

const HOST: Where = { kind: 'host', key: 'host' };
/** Groups in the order shown: containers and namespaces (what `ss` does not show), then units, then the rest. */
const WHERE_ORDER: Record<Where['kind'], number> = { container: 0, netns: 1, unit: 2, host: 3 };

/** Where a listener belongs: the container it runs in or publishes for, else a namespace not the host's, else its unit. */
export function whereOf(s: Socket): Where {
  const c = s.published?.container ?? s.holders.find((h) => h.container)?.container;
  if (c) return { kind: 'container', key: `c:${c.runtime}:${c.id}`, container: c };
  if (s.netns && !s.netns.host) return { kind: 'netns', key: `n:${s.netns.inode}`, netns: s.netns };
  const unit = s.holders.find((h) => h.unit !== undefined)?.unit;
  return unit !== undefined ? { kind: 'unit', key: `u:${unit}`, unit } : HOST;
}

/** Whether the overview groups listeners: some process runs in a container, or some socket lives in another namespace. */
export function groupsListeners(snap: Snapshot): boolean {
  return showsNamespaces(snap) || snap.sockets.some((s) => s.published?.container !== undefined || s.holders.some((h) => h.container !== undefined));
}

function whereLabel(w: Where): string {
  switch (w.kind) {
    case 'container': return w.container.name ?? w.container.id;
    case 'netns': return w.netns.name ?? String(w.netns.inode);
    case 'unit': return w.unit;
    case 'host': return '';
  }
}

/**
 * TCP sockets bound to a port without listening (state CLOSE with a local
 * port): they hold the port, but nothing can connect to them.
 */
export interface BoundGroup {
  owner: Owner;
  protocol: Protocol;
  port: number;
  addresses: string[];
  scope: BindScope;
  /** IPV6_V6ONLY of a socket bound to [::], when the kernel tells. */
  v6only?: boolean;
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
  bound: BoundGroup[];
  outbound: OutboundGroup[];
  total: number;
  byState: Partial<Record<SocketState, number>>;
  listeningTcp: number;
  listeningUdp: number;
  /** Listeners carry `where` and are ordered by it (see groupsListeners). */
  grouped: boolean;
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

/** A TCP socket bound to a port but neither listening nor connected (bind() without listen(), or before connect()). */
export const isBoundSocket = (s: Socket): boolean => s.protocol === 'tcp' && s.state === 'CLOSE' && s.localPort !== 0;

/** Group a snapshot into listeners with their connections, and outbound connections. */
export function summarize(snap: Snapshot): Overview {
  const listeners = new Map<string, ListenerGroup>();
  // Ports are per network namespace: a connection counts for a listener of its own namespace.
  const tcpListenPorts = new Map<number | string, ListenerGroup[]>();
  const portKey = (s: Socket): number | string => (s.netns && !s.netns.host ? `${s.localPort}|${s.netns.inode}` : s.localPort);
  const byState: Partial<Record<SocketState, number>> = {};
  let listeningTcp = 0;
  let listeningUdp = 0;
  const grouped = groupsListeners(snap);
  for (const s of snap.sockets) {
    byState[s.state] = (byState[s.state] ?? 0) + 1;
    if (!isListenerSocket(s)) continue;
    if (s.protocol === 'tcp') listeningTcp++;
    else listeningUdp++;
    const owner = ownerOf(s);
    const where = grouped ? whereOf(s) : undefined;
    // The same port in two namespaces is two listeners (the namespace is part of the key when grouped).
    const key = `${ownerKey(owner)}|${s.protocol}|${s.localPort}${where ? `|${where.key}|${s.netns?.inode ?? ''}` : ''}`;
    let g = listeners.get(key);
    if (!g) {
      g = { owner, protocol: s.protocol, port: s.localPort, addresses: [], scope: 'one-address', queued: 0, connections: {}, notAccepted: 0 };
      if (where) g.where = where;
      if (s.published) g.published = s.published;
      listeners.set(key, g);
      if (s.protocol === 'tcp') {
        const l = tcpListenPorts.get(portKey(s));
        if (l) l.push(g);
        else tcpListenPorts.set(portKey(s), [g]);
      }
    }
    if (!g.addresses.includes(s.localAddress)) g.addresses.push(s.localAddress);
    if (s.localAddress === '::' && s.v6only !== undefined) g.v6only = s.v6only;
    if (s.absent?.includes('queues')) g.queueUnknown = true;
    g.queued += s.recvQ;
    if (s.backlog !== undefined) g.backlog = (g.backlog ?? 0) + s.backlog;
  }
  const outbound = new Map<string, OutboundGroup>();
  const bound = new Map<string, BoundGroup>();
  for (const s of snap.sockets) {
    if (isListenerSocket(s)) continue;
    if (isBoundSocket(s)) {
      const owner = ownerOf(s);
      const key = `${ownerKey(owner)}|${s.protocol}|${s.localPort}`;
      let g = bound.get(key);
      if (!g) bound.set(key, g = { owner, protocol: s.protocol, port: s.localPort, addresses: [], scope: 'one-address' });
      if (!g.addresses.includes(s.localAddress)) g.addresses.push(s.localAddress);
      if (s.localAddress === '::' && s.v6only !== undefined) g.v6only = s.v6only;
      continue;
    }
    const inbound = s.protocol === 'tcp' ? tcpListenPorts.get(portKey(s)) : undefined;
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
  for (const g of bound.values()) g.scope = bindScope(g.addresses, g.v6only);
  const sortOwner = (a: Owner, b: Owner): number =>
    (a.pids.length ? 0 : 1) - (b.pids.length ? 0 : 1) || a.name.localeCompare(b.name) || (a.pids[0] ?? 0) - (b.pids[0] ?? 0);
  const byWhere = (a: ListenerGroup, b: ListenerGroup): number => !grouped ? 0
    : WHERE_ORDER[a.where!.kind] - WHERE_ORDER[b.where!.kind] || whereLabel(a.where!).localeCompare(whereLabel(b.where!)) || a.where!.key.localeCompare(b.where!.key)
      // In a container's group its own listeners first, then the host ports kept for it.
      || Number(a.published !== undefined) - Number(b.published !== undefined);
  return {
    listeners: [...listeners.values()].sort((a, b) => byWhere(a, b) || sortOwner(a.owner, b.owner) || a.protocol.localeCompare(b.protocol) || a.port - b.port),
    bound: [...bound.values()].sort((a, b) => sortOwner(a.owner, b.owner) || a.port - b.port),
    outbound: [...outbound.values()].sort((a, b) => sortOwner(a.owner, b.owner) || a.remotePort - b.remotePort || a.remote.localeCompare(b.remote)),
    total: snap.sockets.length,
    byState,
    listeningTcp,
    listeningUdp,
    grouped,
  };
}

/** Outbound groups shown before "… N more": the overview must stay an overview. */
const MAX_OUTBOUND = 40;

/** The words for a bind scope. */
export function scopeText(scope: BindScope, lang: Lang): string {
  return msg(lang, `scope.${scope}`);
}

/** How the overview is laid out; a narrow terminal gives up what matters least first. */
interface OverviewLayout {
  /** Port numbers without service names. */
  numeric: boolean;
  /** Bind: the scope words alone when the addresses add little (wildcard, loopback), the address alone when one. */
  compactBind: boolean;
  gap: number;
  /** ESTAB for ESTABLISHED. */
  shortStates: boolean;
  /** Several pids: the first and "+N" (N more). */
  compactPids: boolean;
}

function overviewLayouts(opts: RenderOptions): OverviewLayout[] {
  const base: OverviewLayout = { numeric: opts.numeric, compactBind: false, gap: 2, shortStates: false, compactPids: false };
  const out = [base];
  if (opts.width === undefined || opts.wide) return out;
  if (!opts.numeric) out.push({ ...base, numeric: true });
  const n = { ...base, numeric: true };
  out.push({ ...n, compactBind: true }, { ...n, compactBind: true, gap: 1 }, { ...n, compactBind: true, gap: 1, shortStates: true },
    { ...n, compactBind: true, gap: 1, shortStates: true, compactPids: true });
  return out;
}

const stateWord = (st: string, l: OverviewLayout): string => (l.shortStates && st === 'ESTABLISHED' ? 'ESTAB' : st);

/** Counts by state, biggest first, as the parts of a list (never cut: each is a number with its meaning). */
function countsParts(c: Partial<Record<SocketState, number>>, lang: Lang, l: OverviewLayout, notAccepted = 0): string[] {
  const parts = Object.entries(c).sort((a, b) => b[1] - a[1]).map(([st, n]) => msg(lang, 'overview.state-count', { n, state: stateWord(st, l) }));
  if (notAccepted) parts.unshift(msg(lang, 'overview.not-accepted', { n: notAccepted }));
  return parts.length ? parts : ['-'];
}

function ownerCells(o: Owner, lang: Lang, l: OverviewLayout): [string, string] {
  if (!o.pids.length) return [`(${unheldText(o.unheldReason ?? 'unknown', lang)})`, '-'];
  // Several pids (a forked server): all of them, or on a narrow terminal the first and how many more.
  const pids = l.compactPids && o.pids.length > 2 ? `${o.pids[0]} +${o.pids.length - 1}` : o.pids.join(',');
  return [nameText(o.name), pids];
}

function bindText(scope: BindScope, addresses: string[], lang: Lang, l: OverviewLayout): string {
  if (!l.compactBind) return msg(lang, 'overview.bind', { scope: scopeText(scope, lang), addresses: addresses.join(', ') });
  return scope === 'one-address' ? addresses.join(', ') : scopeText(scope, lang);
}

/** A table of the overview: cells for the first columns, parts for the last one (which may break over lines). */
interface Grid {
  header: string[];
  /** A row, or a heading line between rows (the groups of a grouped overview). */
  rows: ({ cells: string[]; parts: string[]; heading?: undefined } | { heading: string })[];
}

type CellRow = { cells: string[]; parts: string[] };
const cellRows = (g: Grid): CellRow[] => g.rows.filter((r): r is CellRow => r.heading === undefined);

/** Columns taken by the first cells of a grid's rows, and the widest part of its last column. */
function gridWidths(g: Grid, gap: number): { widths: number[]; lead: number; lastPart: number } {
  const n = g.header.length - 1;
  const rows = cellRows(g);
  const widths = Array.from({ length: n }, (_, i) => Math.max(displayWidth(g.header[i]!), ...rows.map((r) => displayWidth(r.cells[i]!))));
  const lead = 2 + widths.reduce((a, b) => a + b + gap, 0);
  let lastPart = displayWidth(g.header[n]!);
  for (const r of rows) for (const p of r.parts) lastPart = Math.max(lastPart, displayWidth(p));
  return { widths, lead, lastPart };
}

/** Room the last column should have before we give anything else up. */
const LAST_WANTED = 20;
/** Width of the PROCESS column when the rows do not fit otherwise (a comm name is at most 15 bytes). */
const NAME_WANTED = 16;

/**
 * Build a grid with the first layout that fits the terminal (or the last
 * one), and print it: the last column breaks over lines instead of being cut.
 */
async function printGrid(build: (l: OverviewLayout) => Grid, sink: Sink, opts: RenderOptions): Promise<void> {
  const candidates = overviewLayouts(opts);
  const width = opts.wide ? undefined : opts.width;
  let grid!: Grid;
  let m!: ReturnType<typeof gridWidths>;
  let layout!: OverviewLayout;
  for (const l of candidates) {
    layout = l;
    grid = build(l);
    m = gridWidths(grid, l.gap);
    if (width === undefined || m.lead + Math.min(m.lastPart, LAST_WANTED) <= width) break;
  }
  const gap = ' '.repeat(layout.gap);
  const sep = msg(opts.lang, 'view.list-sep');
  const all = [{ cells: grid.header.slice(0, -1), parts: [grid.header[grid.header.length - 1]!] }, ...grid.rows];
  let widths = m.widths;
  if (width !== undefined && m.lead + Math.min(m.lastPart, LAST_WANTED) > width) {
    // Still too wide: a very long name (one of escapes, say) pushes its own row, not every row.
    widths = widths.map((w, i) => (i === 0 ? Math.min(w, Math.max(displayWidth(grid.header[0]!), NAME_WANTED)) : w));
  }
  const leadWidth = 2 + widths.reduce((a, b) => a + b + layout.gap, 0);
  const right = widths.map(() => false);
  for (let r = 0; r < all.length; r++) {
    const row = all[r]!;
    if (row.heading !== undefined) {
      for (const line of wrap(row.heading, width, '  ')) await sink.line(paint(opts.color, 'bold', line));
      continue;
    }
    let lines: string[];
    if (width === undefined) {
      let lead = '  ';
      for (let i = 0; i < widths.length; i++) lead += padDisplay(row.cells[i]!, widths[i]!) + gap;
      lines = [(lead + row.parts.join(sep)).trimEnd()];
    } else {
      const placed = placeCells(row.cells, widths, right, layout.gap, width, '  ');
      lines = [...placed.done, ...flowLastCell(placed.text, row.parts, leadWidth, width, '    ', sep, placed.width)];
    }
    for (const line of lines) await sink.line(r === 0 ? paint(opts.color, 'dim', line) : line);
  }
}

function portText(port: number, protocol: Protocol, numeric: boolean, ephemeral?: readonly [number, number]): string {
  const name = portName(port, protocol, numeric, ephemeral);
  return name ? `${port} (${name})` : String(port);
}

/** The listeners' rows, with a heading before each group when the overview is grouped (containers, namespaces, units, host). */
function withHeadings(o: Overview, L: Lang, row: (g: ListenerGroup) => CellRow): Grid['rows'] {
  if (!o.grouped) return o.listeners.map(row);
  const out: Grid['rows'] = [];
  let last: string | undefined;
  for (const g of o.listeners) {
    const w = g.where!;
    if (w.key !== last) {
      out.push({ heading: headingText(w, L) });
      last = w.key;
    }
    out.push(row(g));
  }
  return out;
}

function headingText(w: Where, L: Lang): string {
  switch (w.kind) {
    case 'container': return msg(L, 'containers.overview.group.container', { container: containerPhrase(w.container, translator(L)) });
    case 'netns': return msg(L, 'containers.overview.group.netns', {
      netns: w.netns.name !== undefined ? msg(L, 'netns.named', { name: safeText(w.netns.name), inode: w.netns.inode }) : msg(L, 'netns.unnamed', { inode: w.netns.inode }),
    });
    case 'unit': return msg(L, 'containers.overview.group.unit', { unit: safeText(w.unit) });
    case 'host': return msg(L, 'containers.overview.group.host');
  }
}

/** Most listening Unix sockets shown in the overview (the rest: list -x -l). */
const MAX_UNIX = 20;

/**
 * Listening Unix sockets with their paths (or @abstract names), the
 * processes holding them and their queues: named first, busiest queue first.
 */
async function renderUnixListeners(unix: readonly UnixSocket[], sink: Sink, opts: RenderOptions): Promise<void> {
  const L = opts.lang;
  const key = (x: UnixSocket): string => (x.path !== undefined ? '0' + x.path : x.abstract !== undefined ? '1' + x.abstract : '2');
  const all = unix.filter((x) => x.state === 'LISTEN').sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.inode - b.inode));
  await sink.line('');
  await sink.line(paint(opts.color, 'bold', msg(L, 'unix.overview.title', { n: all.length })));
  const shown = all.slice(0, MAX_UNIX);
  await printGrid((l) => ({
    header: [msg(L, 'overview.col.process'), msg(L, 'overview.col.pid'), msg(L, 'unix.overview.col.type'), msg(L, 'overview.col.queue'),
      msg(L, 'unix.overview.col.path')],
    rows: shown.map((x) => {
      const owner: Owner = x.holders.length
        ? { pids: [...new Set(x.holders.map((h) => h.pid))], name: x.holders[0]!.name ?? '?' }
        : { pids: [], name: '', unheldReason: x.unheldReason ?? 'unknown' };
      const [name, pid] = ownerCells(owner, L, l);
      const queue = `${x.recvQ ?? '?'}/${x.backlog ?? '?'}`;
      // Paths and abstract names are chosen by other programs: escaped.
      const where = x.path !== undefined ? safeText(x.path) : x.abstract !== undefined ? '@' + safeText(x.abstract) : '*';
      return { cells: [name, pid, x.type, queue], parts: [where] };
    }),
  }), sink, opts);
  if (all.length > shown.length) await sink.line('  ' + msg(L, 'unix.overview.more', { n: all.length - shown.length }));
}

/** The overview; `unix`, when given, adds the listening Unix sockets after the TCP/UDP listeners. */
export async function renderOverview(snap: Snapshot, sink: Sink, opts: RenderOptions, unix?: readonly UnixSocket[]): Promise<void> {
  const o = summarize(snap);
  const L = opts.lang;
  const head = (k: Parameters<typeof msg>[1]): string => msg(L, k);
  await sink.line(paint(opts.color, 'bold', msg(L, 'overview.listening', { n: o.listeners.length })));
  if (o.listeners.length === 0) await sink.line('  ' + msg(L, 'overview.nothing-listens'));
  else {
    await printGrid((l) => ({
      header: [head('overview.col.process'), head('overview.col.pid'), head('overview.col.proto'), head('overview.col.port'),
        head('overview.col.bind'), head('overview.col.queue'), head('overview.col.connections')],
      rows: withHeadings(o, L, (g) => {
        const [name, pid] = ownerCells(g.owner, L, l);
        // The backlog is unknown to the /proc/net source: "?", never a made-up number.
        const queued = g.queueUnknown ? '?' : g.queued;
        const queue = g.protocol === 'tcp' ? (g.backlog !== undefined ? `${queued}/${g.backlog}` : `${queued}/?`) : '-';
        const parts = countsParts(g.connections, L, l, g.notAccepted);
        // A host port kept for a container: where it leads, first.
        if (g.published) parts.splice(0, parts[0] === '-' ? 1 : 0, msg(L, 'containers.overview.forwards', { target: publishedWhere(g.published) }));
        return { cells: [name, pid, g.protocol, portText(g.port, g.protocol, l.numeric, opts.ephemeral), bindText(g.scope, g.addresses, L, l), queue],
          parts };
      }),
    }), sink, opts);
  }
  if (o.bound.length) {
    await sink.line('');
    await sink.line(paint(opts.color, 'bold', msg(L, 'overview.bound', { n: o.bound.length })));
    for (const line of wrap(msg(L, 'overview.bound.note'), opts.width, '  ')) await sink.line(paint(opts.color, 'dim', line));
    await printGrid((l) => ({
      header: [head('overview.col.process'), head('overview.col.pid'), head('overview.col.proto'), head('overview.col.port'), head('overview.col.bind')],
      rows: o.bound.map((g) => {
        const [name, pid] = ownerCells(g.owner, L, l);
        return { cells: [name, pid, g.protocol, portText(g.port, g.protocol, l.numeric, opts.ephemeral)], parts: [bindText(g.scope, g.addresses, L, l)] };
      }),
    }), sink, opts);
  }
  if (unix) await renderUnixListeners(unix, sink, opts);
  await sink.line('');
  await sink.line(paint(opts.color, 'bold', msg(L, 'overview.outbound', { n: o.outbound.length })));
  if (o.outbound.length === 0) await sink.line('  ' + msg(L, 'overview.no-outbound'));
  else {
    const shown = o.outbound.slice(0, MAX_OUTBOUND);
    await printGrid((l) => ({
      header: [head('overview.col.process'), head('overview.col.pid'), head('overview.col.proto'), head('overview.col.remote'),
        head('overview.col.connections')],
      rows: shown.map((g) => {
        const [name, pid] = ownerCells(g.owner, L, l);
        const remote = g.owner.pids.length || g.peers === 1
          ? formatEndpoint(g.remote, portText(g.remotePort, g.protocol, l.numeric, opts.ephemeral))
          : msg(L, 'overview.peers', { n: g.peers });
        return { cells: [name, pid, g.protocol, remote], parts: countsParts(g.connections, L, l) };
      }),
    }), sink, opts);
    if (o.outbound.length > shown.length) {
      await sink.line('  ' + msg(L, 'overview.more', { n: o.outbound.length - shown.length }));
    }
  }
  await sink.line('');
  for (const line of wrap(totalsLine(o, snap, L), opts.width)) await sink.line(line);
  const hint = hiddenHint(snap, L);
  if (hint) for (const line of wrap(hint, opts.width)) await sink.line(paint(opts.color, 'yellow', line));
  const backlog = o.listeningTcp ? backlogNote(snap, snap.sockets, L) : undefined;
  if (backlog) for (const line of wrap(backlog, opts.width)) await sink.line(paint(opts.color, 'dim', line));
  await sink.flush();
}

/** One line of totals: sockets, listeners, and the states that matter. */
export function totalsLine(o: Overview, snap: Snapshot, lang: Lang): string {
  // Punctuation from the catalog: Chinese text takes Chinese punctuation (；、).
  const states = Object.entries(o.byState).filter(([st]) => st !== 'LISTEN' && st !== 'UNCONN')
    .sort((a, b) => b[1] - a[1]).map(([st, n]) => msg(lang, 'overview.state-count', { n, state: st }));
  return msg(lang, 'overview.total', {
    total: o.total, tcp: o.listeningTcp, udp: o.listeningUdp, source: snap.source,
    states: states.length ? msg(lang, 'overview.states', { list: states.join(msg(lang, 'view.list-sep')) }) : '',
  });
}

/** Said once, when owners are hidden from us: how many processes and what to do. */
export function hiddenHint(snap: Snapshot, lang: Lang, denied?: number): string | undefined {
  if (snap.unreadableProcesses === 0) return undefined;
  const hidden = denied ?? deniedCount(snap);
  if (hidden === 0) return undefined;
  return msg(lang, 'note.hidden', {
    processes: snap.unreadableProcesses, sockets: hidden,
    advice: msg(lang, snap.privileged ? 'note.hidden.root' : 'note.hidden.sudo'),
  });
}

/** How many of the snapshot's sockets are unheld for want of permission. */
export function deniedCount(snap: Pick<Snapshot, 'sockets'>): number {
  return snap.sockets.filter((s) => s.unheldReason === 'permission-denied').length;
}

/**
 * Said when a TCP listener is shown and the source cannot see backlogs
 * (/proc/net, lsof): its Send-Q shows "?" and this says why. Not said after a
 * fallback to /proc/net, whose own note already says it.
 */
export function backlogNote(snap: Snapshot, shown: readonly Socket[], lang: Lang): string | undefined {
  if (snap.backlogKnown || snap.issues.some((i) => i.kind === 'source-fallback')) return undefined;
  if (!shown.some((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.backlog === undefined)) return undefined;
  const key = snap.source === 'lsof' ? 'note.backlog-unknown-lsof' : snap.source === 'windows-netstat' ? 'note.backlog-unknown-windows'
    : snap.source === 'macos-netstat' ? 'note.backlog-unknown-macos' : 'note.backlog-unknown';
  return msg(lang, key);
}

// The columns of the socket table, as data: shared by the text table, CSV and
// (later) the live view, so that all of them say the same thing.
import { serviceName } from '../explain/services.js';
import { safeText } from './safe-text.js';
import type { ContainerRef, Holder, NetnsRef, PublishedPort, Socket, SocketState, UnheldReason } from '../model/socket.js';
import type { Snapshot } from '../model/snapshot.js';
import { formatEndpoint } from '../model/socket.js';
import { msg, type Lang, type MessageKey } from '../explain/i18n.js';
import { clip, type Paint } from './sink.js';

/** What a cell needs to know besides the socket. */
export interface CellOptions {
  numeric: boolean;
  lang: Lang;
  /** This host's ephemeral port range: ports in it are shown as numbers (see portName). */
  ephemeral?: readonly [number, number];
  /** Narrow terminal: ss's short state name ESTAB for ESTABLISHED (the only long one). */
  shortStates?: boolean;
}

export interface Column {
  id: string;
  /** Catalog key of the header. */
  header: MessageKey;
  align: 'left' | 'right';
  /** The cell text, safe for a terminal (text from other processes has passed safeText()). */
  text(s: Socket, o: CellOptions): string;
  /**
   * The cell as a list (holders): where a narrow terminal may break it over
   * several lines. text() is these joined with ", ".
   */
  parts?(s: Socket, o: CellOptions): string[];
  /** A shorter header for a narrow terminal. */
  shortHeader?: MessageKey;
}

/**
 * The name a table gives a port, or undefined for its number. A port in the
 * host's ephemeral range is almost always one the kernel handed a client, and
 * IANA registers names for thousands of them (38001 is "ivs-insertion"): named,
 * a client's port would read as a service it is not. So only ports outside
 * that range are named (without a known range, Linux's default 32768-60999).
 */
export function portName(p: number, protocol: Socket['protocol'], numeric: boolean, ephemeral: readonly [number, number] = LINUX_EPHEMERAL): string | undefined {
  if (numeric || (p >= ephemeral[0] && p <= ephemeral[1])) return undefined;
  return serviceName(p, protocol);
}

const LINUX_EPHEMERAL: readonly [number, number] = [32768, 60999];

function port(p: number, s: Socket, o: CellOptions): string {
  return portName(p, s.protocol, o.numeric, o.ephemeral) ?? String(p);
}

export function localCell(s: Socket, o: CellOptions): string {
  return formatEndpoint(s.localAddress, port(s.localPort, s, o));
}

export function remoteCell(s: Socket, o: CellOptions): string {
  const numeric = o.numeric;
  // No peer yet: print it the way ss does, "*" for the port.
  if (s.remotePort === 0 && (s.remoteAddress === '0.0.0.0' || s.remoteAddress === '::')) return formatEndpoint(s.remoteAddress, '*');
  // Remote ports are the peer's service when it is a well-known one, else its ephemeral port.
  return formatEndpoint(s.remoteAddress, port(s.remotePort, s, o));
}

/**
 * A process name as a view shows it: every view takes names from here (or
 * from holderText), so none can print one without safeText().
 */
export function nameText(name: string | undefined): string {
  return name === undefined ? '?' : safeText(name);
}

/**
 * A process name inside a list of holders ("4242/nginx fd 3, 4243/nginx fd 3"):
 * escaped, and its commas written \x2c, so that a name such as "x fd 3, 1/sshd"
 * (15 bytes: a comm can hold it) cannot read as a second holder, pid 1.
 */
export function holderName(name: string | undefined): string {
  const text = nameText(name);
  return text.includes(',') ? text.replace(/,/g, '\\x2c') : text;
}

/**
 * A command line as a view shows it: escaped by safeText(), and cut to
 * `width` columns with a visible "…" unless `width` is undefined (a pipe, or
 * --wide). Only the part that can be shown is escaped, so a 170 KB command
 * line costs as little as a short one.
 */
export function commandText(command: string, width: number | undefined): string {
  if (width === undefined) return safeText(command);
  const max = Math.max(width, 1);
  // Every character shown takes at least one column, except combining marks:
  // a head of a few times the width is all that can be shown.
  let cut = Math.min(command.length, max * 4 + 4);
  if (cut === command.length) return clip(safeText(command), max);
  const c = command.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--; // never split a surrogate pair
  // The command goes on past the head: the marker shows even when the head fits.
  return clip(safeText(command.slice(0, cut)) + '…', max);
}

/** "pid/name fd N", with the name made safe for a terminal. */
export function holderText(h: Holder, lang: Lang): string {
  if (h.fd === undefined) {
    return h.name === undefined ? msg(lang, 'view.holder.pid', { pid: h.pid }) : msg(lang, 'view.holder.nofd', { pid: h.pid, name: holderName(h.name) });
  }
  return msg(lang, 'view.holder', { pid: h.pid, name: holderName(h.name), fd: h.fd });
}

/** Why a socket has no holder, in words. */
export function unheldText(r: UnheldReason, lang: Lang): string {
  return msg(lang, `unheld.${r}`);
}

/** The PID/Program cell as a list: every holder, or why there is none (never blank). */
export function holdersParts(s: Pick<Socket, 'holders' | 'unheldReason'>, lang: Lang): string[] {
  if (s.holders.length === 0) return [msg(lang, 'view.unheld', { reason: unheldText(s.unheldReason ?? 'unknown', lang) })];
  return s.holders.map((h) => holderText(h, lang));
}

/** The PID/Program cell: every holder, or why there is none (never blank). */
export function holdersCell(s: Pick<Socket, 'holders' | 'unheldReason'>, lang: Lang): string {
  return holdersParts(s, lang).join(', ');
}

/** The state, or ss's ESTAB for ESTABLISHED on a narrow terminal. */
export function stateText(s: Socket, o: CellOptions): string {
  return o.shortStates && s.state === 'ESTABLISHED' ? 'ESTAB' : s.state;
}

/**
 * Send-Q: on a TCP listener it is the backlog, as ss shows it; a source that
 * cannot see the backlog (/proc/net, which prints 0 there) gets "?", not a
 * made-up 0.
 */
export function sendQText(s: Socket): string {
  if (s.protocol === 'tcp' && s.state === 'LISTEN') return s.backlog === undefined ? '?' : String(s.backlog);
  return String(s.sendQ);
}

export const COLUMNS: readonly Column[] = [
  { id: 'proto', header: 'view.col.proto', align: 'left', text: (s) => (s.family === 'ipv6' ? s.protocol + '6' : s.protocol) },
  { id: 'local', header: 'view.col.local', shortHeader: 'view.col.local.short', align: 'left', text: localCell },
  { id: 'remote', header: 'view.col.remote', shortHeader: 'view.col.remote.short', align: 'left', text: remoteCell },
  { id: 'state', header: 'view.col.state', align: 'left', text: stateText },
  { id: 'recvq', header: 'view.col.recvq', align: 'right', text: (s) => String(s.recvQ) },
  { id: 'sendq', header: 'view.col.sendq', align: 'right', text: sendQText },
  { id: 'holders', header: 'view.col.holders', align: 'left', text: (s, o) => holdersCell(s, o.lang), parts: (s, o) => holdersParts(s, o.lang) },
];

/** Colour of a state on a terminal: the ones that ask for attention stand out. */
export function stateStyle(state: SocketState): Paint | undefined {
  switch (state) {
    case 'LISTEN': return 'green';
    case 'CLOSE_WAIT': return 'red';
    case 'SYN_SENT':
    case 'SYN_RECV': return 'yellow';
    case 'TIME_WAIT':
    case 'FIN_WAIT1':
    case 'FIN_WAIT2':
    case 'LAST_ACK':
    case 'CLOSING':
    case 'CLOSE': return 'dim';
    default: return undefined;
  }
}

/** Bytes in a few characters: 512, 1.2K, 3.4M, 5.6G (powers of 1024). */
export function shortBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['', 'K', 'M', 'G', 'T', 'P'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? String(n) : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** A round-trip time in ms as ss prints it: 0.011, 1.5, 230. */
function shortMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3).replace(/0+$/, '').replace(/\.$/, '') : ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

const dash = (s: Socket, f: (t: NonNullable<Socket['tcp']>) => string): string => (s.tcp ? f(s.tcp) : '-');

/**
 * The columns `list -i` adds before the holders: what the kernel tracks inside
 * each TCP connection (struct tcp_info). "-" where there is nothing: UDP, a
 * listener, a TIME_WAIT, or a source without it (/proc/net, lsof).
 */
export const INFO_COLUMNS: readonly Column[] = [
  { id: 'rtt', header: 'view.col.rtt', align: 'right', text: (s) => dash(s, (t) => `${shortMs(t.rttMs)}/${shortMs(t.rttVarMs)}`) },
  { id: 'cwnd', header: 'view.col.cwnd', align: 'right', text: (s) => dash(s, (t) => String(t.cwnd)) },
  { id: 'retrans', header: 'view.col.retrans', align: 'right', text: (s) => dash(s, (t) => `${t.retransmits}/${t.totalRetrans}`) },
  { id: 'sent', header: 'view.col.sent', align: 'right', text: (s) => dash(s, (t) => shortBytes(t.bytesSent ?? t.bytesAcked)) },
  { id: 'received', header: 'view.col.received', align: 'right', text: (s) => dash(s, (t) => shortBytes(t.bytesReceived)) },
  { id: 'cc', header: 'view.col.cc', align: 'left', text: (s) => dash(s, (t) => t.congestion ?? '?') },
];

/** The table's columns with the tcp_info ones before the holders. */
export function withInfoColumns(columns: readonly Column[] = COLUMNS): Column[] {
  const i = columns.findIndex((c) => c.id === 'holders');
  return [...columns.slice(0, i), ...INFO_COLUMNS, ...columns.slice(i)];
}

/**
 * Whether a table of this snapshot shows the namespace columns (NETNS, and the
 * container or unit): only when some socket lives outside the host's network
 * namespace, so that a plain machine's tables stay as they were.
 */
export function showsNamespaces(snap: Pick<Snapshot, 'sockets'>): boolean {
  return snap.sockets.some((s) => s.netns !== undefined && !s.netns.host);
}

/** A namespace as a cell: its name, else its inode; "host" for the host's. Names are file names from the system: escaped. */
export function netnsText(n: NetnsRef | undefined, lang: Lang): string {
  if (n === undefined) return '-';
  if (n.host) return msg(lang, 'netns.host');
  return n.name !== undefined ? safeText(n.name) : String(n.inode);
}

export const NETNS_COLUMN: Column = { id: 'netns', header: 'netns.col', align: 'left', text: (s, o) => netnsText(s.netns, o.lang) };

/** The columns with NETNS before the holders (or at the end when there is no holders column). */
export function withNetnsColumn(columns: readonly Column[] = COLUMNS): Column[] {
  if (columns.some((c) => c.id === 'netns')) return [...columns];
  const i = columns.findIndex((c) => c.id === 'holders' || c.id === 'shared');
  return i < 0 ? [...columns, NETNS_COLUMN, CONTAINER_COLUMN] : [...columns.slice(0, i), NETNS_COLUMN, CONTAINER_COLUMN, ...columns.slice(i)];
}

/** A container as a cell: its name, else runtime:short id (the first 12 characters, as the runtimes print ids). Escaped: runtime text. */
export function containerText(c: ContainerRef): string {
  return safeText(c.name ?? `${c.runtime}:${c.id.slice(0, 12)}`);
}

/** Who runs a holder, as a cell: its container, else its systemd unit; undefined when neither is known. */
export function ownerText(h: Pick<Holder, 'container' | 'unit'>): string | undefined {
  if (h.container) return containerText(h.container);
  return h.unit !== undefined ? safeText(h.unit) : undefined;
}

/** Where a published port leads: "web-1:80" (the container, else its address, and the port inside when known). */
export function publishedWhere(p: PublishedPort): string {
  const port = p.containerPort !== undefined ? `:${p.containerPort}` : '';
  if (p.container) return `${containerText(p.container)}${port}`;
  if (p.containerAddress !== undefined) {
    const a = safeText(p.containerAddress);
    return p.containerPort !== undefined ? formatEndpoint(a, p.containerPort) : a;
  }
  return `?${port}`;
}

/** A published port as a cell: "→web-1:80". */
export const publishedText = (p: PublishedPort): string => `\u2192${publishedWhere(p)}`;

/**
 * CONTAINER: who runs each holder (container, else unit), once per distinct
 * one; for a published port, where it leads. Shown with NETNS (showsNamespaces).
 */
export const CONTAINER_COLUMN: Column = {
  id: 'container', header: 'containers.col', align: 'left',
  text: (s) => containerParts(s).join(', '),
  parts: (s) => containerParts(s),
};

function containerParts(s: Socket): string[] {
  const out: string[] = [];
  if (s.published) out.push(publishedText(s.published));
  for (const h of s.holders) {
    const t = ownerText(h);
    if (t !== undefined && !out.includes(t)) out.push(t);
  }
  return out.length ? out : ['-'];
}

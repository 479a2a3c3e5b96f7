// Shared pieces of the pasted-output parsers: the row record they produce,
// state names of every tool mapped onto sockscope's, endpoint splitting, and
// the Socket builder. Pure: no I/O. Example endpoints these helpers read:
//   [fe80::1%7]:49664   127.0.0.53%lo:53   [::ffff:127.0.0.1]:80   :::*   *.*   ::1.5002
import { canonicalAddress, isHostName } from '../../model/address.js';

export { isHostName };
import { servicePort } from '../../explain/services.js';
import type { Family, Holder, Protocol, Socket, SocketState, UnheldReason } from '../../model/socket.js';

/** One socket read from a pasted line (or from several lines merged, for lsof). */
export interface PastedRow {
  /** 1-based line number of the row in the input. */
  line: number;
  socket: Socket;
  /** Every line that named this socket, when more than one did (lsof lists one line per holder). */
  lines?: number[];
  /** Zone / interface text that followed the address (%7, %lo), stripped from the address. */
  localZone?: string;
  remoteZone?: string;
  /** Windows `netstat -b`: the service name line (e.g. "RpcSs") under the row. */
  service?: string;
  /** Windows `netstat -b`: the tool said it could not tell the owner ("Can not obtain ownership information"). */
  ownerUnavailable?: string;
  /** An address column is exactly as wide as the tool cuts it, so the address may be truncated. */
  truncated?: boolean;
  /**
   * Output taken without -n: the address was a host name, kept as printed (never
   * looked up: the name meant something on that machine, not necessarily on this one).
   */
  localIsName?: true;
  remoteIsName?: true;
  /** The port was a service name, turned back into its number with IANA's registry. */
  localService?: string;
  remoteService?: string;
  /**
   * The field filled its column, which may have cut the end of the port off
   * (macOS netstat -A): the port holds the digits that were printed.
   */
  localPortCut?: true;
  remotePortCut?: true;
}

export interface UnreadableLine {
  line: number;
  text: string;
  /** Machine-readable cause: 'unrecognized', 'bad-address', 'bad-port', 'bad-state', 'not-numeric', 'bad-pid',
   * 'out-of-range' (a number wider than its field: never stored rounded). */
  reason?: string;
}

/** What one format's parser returns; index.ts adds the format and platform. */
export interface ParsedPaste {
  rows: PastedRow[];
  unreadable: UnreadableLine[];
  notes: string[];
}

/** Split text into lines (CRLF, LF or CR); line i of the result is line i+1 of the input. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/**
 * Tabs become spaces; trailing blanks go. Column positions are not relied on.
 * A loop, not /[\s\u0000]+$/: that regex retries from every blank of a long run
 * of blanks followed by text, O(n²) (one line of "tcp" + 400,000 spaces took 111 s).
 */
export function clean(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c === 0 || /\s/.test(line[end - 1]!)) end--;
    else break;
  }
  const t = end === line.length ? line : line.slice(0, end);
  return t.includes('\t') ? t.replace(/\t/g, ' ') : t;
}

/** Whitespace-separated tokens of a line. */
export function tokens(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Lines every tool prints around its table, or that people paste with it: skipped silently. */
const CHATTER: readonly RegExp[] = [
  /^\s*Active Internet connections\b/i,
  /^\s*Active Connections\s*$/i,
  /^\s*Aktive Verbindungen\s*$/i,
  /^\s*(Conexiones activas|Connexions actives|Conex[oõ]es ativas|Connessioni attive|アクティブな接続|Активные подключения)\s*$/i,
  /^\s*活动连接\s*$/,
  /^\s*活動連線\s*$/,
  /^\s*\(Not all processes could be identified/i,
  /^\s*(non-owned process info will not be shown|you would have to be root)/i,
  /^\s*\(No info could be read for "-p"/i,
  /^\s*lsof: WARNING/i,
  /^\s*Output information may be incomplete\.?\s*$/i,
  // A prompt line with the command itself: "C:\>netstat -ano", "$ sudo ss -tanp".
  /^\s*(?:\S*[>$#%]\s*)?(?:sudo\s+)?(?:netstat|ss|lsof)(?:\.exe)?(?:\s+-\S+)*(?:\s*\|.*)?\s*$/i,
];

export function isChatter(line: string): boolean {
  return CHATTER.some((re) => re.test(line));
}

/**
 * Every state spelling the five tools print, upper-cased with '-' turned into '_':
 * netstat (net-tools, Windows en/de, BSD/macOS), ss, lsof. German Windows names come
 * from its netstat (ABHÖREN ... WARTEND); cp850 output read as cp1252 turns the Ö
 * into ™ ("ABH™REN"), which the ABH.REN pattern below still accepts.
 */
const STATE_NAMES: Readonly<Record<string, SocketState>> = {
  LISTEN: 'LISTEN', LISTENING: 'LISTEN', 'ABHÖREN': 'LISTEN', ABHOEREN: 'LISTEN',
  ESTABLISHED: 'ESTABLISHED', ESTAB: 'ESTABLISHED', HERGESTELLT: 'ESTABLISHED',
  SYN_SENT: 'SYN_SENT', SYN_SEND: 'SYN_SENT', SYN_GESENDET: 'SYN_SENT',
  SYN_RECV: 'SYN_RECV', SYN_RECEIVED: 'SYN_RECV', SYN_RCVD: 'SYN_RECV', SYN_EMPFANGEN: 'SYN_RECV',
  FIN_WAIT1: 'FIN_WAIT1', FIN_WAIT_1: 'FIN_WAIT1', FIN_WARTEN_1: 'FIN_WAIT1',
  FIN_WAIT2: 'FIN_WAIT2', FIN_WAIT_2: 'FIN_WAIT2', FIN_WARTEN_2: 'FIN_WAIT2',
  TIME_WAIT: 'TIME_WAIT', TIMED_WAIT: 'TIME_WAIT', WARTEND: 'TIME_WAIT',
  CLOSE: 'CLOSE', CLOSED: 'CLOSE', GESCHLOSSEN: 'CLOSE',
  // Windows: BOUND (bound, not listening: Linux calls that CLOSE) and DELETE_TCB (being freed).
  BOUND: 'CLOSE', GEBUNDEN: 'CLOSE', DELETE_TCB: 'CLOSE',
  CLOSE_WAIT: 'CLOSE_WAIT', SCHLIESSEN_WARTEN: 'CLOSE_WAIT',
  LAST_ACK: 'LAST_ACK', LETZTES_ACK: 'LAST_ACK',
  CLOSING: 'CLOSING', SCHLIESSEND: 'CLOSING',
  UNCONN: 'UNCONN',
};

/** sockscope's name for a state word any of the tools prints; undefined if unknown. */
export function normalizeState(word: string, protocol: Protocol): SocketState | undefined {
  const w = word.toUpperCase().replace(/-/g, '_');
  let st = STATE_NAMES[w];
  if (st === undefined && /^ABH.{1,2}REN$/.test(w)) st = 'LISTEN';
  if (st === undefined) return undefined;
  // ss prints UNCONN for a TCP socket in TCP_CLOSE; UDP has only UNCONN and ESTABLISHED.
  if (protocol === 'tcp' && st === 'UNCONN') return 'CLOSE';
  if (protocol === 'udp' && st !== 'UNCONN' && st !== 'ESTABLISHED') return st === 'CLOSE' ? 'UNCONN' : undefined;
  return st;
}

/** True when the word is a state name of some tool (used to tell a state column from a PID column). */
export function isStateWord(word: string): boolean {
  return normalizeState(word, 'tcp') !== undefined;
}

/** An endpoint split into its parts: host text (or '*'), zone, port (0 for '*'). */
export interface Endpoint {
  host: string;
  zone?: string;
  port: number;
  /** The port was '*' (unspecified). */
  anyPort: boolean;
  /** The port was printed as this service name (netstat without -n: "ssh", "https"). */
  service?: string;
  /** The tool cut the service name to fit its column; `service` is the one registered name it can be the start of. */
  serviceCut?: true;
}

/** A service name as /etc/services and IANA spell them: "ssh", "http-alt", "ms-wbt-server", "x11". */
const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9]*(?:[-_.+/][A-Za-z0-9]+)*$/;

function portOf(text: string, protocol?: Protocol): { port: number; any: boolean; service?: string } | undefined {
  if (text === '*') return { port: 0, any: true };
  if (/^\d{1,5}$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? { port: n, any: false } : undefined;
  }
  // A name where the port belongs: the tool ran without -n. Its number is read
  // back from IANA's registry; a name the registry does not know (a local
  // /etc/services entry, or one netstat cut to fit its column) leaves the port
  // unknown: the row is reported unreadable rather than given a guessed port.
  if (protocol === undefined || text.length > 64 || !SERVICE_NAME.test(text)) return undefined;
  const n = servicePort(text, protocol);
  return n === undefined ? { port: -1, any: false, service: text } : { port: n, any: false, service: text };
}

function splitZone(host: string): { host: string; zone?: string } {
  const p = host.indexOf('%');
  if (p < 0) return { host };
  return { host: host.slice(0, p), zone: host.slice(p + 1) };
}

/**
 * host:port as netstat (Linux, Windows), ss and lsof print it: the port follows the
 * last colon; IPv6 hosts may be bracketed ([::1]:80) or not (:::80, ::1:38768).
 */
export function parseColonEndpoint(text: string, protocol?: Protocol): Endpoint | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    // ss puts a link-local address's interface after the bracket: [fe80::1]%eth0:546.
    const colon = text.indexOf(':', close);
    if (colon !== close + 1 && !(text[close + 1] === '%' && colon > close + 2)) return undefined;
    host = text.slice(1, close) + (colon === close + 1 ? '' : text.slice(close + 1, colon));
    portText = text.slice(colon + 1);
  } else {
    const c = text.lastIndexOf(':');
    if (c <= 0) return undefined;
    host = text.slice(0, c);
    portText = text.slice(c + 1);
  }
  const port = portOf(portText, protocol);
  if (!port || host === '' || port.port < 0) return undefined;
  const z = splitZone(host);
  const ep: Endpoint = { host: z.host, zone: z.zone, port: port.port, anyPort: port.any };
  if (port.service !== undefined) ep.service = port.service;
  return ep;
}

/** host.port as BSD/macOS netstat prints it: 127.0.0.1.8080, *.*, ::1.5002, fe80::1%lo0.123. */
export function parseDotEndpoint(text: string, protocol?: Protocol): Endpoint | undefined {
  const d = text.lastIndexOf('.');
  if (d <= 0) return undefined;
  const port = portOf(text.slice(d + 1), protocol);
  if (!port || port.port < 0) return undefined;
  const z = splitZone(text.slice(0, d));
  if (z.host === '') return undefined;
  const ep: Endpoint = { host: z.host, zone: z.zone, port: port.port, anyPort: port.any };
  if (port.service !== undefined) ep.service = port.service;
  return ep;
}

/**
 * Why an endpoint text could not be split: a host or service name (netstat without
 * -n: "myhost:https", "router.lan:*", "[::1]:ssh") or garbage. One pass over the
 * text: the regex this replaces (/[A-Za-z][\w.-]*:[A-Za-z*]/) retried from every
 * letter of a long name, O(n²).
 */
export function endpointProblem(text: string, protocol?: Protocol): 'not-numeric' | 'bad-address' | 'unknown-service' {
  // A service name the registry does not know: the port cannot be told.
  const sep = Math.max(text.lastIndexOf(':'), text.startsWith('[') ? -1 : text.lastIndexOf('.'));
  if (protocol !== undefined && sep > 0 && (portOf(text.slice(sep + 1), protocol)?.port ?? 0) < 0) return 'unknown-service';
  // A run of [\w.-] holding a letter, then ':' and a letter or '*'.
  let runHasLetter = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (c === 58 /* : */) {
      const n = text.charCodeAt(i + 1);
      if (runHasLetter && ((n >= 65 && n <= 90) || (n >= 97 && n <= 122) || n === 42 /* * */)) return 'not-numeric';
      runHasLetter = false;
    } else if (letter) {
      runHasLetter = true;
    } else if (!((c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45)) {
      runHasLetter = false;
    }
  }
  // Or a service name after the last colon: "...:http-alt".
  const k = text.lastIndexOf(':');
  return k >= 0 && /^[a-z][\w-]*$/i.test(text.slice(k + 1)) ? 'not-numeric' : 'bad-address';
}

/** The unspecified address of a family. */
export function anyAddress(family: Family): string {
  return family === 'ipv6' ? '::' : '0.0.0.0';
}

/** Family of a host text: '*' gives `fallback`, anything with a colon is IPv6. */
export function familyOf(host: string, fallback: Family): Family {
  if (host === '*' || host === '') return fallback;
  return host.includes(':') ? 'ipv6' : 'ipv4';
}

/** Canonical address text for a host ('*' → the family's unspecified address); undefined if not an address. */
export function hostAddress(host: string, family: Family): string | undefined {
  if (host === '*' || host === '') return anyAddress(family);
  const c = canonicalAddress(host);
  if (c === undefined) return undefined;
  // An IPv6 address in an IPv4 row (or mixed families in one row) is not a socket.
  if (family === 'ipv4' && c.includes(':')) return undefined;
  // An IPv4 text in an IPv6 socket (netstat tcp6 "127.0.0.1:47311") is the mapped address.
  if (family === 'ipv6' && !c.includes(':')) return `::ffff:${c}`;
  return c;
}

/**
 * hostAddress(), or the host name itself when the tool printed a name (`name`
 * true): such rows are kept, with the name as printed, rather than dropped.
 */
export function hostOrName(host: string, family: Family): { address: string; name: boolean } | undefined {
  const a = hostAddress(host, family);
  if (a !== undefined) return { address: a, name: false };
  return isHostName(host) ? { address: host, name: true } : undefined;
}

/** Record on a row which of its parts were names (netstat without -n), and note it once. */
export function markNames(row: PastedRow, local: Endpoint, localName: boolean, remote: Endpoint | undefined, remoteName: boolean, notes: Notes): void {
  if (localName) row.localIsName = true;
  if (remoteName) row.remoteIsName = true;
  if (local.service !== undefined) row.localService = local.service;
  if (remote?.service !== undefined) row.remoteService = remote.service;
  if (localName || remoteName || local.service !== undefined || remote?.service !== undefined) notes.add('names-not-numeric');
}

/**
 * A UDP socket's state from its foreign address, the one rule of every parser:
 * a peer with a port means connect() was called (ESTABLISHED, as the kernel
 * says); '*', '*:*' or port 0 mean no peer (UNCONN).
 */
export function udpState(remote: Endpoint | undefined): SocketState {
  return remote === undefined || remote.anyPort || remote.port === 0 || remote.host === '*' ? 'UNCONN' : 'ESTABLISHED';
}

/** Why a socket nobody holds has no holder, from what the row tells. */
export function unheldReason(protocol: Protocol, state: SocketState, inodeKnownZero: boolean): UnheldReason {
  if (protocol === 'tcp' && state === 'TIME_WAIT') return 'kernel';
  if (inodeKnownZero && protocol === 'tcp') {
    // Inode 0 and no file: a connection still in a listener's accept queue, or an
    // orphan the kernel finishes closing (the program already closed its fd).
    if (state === 'ESTABLISHED' || state === 'SYN_RECV' || state === 'CLOSE_WAIT') return 'not-accepted';
    return 'kernel';
  }
  return 'unknown';
}

export interface SocketParts {
  protocol: Protocol;
  family: Family;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: SocketState;
  recvQ?: number;
  sendQ?: number;
  inode?: number;
  uid?: number;
  holders: Holder[];
  /** Reason used when holders is empty; computed from the state when absent. */
  unheld?: UnheldReason;
  timer?: Socket['timer'];
}

/** Build the Socket record: absent queues are 0, inode 0, uid 0; unheldReason only when no holder. */
export function makeSocket(p: SocketParts): Socket {
  const s: Socket = {
    protocol: p.protocol, family: p.family,
    localAddress: p.localAddress, localPort: p.localPort,
    remoteAddress: p.remoteAddress, remotePort: p.remotePort,
    state: p.state, recvQ: p.recvQ ?? 0, sendQ: p.sendQ ?? 0,
    inode: p.inode ?? 0, uid: p.uid ?? 0, holders: p.holders,
  };
  if (p.timer) s.timer = p.timer;
  if (p.holders.length === 0) s.unheldReason = p.unheld ?? unheldReason(p.protocol, p.state, p.inode === 0);
  return s;
}

/** A small ordered set of note ids. */
export class Notes {
  private readonly set = new Set<string>();
  add(id: string): void { this.set.add(id); }
  has(id: string): boolean { return this.set.has(id); }
  list(): string[] { return [...this.set]; }
}

/** Non-negative decimal integer, or undefined (absent, not digits, or beyond 2^53). */
export function uint(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

// Field widths. A number wider than its field makes the row unreadable
// ('out-of-range'): stored, it would be a silently wrong value (10^23 bytes
// queued, a pid of 10^20 rounded to a double).
/** Queues are 32-bit counters in every kernel these tools print (Linux, BSD, Windows). */
export const MAX_QUEUE = 0xffffffff;
/** pid_t is 32 bits (Windows pids are DWORDs). */
export const MAX_PID = 0xffffffff;
export const MAX_FD = 0x7fffffff;
export const MAX_UID = 0xffffffff;
/** Inodes are compared as JS numbers: exact only up to 2^53. */
export const MAX_INODE = Number.MAX_SAFE_INTEGER;

/** Non-negative decimal at most `max`; undefined when absent or not digits; 'out-of-range' when larger. */
export function uintMax(text: string | undefined, max: number): number | undefined | 'out-of-range' {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const v = Number(text);
  return v <= max ? v : 'out-of-range';
}

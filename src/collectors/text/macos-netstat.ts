// Parser of macOS (BSD) `netstat -an` and `netstat -anv` output. The port follows the
// last dot; tcp46 is a dual-stack socket. Which column holds the pid depends on the
// macOS version, so it is read from the header. Example lines:
//   Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)     rhiwat shiwat    pid   epid  state    options
//   tcp4       0      0  127.0.0.1.8080         *.*                    LISTEN      131072 131072   1234      0 0x0100 0x00000106
// newer releases:
//   Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)          rxbytes      txbytes  rhiwat  shiwat          process:pid    state  options ...
//   tcp46      0      0  *.443                  *.*                    LISTEN                 0            0  131072  131072      Helium Helper:5660   00100 00000006 ...
// UDP rows leave the (state) column blank. The other sections of `netstat -a`
// (UNIX domain, kernel event/control, multipath) are skipped.
import type { Family, Holder, Protocol, SocketState } from '../../model/socket.js';
import type { Endpoint, ParsedPaste, PastedRow, UnreadableLine } from './common.js';
import { serviceByPrefix } from '../../explain/services.js';
import {
  MAX_PID, MAX_QUEUE, Notes, clean, endpointProblem, hostOrName, isChatter, markNames, makeSocket, normalizeState, parseDotEndpoint, udpState, splitLines,
  tokens, uintMax,
} from './common.js';

/** The header; `netstat -A` puts the socket's kernel address (and, since 10.11, its flow hash) first. */
export const MACOS_HEADER = /^\s*(?:Socket\s+(?:Flowhash\s+)?)?Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+\(state\)/;
/** The kernel address and flow hash that `netstat -A` prints before Proto (the flow hash may be blank). */
const PCB_PREFIX = /^\s*[0-9a-f]{6,16}\s+(?:[0-9a-f]{1,8}\s+)?(?=(?:tcp|udp|icm|rip)(?:4|6|46)\s)/i;
export const MACOS_ROW = /^\s*(?:[0-9a-f]{6,16}\s+(?:[0-9a-f]{1,8}\s+)?)?(tcp|udp)(4|6|46)\s+\d+\s+\d+\s+\S+\.(\d+|\*|[A-Za-z][\w+/-]*)\s+\S+\.(\d+|\*|[A-Za-z][\w+/-]*)(\s|$)/;
/**
 * The width of netstat's address columns without -W: "host.port" longer than
 * this is cut. The host is first cut to 16 characters, so at 22 the port is
 * whole; with -A the column is 18 wide and the port itself may be cut.
 */
const MACOS_ADDR_WIDTH = 22;
const MACOS_ADDR_WIDTH_A = 18;
/** What is left of an IPv6 address cut short: hex and colons, at least one colon. */
const CUT_V6 = /^[0-9a-f]*:[0-9a-f:]*$/i;
const OTHER_SECTION = /^\s*(Active (LOCAL \(UNIX\) domain sockets|UNIX domain sockets|Multipath Internet connections|kernel (event|control) sockets|VSock)|Registered kernel control modules)/i;

/** Where the pid is, counted in whitespace tokens after the state (TCP) or foreign address (UDP). */
type PidColumn = { kind: 'number'; index: number } | { kind: 'process'; index: number } | { kind: 'none' };

/** Read the pid column's place from a header line. */
export function macosPidColumn(header: string): PidColumn {
  const after = header.split('(state)')[1];
  if (after === undefined) return { kind: 'none' };
  const names = tokens(after);
  const p = names.indexOf('pid');
  if (p >= 0) return { kind: 'number', index: p };
  const q = names.indexOf('process:pid');
  if (q >= 0) return { kind: 'process', index: q };
  return { kind: 'none' };
}

export function parseMacosNetstat(text: string): ParsedPaste {
  const lines = splitLines(text);
  const rows: PastedRow[] = [];
  const unreadable: UnreadableLine[] = [];
  const notes = new Notes();
  let cols: PidColumn | undefined;
  let inOther = false;
  let sawPid = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = clean(lines[i]!);
    const lineNo = i + 1;
    if (raw.trim() === '') continue;
    if (OTHER_SECTION.test(raw)) { inOther = true; notes.add('skipped-other-sections'); continue; }
    if (/^\s*Active Internet connections/i.test(raw)) { inOther = false; continue; }
    if (isChatter(raw)) continue;
    if (MACOS_HEADER.test(raw)) { cols = macosPidColumn(raw); inOther = false; continue; }
    if (inOther) continue;
    const pcb = PCB_PREFIX.exec(raw);
    if (pcb) notes.add('pcb-addresses');
    const row = pcb ? raw.slice(pcb[0].length) : raw;
    // ICMP and raw sockets (netstat -a lists them with the Internet ones): not TCP or UDP.
    if (/^\s*(icm|rip)(4|6|46)\s/.test(row)) { notes.add('skipped-other-protocols'); continue; }
    if (!MACOS_ROW.test(raw)) {
      unreadable.push({ line: lineNo, text: lines[i]!, reason: 'unrecognized' });
      continue;
    }
    const r = parseRow(row, lineNo, cols, notes, pcb ? MACOS_ADDR_WIDTH_A : MACOS_ADDR_WIDTH);
    if (!('socket' in r)) r.text = lines[i]!;
    if (!('socket' in r)) { unreadable.push(r); continue; }
    if (r.socket.holders.length > 0) sawPid = true;
    rows.push(r);
  }
  if (!sawPid) notes.add('no-pids');
  return { rows, unreadable, notes: notes.list() };
}

function parseRow(line: string, lineNo: number, cols: PidColumn | undefined, notes: Notes, width: number): PastedRow | UnreadableLine {
  const bad = (reason: string): UnreadableLine => ({ line: lineNo, text: line, reason });
  const t = tokens(line);
  const proto = t[0]!;
  const protocol: Protocol = proto.startsWith('tcp') ? 'tcp' : 'udp';
  const v = proto.slice(3);
  const family: Family = v === '4' ? 'ipv4' : 'ipv6';
  if (v === '46') notes.add('dual-stack');
  const recvQ = uintMax(t[1], MAX_QUEUE);
  const sendQ = uintMax(t[2], MAX_QUEUE);
  if (recvQ === 'out-of-range' || sendQ === 'out-of-range') return bad('out-of-range');
  const local = parseDotEndpoint(t[3] ?? '', protocol) ?? cutService(t[3] ?? '', protocol, width);
  const remote = parseDotEndpoint(t[4] ?? '', protocol) ?? cutService(t[4] ?? '', protocol, width);
  if (!local || !remote) return bad(endpointProblem(!local ? t[3] ?? '' : t[4] ?? '', protocol));
  let k = 5;
  let state: SocketState;
  if (protocol === 'tcp') {
    const st = t[5] === undefined ? undefined : normalizeState(t[5], 'tcp');
    if (st === undefined || st === 'UNCONN') return bad('bad-state');
    state = st;
    k = 6;
  } else {
    state = udpState(remote);
  }
  // The pid: from the header's column, or guessed from the shape of the row.
  const after = t.slice(k);
  let col = cols;
  if (col === undefined && after.length > 0) {
    notes.add('pid-column-guessed');
    if (after.some((x) => /:\d+$/.test(x))) col = { kind: 'process', index: 4 };
    else if (after.length >= 5 && after[4]!.startsWith('0x')) col = { kind: 'number', index: 2 };
    else if (after.length >= 6) col = { kind: 'number', index: 4 };
    else col = { kind: 'none' };
  }
  const holders: Holder[] = [];
  if (col?.kind === 'number') {
    const pid = uintMax(after[col.index], MAX_PID);
    if (pid === undefined) return bad('bad-pid');
    if (pid === 'out-of-range') return bad('out-of-range');
    if (pid > 0) holders.push({ pid });
  } else if (col?.kind === 'process') {
    // "process:pid": the name may hold spaces and is cut to 16 characters by netstat.
    const j = after.findIndex((x, n) => n >= col.index && /:\d+$/.test(x));
    if (j < 0) return bad('bad-pid');
    const joined = after.slice(col.index, j + 1).join(' ');
    const c = joined.lastIndexOf(':');
    const pid = uintMax(joined.slice(c + 1), MAX_PID);
    if (pid === undefined) return bad('bad-pid');
    if (pid === 'out-of-range') return bad('out-of-range');
    const name = nameFrom(line, after.slice(col.index, j + 1));
    if (pid > 0) holders.push(name === '' ? { pid } : { pid, name });
  }
  const l = hostOrName(local.host, family);
  const r = hostOrName(remote.host, family);
  const localAddress = l?.address;
  const remoteAddress = r?.address;
  // Without -W, netstat cuts an IPv6 host so that host.port fits its column: such
  // a host is kept as printed with an ellipsis, never completed or passed off as exact.
  const cutL = l === undefined && family !== 'ipv4' && CUT_V6.test(local.host);
  const cutR = r === undefined && family !== 'ipv4' && CUT_V6.test(remote.host);
  if ((l === undefined && !cutL) || (r === undefined && !cutR) ) return bad('not-numeric');
  const row: PastedRow = {
    line: lineNo,
    socket: makeSocket({
      protocol, family, localAddress: localAddress ?? `${local.host}…`, localPort: local.port,
      remoteAddress: remoteAddress ?? `${remote.host}…`, remotePort: remote.port,
      state, recvQ, sendQ, holders,
    }),
  };
  markNames(row, local, l?.name === true, remote, r?.name === true, notes);
  if (local.serviceCut || remote.serviceCut) notes.add('service-name-completed');
  // A field as wide as the column may hold a cut address even when what is left parses.
  if (cutL || cutR || local.serviceCut || remote.serviceCut || (family !== 'ipv4' && ((t[3]!.length >= width && local.host.includes(':')) || (t[4]!.length >= width && remote.host.includes(':'))))) {
    row.truncated = true;
    notes.add('address-may-be-truncated');
  }
  // With -A a field that fills its column may have lost the end of its port:
  // the digits left are kept, and the row says they may be only the start.
  if (width < MACOS_ADDR_WIDTH) {
    if (t[3]!.length >= width && !local.anyPort && local.service === undefined) row.localPortCut = true;
    if (t[4]!.length >= width && !remote.anyPort && remote.service === undefined) row.remotePortCut = true;
    if (row.localPortCut || row.remotePortCut) { row.truncated = true; notes.add('port-may-be-truncated'); }
  }
  if (local.zone !== undefined) row.localZone = local.zone;
  if (remote.zone !== undefined) row.remoteZone = remote.zone;
  return row;
}

/**
 * host.service where netstat cut the service name to fit its column (the field
 * is exactly the column's width): the one registered name that begins with what
 * is left ("afpov" → afpovertcp, 548). Undefined when the field is not at the
 * width, or when no name or several names fit.
 */
function cutService(text: string, protocol: Protocol, width: number): Endpoint | undefined {
  if (text.length < width) return undefined;
  const d = text.lastIndexOf('.');
  if (d <= 0) return undefined;
  const match = serviceByPrefix(text.slice(d + 1), protocol);
  if (!match) return undefined;
  const ep = parseDotEndpoint(`${text.slice(0, d)}.${match.name}`, protocol);
  return ep ? { ...ep, serviceCut: true } : undefined;
}

/** The process name of a "process:pid" field, with its inner spaces as printed. */
function nameFrom(line: string, parts: string[]): string {
  const first = parts[0]!;
  const lastPart = parts[parts.length - 1]!;
  // Find the field in the original line to keep inner spacing ("Antigravity IDE :2086").
  const re = new RegExp(`${escape(first)}.*?${escape(lastPart)}`);
  const m = re.exec(line.slice(nthFieldOffset(line, 5)));
  const field = m ? m[0] : parts.join(' ');
  return field.slice(0, field.lastIndexOf(':')).trim();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Character offset where the n-th whitespace token (0-based) of the line starts. */
function nthFieldOffset(line: string, n: number): number {
  const re = /\S+/g;
  let m: RegExpExecArray | null = null;
  for (let i = 0; i <= n; i++) {
    m = re.exec(line);
    if (!m) return line.length;
  }
  return m!.index;
}

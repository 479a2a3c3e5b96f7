// Parser of Windows `netstat -ano`, `-an` and `-anob` output, in any display language
// (the headers are translated; states stay English in zh-CN, and are German in de-DE).
// Example lines (the -b form puts the service and the executable under the row):
//   Proto  Local Address          Foreign Address        State           PID
//   TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012
//    RpcSs
//    [svchost.exe]
//   TCP    [fe80::1%7]:49664      [::]:0                 LISTENING       868
//   UDP    0.0.0.0:5353           *:*                                    2240
// Windows prints no queues; PID 4 is the kernel ("System": HTTP.sys and SMB listen
// there) and PID 0 the idle pseudo-process that TIME_WAIT rows are charged to.
import type { Holder, Protocol, SocketState } from '../../model/socket.js';
import type { ParsedPaste, PastedRow, UnreadableLine } from './common.js';
import {
  Notes, clean, endpointProblem, familyOf, hostOrName, udpState, isChatter, isHostName, markNames, makeSocket, normalizeState, parseColonEndpoint,
  MAX_PID, splitLines, tokens, uintMax,
} from './common.js';

/** Header lines: "Proto Local Address Foreign Address State PID" in English, German, Chinese. */
// The column header in the languages Windows ships netstat in (en, de, es, fr, pt, it, zh-CN, zh-TW, ja, ru).
export const WINDOWS_HEADER = /^\s*(Proto\s+(Local Address|Lokale Adresse|Direcci[oó]n local|Adresse locale|Endere[cç]o local|Indirizzo locale)|协议\s+本地地址|協定\s+本機位址|プロトコル\s+ローカル\s*アドレス|Имя\s+Локальный адрес)/i;
/** A row: upper-case TCP/UDP, then host:port. */
export const WINDOWS_ROW = /^\s*(TCP|UDP)(v6)?\s+(\[[^\]\s]+\]|[^\s:]+|\S+):(\d+|\*|[A-Za-z][\w.+/-]*)\s+\S+/;

/** "Can not obtain ownership information" as the -b option prints it (en, zh-CN). */
const NO_OWNER = /^(can not obtain ownership information|无法获取所有权信息)$/i;

export const WINDOWS_NOTE_PID4 = 'windows-pid-4';
export const WINDOWS_NOTE_PID0 = 'windows-pid-0';

export function parseWindowsNetstat(text: string): ParsedPaste {
  const lines = splitLines(text);
  const rows: PastedRow[] = [];
  const unreadable: UnreadableLine[] = [];
  const notes = new Notes();
  notes.add('no-queues');
  // The row that -b lines below belong to.
  let last: PastedRow | undefined;
  let sawPid = false;
  let sawNoPid = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = clean(lines[i]!);
    const lineNo = i + 1;
    if (raw.trim() === '' || isChatter(raw)) continue;
    if (WINDOWS_HEADER.test(raw)) { last = undefined; continue; }
    if (WINDOWS_ROW.test(raw)) {
      const r = parseRow(raw, lineNo, notes);
      if (!('row' in r)) { unreadable.push(r); last = undefined; continue; }
      rows.push(r.row);
      if (r.hasPid) sawPid = true; else sawNoPid = true;
      last = r.row;
      continue;
    }
    // -b lines: " [svchost.exe]", "  RpcSs", " Can not obtain ownership information".
    const t = raw.trim();
    if (last) {
      const exe = /^\[(.+)\]$/.exec(t);
      if (exe) {
        notes.add('windows-b');
        nameHolder(last, exe[1]!.trim());
        continue;
      }
      if (NO_OWNER.test(t)) {
        notes.add('windows-b');
        notes.add('windows-owner-unavailable');
        last.ownerUnavailable = t;
        continue;
      }
      if (/^--.*--$/.test(t)) continue; // "-- unknown component(s) --" (older Windows)
      if (/^[\w.$@-]+$/.test(t) && last.service === undefined && !/^\d+$/.test(t)) {
        notes.add('windows-b');
        last.service = t;
        continue;
      }
      // "No address in it": a dotted quad or ":port". Written so that each digit run is
      // tried from one place only (/\d+\.\d+.../ retried from every digit, O(n²)).
      if (!/\d\.\d+\.\d+\.\d|:\d/.test(t) && /\s/.test(t)) {
        // Another language's "cannot obtain ownership" sentence: keep it verbatim.
        notes.add('windows-b');
        notes.add('windows-owner-unavailable');
        last.ownerUnavailable = t;
        continue;
      }
    }
    unreadable.push({ line: lineNo, text: lines[i]!, reason: 'unrecognized' });
    last = undefined;
  }
  if (sawNoPid && !sawPid) notes.add('no-pids');
  return { rows, unreadable, notes: notes.list() };
}

function nameHolder(row: PastedRow, name: string): void {
  const h = row.socket.holders[0];
  if (h) h.name = name;
}

function parseRow(line: string, lineNo: number, notes: Notes):
  { row: PastedRow; hasPid: boolean } | UnreadableLine {
  const bad = (reason: string): UnreadableLine => ({ line: lineNo, text: line, reason });
  const t = tokens(line);
  const protocol: Protocol = t[0]!.toUpperCase().startsWith('TCP') ? 'tcp' : 'udp';
  const local = parseColonEndpoint(t[1] ?? '', protocol);
  const remote = parseColonEndpoint(t[2] ?? '', protocol);
  if (!local || !remote) {
    const why = endpointProblem(!local ? t[1] ?? '' : t[2] ?? '', protocol);
    if (why !== 'bad-address') notes.add('names-not-numeric');
    return bad(why);
  }
  let k = 3;
  let state: SocketState | undefined = protocol === 'udp' ? udpState(remote) : undefined;
  if (protocol === 'tcp') {
    const word = t[3];
    if (word === undefined) return bad('bad-state');
    const st = normalizeState(word, 'tcp');
    if (st === undefined || st === 'UNCONN') return bad('bad-state');
    state = st;
    k = 4;
  }
  let pid: number | undefined;
  if (t.length > k) {
    const p = uintMax(t[k], MAX_PID);
    if (p === 'out-of-range') return bad('out-of-range');
    pid = p;
    if (pid === undefined || t.length > k + 1) return bad('bad-pid');
  }
  // A host name says nothing of the family: the other end's address may (names alone: IPv4, as Windows prints IPv6 numerically in brackets).
  const family = familyOf(local.host === '*' || isHostName(local.host) ? remote.host : local.host, 'ipv4');
  const l = hostOrName(local.host, family);
  const r = hostOrName(remote.host, family);
  if (l === undefined || r === undefined) {
    // A host with a colon was meant as an IPv6 address; anything else that is not a name is garbage.
    const host = l === undefined ? local.host : remote.host;
    return bad(host.includes(':') || !/[A-Za-z]/.test(host) ? 'bad-address' : 'not-numeric');
  }
  const localAddress = l.address;
  const remoteAddress = r.address;
  const holders: Holder[] = [];
  if (pid === 4) { holders.push({ pid: 4, name: 'System' }); notes.add('windows-pid-4'); }
  else if (pid === 0) notes.add('windows-pid-0');
  else if (pid !== undefined) holders.push({ pid });
  const socket = makeSocket({
    protocol, family, localAddress, localPort: local.port, remoteAddress, remotePort: remote.port,
    state: state!, holders, unheld: pid === 0 ? 'kernel' : undefined,
  });
  const row: PastedRow = { line: lineNo, socket };
  markNames(row, local, l.name, remote, r.name, notes);
  if (local.zone !== undefined) row.localZone = local.zone;
  if (remote.zone !== undefined) row.remoteZone = remote.zone;
  return { row, hasPid: pid !== undefined };
}

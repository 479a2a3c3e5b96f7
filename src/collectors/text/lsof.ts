// Parser of `lsof -i -nP` output (Linux and macOS). Example lines (lsof 4.95, Linux):
//   COMMAND PID USER   FD   TYPE  DEVICE SIZE/OFF NODE NAME
//   python3 395 root    3u  IPv4 2535471      0t0  TCP 127.0.0.1:19090 (LISTEN)
//   python3 395 root    5u  IPv4 2535473      0t0  TCP 127.0.0.1:41160->127.0.0.1:19090 (ESTABLISHED)
//   python3 437 root    3u  IPv4 2535471      0t0  TCP 127.0.0.1:19090 (LISTEN)
// One line per (process, fd): lines with the same DEVICE and NODE name one socket, which
// becomes one row with several holders. DEVICE is the socket inode on Linux and a kernel
// address (0x...) on macOS, so it is used only to merge, never as the inode. lsof escapes
// blanks in COMMAND ("my\x20wor") and cuts it to 9 characters; it shows no queues.
import type { Family, Holder, Protocol, SocketState } from '../../model/socket.js';
import type { ParsedPaste, PastedRow, UnreadableLine } from './common.js';
import {
  MAX_FD, MAX_PID, MAX_UID, Notes, clean, endpointProblem, hostAddress, hostOrName, isChatter, markNames, makeSocket, normalizeState, parseColonEndpoint, udpState, splitLines,
  tokens, uintMax,
} from './common.js';

export const LSOF_HEADER = /^\s*COMMAND\s+PID\s+(TID\s+(TASKCMD\s+)?)?USER\s+FD\s+TYPE\s+DEVICE\s+SIZE\/OFF\s+NODE\s+NAME/;
export const LSOF_ROW = /^\S+\s+\d+\s.*\sIPv[46]\s+\S+\s+(\S+\s+)?(TCP|UDP)\s+\S+/;

export interface LsofResult extends ParsedPaste {
  /** Hex DEVICE values (0x...) mean macOS, decimal ones Linux. */
  platform: 'linux' | 'macos';
}

/** Undo lsof's \xNN escapes in a command name. */
export function unescapeCommand(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export function parseLsof(text: string): LsofResult {
  const lines = splitLines(text);
  const rows: PastedRow[] = [];
  const unreadable: UnreadableLine[] = [];
  const notes = new Notes();
  notes.add('no-queues');
  const byKey = new Map<string, PastedRow>();
  let hex = 0;
  let dec = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = clean(lines[i]!);
    const lineNo = i + 1;
    if (raw.trim() === '' || isChatter(raw) || LSOF_HEADER.test(raw)) continue;
    const t = tokens(raw);
    const ti = t.findIndex((x, n) => n >= 3 && /^IPv[46]$/.test(x));
    const ni = t.findIndex((x, n) => n > ti + 1 && (x === 'TCP' || x === 'UDP' || x === 'ICMP' || x === 'ICMPV6' || x === 'RAW'));
    // Plain lsof (without -i) lists every open file: directories, libraries, pipes,
    // Unix sockets. A line of a process (COMMAND PID ...) that is not an IPv4/IPv6
    // file is one of those: skipped, and said once in the notes.
    if (ti < 0 && t.length >= 5 && /^\d+$/.test(t[1]!)) { notes.add('skipped-other-files'); continue; }
    if (ti < 0 || ni < 0) { unreadable.push({ line: lineNo, text: lines[i]!, reason: 'unrecognized' }); continue; }
    const nodeName = t[ni]!;
    if (nodeName !== 'TCP' && nodeName !== 'UDP') { notes.add('skipped-other-protocols'); continue; }
    const bad = (reason: string): void => { unreadable.push({ line: lineNo, text: lines[i]!, reason }); };
    const pid = uintMax(t[1], MAX_PID);
    if (pid === undefined) { bad('bad-pid'); continue; }
    if (pid === 'out-of-range') { bad('out-of-range'); continue; }
    const device = t[ti + 1]!;
    if (/^0x[0-9a-f]+$/i.test(device)) hex++; else if (/^\d+$/.test(device)) dec++;
    const fdm = /^(\d+)[rwu]?$/.exec(t[ti - 1]!);
    const fd = uintMax(fdm?.[1], MAX_FD);
    if (fd === 'out-of-range') { bad('out-of-range'); continue; }
    const user = t[ti - 2];
    const protocol: Protocol = nodeName === 'TCP' ? 'tcp' : 'udp';
    const family: Family = t[ti] === 'IPv6' ? 'ipv6' : 'ipv4';
    const nameTokens = t.slice(ni + 1);
    let stateText: string | undefined;
    const last = nameTokens[nameTokens.length - 1];
    if (last !== undefined && /^\(.*\)$/.test(last)) { stateText = last.slice(1, -1); nameTokens.pop(); }
    const name = nameTokens.join(' ');
    const [lText, rText] = name.split('->');
    const local = parseColonEndpoint(lText ?? '', protocol);
    const remote = rText === undefined ? undefined : parseColonEndpoint(rText, protocol);
    if (!local || (rText !== undefined && !remote)) {
      const why = endpointProblem(!local ? lText ?? '' : rText ?? '', protocol);
      if (why !== 'bad-address') notes.add('names-not-numeric');
      bad(why);
      continue;
    }
    let state: SocketState;
    if (stateText !== undefined) {
      const st = normalizeState(stateText, protocol);
      if (st === undefined) { bad('bad-state'); continue; }
      state = st;
    } else if (protocol === 'udp') {
      state = udpState(remote);
    } else {
      // lsof prints TCP state unless -T was given without 's'.
      notes.add('no-tcp-state');
      bad('bad-state');
      continue;
    }
    const l = lsofHost(local.host, family);
    const r = remote ? lsofHost(remote.host, family) : { address: hostAddress('*', family)!, name: false };
    if (l === undefined || r === undefined) { notes.add('names-not-numeric'); bad('not-numeric'); continue; }
    const localAddress = l.address;
    const remoteAddress = r.address;
    const holder: Holder = { pid, name: unescapeCommand(t[0]!).trim() };
    if (fd !== undefined) holder.fd = fd;
    if (user !== undefined && user !== t[1]) {
      const uid = uintMax(user, MAX_UID);
      if (uid === 'out-of-range') { bad('out-of-range'); continue; }
      if (uid !== undefined) holder.uid = uid; else holder.user = user;
    }
    const key = `${protocol} ${device} ${t[ni + 0]} ${name}`;
    const seen = byKey.get(key);
    if (seen) {
      if (!seen.socket.holders.some((h) => h.pid === holder.pid && h.fd === holder.fd)) seen.socket.holders.push(holder);
      (seen.lines ??= [seen.line]).push(lineNo);
      notes.add('merged-lines');
      continue;
    }
    const row: PastedRow = {
      line: lineNo,
      socket: makeSocket({
        protocol, family, localAddress, localPort: local.port,
        remoteAddress: remoteAddress!, remotePort: remote ? remote.port : 0,
        state, holders: [holder], uid: holder.uid,
      }),
    };
    markNames(row, local, l.name, remote, r.name, notes);
    if (local.zone !== undefined) row.localZone = local.zone;
    if (remote?.zone !== undefined) row.remoteZone = remote.zone;
    byKey.set(key, row);
    rows.push(row);
  }
  return { rows, unreadable, notes: notes.list(), platform: hex > dec ? 'macos' : 'linux' };
}

/**
 * lsof host text: numeric with -n; "localhost" is the loopback address of the
 * row's family (lsof prints it for loopback addresses); any other name is kept
 * as printed (lsof without -n).
 */
function lsofHost(host: string, family: Family): { address: string; name: boolean } | undefined {
  if (host === 'localhost') return { address: family === 'ipv6' ? '::1' : '127.0.0.1', name: false };
  return hostOrName(host, family);
}

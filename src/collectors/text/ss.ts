// Parser of iproute2 `ss -tanp`, `-tunlp`, `-tuanp`, with or without the Netid column,
// and the extended fields of -e / -o (ino:, uid:, timer:). Example lines (iproute2 6.1):
//   Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
//   udp   UNCONN 832    0          127.0.0.1:19292      0.0.0.0:*    users:(("python3",pid=437,fd=12),("python3",pid=395,fd=12))
//   tcp   LISTEN 1      16                 *:19091            *:*    users:(("python3",pid=437,fd=4),("python3",pid=395,fd=4)) ino:2535472 sk:7be18 cgroup:/ v6only:0 <->
// "*" is the IPv6 any address of a dual-stack socket (v6only 0); "[::]" one with v6only 1;
// "%lo" after an address names the device the socket is bound to (SO_BINDTODEVICE).
// For a listener, Recv-Q is the accept queue and Send-Q the backlog.
import type { Family, Holder, Protocol, Socket, SocketState, TimerKind } from '../../model/socket.js';
import type { ParsedPaste, PastedRow, UnreadableLine } from './common.js';
import {
  Notes, clean, familyOf, hostOrName, isChatter, markNames, endpointProblem, makeSocket, normalizeState, parseColonEndpoint,
  MAX_FD, MAX_INODE, MAX_PID, MAX_QUEUE, MAX_UID, splitLines, tokens, uintMax,
} from './common.js';

const SS_STATES = 'ESTAB|LISTEN|UNCONN|SYN-SENT|SYN-RECV|FIN-WAIT-1|FIN-WAIT-2|TIME-WAIT|CLOSE-WAIT|LAST-ACK|CLOSING|CLOSED|UNKNOWN';
const NETIDS = 'tcp|udp|raw|u_str|u_dgr|u_seq|mptcp|sctp|p_raw|p_dgr|nl|tipc|xdp|v_str|v_dgr|dccp|icmp6?';
export const SS_HEADER = /^\s*(Netid\s+)?State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port/;
export const SS_ROW = new RegExp(`^\\s*(?:(${NETIDS})\\s+)?(${SS_STATES})\\s+\\d+\\s+\\d+\\s+\\S+\\s+\\S+`);
const TCP_ONLY = /^(LISTEN|SYN-SENT|SYN-RECV|FIN-WAIT-1|FIN-WAIT-2|TIME-WAIT|CLOSE-WAIT|LAST-ACK|CLOSING)$/;

const TIMER_KINDS: Readonly<Record<string, TimerKind>> = {
  on: 'retransmit', keepalive: 'keepalive', timewait: 'time-wait', persist: 'zero-window-probe',
};

/** ss's print_ms_timer text ("54sec", "1min5sec", "5.250ms", "250ms") in milliseconds. */
export function ssTimerMs(text: string): number | undefined {
  const m = /^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') return undefined;
  return Number(m[1] ?? 0) * 60000 + Number(m[2] ?? 0) * 1000 + Number(m[4] ?? 0);
}

/**
 * The holders in `users:(("nginx",pid=1234,fd=6),...)`; the name is printed
 * unescaped, so it may hold quotes: it ends at the first `",pid=`. A scan rather
 * than a global regex, which retried from every `("` to the end of the line
 * (O(n²) on a line of repeated `users:(("`). A pid or fd too large for its field
 * gives 'out-of-range' instead of holders.
 */
export function parseSsUsers(text: string): Holder[] | 'out-of-range' {
  const out: Holder[] = [];
  let i = text.indexOf('("');
  while (i >= 0) {
    const j = text.indexOf('",pid=', i + 2);
    if (j < 0) break; // no holder can start at or after i
    const m = /^",pid=(\d+),fd=(\d+)\)/.exec(text.slice(j, j + 48));
    if (m) {
      const pid = uintMax(m[1], MAX_PID);
      const fd = uintMax(m[2], MAX_FD);
      if (pid === 'out-of-range' || fd === 'out-of-range') return 'out-of-range';
      out.push({ pid: pid!, fd: fd!, name: text.slice(i + 2, j) });
      i = text.indexOf('("', j + m[0].length);
    } else {
      // Every start before j ends at the same j and fails the same way.
      i = text.indexOf('("', j + 1);
    }
  }
  return out;
}

export function parseSs(text: string): ParsedPaste {
  const lines = splitLines(text);
  const rows: PastedRow[] = [];
  const unreadable: UnreadableLine[] = [];
  const notes = new Notes();
  // Without a Netid column ss showed one kind only (-t or -u): judge it from the states.
  let defaultProtocol: Protocol = 'tcp';
  let guessed = true;
  for (const l of lines) {
    const m = SS_ROW.exec(l);
    if (!m || m[1]) continue;
    if (TCP_ONLY.test(m[2]!)) { defaultProtocol = 'tcp'; guessed = false; break; }
    if (m[2] === 'UNCONN') { defaultProtocol = 'udp'; guessed = false; }
  }
  let sawProcess = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = clean(lines[i]!);
    const lineNo = i + 1;
    if (raw.trim() === '' || isChatter(raw) || SS_HEADER.test(raw)) continue;
    const m = SS_ROW.exec(raw);
    if (!m) {
      // -i / -m print a second, indented line of key:value details per socket.
      if (/^\s/.test(lines[i]!) && /\w:\S/.test(raw)) { notes.add('skipped-detail-lines'); continue; }
      unreadable.push({ line: lineNo, text: lines[i]!, reason: 'unrecognized' });
      continue;
    }
    const netid = m[1];
    if (netid !== undefined && netid !== 'tcp' && netid !== 'udp') { notes.add('skipped-other-protocols'); continue; }
    const protocol: Protocol = netid === 'tcp' || netid === 'udp' ? netid : defaultProtocol;
    if (netid === undefined && guessed) notes.add('protocol-guessed');
    const r = parseRow(raw, lineNo, protocol, netid !== undefined, notes);
    if (!('row' in r)) { unreadable.push(r); continue; }
    if (r.sawProcess) sawProcess = true;
    rows.push(r.row);
  }
  if (!sawProcess) notes.add('no-pids');
  return { rows, unreadable, notes: notes.list() };
}

function parseRow(line: string, lineNo: number, protocol: Protocol, hasNetid: boolean, notes: Notes):
  { row: PastedRow; sawProcess: boolean } | UnreadableLine {
  const bad = (reason: string): UnreadableLine => ({ line: lineNo, text: line, reason });
  const t = tokens(line);
  let k = hasNetid ? 1 : 0;
  const state: SocketState | undefined = normalizeState(t[k]!, protocol);
  if (state === undefined) return bad('bad-state');
  const recvQ = uintMax(t[k + 1], MAX_QUEUE);
  const sendQ = uintMax(t[k + 2], MAX_QUEUE);
  if (recvQ === 'out-of-range' || sendQ === 'out-of-range') return bad('out-of-range');
  const local = parseColonEndpoint(t[k + 3] ?? '', protocol);
  const peer = parseColonEndpoint(t[k + 4] ?? '', protocol);
  if (!local || !peer) return bad(endpointProblem(!local ? t[k + 3] ?? '' : t[k + 4] ?? '', protocol));
  k += 5;
  const extra = t.slice(k).join(' ');
  const holders = parseSsUsers(extra);
  if (holders === 'out-of-range') return bad('out-of-range');
  let timer: Socket['timer'];
  const inode = uintMax(/(?:^|\s)ino:(\d+)/.exec(extra)?.[1], MAX_INODE);
  const uid = uintMax(/(?:^|\s)uid:(\d+)/.exec(extra)?.[1], MAX_UID);
  if (inode === 'out-of-range' || uid === 'out-of-range') return bad('out-of-range');
  const tm = /(?:^|\s)timer:\((\w+),([\w.]+),(\d+)\)/.exec(extra);
  if (tm) {
    const kind = TIMER_KINDS[tm[1]!];
    const ms = ssTimerMs(tm[2]!);
    const retransmits = uintMax(tm[3], MAX_QUEUE);
    if (retransmits === 'out-of-range' || (ms !== undefined && !Number.isSafeInteger(ms))) return bad('out-of-range');
    if (kind && ms !== undefined) timer = { kind, expiresMs: ms, retransmits: retransmits! };
  }
  // "*" alone is the dual-stack IPv6 any address; otherwise the address tells.
  const family: Family = local.host === '*' && peer.host === '*' ? 'ipv6'
    : familyOf(local.host === '*' ? peer.host : local.host, 'ipv6');
  const l = hostOrName(local.host, family);
  const r = hostOrName(peer.host, family);
  if (l === undefined || r === undefined) return bad('not-numeric');
  const localAddress = l.address;
  const remoteAddress = r.address;
  // ss prints Send-Q of a listener as its backlog (the queue limit), not bytes.
  const listener = protocol === 'tcp' && state === 'LISTEN';
  const socket = makeSocket({
    protocol, family, localAddress, localPort: local.port, remoteAddress, remotePort: peer.port,
    state, recvQ, sendQ: listener ? 0 : sendQ, inode, uid, holders, timer,
  });
  if (listener && sendQ !== undefined) socket.backlog = sendQ;
  const row: PastedRow = { line: lineNo, socket };
  markNames(row, local, l.name, peer, r.name, notes);
  if (local.host === '*') notes.add('dual-stack');
  if (local.zone !== undefined) row.localZone = local.zone;
  if (peer.zone !== undefined) row.remoteZone = peer.zone;
  return { row, sawProcess: /users:\(/.test(extra) };
}

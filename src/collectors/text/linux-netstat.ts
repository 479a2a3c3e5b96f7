// Parser of Linux net-tools `netstat -tanp`, `-tunlp`, `-tunape` (User, Inode) and
// `-o` (Timer) output. Example lines (net-tools 2.10):
//   Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
//   tcp        0      0 127.0.0.1:19090         0.0.0.0:*               LISTEN      395/python3
//   tcp6       1      0 :::19091                :::*                    LISTEN      395/python3
//   udp      832      0 127.0.0.1:19292         0.0.0.0:*                           395/python3
// netstat -p names one process per socket even when several hold it, and without -W
// it cuts an address so that "address:port" fits 23 columns.
import type { Family, Holder, Protocol, Socket, SocketState, TimerKind } from '../../model/socket.js';
import type { ParsedPaste, PastedRow, UnreadableLine } from './common.js';
import {
  Notes, clean, endpointProblem, hostOrName, isChatter, markNames, isStateWord, makeSocket, normalizeState, parseColonEndpoint, udpState,
  MAX_INODE, MAX_PID, MAX_QUEUE, MAX_UID, splitLines, tokens, uintMax,
} from './common.js';

export const LINUX_NETSTAT_HEADER = /^\s*Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+State\b/;
/** tcp/tcp6/udp/udp6 (and udpl, raw), two numbers, then host:port twice (the port a number, '*' or, without -n, a service name). */
export const LINUX_NETSTAT_ROW = /^\s*(tcp6?|udp6?|udpl6?|raw6?)\s+\d+\s+\d+\s+\S*:(\d+|\*|[A-Za-z][\w.+/-]*)\s+\S*:(\d+|\*|[A-Za-z][\w.+/-]*)(\s|$)/;
/** Sections of `netstat -a` that are not TCP/UDP sockets. */
const OTHER_SECTION = /^\s*Active (UNIX domain sockets|Bluetooth connections|IPX|AX\.25|NET\/ROM|X\.25)/i;

const TIMER_KINDS: Readonly<Record<string, TimerKind | null>> = {
  off: null, on: 'retransmit', keepalive: 'keepalive', timewait: 'time-wait', probe: 'zero-window-probe',
};

interface Columns { user: boolean; inode: boolean; pid: boolean; timer: boolean }

export function parseLinuxNetstat(text: string): ParsedPaste {
  const lines = splitLines(text);
  const rows: PastedRow[] = [];
  const unreadable: UnreadableLine[] = [];
  const notes = new Notes();
  // Until a header says otherwise, guess the columns from each row.
  let cols: Columns | undefined;
  let inOther = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = clean(lines[i]!);
    const lineNo = i + 1;
    if (raw.trim() === '') continue;
    if (OTHER_SECTION.test(raw)) { inOther = true; notes.add('skipped-other-sections'); continue; }
    if (/^\s*Active Internet connections/i.test(raw)) { inOther = false; continue; }
    if (/^\s*\(Not all processes could be identified/i.test(raw)) { notes.add('not-all-processes-identified'); continue; }
    if (/^\s*\(No info could be read for "-p"/i.test(raw)) { notes.add('no-process-info'); continue; }
    if (isChatter(raw)) continue;
    if (inOther) continue;
    if (LINUX_NETSTAT_HEADER.test(raw)) {
      cols = { user: /\bUser\b/.test(raw), inode: /\bInode\b/.test(raw), pid: /PID\/Program name/.test(raw), timer: /\bTimer\b/.test(raw) };
      continue;
    }
    const m = /^\s*(raw6?|udpl6?)\s/.exec(raw);
    if (m) { notes.add('skipped-other-protocols'); continue; }
    if (!LINUX_NETSTAT_ROW.test(raw)) {
      unreadable.push({ line: lineNo, text: lines[i]!, reason: 'unrecognized' });
      continue;
    }
    const r = parseRow(raw, lineNo, cols, notes);
    if ('socket' in r) rows.push(r);
    else unreadable.push(r);
  }
  if (!notes.has('pids-shown')) notes.add('no-pids');
  else notes.add('one-holder-per-socket');
  return { rows, unreadable, notes: notes.list().filter((n) => n !== 'pids-shown') };
}

function parseRow(line: string, lineNo: number, cols: Columns | undefined, notes: Notes): PastedRow | UnreadableLine {
  const bad = (reason: string): UnreadableLine => ({ line: lineNo, text: line, reason });
  let rest = line;
  // -o: "keepalive (7196.40/0/0)" at the end of the line.
  let timer: Socket['timer'];
  const tm = /\s(off|on|keepalive|timewait|probe)\s+\((\d+(?:\.\d+)?)\/(\d+)\/(\d+)\)\s*$/.exec(rest);
  if (tm) {
    rest = rest.slice(0, tm.index);
    const kind = TIMER_KINDS[tm[1]!];
    const expiresMs = Math.round(Number(tm[2]) * 1000);
    const retransmits = uintMax(tm[3], MAX_QUEUE);
    if (!Number.isSafeInteger(expiresMs) || retransmits === 'out-of-range') return bad('out-of-range');
    if (kind) timer = { kind, expiresMs, retransmits: retransmits! };
  }
  const t = tokens(rest);
  const proto = t[0]!;
  const protocol: Protocol = proto.startsWith('tcp') ? 'tcp' : 'udp';
  const family: Family = proto.endsWith('6') ? 'ipv6' : 'ipv4';
  const recvQ = uintMax(t[1], MAX_QUEUE);
  const sendQ = uintMax(t[2], MAX_QUEUE);
  if (recvQ === 'out-of-range' || sendQ === 'out-of-range') return bad('out-of-range');
  const local = parseColonEndpoint(t[3] ?? '', protocol);
  const remote = parseColonEndpoint(t[4] ?? '', protocol);
  if (!local || !remote) return bad(endpointProblem(!local ? t[3] ?? '' : t[4] ?? '', protocol));
  let k = 5;
  let state: SocketState | undefined = protocol === 'udp' ? 'UNCONN' : undefined;
  const word = t[k];
  if (word !== undefined && isStateWord(word)) {
    const st = normalizeState(word, protocol);
    if (st === undefined) return bad('bad-state');
    state = st;
    k++;
  } else if (protocol === 'tcp') {
    return bad('bad-state');
  }
  // A connected UDP socket prints ESTABLISHED; an unconnected one prints nothing.
  if (protocol === 'udp' && state === 'UNCONN') state = udpState(remote);
  let uid: number | undefined;
  let inode: number | undefined;
  const extended = cols ? cols.user && cols.inode : /^\d+$/.test(t[k] ?? '') && /^\d+$/.test(t[k + 1] ?? '');
  if (extended) {
    const u = uintMax(t[k], MAX_UID);
    const ino = uintMax(t[k + 1], MAX_INODE);
    if (u === 'out-of-range' || ino === 'out-of-range') return bad('out-of-range');
    uid = u;
    inode = ino;
    if (inode === undefined) return bad('not-numeric');
    k += 2;
  }
  const holders: Holder[] = [];
  const progText = t.slice(k).join(' ');
  if (progText !== '') {
    notes.add('pids-shown');
    if (progText !== '-') {
      const pm = /^(\d+)\/(.*)$/.exec(progText);
      if (!pm) return bad('bad-pid');
      const pid = uintMax(pm[1], MAX_PID);
      if (pid === 'out-of-range') return bad('out-of-range');
      const h: Holder = { pid: pid! };
      if (pm[2] !== '') h.name = pm[2]!;
      holders.push(h);
    }
  } else if (cols?.pid) {
    notes.add('pids-shown');
  }
  const l = hostOrName(local.host, family);
  const r = hostOrName(remote.host, family);
  const localAddress = l?.address;
  const remoteAddress = r?.address;
  if (l === undefined || r === undefined || localAddress === undefined || remoteAddress === undefined) {
    // Without -W netstat cuts "address:port" to 23 columns, which can leave a broken address.
    if (family === 'ipv6' && (t[3]!.length >= 23 || t[4]!.length >= 23)) {
      notes.add('address-may-be-truncated');
      return bad('truncated-address');
    }
    return bad('not-numeric');
  }
  const row: PastedRow = {
    line: lineNo,
    socket: makeSocket({
      protocol, family, localAddress, localPort: local.port, remoteAddress, remotePort: remote.port,
      state: state!, recvQ, sendQ, inode, uid, holders, timer,
    }),
  };
  markNames(row, local, l.name, remote, r.name, notes);
  // Without -W netstat cuts "address:port" to 23 columns; an IPv6 one that long may be cut.
  if (family === 'ipv6' && ((t[3]!.length >= 23 && local.host.includes(':')) || (t[4]!.length >= 23 && remote.host.includes(':')))) {
    row.truncated = true;
    notes.add('address-may-be-truncated');
  }
  if (local.zone !== undefined) row.localZone = local.zone;
  if (remote.zone !== undefined) row.remoteZone = remote.zone;
  return row;
}

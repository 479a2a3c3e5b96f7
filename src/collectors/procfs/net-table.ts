// Parser of the kernel's text socket tables /proc/net/{tcp,tcp6,udp,udp6}
// (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock). Example line:
//    0: 0100007F:2382 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 711724 1 0000000000000000 100 0 0 10 0
// sl, local addr:port, remote addr:port, state (hex), tx_queue:rx_queue, timer:when,
// retransmits, uid, timeout, inode, ... Addresses are the kernel's in-memory words
// printed as host-order hex (so 127.0.0.1 is 0100007F on little-endian machines).
// The table has no listen backlog: a LISTEN row's rx_queue is the accept-queue length.
import { formatIPv4, formatIPv6 } from '../../model/address.js';
import type { Family, Holder, Protocol, RawSocket, Socket } from '../../model/socket.js';
import { stateFromKernel, timerFromKernel } from '../../model/socket.js';
import { endianness } from 'node:os';

/** USER_HZ: /proc reports timer expiry in clock ticks (jiffies_to_clock_t). */
const TICK_MS = 10;
const NO_HOLDERS: Holder[] = [];
const LITTLE = endianness() === 'LE';

export interface ParsedTable {
  sockets: RawSocket[];
  /** 1-based line numbers (header is line 1) that could not be parsed, with the line. */
  bad: { line: number; text: string }[];
}

/** Parse the text of one table. `family` follows from the file name (tcp6/udp6 are IPv6). */
export function parseNetTable(text: string, protocol: Protocol, family: Family, littleEndian = LITTLE): ParsedTable {
  const out: RawSocket[] = [];
  const bad: { line: number; text: string }[] = [];
  const addrBytes = new Uint8Array(16);
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    lineNo++;
    if (lineNo > 1 && end > pos) {
      const rec = parseLine(text, pos, end, protocol, family, addrBytes, littleEndian);
      if (rec) out.push(rec);
      else if (text.slice(pos, end).trim() !== '') bad.push({ line: lineNo, text: text.slice(pos, end) });
    }
    pos = end + 1;
  }
  return { sockets: out, bad };
}

/** Split [start,end) of `s` on runs of spaces into at most `max` [from,to) pairs. */
function fields(s: string, start: number, end: number, max: number): number[] {
  const f: number[] = [];
  let i = start;
  while (i < end && f.length < max * 2) {
    while (i < end && s.charCodeAt(i) === 32) i++;
    if (i >= end) break;
    const b = i;
    while (i < end && s.charCodeAt(i) !== 32) i++;
    f.push(b, i);
  }
  return f;
}

const HEX = /^[0-9A-Fa-f]+$/;

function hex(s: string, a: number, b: number): number {
  if (b <= a) return NaN;
  const t = s.slice(a, b);
  return HEX.test(t) ? parseInt(t, 16) : NaN;
}

function dec(s: string, a: number, b: number): number {
  if (b <= a) return NaN;
  const t = s.slice(a, b);
  return /^\d+$/.test(t) ? Number(t) : NaN;
}

/** Decode "0100007F:1F90" into bytes (network order) and return the port, or NaN. */
function endpoint(s: string, a: number, b: number, family: Family, bytes: Uint8Array, little: boolean): number {
  const words = family === 'ipv4' ? 1 : 4;
  if (b - a !== words * 8 + 5 || s.charCodeAt(a + words * 8) !== 58 /* : */) return NaN;
  for (let w = 0; w < words; w++) {
    const v = hex(s, a + w * 8, a + w * 8 + 8);
    if (Number.isNaN(v)) return NaN;
    const o = w * 4;
    if (little) {
      bytes[o] = v & 0xff; bytes[o + 1] = (v >>> 8) & 0xff; bytes[o + 2] = (v >>> 16) & 0xff; bytes[o + 3] = v >>> 24;
    } else {
      bytes[o] = v >>> 24; bytes[o + 1] = (v >>> 16) & 0xff; bytes[o + 2] = (v >>> 8) & 0xff; bytes[o + 3] = v & 0xff;
    }
  }
  return hex(s, b - 4, b);
}

function parseLine(s: string, start: number, end: number, protocol: Protocol, family: Family,
  bytes: Uint8Array, little: boolean): RawSocket | undefined {
  const f = fields(s, start, end, 10);
  if (f.length < 20 || s.charCodeAt(f[1]! - 1) !== 58 /* "N:" */) return undefined;
  const fmt = family === 'ipv4' ? formatIPv4 : formatIPv6;
  const localPort = endpoint(s, f[2]!, f[3]!, family, bytes, little);
  if (Number.isNaN(localPort)) return undefined;
  const localAddress = fmt(bytes, 0);
  const remotePort = endpoint(s, f[4]!, f[5]!, family, bytes, little);
  if (Number.isNaN(remotePort)) return undefined;
  const remoteAddress = fmt(bytes, 0);
  const state = stateFromKernel(protocol, hex(s, f[6]!, f[7]!));
  // tx_queue:rx_queue
  const q = s.indexOf(':', f[8]!);
  if (q < 0 || q >= f[9]!) return undefined;
  const tx = hex(s, f[8]!, q);
  const rx = hex(s, q + 1, f[9]!);
  // timer:when
  const t = s.indexOf(':', f[10]!);
  if (t < 0 || t >= f[11]!) return undefined;
  const timerCode = hex(s, f[10]!, t);
  const when = hex(s, t + 1, f[11]!);
  const retrans = hex(s, f[12]!, f[13]!);
  const uid = dec(s, f[14]!, f[15]!);
  const inode = dec(s, f[18]!, f[19]!);
  if (state === undefined || [tx, rx, timerCode, when, retrans, uid, inode].some(Number.isNaN)) return undefined;
  const timer = timerFromKernel(timerCode);
  // All fields up front (see the netlink codec): one shape for every record.
  const rec: Socket = {
    protocol, family, localAddress, localPort, remoteAddress, remotePort, state,
    recvQ: rx, sendQ: tx, backlog: undefined, inode, uid, interface: undefined,
    timer: timer ? { kind: timer, expiresMs: when * TICK_MS, retransmits: retrans } : undefined,
    memory: undefined, holders: NO_HOLDERS, unheldReason: undefined,
  };
  return rec;
}

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

/** Why a line was refused: its shape, a number too large for its field, or its length. */
export type BadLineReason = 'malformed' | 'out-of-range' | 'too-long';

export interface BadLine {
  /** 1-based line number (the header is line 1). */
  line: number;
  /** The line, cut to 200 characters. */
  text: string;
  reason: BadLineReason;
}

export interface ParsedTable {
  sockets: RawSocket[];
  /** Lines that could not be parsed, with why. */
  bad: BadLine[];
}

/** Real lines are under 200 bytes; a longer one is refused without being kept whole. */
const MAX_LINE = 4096;

/**
 * A table parser fed in pieces (chunks of the file, cut anywhere), so that a table
 * of tens of MB is never held as one string and a line without end (a file of NUL
 * bytes) costs at most MAX_LINE characters of memory.
 */
export class NetTableParser {
  readonly sockets: RawSocket[] = [];
  readonly bad: BadLine[] = [];
  private readonly addrBytes = new Uint8Array(16);
  private lineNo = 0;
  /** The start of a line whose end has not arrived yet. */
  private carry = '';
  /** The current line is longer than MAX_LINE: skip to its end. */
  private skipping = false;

  constructor(private readonly protocol: Protocol, private readonly family: Family, private readonly little = LITTLE) {}

  push(text: string): void {
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? n : nl;
      if (this.skipping) {
        // still inside an over-long line
      } else if (this.carry.length + (end - pos) > MAX_LINE) {
        this.skipping = true;
        this.lineNo++;
        this.bad.push({ line: this.lineNo, text: (this.carry + text.slice(pos, pos + 200)).slice(0, 200), reason: 'too-long' });
        this.carry = '';
      } else if (nl < 0) {
        this.carry += text.slice(pos, end);
      } else if (this.carry === '') {
        // The common case: the whole line is in this piece; parse it in place.
        this.line(text, pos, end);
      } else {
        const line = this.carry + text.slice(pos, end);
        this.carry = '';
        this.line(line, 0, line.length);
      }
      if (nl < 0) break;
      if (this.skipping) this.skipping = false;
      pos = nl + 1;
    }
  }

  /** The end of the input: a last line without a newline is parsed too. */
  end(): ParsedTable {
    if (this.carry !== '') this.line(this.carry, 0, this.carry.length);
    this.carry = '';
    this.skipping = false;
    return { sockets: this.sockets, bad: this.bad };
  }

  /** The line [start, end) of `s`. */
  private line(s: string, start: number, end: number): void {
    this.lineNo++;
    if (this.lineNo === 1 || start === end) return;
    const rec = parseLine(s, start, end, this.protocol, this.family, this.addrBytes, this.little);
    if (typeof rec !== 'string') this.sockets.push(rec);
    else if (s.slice(start, end).trim() !== '') this.bad.push({ line: this.lineNo, text: s.slice(start, Math.min(end, start + 200)), reason: rec });
  }
}

/** Parse the text of one table. `family` follows from the file name (tcp6/udp6 are IPv6). */
export function parseNetTable(text: string, protocol: Protocol, family: Family, littleEndian = LITTLE): ParsedTable {
  const p = new NetTableParser(protocol, family, littleEndian);
  p.push(text);
  return p.end();
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

/** Hex field value; NaN when not hex, Infinity when it does not fit in 53 bits. */
function hex(s: string, a: number, b: number): number {
  if (b <= a) return NaN;
  const t = s.slice(a, b);
  if (!HEX.test(t)) return NaN;
  // 13 hex digits always fit in 2^53; more are out of range unless they are leading zeros.
  const v = parseInt(t, 16);
  return Number.isSafeInteger(v) ? v : Infinity;
}

/** Decimal field value; NaN when not digits, Infinity when it does not fit in 53 bits. */
function dec(s: string, a: number, b: number): number {
  if (b <= a) return NaN;
  const t = s.slice(a, b);
  if (!/^\d+$/.test(t)) return NaN;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : Infinity;
}

/** The kernel's widths: queues, retransmits and uid are 32-bit; the inode must fit a JS number exactly. */
const U32 = 0xffffffff;
/** Timer expiry in ticks, so that the milliseconds stay exact. */
const MAX_WHEN = Math.floor(Number.MAX_SAFE_INTEGER / TICK_MS);

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

/** A socket, or why the line is not one. */
function parseLine(s: string, start: number, end: number, protocol: Protocol, family: Family,
  bytes: Uint8Array, little: boolean): RawSocket | BadLineReason {
  const f = fields(s, start, end, 10);
  if (f.length < 20 || s.charCodeAt(f[1]! - 1) !== 58 /* "N:" */) return 'malformed';
  const fmt = family === 'ipv4' ? formatIPv4 : formatIPv6;
  const localPort = endpoint(s, f[2]!, f[3]!, family, bytes, little);
  if (Number.isNaN(localPort)) return 'malformed';
  const localAddress = fmt(bytes, 0);
  const remotePort = endpoint(s, f[4]!, f[5]!, family, bytes, little);
  if (Number.isNaN(remotePort)) return 'malformed';
  const remoteAddress = fmt(bytes, 0);
  const stateCode = hex(s, f[6]!, f[7]!);
  const state = stateCode <= 0xff ? stateFromKernel(protocol, stateCode) : undefined;
  // tx_queue:rx_queue
  const q = s.indexOf(':', f[8]!);
  if (q < 0 || q >= f[9]!) return 'malformed';
  const tx = hex(s, f[8]!, q);
  const rx = hex(s, q + 1, f[9]!);
  // timer:when
  const t = s.indexOf(':', f[10]!);
  if (t < 0 || t >= f[11]!) return 'malformed';
  const timerCode = hex(s, f[10]!, t);
  const when = hex(s, t + 1, f[11]!);
  const retrans = hex(s, f[12]!, f[13]!);
  const uid = dec(s, f[14]!, f[15]!);
  const inode = dec(s, f[18]!, f[19]!);
  const numbers = [tx, rx, timerCode, when, retrans, uid, inode];
  if (numbers.some(Number.isNaN)) return 'malformed';
  // A number wider than its field is never stored rounded or wrapped: the row is refused.
  if (tx > U32 || rx > U32 || timerCode > 0xff || when > MAX_WHEN || retrans > U32 || uid > U32 || inode === Infinity) return 'out-of-range';
  if (state === undefined) return 'malformed';
  const timer = timerFromKernel(timerCode);
  // All fields up front (see the netlink codec): one shape for every record.
  const rec: Socket = {
    protocol, family, localAddress, localPort, remoteAddress, remotePort, state,
    recvQ: rx, sendQ: tx, backlog: undefined, inode, uid, interface: undefined,
    timer: timer ? { kind: timer, expiresMs: when * TICK_MS, retransmits: retrans } : undefined,
    memory: undefined, netns: undefined, holders: NO_HOLDERS, unheldReason: undefined,
  };
  return rec;
}

// A pcap stream reader: the classic libpcap file format that `tcpdump -w -`
// writes, decoded down to the TCP and UDP headers. Pure (bytes in, records
// out), streaming (chunks of any size), bounded (a record larger than the
// snapshot length the header announces, or than MAX_RECORD, ends the stream
// with an error), and it never keeps a payload byte: a record is read for its
// headers and its buffer is dropped.
//
// A real example, the first 64 bytes of `tcpdump -i any -U -w - -s 128 'tcp port 47123'`
// on this machine (little-endian, microseconds, LINUX_SLL2), the SYN of a
// connect() to 127.0.0.1:47123:
//
//   d4c3b2a1 0200 0400 00000000 00000000 80000000 14010000   global header: magic, v2.4, snaplen 128, linktype 276
//   1c2d0c6b f9f40600 50000000 50000000                      record: 1795960092 s 455929 µs, 80 of 80 bytes
//   0800 0000 00000001 0304 00 00 000000000000 0000          SLL2: protocol 0x0800 (IPv4), ifindex 1 (lo), ...
//   4500 003c ... 06 ... 7f000001 7f000001                   IPv4, protocol 6 (TCP), 127.0.0.1 → 127.0.0.1
//   b9aa b813 bf9a2e79 00000000 a002 ffd7 ...                TCP 47530 → 47123, seq 3214380409, SYN, win 65495
//
// Formats: https://www.tcpdump.org/manpages/pcap-savefile.5.html and
// https://www.tcpdump.org/linktypes.html (DLT_NULL 0, EN10MB 1, RAW 12/14/101,
// LINUX_SLL 113, LINUX_SLL2 276).
import { formatIPv4, formatIPv6 } from '../model/address.js';

/** TCP flags as the ladder names them. */
export type TcpFlag = 'SYN' | 'ACK' | 'PSH' | 'FIN' | 'RST' | 'URG' | 'ECE' | 'CWR';

/** The headers of one TCP segment or UDP datagram. */
export interface PacketRecord {
  /** Capture time, milliseconds since the epoch (with the file's µs or ns fraction). */
  at: number;
  protocol: 'tcp' | 'udp';
  family: 'ipv4' | 'ipv6';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** TCP flags (empty for UDP). */
  flags: TcpFlag[];
  /** Absolute sequence and acknowledgement numbers (TCP; 0 for UDP). */
  seq: number;
  ack: number;
  /** The window field as sent (not yet scaled). */
  window: number;
  /** Payload bytes the segment carries (from the IP and TCP/UDP lengths, not from what was captured). */
  length: number;
  /** TCP options of interest: MSS and window scale (SYN segments carry them). */
  mss?: number;
  wscale?: number;
}

export interface PcapHeader {
  littleEndian: boolean;
  nanoseconds: boolean;
  snaplen: number;
  linktype: number;
}

export const LINKTYPE = { NULL: 0, EN10MB: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;
const RAW_ALIASES = new Set([12, 14, 101]);

/** No record is larger than this whatever the header claims (a jumbo frame and its headers). */
export const MAX_RECORD = 262_144;

export class PcapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapError';
  }
}

/** The 24-byte global header; undefined when `b` is shorter. Throws on a magic that is not pcap's. */
export function parseHeader(b: Uint8Array): PcapHeader | undefined {
  if (b.length < 24) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, 24);
  const be = v.getUint32(0, false);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (be === 0xa1b2c3d4 || be === 0xa1b23c4d) { littleEndian = false; nanoseconds = be === 0xa1b23c4d; }
  else if (be === 0xd4c3b2a1 || be === 0x4d3cb2a1) { littleEndian = true; nanoseconds = be === 0x4d3cb2a1; }
  else throw new PcapError(`not a pcap stream (magic ${be.toString(16).padStart(8, '0')})`);
  const major = v.getUint16(4, littleEndian);
  if (major !== 2) throw new PcapError(`pcap version ${major} is not 2`);
  const snaplen = v.getUint32(16, littleEndian);
  // The low 16 bits are the link type; the upper bits may carry FCS information.
  const linktype = v.getUint32(20, littleEndian) & 0xffff;
  return { littleEndian, nanoseconds, snaplen, linktype };
}

/**
 * Decode one captured frame of `linktype` down to TCP/UDP; undefined for
 * anything else (ARP, ICMP, a later IP fragment, a frame cut before the
 * transport header).
 */
export function decodeFrame(frame: Uint8Array, linktype: number, at: number, littleEndian = true): PacketRecord | undefined {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let off: number;
  let ethertype: number | undefined;
  switch (linktype) {
    case LINKTYPE.EN10MB: {
      if (frame.length < 14) return undefined;
      off = 14;
      ethertype = v.getUint16(12);
      // 802.1Q / 802.1ad tags.
      while ((ethertype === 0x8100 || ethertype === 0x88a8) && frame.length >= off + 4) {
        ethertype = v.getUint16(off + 2);
        off += 4;
      }
      break;
    }
    case LINKTYPE.LINUX_SLL:
      if (frame.length < 16) return undefined;
      off = 16;
      ethertype = v.getUint16(14);
      break;
    case LINKTYPE.LINUX_SLL2:
      if (frame.length < 20) return undefined;
      off = 20;
      ethertype = v.getUint16(0);
      break;
    case LINKTYPE.NULL: {
      if (frame.length < 4) return undefined;
      off = 4;
      // The address family in the byte order of the machine that captured it.
      const fam = v.getUint32(0, littleEndian);
      const other = v.getUint32(0, !littleEndian);
      const af = fam <= 0xffff ? fam : other;
      ethertype = af === 2 ? 0x0800 : af === 10 || af === 24 || af === 28 || af === 30 ? 0x86dd : undefined;
      break;
    }
    default:
      if (!RAW_ALIASES.has(linktype)) return undefined;
      off = 0;
      ethertype = undefined;
  }
  if (off >= frame.length) return undefined;
  const version = frame[off]! >> 4;
  if (ethertype === undefined) ethertype = version === 4 ? 0x0800 : version === 6 ? 0x86dd : undefined;
  if (ethertype === 0x0800 && version === 4) return decodeIPv4(frame, v, off, at);
  if (ethertype === 0x86dd && version === 6) return decodeIPv6(frame, v, off, at);
  return undefined;
}

function decodeIPv4(frame: Uint8Array, v: DataView, off: number, at: number): PacketRecord | undefined {
  if (frame.length < off + 20) return undefined;
  const ihl = (frame[off]! & 0x0f) * 4;
  const total = v.getUint16(off + 2);
  const fragOffset = v.getUint16(off + 6) & 0x1fff;
  if (ihl < 20 || total < ihl || fragOffset !== 0) return undefined;
  const proto = frame[off + 9]!;
  return decodeTransport(frame, v, off + ihl, proto, total - ihl, at, 'ipv4', formatIPv4(frame, off + 12), formatIPv4(frame, off + 16));
}

// Extension headers that may stand between the IPv6 header and TCP/UDP (RFC 8200 §4).
const V6_EXT = new Set([0, 43, 60]);

function decodeIPv6(frame: Uint8Array, v: DataView, off: number, at: number): PacketRecord | undefined {
  if (frame.length < off + 40) return undefined;
  let next = frame[off + 6]!;
  let remaining = v.getUint16(off + 4);
  const src = formatIPv6(frame, off + 8);
  const dst = formatIPv6(frame, off + 24);
  let p = off + 40;
  for (let hops = 0; hops < 8; hops++) {
    if (V6_EXT.has(next)) {
      if (frame.length < p + 2) return undefined;
      const len = (frame[p + 1]! + 1) * 8;
      next = frame[p]!;
      p += len;
      remaining -= len;
    } else if (next === 44) {
      // A fragment header: only the first fragment carries the transport header.
      if (frame.length < p + 8) return undefined;
      if ((v.getUint16(p + 2) & 0xfff8) !== 0) return undefined;
      next = frame[p]!;
      p += 8;
      remaining -= 8;
    } else break;
  }
  if (remaining < 0) return undefined;
  return decodeTransport(frame, v, p, next, remaining, at, 'ipv6', src, dst);
}

function decodeTransport(frame: Uint8Array, v: DataView, p: number, proto: number, ipPayload: number, at: number,
  family: 'ipv4' | 'ipv6', src: string, dst: string): PacketRecord | undefined {
  if (proto === 17) {
    if (frame.length < p + 8) return undefined;
    const ulen = v.getUint16(p + 4);
    return { at, protocol: 'udp', family, src, sport: v.getUint16(p), dst, dport: v.getUint16(p + 2), flags: [], seq: 0, ack: 0, window: 0,
      length: Math.max(0, Math.min(ulen, ipPayload) - 8) };
  }
  if (proto !== 6 || frame.length < p + 20) return undefined;
  const doff = (frame[p + 12]! >> 4) * 4;
  const f = frame[p + 13]!;
  const flags: TcpFlag[] = [];
  if (f & 0x02) flags.push('SYN');
  if (f & 0x10) flags.push('ACK');
  if (f & 0x08) flags.push('PSH');
  if (f & 0x01) flags.push('FIN');
  if (f & 0x04) flags.push('RST');
  if (f & 0x20) flags.push('URG');
  if (f & 0x40) flags.push('ECE');
  if (f & 0x80) flags.push('CWR');
  const rec: PacketRecord = {
    at, protocol: 'tcp', family, src, sport: v.getUint16(p), dst, dport: v.getUint16(p + 2), flags,
    seq: v.getUint32(p + 4), ack: v.getUint32(p + 8), window: v.getUint16(p + 14), length: Math.max(0, ipPayload - doff),
  };
  // Options (RFC 9293 §3.2): kind 0 ends the list, 1 is one byte of padding, the others carry a length.
  const end = Math.min(p + doff, frame.length);
  for (let o = p + 20; o < end;) {
    const kind = frame[o]!;
    if (kind === 0) break;
    if (kind === 1) { o++; continue; }
    if (o + 1 >= end) break;
    const len = frame[o + 1]!;
    if (len < 2 || o + len > end) break;
    if (kind === 2 && len === 4) rec.mss = v.getUint16(o + 2);
    if (kind === 3 && len === 3) rec.wscale = Math.min(frame[o + 2]!, 14);
    o += len;
  }
  return rec;
}

/**
 * Reads a pcap stream chunk by chunk. `push` returns the TCP/UDP records
 * completed by the chunk; it keeps at most one partial record between calls.
 */
export class PcapReader {
  header: PcapHeader | undefined;
  /** Records read (any protocol) and bytes consumed. */
  records = 0;
  bytes = 0;
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): PacketRecord[] {
    this.bytes += chunk.length;
    let b: Uint8Array;
    if (this.pending.length) {
      b = new Uint8Array(this.pending.length + chunk.length);
      b.set(this.pending, 0);
      b.set(chunk, this.pending.length);
    } else b = chunk;
    const out: PacketRecord[] = [];
    let off = 0;
    if (!this.header) {
      const h = parseHeader(b);
      if (!h) { this.pending = b.slice(); return out; }
      this.header = h;
      off = 24;
    }
    const h = this.header;
    const limit = Math.min(Math.max(h.snaplen, 64), MAX_RECORD);
    while (b.length - off >= 16) {
      const v = new DataView(b.buffer, b.byteOffset + off, 16);
      const sec = v.getUint32(0, h.littleEndian);
      const frac = v.getUint32(4, h.littleEndian);
      const incl = v.getUint32(8, h.littleEndian);
      if (incl > limit) throw new PcapError(`a record of ${incl} bytes is larger than the snapshot length ${h.snaplen}`);
      if (b.length - off < 16 + incl) break;
      const at = sec * 1000 + (h.nanoseconds ? frac / 1e6 : frac / 1e3);
      const rec = decodeFrame(b.subarray(off + 16, off + 16 + incl), h.linktype, at, h.littleEndian);
      this.records++;
      if (rec) out.push(rec);
      off += 16 + incl;
    }
    // Keep only the unfinished record (a copy: the chunk's memory is not ours to hold).
    this.pending = off < b.length ? b.slice(off) : new Uint8Array(0);
    return out;
  }
}

/** Every TCP/UDP record of a whole pcap file's bytes. */
export function readPcap(bytes: Uint8Array): { header: PcapHeader; packets: PacketRecord[] } {
  const r = new PcapReader();
  const packets = r.push(bytes);
  if (!r.header) throw new PcapError('shorter than a pcap header');
  return { header: r.header, packets };
}

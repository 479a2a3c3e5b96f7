// Encoder and decoder for the kernel's sock_diag (inet_diag) netlink messages,
// the interface `ss` reads. Pure: bytes in, records out, so recorded dumps test it.
//
// Layouts (include/uapi/linux/netlink.h, inet_diag.h, sock_diag.h):
//   struct nlmsghdr        { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }      16 bytes
//   struct inet_diag_sockid{ be16 sport, dport; be32 src[4], dst[4]; u32 if; u32 cookie[2]; } 48
//   struct inet_diag_req_v2{ u8 family, protocol, ext, pad; u32 states; sockid id; }   56
//   struct inet_diag_msg   { u8 family, state, timer, retrans; sockid id;
//                            u32 expires, rqueue, wqueue, uid, inode; }                 72
// followed by rtattr attributes { u16 len; u16 type; payload } aligned to 4.
//
// Example reply record (a listener on 127.0.0.1:9090 with backlog 2, 3 queued):
//   family=2 state=10 timer=0 retrans=0 sport=9090 src=127.0.0.1 rqueue=3 wqueue=2 inode=711724
import { formatIPv4, formatIPv6 } from '../../model/address.js';
import type { Holder, Protocol, RawSocket, Socket } from '../../model/socket.js';
import { stateFromKernel, timerFromKernel } from '../../model/socket.js';

export const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ROOT = 0x100;
const NLM_F_MATCH = 0x200;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** inet_diag extension: socket memory info (struct sk_meminfo, u32[9]). */
export const INET_DIAG_INFO = 2;
export const INET_DIAG_CONG = 4;
export const INET_DIAG_SKMEMINFO = 7;
/**
 * inet_diag attribute: the IPV6_V6ONLY flag (u8). The kernel adds it without
 * being asked to AF_INET6 sockets in LISTEN or CLOSE (UDP's unconnected) state
 * (inet_diag_msg_attrs_fill); connections, TIME_WAIT and request sockets lack it.
 */
export const INET_DIAG_SKV6ONLY = 11;

const HDR = 16;
/** The holders of a freshly decoded record, before the collector fills them in (one shared empty array: compare by identity). */
export const NO_HOLDERS: Holder[] = [];
const MSG = 72;

export interface DumpRequest {
  family: typeof AF_INET | typeof AF_INET6;
  protocol: typeof IPPROTO_TCP | typeof IPPROTO_UDP;
  /** Bitmask of kernel states (1 << state); all states by default. */
  states?: number;
  /** Ask for socket memory (buffer sizes) with each record. */
  memory?: boolean;
  /** Ask for struct tcp_info and the congestion algorithm (TCP dumps). */
  info?: boolean;
  /** Only sockets whose local or remote port is one of these (kernel-side filter). */
  ports?: readonly number[];
  seq: number;
}

/** rtattr type of a filter program attached to a dump request. */
const INET_DIAG_REQ_BYTECODE = 1;
const INET_DIAG_BC_S_EQ = 11;
const INET_DIAG_BC_D_EQ = 12;

const INET_DIAG_BC_JMP = 1;

/**
 * An inet_diag filter program (net/ipv4/inet_diag.c: inet_diag_bc_run and
 * inet_diag_bc_audit) accepting a socket whose source or destination port is
 * one of `ports`. Ops are {u8 code, u8 yes, u16 no}: the kernel moves `yes`
 * bytes on. a true test, `no` bytes otherwise; landing exactly on the end
 * accepts, jumping past it rejects. The audit walks the `yes` chain and wants
 * every `no` target on it, so "A or B or ..." is laid out as
 *   A, JMP, B, JMP, ..., Z
 * where each test is {EQ, yes 8, no 12} + {0, 0, port}: true leads to the JMP,
 * which always takes its `no` jump to the end (accept); false skips the JMP to
 * the next test; the last test's false goes 4 bytes past the end (reject).
 */
export function portFilterBytecode(ports: readonly number[]): Buffer {
  const tests = ports.flatMap((p) => [[INET_DIAG_BC_S_EQ, p], [INET_DIAG_BC_D_EQ, p]] as const);
  const len = tests.length * 8 + (tests.length - 1) * 4;
  const bc = Buffer.alloc(len);
  let off = 0;
  tests.forEach(([code, port], i) => {
    const last = i === tests.length - 1;
    bc.writeUInt8(code, off);
    bc.writeUInt8(8, off + 1);
    bc.writeUInt16LE(12, off + 2);
    bc.writeUInt16LE(port, off + 6);
    off += 8;
    if (!last) {
      bc.writeUInt8(INET_DIAG_BC_JMP, off);
      bc.writeUInt8(4, off + 1);
      bc.writeUInt16LE(len - off, off + 2); // to the end: accept
      off += 4;
    }
  });
  return bc;
}

/** Most ports given to the kernel-side filter; a longer list is filtered here. */
export const MAX_FILTER_PORTS = 64;

/** Build one SOCK_DIAG_BY_FAMILY dump request. */
export function encodeDumpRequest(req: DumpRequest): Buffer {
  const bc = req.ports && req.ports.length > 0 && req.ports.length <= MAX_FILTER_PORTS ? portFilterBytecode(req.ports) : undefined;
  const buf = Buffer.alloc(HDR + 56 + (bc ? 4 + bc.length : 0));
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_ROOT | NLM_F_MATCH, 6);
  buf.writeUInt32LE(req.seq >>> 0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt8(req.family, HDR);
  buf.writeUInt8(req.protocol, HDR + 1);
  let ext = req.memory ? 1 << (INET_DIAG_SKMEMINFO - 1) : 0;
  if (req.info) ext |= (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1));
  buf.writeUInt8(ext, HDR + 2);
  buf.writeUInt32LE((req.states ?? 0xffffffff) >>> 0, HDR + 4);
  if (bc) {
    buf.writeUInt16LE(4 + bc.length, HDR + 56);
    buf.writeUInt16LE(INET_DIAG_REQ_BYTECODE, HDR + 58);
    bc.copy(buf, HDR + 60);
  }
  return buf;
}


export interface DecodeResult {
  /** NLMSG_DONE was seen: the dump is complete. */
  done: boolean;
  /** Negative errno from an NLMSG_ERROR, if the kernel refused the request. */
  errno?: number;
  /** Messages that were too short or had an unknown family. */
  malformed: number;
}

/**
 * Decode one datagram of a dump reply, appending sockets to `out`.
 * Messages with another sequence number are ignored.
 */
export function decodeDumpChunk(buf: Uint8Array, protocol: Protocol, seq: number, out: RawSocket[]): DecodeResult {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const result: DecodeResult = { done: false, malformed: 0 };
  let off = 0;
  while (off + HDR <= buf.length) {
    const len = dv.getUint32(off, true);
    const type = dv.getUint16(off + 4, true);
    const mseq = dv.getUint32(off + 8, true);
    if (len < HDR || off + len > buf.length) {
      result.malformed++;
      break;
    }
    if (mseq === seq >>> 0) {
      if (type === NLMSG_DONE) {
        result.done = true;
      } else if (type === NLMSG_ERROR) {
        const errno = len >= HDR + 4 ? dv.getInt32(off + HDR, true) : -22;
        if (errno !== 0) result.errno = errno;
        result.done = true;
      } else if (type === SOCK_DIAG_BY_FAMILY) {
        const rec = len >= HDR + MSG ? decodeRecord(buf, dv, off + HDR, off + len, protocol) : undefined;
        if (rec) out.push(rec);
        else result.malformed++;
      }
    }
    off += (len + 3) & ~3;
  }
  return result;
}

/**
 * One inet_diag_msg at `p` (its attributes up to `end`) into a record; undefined
 * for an unknown state or family. Shared by the snapshot and the live table.
 */
export function decodeRecord(buf: Uint8Array, dv: DataView, p: number, end: number, protocol: Protocol): RawSocket | undefined {
  const family = buf[p]!;
  const state = stateFromKernel(protocol, buf[p + 1]!);
  if (state === undefined || (family !== AF_INET && family !== AF_INET6)) return undefined;
  const v6 = family === AF_INET6;
  const localAddress = v6 ? formatIPv6(buf, p + 8) : formatIPv4(buf, p + 8);
  const remoteAddress = v6 ? formatIPv6(buf, p + 24) : formatIPv4(buf, p + 24);
  const rqueue = dv.getUint32(p + 56, true);
  const wqueue = dv.getUint32(p + 60, true);
  const listening = protocol === 'tcp' && state === 'LISTEN';
  const rec: Socket = {
    protocol,
    family: v6 ? 'ipv6' : 'ipv4',
    localAddress,
    localPort: dv.getUint16(p + 4, false),
    remoteAddress,
    remotePort: dv.getUint16(p + 6, false),
    state,
    recvQ: rqueue,
    // On a listener the kernel reports the configured backlog in wqueue
    // (sk_max_ack_backlog, net/ipv4/tcp_diag.c); there is no send queue.
    sendQ: listening ? 0 : wqueue,
    // Every optional field is present from the start (undefined when unknown) so
    // that all records share one shape, which V8 handles faster than many.
    backlog: listening ? wqueue : undefined,
    inode: dv.getUint32(p + 68, true),
    uid: dv.getUint32(p + 64, true),
    interface: undefined,
    v6only: undefined,
    timer: undefined,
    memory: undefined,
    tcp: undefined,
    // Filled in by the collector; declared here so that adding them later
    // does not move 100k records to a slower layout.
    netns: undefined,
    holders: NO_HOLDERS,
    unheldReason: undefined,
  };
  const ifindex = dv.getUint32(p + 40, true);
  if (ifindex !== 0) rec.interface = ifindex;
  const timer = timerFromKernel(buf[p + 2]!);
  if (timer) rec.timer = { kind: timer, expiresMs: dv.getUint32(p + 52, true), retransmits: buf[p + 3]! };
  // Attributes. The algorithm's name may come before the tcp_info it belongs with.
  let congestion: string | undefined;
  let a = p + MSG;
  while (a + 4 <= end) {
    const alen = dv.getUint16(a, true);
    const atype = dv.getUint16(a + 2, true) & 0x3fff;
    if (alen < 4 || a + alen > end) break;
    if (atype === INET_DIAG_SKMEMINFO && alen >= 4 + 36) {
      rec.memory = {
        rmemAlloc: dv.getUint32(a + 4, true),
        rcvbuf: dv.getUint32(a + 8, true),
        wmemAlloc: dv.getUint32(a + 12, true),
        sndbuf: dv.getUint32(a + 16, true),
        drops: dv.getUint32(a + 36, true),
      };
    } else if (atype === INET_DIAG_SKV6ONLY && alen >= 5 && v6) {
      rec.v6only = buf[a + 4] !== 0;
    } else if (atype === INET_DIAG_INFO && protocol === 'tcp' && !listening) {
      // A listener's tcp_info describes no connection (rtt 0, the initial cwnd): left out.
      const info = decodeTcpInfo(dv, a + 4, alen - 4);
      if (info) rec.tcp = { ...info, congestion: rec.tcp?.congestion };
    } else if (atype === INET_DIAG_CONG && protocol === 'tcp' && !listening && alen > 4) {
      // A NUL-terminated name ("cubic"); ASCII by kernel convention, kept to 16 printable characters.
      let name = '';
      for (let i = a + 4; i < a + alen && i < a + 4 + 16 && buf[i] !== 0; i++) name += buf[i]! >= 0x20 && buf[i]! < 0x7f ? String.fromCharCode(buf[i]!) : '?';
      if (rec.tcp) rec.tcp.congestion = name; else congestion = name;
    }
    a += (alen + 3) & ~3;
  }
  if (rec.tcp && congestion !== undefined && rec.tcp.congestion === undefined) rec.tcp.congestion = congestion;
  return rec;
}

/** tcpi_ssthresh while slow start has not ended yet (TCP_INFINITE_SSTHRESH). */
const INFINITE_SSTHRESH = 0x7fffffff;

/**
 * struct tcp_info at `p`, `len` bytes as the running kernel sent it
 * (include/uapi/linux/tcp.h). Offsets are the struct's; a field past `len`
 * belongs to a newer kernel and is left out. Undefined when even the first
 * 104 bytes (Linux 2.6's struct) are missing.
 */
export function decodeTcpInfo(dv: DataView, p: number, len: number): Omit<import('../../model/socket.js').TcpInfo, 'congestion'> | undefined {
  if (len < 104) return undefined;
  const u8 = (o: number): number => dv.getUint8(p + o);
  const u32 = (o: number): number => dv.getUint32(p + o, true);
  const has = (o: number, size: number): boolean => o + size <= len;
  const u64 = (o: number): number | undefined => {
    if (!has(o, 8)) return undefined;
    const v = dv.getBigUint64(p + o, true);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
  };
  const us = (o: number): number => u32(o) / 1000;
  const options = u8(5);
  const wscale = u8(6);
  const info: Omit<import('../../model/socket.js').TcpInfo, 'congestion'> = {
    rttMs: us(68), rttVarMs: us(72), rtoMs: us(8), mss: u32(16), cwnd: u32(80),
    retransmits: u8(2), totalRetrans: u32(100), unacked: u32(24), lost: u32(32),
    lastSendMs: u32(44), lastRecvMs: u32(52),
    // tcpi_options: TCPI_OPT_TIMESTAMPS 1, SACK 2, WSCALE 4, ECN 8.
    timestamps: (options & 1) !== 0, sack: (options & 2) !== 0, ecn: (options & 8) !== 0,
    structBytes: len,
  };
  if ((options & 4) !== 0) { info.sndWscale = wscale & 0x0f; info.rcvWscale = wscale >> 4; }
  const ssthresh = u32(76);
  if (ssthresh < INFINITE_SSTHRESH) info.ssthresh = ssthresh;
  // Rates of ~0 or all ones mean "not measured".
  const pacing = u64(104);
  if (pacing !== undefined && pacing > 0) info.pacingRate = pacing;
  const acked = u64(120);
  if (acked !== undefined) info.bytesAcked = acked;
  const received = u64(128);
  if (received !== undefined) info.bytesReceived = received;
  if (has(148, 4)) { const m = u32(148); if (m !== 0xffffffff) info.minRttMs = m / 1000; }
  const delivery = u64(160);
  if (delivery !== undefined && delivery > 0) info.deliveryRate = delivery;
  // busy, rwnd-limited and sndbuf-limited times are in microseconds.
  const busy = u64(168);
  if (busy !== undefined) info.busyMs = busy / 1000;
  const rwnd = u64(176);
  if (rwnd !== undefined) info.rwndLimitedMs = rwnd / 1000;
  const sndbuf = u64(184);
  if (sndbuf !== undefined) info.sndbufLimitedMs = sndbuf / 1000;
  const sent = u64(200);
  if (sent !== undefined) info.bytesSent = sent;
  const retrans = u64(208);
  if (retrans !== undefined) info.bytesRetrans = retrans;
  return info;
}

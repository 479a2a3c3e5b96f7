// Closing one TCP connection from outside the program that holds it, the way
// `ss -K` does: a SOCK_DESTROY netlink message (type 21, include/uapi/linux/
// sock_diag.h) carrying an inet_diag_req_v2 whose inet_diag_sockid names the
// exact socket, cookie included. The kernel aborts it with ECONNABORTED
// (tcp_abort). It needs a kernel built with CONFIG_INET_DIAG_DESTROY (else
// EOPNOTSUPP) and CAP_NET_ADMIN (else EPERM): net/core/sock_diag.c sock_diag_destroy().
//
// Which socket: the one the user saw. A 4-tuple alone does not say it: after a
// TIME_WAIT (inode 0) the same 4-tuple can belong to a new, live connection a
// moment later. The kernel gives every socket a cookie (idiag_cookie, TIME_WAIT
// and request sockets included) that is never reused while the machine runs, so
// the target is named by the cookie read with the row on screen:
//   1. exact lookup by 4-tuple (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP, cookie
//      INET_DIAG_NOCOOKIE); the socket found must have that cookie (and the
//      inode on screen, when it has one), else nothing is done ("changed");
//   2. SOCK_DESTROY carrying that cookie: the kernel itself checks it again
//      (sock_diag_check_cookie, ESTALE), so a swap between 1 and 2 is refused too.
// Without a cookie (rows read from /proc) the inode must match; a row with
// neither cannot be told from its successor and is refused ("unidentified").
// A listener is never destroyed: the server would live on without it ("listener").
//   request:  nlmsghdr{len=72, type=21, flags=REQUEST|ACK} inet_diag_req_v2{family=2, protocol=6,
//             states=~0, id{sport=5000, dport=40312, src=127.0.0.1, dst=127.0.0.1, if=0, cookie=0x2a1f,0}}
//   answer:   NLMSG_ERROR{error=0} (done), -95 (EOPNOTSUPP), -1 (EPERM), -2 (ENOENT)
import { parseAddress } from '../../model/address.js';
import type { Socket } from '../../model/socket.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, NLMSG_ERROR, SOCK_DIAG_BY_FAMILY } from './codec.js';
import { SockDiagChannel } from './transport.js';

export const SOCK_DESTROY = 21;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const HDR = 16;
const REQ = 56;
/** INET_DIAG_NOCOOKIE: "any cookie" in a lookup. */
const NOCOOKIE = 0xffffffff;

export interface SocketId {
  family: 'ipv4' | 'ipv6';
  protocol: 'tcp' | 'udp';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  interface?: number;
  /** idiag_cookie as two u32 (low, high); absent means "any" (lookups only). */
  cookie?: [number, number];
}

function writeAddress(buf: Buffer, off: number, text: string, family: SocketId['family']): void {
  const b = parseAddress(text);
  if (!b) throw new Error(`not an address: ${text}`);
  if (family === 'ipv4' && b.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  // IPv4 goes in the first word; the rest stays zero (struct inet_diag_sockid).
  Buffer.from(b).copy(buf, off);
}

/** One inet_diag_req_v2 message of `type` for exactly this socket. */
export function encodeSocketRequest(type: number, flags: number, id: SocketId, seq: number): Buffer {
  const buf = Buffer.alloc(HDR + REQ);
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  const p = HDR;
  buf.writeUInt8(id.family === 'ipv4' ? AF_INET : AF_INET6, p);
  buf.writeUInt8(id.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP, p + 1);
  buf.writeUInt32LE(0xffffffff, p + 4); // every state
  buf.writeUInt16BE(id.localPort, p + 8);
  buf.writeUInt16BE(id.remotePort, p + 10);
  writeAddress(buf, p + 12, id.localAddress, id.family);
  writeAddress(buf, p + 28, id.remoteAddress, id.family);
  buf.writeUInt32LE(id.interface ?? 0, p + 44);
  buf.writeUInt32LE(id.cookie ? id.cookie[0] >>> 0 : NOCOOKIE, p + 48);
  buf.writeUInt32LE(id.cookie ? id.cookie[1] >>> 0 : NOCOOKIE, p + 52);
  return buf;
}

/** The SOCK_DESTROY request for this socket (cookie required: the exact socket). */
export function encodeDestroyRequest(id: SocketId & { cookie: [number, number] }, seq: number): Buffer {
  return encodeSocketRequest(SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, id, seq);
}

/** The exact-lookup request (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP). */
export function encodeLookupRequest(id: SocketId, seq: number): Buffer {
  return encodeSocketRequest(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, { ...id, cookie: undefined }, seq);
}

/** What one reply datagram says: a record's inode and cookie, or an errno (0 = acknowledged). */
export function decodeReply(buf: Uint8Array, seq: number): { errno?: number; inode?: number; cookie?: [number, number]; state?: number } | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + HDR <= buf.length) {
    const len = dv.getUint32(off, true);
    if (len < HDR || off + len > buf.length) break;
    const type = dv.getUint16(off + 4, true);
    if (dv.getUint32(off + 8, true) === seq >>> 0) {
      if (type === NLMSG_ERROR) return { errno: len >= HDR + 4 ? -dv.getInt32(off + HDR, true) : 22 };
      if (type === SOCK_DIAG_BY_FAMILY && len >= HDR + 72) {
        const p = off + HDR;
        return { inode: dv.getUint32(p + 68, true), cookie: [dv.getUint32(p + 44, true), dv.getUint32(p + 48, true)], state: buf[p + 1] };
      }
    }
    off += (len + 3) & ~3;
  }
  return undefined;
}

export type DestroyOutcome =
  | { ok: true }
  | { ok: false; reason: 'unsupported' | 'permission' | 'gone' | 'changed' | 'unidentified' | 'listener' | 'not-tcp' | 'error'; detail?: string };

/** errno the kernel gives a SOCK_DESTROY whose cookie is not the socket's (sock_diag_check_cookie). */
const ESTALE = 116;
/** idiag_state of a listener (TCP_LISTEN in include/net/tcp_states.h). */
const TCP_LISTEN = 10;

let seqCounter = 0x7000;

/**
 * Close this TCP socket with SOCK_DESTROY, only if the kernel's socket with its
 * 4-tuple is the very one on screen: same cookie (when known) and same inode
 * (when it has one). `cookie` is the idiag_cookie read with the row.
 */
export async function destroySocket(s: Pick<Socket, 'protocol' | 'family' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'inode' | 'interface' | 'state'>,
  cookie: [number, number] | undefined,
  channelFactory: () => Pick<SockDiagChannel, 'request' | 'close'> = () => new SockDiagChannel({ bulk: true })): Promise<DestroyOutcome> {
  if (s.protocol !== 'tcp') return { ok: false, reason: 'not-tcp' };
  if (s.state === 'LISTEN') return { ok: false, reason: 'listener' };
  if (!cookie && s.inode === 0) return { ok: false, reason: 'unidentified' };
  const id: SocketId = {
    family: s.family, protocol: 'tcp', localAddress: s.localAddress, localPort: s.localPort,
    remoteAddress: s.remoteAddress, remotePort: s.remotePort, interface: s.interface,
  };
  let ch: Pick<SockDiagChannel, 'request' | 'close'>;
  try {
    ch = channelFactory();
  } catch (e) {
    return { ok: false, reason: 'error', detail: (e as Error).message };
  }
  try {
    const seq1 = (seqCounter = (seqCounter + 1) >>> 0);
    let found: ReturnType<typeof decodeReply>;
    await ch.request(encodeLookupRequest(id, seq1), (chunk) => {
      found = decodeReply(chunk, seq1);
      return found !== undefined;
    }, 5000);
    if (!found || found.errno === 2) return { ok: false, reason: 'gone' };
    if (found.errno) return { ok: false, reason: 'error', detail: `lookup errno ${found.errno}` };
    if (!found.cookie) return { ok: false, reason: 'error', detail: 'lookup answered without a socket' };
    // No connection has the 4-tuple any more: the kernel's lookup (inet_lookup) then
    // answers with the listener of the local port. The connection is gone, not replaced.
    if (found.state === TCP_LISTEN) return { ok: false, reason: 'gone' };
    if (cookie && (found.cookie[0] !== cookie[0] >>> 0 || found.cookie[1] !== cookie[1] >>> 0)) return { ok: false, reason: 'changed' };
    if (s.inode !== 0 && found.inode !== s.inode) return { ok: false, reason: 'changed' };
    const seq2 = (seqCounter = (seqCounter + 1) >>> 0);
    let answer: ReturnType<typeof decodeReply>;
    await ch.request(encodeDestroyRequest({ ...id, cookie: cookie ?? found.cookie }, seq2), (chunk) => {
      answer = decodeReply(chunk, seq2);
      return answer?.errno !== undefined;
    }, 5000);
    const errno = answer?.errno ?? 5;
    if (errno === 0) return { ok: true };
    if (errno === 95) return { ok: false, reason: 'unsupported' };
    if (errno === 1 || errno === 13) return { ok: false, reason: 'permission' };
    if (errno === 2) return { ok: false, reason: 'gone' };
    if (errno === ESTALE) return { ok: false, reason: 'changed' };
    return { ok: false, reason: 'error', detail: `errno ${errno}` };
  } catch (e) {
    return { ok: false, reason: 'error', detail: (e as Error).message };
  } finally {
    ch.close();
  }
}

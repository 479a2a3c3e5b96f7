// Unix domain sockets over netlink sock_diag (net/unix/diag.c, include/uapi/linux/unix_diag.h).
//   struct unix_diag_req { u8 family, protocol; u16 pad; u32 states, ino, show; u32 cookie[2]; }   24
//   struct unix_diag_msg { u8 family, type, state, pad; u32 ino; u32 cookie[2]; }                  16
// followed by attributes: UNIX_DIAG_NAME (sun_path bytes; a leading NUL marks an
// abstract name), UNIX_DIAG_PEER (u32 inode), UNIX_DIAG_RQLEN ({u32 rqueue, wqueue}),
// UNIX_DIAG_UID (u32).
import type { UnixSocket, UnixState, UnixType } from '../../model/unix.js';
import { decodeProcBytes } from '../proc-text.js';
import { NLMSG_DONE, NLMSG_ERROR, NO_HOLDERS, SOCK_DIAG_BY_FAMILY } from './codec.js';
import { SockDiagChannel } from './transport.js';

const AF_UNIX = 1;
const HDR = 16;
const REQ = 24;
const MSG = 16;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;

const UNIX_DIAG_NAME = 0;
const UNIX_DIAG_PEER = 2;
const UNIX_DIAG_RQLEN = 4;
const UNIX_DIAG_UID = 7;
const UDIAG_SHOW_NAME = 0x01;
const UDIAG_SHOW_PEER = 0x04;
const UDIAG_SHOW_RQLEN = 0x10;
const UDIAG_SHOW_UID = 0x40;

const TYPES: Readonly<Record<number, UnixType>> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };
/** The kernel keeps Unix socket states in TCP's numbering (tcp_states.h). */
const STATES: Readonly<Record<number, UnixState>> = { 1: 'ESTABLISHED', 2: 'CONNECTING', 7: 'UNCONN', 8: 'DISCONNECTING', 10: 'LISTEN' };

/** A dump request for every Unix socket, with name, peer, queues and owner. */
export function encodeUnixRequest(seq: number): Buffer {
  const buf = Buffer.alloc(HDR + REQ);
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt8(AF_UNIX, HDR);
  buf.writeUInt32LE(0xffffffff, HDR + 4); // every state
  buf.writeUInt32LE(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID, HDR + 12);
  return buf;
}

export interface UnixDecodeResult {
  done: boolean;
  errno?: number;
  malformed: number;
}

/** Decode one datagram of a Unix dump reply into `out` (holders still empty). */
export function decodeUnixChunk(buf: Uint8Array, seq: number, out: UnixSocket[]): UnixDecodeResult {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const r: UnixDecodeResult = { done: false, malformed: 0 };
  let off = 0;
  while (off + HDR <= buf.length) {
    const len = dv.getUint32(off, true);
    const type = dv.getUint16(off + 4, true);
    if (len < HDR || off + len > buf.length) { r.malformed++; break; }
    if (dv.getUint32(off + 8, true) === seq >>> 0) {
      if (type === NLMSG_DONE) r.done = true;
      else if (type === NLMSG_ERROR) {
        const errno = len >= HDR + 4 ? dv.getInt32(off + HDR, true) : -22;
        if (errno !== 0) r.errno = errno;
        r.done = true;
      } else if (type === SOCK_DIAG_BY_FAMILY) {
        const s = len >= HDR + MSG ? decodeUnix(buf, dv, off + HDR, off + len) : undefined;
        if (s) out.push(s); else r.malformed++;
      }
    }
    off += (len + 3) & ~3;
  }
  return r;
}

function decodeUnix(buf: Uint8Array, dv: DataView, p: number, end: number): UnixSocket | undefined {
  const type = TYPES[buf[p + 1]!];
  const state = STATES[buf[p + 2]!];
  if (buf[p] !== AF_UNIX || !type || !state) return undefined;
  const s: UnixSocket = { protocol: 'unix', type, state, inode: dv.getUint32(p + 4, true), recvQ: 0, sendQ: 0, holders: NO_HOLDERS };
  for (let a = p + MSG; a + 4 <= end;) {
    const alen = dv.getUint16(a, true);
    const atype = dv.getUint16(a + 2, true) & 0x3fff;
    if (alen < 4 || a + alen > end) break;
    const v = a + 4;
    const n = alen - 4;
    if (atype === UNIX_DIAG_NAME && n > 0) {
      const bytes = buf.subarray(v, v + n);
      if (bytes[0] === 0) {
        // An abstract name is every byte after the first, NULs included.
        s.abstract = decodeProcBytes(bytes.subarray(1));
      } else {
        const nul = bytes.indexOf(0);
        s.path = decodeProcBytes(nul < 0 ? bytes : bytes.subarray(0, nul));
      }
    } else if (atype === UNIX_DIAG_PEER && n >= 4) {
      const peer = dv.getUint32(v, true);
      if (peer !== 0) s.peer = peer;
    } else if (atype === UNIX_DIAG_RQLEN && n >= 8) {
      // A listener reports its pending connections and its backlog here.
      s.recvQ = dv.getUint32(v, true);
      if (state === 'LISTEN') s.backlog = dv.getUint32(v + 4, true);
      else s.sendQ = dv.getUint32(v + 4, true);
    } else if (atype === UNIX_DIAG_UID && n >= 4) {
      s.uid = dv.getUint32(v, true);
    }
    a += (alen + 3) & ~3;
  }
  return s;
}

let seqCounter = 0x5000;

/** Every Unix socket of this network namespace, without holders. Throws when netlink is unusable. */
export async function readUnixSockets(): Promise<{ sockets: UnixSocket[]; errno?: number; malformed: number }> {
  const channel = new SockDiagChannel();
  const sockets: UnixSocket[] = [];
  const seq = seqCounter++;
  let errno: number | undefined;
  let malformed = 0;
  try {
    await channel.request(encodeUnixRequest(seq), (chunk) => {
      const r = decodeUnixChunk(chunk, seq, sockets);
      malformed += r.malformed;
      if (r.errno !== undefined) errno = r.errno;
      return r.done;
    });
  } finally {
    channel.close();
  }
  return { sockets, errno, malformed };
}

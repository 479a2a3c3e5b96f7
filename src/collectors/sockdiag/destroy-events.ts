// Every TCP socket the kernel destroys, with its last tcp_info, as sock_diag
// broadcasts it (net/core/sock_diag.c, sock_diag_broadcast_destroy; what
// `ss -E` prints): the bytes a connection moved after the last look of the
// live table, and connections that opened and closed between two looks,
// which polling never sees. The kernel sends each as an inet_diag_msg
// (state CLOSE, inode 0, the cookie) with INET_DIAG_INFO and
// INET_DIAG_PROTOCOL, to the members of the groups SKNLGRP_INET_TCP_DESTROY
// (1) and SKNLGRP_INET6_TCP_DESTROY (3) of NETLINK_SOCK_DIAG, in the
// listener's network namespace. Any user may join them (sock_diag's netlink
// is NL_CFG_F_NONROOT_RECV; checked as nobody); a kernel that refuses (before
// 4.5 there are no such groups) leaves `failed` saying why, and watch counts
// by polling alone.
//   family=2 state=7 sport=40312 dport=5000 src=127.0.0.1 dst=127.0.0.1 cookie=0x2a1f
//   INET_DIAG_INFO { ... bytes_acked=70001 bytes_received=1234 ... }
import { createRequire } from 'node:module';
import type { RawSocket } from '../../model/socket.js';
import { NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, decodeRecord } from './codec.js';

const SKNLGRP_INET_TCP_DESTROY = 1;
const SKNLGRP_INET6_TCP_DESTROY = 3;
const HDR = 16;
const MSG = 72;
/** At most this many destroyed sockets kept between two drains (a churning host): the rest are counted as lost. */
const MAX_PENDING = 200_000;

/** A TCP socket the kernel destroyed, with its final counters. */
export interface ClosedRecord {
  /** Cookie as one number (high * 2^32 + low), as TrafficCounters.cookie. */
  cookie: number;
  /** The socket's tuple (state CLOSE, inode 0, no holders: the kernel sends no inode). */
  socket: RawSocket;
  /** tcpi_bytes_acked and tcpi_bytes_received at destruction; NaN when the struct has none. */
  acked: number;
  received: number;
}

interface RawLike {
  on(event: 'message', fn: (msg: Buffer) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  addMembership(group: number): void;
  close(): void;
  unref?(): void;
}
type RawCtor = new (protocol: number, options?: object) => RawLike;

/** Decode one broadcast datagram into `out` (exported for the tests). */
export function decodeDestroyed(buf: Buffer, out: ClosedRecord[], max = Infinity): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let lost = 0;
  for (let off = 0; off + HDR <= buf.length;) {
    const len = dv.getUint32(off, true);
    if (len < HDR || off + len > buf.length) break;
    if (dv.getUint16(off + 4, true) === SOCK_DIAG_BY_FAMILY && len >= HDR + MSG) {
      const p = off + HDR;
      const s = decodeRecord(buf, dv, p, off + len, 'tcp');
      if (s) {
        if (out.length >= max) lost++;
        else {
          out.push({
            cookie: dv.getUint32(p + 48, true) * 4294967296 + dv.getUint32(p + 44, true),
            acked: s.tcp?.bytesAcked ?? NaN, received: s.tcp?.bytesReceived ?? NaN,
            socket: { ...s, tcp: undefined },
          });
        }
      }
    }
    off += (len + 3) & ~3;
  }
  return lost;
}

/** Listens for destroyed TCP sockets from construction on; drain() hands over what came since the last drain. */
export class DestroyListener {
  private sock: RawLike | undefined;
  private pending: ClosedRecord[] = [];
  /** Why the kernel's destroy events are not heard (an old kernel, a refused socket...); undefined while they are. */
  failed: string | undefined;
  /** Destroyed sockets missed since the start: the queue was full, or the kernel dropped messages (ENOBUFS). */
  lost = 0;

  constructor(open?: () => RawLike) {
    try {
      if (open) this.sock = open();
      else {
        const require = createRequire(import.meta.url);
        const Raw = (require('netlink/dist/raw.js') as { RawNetlinkSocket: RawCtor }).RawNetlinkSocket;
        this.sock = new Raw(NETLINK_SOCK_DIAG, { recvBufferSize: 1 << 22, sendBufferSize: 4096 });
      }
      this.sock.on('message', (msg) => { this.lost += decodeDestroyed(msg, this.pending, MAX_PENDING); });
      this.sock.on('error', (err) => {
        // ENOBUFS: the kernel had to drop broadcasts (our buffer was full): some closes were missed.
        if ((err as NodeJS.ErrnoException).code === 'ENOBUFS') this.lost++;
        else this.failed ??= (err as Error).message;
      });
      this.sock.addMembership(SKNLGRP_INET_TCP_DESTROY);
      this.sock.addMembership(SKNLGRP_INET6_TCP_DESTROY);
      // Never what keeps the process alive.
      this.sock.unref?.();
    } catch (e) {
      this.failed = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.close();
    }
  }

  drain(): ClosedRecord[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  close(): void {
    try {
      this.sock?.close();
    } catch {
      // Closed already.
    }
    this.sock = undefined;
  }
}

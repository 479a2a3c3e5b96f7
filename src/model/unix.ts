// Unix domain sockets: the other family of sockets every machine is full of
// (systemd, D-Bus, X11/Wayland, Docker's API, databases' local connections).
// Types only: the collector is collectors/unix.ts.
import type { Holder, UnheldReason } from './socket.js';

/** SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET. */
export type UnixType = 'stream' | 'dgram' | 'seqpacket';

/** The states a Unix socket is reported in (the kernel reuses TCP's numbers). */
export type UnixState = 'LISTEN' | 'ESTABLISHED' | 'UNCONN' | 'CONNECTING' | 'DISCONNECTING';

/** One Unix domain socket. JSON: docs/json.md ("Unix sockets"). */
export interface UnixSocket {
  protocol: 'unix';
  type: UnixType;
  state: UnixState;
  /** A filesystem path it is bound to (bytes from the binder: invalid UTF-8 kept as U+DC80..U+DCFF). */
  path?: string;
  /** An abstract name (Linux: a name outside the filesystem), without its leading NUL byte. */
  abstract?: string;
  inode: number;
  /** The inode of the socket at the other end, for a connected socket. */
  peer?: number;
  /**
   * LISTEN: connections waiting to be accepted. Otherwise: bytes (stream) or datagrams queued for reading.
   * Absent when the source does not tell (/proc/net/unix has no queues).
   */
  recvQ?: number;
  /** LISTEN: 0 (see backlog). Otherwise: bytes queued for sending. Absent as recvQ. */
  sendQ?: number;
  /** LISTEN: the limit of the accept queue. */
  backlog?: number;
  /** The user that created it. */
  uid?: number;
  holders: Holder[];
  /** Present only when holders is empty. */
  unheldReason?: UnheldReason;
}

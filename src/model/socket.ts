// The neutral record every collector produces and every view reads.
// No I/O here: this file is types and small pure helpers only.

export type Protocol = 'tcp' | 'udp';
export type Family = 'ipv4' | 'ipv6';

/**
 * State names as netstat prints them. TCP uses the kernel's states
 * (include/net/tcp_states.h); UDP has no connection, so the kernel's
 * TCP_CLOSE means "UNCONN" and TCP_ESTABLISHED means a connect()ed UDP socket.
 */
export type SocketState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'UNCONN';

/** Every state name, in kernel order; used to validate user input. */
export const SOCKET_STATES: readonly SocketState[] = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'UNCONN',
];

/**
 * Kernel TCP state number (tcp_states.h) → name. Index 12 is TCP_NEW_SYN_RECV,
 * the request sock of a half-open connection, which ss and netstat show as SYN_RECV.
 */
const KERNEL_STATES: readonly (SocketState | undefined)[] = [
  undefined, 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2',
  'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'SYN_RECV',
];

/**
 * The kernel state bitmask (1 << n) that covers these states, for a dump
 * request. SYN_RECV covers the request socks too (TCP_NEW_SYN_RECV, 12); UDP's
 * UNCONN is TCP_CLOSE (7); CLOSE covers bound-only sockets (TCP_BOUND_INACTIVE, 13).
 */
export function kernelStateMask(states: readonly SocketState[]): number {
  let mask = 0;
  for (const st of states) {
    if (st === 'UNCONN') mask |= 1 << 7;
    if (st === 'SYN_RECV') mask |= 1 << 12;
    // Sockets bound without listen() or connect() are dumped (as CLOSE) only when
    // the mask names TCP_BOUND_INACTIVE (13, Linux 6.8+; older kernels ignore the bit).
    if (st === 'CLOSE') mask |= 1 << 13;
    const n = KERNEL_STATES.indexOf(st);
    if (n > 0) mask |= 1 << n;
  }
  return mask >>> 0;
}

/** Map a kernel state number to its name for the given protocol; undefined if unknown. */
export function stateFromKernel(protocol: Protocol, n: number): SocketState | undefined {
  if (protocol === 'udp') {
    if (n === 7) return 'UNCONN';
    if (n === 1) return 'ESTABLISHED';
  }
  return KERNEL_STATES[n];
}

/** Why a socket has no holder. Never left blank: see docs/json.md. */
export type UnheldReason =
  | 'not-accepted'      // completed connection still in a listener's accept queue
  | 'kernel'            // TIME_WAIT and other states that only the kernel keeps
  | 'permission-denied' // the holder's fds were unreadable to us (not root)
  | 'process-exited'    // the holder went away while we scanned
  | 'other-namespace'   // the inode belongs to a process we cannot see from here
  | 'unknown';

/** One (process, file descriptor) pair that holds a socket open. */
export interface Holder {
  pid: number;
  /** The holder's file descriptor number; absent only when the source does not tell (pasted Windows or macOS output). */
  fd?: number;
  /** Short process name (/proc/PID/comm). Absent when it could not be read. */
  name?: string;
  /** Full command line, arguments joined by spaces. Absent when unreadable. */
  command?: string;
  /** User name of the process's real uid (numeric string if no name is known). */
  user?: string;
  uid?: number;
  /**
   * The container the process runs in, from its cgroup (and the runtime's own
   * records for the name). Absent when it runs in none, or the source cannot tell.
   */
  container?: ContainerRef;
  /** The systemd unit (service, scope, slice) the process runs in, from its cgroup. */
  unit?: string;
}

/** Container runtimes sockscope recognises in a cgroup path. */
export type ContainerRuntime = 'docker' | 'containerd' | 'podman' | 'kubernetes' | 'lxc' | 'nspawn';

/** A container, by the id its runtime gave it; `name` only when the machine says it. */
export interface ContainerRef {
  runtime: ContainerRuntime;
  /** Full id as found in the cgroup path (64 hex digits for docker/podman/containerd). */
  id: string;
  name?: string;
  /** Kubernetes: the pod the container belongs to. */
  pod?: { uid: string; name?: string; namespace?: string };
}

/** Who holds a host port for a container, and what it leads to (see Socket.published). */
export interface PublishedPort {
  /** docker-proxy and rootlessport forward connections themselves; podman's conmon only keeps the port reserved while NAT rules forward it. */
  via: 'docker-proxy' | 'rootlessport' | 'conmon';
  /** The container, when its runtime's records (or the holder's command line) say which. */
  container?: ContainerRef;
  /** The container's address the port leads to, when known (docker-proxy's -container-ip). */
  containerAddress?: string;
  /** The port inside the container, when known. */
  containerPort?: number;
}

/** A network namespace, by the inode of its /proc/PID/ns/net link; `name` when one is known (ip netns, a runtime). */
export interface NetnsRef {
  inode: number;
  name?: string;
  /** Present (true) on the host's namespace: pid 1's, or ours when pid 1's cannot be read. */
  host?: boolean;
}

/** One TCP or UDP socket. The JSON schema v1 is this shape; see docs/json.md. */
export interface Socket {
  protocol: Protocol;
  family: Family;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: SocketState;
  /** LISTEN: accept-queue length. Connection: bytes not yet read by the program. UDP: bytes queued. */
  recvQ: number;
  /** LISTEN (proc source): 0. Connection: bytes not yet acknowledged by the peer. */
  sendQ: number;
  /** LISTEN sockets only, when the source can see it (netlink). */
  backlog?: number;
  /** Socket inode; 0 for sockets that no file refers to (TIME_WAIT, not yet accepted). */
  inode: number;
  uid: number;
  /** Network interface index the socket is bound to, when bound to one. */
  interface?: number;
  /**
   * IPv6 sockets: true when IPV6_V6ONLY is set (a `::` listener then takes IPv6
   * only), false when it also takes IPv4 (dual-stack). Absent when the source
   * does not say (/proc/net, pasted output) and on connections: the kernel
   * reports it for LISTEN and CLOSE (UDP unconnected) sockets only.
   */
  v6only?: boolean;
  /** Kernel timer running on the socket, with its remaining time and retransmit count. */
  timer?: { kind: TimerKind; expiresMs: number; retransmits: number };
  /** Buffer sizes and use, when asked for (netlink source only). */
  memory?: SocketMemory;
  /** TCP internals (struct tcp_info, congestion control), when asked for (netlink source only, TCP). */
  tcp?: TcpInfo;
  /**
   * The network namespace the socket lives in (Linux). Absent when the source
   * cannot tell (pasted output, lsof).
   */
  netns?: NetnsRef;
  holders: Holder[];
  /**
   * A host listener kept for a container's published port (held by docker-proxy,
   * rootlessport or podman's conmon): the container and the port it leads to, as
   * far as the machine says. Absent on every other socket.
   */
  published?: PublishedPort;
  /** Present only when holders is empty. */
  unheldReason?: UnheldReason;
}

/** Socket memory as the kernel accounts it (struct sk_meminfo), in bytes. */
export interface SocketMemory {
  /** Bytes queued for reading, and the receive buffer's limit (SO_RCVBUF). */
  rmemAlloc: number;
  rcvbuf: number;
  /** Bytes queued for sending, and the send buffer's limit (SO_SNDBUF). */
  wmemAlloc: number;
  sndbuf: number;
  /** Packets dropped because the receive buffer was full. */
  drops: number;
}

/**
 * What the kernel tracks inside a TCP connection (struct tcp_info in
 * include/uapi/linux/tcp.h, sent as INET_DIAG_INFO; INET_DIAG_CONG for the
 * algorithm). The struct grew over the years: a field the running kernel does
 * not send is absent, never 0. Times in milliseconds, sizes in bytes.
 */
export interface TcpInfo {
  /** Smoothed round-trip time and its variation (tcpi_rtt, tcpi_rttvar). */
  rttMs: number;
  rttVarMs: number;
  /** Lowest round-trip time seen (Linux 4.6+). */
  minRttMs?: number;
  /** Retransmission timeout now. */
  rtoMs: number;
  /** Segment size this side sends (tcpi_snd_mss). */
  mss: number;
  /** Congestion window, in segments, and the slow-start threshold (absent while still infinite). */
  cwnd: number;
  ssthresh?: number;
  /** Retransmissions of the segment now outstanding (resets after an ACK), and since the connection began. */
  retransmits: number;
  totalRetrans: number;
  /** Segments sent and not yet acknowledged; segments believed lost. */
  unacked: number;
  lost: number;
  /** Since the connection began (Linux 4.1+ / 4.19+ for sent and retransmitted bytes). */
  bytesAcked?: number;
  bytesReceived?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  /** Latest delivery rate estimate and pacing rate, bytes per second (absent when unknown). */
  deliveryRate?: number;
  pacingRate?: number;
  /** Time since this side last sent / received data. */
  lastSendMs: number;
  lastRecvMs: number;
  /** Time spent sending, and in it limited by the peer's receive window or by our send buffer (Linux 4.10+). */
  busyMs?: number;
  rwndLimitedMs?: number;
  sndbufLimitedMs?: number;
  /** Options both sides agreed on in the handshake. */
  sack: boolean;
  timestamps: boolean;
  /** Window scale shifts, when window scaling is on. */
  sndWscale?: number;
  rcvWscale?: number;
  ecn: boolean;
  /** Congestion control algorithm (cubic, bbr, reno, ...). */
  congestion?: string;
  /** Bytes of struct tcp_info the kernel sent (tells which fields it knows). */
  structBytes: number;
}

/** Kernel socket timers (net/ipv4/tcp_diag.c / inet_diag idiag_timer). */
export type TimerKind = 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';

export function timerFromKernel(n: number): TimerKind | undefined {
  switch (n) {
    case 1: return 'retransmit';
    case 2: return 'keepalive';
    case 3: return 'time-wait';
    case 4: return 'zero-window-probe';
    default: return undefined;
  }
}

/** A socket with its holders still to be attached: what a socket-table source yields. */
export type RawSocket = Omit<Socket, 'holders' | 'unheldReason'>;

/** True for a TCP listener (what the kernel calls TCP_LISTEN). */
export function isListener(s: Pick<Socket, 'protocol' | 'state'>): boolean {
  return s.protocol === 'tcp' && s.state === 'LISTEN';
}

/** True when the address is an unspecified (wildcard) address: 0.0.0.0 or ::. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** Address and port the way netstat and ss print them: 127.0.0.1:80, [::1]:80. */
export function formatEndpoint(address: string, port: number | string): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

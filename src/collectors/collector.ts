// The seam between sockscope and the operating system. A collector turns one
// source (netlink, /proc, lsof output, netstat.exe output, pasted text) into a
// Snapshot; everything above this layer reads Snapshots and never the OS.
import type { Protocol, Family, RawSocket, SocketState } from '../model/socket.js';
import type { Snapshot, SourceName } from '../model/snapshot.js';

/** What to collect. Narrowing here lets a collector skip work (protocols, families). */
export interface CollectOptions {
  protocols?: readonly Protocol[];
  families?: readonly Family[];
  /** 'auto' tries netlink first and falls back to /proc/net. */
  source?: SourceName | 'auto';
  /** Skip the /proc/<pid>/fd scan (holders left empty with reason 'unknown'). */
  holders?: boolean;
  /**
   * Keep only the sockets this predicate accepts, decided on the bare table
   * before holders are resolved, so that a narrow query (one port, one state)
   * records only the inodes it will show.
   */
  select?: (s: RawSocket) => boolean;
  /**
   * What `select` is known to require, so a source can ask the kernel for less.
   * Only a narrowing: `select` still decides. */
  narrow?: { states?: readonly SocketState[]; ports?: readonly number[] };
  /** Scan only these processes' fds, and keep only the sockets they hold. */
  pids?: readonly number[];
  /** Ask the kernel for buffer sizes (netlink only). */
  memory?: boolean;
  /** Ask the kernel for TCP internals, struct tcp_info and the congestion algorithm (netlink only). */
  info?: boolean;
  /**
   * Which network namespaces to read (Linux): 'all' (the default), 'host', a
   * name (ip netns, a runtime's mount), an inode number as text, or 'pid:N'
   * (the namespace of process N). See collectors/netns/select.ts.
   */
  netns?: readonly string[];
}

/** Everything a collector may touch, injectable so tests swap in recorded trees. */
export interface CollectorContext {
  /** Root of the proc file system: /proc, or a recorded tree. */
  procRoot: string;
  /** Path of the passwd file used to name uids. */
  passwdPath: string;
  /** Effective uid we run as (decides whether EACCES is expected). */
  euid: number;
  now(): number;
}

export interface Collector {
  readonly name: string;
  collect(options: CollectOptions): Promise<Snapshot>;
}

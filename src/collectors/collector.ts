// The seam between sockscope and the operating system. A collector turns one
// source (netlink, /proc, lsof output, netstat.exe output, pasted text) into a
// Snapshot; everything above this layer reads Snapshots and never the OS.
// One collector per data source, each with the same three functions (the
// sockets, one process's details, processes by name), and src/index.ts picks
// the one for the running platform once (as psutil picks _pslinux/_psosx/_pswindows).
import type { Protocol, Family, RawSocket, SocketState } from '../model/socket.js';
import type { Snapshot, SourceName } from '../model/snapshot.js';
import type { HolderScan } from './procfs/holders.js';
import type { ProcessInfo as ProcfsProcessInfo } from './procfs/process-info.js';
import type { Exec } from './exec.js';

export type { Exec } from './exec.js';

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
   * Socket inodes of other kinds (Unix sockets) whose holders the caller wants
   * from the same fd scan, so that it is not done twice (the overview's Unix
   * listeners). Only a widening of what the scan records.
   */
  alsoInodes?: ReadonlySet<number>;
  /** Handed the fd scan once it is done (inode → holders, unreadable and exited pids), when one was made. */
  onHolderScan?: (scan: HolderScan) => void;
  /**
   * Which network namespaces to read (Linux): 'all' (the default), 'host', a
   * name (ip netns, a runtime's mount), an inode number as text, or 'pid:N'
   * (the namespace of process N). See collectors/netns/select.ts.
   */
  netns?: readonly string[];
}

/** Everything a collector may touch, injectable so tests swap in recorded trees and recorded command output. */
export interface CollectorContext {
  /** Root of the proc file system: /proc, or a recorded tree. */
  procRoot: string;
  /** Path of the passwd file used to name uids. */
  passwdPath: string;
  /** Effective uid we run as (decides whether EACCES is expected); -1 where there are no uids (Windows). */
  euid: number;
  now(): number;
  /**
   * Runs the platform's tools (netstat, tasklist, PowerShell, lsof, ps) for the
   * collectors that read them; absent: the real programs (collectors/exec.ts).
   */
  exec?: Exec;
}

/**
 * Name, command line, owner and identity of one process, as far as the source
 * can tell: a field the source does not give is absent, never made up.
 */
export interface ProcessInfo extends ProcfsProcessInfo {
  /** Parent process id, where the source gives it (ps, Win32_Process). */
  ppid?: number;
  /**
   * When the process started, in milliseconds since the epoch, where the source
   * gives it (ps lstart, Win32_Process CreationDate): with the pid, the
   * process's identity (Linux uses startTicks instead).
   */
  startedAt?: number;
}

/** What watch() needs of a source: the sockets, one whole collect per look. */
export interface SocketSource {
  readonly name: string;
  collect(options: CollectOptions): Promise<Snapshot>;
}

export interface Collector extends SocketSource {
  /** Details of one process; undefined when no such process is visible. */
  processInfo(pid: number): Promise<ProcessInfo | undefined>;
  /**
   * Pids of the processes named `name` (case-insensitive), or, when none has
   * that name and the source can see command lines, whose command line
   * contains it. `exclude` keeps ourselves (and the npx that started us) out.
   */
  findProcesses(name: string, exclude: readonly number[]): Promise<number[]>;
}

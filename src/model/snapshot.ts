import type { ContainerRef, NetnsRef, Socket } from './socket.js';

/**
 * Which source produced the socket table: 'windows-netstat' is netstat.exe -ano
 * with tasklist (Windows), 'macos-netstat' is netstat -anv with lsof (macOS).
 */
export type SourceName = 'netlink' | 'proc' | 'lsof' | 'windows-netstat' | 'macos-netstat';

/**
 * A field of Socket or Holder this source does not give. Its value in the
 * rows (0, or absent) then means "not known", never "zero": uid 0 is not
 * root, inode 0 is not "no file".
 */
export type AbsentField = 'fd' | 'uid' | 'inode' | 'queues' | 'backlog' | 'user' | 'command';

/** Something the scan could not see, recorded instead of crashing or guessing. */
export interface ScanIssue {
  /** Machine-readable kind. */
  kind:
    | 'permission-denied' // EACCES reading another process's fds
    | 'process-exited'    // ENOENT/ESRCH: the process went away mid-scan
    | 'source-fallback'   // netlink unavailable, /proc/net used instead
    | 'source-error'      // a file could not be read at all (ELOOP, not a regular file, EIO...)
    | 'tool-error'        // a program the source runs (netstat, lsof, tasklist, ps) could not run: subject is its command
    | 'parse-error'       // a line of a table could not be parsed (see `reason`)
    | 'truncated'         // a file went past its documented cap (collectors/bounded-read.ts): only its start was used
    | 'hidden-processes'; // /proc is mounted with hidepid: other users' processes cannot be seen at all
  /** What it concerns: a path, a pid, a table name. */
  subject: string;
  /** Human detail (errno code or message). */
  detail: string;
  /**
   * Why a line was refused, machine-readable: 'malformed', 'out-of-range' (a
   * number too large for its field, never stored wrong), 'too-long'.
   */
  reason?: string;
}

/** What one scan of the machine saw: sockets with their holders, and what it could not see. */
export interface Snapshot {
  /** Milliseconds since the epoch when the scan started. */
  takenAt: number;
  source: SourceName;
  /** False when the source cannot report listen backlogs (the /proc/net tables). */
  backlogKnown: boolean;
  /** True when the scan ran as root (uid 0) and so could read every process's fds. */
  privileged: boolean;
  sockets: Socket[];
  /** Processes whose fd table we were not allowed to read (only counted, said once). */
  unreadableProcesses: number;
  issues: ScanIssue[];
  /** Fields the source does not give at all (see AbsentField); absent: it gives them all. */
  absent?: AbsentField[];
  /**
   * The network namespaces read (Linux), the host's first. Absent when the
   * source does not know namespaces.
   */
  namespaces?: NetnsInfo[];
}

/** One network namespace of the machine and how its sockets were read. */
export interface NetnsInfo extends NetnsRef {
  /** The namespace of pid 1 (the host's), or ours when pid 1's cannot be read. */
  host: boolean;
  /** Where its socket table came from; absent when it could not be read (see `error`). */
  source?: SourceName;
  /** Processes seen in it (pids, at most a few listed elsewhere; this is the count). */
  processes: number;
  /** The container whose processes live in it, when they all belong to one. */
  container?: ContainerRef;
  /** Why its table could not be read, when it could not. */
  error?: string;
}

// Which (pid, fd) pairs hold which socket inode: the scan that `ss -p`,
// `netstat -p` and `lsof` all do, over /proc/<pid>/fd/<n> -> "socket:[INODE]".
// We index by inode in a hash map (ss uses a fixed 256-bucket table, which is
// why it slows to seconds on 100k sockets) and never let a vanished process or
// an unreadable fd table stop the scan: those become issues on the Snapshot.
import { closeSync, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism, constants } from 'node:os';
import type { ScanIssue } from '../../model/snapshot.js';

/** The native scan (native/scan.cc), when it was built at install time. */
interface NativeResult {
  found: Uint32Array;
  unreadable: Int32Array;
  exited: Int32Array;
  /** (pid, errno) pairs: fd directories that could not be opened for another reason (EMFILE with nothing to free, ELOOP). */
  failed: Int32Array;
  /** The scan was cancelled before it finished: the lists above may be partial. */
  cancelled?: boolean;
}
interface NativeScan {
  scan(procRoot: string, pids: Int32Array, threads: number): NativeResult;
  /** The same scan on a worker thread; cancel() stops this scan only (its result then says cancelled). */
  scanAsync(procRoot: string, pids: Int32Array, threads: number): { done: Promise<NativeResult>; cancel(): void };
}

let native: NativeScan | null | undefined;

/** Load the native scan once; null when it is not built or disabled (SOCKSCOPE_NATIVE=0). */
export function nativeScan(): NativeScan | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env['SOCKSCOPE_NATIVE'] === '0') return native;
  try {
    // dist/src/collectors/procfs/ -> project root. process.dlopen rather than require():
    // the module resolver's package.json lookups cost more than loading the addon itself.
    const mod = { exports: {} as NativeScan };
    process.dlopen(mod, fileURLToPath(new URL('../../../../build/Release/sockscope_scan.node', import.meta.url)));
    native = mod.exports;
  } catch {
    native = null;
  }
  return native;
}

export interface FdRef {
  pid: number;
  fd: number;
}

export interface HolderScan {
  /** inode -> every (pid, fd) holding it, in scan order. */
  byInode: Map<number, FdRef[]>;
  /** Pids whose fd directory could not be read for lack of permission. */
  unreadable: number[];
  /** Pids that disappeared while we scanned them. */
  exited: number[];
  issues: ScanIssue[];
}

export interface HolderScanOptions {
  /** Only inodes in this set are recorded. */
  wanted?: ReadonlySet<number>;
  /** Only scan these pids (a `pid` query). */
  pids?: readonly number[];
  /** Use the JavaScript scan even when the native one is built (tests compare the two). */
  forceJs?: boolean;
}

let errnoNames: Map<number, string> | undefined;

/** 'ELOOP' for 40: the code Node would give the same error. */
export function errnoName(n: number): string {
  errnoNames ??= new Map(Object.entries(constants.errno).map(([k, v]) => [v, k]));
  return errnoNames.get(n) ?? `errno ${n}`;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'EIO';
}

/** List the numeric entries of the proc root: every visible process. */
export function listPids(procRoot: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(procRoot)) {
    const c = name.charCodeAt(0);
    // At most PID_MAX_LIMIT (4194304): a recorded tree's "4294971538" would wrap
    // to pid 4242 in the native scan's Int32Array (process-info oddPidEntries says so).
    if (c >= 48 && c <= 57 && name.length <= 7) {
      const pid = Number(name);
      if (Number.isInteger(pid) && pid >= 1 && pid <= 4194304) pids.push(pid);
    }
  }
  return pids;
}

const PREFIX = 'socket:[';

/** Scan every process's fd table for sockets. */
export function scanHolders(procRoot: string, opts: HolderScanOptions = {}): HolderScan {
  const pids = opts.pids ?? listPids(procRoot);
  const n = opts.forceJs ? null : nativeScan();
  const result = n ? fromNative(n.scan(procRoot, Int32Array.from(pids), THREADS), opts.wanted, procRoot) : scanJs(procRoot, pids, opts.wanted);
  return withIssues(result, procRoot);
}

/** A holder scan started in the background; see startScan. */
export interface PendingScan {
  /**
   * The scan's answer, indexed for the inodes wanted (all when absent).
   * Rejects with ScanCancelled once cancel() was called: a scan cut short is
   * never read as a complete one.
   */
  read(wanted?: ReadonlySet<number>): Promise<HolderScan>;
  /** Stop this scan (and no other) so that nothing waits for it. */
  cancel(): void;
}

/** What reading a cancelled scan gives. */
export class ScanCancelled extends Error {
  constructor() {
    super('the holder scan was cancelled');
    this.name = 'ScanCancelled';
  }
}

/**
 * Start the same scan off the JavaScript thread (when the native scanner is
 * built) so that it overlaps with reading the socket table. The index by inode
 * is built only when asked, for the inodes the table turned out to need.
 * Each scan has its own handle: cancelling one (a query that found nothing to
 * look up) leaves every other scan in flight whole.
 */
export function startScan(procRoot: string, opts: Pick<HolderScanOptions, 'forceJs' | 'pids'> = {}): PendingScan {
  const n = opts.forceJs ? null : nativeScan();
  let cancelled = false;
  if (!n) {
    // The JavaScript scan runs when read, on this thread: cancelling only means it never runs.
    return {
      read: async (wanted) => {
        if (cancelled) throw new ScanCancelled();
        return scanHolders(procRoot, { ...opts, wanted, forceJs: true });
      },
      cancel: () => { cancelled = true; },
    };
  }
  const job = n.scanAsync(procRoot, Int32Array.from(opts.pids ?? listPids(procRoot)), THREADS);
  job.done.catch(() => undefined); // observed here; the caller may never ask for it
  return {
    read: async (wanted) => {
      if (cancelled) throw new ScanCancelled();
      const r = await job.done;
      // Cancelled while we waited, or (by whoever) while the scan ran: its answer may be partial.
      if (cancelled || r.cancelled) throw new ScanCancelled();
      return withIssues(fromNative(r, wanted, procRoot), procRoot);
    },
    cancel: () => {
      cancelled = true;
      job.cancel();
    },
  };
}

// Two threads saturate the kernel's readlink path on small machines; more only contend.
export const THREADS = Math.min(4, Math.max(1, availableParallelism()));

function withIssues(result: HolderScan, procRoot: string): HolderScan {
  const { unreadable, exited, issues } = result;
  for (const pid of unreadable) issues.push({ kind: 'permission-denied', subject: `${procRoot}/${pid}/fd`, detail: 'EACCES' });
  for (const pid of exited) issues.push({ kind: 'process-exited', subject: `${procRoot}/${pid}`, detail: 'ENOENT' });
  return result;
}

function fromNative(r: NativeResult, wanted: ReadonlySet<number> | undefined, procRoot: string): HolderScan {
  const byInode = new Map<number, FdRef[]>();
  const f = r.found;
  for (let i = 0; i < f.length; i += 3) {
    const inode = f[i]!;
    if (wanted && !wanted.has(inode)) continue;
    const ref: FdRef = { pid: f[i + 1]!, fd: f[i + 2]! };
    const list = byInode.get(inode);
    if (list) list.push(ref);
    else byInode.set(inode, [ref]);
  }
  // Threads finish in any order: put each socket's holders in pid, fd order, as the JS scan does.
  for (const list of byInode.values()) if (list.length > 1) list.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  // failed holds (pid, errno) pairs; the detail is the errno's code, as the JS scan gives it.
  const issues: ScanIssue[] = [];
  for (let i = 0; i + 1 < r.failed.length; i += 2) {
    issues.push({ kind: 'source-error', subject: `${procRoot}/${r.failed[i]}/fd`, detail: errnoName(r.failed[i + 1]!) });
  }
  return { byInode, unreadable: [...new Set(r.unreadable)], exited: [...new Set(r.exited)], issues };
}

function scanJs(procRoot: string, pids: readonly number[], wanted: ReadonlySet<number> | undefined): HolderScan {
  const byInode = new Map<number, FdRef[]>();
  const unreadable: number[] = [];
  const exited: number[] = [];
  const issues: ScanIssue[] = [];

  for (const pid of pids) {
    const dir = `${procRoot}/${pid}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch (e) {
      const code = errCode(e);
      if (code === 'EACCES' || code === 'EPERM') unreadable.push(pid);
      else if (code === 'ENOENT' || code === 'ESRCH') exited.push(pid);
      else issues.push({ kind: 'source-error', subject: dir, detail: code });
      continue;
    }
    const base = dir + '/';
    for (let i = 0; i < fds.length; i++) {
      const name = fds[i]!;
      let target: string;
      try {
        target = readlinkSync(base + name);
      } catch (e) {
        const code = errCode(e);
        // The fd was closed between readdir and readlink: nothing to record.
        if (code === 'ENOENT') continue;
        if (code === 'ESRCH') { exited.push(pid); break; }
        if (code === 'EACCES' || code === 'EPERM') { unreadable.push(pid); break; }
        issues.push({ kind: 'source-error', subject: base + name, detail: code });
        continue;
      }
      // Compare the prefix without allocating: "socket:[" then digits then "]".
      if (target.length < 10 || target.charCodeAt(0) !== 115 /* s */ || !target.startsWith(PREFIX)) continue;
      let inode = 0;
      for (let k = 8; k < target.length - 1; k++) inode = inode * 10 + (target.charCodeAt(k) - 48);
      if (wanted && !wanted.has(inode)) continue;
      const ref: FdRef = { pid, fd: Number(name) };
      const list = byInode.get(inode);
      if (list) list.push(ref);
      else byInode.set(inode, [ref]);
    }
  }
  for (const list of byInode.values()) if (list.length > 1) list.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  return { byInode, unreadable, exited, issues };
}

/** Largest /proc/<pid>/status we read (a few KiB in practice; a recorded tree may hold anything). */
const STATUS_CAP = 64 * 1024;

/**
 * Every uid (real, effective, saved, filesystem) of these processes, from
 * /proc/<pid>/status, which anyone may read even when the fd table is closed.
 * What decides whether an unheld socket could be theirs (see unheldReason).
 * A process that is gone is skipped (it holds nothing now); undefined when
 * one could not be read otherwise: its sockets could be anyone's.
 * Example line: "Uid:\t1000\t1000\t1000\t1000".
 */
export function readProcessUids(procRoot: string, pids: readonly number[]): Set<number> | undefined {
  const uids = new Set<number>();
  const buf = Buffer.allocUnsafe(STATUS_CAP);
  for (const pid of pids) {
    let text: string;
    let fd: number | undefined;
    try {
      fd = openSync(`${procRoot}/${pid}/status`, 'r');
      const n = readSync(fd, buf, 0, STATUS_CAP, 0);
      text = buf.toString('latin1', 0, n);
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT' || code === 'ESRCH') continue;
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const m = /(?:^|\n)Uid:[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]+(\d+)/.exec(text);
    if (!m) return undefined;
    for (let i = 1; i <= 4; i++) uids.add(Number(m[i]));
  }
  return uids;
}

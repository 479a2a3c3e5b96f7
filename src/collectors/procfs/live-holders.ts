// Who holds which socket, kept up to date tick after tick for `watch` without
// reading every /proc/<pid>/fd each second (at 100k sockets that full scan
// alone costs about half a CPU-second).
//
// What can have changed is re-read, the rest rotates:
//  - a process we have not seen before is scanned;
//  - a process whose fd count changed is scanned again. Since Linux 6.2,
//    stat(2) on /proc/<pid>/fd reports the number of open fds as its size
//    (commit f1f1f2569901 "fs/proc: add open fd count to /proc/<pid>/fd size"),
//    which costs one stat per process instead of a readlink per fd;
//  - processes that held a socket that just went away are scanned again (a
//    close followed by an open keeps the count);
//  - and every process is rescanned in turn, a slice per tick, so that the
//    whole machine is covered every `fullEverySeconds` whatever happens.
//    On older kernels (size always 0) this rotation is what finds changes.
// Example input: /proc/4242/fd/3 -> "socket:[711724]", stat(/proc/4242/fd).st_size = 12
import { statSync } from 'node:fs';
import type { Holder } from '../../model/socket.js';
import { THREADS, listPids, nativeScan, readProcessUids, scanHolders } from './holders.js';
import { ProcessTable, holderOf, parseStatStart, type ProcessInfo } from './process-info.js';
import { CAPS, readBounded } from '../bounded-read.js';

interface Ref {
  inode: number;
  fd: number;
}

export interface HolderTrackerOptions {
  procRoot: string;
  passwdPath: string;
  /** Every process is rescanned at least this often (seconds). */
  fullEverySeconds: number;
  /** Seconds between refreshes (sets the slice of the rotation per refresh). */
  intervalSeconds: number;
}

export interface HolderRefreshStats {
  /** Processes whose fd table was read this refresh. */
  scannedPids: number;
  /** Their fds (from the fd counts). */
  scannedFds: number;
  /** A rotation over every process completed during this refresh. */
  rotated: boolean;
}

const NONE: Holder[] = [];

export class HolderTracker {
  private byInode = new Map<number, Holder[]>();
  private refsByPid = new Map<number, Ref[]>();
  private fdCount = new Map<number, number>();
  private info = new Map<number, ProcessInfo>();
  private unreadableSet = new Set<number>();
  /** Uids of each unreadable process (null: could not be read), read once per process. */
  private unreadableUidsOf = new Map<number, Set<number> | null>();
  private exitedRecently: number[] = [];
  private rotation: number[] = [];
  private cursor = 0;
  /** Refreshes since the current round of the rotation began, and the fds it has read. */
  private roundRefreshes = 0;
  private roundFds = 0;
  private known = false;
  /** Inodes whose holder list changed in the latest refresh. */
  readonly touched = new Set<number>();

  constructor(private readonly opts: HolderTrackerOptions) {}

  /** Every holder of this inode, one array object for as long as the holders stay the same. */
  holdersOf(inode: number): Holder[] | undefined {
    return this.byInode.get(inode);
  }

  /** Start time (clock ticks since boot) of the process as it was when its holders were read. */
  startTicksOf(pid: number): number | undefined {
    return this.info.get(pid)?.startTicks;
  }

  /** Pids whose fd table we may not read. */
  get unreadable(): number[] {
    return [...this.unreadableSet];
  }

  /**
   * Every uid of the processes we may not read; undefined when one of them
   * could not be read (then any socket could be theirs). See unheldReason.
   */
  get unreadableUids(): Set<number> | undefined {
    const out = new Set<number>();
    for (const pid of this.unreadableSet) {
      let u = this.unreadableUidsOf.get(pid);
      if (u === undefined) {
        u = readProcessUids(this.opts.procRoot, [pid]) ?? null;
        this.unreadableUidsOf.set(pid, u);
      }
      if (u === null) return undefined;
      for (const x of u) out.add(x);
    }
    return out;
  }

  /** Pids that exited while we scanned them, in the latest refresh. */
  get exited(): number[] {
    return this.exitedRecently;
  }

  /**
   * Bring holders up to date. `gone` lists inodes that left the socket table
   * since the last refresh: their holders are rescanned (see the file comment).
   */
  refresh(gone: Iterable<number> = []): HolderRefreshStats {
    const root = this.opts.procRoot;
    this.touched.clear();
    const pids = listPids(root);
    const alive = new Set(pids);
    for (const pid of [...this.fdCount.keys()]) {
      if (alive.has(pid)) continue;
      this.fdCount.delete(pid);
      this.info.delete(pid);
      this.unreadableSet.delete(pid);
      this.unreadableUidsOf.delete(pid);
      this.replace(pid, []);
    }
    const toScan = new Set<number>();
    let total = 0;
    for (const pid of pids) {
      let size = 0;
      try {
        size = statSync(`${root}/${pid}/fd`).size;
      } catch {
        // Gone, or not ours to look at: the scan below says which.
      }
      const prev = this.fdCount.get(pid);
      this.fdCount.set(pid, size);
      total += size;
      if (prev === undefined) toScan.add(pid);
      else if (prev !== size && !this.unreadableSet.has(pid)) toScan.add(pid);
    }
    for (const inode of gone) {
      for (const h of this.byInode.get(inode) ?? NONE) toScan.add(h.pid);
    }
    // The rotation: every process read again once per `fullEverySeconds`, at
    // the pace of the fds due so far in this round (at least 2000 a refresh).
    // A process is read whole, so a big one runs ahead of the pace and the
    // next refreshes read nothing until the pace catches up: a round reads
    // the machine's fds once, where a fixed share per refresh, overshot by
    // every big process, read them about twice (100k fds in 10 processes:
    // 10k a refresh instead of 5k). The round ends on time all the same: at
    // its last refresh every fd is due.
    let rotated = false;
    if (this.known) {
      if (this.cursor >= this.rotation.length) {
        this.rotation = pids.slice();
        this.cursor = 0;
        this.roundRefreshes = 0;
        this.roundFds = 0;
      }
      const perRound = Math.max(1, Math.floor(this.opts.fullEverySeconds / this.opts.intervalSeconds));
      this.roundRefreshes++;
      const due = Math.max(2000 * this.roundRefreshes, Math.ceil(total * this.roundRefreshes / perRound));
      while (this.roundFds < due && this.cursor < this.rotation.length) {
        const pid = this.rotation[this.cursor++]!;
        if (!alive.has(pid)) continue;
        toScan.add(pid);
        this.roundFds += this.fdCount.get(pid) || 1;
      }
      rotated = this.rotation.length > 0 && this.cursor >= this.rotation.length;
    }
    this.known = true;
    let scannedFds = 0;
    for (const pid of toScan) scannedFds += this.fdCount.get(pid) ?? 0;
    this.scan([...toScan]);
    return { scannedPids: toScan.size, scannedFds, rotated };
  }

  private scan(pids: number[]): void {
    this.exitedRecently = [];
    if (pids.length === 0) return;
    const res = scanByPid(this.opts.procRoot, pids);
    const found = res.found;
    const unreadable = new Set(res.unreadable);
    const exited = new Set(res.exited);
    this.exitedRecently = [...exited];
    const procs = new ProcessTable(this.opts.procRoot, this.opts.passwdPath);
    for (const pid of pids) {
      if (unreadable.has(pid)) {
        // What it held before can no longer be confirmed (a setuid exec, or a zombie, whose
        // fds are gone): its sockets become unheld with a true reason instead of keeping it.
        this.unreadableSet.add(pid);
        this.replace(pid, []);
        continue;
      }
      this.unreadableSet.delete(pid);
      this.unreadableUidsOf.delete(pid);
      if (exited.has(pid)) {
        this.replace(pid, []);
        continue;
      }
      const refs = found.get(pid) ?? [];
      refs.sort((a, b) => a.fd - b.fd);
      // A pid reused by a new process: same number, another start time.
      let known = this.info.get(pid);
      let reused = false;
      if (known && refs.length) {
        const start = readStart(this.opts.procRoot, pid);
        if (start !== undefined && start !== known.startTicks) {
          reused = true;
          known = undefined;
        }
      }
      let renamed = false;
      if (known && !reused && refs.length && this.refsChanged(pid, refs)) {
        // Its sockets changed: read its name and command line again (a program can rename
        // itself after it started, prctl PR_SET_NAME or a rewritten argv, often just before
        // it opens its listener; the first look may have seen only its stdio socketpairs).
        const fresh = procs.get(pid);
        if (fresh.name !== known.name || fresh.command !== known.command || fresh.user !== known.user) {
          this.info.set(pid, { ...fresh, startTicks: fresh.startTicks ?? known.startTicks });
          renamed = true;
        }
      }
      if (!known && refs.length) this.info.set(pid, procs.get(pid));
      this.replace(pid, refs, reused || renamed);
    }
  }

  /** Whether `refs` differ from the sockets `pid` was last seen with. */
  private refsChanged(pid: number, refs: readonly Ref[]): boolean {
    const old = this.refsByPid.get(pid) ?? [];
    return old.length !== refs.length || old.some((r, i) => r.inode !== refs[i]!.inode || r.fd !== refs[i]!.fd);
  }

  /** Make `refs` the sockets of `pid`, rebuilding the holder lists of every inode it touched. */
  private replace(pid: number, refs: Ref[], force = false): void {
    const old = this.refsByPid.get(pid) ?? [];
    if (!force && !this.refsChanged(pid, refs)) return;
    if (refs.length) this.refsByPid.set(pid, refs);
    else this.refsByPid.delete(pid);
    const touched = new Set<number>();
    for (const r of old) touched.add(r.inode);
    const mine = new Map<number, Holder[]>();
    const p = this.info.get(pid) ?? {};
    for (const r of refs) {
      touched.add(r.inode);
      const h: Holder = holderOf(pid, r.fd, p);
      const l = mine.get(r.inode);
      if (l) l.push(h);
      else mine.set(r.inode, [h]);
    }
    for (const inode of touched) {
      this.touched.add(inode);
      const others = (this.byInode.get(inode) ?? NONE).filter((h) => h.pid !== pid);
      const list = others.concat(mine.get(inode) ?? NONE);
      list.sort((a, b) => a.pid - b.pid || (a.fd ?? 0) - (b.fd ?? 0));
      if (list.length) this.byInode.set(inode, list);
      else this.byInode.delete(inode);
    }
  }
}

/**
 * The sockets of each pid, by pid. From the native scan's (inode, pid, fd)
 * triples straight (a rotation rereads a 15k-fd process: no index by inode
 * to build and take apart again); else from the JavaScript scan's index.
 */
function scanByPid(procRoot: string, pids: number[]): { found: Map<number, Ref[]>; unreadable: Iterable<number>; exited: Iterable<number> } {
  const found = new Map<number, Ref[]>();
  const n = nativeScan();
  if (n) {
    const r = n.scan(procRoot, Int32Array.from(pids), THREADS);
    const f = r.found;
    let last = -1;
    let list: Ref[] = [];
    for (let i = 0; i + 2 < f.length; i += 3) {
      const pid = f[i + 1]!;
      if (pid !== last) {
        let l = found.get(pid);
        if (!l) found.set(pid, l = []);
        list = l;
        last = pid;
      }
      list.push({ inode: f[i]!, fd: f[i + 2]! });
    }
    return { found, unreadable: r.unreadable, exited: r.exited };
  }
  const res = scanHolders(procRoot, { pids });
  for (const [inode, refs] of res.byInode) {
    for (const r of refs) {
      const list = found.get(r.pid);
      if (list) list.push({ inode, fd: r.fd });
      else found.set(r.pid, [{ inode, fd: r.fd }]);
    }
  }
  return { found, unreadable: res.unreadable, exited: res.exited };
}

function readStart(procRoot: string, pid: number): number | undefined {
  try {
    return parseStatStart(readBounded(`${procRoot}/${pid}/stat`, CAPS.status).bytes.toString('latin1'));
  } catch {
    return undefined;
  }
}

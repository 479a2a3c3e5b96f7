// Every Unix domain socket with the processes and fds that hold it: the table
// from netlink (sockdiag/unix.ts), the holders from the same /proc fd scan as
// TCP and UDP (a Unix socket's fd links to socket:[inode] as theirs do).
import type { CollectorContext } from './collector.js';
import type { ScanIssue } from '../model/snapshot.js';
import type { Holder } from '../model/socket.js';
import type { UnixSocket } from '../model/unix.js';
import { unheldBy, type UnheldScan } from './linux.js';
import { readProcessUids, scanHolders, type FdRef, type HolderScan } from './procfs/holders.js';
import { ProcessTable } from './procfs/process-info.js';
import { decodeUnixChunk, encodeUnixRequest, readUnixSockets } from './sockdiag/unix.js';
import { discoverNetns } from './netns/discover.js';
import { NetnsChannel } from './netns/table.js';
import { parseProcNetUnix } from './procfs/unix-table.js';
import { readBounded } from './bounded-read.js';
import { decodeProcBytes } from './proc-text.js';

/** Most of /proc/net/unix read (a line is under ~150 bytes plus its path: a million sockets fit). */
const PROC_UNIX_CAP = 256 * 1024 * 1024;

export interface UnixSnapshot {
  takenAt: number;
  /**
   * netlink (UNIX_DIAG: peers, queues, uid) or proc (/proc/net/unix: none of
   * those; used when UNIX_DIAG is unavailable, with --source proc, and for a recorded tree).
   */
  source: 'netlink' | 'proc';
  /** The sockets asked for (with `pids`: those these processes hold). */
  sockets: UnixSocket[];
  /** With `pids`: the other ends of their connections too, with their holders (for "who is on the other side"). */
  peers: UnixSocket[];
  privileged: boolean;
  /** Processes whose fds could not be read (their sockets say permission-denied). */
  unreadableProcesses: number;
  issues: ScanIssue[];
}

/** The Unix socket table from /proc/net/unix (of `procRoot`). */
function readProcUnix(procRoot: string, issues: ScanIssue[]): UnixSocket[] {
  const path = `${procRoot}/net/unix`;
  let r;
  try {
    r = readBounded(path, PROC_UNIX_CAP);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const parsed = parseProcNetUnix(decodeProcBytes(r.bytes));
  if (r.truncated) issues.push({ kind: 'truncated', subject: path, detail: 'rows after the cap were not read' });
  if (parsed.malformed) issues.push({ kind: 'parse-error', subject: path, detail: `${parsed.malformed} malformed lines, first: ${parsed.firstMalformed}` });
  return parsed.sockets;
}

export interface UnixTable {
  source: UnixSnapshot['source'];
  sockets: UnixSocket[];
  issues: ScanIssue[];
}

/** The Unix socket table alone (no holders): netlink on the live system, else /proc/net/unix. */
export async function readUnixTable(ctx: CollectorContext, opts: { source?: 'auto' | 'netlink' | 'proc'; listening?: boolean } = {}): Promise<UnixTable> {
  const issues: ScanIssue[] = [];
  const source = opts.source ?? 'auto';
  let table: { sockets: UnixSocket[] } | undefined;
  if (source === 'netlink' || (source === 'auto' && ctx.procRoot === '/proc')) {
    let why: string;
    try {
      const t = await readUnixSockets();
      if (t.malformed) issues.push({ kind: 'parse-error', subject: 'netlink unix', detail: `${t.malformed} malformed messages` });
      if (t.errno === undefined) table = t;
      why = `errno ${t.errno === undefined ? 0 : -t.errno}`;
    } catch (e) {
      why = (e as Error).message;
    }
    if (!table) {
      if (source === 'netlink') throw new Error(`the kernel refused the Unix socket dump (${why}; is unix_diag available?)`);
      issues.push({ kind: 'source-fallback', subject: 'netlink unix', detail: why });
    }
  }
  const from: UnixSnapshot['source'] = table ? 'netlink' : 'proc';
  table ??= { sockets: readProcUnix(ctx.procRoot, issues) };
  if (opts.listening) table.sockets = table.sockets.filter((s) => s.state === 'LISTEN');
  return { source: from, sockets: table.sockets, issues };
}

/**
 * The Unix sockets of the namespaces these processes are in, other than ours
 * (through the native addon's netns socket; without it, or without the right
 * to enter, an issue says which namespace was not read).
 */
function readOtherNamespaces(procRoot: string, pids: readonly number[], issues: ScanIssue[]): UnixSocket[] {
  const out: UnixSocket[] = [];
  const disc = discoverNetns(procRoot, { pids, dirs: [] });
  if (disc.own === undefined) return out;
  for (const ns of disc.namespaces) {
    if (ns.inode === disc.own || ns.pids.length === 0) continue;
    try {
      const channel = NetnsChannel.open(ns, procRoot);
      try {
        const seq = 0x7a000000 + (ns.inode & 0xffffff);
        const r = decodeUnixChunk(channel.dump(encodeUnixRequest(seq)).bytes, seq, out);
        if (r.malformed) issues.push({ kind: 'parse-error', subject: `netlink netns ${ns.inode} unix`, detail: `${r.malformed} malformed messages` });
        if (r.errno !== undefined) issues.push({ kind: 'source-error', subject: `netlink netns ${ns.inode} unix`, detail: `errno ${-r.errno}` });
      } finally {
        channel.close();
      }
    } catch (e) {
      issues.push({ kind: 'source-error', subject: `netlink netns ${ns.inode} unix`, detail: (e as Error).message });
    }
  }
  return out;
}

/**
 * Read every Unix socket of this network namespace (with `pids`, of theirs too); with `pids`, only those
 * held by these processes; with `listening`, only listeners. The table comes
 * over netlink (UNIX_DIAG) on the live system, else from /proc/net/unix.
 * `table` and `scan` let a caller that already read them (the overview: the
 * table first, its inodes looked up by the TCP/UDP fd scan) skip reading them again.
 */
export async function collectUnix(ctx: CollectorContext, opts: {
  pids?: readonly number[]; source?: 'auto' | 'netlink' | 'proc'; listening?: boolean;
  table?: UnixTable; scan?: HolderScan;
} = {}): Promise<UnixSnapshot> {
  const takenAt = ctx.now();
  const read = opts.table ?? await readUnixTable(ctx, opts);
  const issues: ScanIssue[] = [...read.issues];
  const from = read.source;
  // Unix sockets belong to a network namespace too: those of the processes asked
  // for that live in another one are read from inside it (as their TCP and UDP).
  let table: { sockets: UnixSocket[] } = read;
  if (opts.pids && ctx.procRoot === '/proc') {
    const other = readOtherNamespaces(ctx.procRoot, opts.pids, issues);
    if (other.length) table = { sockets: [...read.sockets, ...(opts.listening ? other.filter((s) => s.state === 'LISTEN') : other)] };
  }
  let wanted = new Set(table.sockets.map((s) => s.inode));
  let scan: HolderScan;
  if (opts.scan && !opts.pids) {
    // The caller's scan recorded these inodes (or every socket inode): its issues are the caller's to say.
    scan = { ...opts.scan, issues: [] };
  } else if (opts.pids) {
    // What those processes hold, then every holder of it (a socket can be shared).
    const own = scanHolders(ctx.procRoot, { wanted, pids: opts.pids });
    issues.push(...own.issues);
    wanted = new Set(own.byInode.keys());
    // The other end of each of their connections: its holders say who they talk to.
    for (const s of table.sockets) if (own.byInode.has(s.inode) && s.peer !== undefined) wanted.add(s.peer);
    scan = wanted.size ? scanHolders(ctx.procRoot, { wanted }) : own;
    scan.unreadable = own.unreadable;
  } else {
    scan = scanHolders(ctx.procRoot, { wanted });
  }
  issues.push(...scan.issues);
  let unheld: UnheldScan | undefined;
  const unheldScan = (): UnheldScan => unheld ??= {
    unreadable: scan.unreadable, exited: scan.exited, euid: ctx.euid,
    unreadableUids: scan.unreadable.length ? readProcessUids(ctx.procRoot, [...new Set(scan.unreadable)]) : new Set(),
  };
  const procs = new ProcessTable(ctx.procRoot, ctx.passwdPath);
  const holderOf = (ref: FdRef): Holder => procs.holder(ref.pid, ref.fd);
  const sockets: UnixSocket[] = [];
  const peers: UnixSocket[] = [];
  for (const s of table.sockets) {
    const refs = scan.byInode.get(s.inode);
    const mine = !opts.pids || refs?.some((r) => opts.pids!.includes(r.pid));
    if (!mine && !(opts.pids && wanted.has(s.inode))) continue;
    if (refs) s.holders = refs.map(holderOf);
    else { s.holders = []; s.unheldReason = unheldBy(s.uid, unheldScan()); }
    (mine ? sockets : peers).push(s);
  }
  issues.push(...procs.issues);
  return { takenAt, source: from, sockets, peers, privileged: ctx.euid === 0, unreadableProcesses: new Set(scan.unreadable).size, issues };
}

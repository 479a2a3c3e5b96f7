// Every Unix domain socket with the processes and fds that hold it: the table
// from netlink (sockdiag/unix.ts), the holders from the same /proc fd scan as
// TCP and UDP (a Unix socket's fd links to socket:[inode] as theirs do).
import type { CollectorContext } from './collector.js';
import type { ScanIssue } from '../model/snapshot.js';
import type { Holder } from '../model/socket.js';
import type { UnixSocket } from '../model/unix.js';
import { unheldBy, type UnheldScan } from './linux.js';
import { readProcessUids, scanHolders, type FdRef } from './procfs/holders.js';
import { ProcessTable } from './procfs/process-info.js';
import { decodeUnixChunk, encodeUnixRequest, readUnixSockets } from './sockdiag/unix.js';
import { discoverNetns } from './netns/discover.js';
import { NetnsChannel } from './netns/table.js';

export interface UnixSnapshot {
  takenAt: number;
  /** The sockets asked for (with `pids`: those these processes hold). */
  sockets: UnixSocket[];
  /** With `pids`: the other ends of their connections too, with their holders (for "who is on the other side"). */
  peers: UnixSocket[];
  privileged: boolean;
  /** Processes whose fds could not be read (their sockets say permission-denied). */
  unreadableProcesses: number;
  issues: ScanIssue[];
}

/**
 * The Unix sockets of the namespaces these processes are in, other than ours,
 * appended to `out` (through the native addon's netns socket; without it, or
 * without the right to enter, an issue says which namespace was not read).
 * Returns the count of malformed messages.
 */
function readOtherNamespaces(procRoot: string, pids: readonly number[], out: UnixSocket[], issues: ScanIssue[]): number {
  const disc = discoverNetns(procRoot, { pids, dirs: [] });
  if (disc.own === undefined) return 0;
  let malformed = 0;
  for (const ns of disc.namespaces) {
    if (ns.inode === disc.own || ns.pids.length === 0) continue;
    try {
      const channel = NetnsChannel.open(ns, procRoot);
      try {
        const seq = 0x7a000000 + (ns.inode & 0xffffff);
        const r = decodeUnixChunk(channel.dump(encodeUnixRequest(seq)).bytes, seq, out);
        malformed += r.malformed;
        if (r.errno !== undefined) issues.push({ kind: 'source-error', subject: `netlink netns ${ns.inode} unix`, detail: `errno ${-r.errno}` });
      } finally {
        channel.close();
      }
    } catch (e) {
      issues.push({ kind: 'source-error', subject: `netlink netns ${ns.inode} unix`, detail: (e as Error).message });
    }
  }
  return malformed;
}

/** Read every Unix socket of this network namespace; with `pids`, only those held by these processes (in whatever namespace they are). */
export async function collectUnix(ctx: CollectorContext, opts: { pids?: readonly number[] } = {}): Promise<UnixSnapshot> {
  const takenAt = ctx.now();
  const table = await readUnixSockets();
  const issues: ScanIssue[] = [];
  if (table.errno !== undefined) throw new Error(`the kernel refused the Unix socket dump (errno ${-table.errno}; is unix_diag available?)`);
  // Unix sockets belong to a network namespace too: those of the processes asked
  // for that live in another one are read from inside it (as their TCP and UDP).
  if (opts.pids) table.malformed += readOtherNamespaces(ctx.procRoot, opts.pids, table.sockets, issues);
  if (table.malformed) issues.push({ kind: 'parse-error', subject: 'netlink unix', detail: `${table.malformed} malformed messages` });
  let wanted = new Set(table.sockets.map((s) => s.inode));
  let scan;
  if (opts.pids) {
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
  return { takenAt, sockets, peers, privileged: ctx.euid === 0, unreadableProcesses: new Set(scan.unreadable).size, issues };
}

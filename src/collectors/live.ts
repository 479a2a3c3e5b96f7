// The collector behind `watch`: the same Snapshot as LinuxCollector, taken
// again every tick at a fraction of the cost. The socket table comes over one
// long-lived netlink channel and unchanged records are reused (live-table.ts);
// holders are kept up to date incrementally (live-holders.ts). A socket that
// did not change is the very same object in consecutive snapshots, which lets
// the diff and the views skip it by identity.
import type { CollectorContext } from './collector.js';
import { listenersByPort, readProcTables, unheldReason, type UnheldScan } from './linux.js';
import { LiveSockDiag, type TrafficCounters } from './sockdiag/live-table.js';
import { HolderTracker, type HolderRefreshStats } from './procfs/live-holders.js';
import type { Family, Holder, Protocol, RawSocket, Socket, SocketState } from '../model/socket.js';
import { kernelStateMask } from '../model/socket.js';
import type { ScanIssue, Snapshot, SourceName } from '../model/snapshot.js';

export interface LiveCollectorOptions {
  source?: SourceName | 'auto';
  protocols?: readonly Protocol[];
  families?: readonly Family[];
  /** Seconds between ticks (sets the pace of the holder rotation). */
  intervalSeconds: number;
  /** Every process's fds are reread at least this often (seconds). */
  fullEverySeconds?: number;
}

export interface TickQuery {
  /** States to ask the kernel for (listeners always come too); all when absent. */
  states?: readonly SocketState[];
  ports?: readonly number[];
  /** Read the traffic counters too (watch's rates; netlink only): see TrafficCounters in sockdiag/live-table.ts. */
  counters?: boolean;
}

/** What a tick cost. */
export interface TickStats {
  wallMs: number;
  /** CPU time of the whole process (user + system, every thread) during the tick. */
  cpuMs: number;
  /** Records decoded afresh; the others were reused. */
  decoded: number;
  holders: HolderRefreshStats;
}

const ALL_PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];
const ALL_FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];
const NONE: Holder[] = [];

export class LiveCollector {
  private table: LiveSockDiag | undefined;
  private readonly tracker: HolderTracker;
  private prevInodes = new Set<number>();
  private netlinkFailed: string | undefined;
  private unheldContext = '';

  constructor(private readonly ctx: CollectorContext, private readonly opts: LiveCollectorOptions) {
    this.tracker = new HolderTracker({
      procRoot: ctx.procRoot, passwdPath: ctx.passwdPath,
      intervalSeconds: opts.intervalSeconds, fullEverySeconds: opts.fullEverySeconds ?? 15,
    });
  }

  /** Start time of a holder process as seen when its fds were read (to tell a reused pid). */
  startTicksOf(pid: number): number | undefined {
    return this.tracker.startTicksOf(pid);
  }

  /** The kernel's cookie of a socket seen in the latest tick (netlink only). */
  cookieOf(inode: number): [number, number] | undefined {
    return this.table?.cookieOf(inode);
  }

  /** The kernel's cookie of a socket of the latest tick, with or without an inode (netlink only). */
  cookieOfSocket(s: RawSocket): [number, number] | undefined {
    return this.table?.cookieOfSocket(s);
  }

  close(): void {
    this.table?.close();
  }

  async tick(q: TickQuery = {}): Promise<{ snapshot: Snapshot; stats: TickStats; counters?: TrafficCounters }> {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const takenAt = this.ctx.now();
    const protocols = this.opts.protocols ?? ALL_PROTOCOLS;
    const families = this.opts.families ?? ALL_FAMILIES;
    const issues: ScanIssue[] = [];
    let raw: RawSocket[];
    let source: SourceName = 'netlink';
    let decoded = 0;
    const wantNetlink = this.netlinkFailed === undefined && (this.opts.source === 'netlink' ||
      ((this.opts.source ?? 'auto') === 'auto' && this.ctx.procRoot === '/proc'));
    let viaNetlink: Awaited<ReturnType<LiveSockDiag['read']>> | undefined;
    if (wantNetlink) {
      try {
        this.table ??= new LiveSockDiag();
        viaNetlink = await this.table.read({
          protocols, families, ports: q.ports,
          states: q.states ? kernelStateMask([...q.states, 'LISTEN']) : undefined, counters: q.counters,
        });
      } catch (e) {
        if (this.opts.source === 'netlink') throw new Error(`netlink sock_diag is not usable here: ${(e as Error).message}`, { cause: e });
        this.netlinkFailed = (e as Error).message;
        this.table?.close();
        this.table = undefined;
      }
    }
    // Records at index >= reusable were read afresh from /proc/net this tick;
    // below it, from the live table, which hands back last tick's objects.
    let reusable = 0;
    if (viaNetlink) {
      raw = viaNetlink.sockets;
      reusable = raw.length;
      decoded = viaNetlink.decoded;
      issues.push(...viaNetlink.issues);
      if (viaNetlink.refused.length) {
        const extra = readProcTables(this.ctx.procRoot, protocols, families, viaNetlink.refused);
        raw.push(...extra.sockets);
        issues.push(...extra.issues);
      }
    } else {
      source = 'proc';
      if (this.netlinkFailed) issues.push({ kind: 'source-fallback', subject: 'netlink', detail: this.netlinkFailed });
      const t = readProcTables(this.ctx.procRoot, protocols, families);
      raw = t.sockets;
      decoded = raw.length;
      issues.push(...t.issues);
    }

    // Inodes that left the table: whoever held them may hold new ones now.
    let gone: number[];
    if (viaNetlink && !viaNetlink.refused.length) {
      gone = viaNetlink.gone;
    } else {
      const inodes = new Set<number>();
      for (const r of raw) if (r.inode !== 0) inodes.add(r.inode);
      gone = [];
      for (const i of this.prevInodes) if (!inodes.has(i)) gone.push(i);
      this.prevInodes = inodes;
    }
    const holderStats = this.tracker.refresh(gone);
    const unreadable = this.tracker.unreadable;
    const scan: UnheldScan = {
      unreadable, exited: this.tracker.exited, euid: this.ctx.euid,
      unreadableUids: unreadable.length ? this.tracker.unreadableUids : undefined,
    };

    const listeners = listenersByPort(raw);
    const sockets: Socket[] = new Array(raw.length);
    const touched = this.tracker.touched;
    // Whether an unheld socket's reason can have changed since the last tick.
    const context = `${scan.unreadable.length}/${scan.exited.length}/${listeners.size}/${scan.unreadableUids ? [...scan.unreadableUids].join(',') : '*'}`;
    const sameContext = context === this.unheldContext;
    this.unheldContext = context;
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i] as Socket;
      // Decoded this tick: no earlier snapshot holds it. (A /proc/net record is
      // always new; it carries the parser's own empty holder list, not FRESH.)
      const fresh = i >= reusable || r.holders === LiveSockDiag.FRESH || r.holders === undefined;
      // The common case: last tick's object, its holders untouched by this refresh.
      if (!fresh && !touched.has(r.inode) && (r.holders.length > 0 || (sameContext && r.inode !== 0))) {
        sockets[i] = r;
        continue;
      }
      const held = r.inode !== 0 ? this.tracker.holdersOf(r.inode) : undefined;
      const holders = held ?? NONE;
      const reason = held ? undefined : unheldReason(r, listeners, scan);
      if (fresh) {
        // No earlier snapshot holds it, so it may be filled in place.
        r.holders = holders;
        r.unheldReason = reason;
        sockets[i] = r;
      } else if (r.holders === holders && r.unheldReason === reason) {
        sockets[i] = r;
      } else {
        const copy: Socket = { ...r, holders, unheldReason: reason };
        this.table?.replace(r, copy);
        sockets[i] = copy;
      }
    }
    const snapshot: Snapshot = {
      takenAt, source, backlogKnown: source === 'netlink', privileged: this.ctx.euid === 0,
      sockets, unreadableProcesses: scan.unreadable.length, issues,
    };
    const c = process.cpuUsage(c0);
    // Counters are index for index with `sockets` (which keeps raw's order).
    return { snapshot, stats: { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, decoded, holders: holderStats }, counters: viaNetlink?.counters };
  }
}

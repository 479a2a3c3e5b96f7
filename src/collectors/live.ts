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
import type { ContainerRef, Family, Holder, NetnsRef, Protocol, RawSocket, Socket, SocketState, UnheldReason } from '../model/socket.js';
import { kernelStateMask } from '../model/socket.js';
import type { NetnsInfo, ScanIssue, Snapshot, SourceName } from '../model/snapshot.js';
import { discoverNetns, inInitialPidNamespace, type FoundNetns } from './netns/discover.js';
import { selectNetns } from './netns/select.js';
import { NetnsChannel, readNetnsTable } from './netns/table.js';
import { OwnerResolver } from './netns/cgroup.js';
import { containerOf } from './linux.js';

export interface LiveCollectorOptions {
  source?: SourceName | 'auto';
  protocols?: readonly Protocol[];
  families?: readonly Family[];
  /** Seconds between ticks (sets the pace of the holder rotation). */
  intervalSeconds: number;
  /** Every process's fds are reread at least this often (seconds). */
  fullEverySeconds?: number;
  /** Which network namespaces to read (as CollectOptions.netns); all by default, followed as they come and go. */
  netns?: readonly string[];
}

/** Another namespace followed from tick to tick: its own live table, or none (read from /proc each tick). */
interface OtherNs {
  ref: NetnsRef;
  /** Reads through a sock_diag socket inside the namespace, reusing unchanged records. */
  table?: LiveSockDiag;
  /** Why sock_diag could not be used there (the /proc tables of one of its processes are read instead). */
  noNetlink?: string;
  /** Its container, looked up once when it first has processes (null: none, or several). */
  container?: ContainerRef | null;
}

/** One namespace's records of this tick. */
interface Segment {
  raw: RawSocket[];
  /** The live table the records came from (its objects may be last tick's); none for /proc records. */
  table?: LiveSockDiag;
  ref?: NetnsRef;
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
  /** Other namespaces being followed, by inode. */
  private others = new Map<number, OtherNs>();
  /** One NetnsRef per namespace for the collector's life (sockets reused across ticks keep theirs). */
  private refs = new Map<number, NetnsRef>();
  private seesAll: boolean | undefined;

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
    for (const o of this.others.values()) o.table?.close();
    this.others.clear();
  }

  private refOf(ns: FoundNetns): NetnsRef {
    let ref = this.refs.get(ns.inode);
    if (!ref) {
      ref = { inode: ns.inode };
      if (ns.host) ref.host = true;
      this.refs.set(ns.inode, ref);
    }
    // A name can come later (ip netns attach, a runtime's mount made after its process started).
    if (ns.name !== undefined && ref.name === undefined) ref.name = ns.name;
    return ref;
  }

  async tick(q: TickQuery = {}): Promise<{ snapshot: Snapshot; stats: TickStats; counters?: TrafficCounters }> {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const takenAt = this.ctx.now();
    const protocols = this.opts.protocols ?? ALL_PROTOCOLS;
    const families = this.opts.families ?? ALL_FAMILIES;
    const issues: ScanIssue[] = [];
    let source: SourceName = 'netlink';
    let decoded = 0;
    const states = q.states ? kernelStateMask([...q.states, 'LISTEN']) : undefined;

    // The namespaces of this tick (one readlink per process): they come and go
    // between ticks. Without a readable link of our own, our table alone, as before.
    const disc = discoverNetns(this.ctx.procRoot);
    const ownNs = disc.own !== undefined ? disc.namespaces.find((n) => n.inode === disc.own) : undefined;
    const chosen = ownNs ? selectNetns(disc, this.opts.netns).chosen : [];
    const readOwn = !ownNs || chosen.includes(ownNs);
    const segments: Segment[] = [];
    const namespaces: NetnsInfo[] = [];
    const gone: number[] = [];
    // Traffic counters come with our own namespace's table, index for index with its
    // records, which come first in the snapshot (other namespaces' tables have none).
    let counters: TrafficCounters | undefined;

    if (readOwn) {
      const wantNetlink = this.netlinkFailed === undefined && (this.opts.source === 'netlink' ||
        ((this.opts.source ?? 'auto') === 'auto' && this.ctx.procRoot === '/proc'));
      let viaNetlink: Awaited<ReturnType<LiveSockDiag['read']>> | undefined;
      if (wantNetlink) {
        try {
          this.table ??= new LiveSockDiag();
          viaNetlink = await this.table.read({ protocols, families, ports: q.ports, states, counters: q.counters });
        } catch (e) {
          if (this.opts.source === 'netlink') throw new Error(`netlink sock_diag is not usable here: ${(e as Error).message}`, { cause: e });
          this.netlinkFailed = (e as Error).message;
          this.table?.close();
          this.table = undefined;
        }
      }
      const ref = ownNs ? this.refOf(ownNs) : undefined;
      if (viaNetlink) {
        counters = viaNetlink.counters;
        segments.push({ raw: viaNetlink.sockets, table: this.table, ref });
        decoded += viaNetlink.decoded;
        issues.push(...viaNetlink.issues);
        if (viaNetlink.refused.length) {
          const extra = readProcTables(this.ctx.procRoot, protocols, families, viaNetlink.refused);
          segments.push({ raw: extra.sockets, ref });
          decoded += extra.sockets.length;
          issues.push(...extra.issues);
        }
        for (const i of viaNetlink.gone) gone.push(i);
      } else {
        source = 'proc';
        if (this.netlinkFailed) issues.push({ kind: 'source-fallback', subject: 'netlink', detail: this.netlinkFailed });
        const t = readProcTables(this.ctx.procRoot, protocols, families);
        segments.push({ raw: t.sockets, ref });
        decoded += t.sockets.length;
        issues.push(...t.issues);
      }
      if (ownNs) namespaces.push(netnsInfoOf(ownNs, source));
    }

    // Every other namespace through its own live table; a namespace gone since the last tick is closed.
    let allNetlink = readOwn ? source === 'netlink' : true;
    const present = new Set<number>();
    for (const ns of chosen) {
      if (ns === ownNs) continue;
      present.add(ns.inode);
      let o = this.others.get(ns.inode);
      if (!o) this.others.set(ns.inode, o = { ref: this.refOf(ns) });
      else this.refOf(ns);
      // A fresh resolver each time: a new namespace is rare, and nothing is cached per pid for the collector's life.
      if (o.container === undefined && ns.pids.length) o.container = containerOf(ns, new OwnerResolver(this.ctx.procRoot)) ?? null;
      const withContainer = (info: NetnsInfo): NetnsInfo => {
        if (o!.container) info.container = o!.container;
        return info;
      };
      let read: Awaited<ReturnType<LiveSockDiag['read']>> | undefined;
      if (o.noNetlink === undefined && this.opts.source !== 'proc' && this.ctx.procRoot === '/proc') {
        try {
          // Entered once, through a bind mount or one of its processes (checked by inode).
          o.table ??= new LiveSockDiag(() => NetnsChannel.open(ns, this.ctx.procRoot));
          read = await o.table.read({ protocols, families, ports: q.ports, states });
        } catch (e) {
          o.table?.close();
          o.table = undefined;
          // Not tried again while the namespace lives: the reason (no addon, EPERM) does not pass.
          o.noNetlink = (e as Error).message;
        }
      }
      if (read) {
        segments.push({ raw: read.sockets, table: o.table, ref: o.ref });
        decoded += read.decoded;
        issues.push(...read.issues);
        for (const i of read.gone) gone.push(i);
        namespaces.push(withContainer(netnsInfoOf(ns, 'netlink')));
        continue;
      }
      allNetlink = false;
      const t = readNetnsTable(ns, { procRoot: this.ctx.procRoot, protocols, families, states, ports: q.ports, source: 'proc' }, readProcTables);
      segments.push({ raw: t.sockets, ref: o.ref });
      decoded += t.sockets.length;
      issues.push(...t.issues);
      namespaces.push(withContainer(netnsInfoOf(ns, t.source, t.error)));
    }
    for (const [inode, o] of this.others) {
      if (present.has(inode)) continue;
      o.table?.close();
      this.others.delete(inode);
      this.refs.delete(inode);
    }

    // Inodes that left the tables: whoever held them may hold new ones now. Live
    // tables say which of theirs went; records read from /proc are compared with
    // the last tick's (only those: a set of every inode per tick would cost the
    // 100k-socket tick for nothing). A namespace that went away whole took its
    // sockets with it (a socket keeps its namespace alive), and the fd counts
    // of their holders changed: the tracker sees those.
    const procInodes = new Set<number>();
    for (const seg of segments) if (!seg.table) for (const r of seg.raw) if (r.inode !== 0) procInodes.add(r.inode);
    for (const i of this.prevInodes) if (!procInodes.has(i)) gone.push(i);
    this.prevInodes = procInodes;
    const holderStats = this.tracker.refresh(gone);
    const unreadable = this.tracker.unreadable;
    const scan: UnheldScan = {
      unreadable, exited: this.tracker.exited, euid: this.ctx.euid,
      unreadableUids: unreadable.length ? this.tracker.unreadableUids : undefined,
    };
    this.seesAll ??= inInitialPidNamespace(this.ctx.procRoot) ?? true;

    const total = segments.reduce((n, seg) => n + seg.raw.length, 0);
    const sockets: Socket[] = new Array(total);
    const touched = this.tracker.touched;
    // Most ticks change no holder: no lookup per socket then.
    const noneTouched = touched.size === 0;
    let listenerCount = 0;
    const listenersOf = segments.map((seg) => {
      const l = listenersByPort(seg.raw);
      listenerCount += l.size;
      return l;
    });
    // Whether an unheld socket's reason can have changed since the last tick.
    const context = `${scan.unreadable.length}/${scan.exited.length}/${listenerCount}/${scan.unreadableUids ? [...scan.unreadableUids].join(',') : '*'}`;
    const sameContext = context === this.unheldContext;
    this.unheldContext = context;
    let k = 0;
    for (let si = 0; si < segments.length; si++) {
      const seg = segments[si]!;
      const listeners = listenersOf[si]!;
      const ref = seg.ref;
      for (let i = 0; i < seg.raw.length; i++) {
        const r = seg.raw[i] as Socket;
        // Decoded this tick: no earlier snapshot holds it. (A /proc/net record is
        // always new; it carries the parser's own empty holder list, not FRESH.)
        const fresh = !seg.table || r.holders === LiveSockDiag.FRESH || r.holders === undefined;
        // The common case: last tick's object, its holders untouched by this refresh.
        if (!fresh && (noneTouched || !touched.has(r.inode)) && (r.holders.length > 0 || (sameContext && r.inode !== 0))) {
          sockets[k++] = r;
          continue;
        }
        const held = r.inode !== 0 ? this.tracker.holdersOf(r.inode) : undefined;
        const holders = held ?? NONE;
        let reason: UnheldReason | undefined = held ? undefined : unheldReason(r, listeners, scan);
        // Inside a PID namespace of our own, an unheld socket's holder is a process we cannot see.
        if (reason === 'unknown' && r.inode !== 0 && !this.seesAll) reason = 'other-namespace';
        if (fresh) {
          // No earlier snapshot holds it, so it may be filled in place.
          if (ref) r.netns = ref;
          r.holders = holders;
          r.unheldReason = reason;
          sockets[k++] = r;
        } else if (r.holders === holders && r.unheldReason === reason) {
          sockets[k++] = r;
        } else {
          const copy: Socket = { ...r, holders, unheldReason: reason };
          seg.table!.replace(r, copy);
          sockets[k++] = copy;
        }
      }
    }
    const snapshot: Snapshot = {
      takenAt, source, backlogKnown: source === 'netlink' && allNetlink, privileged: this.ctx.euid === 0,
      sockets, unreadableProcesses: scan.unreadable.length, issues,
    };
    if (ownNs) snapshot.namespaces = namespaces;
    const c = process.cpuUsage(c0);
    // Counters are index for index with `sockets` (which keeps raw's order).
    return { snapshot, stats: { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, decoded, holders: holderStats }, counters };
  }
}

function netnsInfoOf(ns: FoundNetns, source: SourceName | undefined, error?: string): NetnsInfo {
  const info: NetnsInfo = { inode: ns.inode, host: ns.host, processes: ns.pids.length };
  if (ns.name !== undefined) info.name = ns.name;
  if (source !== undefined) info.source = source;
  if (error !== undefined) info.error = error;
  return info;
}

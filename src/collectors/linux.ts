// The Linux collector: socket table from netlink sock_diag (or /proc/net as a
// fallback), holders from /proc/<pid>/fd, process details from /proc/<pid>.
import type { Collector, CollectOptions, CollectorContext, ProcessInfo } from './collector.js';
import type { ContainerRef, Family, Holder, NetnsRef, Protocol, RawSocket, Socket, UnheldReason } from '../model/socket.js';
import type { OwnerResolver } from './netns/cgroup.js';
import { isWildcard, kernelStateMask } from '../model/socket.js';
import type { NetnsInfo, ScanIssue, Snapshot, SourceName } from '../model/snapshot.js';
import { discoverNetns, inInitialPidNamespace, type FoundNetns, type NetnsDiscovery } from './netns/discover.js';
import { selectNetns } from './netns/select.js';
import { readNetnsTable } from './netns/table.js';
import { NetTableParser } from './procfs/net-table.js';
import { CAPS, capText, readChunks } from './bounded-read.js';
import { detectHidepid } from './procfs/hidepid.js';
import { listPids, readProcessUids, scanHolders, startScan, type FdRef, type HolderScan } from './procfs/holders.js';
import { ProcessTable, findProcesses, lookupProcess, oddPidEntries } from './procfs/process-info.js';

const ALL_PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];
const ALL_FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/**
 * Read /proc/net/{tcp,tcp6,udp,udp6} for the requested kinds, in chunks parsed as
 * they arrive (a busy host's table is tens of MB), each table bounded by
 * CAPS.netTable. Only regular files are read: in a recorded tree, a table that is a
 * device, a FIFO or a symlink loop is a 'source-error' issue, a cut one 'truncated',
 * and every refused line a 'parse-error' with its reason.
 */
export function readProcTables(procRoot: string, protocols: readonly Protocol[], families: readonly Family[],
  only?: { protocol: Protocol; family: Family }[]): { sockets: RawSocket[]; issues: ScanIssue[] } {
  const sockets: RawSocket[] = [];
  const issues: ScanIssue[] = [];
  const wanted = only ?? protocols.flatMap((protocol) => families.map((family) => ({ protocol, family })));
  let firstError: unknown;
  let unreadable = 0;
  for (const { protocol, family } of wanted) {
    const path = `${procRoot}/net/${protocol}${family === 'ipv6' ? '6' : ''}`;
    const parser = new NetTableParser(protocol, family);
    let truncated: boolean;
    try {
      // The tables are ASCII: latin1 maps each byte to one character, so a chunk cut
      // anywhere decodes on its own.
      truncated = readChunks(path, CAPS.netTable, (b) => parser.push(b.toString('latin1'))).truncated;
    } catch (e) {
      firstError ??= e;
      // No IPv6 in this kernel gives ENOENT for tcp6/udp6: an empty table, said once.
      issues.push({ kind: 'source-error', subject: path, detail: (e as NodeJS.ErrnoException).code ?? 'EIO' });
      unreadable++;
      continue;
    }
    const parsed = parser.end();
    // The table is read a page at a time and is no snapshot: when sockets come and go
    // between two pages, a line can come out twice (seen in most listings under churn).
    // One row per socket: by inode, or without one by its 4-tuple and state (a TIME_WAIT
    // and the new connection that reuses its 4-tuple are two sockets, both kept).
    const inodes = new Set<number>();
    const tuples = new Set<string>();
    for (const s of parsed.sockets) {
      if (s.inode !== 0) {
        if (inodes.has(s.inode)) continue;
        inodes.add(s.inode);
      } else {
        const k = `${s.localAddress} ${s.localPort} ${s.remoteAddress} ${s.remotePort} ${s.state}`;
        if (tuples.has(k)) continue;
        tuples.add(k);
      }
      sockets.push(s);
    }
    if (truncated) issues.push({ kind: 'truncated', subject: path, detail: capText(CAPS.netTable) });
    for (const b of parsed.bad) {
      issues.push({ kind: 'parse-error', subject: `${path}:${b.line}`, detail: b.text.trim().slice(0, 120), reason: b.reason });
    }
  }
  if (wanted.length > 0 && unreadable === wanted.length) {
    // Not one table could be read: an empty answer would be a lie.
    const first = issues.find((i) => i.kind === 'source-error');
    const err = new Error(`cannot read the socket tables under ${procRoot}/net (${first?.detail})`, { cause: firstError }) as NodeJS.ErrnoException;
    err.code = first?.detail;
    throw err;
  }
  return { sockets, issues };
}

/** TCP listeners by local port: what unheldReason() needs to spot unaccepted connections. */
export function listenersByPort(raw: readonly RawSocket[]): Map<number, RawSocket[]> {
  const listeners = new Map<number, RawSocket[]>();
  for (const s of raw) {
    if (s.protocol === 'tcp' && s.state === 'LISTEN') {
      const l = listeners.get(s.localPort);
      if (l) l.push(s);
      else listeners.set(s.localPort, [s]);
    }
  }
  return listeners;
}

/** What unheldReason() needs to know about the holder scan. */
export interface UnheldScan {
  /** Pids whose fd table could not be read. */
  unreadable: readonly number[];
  /** Pids that vanished while their fds were read. */
  exited: readonly number[];
  /**
   * Every uid of the unreadable processes (readProcessUids); absent when
   * unknown, and then any socket could be theirs.
   */
  unreadableUids?: ReadonlySet<number>;
  /** Our effective uid; absent: only the uids above decide. */
  euid?: number;
}

/**
 * Why a socket nobody holds is unheld. Exported for the contract tests.
 * `permission-denied` only when a process we could not read could hold it:
 * one of its uids is the socket's (the uid that created it), or we are not
 * root and the socket is another user's. Otherwise the holder was not there
 * when its fds were read: `process-exited` when a process vanished during the
 * scan, else `unknown` (a socket newer than the scan, or closed during it).
 */
export function unheldReason(s: RawSocket, listeners: ReadonlyMap<number, RawSocket[]>, scan: UnheldScan): UnheldReason {
  if (s.inode === 0) {
    // A connection completed by the kernel and still in a listener's accept
    // queue has no file yet, so no inode; its local endpoint is the listener's.
    if (s.protocol === 'tcp' && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')) {
      for (const l of listeners.get(s.localPort) ?? []) {
        if (l.localAddress === s.localAddress || (isWildcard(l.localAddress) && (l.family === 'ipv6' || s.family === 'ipv4'))) {
          return 'not-accepted';
        }
      }
    }
    return 'kernel';
  }
  return unheldBy(s.uid, scan);
}

/**
 * Why a socket that has a file (an inode) has no holder we found, from the
 * scan: shared by TCP/UDP and Unix sockets. `uid` is the socket's owner, when known.
 */
export function unheldBy(uid: number | undefined, scan: UnheldScan): UnheldReason {
  // Some fd tables were closed to us (other users' processes without root, or
  // a process hardened against ptrace-style access even from root, such as
  // some init programs): the holder may be among them if the uids agree.
  if (scan.unreadable.length > 0) {
    if (!scan.unreadableUids || uid === undefined || scan.unreadableUids.has(uid)) return 'permission-denied';
    if (scan.euid !== undefined && scan.euid !== 0 && uid !== scan.euid) return 'permission-denied';
  }
  if (scan.exited.length > 0) return 'process-exited';
  return 'unknown';
}

/**
 * /proc mounted with hidepid hides other users' processes from us entirely: their
 * sockets then look ownerless for no reason the scan could see. Say so (an issue),
 * and call a socket of another uid that nobody visible holds what it is: hidden
 * from us. Root is never hidden from, so this costs nothing there.
 */
function markHidepid(ctx: CollectorContext, sockets: Socket[], issues: ScanIssue[], holders: boolean): void {
  if (ctx.euid === 0) return;
  const hp = detectHidepid(ctx.procRoot, ctx.euid);
  if (!hp?.hides) return;
  issues.push({ kind: 'hidden-processes', subject: ctx.procRoot, detail: hp.option });
  if (!holders) return;
  for (const s of sockets) {
    if (s.holders.length === 0 && s.inode !== 0 && s.uid !== ctx.euid &&
      (s.unheldReason === 'unknown' || s.unheldReason === 'process-exited')) s.unheldReason = 'permission-denied';
  }
}

export class LinuxCollector implements Collector {
  readonly name = 'linux';
  constructor(private readonly ctx: CollectorContext) {}

  async processInfo(pid: number): Promise<ProcessInfo | undefined> {
    return lookupProcess(this.ctx.procRoot, this.ctx.passwdPath, pid);
  }

  async findProcesses(name: string, exclude: readonly number[]): Promise<number[]> {
    return findProcesses(this.ctx.procRoot, name, listPids(this.ctx.procRoot), exclude);
  }

  async collect(opts: CollectOptions = {}): Promise<Snapshot> {
    const takenAt = this.ctx.now();
    const protocols = opts.protocols ?? ALL_PROTOCOLS;
    const families = opts.families ?? ALL_FAMILIES;
    const issues: ScanIssue[] = [];
    let source: SourceName = 'proc';
    const states = opts.narrow?.states ? kernelStateMask([...opts.narrow.states, 'LISTEN']) : undefined;

    // netlink sees the running kernel; a redirected proc root means a recorded tree,
    // which only the /proc tables can describe consistently.
    // Any query with holders needs every process's fds (a socket's holder can be
    // any process): start that scan now so it runs beside the table read; if
    // the table then selects nothing with an inode (a free port), the scan is
    // cancelled. Measured on 100k sockets, 6 alternating runs each: a busy
    // port 1336 -> 1172 ms median, a free one 225 -> 205 ms.
    const early = opts.holders !== false && !opts.pids ? startScan(this.ctx.procRoot) : undefined;

    // Every network namespace of the machine (collectors/netns/discover.ts): ours is
    // read as before; each other one from inside it (collectors/netns/table.ts).
    // Without a readable link of our own (a recorded tree without `self`) the
    // namespaces cannot be told apart: our table alone, as before, without netns.
    const disc = discoverNetns(this.ctx.procRoot);
    const plan = planNamespaces(disc, opts.netns);
    const parts: Part[] = [];
    const namespaces: NetnsInfo[] = [];

    if (plan.readOwn) {
      const wantNetlink = opts.source === 'netlink' || ((opts.source ?? 'auto') === 'auto' && this.ctx.procRoot === '/proc');
      let viaNetlink: Awaited<ReturnType<typeof import('./sockdiag/table.js').readSockDiag>> | undefined;
      if (wantNetlink) {
        try {
          const { readSockDiag } = await import('./sockdiag/table.js');
          viaNetlink = await readSockDiag({
            protocols, families, memory: opts.memory, info: opts.info,
            // Listeners always come along: they explain unaccepted connections.
            states, ports: opts.narrow?.ports,
          });
        } catch (e) {
          if (opts.source === 'netlink') throw new Error(`netlink sock_diag is not usable here: ${(e as Error).message}`, { cause: e });
          issues.push({ kind: 'source-fallback', subject: 'netlink', detail: (e as Error).message });
        }
      }
      let raw: RawSocket[];
      if (viaNetlink) {
        source = 'netlink';
        raw = viaNetlink.sockets;
        issues.push(...viaNetlink.issues);
        if (viaNetlink.refused.length > 0) {
          const extra = readProcTables(this.ctx.procRoot, protocols, families, viaNetlink.refused);
          raw.push(...extra.sockets);
          issues.push(...extra.issues);
        }
      } else {
        source = 'proc';
        const t = readProcTables(this.ctx.procRoot, protocols, families);
        raw = t.sockets;
        issues.push(...t.issues);
      }
      parts.push({ ref: plan.ownRef, raw });
      if (plan.own) namespaces.push(netnsInfo(plan.own, source));
    }
    let allNetlink = plan.readOwn ? source === 'netlink' : true;
    for (const ns of plan.others) {
      const t = readNetnsTable(ns, {
        procRoot: this.ctx.procRoot, protocols, families, memory: opts.memory, info: opts.info,
        states, ports: opts.narrow?.ports, source: opts.source,
      }, readProcTables);
      issues.push(...t.issues);
      if (t.source !== 'netlink') allNetlink = false;
      // Our own namespace not asked for (--netns NAME): the snapshot's source is the first one read.
      if (!plan.readOwn && parts.length === 0 && t.source) source = t.source;
      parts.push({ ref: plan.refs.get(ns.inode), raw: t.sockets });
      namespaces.push(netnsInfo(ns, t.source, t.error));
    }

    const privileged = this.ctx.euid === 0;
    const selectedParts = parts.map((p) => ({ ...p, selected: opts.select ? p.raw.filter(opts.select) : p.raw }));
    // Listeners are needed to explain unaccepted connections even when the
    // kernel was asked for fewer sockets; they come from `raw` below.
    let scan: HolderScan;
    const noInodes = !selectedParts.some((p) => p.selected.some((s) => s.inode !== 0));
    if (opts.holders === false || (noInodes && !opts.pids)) {
      // Nothing to look up (a free port, only TIME_WAIT): skip the fd scan.
      early?.cancel();
      scan = { byInode: new Map(), unreadable: [], exited: [], issues: [] };
    } else {
      let wanted: Set<number> | undefined;
      if (selectedParts.some((p) => p.selected !== p.raw) || !plan.readOwn || plan.others.length < disc.namespaces.length - 1) {
        // Socket inodes are unique on the whole machine (sockfs), so one set serves every namespace.
        wanted = new Set();
        for (const p of selectedParts) for (const s of p.selected) if (s.inode !== 0) wanted.add(s.inode);
        if (opts.alsoInodes) for (const i of opts.alsoInodes) wanted.add(i);
      }
      if (opts.pids) {
        // A pid query: find what those processes hold, then who else holds it.
        const own = scanHolders(this.ctx.procRoot, { wanted, pids: opts.pids });
        issues.push(...own.issues);
        wanted = new Set(own.byInode.keys());
        scan = wanted.size ? scanHolders(this.ctx.procRoot, { wanted }) : own;
        // What could not be read is about the processes asked for, not the whole machine.
        scan.unreadable = own.unreadable;
      } else {
        scan = early ? await early.read(wanted) : scanHolders(this.ctx.procRoot, { wanted });
        issues.push(...scan.issues);
      }
      // A socket can have several holders (fork, fd passing), so the scan always
      // covers every process: stopping at the first holder would hide the others.
      opts.onHolderScan?.(scan);
    }

    // The unreadable processes' uids are read once, and only if a socket needs them.
    let unheld: UnheldScan | undefined;
    const unheldScan = (): UnheldScan => unheld ??= {
      unreadable: scan.unreadable, exited: scan.exited, euid: this.ctx.euid,
      unreadableUids: scan.unreadable.length ? readProcessUids(this.ctx.procRoot, [...new Set(scan.unreadable)]) : new Set(),
    };
    // Whether every process of the machine is visible to us: inside a container's
    // PID namespace, a socket nobody we see holds is held by a process outside it.
    let seesAll: boolean | undefined;
    const hiddenHolders = (): boolean => !(seesAll ??= inInitialPidNamespace(this.ctx.procRoot) ?? true);

    const procs = new ProcessTable(this.ctx.procRoot, this.ctx.passwdPath);
    const holderOf = (ref: FdRef): Holder => procs.holder(ref.pid, ref.fd);

    const sockets: Socket[] = [];
    const pidScope = opts.pids !== undefined;
    for (const part of selectedParts) {
      // Ports are per namespace: only its own listeners explain its unaccepted connections.
      const listeners = listenersByPort(part.raw);
      const ref = part.ref;
      for (const r of part.selected) {
        const refs = r.inode !== 0 ? scan.byInode.get(r.inode) : undefined;
        // A pid query shows only what those pids hold.
        if (pidScope && !refs?.some((x) => opts.pids!.includes(x.pid))) continue;
        const s = r as Socket;
        if (ref) s.netns = ref;
        if (refs) {
          s.holders = refs.map(holderOf);
          s.unheldReason = undefined; // same shape for every record
        } else {
          s.holders = [];
          let reason: UnheldReason = opts.holders === false && r.inode !== 0 ? 'unknown' : unheldReason(r, listeners, unheldScan());
          if (reason === 'unknown' && r.inode !== 0 && opts.holders !== false && hiddenHolders()) reason = 'other-namespace';
          s.unheldReason = reason;
        }
        sockets.push(s);
      }
    }
    issues.push(...procs.issues);
    // A recorded tree may hold pid directories no kernel makes; the scan skips them.
    if (this.ctx.procRoot !== '/proc') issues.push(...oddPidEntries(this.ctx.procRoot));
    markHidepid(this.ctx, sockets, issues, opts.holders !== false);

    const snap: Snapshot = {
      takenAt,
      source,
      backlogKnown: source === 'netlink' && allNetlink,
      privileged,
      sockets,
      unreadableProcesses: new Set(scan.unreadable).size,
      issues,
    };
    if (plan.own || plan.others.length) {
      // Name a namespace by its container when every process in it belongs to the same one.
      const byInode = new Map([...(plan.own ? [plan.own] : []), ...plan.others].map((n) => [n.inode, n]));
      for (const info of namespaces) {
        const ns = byInode.get(info.inode);
        const c = ns && !ns.host ? containerOf(ns, procs.ownerResolver) : undefined;
        if (c) info.container = c;
      }
      snap.namespaces = namespaces;
    }
    return snap;
  }
}

/** One namespace's table, with the one NetnsRef its sockets share. */
interface Part {
  ref: NetnsRef | undefined;
  raw: RawSocket[];
}

/** What a collector reads, from a discovery and the --netns tokens. */
export interface NetnsPlan {
  /** Read our own namespace's table through the usual path (netlink, /proc/net). */
  readOwn: boolean;
  /** Our own namespace, when it is known. */
  own: FoundNetns | undefined;
  ownRef: NetnsRef | undefined;
  /** The other namespaces to read from inside. */
  others: FoundNetns[];
  /** One NetnsRef per namespace (shared by its sockets: 100k sockets, a handful of objects). */
  refs: Map<number, NetnsRef>;
}

/** Which namespaces to read. Our own when it cannot be known: today's behaviour. */
export function planNamespaces(disc: NetnsDiscovery, tokens: readonly string[] | undefined): NetnsPlan {
  const refs = new Map<number, NetnsRef>();
  for (const ns of disc.namespaces) {
    const ref: NetnsRef = { inode: ns.inode };
    if (ns.name !== undefined) ref.name = ns.name;
    if (ns.host) ref.host = true;
    refs.set(ns.inode, ref);
  }
  if (disc.own === undefined) return { readOwn: true, own: undefined, ownRef: undefined, others: [], refs };
  const own = disc.namespaces.find((n) => n.inode === disc.own);
  if (!own) {
    // Discovery saw our link but not as a namespace (cannot happen unless the
    // tree changed between two reads): our table alone.
    return { readOwn: true, own: undefined, ownRef: undefined, others: [], refs };
  }
  const chosen = selectNetns(disc, tokens).chosen;
  return {
    readOwn: chosen.includes(own), own, ownRef: refs.get(own.inode),
    others: chosen.filter((n) => n !== own), refs,
  };
}

/**
 * The container whose processes live in this namespace, when they all belong to
 * one (looked at: the first 64). A Kubernetes pod's containers share one
 * namespace, so a pod has none here; its holders name each container.
 */
export function containerOf(ns: Pick<FoundNetns, 'pids'>, owners: Pick<OwnerResolver, 'ownerOf'>): ContainerRef | undefined {
  let found: ContainerRef | undefined;
  for (const pid of ns.pids.slice(0, 64)) {
    const c = owners.ownerOf(pid).container;
    if (!c) return undefined;
    if (found && (found.runtime !== c.runtime || found.id !== c.id)) return undefined;
    found ??= c;
  }
  return found;
}

function netnsInfo(ns: FoundNetns, source: SourceName | undefined, error?: string): NetnsInfo {
  const info: NetnsInfo = { inode: ns.inode, host: ns.host, processes: ns.pids.length };
  if (ns.name !== undefined) info.name = ns.name;
  if (source !== undefined) info.source = source;
  if (error !== undefined) info.error = error;
  return info;
}

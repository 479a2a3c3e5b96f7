// The one-shot table without an object per socket (native/fast.cc), for the
// CLI's `list` and `port` on this machine. The library's listSockets() keeps
// returning Snapshot objects through the collector; this is a second road to
// the same rows, taken only where it gives the same answer: the live kernel
// (proc root /proc, netlink), the native addon built, the host namespace the
// only one, and a filter of protocols, families, states and ports. Everything
// else (recorded trees, --pid, containers, -i) takes the collector.
//
// What stays in TypeScript, once per process or per uid, never per socket:
// the dump requests (codec.ts encodes them), process names and users
// (ProcessTable), why an unheld socket is unheld (unheldBy), the issues.
import { narrowing, type Filter } from '../../model/filter.js';
import { SOCKET_STATES, kernelStateMask, type Family, type Holder, type NetnsRef, type Protocol, type SocketState, type UnheldReason } from '../../model/socket.js';
import type { ScanIssue, Snapshot } from '../../model/snapshot.js';
import type { SortKey } from '../../model/sort.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, encodeDumpRequest } from '../sockdiag/codec.js';
import { errnoName, listPids, nativeScan, readProcessUids } from '../procfs/holders.js';
import { ProcessTable } from '../procfs/process-info.js';
import { detectHidepid } from '../procfs/hidepid.js';
import { discoverNetns, inInitialPidNamespace } from '../netns/discover.js';
import { viaOf } from '../netns/published.js';
import { NetnsChannel, compatRequest } from '../netns/table.js';
import { planNamespaces, unheldBy, type UnheldScan } from '../linux.js';
import { availableParallelism } from 'node:os';

/** Which rows, in which order (native select()): state masks over our state numbers, a sort key's index or -1. */
interface SelectArgs {
  tcpStates: number; udpStates: number; tcp: boolean; udp: boolean; ipv4: boolean; ipv6: boolean;
  ports?: Uint16Array; only?: Uint32Array; sort: number;
}

/** The functions native/fast.cc adds to the addon. */
interface FastNative {
  fastCollect(p: {
    procRoot?: string; pids?: Int32Array; threads?: number;
    requests?: { bytes: Uint8Array; protocol: number; part: number; fd?: number }[];
    recorded?: { bytes: Uint8Array; protocol: number; part: number; seq: number }[];
    recordedScan?: Uint32Array;
    /** Choose and sort the rows too (while the scan runs): the answer's `selected`. */
    select?: SelectArgs;
  }): Collected;
  fastSelect(h: unknown, p: SelectArgs): Selected;
  fastPrepare(h: unknown, p: {
    pids: Int32Array; rest?: string[]; pre?: string[]; post?: string[]; uids: Uint32Array; reasons: Uint8Array;
    netns?: string[]; unheld?: string[]; names?: { keys: Int32Array; names: string[] }; sep?: string;
  }): void;
  fastWidths(h: unknown): Uint32Array;
  fastChunk(h: unknown, kind: number, from: number, into: Uint8Array, widths?: Uint32Array): { next: number; length: number; need?: number };
  fastRows(h: unknown): FastRows;
  fastPortNeeds(h: unknown, port: number): { needs: boolean; listensOnPort: boolean };
  fastPortSections(h: unknown, port: number, listenPorts: Uint16Array | null): Uint32Array[];
}

interface Collected {
  handle: unknown;
  /** Each request's table, for issues (set here, not by the addon). */
  tables?: string[];
  selected?: Selected;
  count: number;
  errors: Int32Array;
  malformed: Int32Array;
  unreadable: Int32Array;
  exited: Int32Array;
  failed: Int32Array;
}

interface Selected {
  rows: number;
  timeWait: number;
  kernel: number;
  notAccepted: number;
  holderPids: Int32Array;
  /** Rows per part (namespace). */
  parts: Int32Array;
  /** (uid, count) pairs of the unheld sockets that have an inode. */
  unheldUids: Uint32Array;
  /** protocol << 16 | port, each distinct local and remote port of the rows. */
  ports: Int32Array;
}

/** The chosen rows as columns, in output order (fastRows). */
export interface FastRows {
  index: Uint32Array;
  proto: Uint8Array;
  v6: Uint8Array;
  state: Uint8Array;
  sport: Uint16Array;
  dport: Uint16Array;
  part: Uint16Array;
  holders: Uint32Array;
  wildLocal: Uint8Array;
}

/** The addon's fast functions, or null (not built, an older build, or SOCKSCOPE_FAST=0). */
export function fastNative(): FastNative | null {
  if (process.env['SOCKSCOPE_FAST'] === '0') return null;
  const n = nativeScan() as unknown as Partial<FastNative> | null;
  return n && typeof n.fastCollect === 'function' ? (n as FastNative) : null;
}

/** Our state numbers in native/fast.cc are the indexes of SOCKET_STATES. */
export const STATE_NUMBER = new Map<SocketState, number>(SOCKET_STATES.map((s, i) => [s, i]));
const UNHELD: readonly UnheldReason[] = ['not-accepted', 'kernel', 'permission-denied', 'process-exited', 'other-namespace', 'unknown'];
const SORTS: readonly SortKey[] = ['proto', 'local', 'remote', 'state', 'recvq', 'sendq', 'port', 'rport', 'pid', 'inode'];

/** Whether a filter and sort are what the fast road answers. */
export function fastEligible(filter: Filter, sort: SortKey, procRoot: string | undefined, source: string): boolean {
  if (process.platform !== 'linux' || (procRoot !== undefined && procRoot !== '/proc') || (source !== 'auto' && source !== 'netlink')) return false;
  if (process.env['SOCKSCOPE_PROC_ROOT'] || process.env['SOCKSCOPE_EXEC_REPLAY']) return false;
  if (filter.pids || filter.processes || filter.containers || filter.units || filter.netns) return false;
  return SORTS.includes(sort) && fastNative() !== null;
}

function stateBits(states: readonly SocketState[]): number {
  let m = 0;
  for (const s of states) m |= 1 << STATE_NUMBER.get(s)!;
  return m >>> 0;
}

/** The state masks (over our state numbers) of model/filter.ts matchesTable, per protocol. */
function stateMasks(f: Filter): { tcp: number; udp: number } {
  if (f.states && f.states.length) return { tcp: stateBits(f.states), udp: stateBits(f.states) };
  if (f.listening) return { tcp: stateBits(['LISTEN']), udp: stateBits(['UNCONN']) };
  const all = f.all ? SOCKET_STATES : SOCKET_STATES.filter((s) => s !== 'TIME_WAIT');
  return { tcp: stateBits(all), udp: stateBits(all) };
}

/** What native select() is asked for a filter and sort (`hideTimeWait`: `list` asks for TIME_WAIT only to count what it leaves out). */
function selectParams(filter: Filter, sort: SortKey | undefined, hideTimeWait = false): SelectArgs {
  const protocols: readonly Protocol[] = filter.protocols ?? ['tcp', 'udp'];
  const families: readonly Family[] = filter.families ?? ['ipv4', 'ipv6'];
  const masks = stateMasks(filter);
  if (hideTimeWait) {
    const tw = ~(1 << STATE_NUMBER.get('TIME_WAIT')!);
    masks.tcp &= tw;
    masks.udp &= tw;
  }
  return {
    tcpStates: masks.tcp, udpStates: masks.udp,
    tcp: protocols.includes('tcp'), udp: protocols.includes('udp'), ipv4: families.includes('ipv4'), ipv6: families.includes('ipv6'),
    ports: filter.ports ? Uint16Array.from(filter.ports) : undefined, sort: sort === undefined ? -1 : SORTS.indexOf(sort),
  };
}

/** The kernel state mask the collector asks for (linux.ts: the filter's narrowing, plus LISTEN for unaccepted connections). */
function requestStates(f: Filter): number | undefined {
  const { states } = narrowing(f);
  return states ? kernelStateMask([...states, 'LISTEN']) : undefined;
}

let seq = 0x5f000000;

/**
 * The dump requests for the protocols and families the filter keeps (codec.ts encodes them). TCP of
 * both families is one request of the old kind (netns/table.ts compatRequest): the kernel then walks
 * its TCP tables once, not once per family (~40 ms less kernel time at 100k sockets). The rows are the
 * same; only the interleaving of the two families differs, and every sort orders IPv4 before IPv6
 * where its keys tie, within a family keeping the kernel's order.
 */
function dumpRequests(filter: Filter): { table: string; bytes: Uint8Array; protocol: number }[] {
  const states = requestStates(filter);
  const families = filter.families ?? ['ipv4', 'ipv6'];
  return (filter.protocols ?? ['tcp', 'udp']).flatMap((protocol) => {
    const p = protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
    const v2 = (family: Family): Buffer => encodeDumpRequest({ family: family === 'ipv4' ? AF_INET : AF_INET6, protocol: p, states, ports: filter.ports, seq: seq++ });
    if (protocol === 'tcp' && families.length === 2) return [{ table: 'tcp', bytes: compatRequest(v2('ipv4')), protocol: p }];
    return families.map((family) => ({ table: `${protocol}${family === 'ipv6' ? '6' : ''}`, bytes: v2(family), protocol: p }));
  });
}

/** One collected table, filtered and sorted, with what a view needs to write it. */
export class FastTable {
  /** Rows chosen (after the filter). */
  rows = 0;
  /** TIME_WAIT sockets the state filter alone left out. */
  timeWait = 0;
  /** Per unheld reason, how many rows have it. */
  readonly reasons = new Map<UnheldReason, number>();
  readonly issues: ScanIssue[] = [];
  unreadableProcesses = 0;
  readonly privileged: boolean;
  /** Holders by pid (fd 0 stands for any fd): what views say of a process. */
  readonly holders = new Map<number, Holder>();
  /** The namespace of each part's rows (part 0: ours). */
  readonly netns: readonly (NetnsRef | undefined)[];
  /** Rows outside the host's namespace: a table then shows NETNS and CONTAINER (views/columns.ts showsNamespaces). */
  foreignRows = 0;
  /** The key the rows were first sorted by (reselect() keeps an order or makes another). */
  sortedBy: SortKey | undefined;
  /** Distinct (protocol << 16 | port) of the rows, local and remote. */
  ports: Int32Array<ArrayBufferLike> = new Int32Array(0);

  private constructor(readonly native: FastNative, readonly handle: unknown, netns: readonly (NetnsRef | undefined)[], euid: number) {
    this.netns = netns;
    this.privileged = euid === 0;
  }

  /**
   * Read this machine's table the fast way, or undefined where the answer
   * could differ from the collector's (another namespace to read, a table the
   * kernel refused, a container's forwarder among the holders): the caller
   * then asks the collector.
   */
  static collect(filter: Filter, sort: SortKey | undefined, opts: { passwdPath?: string; hideTimeWait?: boolean; holders?: false } = {}): FastTable | undefined {
    const native = fastNative();
    if (!native) return undefined;
    const procRoot = '/proc';
    // One listing of /proc serves the namespaces and the scan.
    const all = listPids(procRoot);
    const plan = planNamespaces(discoverNetns(procRoot, { pids: all }), undefined);
    if (!plan.readOwn) return undefined;
    // Every other namespace through a sock_diag socket made inside it (netns/table.ts); one that cannot
    // be entered is the collector's to explain.
    const channels: NetnsChannel[] = [];
    let c: Collected;
    const parts: (NetnsRef | undefined)[] = [plan.ownRef];
    try {
      for (const ns of plan.others) {
        channels.push(NetnsChannel.open(ns, procRoot));
        parts.push(plan.refs.get(ns.inode));
      }
      const requests = parts.flatMap((ref, part) => dumpRequests(filter).map((r) => ({
        ...r, part, fd: part === 0 ? -1 : channels[part - 1]!.descriptor, table: part === 0 ? r.table : `netns ${ref?.inode} ${r.table}`,
      })));
      const pids = opts.holders === false ? new Int32Array(0) : Int32Array.from(all);
      c = native.fastCollect({ procRoot, pids, threads: THREADS, requests, select: selectParams(filter, sort, opts.hideTimeWait) });
      c.tables = requests.map((r) => r.table);
    } catch {
      return undefined; // netlink not usable, a namespace not entered: the collector says why
    } finally {
      for (const ch of channels) ch.close();
    }
    if (c.errors.some((e) => e !== 0)) return undefined; // a refused table: the collector reads it from /proc/net
    const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
    // Rows name processes; nothing here compares start times (kill does, through the collector).
    const procs = new ProcessTable(procRoot, opts.passwdPath ?? process.env['SOCKSCOPE_PASSWD'] ?? '/etc/passwd', undefined, false);
    const hidepid = euid !== 0 ? detectHidepid(procRoot, euid) : undefined;
    let seesAll: boolean | undefined;
    return FastTable.finish(native, c, c.tables!.map((table) => ({ table })), filter, sort, {
      procRoot, euid, hideTimeWait: opts.hideTimeWait, netns: parts, hidepid: hidepid?.hides ? hidepid.option : undefined,
      holder: (pid) => procs.holder(pid, 0), processIssues: () => procs.issues,
      uidsOf: (pids) => readProcessUids(procRoot, pids), seesAll: () => (seesAll ??= inInitialPidNamespace(procRoot) ?? true),
    });
  }

  /**
   * The same from recorded dump replies (seq-numbered, as the kernel sent them)
   * and a recorded fd scan ([inode, pid, fd]*), with the holders' details given:
   * what tests compare with the TypeScript codec and views.
   */
  static replay(dumps: readonly { bytes: Uint8Array; protocol: Protocol; family: Family; seq: number }[], scan: Uint32Array,
    holders: ReadonlyMap<number, Holder>, filter: Filter, sort: SortKey | undefined, netns?: NetnsRef): FastTable | undefined {
    const native = fastNative();
    if (!native) return undefined;
    const recorded = dumps.map((d) => ({ bytes: d.bytes, protocol: d.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP, part: 0, seq: d.seq,
      table: `${d.protocol}${d.family === 'ipv6' ? '6' : ''}` }));
    const c = native.fastCollect({ recorded, recordedScan: scan, select: selectParams(filter, sort) });
    return FastTable.finish(native, c, recorded, filter, sort, {
      procRoot: '/proc', euid: 0, netns: [netns], holder: (pid) => holders.get(pid) ?? { pid, fd: 0 },
      processIssues: () => [], uidsOf: () => new Set(), seesAll: () => true,
    });
  }

  /** Filter, sort, and what TypeScript knows: holders' details, why unheld sockets are, the issues. */
  private static finish(native: FastNative, c: Collected, requests: readonly { table: string }[], filter: Filter, sort: SortKey | undefined, env: {
    procRoot: string; euid: number; hideTimeWait?: boolean; netns: readonly (NetnsRef | undefined)[]; hidepid?: string;
    holder(pid: number): Holder; processIssues(): readonly ScanIssue[];
    uidsOf(pids: number[]): Set<number> | undefined; seesAll(): boolean;
  }): FastTable | undefined {
    const t = new FastTable(native, c.handle, env.netns, env.euid);
    const sel = c.selected ?? native.fastSelect(c.handle, selectParams(filter, sort, env.hideTimeWait));
    t.sortedBy = sort;
    t.rows = sel.rows;
    t.timeWait = sel.timeWait;
    t.ports = sel.ports;
    t.foreignRows = 0;
    sel.parts.forEach((n, part) => { if (env.netns[part] !== undefined && !env.netns[part]!.host) t.foreignRows += n; });
    // The issues the collector would give, in its order: the dumps', the scan's, then the processes'.
    requests.forEach((r, i) => {
      if (c.malformed[i]! > 0) t.issues.push({ kind: 'parse-error', subject: `netlink ${r.table}`, detail: `${c.malformed[i]} malformed messages` });
    });
    const root = env.procRoot;
    for (let i = 0; i + 1 < c.failed.length; i += 2) {
      t.issues.push({ kind: 'source-error', subject: `${root}/${c.failed[i]}/fd`, detail: errnoName(c.failed[i + 1]!) });
    }
    const unreadable = [...new Set(c.unreadable)];
    const exited = [...new Set(c.exited)];
    for (const pid of unreadable) t.issues.push({ kind: 'permission-denied', subject: `${root}/${pid}/fd`, detail: 'EACCES' });
    for (const pid of exited) t.issues.push({ kind: 'process-exited', subject: `${root}/${pid}`, detail: 'ENOENT' });
    t.unreadableProcesses = unreadable.length;

    for (const pid of sel.holderPids) {
      const h = env.holder(pid);
      // A container's forwarder holds a published port: the collector names the container (Socket.published).
      if (viaOf(h.name, h.command)) return undefined;
      t.holders.set(pid, h);
    }
    t.issues.push(...env.processIssues());

    // Why the unheld sockets with an inode are unheld: it depends on their uid only (linux.ts unheldReason, markHidepid).
    const scan: UnheldScan = { unreadable, exited, euid: env.euid, unreadableUids: unreadable.length ? env.uidsOf(unreadable) : new Set() };
    if (env.hidepid !== undefined) t.issues.push({ kind: 'hidden-processes', subject: root, detail: env.hidepid });
    const u = sel.unheldUids;
    t.uids = new Uint32Array(u.length / 2);
    t.uidReasons = new Uint8Array(u.length / 2);
    for (let i = 0; i < u.length; i += 2) {
      const uid = u[i]!;
      let r = unheldBy(uid, scan);
      if (r === 'unknown' && !env.seesAll()) r = 'other-namespace';
      if (env.hidepid !== undefined && uid !== env.euid && (r === 'unknown' || r === 'process-exited')) r = 'permission-denied';
      t.uids[i / 2] = uid;
      t.uidReasons[i / 2] = UNHELD.indexOf(r);
      t.reasons.set(r, (t.reasons.get(r) ?? 0) + u[i + 1]!);
    }
    if (sel.kernel) t.reasons.set('kernel', (t.reasons.get('kernel') ?? 0) + sel.kernel);
    if (sel.notAccepted) t.reasons.set('not-accepted', (t.reasons.get('not-accepted') ?? 0) + sel.notAccepted);
    return t;
  }

  /** What the notes of a command read from a Snapshot (issues, counts); `sockets` stays empty. */
  snapshot(): Snapshot {
    const snap: Snapshot = {
      takenAt: this.takenAt, source: 'netlink', backlogKnown: true, privileged: this.privileged, sockets: [],
      unreadableProcesses: this.unreadableProcesses, issues: this.issues,
    };
    return snap;
  }

  readonly takenAt = Date.now();

  uids: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  uidReasons: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  /** Give the native side the texts it writes: per process, per reason, per port, per namespace. */
  prepare(p: { rest?: string[]; pre?: string[]; post?: string[]; netns?: string[]; unheld?: string[]; names?: { keys: Int32Array; names: string[] }; sep?: string }): void {
    this.native.fastPrepare(this.handle, { pids: Int32Array.from(this.holders.keys()), uids: this.uids, reasons: this.uidReasons, ...p });
  }

  /** Narrow the rows to these records (FastRows.index) and sort them by `sort`, or keep their order. */
  reselect(only: Uint32Array, sort: SortKey | undefined): void {
    // (The rows stay in the namespaces they were in: foreignRows is the whole table's.)
    const sel = this.native.fastSelect(this.handle, { ...selectParams({ all: true }, sort), only });
    this.rows = sel.rows;
  }

  rowsView(): FastRows {
    return this.native.fastRows(this.handle);
  }

  /** port.ts tcpListenPorts' question, over the rows: does a connection need the listening ports to say its side? */
  portNeeds(port: number): { needs: boolean; listensOnPort: boolean } {
    return this.native.fastPortNeeds(this.handle, port);
  }

  /** port.ts describePort's sections, as positions in the rows' order (listeners, bound, inbound, inbound-from, outbound, outbound-from). */
  portSections(port: number, listenPorts: ReadonlySet<number> | undefined): Uint32Array[] {
    return this.native.fastPortSections(this.handle, port, listenPorts ? Uint16Array.from(listenPorts) : null);
  }

  widths(): Uint32Array {
    return this.native.fastWidths(this.handle);
  }

  /**
   * Whole rows from `from` on written into `into` (0 JSON array items, 1 NDJSON lines, 2 table lines):
   * the next row and the bytes written; `need` when the first row alone does not fit.
   */
  chunk(kind: 0 | 1 | 2, from: number, into: Uint8Array, widths?: Uint32Array): { next: number; length: number; need?: number } {
    return this.native.fastChunk(this.handle, kind, from, into, widths);
  }
}

// Two threads saturate the kernel's readlink path on small machines; more only contend (as holders.ts).
const THREADS = Math.min(4, Math.max(1, availableParallelism()));

// The macOS collector: `netstat -anv -p tcp` and `-p udp` for every socket
// with its queues and state (TIME_WAIT and connections not yet accepted
// included, which lsof cannot see), and `lsof -F` for the holders with their
// fds and users, joined on protocol and 4-tuple. Example `netstat -anv` line
// (macOS 10.15 to 13: a pid column; 14+ prints "process:pid" instead, and
// both go on with state, options, gencnt, flags, flags1, usscnt, rtncnt, fltrs):
//   tcp4       0      0  *.80                   *.*                    LISTEN       131072  131072  10521      0 00100 00000006 000000000000965d 00000000 00000900      1      0 000001
// The pid netstat prints is the last process that used the socket
// (so_last_pid): a holder, not every holder. lsof run without root sees only
// our own processes on macOS, so for the others netstat's pid is all there is.
// `netstat -Lan -p tcp` adds each listener's accept queue and backlog. What
// none gives stays absent: inodes (lsof's DEVICE is a kernel address here).
import type { Collector, CollectOptions, CollectorContext, ProcessInfo } from './collector.js';
import type { Exec } from './exec.js';
import { systemExec } from './exec.js';
import type { AbsentField, ScanIssue, Snapshot } from '../model/snapshot.js';
import type { Protocol, RawSocket, Socket, UnheldReason } from '../model/socket.js';
import { isWildcard } from '../model/socket.js';
import { parseMacosNetstat } from './text/macos-netstat.js';
import { canonicalAddress } from '../model/address.js';
import { parseDotEndpoint } from './text/common.js';
import { LSOF_ARGS, parseLsofFields } from './lsof.js';
import { psFindProcesses, psProcessInfo } from './ps.js';
import { foldName } from './procfs/process-info.js';

/** The arguments of the table read per protocol: numeric, every socket, the extra columns (pid among them). */
export const MACOS_NETSTAT_ARGS: Record<Protocol, readonly string[]> = {
  tcp: ['-anv', '-p', 'tcp'],
  udp: ['-anv', '-p', 'udp'],
};

/** The listen queues: completed connections waiting for accept(), half-open ones, and the limit (the backlog). */
export const MACOS_LISTEN_ARGS = ['-Lan', '-p', 'tcp'] as const;

export interface ListenQueue { host: string; port: number; qlen: number; incqlen: number; maxqlen: number }

/**
 * `netstat -Lan -p tcp`: the accept queue and backlog of every TCP listener,
 * which `-anv` does not show (its Recv-Q of a listener is the socket's receive
 * buffer, not the queue). macOS prints no protocol column, FreeBSD does:
 *   Current listen queue sizes (qlen/incqlen/maxqlen)
 *   Listen         Local Address
 *   0/0/128        *.22
 *   tcp4  10/0/128       *.80
 */
export function parseNetstatListenQueues(out: string): ListenQueue[] {
  const queues: ListenQueue[] = [];
  for (const line of out.split(/\r?\n/)) {
    const m = /^\s*(?:tcp[46]{0,2}\s+)?(\d{1,10})\/(\d{1,10})\/(\d{1,10})\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const ep = parseDotEndpoint(m[4]!, 'tcp');
    if (!ep || ep.anyPort) continue;
    queues.push({ host: ep.host, port: ep.port, qlen: Number(m[1]), incqlen: Number(m[2]), maxqlen: Number(m[3]) });
  }
  return queues;
}

/** The address a listener's line in `netstat -L` shows: '*' for either wildcard, IPv4 plain. */
function listenKey(host: string, port: number): string {
  if (host === '*' || host === '0.0.0.0' || host === '::') return `* ${port}`;
  return `${plain(canonicalAddress(host) ?? host)} ${port}`;
}

/**
 * Put each listener's accept queue (Recv-Q) and backlog from `netstat -L` on
 * its `-anv` row. -L names no family and no pid, so two listeners with the
 * same printed address (an IPv4 and an IPv6 `*.80`) are told apart by order:
 * both listings walk the kernel's TCP list in the same order. A listener -L
 * does not list keeps its backlog unknown. Returns how many were matched.
 */
export function applyListenQueues(rows: Socket[], queues: readonly ListenQueue[]): number {
  const byKey = new Map<string, ListenQueue[]>();
  for (const q of queues) {
    const k = listenKey(q.host, q.port);
    const l = byKey.get(k);
    if (l) l.push(q); else byKey.set(k, [q]);
  }
  let n = 0;
  for (const s of rows) {
    if (s.protocol !== 'tcp' || s.state !== 'LISTEN') continue;
    const q = byKey.get(listenKey(s.localAddress, s.localPort))?.shift();
    if (!q) continue;
    s.recvQ = q.qlen;
    s.backlog = q.maxqlen;
    n++;
  }
  return n;
}

/** IPv4-mapped and plain IPv4 compare equal: lsof and netstat disagree on which a dual-stack socket shows. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The join key of a socket: protocol and 4-tuple (not the family: tcp46 rows are IPv6 to one, IPv4 to the other). */
export function tupleKey(s: Pick<RawSocket, 'protocol' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): string {
  return `${s.protocol} ${plain(s.localAddress)} ${s.localPort} ${plain(s.remoteAddress)} ${s.remotePort}`;
}

/**
 * Join netstat's rows with lsof's sockets. A row takes the holders lsof saw on
 * the same protocol and 4-tuple (preferring the socket whose holders include
 * netstat's pid, as several UDP sockets can share one tuple); a row lsof did
 * not see keeps netstat's pid. lsof's sockets left over (opened between the
 * two reads) are added as they are.
 */
export function joinNetstatLsof(rows: Socket[], lsof: readonly Socket[]): Socket[] {
  const byKey = new Map<string, Socket[]>();
  for (const s of lsof) {
    const k = tupleKey(s);
    const l = byKey.get(k);
    if (l) l.push(s); else byKey.set(k, [s]);
  }
  for (const row of rows) {
    const cands = byKey.get(tupleKey(row));
    if (!cands?.length) continue;
    const pid = row.holders[0]?.pid;
    let i = pid === undefined ? -1 : cands.findIndex((c) => c.holders.some((h) => h.pid === pid));
    if (i < 0) i = 0;
    const hit = cands.splice(i, 1)[0]!;
    row.holders = hit.holders;
    delete row.unheldReason;
    row.uid = hit.uid;
  }
  const extra: Socket[] = [];
  for (const l of byKey.values()) extra.push(...l);
  return [...rows, ...extra];
}

/** Why a row nobody holds is unheld: kernel-kept states, a connection waiting in a listener's queue, or not visible to us. */
function unheldOf(s: Socket, listeners: ReadonlySet<string>, privileged: boolean): UnheldReason {
  if (s.protocol === 'tcp' && s.state === 'TIME_WAIT') return 'kernel';
  if (s.protocol === 'tcp' && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT') &&
    (listeners.has(`${s.localPort} ${plain(s.localAddress)}`) || listeners.has(`${s.localPort} *`))) return 'not-accepted';
  return privileged ? 'unknown' : 'permission-denied';
}

export class MacosCollector implements Collector {
  readonly name = 'macos';
  private readonly exec: Exec;

  constructor(private readonly ctx: CollectorContext) {
    this.exec = ctx.exec ?? systemExec();
  }

  async collect(opts: CollectOptions = {}): Promise<Snapshot> {
    const takenAt = this.ctx.now();
    const issues: ScanIssue[] = [];
    const protocols: Protocol[] = opts.protocols ? [...opts.protocols] : ['tcp', 'udp'];
    const lsofArgs: string[] = [...LSOF_ARGS];
    if (opts.pids?.length) lsofArgs.push('-a', '-p', opts.pids.join(','));
    const [tables, lsof, listen] = await Promise.all([
      Promise.all(protocols.map(async (p) => {
        try {
          return { p, r: await this.exec('netstat', MACOS_NETSTAT_ARGS[p]) };
        } catch (e) {
          return { p, e: e as NodeJS.ErrnoException };
        }
      })),
      opts.holders === false ? undefined : this.exec('lsof', lsofArgs).catch((e: NodeJS.ErrnoException) => e),
      protocols.includes('tcp') ? this.exec('netstat', MACOS_LISTEN_ARGS).catch((e: NodeJS.ErrnoException) => e) : undefined,
    ]);
    let rows: Socket[] = [];
    let read = 0;
    for (const t of tables) {
      const subject = `netstat ${MACOS_NETSTAT_ARGS[t.p].join(' ')}`;
      if (!t.r) { issues.push({ kind: 'tool-error', subject, detail: t.e?.code ?? t.e?.message ?? 'EIO' }); continue; }
      read++;
      const parsed = parseMacosNetstat(t.r.stdout.toString('utf8'));
      for (const u of parsed.unreadable) issues.push({ kind: 'parse-error', subject: `${subject}:${u.line}`, detail: u.text.trim().slice(0, 120), reason: u.reason ?? 'malformed' });
      for (const r of parsed.rows) if (r.socket.protocol === t.p) rows.push(r.socket);
    }
    if (read === 0) throw new Error(`netstat could not run: ${issues[0]?.detail ?? 'no table'}`);
    const absent: AbsentField[] = ['inode'];
    let backlogKnown = false;
    if (listen && !(listen instanceof Error)) {
      const matched = applyListenQueues(rows, parseNetstatListenQueues(listen.stdout.toString('utf8')));
      // Known only when every listener got its line (a listener opened between the two reads has none).
      backlogKnown = matched === rows.filter((s) => s.protocol === 'tcp' && s.state === 'LISTEN').length;
    }
    if (!backlogKnown) {
      if (listen instanceof Error) issues.push({ kind: 'tool-error', subject: `netstat ${MACOS_LISTEN_ARGS.join(' ')}`, detail: listen.code ?? listen.message });
      if (!listen || listen instanceof Error) absent.push('backlog');
    }
    const privileged = this.ctx.euid === 0;
    if (lsof && !(lsof instanceof Error)) {
      const parsed = parseLsofFields(lsof.stdout.toString('utf8'));
      issues.push(...parsed.issues);
      rows = joinNetstatLsof(rows, parsed.sockets.filter((s) => protocols.includes(s.protocol)));
    } else if (lsof instanceof Error) {
      issues.push({ kind: 'tool-error', subject: 'lsof', detail: lsof.code ?? lsof.message });
      // Without lsof: netstat's pid only, no fds, no users.
      absent.push('fd', 'uid', 'user');
    }
    const listeners = new Set<string>();
    for (const s of rows) if (s.protocol === 'tcp' && s.state === 'LISTEN') listeners.add(`${s.localPort} ${isWildcard(s.localAddress) ? '*' : plain(s.localAddress)}`);
    const sockets: Socket[] = [];
    for (const s of rows) {
      if (opts.families && !opts.families.includes(s.family)) continue;
      if (opts.select && !opts.select(s)) continue;
      // netstat's pid on a TIME_WAIT row is the process that last used it, which has closed it: nobody holds it now.
      if (s.protocol === 'tcp' && s.state === 'TIME_WAIT') s.holders = [];
      if (opts.holders === false) { s.holders = []; s.unheldReason = 'unknown'; }
      else if (s.holders.length === 0) s.unheldReason = unheldOf(s, listeners, privileged);
      if (opts.pids && !s.holders.some((h) => opts.pids!.includes(h.pid))) continue;
      sockets.push(s);
    }
    return {
      takenAt, source: 'macos-netstat', backlogKnown, privileged,
      sockets, unreadableProcesses: 0, issues, absent,
    };
  }

  /** ps for the details; where ps cannot run, what netstat and lsof said of the pid's sockets. */
  async processInfo(pid: number): Promise<ProcessInfo | undefined> {
    try {
      return await psProcessInfo(this.exec, pid);
    } catch {
      const snap = await this.collect({ pids: [pid] });
      const h = snap.sockets.flatMap((s) => s.holders).find((x) => x.pid === pid);
      if (!h) return undefined;
      const info: ProcessInfo = {};
      if (h.name !== undefined) info.name = h.name;
      if (h.user !== undefined) info.user = h.user;
      if (h.uid !== undefined) info.uid = h.uid;
      return info;
    }
  }

  async findProcesses(name: string, exclude: readonly number[]): Promise<number[]> {
    try {
      return await psFindProcesses(this.exec, name, exclude);
    } catch {
      const want = foldName(name);
      const snap = await this.collect({});
      const pids = new Set<number>();
      for (const s of snap.sockets) for (const h of s.holders) if (h.name !== undefined && foldName(h.name) === want && !exclude.includes(h.pid)) pids.add(h.pid);
      return [...pids];
    }
  }
}

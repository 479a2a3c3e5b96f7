// sockscope's library front door: pick the collector for this platform once,
// hand back a Snapshot. No I/O of its own.
import type { CollectOptions, Collector, CollectorContext, ProcessInfo } from './collectors/collector.js';
import { LinuxCollector } from './collectors/linux.js';
import { LsofCollector } from './collectors/lsof.js';
import { replayExec } from './collectors/exec.js';
import { matches, matchesTable, narrowing, needsHolders, type Filter } from './model/filter.js';
import { annotatePublished } from './collectors/netns/published.js';
import type { Snapshot } from './model/snapshot.js';
import { detectHidepid, pidExists } from './collectors/procfs/hidepid.js';

export type { ProcessInfo } from './collectors/collector.js';

export type { Filter } from './model/filter.js';
export type { Snapshot, ScanIssue, SourceName, AbsentField } from './model/snapshot.js';
export type { Socket, Holder, Protocol, Family, SocketState, UnheldReason, SocketMemory, TimerKind, NetnsRef } from './model/socket.js';
export type { NetnsInfo } from './model/snapshot.js';
export type { CollectOptions, Collector, CollectorContext, SocketSource } from './collectors/collector.js';
export { SOCKET_STATES } from './model/socket.js';
export { LsofCollector, parseLsofFields, type Exec } from './collectors/lsof.js';
export { matches, matchesTable, isListening } from './model/filter.js';
export { sortSockets, SORT_KEYS, type SortKey } from './model/sort.js';
export { watch, PollingSource, realClock, type WatchOptions, type WatchUpdate, type WatchStats, type WatchSource, type WatchClock } from './watch.js';
export { TrafficTracker, type TrafficUpdate, type SocketTraffic, type ProcessTraffic, type GroupTraffic, type TrafficSum } from './traffic.js';
export type { SnapshotDiff, SocketChange, ChangeField } from './model/diff.js';
export type { TickQuery, TickStats } from './collectors/live.js';

/** Options of {@link listSockets}. */
export interface ListOptions extends Omit<CollectOptions, 'select'> {
  /** Which sockets to keep; applied before holders are resolved where it can be. */
  filter?: Filter;
  /** Root of the proc file system (default: `SOCKSCOPE_PROC_ROOT` or `/proc`). */
  procRoot?: string;
  /** passwd file used to name users (default: `SOCKSCOPE_PASSWD` or /etc/passwd). */
  passwdPath?: string;
}

/** Platforms whose recorded output the replay test seam may stand in for. */
const REPLAYABLE: readonly NodeJS.Platform[] = ['linux', 'darwin', 'win32', 'freebsd', 'openbsd', 'netbsd'];

/**
 * The platform whose collector is used: the running one. TEST SEAM: only when
 * SOCKSCOPE_EXEC_REPLAY names a directory of recorded command output (see
 * collectors/exec.ts replayExec) does SOCKSCOPE_PLATFORM choose another, so a
 * stray SOCKSCOPE_PLATFORM alone changes nothing; the CLI says on stderr when
 * the seam is on.
 */
export function currentPlatform(): NodeJS.Platform {
  const p = process.env['SOCKSCOPE_PLATFORM'];
  if (process.env['SOCKSCOPE_EXEC_REPLAY'] && p) {
    if (!(REPLAYABLE as readonly string[]).includes(p)) throw new Error(`SOCKSCOPE_PLATFORM=${p}: not one of ${REPLAYABLE.join(', ')}`);
    return p as NodeJS.Platform;
  }
  return process.platform;
}

/** The collector context for this process, with overrides. */
export function defaultContext(over: Partial<CollectorContext> = {}): CollectorContext {
  const replay = process.env['SOCKSCOPE_EXEC_REPLAY'];
  const ctx: CollectorContext = {
    procRoot: over.procRoot ?? process.env['SOCKSCOPE_PROC_ROOT'] ?? '/proc',
    passwdPath: over.passwdPath ?? process.env['SOCKSCOPE_PASSWD'] ?? '/etc/passwd',
    euid: over.euid ?? (typeof process.geteuid === 'function' ? process.geteuid() : -1),
    now: over.now ?? Date.now,
  };
  const exec = over.exec ?? (replay ? replayExec(replay, process.env['SOCKSCOPE_REPLAY_CORPUS']) : undefined);
  if (exec) ctx.exec = exec;
  return ctx;
}

/** A collector whose module is loaded on first use: Linux start-up does not pay for the other platforms' parsers. */
function lazyCollector(name: string, load: () => Promise<Collector>): Collector {
  let c: Promise<Collector> | undefined;
  const get = (): Promise<Collector> => (c ??= load());
  return {
    name,
    collect: async (o) => (await get()).collect(o),
    processInfo: async (pid) => (await get()).processInfo(pid),
    findProcesses: async (n, exclude) => (await get()).findProcesses(n, exclude),
  };
}

/**
 * The collector for the platform (chosen here, once): netlink and /proc on
 * Linux, netstat with lsof on macOS, netstat.exe with tasklist on Windows,
 * lsof on the BSDs. Throws on a platform sockscope cannot read.
 */
export function collectorFor(ctx: CollectorContext, platform: NodeJS.Platform = currentPlatform()): Collector {
  switch (platform) {
    case 'linux': return new LinuxCollector(ctx);
    case 'darwin': return lazyCollector('macos', async () => new (await import('./collectors/macos.js')).MacosCollector(ctx));
    case 'win32': return lazyCollector('windows', async () => new (await import('./collectors/windows.js')).WindowsCollector(ctx));
    // lsof -F reads the same on the BSDs (tested on Linux and through macOS recordings only).
    case 'freebsd': case 'openbsd': case 'netbsd': return new LsofCollector(ctx, ctx.exec);
    default: throw new Error(`sockscope cannot read sockets on ${platform} (Linux, macOS, Windows and the BSDs); paste another tool's output instead`);
  }
}

/**
 * Every TCP and UDP socket of this machine, in every network namespace it can
 * read (Linux: each socket's `netns`; `snapshot.namespaces` lists the
 * namespaces read, the host's first, with why one could not be read), with
 * every process and file descriptor that holds it, whatever namespace that
 * process is in. `filter.netns` ('host', a name, an inode, 'pid:N') reads
 * fewer namespaces.
 *
 * @example
 *   const snap = await listSockets({ filter: { listening: true } });
 *   for (const s of snap.sockets) console.log(s.localPort, s.holders.map((h) => h.name));
 */
export async function listSockets(options: ListOptions = {}): Promise<Snapshot> {
  const ctx = defaultContext({ procRoot: options.procRoot, passwdPath: options.passwdPath });
  const { filter, procRoot: _p, passwdPath: _w, ...collect } = options;
  // lsof is a source of its own (any platform that has lsof), not a mode of the Linux collector.
  const collector = collect.source === 'lsof' ? new LsofCollector(ctx, ctx.exec) : collectorFor(ctx);
  const tableFilter = filter?.netns ? { ...filter, netns: undefined } : undefined;
  const snap = await collector.collect({
    ...collect,
    protocols: collect.protocols ?? filter?.protocols,
    families: collect.families ?? filter?.families,
    // The namespaces asked for are the only ones read: the table filter need not check them again (and cannot resolve pid:N).
    netns: collect.netns ?? filter?.netns,
    select: filter ? (filter.netns ? (s) => matchesTable(tableFilter!, s) : (s) => matchesTable(filter, s)) : undefined,
    narrow: filter ? narrowing(filter) : undefined,
  });
  // Host listeners held for containers (docker-proxy, rootlessport, conmon): what they lead to (before --container
  // filters). Linux only: the runtimes' records are read under the proc root.
  if (collect.source !== 'lsof' && collector.name === 'linux') annotatePublished(snap.sockets, ctx.procRoot);
  if (filter && needsHolders(filter)) snap.sockets = snap.sockets.filter((s) => matches(tableFilter ?? filter, s));
  return snap;
}

/**
 * Name, command line and user of a process (what the platform's collector can
 * tell); undefined when no such process is visible.
 */
export async function processInfo(pid: number, options: Pick<ListOptions, 'procRoot' | 'passwdPath'> = {}): Promise<ProcessInfo | undefined> {
  return collectorFor(defaultContext(options)).processInfo(pid);
}

/**
 * When `pid` is not visible under the proc root but exists, hidden from us by a
 * hidepid mount: that mount option ("hidepid=2", ...). Undefined otherwise.
 */
export function hiddenProcess(pid: number, options: Pick<ListOptions, 'procRoot'> = {}): string | undefined {
  // hidepid is a Linux /proc mount option.
  if (currentPlatform() !== 'linux') return undefined;
  const ctx = defaultContext(options);
  const hp = detectHidepid(ctx.procRoot, ctx.euid);
  // Only a real proc mount has mount options; its pids are this pid namespace's.
  return hp?.hides && pidExists(pid) ? hp.option : undefined;
}

/** The hidepid option of the proc root when it hides other users' processes from us. */
export function hidepidOption(options: Pick<ListOptions, 'procRoot'> = {}): string | undefined {
  if (currentPlatform() !== 'linux') return undefined;
  const ctx = defaultContext(options);
  const hp = detectHidepid(ctx.procRoot, ctx.euid);
  return hp?.hides ? hp.option : undefined;
}

/** Pids of the processes named `name`, or whose command line contains it (ourselves and our parent excluded). */
export async function findProcessIds(name: string, options: Pick<ListOptions, 'procRoot'> = {}): Promise<number[]> {
  return collectorFor(defaultContext(options)).findProcesses(name, [process.pid, process.ppid]);
}

// doctor's pure engine (diagnose, thresholds, kinds) is the subpath 'sockscope/doctor':
// re-exported here it would be loaded by every command of the CLI, which imports this file.
export type { DoctorReport, DoctorSample, Finding, FindingKind, FindingProcess, Severity, Thresholds } from './doctor/types.js';
export type { DoctorOptions } from './doctor/run.js';
export type { HostFacts } from './explain/ports.js';

/**
 * Check this machine's sockets for trouble (what `sockscope doctor` does):
 * looks over `durationSeconds` (default: two looks one second apart), then
 * the findings, worst first, and the checks that could not run with the
 * reason. Its code is loaded on the first call, so the library's start-up
 * does not pay for it.
 *
 * @example
 *   const report = await runDoctor({ durationSeconds: 5, thresholds: { 'close-wait-count': 50 } });
 *   for (const f of report.findings) console.log(f.severity, f.kind, f.subject, f.evidence);
 */
export async function runDoctor(options: import('./doctor/run.js').DoctorOptions = {}): Promise<import('./doctor/types.js').DoctorReport> {
  const { runDoctor: run } = await import('./doctor/run.js');
  return run(options);
}

export type { ExporterOptions, RunningExporter } from './exporter/serve.js';
export type { ExporterLimits } from './exporter/series.js';

/**
 * Serve this host's sockets as Prometheus metrics over HTTP (what `sockscope
 * exporter` does; metrics and limits in docs/metrics.md), on 127.0.0.1:9977
 * unless told otherwise. Its code, and prom-client, are loaded on the first
 * call. Rejects when the address cannot be bound.
 *
 * @example
 *   const exporter = await startExporter({ port: 9977, limits: { topProcesses: 20 } });
 *   console.log('metrics at', exporter.url);
 *   process.on('SIGTERM', () => void exporter.close());
 */
export async function startExporter(options: import('./exporter/serve.js').ExporterOptions = {}): Promise<import('./exporter/serve.js').RunningExporter> {
  const { startExporter: start } = await import('./exporter/serve.js');
  return start(options);
}

/**
 * Serve this machine's sockets as a live page (what `sockscope web` does; the
 * API is docs/web.md). Resolves once listening, with the address that opens
 * the page (token included). Its code is loaded on the first call.
 *
 * @example
 *   const web = await startWeb({ port: 0 });
 *   console.log(web.url);
 *   process.on('SIGTERM', () => void web.close());
 */
export async function startWeb(options: import('./web/server.js').WebOptions = {}): Promise<import('./web/server.js').RunningWeb> {
  const { startWeb: start } = await import('./web/server.js');
  return start(options);
}

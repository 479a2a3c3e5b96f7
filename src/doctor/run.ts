// `sockscope doctor` as a library call: successive looks at this machine
// through the library's watch() (the live collector, TIME_WAIT included), the
// kernel's TCP counters with each look, the fd use of the processes holding
// sockets after the last one, then diagnose(). Time and stopping are injected
// as watch() takes them.
import type { Collector } from '../collectors/collector.js';
import { readHostFacts } from '../collectors/procfs/host.js';
import type { HostFacts } from '../explain/ports.js';
import { defaultContext } from '../index.js';
import type { Snapshot } from '../model/snapshot.js';
import { watch, type WatchClock, type WatchSource } from '../watch.js';
import { diagnose, middleSockets, skippedChecks, type DoctorHost } from './diagnose.js';
import { holderPids, readCounters, readFdUse, readReservedPorts } from './sample.js';
import { withDefaults } from './thresholds.js';
import type { DoctorReport, DoctorSample, Thresholds } from './types.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /**
   * Seconds the check lasts, from the first look to the last (default 1). 0
   * takes one look: the checks that need two (growth, queues that do not
   * drain, rising counters) are then skipped and say so.
   */
  durationSeconds?: number;
  /** Seconds between looks (default 1; never more than the duration). */
  intervalSeconds?: number;
  /** Overrides of DEFAULT_THRESHOLDS, by name. */
  thresholds?: Partial<Thresholds>;
  /** Root of the proc file system (default: `SOCKSCOPE_PROC_ROOT` or /proc). */
  procRoot?: string;
  passwdPath?: string;
  /** Socket source of the default collector ('auto': netlink, else /proc/net). */
  sourceName?: 'auto' | 'netlink' | 'proc';
  /** Another source of looks (a test's script, a recorded tree's collector); default: the live collector. */
  source?: WatchSource | Collector;
  /** Host facts to judge by (default: read from the proc root, reserved ports included). */
  host?: DoctorHost;
  clock?: WatchClock;
  /** Stops the check early; what was seen so far is diagnosed. */
  signal?: AbortSignal;
  /** Called after each look (n from 1 to `of`), e.g. to show progress. */
  onLook?: (n: number, of: number) => void;
}

/** The looks a check takes: the first at once, then one every interval until the duration is covered. */
export function plannedLooks(durationSeconds: number, intervalSeconds: number): { looks: number; intervalSeconds: number } {
  if (!(durationSeconds > 0)) return { looks: 1, intervalSeconds: Math.max(intervalSeconds, 0.1) };
  const interval = Math.min(intervalSeconds, durationSeconds);
  return { looks: Math.ceil(durationSeconds / interval - 1e-9) + 1, intervalSeconds: interval };
}

/** The report, and the last snapshot (its scan issues: what the CLI notes besides the skipped checks). */
export async function collectDoctor(options: DoctorOptions = {}): Promise<{ report: DoctorReport; snapshot: Snapshot | undefined }> {
  const ctx = defaultContext({ procRoot: options.procRoot, passwdPath: options.passwdPath });
  const plan = plannedLooks(options.durationSeconds ?? 1, options.intervalSeconds ?? 1);
  const samples: DoctorSample[] = [];
  let snapshot: Snapshot | undefined;
  for await (const u of watch({
    source: options.source, sourceName: options.sourceName, context: ctx, clock: options.clock, signal: options.signal,
    intervalSeconds: plan.intervalSeconds,
    // Our own network namespace only: the counters, the ephemeral range and what
    // "exposed" means are that namespace's (other namespaces have their own).
    filter: { all: true, netns: ['self'] },
  })) {
    // The counters are read right after the table, so that the two describe the same moment.
    const sample: DoctorSample = { at: u.snapshot.takenAt, sockets: u.snapshot.sockets, counters: readCounters(ctx.procRoot) };
    if (samples.length >= 2) {
      const prev = samples[samples.length - 1]!;
      // Between the first look and the last, diagnose() reads only these: a long check stays small.
      prev.sockets = middleSockets(prev.sockets);
    }
    samples.push(sample);
    snapshot = u.snapshot;
    options.onLook?.(samples.length, plan.looks);
    if (samples.length >= plan.looks) break;
  }
  const host: DoctorHost = options.host ?? { ...readHostFacts(ctx.procRoot), reservedPorts: readReservedPorts(ctx.procRoot) };
  const thresholds = withDefaults(options.thresholds);
  const last = samples[samples.length - 1];
  if (last) {
    const errors = new Map<number, string>();
    last.fds = readFdUse(holderPids(last.sockets), ctx.procRoot, errors);
    last.fdErrors = errors;
  }
  const report: DoctorReport = {
    findings: diagnose(samples, host, thresholds),
    samples: samples.length,
    spanMs: last ? last.at - samples[0]!.at : 0,
    host,
    thresholds,
    skipped: skippedChecks(samples, host, thresholds),
  };
  return { report, snapshot };
}

/**
 * Check this machine's sockets for trouble: looks over `durationSeconds`
 * (default: two looks one second apart), then the findings, worst first,
 * and the checks that could not run with the reason.
 *
 * @example
 *   const report = await runDoctor({ durationSeconds: 5 });
 *   for (const f of report.findings) console.log(f.severity, f.kind, f.subject, f.evidence);
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  return (await collectDoctor(options)).report;
}

// sockscope doctor: look at this machine for a while, then say what is wrong
// with its sockets, why, and what to do. Exit 0 healthy (info findings
// allowed), 1 when any finding is a warning or worse, 2 on a usage error.
import { msg } from '../../explain/i18n.js';
import { collectDoctor } from '../../doctor/run.js';
import { doctorJson, renderDoctorTable, skippedNotes } from '../../doctor/render.js';
import { THRESHOLD_SPECS, parseThreshold } from '../../doctor/thresholds.js';
import type { Thresholds } from '../../doctor/types.js';
import { UsageError, didYouMean, nearest, parseArgs, type Parsed, secondsOption } from '../args.js';
import { note, reportHidden, type Io } from '../common.js';

const DOCTOR_SPECS = [
  { name: 'duration', value: true },
  { name: 'interval', value: true },
  { name: 'threshold', value: true, repeat: true },
  { name: 'json' },
  { name: 'help', short: 'h' },
];


/** The --threshold overrides; the first bad one is a usage error naming it. */
export function thresholdsFrom(p: Parsed): Partial<Thresholds> {
  const out: Partial<Thresholds> = {};
  for (const text of p.values.get('threshold') ?? []) {
    const r = parseThreshold(text);
    if (r.ok) {
      out[r.name] = r.value;
      continue;
    }
    const names = Object.keys(THRESHOLD_SPECS);
    if (r.error === 'syntax') throw new UsageError('doctor.err.threshold-syntax', { text });
    if (r.error === 'unknown-name') throw new UsageError('doctor.err.threshold-name', { name: r.name!, hint: didYouMean(nearest(r.name!, names)), names: names.join(', ') });
    const spec = r.spec!;
    throw new UsageError('doctor.err.threshold-value', {
      name: r.name!, value: r.value!, min: spec.min, max: spec.max === Number.MAX_SAFE_INTEGER ? '∞' : spec.max,
      kind: { key: spec.integer ? 'doctor.err.threshold-kind.integer' : 'doctor.err.threshold-kind.number' },
    });
  }
  return out;
}

export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, DOCTOR_SPECS);
  const L = io.global.lang;
  if (p.flags.has('help')) {
    await io.stdout.line(msg(L, 'help.doctor'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError('doctor.err.args', { arg: p.positionals[0]! });
  const source = io.global.source;
  if (source === 'lsof') throw new UsageError('err.source-lsof-live');
  const duration = secondsOption(p, 'duration', 1, 0, 86400);
  const interval = secondsOption(p, 'interval', 1, 0.1, 3600);
  const thresholds = thresholdsFrom(p);
  const json = p.flags.has('json');
  // Ctrl-C ends the check early: what was seen so far is still diagnosed.
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { report, snapshot } = await collectDoctor({
      durationSeconds: duration, intervalSeconds: interval, thresholds, procRoot: io.global.procRoot,
      sourceName: source, signal: stopper.signal,
    });
    if (json) await io.stdout.write(doctorJson(report, L));
    else await renderDoctorTable(report, io.stdout, { lang: L, color: io.global.color, width: io.global.width });
    await io.stdout.flush();
    // What could not be checked, and what the scan could not see: notes on stderr, in every format.
    for (const n of skippedNotes(report, L)) note(io, `sockscope: ${n}`);
    if (snapshot) reportHidden(io, snapshot);
    return report.findings.some((f) => f.severity !== 'info') ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

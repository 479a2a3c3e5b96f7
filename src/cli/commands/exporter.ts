// sockscope exporter: this host's sockets as Prometheus metrics over HTTP.
// Loaded only when the command runs, and with it prom-client: no other
// command pays for them at start-up.
import { parseArgs, UsageError, type Parsed, secondsOption } from '../args.js';
import { listenReason, type Io } from '../common.js';
import { thresholdsFrom } from './doctor.js';
import { msg, type Lang } from '../../explain/i18n.js';
import { safeText } from '../../views/safe-text.js';
import { DEFAULT_LISTEN, isPublic, parseListen } from '../../exporter/listen.js';
import { DEFAULT_LIMITS, MAX_LIMIT, type ExporterLimits } from '../../exporter/series.js';
import { startExporter, type RunningExporter } from '../../exporter/serve.js';

const EXPORTER_SPECS = [
  { name: 'listen', value: true },
  { name: 'top-processes', value: true },
  { name: 'top-listeners', value: true },
  { name: 'top-destinations', value: true },
  { name: 'window', value: true },
  { name: 'rescan', value: true },
  { name: 'threshold', value: true, repeat: true },
  { name: 'help', short: 'h' },
];

function count(p: Parsed, name: string, fallback: number): number {
  const v = p.values.get(name)?.[0];
  if (v === undefined) return fallback;
  if (!/^\d{1,6}$/.test(v) || Number(v) > MAX_LIMIT) throw new UsageError('exporter.err.top', { name, text: v, max: MAX_LIMIT });
  return Number(v);
}



export async function exporterCommand(argv: string[], io: Io): Promise<number> {
  const L = io.global.lang;
  const p = parseArgs(argv, EXPORTER_SPECS);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(L, 'help.exporter'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError('exporter.err.args', { arg: p.positionals[0]! });
  // lsof gives one whole look per run; each scrape is a tick of the kernel's live tables.
  const source = io.global.source;
  if (source === 'lsof') throw new UsageError('exporter.err.source-lsof');
  const address = parseListen(p.values.get('listen')?.[0] ?? DEFAULT_LISTEN);
  const limits: ExporterLimits = {
    topProcesses: count(p, 'top-processes', DEFAULT_LIMITS.topProcesses),
    topListeners: count(p, 'top-listeners', DEFAULT_LIMITS.topListeners),
    topDestinations: count(p, 'top-destinations', DEFAULT_LIMITS.topDestinations),
  };
  const windowSeconds = secondsOption(p, 'window', 60, 1, 86400);
  const rescan = secondsOption(p, 'rescan', 60, 1, 86400);
  // The same overrides as `sockscope doctor --threshold`, so that the gauges and the command agree.
  const thresholds = thresholdsFrom(p);

  let lastError = '';
  let running: RunningExporter;
  try {
    running = await startExporter({
      host: address.host, port: address.port, limits, windowSeconds, rescanSeconds: rescan, thresholds,
      procRoot: io.global.procRoot, sourceName: source, lang: L,
      onScrapeError: (e) => {
        // Said once per distinct reason: a failure that repeats every scrape would flood the log.
        const reason = safeText((e as Error).message ?? String(e));
        if (reason !== lastError) io.stderr(msg(L, 'exporter.scrape-failed', { reason }));
        lastError = reason;
      },
    });
  } catch (e) {
    io.stderr(msg(L, 'exporter.listen-failed', { address: address.display, reason: listenReason(L, e as NodeJS.ErrnoException, 'exporter') }));
    return 3;
  }
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    io.stderr(msg(L, 'exporter.serving', { address: address.display, series: running.worstCaseSeries }));
    if (isPublic(address.host)) io.stderr(msg(L, 'exporter.public', { address: address.display }));
    if (!stopper.signal.aborted) await new Promise<void>((resolve) => stopper.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await running.close();
  }
  return 0;
}

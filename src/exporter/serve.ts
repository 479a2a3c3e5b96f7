// The exporter as a library call: the live collector, the doctor's samples,
// the registry and the HTTP server wired together and listening. The CLI
// (`sockscope exporter`) parses its flags, calls this and waits for a signal;
// a program can embed the same endpoint through the library's lazy
// startExporter().
import type { Server } from 'node:http';
import { defaultContext } from '../index.js';
import { LiveCollector } from '../collectors/live.js';
import { readHostFacts } from '../collectors/procfs/host.js';
import { diagnose, middleSockets } from '../doctor/diagnose.js';
import { readCounters, readFdUse, readReservedPorts } from '../doctor/sample.js';
import type { Thresholds } from '../doctor/types.js';
import { msg, type Lang, type MessageKey } from '../explain/i18n.js';
import { safeText } from '../views/safe-text.js';
import { MetricsRegistry } from './registry.js';
import { Scraper } from './scraper.js';
import { DEFAULT_LIMITS, worstCaseSeries, type ExporterLimits } from './series.js';
import { close, createExporterServer, listen } from './server.js';

/**
 * The pace the holder rotation assumes: Prometheus' default scrape interval.
 * Each scrape rereads this share of every process's fds (15 / rescanSeconds);
 * fds that changed are reread at once whatever the pace (live-holders.ts).
 */
const ASSUMED_SCRAPE_SECONDS = 15;

/** Options of {@link startExporter}. */
export interface ExporterOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 9977). */
  port?: number;
  /** The top-N cuts (defaults: 50 process names, 200 listeners, 10 destinations). */
  limits?: Partial<ExporterLimits>;
  /** Seconds of past scrapes the doctor's findings look at (default 60). */
  windowSeconds?: number;
  /** Every process's fds are reread at least this often, seconds, at a 15 s scrape interval (default 60). */
  rescanSeconds?: number;
  /** Overrides of doctor's thresholds, by name. */
  thresholds?: Partial<Thresholds>;
  /** Root of the proc file system (default: `SOCKSCOPE_PROC_ROOT` or /proc). */
  procRoot?: string;
  /** Socket source ('auto': netlink, else /proc/net). */
  sourceName?: 'auto' | 'netlink' | 'proc';
  /** Language of the HELP texts and the pages (default en). */
  lang?: Lang;
  /** Told about each failed scrape (the scrape answers 500). */
  onScrapeError?: (e: unknown) => void;
}

/** A running exporter. */
export interface RunningExporter {
  /** Where the metrics are: http://127.0.0.1:9977/metrics. */
  url: string;
  /** The most series one scrape can write with these limits (docs/metrics.md). */
  worstCaseSeries: number;
  server: Server;
  /** Stop listening, drop open connections, close the collector. */
  close(): Promise<void>;
}

/**
 * Serve this host's sockets as Prometheus metrics (docs/metrics.md).
 * Rejects with the system's error when the address cannot be bound
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL).
 */
export async function startExporter(o: ExporterOptions = {}): Promise<RunningExporter> {
  const L = o.lang ?? 'en';
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 9977;
  const limits: ExporterLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const thresholds = o.thresholds ?? {};
  const ctx = defaultContext({ procRoot: o.procRoot });
  const collector = new LiveCollector(ctx, {
    source: o.sourceName, intervalSeconds: ASSUMED_SCRAPE_SECONDS, fullEverySeconds: o.rescanSeconds ?? 60,
    // Our own network namespace only: the series carry no namespace label, and the
    // counters (/proc/net/snmp) are this namespace's.
    netns: ['self'],
  });
  const registry = new MetricsRegistry((name) => msg(L, `exporter.help.${name}` as MessageKey));
  const scraper = new Scraper({
    source: collector, registry, limits, windowSeconds: o.windowSeconds ?? 60,
    readCounters: () => readCounters(ctx.procRoot),
    readHost: () => ({ ...readHostFacts(ctx.procRoot), reservedPorts: readReservedPorts(ctx.procRoot) }),
    readFdUse: (pids) => readFdUse(pids, ctx.procRoot),
    diagnose: (samples, h) => diagnose(samples, h, thresholds),
    middleSockets,
  });
  const server = createExporterServer({
    scrape: () => scraper.scrape(),
    contentType: registry.contentType,
    pages: {
      index: msg(L, 'exporter.page'), notFound: msg(L, 'exporter.not-found'), method: msg(L, 'exporter.method'),
      failed: (reason) => msg(L, 'exporter.failed', { reason: safeText(reason) }),
    },
    onScrapeError: o.onScrapeError,
  });
  try {
    await listen(server, host, port);
  } catch (e) {
    collector.close();
    throw e;
  }
  // The first look reads every process's fds: taken now, so that the first scrape is as cheap as the next.
  scraper.scrape().catch(() => undefined);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    worstCaseSeries: worstCaseSeries(limits),
    server,
    close: async () => {
      await close(server);
      // A collection under way finishes before its netlink channel closes (bounded: a stop must not hang).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([scraper.idle(), new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
      clearTimeout(timer);
      collector.close();
    },
  };
}

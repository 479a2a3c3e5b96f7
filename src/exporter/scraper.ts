// One scrape: a tick of the live source (not a whole new collection), the
// kernel counters and host facts, the doctor's findings over the last
// --window seconds of scrapes, then the series into the registry. Scrapes
// that arrive while one is collecting share it: two Prometheus servers (or
// a retry) never make the machine pay twice at once.
import type { HostFacts } from '../explain/ports.js';
import type { WatchSource } from '../watch.js';
import type { DoctorSample, Finding } from '../doctor/types.js';
import type { Socket } from '../model/socket.js';
import { buildSeries, seriesCount, type ExporterLimits } from './series.js';
import type { MetricsRegistry } from './registry.js';

/** The doctor as the exporter uses it: findings from samples, oldest first (pure). */
export type Diagnose = (samples: DoctorSample[], host: HostFacts) => Finding[];

export interface ScraperOptions {
  source: WatchSource;
  registry: MetricsRegistry;
  limits: ExporterLimits;
  /** The namespace's TCP counters (ListenOverflows, ...); an empty map when unreadable. */
  readCounters: () => Map<string, number>;
  readHost: () => HostFacts;
  /** Open fds and limits of these pids (doctor's fd-limit finding); absent: not read. */
  readFdUse?: (pids: Iterable<number>) => DoctorSample['fds'];
  /** Absent: no doctor findings are exported. */
  diagnose?: Diagnose;
  /** Seconds of past scrapes the doctor sees (default 60). */
  windowSeconds?: number;
  /** Milliseconds since the epoch (the samples' clock). */
  now?: () => number;
}

/** What one scrape produced and cost. */
export interface ScrapeResult {
  text: string;
  series: number;
  sockets: number;
  /** Collection and series (tick, counters, doctor, building), ms. */
  wallMs: number;
  cpuMs: number;
  /** Writing the text, ms. */
  renderMs: number;
}

/** Most samples kept for the doctor, whatever the scrape rate: the window is thinned to this many. */
export const MAX_SAMPLES = 30;

export class Scraper {
  private inflight: Promise<ScrapeResult> | undefined;
  private scanErrors = 0;
  private samples: DoctorSample[] = [];

  constructor(private readonly o: ScraperOptions) {}

  /** Failed collections and reads so far. */
  get errors(): number {
    return this.scanErrors;
  }

  /** Samples the doctor would see now (oldest first). */
  get window(): readonly DoctorSample[] {
    return this.samples;
  }

  /** The metrics now; joins a scrape already under way. */
  scrape(): Promise<ScrapeResult> {
    if (!this.inflight) {
      this.inflight = this.run().finally(() => { this.inflight = undefined; });
    }
    return this.inflight;
  }

  private async run(): Promise<ScrapeResult> {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let snapshot;
    try {
      // Every state, TIME_WAIT included: sockets by state and ephemeral use count them.
      ({ snapshot } = await this.o.source.tick({}));
    } catch (e) {
      this.scanErrors++;
      throw e;
    }
    const counters = this.o.readCounters();
    if (counters.size === 0) this.scanErrors++;
    // Tables the collector could not read; a process's fd table is not one
    // (processes exit mid-scan all the time, and are counted apart).
    for (const i of snapshot.issues) if (i.kind === 'source-error' && !i.subject.endsWith('/fd')) this.scanErrors++;
    const host = this.o.readHost();
    const at = this.o.now ? this.o.now() : snapshot.takenAt;
    let findings: Finding[] | undefined;
    if (this.o.diagnose) {
      const sample: DoctorSample = { at, sockets: snapshot.sockets, counters };
      if (this.o.readFdUse) sample.fds = this.o.readFdUse(holderPids(snapshot.sockets));
      const window = this.keep(sample);
      try {
        findings = this.o.diagnose(window, host);
      } catch {
        // A diagnosis that fails leaves the findings out (absent, not zero) and says so in scan errors.
        this.scanErrors++;
      }
    }
    const c = process.cpuUsage(c0);
    const wallMs = performance.now() - t0;
    const cpuMs = (c.user + c.system) / 1000;
    const families = buildSeries({
      sockets: snapshot.sockets, backlogKnown: snapshot.backlogKnown, counters, host, findings,
      // This scrape's collection: tick, counters, doctor (writing the text comes after, and costs little).
      scrapeSeconds: wallMs / 1000,
      scrapeCpuSeconds: cpuMs / 1000,
      scanErrors: this.scanErrors, unreadableProcesses: snapshot.unreadableProcesses,
    }, this.o.limits);
    this.o.registry.update(families);
    const r0 = performance.now();
    const text = await this.o.registry.render();
    const renderMs = performance.now() - r0;
    return { text, series: seriesCount(families), sockets: snapshot.sockets.length, wallMs, cpuMs, renderMs };
  }

  /**
   * Add a sample to the doctor's window and return the window: samples of the
   * last windowSeconds, oldest first, thinned so that at most MAX_SAMPLES are
   * kept however often Prometheus scrapes (each holds a whole socket list).
   */
  private keep(sample: DoctorSample): DoctorSample[] {
    const windowMs = (this.o.windowSeconds ?? 60) * 1000;
    const from = sample.at - windowMs;
    this.samples = this.samples.filter((s) => s.at >= from && s.at <= sample.at);
    const spacing = windowMs / MAX_SAMPLES;
    const prev = this.samples[this.samples.length - 1];
    // The newest sample always goes in; the one before it stays only if far enough from its own predecessor.
    if (prev && this.samples.length >= 2 && prev.at - this.samples[this.samples.length - 2]!.at < spacing) this.samples.pop();
    this.samples.push(sample);
    while (this.samples.length > MAX_SAMPLES) this.samples.shift();
    return this.samples;
  }
}

/** Pids that hold at least one socket. */
function holderPids(sockets: readonly Socket[]): Set<number> {
  const pids = new Set<number>();
  for (const s of sockets) for (const h of s.holders) pids.add(h.pid);
  return pids;
}

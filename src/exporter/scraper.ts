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

/** Host facts as the doctor reads them (HostFacts, and the ports reserved from the ephemeral range). */
export type ScrapeHost = HostFacts & { reservedPorts?: [number, number][] };

/** The doctor as the exporter uses it: findings from samples, oldest first (pure). */
export type Diagnose = (samples: DoctorSample[], host: ScrapeHost) => Finding[];

/**
 * What diagnose() reads of a sample between the first and the last (doctor's
 * middleSockets()); absent: the whole table.
 */
export type MiddleSockets = (sockets: readonly Socket[]) => Socket[];

export interface ScraperOptions {
  source: WatchSource;
  registry: MetricsRegistry;
  limits: ExporterLimits;
  /** The namespace's TCP counters (ListenOverflows, ...); an empty map when unreadable. */
  readCounters: () => Map<string, number>;
  readHost: () => ScrapeHost;
  /** Open fds and limits of these pids (doctor's fd-limit finding); absent: not read. */
  readFdUse?: (pids: Iterable<number>) => DoctorSample['fds'];
  /** Absent: no doctor findings are exported. */
  diagnose?: Diagnose;
  middleSockets?: MiddleSockets;
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

/** A sample of the window, and what diagnose() needs of it while it is neither first nor last (made once). */
interface Kept {
  sample: DoctorSample;
  middle?: DoctorSample;
}

export class Scraper {
  private inflight: Promise<ScrapeResult> | undefined;
  private scanErrors = 0;
  private kept: Kept[] = [];

  constructor(private readonly o: ScraperOptions) {}

  /** Failed collections and reads so far. */
  get errors(): number {
    return this.scanErrors;
  }

  /** Times of the samples in the doctor's window now (oldest first). */
  get window(): number[] {
    return this.kept.map((k) => k.sample.at);
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
    // Tables the collector could not read. Not errors: a process's fd table
    // (processes exit mid-scan all the time, and are counted apart), and a
    // /proc/net table that does not exist (a kernel without IPv6), as the CLI judges them.
    for (const i of snapshot.issues) {
      if (i.kind === 'source-error' && !i.subject.endsWith('/fd') && !(i.detail === 'ENOENT' && /\/net\/(tcp|udp)6?$/.test(i.subject))) this.scanErrors++;
    }
    const host = this.o.readHost();
    const at = this.o.now ? this.o.now() : snapshot.takenAt;
    let findings: Finding[] | undefined;
    if (this.o.diagnose) {
      const sample: DoctorSample = { at, sockets: snapshot.sockets, counters };
      // fd use is judged on the newest sample only: read for it alone.
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
   * Add a sample to the doctor's window and return what diagnose() is given:
   * the samples of the last windowSeconds, oldest first, thinned so that at
   * most MAX_SAMPLES are kept however often Prometheus scrapes. The first
   * and the last are whole (growth compares them); those between carry only
   * what diagnose() reads of them. Each kept sample keeps its whole table,
   * since it may become the first: arrays of the same socket objects (the
   * live collector reuses what did not change), not copies of them.
   */
  private keep(sample: DoctorSample): DoctorSample[] {
    const windowMs = (this.o.windowSeconds ?? 60) * 1000;
    const from = sample.at - windowMs;
    this.kept = this.kept.filter((k) => k.sample.at >= from && k.sample.at <= sample.at);
    const spacing = windowMs / MAX_SAMPLES;
    const n = this.kept.length;
    // The newest sample always goes in; the one before it stays only if far enough from its own predecessor.
    if (n >= 2 && this.kept[n - 1]!.sample.at - this.kept[n - 2]!.sample.at < spacing) this.kept.pop();
    const prev = this.kept[this.kept.length - 1];
    if (prev) delete prev.sample.fds;
    this.kept.push({ sample });
    while (this.kept.length > MAX_SAMPLES) this.kept.shift();
    const last = this.kept.length - 1;
    return this.kept.map((k, i) => {
      if (i === 0 || i === last || !this.o.middleSockets) return k.sample;
      k.middle ??= { ...k.sample, sockets: this.o.middleSockets(k.sample.sockets) };
      return k.middle;
    });
  }
}

/** Pids that hold at least one socket. */
function holderPids(sockets: readonly Socket[]): Set<number> {
  const pids = new Set<number>();
  for (const s of sockets) for (const h of s.holders) pids.add(h.pid);
  return pids;
}

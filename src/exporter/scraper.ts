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

/** A sample of the window; `whole` when it keeps its whole socket table (it may become the first). */
interface Kept {
  sample: DoctorSample;
  whole: boolean;
}

/** Whole samples ("anchors") are kept one per window / ANCHORS: the window's first sample is one of them. */
export const ANCHORS = 4;

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

  /** Resolves when no scrape is under way (at once when none is), never rejects. */
  async idle(): Promise<void> {
    await this.inflight?.catch(() => undefined);
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
   * Add a sample to the doctor's window and return it, oldest first, as
   * diagnose() takes it. The first and the last sample are whole (growth
   * compares them); those between carry only what diagnose() reads of them
   * (doctor's middleSockets()), reduced once when they stop being the newest.
   * A whole table is a list of the socket objects of its tick, and a busy
   * host changes most of them every tick (queues, timers), so only a few are
   * kept whole: one every window / ANCHORS seconds. The window begins at the
   * oldest of those still inside the last windowSeconds (so it spans between
   * 3/4 of the window and all of it); at most MAX_SAMPLES are kept however
   * often Prometheus scrapes.
   */
  private keep(sample: DoctorSample): DoctorSample[] {
    const windowMs = (this.o.windowSeconds ?? 60) * 1000;
    const reduce = this.o.middleSockets;
    const prev = this.kept[this.kept.length - 1];
    if (prev) {
      // fd use is judged on the newest sample only.
      delete prev.sample.fds;
      let anchor: Kept | undefined;
      for (let i = this.kept.length - 2; i >= 0 && !anchor; i--) if (this.kept[i]!.whole) anchor = this.kept[i];
      if (reduce && anchor && prev.sample.at - anchor.sample.at < windowMs / ANCHORS) {
        const before = this.kept[this.kept.length - 2]!;
        if (!before.whole && prev.sample.at - before.sample.at < windowMs / MAX_SAMPLES) {
          // Too close to the middle sample before it to say anything new.
          this.kept.pop();
        } else {
          prev.sample = { ...prev.sample, sockets: reduce(prev.sample.sockets) };
          prev.whole = false;
        }
      }
    }
    this.kept.push({ sample, whole: true });
    const from = sample.at - windowMs;
    this.kept = this.kept.filter((k) => k.sample.at >= from && k.sample.at <= sample.at);
    while (this.kept.length > 1 && !this.kept[0]!.whole) this.kept.shift();
    // A bound whatever the clock does: drop the middle sample nearest to the
    // one before it (a reduced one rather than an anchor), so the rest stay spread.
    while (this.kept.length > MAX_SAMPLES) {
      let drop = -1;
      for (const wholeToo of [false, true]) {
        let gap = Infinity;
        for (let i = 1; i < this.kept.length - 1; i++) {
          const k = this.kept[i]!;
          if (k.whole && !wholeToo) continue;
          const g = k.sample.at - this.kept[i - 1]!.sample.at;
          if (g < gap) { gap = g; drop = i; }
        }
        if (drop > 0) break;
      }
      this.kept.splice(drop, 1);
    }
    return this.kept.map((k) => k.sample);
  }
}

/** Pids that hold at least one socket. */
function holderPids(sockets: readonly Socket[]): Set<number> {
  const pids = new Set<number>();
  for (const s of sockets) for (const h of s.holders) pids.add(h.pid);
  return pids;
}

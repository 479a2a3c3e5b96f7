// The series of series.ts written in Prometheus' text format by prom-client,
// through a Registry of our own (never prom-client's global one, so that a
// program embedding the library keeps its own metrics apart).
//
// prom-client keeps metrics as objects that are set, not as a function of
// the data; each scrape resets every metric and sets the scrape's series.
// A metric whose value is unknown this scrape (counters unreadable, backlogs
// not visible) leaves the registry: an absent series says "unknown", a 0
// would be a false value.
import { Counter, Gauge, Registry } from 'prom-client';
import { METRICS, METRIC_NAMES, type MetricFamily, type MetricName } from './series.js';

export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly metrics = new Map<MetricName, Gauge<string> | Counter<string>>();
  private readonly present = new Set<MetricName>();

  /** `help` gives each metric's HELP text. */
  constructor(help: (name: MetricName) => string) {
    for (const name of METRIC_NAMES) {
      const spec = METRICS[name];
      const config = { name, help: help(name), labelNames: [...spec.labelNames], registers: [] };
      this.metrics.set(name, spec.type === 'counter' ? new Counter(config) : new Gauge(config));
    }
  }

  /** Replace every series with these. */
  update(families: readonly MetricFamily[]): void {
    for (const f of families) {
      const m = this.metrics.get(f.name)!;
      m.reset();
      if (f.series.length === 0) {
        // prom-client would print a label-less metric as 0 even when never set,
        // and a labelled one as a HELP line with nothing under it.
        if (this.present.delete(f.name)) this.registry.removeSingleMetric(f.name);
        continue;
      }
      for (const s of f.series) {
        if (m instanceof Counter) m.inc(s.labels, s.value);
        else m.set(s.labels, s.value);
      }
      if (!this.present.has(f.name)) {
        this.registry.registerMetric(m);
        this.present.add(f.name);
      }
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text a scrape answers with. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

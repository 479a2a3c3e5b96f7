// Lab runs started from the page: one at a time, each a `sockscope lab`
// experiment run straight through (runLab with auto), its terminal output
// discarded and its events (src/lab/events.ts) kept for the page's stream.
// Observations carry sockets: they go out as rows (escaped), never raw.
import { randomBytes } from 'node:crypto';
import { msg, type Lang } from '../explain/i18n.js';
import type { LabEvent } from '../lab/events.js';
import { EXPERIMENTS, experiment } from '../lab/experiments/index.js';
import { labOrder, runLab } from '../lab/runner.js';
import { safeText } from '../views/safe-text.js';
import { Sink } from '../views/sink.js';
import { toRow, type Row } from './rows.js';

export type { WebLabEvent } from './api.js';
import type { WebLabEvent } from './api.js';

export interface LabRun {
  id: string;
  experiment: string;
  events: WebLabEvent[];
  finished: boolean;
  listeners: Set<(e: WebLabEvent) => void>;
}

/** Events kept per run (a run has a few hundred at most; the bound guards the memory). */
const MAX_EVENTS = 5000;
/** A finished run can still be streamed this long. */
const KEEP_MS = 10 * 60 * 1000;

export function experimentList(lang: Lang): { name: string; title: string }[] {
  return EXPERIMENTS.map((e) => ({ name: e.name, title: msg(lang, e.make().summary) }));
}

/** Escape every text of an event that may hold another process's words. */
export function webEvent(e: LabEvent, lang: Lang): WebLabEvent {
  switch (e.type) {
    case 'observation':
      return { type: 'observation', index: e.index, sockets: labOrder(e.sockets).map((s, i) => toRow(-(i + 1), s, 0, { lang })) };
    case 'say':
    case 'explain':
      return { ...e, text: safeText(e.text) };
    case 'step':
      return { ...e, title: safeText(e.title) };
    case 'expectation':
      return { ...e, expected: safeText(e.expected), seen: safeText(e.seen) };
    case 'done':
      return e.stopped === undefined ? e : { ...e, stopped: safeText(e.stopped) };
    default:
      return e;
  }
}

export class LabRuns {
  private current: LabRun | undefined;
  private readonly runs = new Map<string, LabRun>();
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly o: { source?: 'auto' | 'netlink' | 'proc'; procRoot?: string }) {}

  /** Start an experiment; 'busy' while another runs, 'unknown' for a name that is none. */
  start(name: string, lang: Lang): LabRun | 'busy' | 'unknown' {
    if (this.current && !this.current.finished) return 'busy';
    const exp = experiment(name);
    if (!exp) return 'unknown';
    const run: LabRun = { id: randomBytes(9).toString('base64url'), experiment: name, events: [], finished: false, listeners: new Set() };
    this.current = run;
    this.runs.set(run.id, run);
    const emit = (e: WebLabEvent): void => {
      if (run.events.length < MAX_EVENTS) run.events.push(e);
      for (const l of run.listeners) l(e);
    };
    // The terminal's text goes nowhere: the page draws from the events.
    const sink = new Sink({ write: () => true });
    this.running = runLab(exp, {
      lang, sink, auto: true, signal: this.stopper.signal, source: this.o.source, procRoot: this.o.procRoot,
      onEvent: (e) => emit(webEvent(e, lang)),
    }).then((r) => {
      emit({ type: 'end', ok: r.ok, aborted: r.aborted });
    }, (e: unknown) => {
      emit({ type: 'done', ok: false, checked: 0, failures: 0, stopped: safeText(e instanceof Error ? e.message : String(e)) });
      emit({ type: 'end', ok: false, aborted: false });
    }).finally(() => {
      run.finished = true;
      run.listeners.clear();
      const timer = setTimeout(() => this.runs.delete(run.id), KEEP_MS);
      timer.unref();
    });
    return run;
  }

  get(id: string): LabRun | undefined {
    return this.runs.get(id);
  }

  /** Stop a run under way (its children are stopped and checked by the runner) and wait for it. */
  async close(): Promise<void> {
    this.stopper.abort();
    await this.running?.catch(() => undefined);
  }
}

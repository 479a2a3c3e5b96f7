// The timeline: sockets opened and closed per second, and sockets by state,
// over the last ten minutes (the server's history, then one point per look).
// Dragging across either chart brushes a time range: the map and the table
// then show only the sockets first seen in it ("who opened that burst?").
//
// uPlot draws the charts: canvas, ~50 KB minified, MIT, built for streaming
// time series (600 points × 14 series redraw in well under a millisecond) and
// with drag-to-select built in.
import uPlot from 'uplot';
import { el } from './dom.js';
import { clock, num, t } from './i18n.js';
import { STATES, stateColor } from './states.js';
import type { HistoryPoint, TickEvent } from './types.js';

const KEEP_MS = 10 * 60 * 1000;

export class TimelineView {
  private times: number[] = [];
  private opened: number[] = [];
  private closed: number[] = [];
  private byState: Record<string, number[]> = Object.fromEntries(STATES.map((s) => [s, []]));
  private rates: uPlot | undefined;
  private states: uPlot | undefined;
  private readonly ratesBox: HTMLElement;
  private readonly statesBox: HTMLElement;
  private interval = 1;
  private range: [number, number] | undefined;
  private visible = false;
  private dirty = false;

  constructor(container: HTMLElement, private readonly onBrush: (from: number | undefined, to: number | undefined) => void) {
    this.ratesBox = el('div', { class: 'chart', id: 'chart-rates' });
    this.statesBox = el('div', { class: 'chart', id: 'chart-states' });
    container.append(
      el('h3', { 'data-i18n': 'web.timeline.rates' }), this.ratesBox,
      el('h3', { 'data-i18n': 'web.timeline.states' }), this.statesBox,
    );
    new ResizeObserver(() => this.resize()).observe(container);
  }

  setInterval(s: number): void {
    this.interval = s > 0 ? s : 1;
  }

  history(points: HistoryPoint[]): void {
    this.times = [];
    this.opened = [];
    this.closed = [];
    for (const s of STATES) this.byState[s] = [];
    for (const p of points) this.push(p);
    this.redraw();
  }

  tick(p: TickEvent): void {
    this.push(p);
    this.redraw();
  }

  private push(p: HistoryPoint): void {
    const ts = p.t / 1000;
    // A reconnect replays the history: never go back in time.
    if (this.times.length && ts <= this.times[this.times.length - 1]!) return;
    this.times.push(ts);
    this.opened.push(p.opened / this.interval);
    this.closed.push(p.closed / this.interval);
    for (const s of STATES) this.byState[s]!.push(p.byState[s] ?? 0);
    const cut = (p.t - KEEP_MS) / 1000;
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! < cut) drop++;
    if (drop) {
      this.times.splice(0, drop);
      this.opened.splice(0, drop);
      this.closed.splice(0, drop);
      for (const s of STATES) this.byState[s]!.splice(0, drop);
    }
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      if (!this.rates) this.create();
      this.resize();
      if (this.dirty) this.redraw();
    }
  }

  relabel(): void {
    // Series names are drawn by uPlot from its options: build the charts anew.
    this.rates?.destroy();
    this.states?.destroy();
    this.rates = this.states = undefined;
    if (this.visible) this.show(true);
  }

  /** The brushed range as the page shows it elsewhere; undefined when none. */
  setRange(range: [number, number] | undefined): void {
    this.range = range;
    this.rates?.redraw(false, false);
    this.states?.redraw(false, false);
  }

  private size(box: HTMLElement): { width: number; height: number } {
    return { width: Math.max(300, box.clientWidth), height: 220 };
  }

  private resize(): void {
    if (!this.visible) return;
    if (this.rates) this.rates.setSize(this.size(this.ratesBox));
    if (this.states) this.states.setSize(this.size(this.statesBox));
  }

  private options(series: uPlot.Series[], box: HTMLElement): uPlot.Options {
    return {
      ...this.size(box),
      series: [{ value: (_u, v) => (v == null ? '' : clock(v * 1000)) }, ...series],
      axes: [
        // Whole seconds at least (the data has one point per look), labels far enough apart to read.
        { stroke: '#9aa3ad', grid: { stroke: '#2a2f36' }, ticks: { stroke: '#2a2f36' }, space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
          values: (_u, vals) => vals.map((v) => clock(v * 1000)) },
        { stroke: '#9aa3ad', grid: { stroke: '#2a2f36' }, ticks: { stroke: '#2a2f36' }, values: (_u, vals) => vals.map((v) => num(v)) },
      ],
      scales: { x: { time: true } },
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'sockscope-timeline' } },
      legend: { live: true },
      hooks: {
        setSelect: [(u) => this.selected(u)],
        // The brushed range, drawn behind the lines of both charts.
        drawClear: [(u) => this.drawRange(u)],
      },
    };
  }

  private create(): void {
    const line = (label: string, color: string, extra: Partial<uPlot.Series> = {}): uPlot.Series =>
      ({ label, stroke: color, width: 1.5, points: { show: false }, value: (_u, v) => (v == null ? '' : num(Math.round(v * 10) / 10)), ...extra });
    this.rates = new uPlot(this.options([
      line(t('web.timeline.opened'), '#27c46b', { fill: 'rgba(39,196,107,0.12)' }),
      line(t('web.timeline.closed'), '#e0483b', { fill: 'rgba(224,72,59,0.10)' }),
    ], this.ratesBox), [[], [], []], this.ratesBox);
    this.states = new uPlot(this.options(STATES.map((s) => line(s, stateColor(s))), this.statesBox), [[], ...STATES.map(() => [])], this.statesBox);
    this.redraw();
  }

  private redraw(): void {
    if (!this.visible || !this.rates || !this.states) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    this.rates.setData([this.times, this.opened, this.closed]);
    this.states.setData([this.times, ...STATES.map((s) => this.byState[s]!)]);
    // The time span drawn (ms), for whoever needs to turn a time into a place on the chart (the browser tests).
    const x = this.rates.scales['x'];
    if (x?.min != null && x.max != null) {
      for (const box of [this.ratesBox, this.statesBox]) {
        box.dataset['xmin'] = String(Math.round(x.min * 1000));
        box.dataset['xmax'] = String(Math.round(x.max * 1000));
      }
    }
  }

  private selected(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 3) return;
    const from = Math.floor(u.posToVal(left, 'x') * 1000);
    const to = Math.ceil(u.posToVal(left + width, 'x') * 1000);
    // The native selection box goes; the range is drawn by drawRange in both charts.
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.onBrush(from, to);
  }

  private drawRange(u: uPlot): void {
    if (!this.range) return;
    const ctx = u.ctx;
    const x0 = u.valToPos(this.range[0] / 1000, 'x', true);
    const x1 = u.valToPos(this.range[1] / 1000, 'x', true);
    const { top, height, left, width } = u.bbox;
    const a = Math.max(left, Math.min(x0, x1));
    const b = Math.min(left + width, Math.max(x0, x1));
    if (b <= a) return;
    ctx.save();
    ctx.fillStyle = 'rgba(120,160,255,0.18)';
    ctx.fillRect(a, top, b - a, height);
    ctx.strokeStyle = 'rgba(120,160,255,0.8)';
    ctx.strokeRect(a, top, b - a, height);
    ctx.restore();
  }
}

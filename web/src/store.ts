// What every view shares: the filter text and the time range (brush), and the
// live stream of the server fed with them. A change of either reconnects the
// stream (the server aggregates the map for the filtered sockets) and tells
// the views, which refetch what they show.
import { HttpError, rows, stream, withQuery } from './api.js';
import type { HistoryPoint, MapEvent, TickEvent } from './types.js';

export interface Query {
  filter: string;
  from?: number;
  to?: number;
}

export interface StreamHandlers {
  hello(d: { takenAt: number; interval: number }): void;
  history(d: HistoryPoint[]): void;
  tick(d: TickEvent): void;
  map(d: MapEvent): void;
  rows(d: { version: number; total: number }): void;
  filterError(message: string | undefined): void;
  connection(s: 'open' | 'lost'): void;
}

export class Store {
  query: Query = { filter: '' };
  private close: (() => void) | undefined;
  private readonly queryListeners: ((q: Query) => void)[] = [];

  constructor(private readonly h: StreamHandlers) {}

  onQuery(f: (q: Query) => void): void {
    this.queryListeners.push(f);
  }

  setFilter(text: string): void {
    if (text === this.query.filter) return;
    this.query = { ...this.query, filter: text };
    this.changed();
  }

  setRange(from: number | undefined, to: number | undefined): void {
    if (from === this.query.from && to === this.query.to) return;
    this.query = { ...this.query, from, to };
    this.changed();
  }

  private changed(): void {
    this.connect();
    for (const f of this.queryListeners) f(this.query);
  }

  private retry: ReturnType<typeof setTimeout> | undefined;

  connect(): void {
    this.close?.();
    clearTimeout(this.retry);
    const q = this.query;
    this.h.filterError(undefined);
    this.close = stream(withQuery('/api/stream', { filter: q.filter, from: q.from, to: q.to }), {
      hello: (d) => this.h.hello(d as { takenAt: number; interval: number }),
      history: (d) => this.h.history(d as HistoryPoint[]),
      tick: (d) => this.h.tick(d as TickEvent),
      map: (d) => this.h.map(d as MapEvent),
      rows: (d) => this.h.rows(d as { version: number; total: number }),
      error: (d) => this.h.filterError(String((d as { message?: unknown }).message ?? '')),
    }, (s) => {
      if (s !== 'closed') return this.h.connection(s);
      // The server refused the stream. Ask the rows endpoint why: a 400 names the
      // bad filter (shown under the box, the stream waits for a new one); anything
      // else is a lost connection, tried again shortly.
      rows({ ...q, sort: 'local', dir: 'asc' }, 0, 1).then(() => this.later(q), (e: unknown) => {
        if (q !== this.query) return;
        if (e instanceof HttpError && e.status === 400) this.h.filterError(e.detail);
        else this.later(q);
      });
      this.h.connection('lost');
    });
  }

  private later(q: Query): void {
    if (q !== this.query) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => { if (q === this.query) this.connect(); }, 2000);
  }
}

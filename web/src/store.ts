// What every view shares: the filter text and the time range (brush), and the
// live stream of the server fed with them. A change of either reconnects the
// stream (the server aggregates the map for the filtered sockets) and tells
// the views, which refetch what they show.
import { stream, withQuery } from './api.js';
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

  connect(): void {
    this.close?.();
    const q = this.query;
    this.h.filterError(undefined);
    this.close = stream(withQuery('/api/stream', { filter: q.filter, from: q.from, to: q.to }), {
      hello: (d) => this.h.hello(d as { takenAt: number; interval: number }),
      history: (d) => this.h.history(d as HistoryPoint[]),
      tick: (d) => this.h.tick(d as TickEvent),
      map: (d) => this.h.map(d as MapEvent),
      rows: (d) => this.h.rows(d as { version: number; total: number }),
      error: (d) => this.h.filterError(String((d as { message?: unknown }).message ?? '')),
    }, (s) => this.h.connection(s));
  }
}

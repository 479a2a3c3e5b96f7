// What every view shares: the filter text and the time range (brush), and the
// live stream of the server fed with them. A change of either reconnects the
// stream (the server aggregates the map for the filtered sockets) and tells
// the views, which refetch what they show.
import { HttpError, rows, stream, withQuery } from './api.js';
import type { HistoryPoint, MapDelta, MapEdge, MapEvent, MapNode, TickEvent } from './types.js';

export interface Query {
  filter: string;
  from?: number;
  to?: number;
}

export interface StreamHandlers {
  hello(d: { takenAt: number; interval: number; startedAt?: number }): void;
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
    // delta=1: after the first whole map, only what changed (a few hundred bytes a look instead of tens of KB).
    this.close = stream(withQuery('/api/stream', { filter: q.filter, from: q.from, to: q.to, delta: 1 }), {
      hello: (d) => this.h.hello(d as { takenAt: number; interval: number; startedAt?: number }),
      history: (d) => this.h.history(d as HistoryPoint[]),
      tick: (d) => this.h.tick(d as TickEvent),
      map: (d) => this.wholeMap(d as MapEvent),
      mapdelta: (d) => this.applyDelta(d as MapDelta),
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

  private nodes = new Map<string, MapNode>();
  private edges = new Map<string, MapEdge>();

  private wholeMap(m: MapEvent): void {
    this.nodes = new Map(m.nodes.map((n) => [n.id, n]));
    this.edges = new Map(m.edges.map((e) => [e.id, e]));
    this.h.map(m);
  }

  /** A delta applied to the last map gives the new one (docs/web.md, mapdelta). */
  private applyDelta(d: MapDelta): void {
    for (const id of d.removed.nodes) this.nodes.delete(id);
    for (const id of d.removed.edges) this.edges.delete(id);
    for (const n of d.nodes) this.nodes.set(n.id, n);
    for (const e of d.edges) this.edges.set(e.id, e);
    this.h.map({ nodes: [...this.nodes.values()], edges: [...this.edges.values()], changes: d.changes });
  }

  private later(q: Query): void {
    if (q !== this.query) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => { if (q === this.query) this.connect(); }, 2000);
  }
}

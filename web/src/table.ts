// The table: every socket with the `list` columns, sorted and filtered by the
// server. Virtualised: the scroller is as tall as all rows, but the page
// fetches (/api/rows) and draws only the rows in view plus a margin, from a
// small pool of row elements, so 100k sockets scroll like 100.
import * as api from './api.js';
import { el, replace } from './dom.js';
import { clock, lang, num, t } from './i18n.js';
import { stateColor } from './states.js';
import type { Query } from './store.js';
import type { Row } from './types.js';

const ROW_H = 24;
const PAGE = 100;
const OVERSCAN = 10;

interface Col {
  id: string;
  key: string;
  /** Sort key of the server (src/model/sort.ts), if sortable. */
  sort?: string;
  cell(r: Row): string;
  cls?: string;
}

const COLS: Col[] = [
  { id: 'proto', key: 'web.col.proto', sort: 'proto', cell: (r) => r.protocol },
  { id: 'local', key: 'web.col.local', sort: 'local', cell: (r) => r.local },
  { id: 'remote', key: 'web.col.remote', sort: 'remote', cell: (r) => r.remote },
  { id: 'state', key: 'web.col.state', sort: 'state', cell: (r) => r.state },
  { id: 'recvq', key: 'web.col.recvq', sort: 'recvq', cell: (r) => String(r.recvQ), cls: 'num' },
  { id: 'sendq', key: 'web.col.sendq', sort: 'sendq', cell: (r) => r.sendQ, cls: 'num' },
  { id: 'process', key: 'web.col.process', sort: 'process', cell: (r) => r.process },
  { id: 'where', key: 'web.col.where', cell: (r) => [r.container ?? r.unit, r.netns].filter(Boolean).join(' · ') },
  { id: 'seen', key: 'web.col.seen', cell: (r) => seenText(r.firstSeen) },
];

/** The server's first look: a socket "first seen" then was already there, for who knows how long. */
let startedAt = 0;
const seenText = (ms: number): string => (ms <= startedAt ? `≤ ${clock(ms)}` : clock(ms));

export class TableView {
  private readonly head: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly count: HTMLElement;
  private readonly detail: HTMLElement;
  private pool: HTMLElement[] = [];
  private pages = new Map<number, Row[]>();
  private pending = new Map<number, AbortController>();
  private total = 0;
  private version = -1;
  private query: Query = { filter: '' };
  private sort = 'local';
  private dir: 'asc' | 'desc' = 'asc';
  private selected: string | undefined;
  private drawQueued = false;
  private error: string | undefined;

  constructor(container: HTMLElement) {
    this.head = el('div', { class: 'thead', role: 'row' });
    this.spacer = el('div', { class: 'tspacer' });
    this.scroller = el('div', { class: 'tscroll', id: 'table-scroll', tabindex: 0 }, this.spacer);
    this.count = el('div', { class: 'tcount', id: 'table-count' });
    this.detail = el('aside', { class: 'detail', id: 'detail' });
    const main = el('div', { class: 'tmain', role: 'table' }, this.head, this.scroller, this.count);
    container.append(el('div', { class: 'tlayout' }, main, this.detail));
    this.scroller.addEventListener('scroll', () => this.queueDraw(), { passive: true });
    new ResizeObserver(() => this.queueDraw()).observe(this.scroller);
    this.renderHead();
    this.renderDetailEmpty();
  }

  setStartedAt(ms: number): void {
    startedAt = ms;
  }

  relabel(): void {
    this.renderHead();
    this.queueDraw();
    if (this.selected) void this.showDetail(this.selected);
    else this.renderDetailEmpty();
  }

  setQuery(q: Query): void {
    this.query = q;
    this.invalidate();
    this.scroller.scrollTop = 0;
    void this.refresh();
  }

  /** The server says the filtered rows changed (version, total). */
  changed(version: number, total: number): void {
    if (version === this.version && total === this.total) return;
    this.total = total;
    this.invalidate();
    this.version = version;
    this.queueDraw();
  }

  /** Fetch the first page to learn the total (on start and after a query change). */
  async refresh(): Promise<void> {
    await this.fetchPage(0);
    this.queueDraw();
  }

  private failed = new Set<number>();

  private invalidate(): void {
    for (const c of this.pending.values()) c.abort();
    this.pending.clear();
    this.failed.clear();
    this.error = undefined;
    // Keep showing the old rows until the new ones arrive (no flash of empty rows).
    this.stale = this.pages;
    this.pages = new Map();
  }

  private stale = new Map<number, Row[]>();

  private renderHead(): void {
    replace(this.head, ...COLS.map((c) => {
      const arrow = c.sort === this.sort ? (this.dir === 'asc' ? ' ▲' : ' ▼') : '';
      const b = el('button', { class: `th col-${c.id}`, type: 'button', 'data-col': c.id, disabled: !c.sort }, t(c.key) + arrow);
      if (c.sort) {
        b.addEventListener('click', () => {
          if (this.sort === c.sort) this.dir = this.dir === 'asc' ? 'desc' : 'asc';
          else {
            this.sort = c.sort!;
            // Queues: the largest first is what one looks for.
            this.dir = c.id === 'recvq' || c.id === 'sendq' ? 'desc' : 'asc';
          }
          this.renderHead();
          this.invalidate();
          void this.refresh();
        });
      }
      return b;
    }));
  }

  private queueDraw(): void {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      this.draw();
    });
  }

  private async fetchPage(page: number): Promise<void> {
    // A page the server refused (a bad filter) is not asked for again until the query or the table changes.
    if (this.pages.has(page) || this.pending.has(page) || this.failed.has(page)) return;
    const ctl = new AbortController();
    this.pending.set(page, ctl);
    const q = { filter: this.query.filter, from: this.query.from, to: this.query.to, sort: this.sort, dir: this.dir };
    try {
      const a = await api.rows(q, page * PAGE, PAGE, ctl.signal);
      if (ctl.signal.aborted) return;
      this.error = undefined;
      if (a.version !== this.version) {
        // A newer table than the pages we hold: drop them (they are refetched as drawn).
        if (a.version > this.version) {
          this.stale = this.pages.size ? this.pages : this.stale;
          this.pages = new Map();
          this.version = a.version;
        }
      }
      this.total = a.total;
      this.pages.set(page, a.rows);
    } catch (e) {
      if (ctl.signal.aborted) return;
      this.failed.add(page);
      this.error = e instanceof api.HttpError ? e.detail || `HTTP ${e.status}` : String(e);
    } finally {
      if (this.pending.get(page) === ctl) this.pending.delete(page);
    }
    this.queueDraw();
  }

  private draw(): void {
    this.spacer.style.height = `${this.total * ROW_H}px`;
    const top = this.scroller.scrollTop;
    const h = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.total, Math.ceil((top + h) / ROW_H) + OVERSCAN);
    const want = Math.max(0, last - first);
    while (this.pool.length < want) {
      const r = el('div', { class: 'trow', role: 'row' }, ...COLS.map((c) => el('span', { class: `td col-${c.id} ${c.cls ?? ''}` })));
      r.addEventListener('click', () => {
        const id = r.dataset['id'];
        if (id) {
          this.selected = id;
          for (const x of this.pool) x.classList.toggle('selected', x.dataset['id'] === id);
          void this.showDetail(id);
        }
      });
      this.pool.push(r);
      this.spacer.append(r);
    }
    for (let p = Math.floor(first / PAGE); p * PAGE < last; p++) void this.fetchPage(p);
    for (let i = 0; i < this.pool.length; i++) {
      const r = this.pool[i]!;
      const idx = first + i;
      if (i >= want) {
        r.hidden = true;
        continue;
      }
      const page = Math.floor(idx / PAGE);
      const row = (this.pages.get(page) ?? this.stale.get(page))?.[idx % PAGE];
      r.hidden = false;
      r.style.transform = `translateY(${idx * ROW_H}px)`;
      if (!row) {
        delete r.dataset['id'];
        r.classList.add('loading');
        r.classList.remove('selected');
        for (const c of r.children) c.textContent = '';
        continue;
      }
      r.classList.remove('loading');
      r.dataset['id'] = String(row.id);
      r.dataset['state'] = row.state;
      r.classList.toggle('selected', String(row.id) === this.selected);
      COLS.forEach((c, j) => {
        const cell = r.children[j] as HTMLElement;
        const text = c.cell(row);
        // textContent only: names and command lines are data, never markup.
        if (cell.textContent !== text) cell.textContent = text;
        if (c.id === 'state') cell.style.color = stateColor(row.state);
        if (c.id === 'process') cell.title = text;
      });
    }
    if (this.error) this.count.textContent = t('web.table.error', { message: this.error });
    else if (this.total === 0) this.count.textContent = t('web.table.empty');
    else {
      const shown = Math.min(this.total, Math.max(0, Math.ceil((top + h) / ROW_H)));
      this.count.textContent = t('web.table.count', { first: num(Math.min(this.total, Math.floor(top / ROW_H) + 1)), last: num(shown), total: num(this.total) });
    }
  }

  private renderDetailEmpty(): void {
    replace(this.detail, el('p', { class: 'hint' }, t('web.detail.none')));
  }

  private async showDetail(id: string): Promise<void> {
    const row = [...this.pages.values(), ...this.stale.values()].flat().find((r) => String(r.id) === id);
    replace(this.detail, el('p', { class: 'hint' }, t('web.detail.loading')));
    try {
      const x = await api.explain(id, lang());
      if (this.selected !== id) return;
      const facts: [string, string | undefined][] = row ? [
        [t('web.col.local'), row.local], [t('web.col.remote'), row.remote], [t('web.col.state'), row.state],
        [t('web.col.recvq'), String(row.recvQ)], [t('web.col.sendq'), row.sendQ],
        [t('web.col.where'), [row.container, row.unit, row.netns].filter(Boolean).join(' · ') || undefined],
        [t('web.col.seen'), seenText(row.firstSeen)],
      ] : [];
      // Holders: pid, name, fd, user and the command line, each as text.
      const holders = (row?.holders ?? []).map((h) => el('li', { class: 'holder' },
        el('div', { class: 'who' }, t('web.detail.holder', { pid: h.pid, name: h.name, fd: h.fd ?? '?', user: h.user ?? '?' })),
        h.command ? el('div', { class: 'command' }, h.command) : null,
        this.actions && h.startTicks !== undefined ? this.killButton(h.pid, h.startTicks, h.name) : null));
      replace(this.detail,
        el('h3', {}, x.title),
        el('dl', {}, ...facts.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v!)])),
        el('h4', {}, t('web.detail.holders')),
        holders.length ? el('ul', { class: 'holders' }, ...holders) : el('p', { class: 'hint' }, row?.process ?? ''),
        el('div', { class: 'explain' }, ...x.lines.map((l) => el('p', {}, l))),
        this.actions && row?.protocol.startsWith('tcp') && row.state !== 'LISTEN' ? this.closeButton(row) : null,
        el('p', { class: 'action-result', id: 'action-result', 'aria-live': 'polite' }),
        el('button', { type: 'button', class: 'link', id: 'detail-close' }, t('web.detail.close')));
      this.detail.querySelector('#detail-close')!.addEventListener('click', () => {
        this.selected = undefined;
        for (const r of this.pool) r.classList.remove('selected');
        this.renderDetailEmpty();
      });
    } catch (e) {
      if (this.selected !== id) return;
      const gone = e instanceof api.HttpError && e.status === 404;
      replace(this.detail, el('p', { class: 'hint' }, gone ? t('web.detail.gone') : t('web.table.error', { message: String(e instanceof api.HttpError ? e.detail || e.status : e) })));
    }
  }

  /** Whether the server was started with --allow-actions (kill and close buttons). */
  actions = false;

  /** Ask, then POST; the server re-checks the exact process (start time) or socket before acting. */
  private async act(question: string, path: string, body: unknown): Promise<void> {
    if (!window.confirm(question)) return;
    const out = this.detail.querySelector('#action-result');
    try {
      const r = await api.postJson<{ message?: string }>(path, body);
      if (out) out.textContent = r.message ?? t('web.action.done');
    } catch (e) {
      if (out) out.textContent = t('web.action.failed', { message: e instanceof api.HttpError ? e.detail || String(e.status) : String(e) });
    }
  }

  private killButton(pid: number, startTicks: number, name: string): HTMLElement {
    const b = el('button', { type: 'button', class: 'danger' }, t('web.action.kill', { pid }));
    b.addEventListener('click', () => void this.act(t('web.action.kill.confirm', { pid, name }), '/api/kill', { pid, startTicks, signal: 'SIGTERM', lang: lang() }));
    return b;
  }

  private closeButton(row: Row): HTMLElement {
    const b = el('button', { type: 'button', class: 'danger' }, t('web.action.close'));
    b.addEventListener('click', () => void this.act(t('web.action.close.confirm', { local: row.local, remote: row.remote }), '/api/close', { id: row.id, lang: lang() }));
    return b;
  }
}

// The page of `sockscope web`: asks the server for the session and the
// catalog, builds the four views, and feeds them from one live stream.
// Plain DOM (no framework): four views with a handful of controls need no
// component layer, and every text goes through textContent (see dom.ts).
import 'uplot/dist/uPlot.min.css';
import '../app.css';
import * as api from './api.js';
import { byId, el, replace } from './dom.js';
import { applyStatic, clock, has, lang, num, onLanguage, setCatalog, t } from './i18n.js';
import { LabView } from './lab.js';
import { MapView } from './map.js';
import { STATES, stateColor } from './states.js';
import { Store } from './store.js';
import { TableView } from './table.js';
import { TimelineView } from './timeline.js';
import type { Lang, Session } from './types.js';

type ViewName = 'map' | 'table' | 'timeline' | 'lab';
const VIEWS: ViewName[] = ['map', 'table', 'timeline', 'lab'];
const LANG_KEY = 'sockscope.lang';

async function loadLanguage(l: Lang): Promise<void> {
  const c = await api.catalog(l);
  setCatalog(c.lang, c.messages);
}

function fatal(text: string): void {
  const f = byId('fatal');
  f.hidden = false;
  f.textContent = text;
}

async function boot(): Promise<void> {
  let session: Session;
  try {
    session = await api.session();
  } catch (e) {
    // Without a catalog there is no translated text: say it in both languages.
    fatal(`sockscope: ${e instanceof Error ? e.message : String(e)} (reload the page with the URL sockscope web printed / 请用 sockscope web 打印的网址重新打开页面)`);
    return;
  }
  api.setCsrf(session.csrf);
  const saved = localStorage.getItem(LANG_KEY);
  const start: Lang = saved === 'en' || saved === 'zh-CN' ? saved : session.lang;
  await loadLanguage(start);
  const langSelect = byId<HTMLSelectElement>('lang');
  langSelect.value = start;

  byId('host').textContent = session.hostname;
  document.title = t('web.title', { host: session.hostname });

  const filterBox = byId<HTMLInputElement>('filter');
  const filterError = byId('filter-error');
  const conn = byId('conn');
  const stats = byId('stats');
  const rangeBox = byId('range');
  const rangeText = byId('range-text');

  let interval = session.interval;
  let lastTick: { total: number; wallMs: number; cpuMs: number } | undefined;
  let connState: 'connecting' | 'open' | 'lost' = 'connecting';
  const renderConn = (): void => {
    conn.textContent = t(`web.conn.${connState}`);
    conn.dataset['state'] = connState;
    stats.textContent = lastTick ? t('web.stats', { total: num(lastTick.total), wall: Math.round(lastTick.wallMs), cpu: Math.round(lastTick.cpuMs), interval }) : '';
  };

  const map = new MapView(byId('map'), (node) => {
    // Clicking the node already selected clears the filter (back to everything).
    const next = store.query.filter === node.filter ? '' : node.filter;
    filterBox.value = next;
    store.setFilter(next);
  });
  map.setHost(session.hostname);
  const table = new TableView(byId('view-table'));
  table.actions = session.allowActions;
  const timeline = new TimelineView(byId('view-timeline'), (from, to) => store.setRange(from, to));
  timeline.setInterval(interval);
  const lab = new LabView(byId('view-lab'), session);

  const store: Store = new Store({
    hello: (d) => {
      interval = d.interval;
      timeline.setInterval(d.interval);
      if (d.startedAt !== undefined) table.setStartedAt(d.startedAt);
    },
    history: (d) => timeline.history(d),
    tick: (d) => {
      lastTick = d;
      timeline.tick(d);
      renderConn();
    },
    map: (d) => map.update(d),
    rows: (d) => table.changed(d.version, d.total),
    filterError: (message) => {
      filterError.textContent = message === undefined ? '' : t('web.filter.error', { message });
      filterBox.classList.toggle('bad', message !== undefined);
    },
    connection: (s) => {
      connState = s;
      renderConn();
    },
  });

  const renderRange = (): void => {
    const { from, to } = store.query;
    rangeBox.hidden = from === undefined;
    if (from !== undefined && to !== undefined) rangeText.textContent = t('web.range', { from: clock(from), to: clock(to) });
    timeline.setRange(from !== undefined && to !== undefined ? [from, to] : undefined);
  };
  store.onQuery((q) => {
    map.setSelected(q.filter);
    table.setQuery(q);
    renderRange();
  });

  // The filter applies as one types (after a pause) and at once on Enter.
  let typing: ReturnType<typeof setTimeout> | undefined;
  filterBox.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => store.setFilter(filterBox.value.trim()), 400);
  });
  filterBox.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(typing);
      store.setFilter(filterBox.value.trim());
    }
  });
  byId('filter-clear').addEventListener('click', () => {
    filterBox.value = '';
    store.setFilter('');
  });
  byId('range-clear').addEventListener('click', () => store.setRange(undefined, undefined));

  const renderLegend = (): void => {
    const legend = byId('map-legend');
    replace(legend,
      ...STATES.filter((s) => s !== 'CLOSE').map((s) => {
        const swatch = el('span', { class: 'swatch' });
        swatch.style.background = stateColor(s);
        return el('span', { class: 'item', title: has(`state.${s}.what`) ? t(`state.${s}.what`) : s }, swatch, s);
      }),
      el('span', { class: 'item' }, el('span', { class: 'door-swatch scope-all' }), t('web.scope.all')),
      el('span', { class: 'item' }, el('span', { class: 'door-swatch scope-loopback' }), t('web.scope.loopback')),
      el('span', { class: 'item' }, el('span', { class: 'door-swatch scope-address' }), t('web.scope.address')));
  };

  // Views by the address's #fragment, so that a view can be linked (and tested) directly.
  const show = (): void => {
    const want = location.hash.slice(1) as ViewName;
    const v: ViewName = VIEWS.includes(want) ? want : 'map';
    for (const name of VIEWS) {
      byId(`view-${name}`).hidden = name !== v;
      const tab = byId(`tab-${name}`);
      tab.classList.toggle('active', name === v);
      tab.setAttribute('aria-selected', String(name === v));
    }
    // The lab has nothing to filter.
    byId('toolbar').classList.toggle('dim', v === 'lab');
    timeline.show(v === 'timeline');
    map.show(v === 'map');
    if (v === 'table') table.relabel();
  };
  window.addEventListener('hashchange', show);

  langSelect.addEventListener('change', () => {
    const l = langSelect.value === 'zh-CN' ? 'zh-CN' : 'en';
    localStorage.setItem(LANG_KEY, l);
    void loadLanguage(l).catch((e: unknown) => fatal(String(e)));
    // The experiments' titles come in the session's language.
    void api.getJson<Session>('/api/session', { lang: l }).then((s) => lab.setSession(s), () => undefined);
  });
  onLanguage(() => {
    document.title = t('web.title', { host: session.hostname });
    renderConn();
    renderRange();
    renderLegend();
    map.relabel();
    table.relabel();
    timeline.relabel();
    lab.relabel();
    byId('filter-error').textContent = '';
    document.body.dataset['lang'] = lang();
  });

  // The views made elements with data-i18n after the catalog first applied.
  applyStatic(document);
  renderLegend();
  renderConn();
  show();
  document.body.dataset['lang'] = lang();
  store.connect();
  void table.refresh();
  // For tests and people who look: the page is up and fed.
  document.body.dataset['ready'] = 'true';
}

void boot();

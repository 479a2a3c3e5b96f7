// The language switch: the page's texts come from the CLI's catalogs
// (/api/catalog); choosing 简体中文 changes every text of every view at once,
// the choice survives a reload, and no text is left as a bare catalog key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { catalog } from '../../src/explain/i18n.js';
import { openBrowser, openPage, screenshot, startWeb } from './helpers.js';

const zh = catalog('zh-CN') as Record<string, string>;
const en = catalog('en') as Record<string, string>;

interface Texts { tab: string; lab: string; hint: string; header: string; placeholder: string; detail: string; legend: string; host: string; lang: string }

async function texts(page: Page): Promise<Texts> {
  return page.evaluate(() => ({
    tab: document.querySelector('#tab-map')?.textContent ?? '',
    lab: document.querySelector('#tab-lab')?.textContent ?? '',
    hint: document.querySelector('#view-map .hint')?.textContent ?? '',
    header: document.querySelector('#view-table .th[data-col="local"]')?.textContent ?? '',
    placeholder: (document.querySelector('#filter') as HTMLInputElement | null)?.placeholder ?? '',
    detail: document.querySelector('#detail')?.textContent ?? '',
    legend: document.querySelector('#map-legend')?.textContent ?? '',
    host: document.querySelector('#map-svg .host-count')?.textContent ?? '',
    lang: document.documentElement.lang,
  }));
}

/** Text of the whole page, hidden views included, and the placeholders and tooltips. */
async function everything(page: Page): Promise<string> {
  return page.evaluate(() => [document.body.textContent ?? '',
    ...[...document.querySelectorAll('[placeholder],[title],[aria-label]')].map((e) =>
      [e.getAttribute('placeholder'), e.getAttribute('title'), e.getAttribute('aria-label')].join(' '))].join('\n'));
}

test('the language switch changes the texts of every view, and sticks', async (t) => {
  const server = await startWeb(t, ['--lang', 'en']);
  const b = await openBrowser(t, server.origin);
  await openPage(b, server, 'map');
  await b.page.waitForSelector('#map-svg g.node', { timeout: 20_000 });
  const before = await texts(b.page);
  assert.equal(before.tab, en['web.tab.map']);
  assert.equal(before.header.replace(/ [▲▼]$/, ''), en['web.col.local']);
  assert.equal(before.placeholder, en['web.filter.placeholder']);
  assert.equal(before.lang, 'en');

  await b.page.selectOption('#lang', 'zh-CN');
  await b.page.waitForFunction((want) => document.querySelector('#tab-map')?.textContent === want, zh['web.tab.map'], { timeout: 10_000 });
  const after = await texts(b.page);
  assert.equal(after.tab, '地图');
  assert.equal(after.lab, zh['web.tab.lab']);
  assert.equal(after.hint, zh['web.map.hint']);
  assert.equal(after.header.replace(/ [▲▼]$/, ''), zh['web.col.local']);
  assert.equal(after.placeholder, zh['web.filter.placeholder']);
  assert.equal(after.detail, zh['web.detail.none']);
  assert.ok(after.legend.includes(zh['web.scope.loopback']!), after.legend);
  assert.match(after.host, /个套接字/);
  assert.equal(after.lang, 'zh-CN');
  for (const k of Object.keys(before) as (keyof typeof before)[]) {
    if (k !== 'lang') assert.notEqual(after[k], before[k], `${k} did not change`);
  }
  // Every view, hidden or not: no key shown instead of its text, no English sentence left.
  await b.page.evaluate(() => { location.hash = 'timeline'; });
  await b.page.waitForSelector('#chart-rates .u-over', { timeout: 10_000 });
  const all = await everything(b.page);
  assert.doesNotMatch(all, /\bweb\.[a-z]+\.[a-z]/, 'a catalog key shown as text');
  assert.ok(!all.includes(en['web.timeline.rates']!) && all.includes(zh['web.timeline.rates']!));
  await screenshot(b.page, 'timeline-zh-CN');
  await b.page.evaluate(() => { location.hash = 'map'; });
  await screenshot(b.page, 'map-zh-CN');

  // A reload keeps the choice.
  await b.page.reload({ waitUntil: 'load' });
  await b.page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  assert.equal((await texts(b.page)).tab, '地图');
  assert.equal(await b.page.inputValue('#lang'), 'zh-CN');

  // And back.
  await b.page.selectOption('#lang', 'en');
  await b.page.waitForFunction(() => document.querySelector('#tab-map')?.textContent === 'Map', undefined, { timeout: 10_000 });
  assert.doesNotMatch(await everything(b.page), /\bweb\.[a-z]+\.[a-z]/);
  await screenshot(b.page, 'map-en');
  // The whole table in English, a row explained (in the language now chosen).
  await b.page.evaluate(() => { location.hash = 'table'; });
  await b.page.click('#table-scroll .trow[data-id]', { timeout: 10_000 });
  await b.page.waitForSelector('#detail .explain p', { timeout: 10_000 });
  assert.doesNotMatch((await b.page.textContent('#detail'))!, /[\u4e00-\u9fff]/, 'the explanation follows the language');
  await screenshot(b.page, 'table-en');
  assert.deepEqual(b.problems, []);
});

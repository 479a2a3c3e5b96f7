// The page as built (dist/web, scripts/build-web.mjs) and its texts, without a
// browser: every catalog key the page uses exists in English and Chinese and
// every web.* key is used; the HTML has no inline script or style (the CSP
// forbids them); the bundle never parses HTML from strings and names no other
// host (the page works offline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { catalog } from '../../src/explain/i18n.js';
import { ROOT } from '../helpers.js';

const WEB = join(ROOT, 'web');
const DIST = join(ROOT, 'dist', 'web');

function sources(): string {
  const src = join(WEB, 'src');
  return readdirSync(src).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(src, f), 'utf8')).join('\n')
    + readFileSync(join(WEB, 'index.html'), 'utf8');
}

/** Keys the page names literally ('web.x.y'), and the templates it fills in (`web.scope.${...}`). */
function usedKeys(text: string): { keys: Set<string>; prefixes: Set<string> } {
  const keys = new Set([...text.matchAll(/['"](web\.[a-z0-9.-]+[a-z0-9])['"]/g)].map((m) => m[1]!));
  const prefixes = new Set([...text.matchAll(/`(web\.[a-z0-9.-]*\.)\$\{/g)].map((m) => m[1]!));
  return { keys, prefixes };
}

test('every key the page uses is in both catalogs, and every web.* key is used', () => {
  const { keys, prefixes } = usedKeys(sources());
  assert.ok(keys.size > 60, `the page names its texts by key (${keys.size} found)`);
  for (const lang of ['en', 'zh-CN'] as const) {
    const c = catalog(lang) as Record<string, string>;
    for (const k of keys) assert.ok(k in c, `${k} missing from the ${lang} catalog`);
    for (const p of prefixes) assert.ok(Object.keys(c).some((k) => k.startsWith(p)), `no ${lang} key starts with ${p}`);
  }
  const unused = Object.keys(catalog('en')).filter((k) => k.startsWith('web.') && !keys.has(k) && ![...prefixes].some((p) => k.startsWith(p)));
  assert.deepEqual(unused, [], 'catalog keys the page never shows');
});

test('the built page: no inline script, style or handler; one script and one stylesheet from /assets', () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  assert.equal([...html.matchAll(/<script\b/g)].length, 1);
  assert.match(html, /<script src="\/assets\/app\.js" defer><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/assets\/app\.css">/);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=|javascript:/i);
  // Nothing from another host (fonts, scripts, images): the page works offline.
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
});

test('the bundle never turns strings into HTML and names no other host', () => {
  const js = readFileSync(join(DIST, 'app.js'), 'utf8');
  assert.ok(js.length > 20_000, 'the bundle is built');
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'DOMParser', 'createContextualFragment', 'eval(', 'new Function']) {
    assert.ok(!js.includes(sink), `app.js uses ${sink}`);
  }
  const hosts = [...js.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg');
  assert.deepEqual(hosts, [], 'URLs of other hosts in app.js');
  const css = readFileSync(join(DIST, 'app.css'), 'utf8');
  assert.doesNotMatch(css, /url\((?!data:)|@import/i, 'app.css loads nothing');
});

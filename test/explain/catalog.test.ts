// Every message exists in both languages, with the same placeholders, and no
// message is empty or left untranslated by accident.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LANGS, catalog, langFromEnv, msg, parseLang } from '../../src/explain/i18n.js';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

test('both catalogs have exactly the same keys', () => {
  const en = Object.keys(catalog('en')).sort();
  const zh = Object.keys(catalog('zh-CN')).sort();
  assert.deepEqual(zh.filter((k) => !en.includes(k)), [], 'keys only in zh-CN');
  assert.deepEqual(en.filter((k) => !zh.includes(k)), [], 'keys only in en');
  assert.ok(en.length > 200, `a real catalog (${en.length} keys)`);
});

test('same placeholders in both languages, no empty message', () => {
  const en = catalog('en');
  const zh = catalog('zh-CN');
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    assert.notEqual(en[key].trim(), '', `en ${key} is empty`);
    assert.notEqual(zh[key].trim(), '', `zh-CN ${key} is empty`);
    assert.deepEqual(placeholders(zh[key]), placeholders(en[key]), `placeholders of ${key}`);
  }
});

test('the Chinese catalog is Chinese where it says something', () => {
  const en = catalog('en');
  const zh = catalog('zh-CN');
  // Sentences (not headers or formats like "{pid}/{name}") must differ and contain CJK.
  // Real words only: placeholders and punctuation do not count.
  const words = (text: string): number => (text.replace(/\{\w+\}/g, '').match(/[A-Za-z]{2,}/g) ?? []).length;
  const sentences = (Object.keys(en) as (keyof typeof en)[]).filter((k) => words(en[k]) >= 5);
  assert.ok(sentences.length > 100);
  for (const k of sentences) assert.match(zh[k], /[\u4e00-\u9fff]/, `${k} is not translated`);
});

test('language choice: flag values and the environment', () => {
  assert.equal(parseLang('zh-CN'), 'zh-CN');
  assert.equal(parseLang('zh_cn'), 'zh-CN');
  assert.equal(parseLang('EN'), 'en');
  assert.equal(parseLang('fr'), undefined);
  assert.equal(langFromEnv({ LANG: 'zh_CN.UTF-8' }), 'zh-CN');
  assert.equal(langFromEnv({ LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }), 'en', 'LC_ALL wins');
  assert.equal(langFromEnv({ LC_MESSAGES: 'zh_CN', LANG: 'en_US.UTF-8' }), 'zh-CN', 'LC_MESSAGES before LANG');
  assert.equal(langFromEnv({ LANG: 'de_DE.UTF-8' }), 'en');
  assert.equal(langFromEnv({}), 'en');
  assert.deepEqual([...LANGS], ['en', 'zh-CN']);
  assert.equal(msg('en', 'overview.listening', { n: 3 }), 'Listening (3)');
  assert.equal(msg('zh-CN', 'overview.listening', { n: 3 }), '正在监听（3）');
});

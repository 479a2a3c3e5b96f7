// Message catalogs: every sentence sockscope says lives in messages/en.ts and
// messages/zh-CN.ts under the same keys (the zh-CN catalog is typed against the
// English one, and a test checks both directions at run time).
//
// At run time each language is read from the JSON the build writes from those
// modules (dist/data/messages.<lang>.json, scripts/gen-catalogs.mjs): one small
// JSON.parse for the language in use instead of compiling every catalog module.
import { readFileSync } from 'node:fs';
import type { en } from './messages/en.js';

export type MessageKey = keyof typeof en;
export type Catalog = Readonly<Record<MessageKey, string>>;
export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

const CATALOGS: Partial<Record<Lang, Catalog>> = {};

/** The catalog of a language, read once. */
export function catalog(lang: Lang): Catalog {
  let c = CATALOGS[lang];
  if (!c) {
    // dist/src/explain/ -> dist/data/
    c = JSON.parse(readFileSync(new URL(`../../data/messages.${lang}.json`, import.meta.url), 'utf8')) as Catalog;
    CATALOGS[lang] = c;
  }
  return c;
}

const CORES: Partial<Record<Lang, Readonly<Record<string, string>>>> = {};

/**
 * The part of a language's catalog that tables, notes and errors use
 * (scripts/gen-catalogs.mjs: every area but the long texts of the lab, help,
 * doctor, topics and the live commands), read once: a third of the bytes, so a
 * one-shot command parses less. msg() falls back to the whole catalog.
 */
export function coreCatalog(lang: Lang): Readonly<Record<string, string>> {
  const c: Readonly<Record<string, string>> | undefined = CATALOGS[lang] ?? CORES[lang];
  if (c) return c;
  // dist/src/explain/ -> dist/data/
  const core = JSON.parse(readFileSync(new URL(`../../data/messages.${lang}.core.json`, import.meta.url), 'utf8')) as Record<string, string>;
  CORES[lang] = core;
  return core;
}

function textOf(lang: Lang, key: MessageKey): string {
  return coreCatalog(lang)[key] ?? catalog(lang)[key];
}

/** Parse a user's --lang value: en, zh-CN (also zh, zh_CN, zh-Hans, any case); undefined if unknown. */
export function parseLang(text: string): Lang | undefined {
  const t = text.trim().toLowerCase().replace(/_/g, '-');
  if (t === 'en' || t.startsWith('en-')) return 'en';
  if (t === 'zh' || t === 'zh-cn' || t === 'zh-hans' || t === 'zh-sg' || t.startsWith('zh-hans-')) return 'zh-CN';
  return undefined;
}

/**
 * The language from the environment, as gettext reads it: LC_ALL, then
 * LC_MESSAGES, then LANG (e.g. "zh_CN.UTF-8"). Anything not Chinese is English.
 */
export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (v === 'C' || v === 'POSIX') return 'en';
    return parseLang(v.split('.')[0]!.split('@')[0]!) ?? 'en';
  }
  return 'en';
}

// Templates are split once into literal parts and placeholder names: a table
// of 100k rows formats a message per row, and a regex replace each time costs
// more than the rest of the row.
type Compiled = (string | { name: string })[];
const compiled: Record<Lang, Map<string, Compiled>> = { en: new Map(), 'zh-CN': new Map() };

function compile(text: string): Compiled {
  const parts: Compiled = [];
  let last = 0;
  for (const m of text.matchAll(/\{(\w+)\}/g)) {
    if (m.index! > last) parts.push(text.slice(last, m.index));
    parts.push({ name: m[1]! });
    last = m.index! + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** A message with its {placeholders} filled in. Unknown placeholders stay visible rather than vanish. */
export function msg(lang: Lang, key: MessageKey, params: Readonly<Record<string, string | number>> = {}): string {
  let parts = compiled[lang].get(key);
  if (!parts) {
    parts = compile(textOf(lang, key));
    compiled[lang].set(key, parts);
  }
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else out += p.name in params ? String(params[p.name]) : `{${p.name}}`;
  }
  return out;
}

/** A translator bound to one language. */
export type Translate = (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;

export function translator(lang: Lang): Translate {
  return (key, params) => msg(lang, key, params);
}

/** A message to be said later, in whichever language: a key and its parameters, which may nest. */
export interface MsgRef {
  key: MessageKey;
  params?: Readonly<Record<string, MsgParam>>;
}
export type MsgParam = string | number | MsgRef;

/** Render a message reference, nested references included, in one language. */
export function renderRef(lang: Lang, ref: MsgRef): string {
  const flat: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(ref.params ?? {})) flat[k] = typeof v === 'object' ? renderRef(lang, v) : v;
  return msg(lang, ref.key, flat);
}

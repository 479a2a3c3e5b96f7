// The page's texts: the catalog the server sends (/api/catalog, the CLI's own
// message catalogs, keys web.* and state.*), one language at a time. Static
// elements name their key in data-i18n (text), data-i18n-title (tooltip) or
// data-i18n-placeholder; views re-render themselves on a language change.
import type { Lang } from './types.js';

let messages: Record<string, string> = {};
let current: Lang = 'en';
const listeners: (() => void)[] = [];

export function lang(): Lang {
  return current;
}

export function setCatalog(l: Lang, m: Record<string, string>): void {
  current = l;
  messages = m;
  document.documentElement.lang = l;
  applyStatic(document);
  for (const f of listeners) f();
}

/** Call `f` after every language change. */
export function onLanguage(f: () => void): void {
  listeners.push(f);
}

/** A message with its {placeholders} filled; the key itself if the catalog lacks it (visible, never silent). */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = messages[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function has(key: string): boolean {
  return key in messages;
}

export function applyStatic(root: ParentNode): void {
  for (const e of root.querySelectorAll<HTMLElement>('[data-i18n]')) e.textContent = t(e.dataset['i18n']!);
  for (const e of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) e.title = t(e.dataset['i18nTitle']!);
  for (const e of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) e.placeholder = t(e.dataset['i18nPlaceholder']!);
  for (const e of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset['i18nLabel']!));
}

/** A number as this language writes it (thousands separators). */
export function num(n: number): string {
  return n.toLocaleString(current === 'zh-CN' ? 'zh-CN' : 'en-US');
}

/** A clock time (local) for ranges and the timeline. */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(current === 'zh-CN' ? 'zh-CN' : 'en-GB', { hour12: false });
}

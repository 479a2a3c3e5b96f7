// Build step: write each compiled message catalog as JSON (dist/data/messages.<lang>.json)
// so that the CLI reads the one language it needs at start-up instead of
// compiling every catalog module (about 10 ms of a 130 ms run).
// And the core of each (messages.<lang>.core.json): what one-shot commands'
// tables, notes and errors use (i18n.ts coreCatalog), every area but the long
// texts that only the lab, help, doctor, topics and the live commands show.
import { mkdirSync, writeFileSync } from 'node:fs';

const { en } = await import('../dist/src/explain/messages/en.js');
const { zhCN } = await import('../dist/src/explain/messages/zh-CN.js');
const dir = new URL('../dist/data/', import.meta.url);
mkdirSync(dir, { recursive: true });
const REST = new Set(['lab', 'help', 'doctor', 'topic', 'watch', 'web', 'webserver', 'exporter', 'trace', 'traffic']);
for (const [lang, cat] of [['en', en], ['zh-CN', zhCN]]) {
  writeFileSync(new URL(`messages.${lang}.json`, dir), JSON.stringify(cat));
  const core = Object.fromEntries(Object.entries(cat).filter(([k]) => !REST.has(k.split('.')[0])));
  writeFileSync(new URL(`messages.${lang}.core.json`, dir), JSON.stringify(core));
}
console.log(`catalogs: ${Object.keys(en).length} keys -> dist/data/messages.{en,zh-CN}.json (and .core.json)`);

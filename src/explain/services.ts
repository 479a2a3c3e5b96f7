// Service names of ports, for tables (`127.0.0.1:https` instead of
// `127.0.0.1:443`, unless -n). One source: IANA's registry, the same table
// the explanations use (explain/iana.ts), so a table and `explain` never
// name a port differently: scripts/gen-iana.mjs writes both files from it in
// one step, this one with the names only (~2 ms to load instead of ~6 ms).
// Loaded on the first lookup, never with -n; after that a lookup is one Map read.
import { readFileSync } from 'node:fs';
import type { Protocol } from '../model/socket.js';

const cache: Record<Protocol, Map<number, string | null>> = { tcp: new Map(), udp: new Map() };
type Names = Record<Protocol, Record<string, string>>;
let names: Names | null | undefined;

function lookup(port: number, protocol: Protocol): string | undefined {
  if (names === undefined) {
    try {
      // dist/src/explain/ -> dist/data/
      names = JSON.parse(readFileSync(new URL('../../data/iana-names.json', import.meta.url), 'utf8')) as Names;
    } catch {
      names = null; // a build without the registry names nothing
    }
  }
  return names ? names[protocol][String(port)] : undefined;
}

/** The registered service name of a port, if IANA lists one for this protocol. */
export function serviceName(port: number, protocol: Protocol): string | undefined {
  const m = cache[protocol];
  const hit = m.get(port);
  if (hit !== undefined) return hit ?? undefined;
  // Port 0 is reserved, not a service.
  const name = port === 0 ? undefined : lookup(port, protocol);
  m.set(port, name ?? null);
  return name;
}

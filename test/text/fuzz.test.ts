// Thousands of random and mutated inputs: parsePasted returns or throws PasteError, nothing else,
// in bounded time. Seeded, so a failure replays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasteError, parsePasted } from '../../src/collectors/text/index.js';
import { allFixtures, assertContract, fixture } from './helpers.js';

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = allFixtures().map(({ dir, scenario }) => fixture(dir, `${scenario}.txt`));
const SNIPPETS = ['TCP', 'tcp6', ':::*', '*.*', '[::1]:', '%lo', 'users:((', '",pid=', 'LISTEN', 'ABHÖREN', ' -> ', '->',
  '(LISTEN)', '0x', ':0', '\t', '\r\n', '\u0000', '\ufeff', '活动连接', '[svchost.exe]', 'process:pid', '(state)', 'IPv6', '99999999999'];

function mutate(rand: () => number): string | Buffer {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const kind = Math.floor(rand() * 6);
  if (kind === 0) return Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
  const base = pick(SAMPLES);
  if (kind === 1) return base.subarray(0, Math.floor(rand() * base.length)); // truncation, maybe mid-character
  const text = base.toString(rand() < 0.5 ? 'utf8' : 'latin1');
  const lines = text.split('\n');
  if (kind === 2) { // shuffle lines
    for (let i = lines.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; }
    return lines.join(rand() < 0.5 ? '\n' : '\r\n');
  }
  if (kind === 3) { // character edits
    const chars = [...text];
    const n = 1 + Math.floor(rand() * 20);
    for (let i = 0; i < n && chars.length > 0; i++) {
      const p = Math.floor(rand() * chars.length);
      const op = rand();
      if (op < 0.33) chars.splice(p, 1);
      else if (op < 0.66) chars.splice(p, 0, pick(SNIPPETS));
      else chars[p] = String.fromCharCode(Math.floor(rand() * 0x3000));
    }
    return chars.join('');
  }
  if (kind === 4) { // token swaps inside lines
    return lines.map((l) => {
      const t = l.split(/(\s+)/);
      if (t.length > 2 && rand() < 0.5) { const i = Math.floor(rand() * t.length); t[i] = pick(SNIPPETS); }
      return t.join('');
    }).join('\n');
  }
  // Lines of different formats mixed together.
  const other = pick(SAMPLES).toString('utf8').split('\n');
  return lines.flatMap((l, i) => (rand() < 0.3 ? [l, other[i % other.length]!] : [l])).join('\n');
}

test('fuzz: 4000 random inputs only ever throw PasteError, and rows keep the contract', () => {
  const rand = prng(0x5eed);
  const started = Date.now();
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < 4000; i++) {
    const input = mutate(rand);
    try {
      const r = parsePasted(input);
      const text = typeof input === 'string' ? input : input.toString('latin1');
      assertContract(r, text.split(/\r\n|\n|\r/).length + 1, `case ${i}`);
      parsed++;
    } catch (e) {
      if (e instanceof PasteError) { refused++; continue; }
      throw new Error(`case ${i}: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  const ms = Date.now() - started;
  assert.ok(ms < 10_000, `took ${ms} ms`);
  assert.ok(parsed > 1000 && refused > 100, `parsed ${parsed}, refused ${refused}`);
});

test('fuzz: one huge input (200k lines) parses in bounded time', () => {
  const line = 'tcp   ESTAB  0      0      127.0.0.1:41160  127.0.0.1:19090 users:(("python3",pid=437,fd=5))\n';
  const started = Date.now();
  const r = parsePasted(line.repeat(200_000));
  assert.equal(r.rows.length, 200_000);
  assert.ok(Date.now() - started < 10_000);
});

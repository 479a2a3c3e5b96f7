// The CLI starts fast because each command loads only its own code: the lab,
// doctor and the exporter (with prom-client) are read from disk only when their
// command runs. strace shows which files a real run opens. The CLI runs from
// the bundle (dist/cli/, scripts/build-cli.mjs) or, with SOCKSCOPE_BUNDLE=0,
// from the plain modules (dist/src/): both are checked. A chunk of the bundle
// stands for the source modules it holds (dist/cli/manifest.json, from
// esbuild's metafile), so a light command that pulled doctor code into one of
// its chunks fails here just as a plain import of it does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers.js';

type Mode = 'bundle' | 'plain';
const MODES: readonly Mode[] = ['bundle', 'plain'];

/** Which source modules each chunk of the bundle holds (paths relative to dist/). */
function manifest(): Record<string, string[]> {
  return JSON.parse(readFileSync(join(ROOT, 'dist', 'cli', 'manifest.json'), 'utf8')) as Record<string, string[]>;
}

/**
 * Files under the project that `sockscope <args>` opens, relative to the
 * project root, each chunk of the bundle followed by the dist/src/ modules it holds.
 */
function opened(args: string[], mode: Mode): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-strace-'));
  try {
    const out = join(dir, 'trace');
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,open', '-o', out, process.execPath, BIN, ...args],
      // Only the trace file is read: the command's own output is dropped (a busy machine's list is megabytes, past spawnSync's buffer).
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SOCKSCOPE_BUNDLE: mode === 'plain' ? '0' : '1' } });
    assert.equal(r.error, undefined, `strace could not run: ${r.error?.message}`);
    const chunks = manifest();
    const files = new Set<string>();
    for (const m of readFileSync(out, 'utf8').matchAll(/"([^"]+)"/g)) {
      if (!m[1]!.startsWith(ROOT)) continue;
      const f = m[1]!.slice(ROOT.length).replace(/^\//, '');
      files.add(f);
      const held = f.startsWith('dist/cli/') ? chunks[f.slice('dist/cli/'.length)] : undefined;
      for (const mod of held ?? []) files.add(`dist/${mod}`);
    }
    // The run must have been the one asked for: a missing or stale bundle runs the plain modules.
    const entry = mode === 'bundle' ? 'dist/cli/main.js' : 'dist/src/cli/main.js';
    assert.ok(files.has(entry), `${mode}: the trace did not see ${entry} load (${mode === 'bundle' ? 'bundle missing or older than dist/src: npm run build' : 'SOCKSCOPE_BUNDLE=0 ignored'}): ${[...files].slice(0, 8).join(', ')}`);
    if (mode === 'plain') assert.ok(![...files].some((f) => f.startsWith('dist/cli/')), `SOCKSCOPE_BUNDLE=0 still opened the bundle`);
    return [...files];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HEAVY = [/^dist\/src\/lab\//, /^dist\/src\/doctor\//, /^dist\/src\/exporter\//, /^node_modules\/prom-client\//, /^dist\/src\/web\//, /^dist\/web\//,
  /^dist\/src\/trace\//, /^dist\/src\/cli\/commands\/(trace|doctor|exporter|web|lab)\.js/, /^dist\/src\/collectors\/(windows|macos|ps)\.js$/];

for (const mode of MODES) {
  for (const args of [['list', '-n'], ['port', '1'], [], ['explain', 'TIME_WAIT'], ['--version']]) {
    test(`${mode}: sockscope ${args.join(' ') || '(overview)'} loads no lab, doctor, exporter, web or trace code`, () => {
      const files = opened(args, mode);
      const heavy = files.filter((f) => HEAVY.some((re) => re.test(f)));
      assert.deepEqual(heavy, [], `loaded without need: ${heavy.join(', ')}`);
    });
  }

  test(`${mode}: sockscope web --help loads the web command and no more than it needs`, () => {
    const files = opened(['web', '--help'], mode);
    assert.ok(files.includes('dist/src/cli/commands/web.js'), `web --help opened no web command: ${files.join(', ')}`);
    const other = files.filter((f) => /^dist\/src\/(exporter|doctor)\/|^node_modules\/prom-client\//.test(f));
    assert.deepEqual(other, [], `loaded without need: ${other.join(', ')}`);
  });

  test(`${mode}: the trace does see a command load its own code (the check above can fail)`, () => {
    const files = opened(['help', 'lab'], mode);
    assert.ok(files.some((f) => f.startsWith('dist/src/lab/')), `help lab opened no lab module: ${files.join(', ')}`);
  });

  test(`${mode}: sockscope trace loads its own code (src/trace) only when it runs`, () => {
    const files = opened(['trace', '--help'], mode);
    assert.ok(files.some((f) => f.startsWith('dist/src/trace/')), `trace --help opened no trace module: ${files.join(', ')}`);
  });
}

test('the bundle keeps the heavy commands in chunks of their own (a light chunk holding one would fail the tests above)', () => {
  const chunks = manifest();
  const heavyChunks = Object.entries(chunks).filter(([, mods]) => mods.some((m) => HEAVY.some((re) => re.test(`dist/${m}`))));
  for (const name of ['doctor', 'exporter', 'web', 'trace', 'lab']) {
    assert.ok(heavyChunks.some(([, mods]) => mods.includes(`src/cli/commands/${name}.js`)), `no chunk holds src/cli/commands/${name}.js`);
  }
  // The entry chunk, which every command runs, holds none of them.
  const main = chunks['main.js'] ?? [];
  assert.ok(main.includes('src/cli/main.js'), `main.js holds ${main.join(', ')}`);
  assert.deepEqual(main.filter((m) => HEAVY.some((re) => re.test(`dist/${m}`))), []);
});

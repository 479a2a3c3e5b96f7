// The CLI starts fast because each command loads only its own code: the lab,
// doctor and the exporter (with prom-client) are read from disk only when their
// command runs. strace shows which files a real run opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers.js';

/** Files under the project that `sockscope <args>` opens, relative to the project root. */
function opened(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-strace-'));
  try {
    const out = join(dir, 'trace');
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,open', '-o', out, process.execPath, BIN, ...args],
      // Only the trace file is read: the command's own output is dropped (a busy machine's list is megabytes, past spawnSync's buffer).
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'ignore', 'pipe'] });
    assert.equal(r.error, undefined, `strace could not run: ${r.error?.message}`);
    const files = new Set<string>();
    for (const m of readFileSync(out, 'utf8').matchAll(/"([^"]+)"/g)) {
      if (m[1]!.startsWith(ROOT)) files.add(m[1]!.slice(ROOT.length).replace(/^\//, ''));
    }
    return [...files];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HEAVY = [/^dist\/src\/lab\//, /^dist\/src\/doctor\//, /^dist\/src\/exporter\//, /^node_modules\/prom-client\//, /^dist\/src\/web\//, /^dist\/web\//,
  /^dist\/src\/trace\//, /^dist\/src\/cli\/commands\/trace\.js/, /^dist\/src\/collectors\/(windows|macos|ps)\.js$/];

for (const args of [['list', '-n'], ['port', '1'], [], ['explain', 'TIME_WAIT'], ['--version']]) {
  test(`sockscope ${args.join(' ') || '(overview)'} loads no lab, doctor, exporter, web or trace code`, () => {
    const files = opened(args);
    assert.ok(files.some((f) => f.startsWith('dist/src/cli/main.js')), `the trace saw the CLI start: ${files.slice(0, 5).join(', ')}`);
    const heavy = files.filter((f) => HEAVY.some((re) => re.test(f)));
    assert.deepEqual(heavy, [], `loaded without need: ${heavy.join(', ')}`);
  });
}

test('sockscope web --help loads the web command and no more than it needs', () => {
  const files = opened(['web', '--help']);
  assert.ok(files.some((f) => f.startsWith('dist/src/cli/commands/web.js')), `web --help opened no web command: ${files.join(', ')}`);
  const other = files.filter((f) => /^dist\/src\/(exporter|doctor)\/|^node_modules\/prom-client\//.test(f));
  assert.deepEqual(other, [], `loaded without need: ${other.join(', ')}`);
});

test('the trace does see a command load its own code (the check above can fail)', () => {
  const files = opened(['help', 'lab']);
  assert.ok(files.some((f) => f.startsWith('dist/src/lab/')), `help lab opened no lab module: ${files.join(', ')}`);
});

test('sockscope trace loads its own code (src/trace) only when it runs', () => {
  const files = opened(['trace', '--help']);
  assert.ok(files.some((f) => f.startsWith('dist/src/trace/')), `trace --help opened no trace module: ${files.join(', ')}`);
});

// The bundled CLI (dist/cli/, scripts/build-cli.mjs, run by src/cli/bundle.ts)
// answers exactly as the plain modules in dist/src/ do, byte for byte, and a
// code cache V8 cannot use (other V8 flags, a corrupt or truncated file, the
// cache of another chunk) or a stale bundle changes nothing but the speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURES, ROOT } from '../helpers.js';
import type { ChunkReport } from '../../src/cli/bundle.cjs';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');
const baseEnv: NodeJS.ProcessEnv = { ...process.env, SOCKSCOPE_PASSWD: join(tree, 'passwd'), NO_COLOR: '1', LANG: 'C.UTF-8' };
delete baseEnv['SOCKSCOPE_DEBUG'];
delete baseEnv['SOCKSCOPE_BUNDLE'];
delete baseEnv['LANGUAGE'];
delete baseEnv['LC_ALL'];
delete baseEnv['LC_MESSAGES'];

interface Run { code: number | null; out: string; err: string; report: ChunkReport[] | undefined }

/** `node [nodeArgs] <bin> args` with SOCKSCOPE_BUNDLE=mode; `report` is what the loader did (undefined: the plain modules ran). */
function run(args: readonly string[], mode: string | undefined, opts: { bin?: string; nodeArgs?: string[] } = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-bundle-'));
  try {
    const reportFile = join(dir, 'report.json');
    const env = { ...baseEnv, SOCKSCOPE_BUNDLE_REPORT: reportFile, ...(mode === undefined ? {} : { SOCKSCOPE_BUNDLE: mode }) };
    const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), opts.bin ?? BIN, ...args], { encoding: 'utf8', timeout: 30_000, env });
    const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) as ChunkReport[] : undefined;
    return { code: r.status, out: r.stdout, err: r.stderr, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const COMMANDS: string[][] = [
  ['--version'],
  ['--proc-root', tree, 'list'],
  ['--proc-root', tree, 'list', '-a', '-n'],
  ['--proc-root', tree, 'list', '--json'],
  ['--proc-root', tree, 'list', '--ndjson', '-t'],
  ['--proc-root', tree, 'list', '--csv', '-u'],
  ['--proc-root', tree, 'list', '-l', '--sort', 'rport'],
  ['--proc-root', tree, 'port', '19191'],
  ['--proc-root', tree, 'port', '19191', '--json'],
  ['--proc-root', tree, 'port', '1'],
  ['--proc-root', tree],
  ['--proc-root', tree, 'pid', '4242'],
  ['--proc-root', tree, '--lang', 'zh-CN', 'list', '-n'],
  ['explain', 'TIME_WAIT'],
  ['explain', 'port', '22'],
  ['explain', '--input', join(FIXTURES, 'text', 'ss', 'tanp-two-holders.txt')],
  ['help', 'list'],
  ['doctor', '--help'],
  ['list', '--bogus'],
  ['lsit'],
];

test('the bundle and the plain modules give the same output, error and exit code', () => {
  for (const args of COMMANDS) {
    const plain = run(args, '0');
    const bundled = run(args, undefined);
    const what = `sockscope ${args.join(' ')}`;
    assert.equal(plain.report, undefined, `${what}: SOCKSCOPE_BUNDLE=0 ran the bundle`);
    assert.ok(bundled.report?.some((c) => c.chunk === 'main.js'), `${what}: the bundle did not run (missing or stale: npm run build)`);
    assert.deepEqual({ code: bundled.code, out: bundled.out, err: bundled.err }, { code: plain.code, out: plain.out, err: plain.err }, what);
    assert.ok(plain.out.length + plain.err.length > 0, `${what}: said nothing`);
  }
});

test('the build trained a code cache that V8 takes for the chunks a list runs', () => {
  const r = run(['--proc-root', tree, 'list'], undefined);
  assert.equal(r.code, 0, r.err);
  const main = r.report?.find((c) => c.chunk === 'main.js');
  assert.equal(main?.cache, 'used', JSON.stringify(r.report));
  assert.ok(r.report!.every((c) => c.cache === 'used'), `chunks without a usable cache: ${JSON.stringify(r.report!.filter((c) => c.cache !== 'used'))}`);
});

test('a cache V8 rejects (other V8 flags) is compiled from source, with the same answer', () => {
  const args = ['--proc-root', tree, 'list', '--json'];
  const want = run(args, '0');
  // Any V8 flag changes the flag hash a code cache is checked against.
  const r = run(args, undefined, { nodeArgs: ['--stack-size=900'] });
  assert.ok(r.report !== undefined && r.report.length > 0 && r.report.every((c) => c.cache === 'rejected'), `expected every cache rejected: ${JSON.stringify(r.report)}`);
  assert.deepEqual({ code: r.code, out: r.out, err: r.err }, { code: want.code, out: want.out, err: want.err });
});

/**
 * A copy of the installed layout in a temporary directory: bin/ and dist/cli/
 * copied (to be damaged), the rest linked to the real build.
 */
function copyLayout(): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-layout-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(BIN, join(dir, 'bin', 'sockscope.js'));
  copyFileSync(join(ROOT, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'dist', 'cli'), join(dir, 'dist', 'cli'), { recursive: true, preserveTimestamps: true });
  for (const d of ['src', 'data']) symlinkSync(join(ROOT, 'dist', d), join(dir, 'dist', d));
  for (const d of ['node_modules', 'build']) if (existsSync(join(ROOT, d))) symlinkSync(join(ROOT, d), join(dir, d));
  return { dir, bin: join(dir, 'bin', 'sockscope.js') };
}

function caches(dir: string): string[] {
  return readdirSync(join(dir, 'dist', 'cli'), { recursive: true }).map(String).filter((f) => f.endsWith('.cache')).map((f) => join(dir, 'dist', 'cli', f));
}

test('corrupt, truncated or swapped cache files are rejected and the chunks compiled from source', () => {
  const { dir, bin } = copyLayout();
  try {
    const args = ['--proc-root', tree, 'list', '-a'];
    const want = run(args, '0');
    assert.equal(want.code, 0, want.err);
    const files = caches(dir).sort();
    assert.ok(files.length >= 3, `the build wrote ${files.length} cache files`);
    // Every third file each: noise, the first half of itself, another chunk's cache.
    files.forEach((f, i) => {
      const data = readFileSync(f);
      if (i % 3 === 0) writeFileSync(f, Buffer.from(data.map((_, j) => (j * 7919 + 13) & 0xff)));
      else if (i % 3 === 1) writeFileSync(f, data.subarray(0, data.length >> 1));
      else writeFileSync(f, readFileSync(files[(i + 1) % files.length]!));
    });
    const r = run(args, undefined, { bin });
    assert.ok(r.report?.some((c) => c.cache === 'rejected'), `no cache was rejected: ${JSON.stringify(r.report)}`);
    assert.ok(r.report!.every((c) => c.cache !== 'used'), `a damaged cache was used: ${JSON.stringify(r.report)}`);
    assert.deepEqual({ code: r.code, out: r.out, err: r.err }, { code: want.code, out: want.out, err: want.err });
    // No cache at all: the same.
    for (const f of files) rmSync(f);
    const bare = run(args, undefined, { bin });
    assert.ok(bare.report?.length && bare.report.every((c) => c.cache === 'none'), JSON.stringify(bare.report));
    assert.deepEqual({ code: bare.code, out: bare.out, err: bare.err }, { code: want.code, out: want.out, err: want.err });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bundle older than the modules it was built from is not used: the plain modules run', () => {
  const { dir, bin } = copyLayout();
  try {
    const args = ['--proc-root', tree, 'port', '19191'];
    const fresh = run(args, undefined, { bin });
    assert.ok(fresh.report?.some((c) => c.chunk === 'main.js'), 'the copied bundle did not run');
    const old = statSync(join(ROOT, 'dist', 'src', 'cli', 'main.js')).mtime.getTime() / 1000 - 60;
    utimesSync(join(dir, 'dist', 'cli', 'main.js'), old, old);
    const stale = run(args, undefined, { bin });
    assert.equal(stale.report, undefined, 'a stale bundle ran');
    assert.deepEqual({ code: stale.code, out: stale.out, err: stale.err }, { code: fresh.code, out: fresh.out, err: fresh.err });
    // No bundle at all: the same.
    rmSync(join(dir, 'dist', 'cli'), { recursive: true });
    const none = run(args, undefined, { bin });
    assert.equal(none.report, undefined);
    assert.deepEqual({ code: none.code, out: none.out, err: none.err }, { code: fresh.code, out: fresh.out, err: fresh.err });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

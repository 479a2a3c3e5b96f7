// Very low open-file limits (issue 9 §6): under `prlimit --nofile=N` every
// command gives either its right answer or one line saying the limit is too
// low and what it needs, never a module-loader stack trace. Below the limit at
// which Node itself can start (it holds ~14 descriptors for its own event
// loops and threads, and aborts in C++ before any JavaScript runs when it
// cannot get them) there is nothing a program can do; the test measures that
// floor and requires it to be low, so it cannot skip its way to green.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURES } from '../helpers.js';
import { FD_NEEDED, fdLimitLine, isFdExhausted } from '../../src/cli/fd-limit.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');
const env: NodeJS.ProcessEnv = { ...process.env, SOCKSCOPE_PASSWD: join(tree, 'passwd'), NO_COLOR: '1' };
delete env['SOCKSCOPE_DEBUG'];

function hasPrlimit(): boolean {
  return spawnSync('prlimit', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function runAt(n: number | undefined, args: readonly string[], extraEnv: Record<string, string> = {}): { status: number | null; signal: string | null; out: string; err: string } {
  const argv = n === undefined ? [process.execPath, BIN, ...args] : ['prlimit', `--nofile=${n}`, process.execPath, BIN, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** The smallest limit at which Node runs a one-line script file and writes to stdout. */
function nodeFloor(): number {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-fd-'));
  try {
    const script = join(dir, 'ok.mjs');
    writeFileSync(script, 'process.stdout.write("ok");\n');
    for (let n = 8; n <= 64; n++) {
      const r = spawnSync('prlimit', [`--nofile=${n}`, process.execPath, script], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status === 0 && r.stdout === 'ok') return n;
    }
    return Infinity;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const COMMANDS: string[][] = [
  ['--version'],
  ['help', 'port'],
  ['explain', 'backlog'],
  ['explain', '[::1]:8080'],
  ['--proc-root', tree, 'list', '-a', '-n'],
  ['--proc-root', tree, 'port', '19191', '--json'],
  ['--proc-root', tree],
  ['explain', '--input', join(FIXTURES, 'text', 'ss', 'tanp-two-holders.txt')],
  ['--lang', 'zh-CN', '--proc-root', tree, 'pid', '4242'],
];
const LIMITS = [8, 12, 16, 17, 18, 19, 20, 21, 22, 23, 24, 26, 28, 32, 40, 48, 64];

test('prlimit --nofile=N: the right answer or one line about the limit, never a stack trace', () => {
  assert.ok(hasPrlimit(), 'prlimit (util-linux) is needed: .ci/run installs it');
  const floor = nodeFloor();
  assert.ok(floor <= 24, `Node itself needs ${floor} descriptors here: too high to test anything`);
  for (const args of COMMANDS) {
    const want = runAt(undefined, args);
    assert.ok(want.status === 0 || want.status === 1, `${args.join(' ')} unlimited: ${want.err}`);
    for (const n of LIMITS) {
      if (n < floor) continue; // Node aborts before sockscope exists: measured above, not ours to change
      const r = runAt(n, args);
      const what = `${args.join(' ')} at --nofile=${n}: status ${r.status} ${r.signal ?? ''}\n${r.err}`;
      assert.doesNotMatch(r.err, /\n\s+at |node:internal|Assertion failed|ERR_/, what);
      if (r.status === want.status && r.out === want.out) continue; // the right answer
      assert.equal(r.status, 3, what);
      assert.equal(r.out, '', what);
      assert.equal(r.err.trim().split('\n').length, 1, what);
      const zh = args.includes('zh-CN');
      assert.match(r.err, zh ? /打开文件数上限（ulimit -n）为 \d+.*至少提高到 64/ : new RegExp(`open-file limit \\(ulimit -n\\) is ${n}, too low for sockscope: raise it to at least ${FD_NEEDED}`), what);
      assert.ok(n < 32, `${what}\nat ${n} descriptors every command must work`);
    }
  }
});

test('the limit line names the limit in force and what to raise it to, in both languages', () => {
  assert.match(fdLimitLine('en'), new RegExp(`^sockscope: the open-file limit \\(ulimit -n\\) is \\d+, too low for sockscope: raise it to at least ${FD_NEEDED} \\(e\\.g\\. ulimit -n ${FD_NEEDED}\\)$`));
  assert.match(fdLimitLine('zh-CN'), /^sockscope: 打开文件数上限（ulimit -n）为 \d+，对 sockscope 来说太低/);
});

test('an error caused by EMFILE deep down is recognised as the limit, others are not', () => {
  const emfile = Object.assign(new Error('EMFILE: too many open files, socket'), { code: 'EMFILE' });
  assert.ok(isFdExhausted(emfile));
  assert.ok(isFdExhausted(new Error('netlink sock_diag is not usable here', { cause: new Error('transport', { cause: emfile }) })));
  assert.ok(!isFdExhausted(new Error('netlink sock_diag is not usable here', { cause: Object.assign(new Error('x'), { code: 'EPERM' }) })));
  assert.ok(!isFdExhausted(undefined));
});

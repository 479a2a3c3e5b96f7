// Every usage error: one line on stderr, exit 2, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli as run } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');

const CASES: [string[], RegExp][] = [
  [['port', '70000'], /invalid port '70000'/],
  [['port', '-1'], /invalid port '-1'/],
  [['port', 'abc'], /invalid port 'abc'/],
  [['port', '80/sctp'], /invalid protocol 'sctp'/],
  [['port'], /port needs a port number/],
  [['port', '80', '81'], /port takes one port/],
  [['pid', 'x1'], /invalid pid 'x1'/],
  [['pid', '0'], /invalid pid '0'/],
  [['pid', '-5'], /invalid pid '-5'/],
  [['pid'], /pid needs a process id/],
  [['list', '--state', 'ESTABLSHED'], /unknown state 'ESTABLSHED' \(did you mean ESTABLISHED\?\)/],
  [['list', '--bogus'], /unknown option --bogus/],
  [['list', '-tz'], /unknown option -z \(in -tz\)/],
  [['list', '--port', '99999'], /invalid port '99999'/],
  [['list', '--sort', 'colour'], /unknown sort column 'colour'/],
  [['list', '--json', '--csv'], /choose one output format/],
  [['list', '-l', '-a'], /contradict/],
  [['list', 'extra'], /list takes no arguments/],
  [['list', '--state'], /--state needs a value/],
  [['lsit'], /unknown command 'lsit' \(did you mean 'list'\?\)/],
  [['--source', 'kernel'], /invalid --source 'kernel'/],
  [['help', 'nope'], /unknown command 'nope'/],
  [['-x'], /unknown option -x/],
];

for (const [args, message] of CASES) {
  test(`usage error: sockscope ${args.join(' ')}`, () => {
    const r = run(args, { SOCKSCOPE_PROC_ROOT: tree });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1, 'one line');
    assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
    assert.equal(r.out, '');
  });
}

test('every command has --help with examples, exit 0', () => {
  for (const cmd of [[], ['list'], ['ls'], ['port'], ['pid'], ['process']]) {
    const r = run([...cmd, '--help']);
    assert.equal(r.code, 0, cmd.join(' '));
    assert.match(r.out, /Usage: sockscope/);
    assert.match(r.out, /Examples?:/);
  }
  assert.match(run(['help', 'port']).out, /exit|Exit status/);
});

test('help in Chinese for every command, by flag or LANG', () => {
  for (const cmd of [[], ['list'], ['port'], ['pid'], ['process'], ['explain'], ['lab'], ['watch']]) {
    const r = run(['--lang', 'zh-CN', ...cmd, '--help']);
    assert.equal(r.code, 0, cmd.join(' '));
    assert.match(r.out, /^用法：sockscope/m, cmd.join(' '));
    assert.match(r.out, /示例：/, cmd.join(' '));
  }
  assert.match(run(['help', 'lab'], { LANG: 'zh_CN.UTF-8', LC_ALL: '' }).out, /实验：backlog, four-tuple/);
});

test('pid and process that do not exist: exit 1 and say so', () => {
  const gone = run(['pid', '4194000'], { SOCKSCOPE_PROC_ROOT: tree });
  assert.equal(gone.code, 1);
  assert.match(gone.err, /no process with pid 4194000/);
  const none = run(['process', 'no-such-program-xyz'], { SOCKSCOPE_PROC_ROOT: tree });
  assert.equal(none.code, 1);
  assert.match(none.err, /no running process/);
});

test('a scan that cannot run at all exits 3 with one line, the error code said once', () => {
  // A directory that exists but holds no socket tables (a missing one is a usage error: test/cli/refusals.test.ts).
  const empty = mkdtempSync(join(tmpdir(), 'sockscope-empty-root-'));
  try {
    const r = run(['list', '--proc-root', empty]);
    assert.equal(r.code, 3, r.err);
    assert.equal(r.err.trim().split('\n').length, 1);
    assert.match(r.err, /ENOENT/);
    assert.doesNotMatch(r.err, /(E[A-Z]+): \1/, 'not "ENOENT: ENOENT:"');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('usage errors speak the chosen language, one line, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['--lang', 'zh-CN', 'port', '70000'], /无效的端口“70000”/],
    [['list', '--state', 'ESTABLSHED', '--lang', 'zh-CN'], /未知状态“ESTABLSHED”（你是不是想输入 ESTABLISHED？）/],
    [['--lang', 'zh-CN', 'lsit'], /未知命令“lsit”/],
    [['--lang', 'zh-CN', 'list', '-tz'], /未知选项 -z（出现在 -tz 中）/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
  // A wrong --lang is itself reported in the environment's language.
  const bad = run(['--lang', 'fr', 'list'], { LANG: 'zh_CN.UTF-8', LC_ALL: '' });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /无效的 --lang“fr”/);
});

test('errors keep their cause: the collector\'s error carries the system error; SOCKSCOPE_DEBUG shows the chain', async () => {
  const { readProcTables } = await import('../../src/collectors/linux.js');
  const empty = mkdtempSync(join(tmpdir(), 'sockscope-cause-'));
  try {
    let thrown: unknown;
    try {
      readProcTables(empty, ['tcp'], ['ipv4']);
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof Error, 'it throws');
    const cause = (thrown as Error).cause as NodeJS.ErrnoException | undefined;
    assert.equal(cause?.code, 'ENOENT');
    assert.equal(cause?.syscall, 'open');
    const r = run(['list', '--proc-root', empty], { SOCKSCOPE_DEBUG: '1' });
    assert.equal(r.code, 3);
    assert.match(r.err, /Caused by: Error: ENOENT: no such file or directory, open '.*\/net\/tcp'/);
    const plain = run(['list', '--proc-root', empty]);
    assert.equal(plain.err.trim().split('\n').length, 1, 'the chain only with SOCKSCOPE_DEBUG');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

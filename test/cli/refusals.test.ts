// Input that is wrong is refused (issue 9 §9): one clear line on stderr, in
// English and Chinese, and the documented exit status; never a silent default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');
const env = { SOCKSCOPE_PROC_ROOT: tree, SOCKSCOPE_PASSWD: join(tree, 'passwd') };

function oneLine(err: string): void {
  assert.equal(err.trim().split('\n').length, 1, `one line: ${err}`);
  assert.doesNotMatch(err, /at .*\.js:\d+|node:internal/, 'no stack trace');
}

const USAGE: [string[], RegExp, RegExp][] = [
  [['process', ''], /process needs a name: '' is empty/, /为空/],
  [['process', '   '], /process needs a name: '   ' is empty/, /为空/],
  [['list', '--port', ','], /--port ',' has an empty item/, /--port“,”中有空项/],
  [['list', '--port', '80,'], /--port '80,' has an empty item/, /空项/],
  [['list', '--pid', ','], /--pid ',' has an empty item/, /空项/],
  [['list', '--process', ''], /--process needs a value/, /需要一个值/],
  [['list', '--process', 'a,,b'], /--process 'a,,b' has an empty item/, /空项/],
  [['list', '--state', ','], /--state ',' has an empty item/, /空项/],
  [['explain', '1.2.3.4:99999'], /invalid port '99999' in '1\.2\.3\.4:99999'/, /端口“99999”无效/],
  [['explain', '[::1]:70000'], /invalid port '70000' in '\[::1\]:70000'/, /端口“70000”无效/],
  [['explain', '1.2.3.4:123456'], /invalid port '123456'/, /端口“123456”无效/],
  // Words after a complete topic are not dropped: the whole line is the topic asked for.
  [['explain', 'port', '80', '443'], /unknown topic 'port 80 443'/, /未知主题“port 80 443”/],
  [['explain', '80', '443'], /unknown topic '80 443'/, /未知主题/],
  [['explain', 'state', 'close', 'wait'], /unknown topic 'state close wait'/, /未知主题/],
  [['--proc-root', '/nonexistent-sockscope-root', 'list'], /--proc-root '\/nonexistent-sockscope-root' cannot be read: no such file or directory \(ENOENT\)/, /无法读取/],
  [['--proc-root', '/etc/hostname', 'list'], /--proc-root '\/etc\/hostname' is not a directory/, /不是目录/],
  [['--version', 'extra'], /--version takes nothing else, got 'extra'/, /不能与其他参数同用/],
  [['list', '--version'], /--version takes nothing else, got 'list'/, /收到的是“list”/],
];

for (const [args, en, zh] of USAGE) {
  test(`refused: sockscope ${JSON.stringify(args)}`, () => {
    const r = runCli(args, env);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, en);
    oneLine(r.err);
    assert.equal(r.out, '');
    assert.doesNotMatch(r.err, /(E[A-Z]+): \1/, 'the code is said once');
    const z = runCli(['--lang', 'zh-CN', ...args], env);
    assert.equal(z.code, 2, z.err);
    assert.match(z.err, zh);
    oneLine(z.err);
  });
}

test('explain 1.2.3.4:65535 still explains the port (the bound is 65535, not less)', () => {
  const r = runCli(['explain', '1.2.3.4:65535']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /65535/);
  assert.match(r.out, /dynamic/);
});

test('explain --input of a header with no rows: says no rows were found, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-norows-'));
  try {
    const headers = {
      'netstat.txt': 'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State\n',
      'ss.txt': 'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n',
    };
    for (const [name, body] of Object.entries(headers)) {
      const f = join(dir, name);
      writeFileSync(f, body);
      const r = runCli(['explain', '--input', f]);
      assert.equal(r.code, 2, `${name}: ${r.err}`);
      assert.match(r.err, /no socket rows were found/);
      oneLine(r.err);
      assert.equal(r.out, '');
      const z = runCli(['--lang', 'zh-CN', 'explain', '--input', f]);
      assert.equal(z.code, 2);
      assert.match(z.err, /没有找到任何 socket 行/);
    }
    // Rows that are all unreadable: the same refusal, naming the first bad line.
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\nLISTEN 0 zz 1.2.3.4:80 0.0.0.0:*\n');
    const r = runCli(['explain', '--input', bad]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.err, /line 2/);
    oneLine(r.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('list --pid of a process that does not exist: says so, exit 1 like pid', () => {
  const r = runCli(['list', '--pid', '4194000'], env);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /no process with pid 4194000/);
  assert.equal(r.out, '', 'no empty table');
  oneLine(r.err);
  const z = runCli(['--lang', 'zh-CN', 'list', '--pid', '4194000'], env);
  assert.equal(z.code, 1);
  assert.match(z.err, /没有 pid 为 4194000 的进程/);
  const j = runCli(['list', '--pid', '4194000', '--json'], env);
  assert.equal(j.code, 1);
  assert.equal(j.out, '');
  // One pid missing among existing ones: the others are listed, the missing one named.
  const mixed = runCli(['list', '--pid', '4242,4194000', '-n'], env);
  assert.equal(mixed.code, 0, mixed.err);
  assert.match(mixed.out, /4242/);
  assert.match(mixed.err, /no process with pid 4194000/);
  // A pid given twice is one pid: said once.
  const twice = runCli(['list', '--pid', '4194000,4194000', '--pid', '4194000'], env);
  assert.equal(twice.code, 1);
  oneLine(twice.err);
});

test('port N with filters that exclude its sockets never says the port is free', () => {
  // 19191 is held (tcp6 [::]:19191, by 4242 and 4243): narrowed away by an option, it is not "free".
  for (const extra of [['--process', 'nosuch'], ['-l', '-4'], ['--state', 'time-wait'], ['--pid', '4999']]) {
    const r = runCli(['port', '19191', ...extra], env);
    assert.equal(r.code, 1, `${extra.join(' ')}: ${r.err}`);
    assert.doesNotMatch(r.out, /free/, `${extra.join(' ')}: ${r.out}`);
    assert.match(r.out, /Port 19191 .*5 sockets use it; none matches the options given/, r.out);
    const z = runCli(['--lang', 'zh-CN', 'port', '19191', ...extra], env);
    assert.equal(z.code, 1);
    assert.doesNotMatch(z.out, /空闲/);
    assert.match(z.out, /5 个 socket 使用它，但没有一个符合所给的选项/, z.out);
  }
  // -u: the label names the protocol, so "free" is true of what it names.
  const u = runCli(['port', '19191', '-u'], env);
  assert.equal(u.code, 1);
  assert.match(u.out, /Port 19191\/udp \(usually opsec-uaa\): free/);
  // A pid that names no process: said, as list --pid says it, exit 1, no claim about the port.
  const missing = runCli(['port', '19191', '--pid', '4194000'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no process with pid 4194000/);
  assert.equal(missing.out, '');
});

test('watch --pid of a process that does not exist: says so, exit 1, instead of watching nothing forever', () => {
  for (const args of [['watch', '--pid', '4194000', '--count', '1', '--duration', '3'], ['watch', '--pid', '4194000', '--events', '--json', '--duration', '3']]) {
    const r = runCli(args, env);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /no process with pid 4194000/);
    assert.equal(r.out, '');
    oneLine(r.err);
  }
  const z = runCli(['--lang', 'zh-CN', 'watch', '--pid', '4194000', '--count', '1', '--duration', '3'], env);
  assert.equal(z.code, 1);
  assert.match(z.err, /没有 pid 为 4194000 的进程/);
});

test('explain --input: each line that cannot be read says why (a number out of range, a bad address...), and -W shows it whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-reasons-'));
  try {
    const f = join(dir, 'ss.txt');
    writeFileSync(f, 'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n' +
      'tcp   LISTEN 100000000000000000000000 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n' +
      'tcp   ESTAB 0 0 10.0.0.1:99999 10.0.0.2:5\n' +
      `tcp   LISTEN 0 128 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=12,fd=3)) ${'y'.repeat(300)}\n` +
      `tcp   LISTEN 0 128 0.0.0.0:81 0.0.0.0:* ${'z'.repeat(300)}\n` +
      'tcp   LISTEN 0 128 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=12,fd=3))\n');
    const r = runCli(['explain', '--input', f]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Line 2 could not be read \(a number too large for its field\): tcp +LISTEN 1000/);
    assert.match(r.out, /Line 3 could not be read \(an address or port that cannot be read\): tcp +ESTAB/);
    const z = runCli(['--lang', 'zh-CN', 'explain', '--input', f]);
    assert.match(z.out, /第 2 行无法解读（数值超出该字段的范围）：/);
    // Every row read or refused has a reason: none of the catalog's fallbacks is the raw code.
    assert.doesNotMatch(r.out, /\((out-of-range|bad-[a-z]+|not-numeric|unrecognized)\)/);
    // All rows unreadable: the refusal names the reason too.
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\ntcp   LISTEN 100000000000000000000000 128 0.0.0.0:22 0.0.0.0:*\n');
    const b = runCli(['explain', '--input', bad]);
    assert.equal(b.code, 2);
    assert.match(b.err, /line 2, a number too large for its field/);
    // -W (as list takes it): accepted with --input; refused without, in one line.
    const w = runCli(['explain', '--input', f, '-W']);
    assert.equal(w.code, 0, w.err);
    const t = runCli(['explain', '-W', 'backlog']);
    assert.equal(t.code, 2);
    assert.match(t.err, /-W only applies to explain --input/);
    oneLine(t.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pid N, list/port/watch --pid N of a thread (not a process): says whose thread it is, exit 1', () => {
  // /proc/<tid> of a thread is readable by path (not listed): its status names the process (Tgid).
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-thread-'));
  try {
    cpSync(tree, dir, { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(dir, '4244'));
    writeFileSync(join(dir, '4244', 'comm'), 'python3\n');
    writeFileSync(join(dir, '4244', 'cmdline'), 'python3\0ds.py\0');
    writeFileSync(join(dir, '4244', 'status'), 'Name:\tpython3\nTgid:\t4242\nPid:\t4244\nUid:\t0\t0\t0\t0\n');
    const e = { SOCKSCOPE_PROC_ROOT: dir, SOCKSCOPE_PASSWD: join(dir, 'passwd') };
    for (const args of [['pid', '4244'], ['pid', '4244', '--json'], ['list', '--pid', '4244'], ['port', '19191', '--pid', '4244'],
      ['watch', '--pid', '4244', '--count', '1', '--duration', '3']]) {
      const r = runCli(args, e);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.err, /4244 is a thread of process 4242, not a process/, args.join(' '));
      assert.doesNotMatch(r.out, /holds no TCP or UDP sockets|free/, args.join(' '));
      oneLine(r.err);
    }
    const z = runCli(['--lang', 'zh-CN', 'pid', '4244'], e);
    assert.equal(z.code, 1);
    assert.match(z.err, /4244 是进程 4242 的一个线程/);
    // The process itself (Tgid = pid) is answered as before.
    assert.equal(runCli(['pid', '4242'], e).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');

test('explain lists topics; explain port 22 says ssh and well-known', () => {
  const list = runCli(['explain']);
  assert.equal(list.code, 0);
  assert.match(list.out, /backlog\s+Listen backlog/);
  const p = runCli(['explain', 'port', '22']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /well-known port/);
  assert.match(p.out, /ssh/);
});

test('explain in Chinese by flag (before or after the command) and by LANG', () => {
  const before = runCli(['--lang', 'zh-CN', 'explain', 'backlog']);
  const after = runCli(['explain', 'backlog', '--lang=zh-CN']);
  assert.equal(before.code, 0);
  assert.equal(before.out, after.out);
  assert.match(before.out, /全连接队列/);
  const env = runCli(['explain', 'TIME_WAIT'], { LANG: 'zh_CN.UTF-8', LC_ALL: '' });
  assert.match(env.out, /TCP 状态 TIME_WAIT/);
});

test('unknown topic, bad port, --explain with JSON: one line, exit 2', () => {
  const r = runCli(['explain', 'backlg']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown topic 'backlg' \(did you mean backlog.*\)/);
  assert.equal(r.err.trim().split('\n').length, 1);
  const zh = runCli(['--lang', 'zh-CN', 'explain', 'backlg']);
  assert.match(zh.err, /未知主题/);
  assert.equal(runCli(['explain', 'port', '70000']).code, 2);
  assert.equal(runCli(['--lang', 'klingon', 'explain']).code, 2);
  const j = runCli(['--proc-root', tree, 'list', '--explain', '--json']);
  assert.equal(j.code, 2);
  assert.match(j.err, /--explain/);
});

test('list --explain puts one sentence under each row', () => {
  const r = runCli(['--proc-root', tree, 'list', '-t', '--explain', '-n'], { SOCKSCOPE_PASSWD: join(tree, 'passwd') });
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  const rows = lines.filter((l) => /^tcp/.test(l));
  const notes = lines.filter((l) => l.trim().startsWith('↳'));
  assert.equal(notes.length, rows.length);
  assert.ok(notes.some((l) => /Server socket listening on \[::\]:19191 \(all interfaces\); accept queue 0 \(this source does not show the backlog\)\; shared by 2 processes/.test(l)));
  assert.ok(notes.some((l) => /Client side: local port 35528/.test(l)));
});

test('port N explains the port by default, in both languages', () => {
  const en = runCli(['--proc-root', tree, 'port', '19191'], { SOCKSCOPE_PASSWD: join(tree, 'passwd') });
  assert.match(en.out, /19191 is a registered port/);
  assert.match(en.out, /Bound to every interface, it is reachable from other machines/);
  const zh = runCli(['--proc-root', tree, '--lang', 'zh-CN', 'port', '80']);
  assert.equal(zh.code, 1);
  assert.match(zh.out, /端口 80（通常是 http）：空闲/);
  assert.match(zh.out, /知名端口/);
});

const text = (name: string): string => join(FIXTURES, 'text', name);

test('explain --input: Windows netstat in Chinese, PID 4 and PID 0 explained, no fake queue facts', () => {
  const r = runCli(['--lang', 'zh-CN', 'explain', '--input', text('windows-netstat/zh-cn-ano.txt'), '-n']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /按 Windows 机器上的 Windows netstat 输出解读：共 \d+ 行/);
  assert.match(r.out, /PID 4 是 Windows 内核/);
  assert.match(r.out, /0\.0\.0\.0:445 .*LISTEN .* 4\/System/);
  assert.doesNotMatch(r.out, /全连接队列/, 'Windows netstat shows no queues: none is claimed');
  const rows = r.out.split('\n').filter((l) => /^(tcp|udp)/.test(l));
  const notes = r.out.split('\n').filter((l) => l.trim().startsWith('↳'));
  assert.ok(rows.length >= 10);
  assert.equal(notes.length, rows.length);
});

test('explain --input from stdin: ss with two holders; unreadable lines listed by number', () => {
  const ss = runCli(['explain', '--input', text('ss/tanp-two-holders.txt')]);
  assert.equal(ss.code, 0, ss.err);
  assert.match(ss.out, /Read as ss output from a Linux machine/);
  assert.match(ss.out, /shared by 2 processes/);
  const junk = runCli(['explain', '--input', text('ss/tanp-with-junk.txt')]);
  assert.match(junk.out, /Line \d+ could not be read \([a-z0-9 –()-]+\): /);
});

test('explain --input: empty, binary, missing file: one line, exit 2', () => {
  for (const [args, re] of [[['explain', '--input', '/dev/null'], /empty/], [['explain', '--input', '/nonexistent/x'], /cannot read/],
    [['explain', '--input', process.execPath], /binary/], [['explain', 'port', '--input', '/dev/null'], /takes no topic/]] as const) {
    const r = runCli([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});

test('explain: the tcp_info topics, by name and alias, in both languages', () => {
  const cases: [string, RegExp, RegExp][] = [
    ['rtt', /retransmission timeout/, /重传超时/],
    ['ssthresh', /Congestion window/, /拥塞窗口/],
    ['retransmissions', /now\/total/, /当前\/累计/],
    ['tcp_info', /struct tcp_info/, /struct tcp_info/],
    ['nagle', /TCP_NODELAY.*cannot show them/s, /TCP_NODELAY.*无法显示/s],
  ];
  for (const [topic, en, zh] of cases) {
    const a = runCli(['explain', topic]);
    assert.equal(a.code, 0, `${topic}: ${a.err}`);
    assert.match(a.out, en, topic);
    const b = runCli(['--lang', 'zh-CN', 'explain', topic]);
    assert.equal(b.code, 0, `${topic}: ${b.err}`);
    assert.match(b.out, zh, topic);
  }
});

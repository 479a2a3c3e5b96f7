// sockscope doctor on the command line: refusals are one line and exit 2
// (before any look is taken), help is there in both languages, and the table
// on a terminal shows a hostile process name escaped, never as control.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIN, runCli } from './helpers.js';
import { Tmux } from '../watch/tmux.js';
import { actor, cliIn, netns } from './doctor-scene.js';

const refusals: [string[], RegExp][] = [
  [['--threshold', 'nope=3'], /^sockscope: unknown threshold 'nope'; known: accept-queue-ratio, listen-overflows, .*fd-critical-ratio$/],
  [['--threshold', 'close-wait-cont=3'], /^sockscope: unknown threshold 'close-wait-cont' \(did you mean close-wait-count\?\); known: /],
  [['--threshold', 'close-wait-count=abc'], /^sockscope: invalid value 'abc' for threshold close-wait-count: expected a whole number from 1 to ∞$/],
  [['--threshold', 'fd-ratio=1.5'], /^sockscope: invalid value '1\.5' for threshold fd-ratio: expected a number from 0\.0001 to 1$/],
  [['--threshold', 'close-wait-count'], /^sockscope: invalid --threshold 'close-wait-count': expected NAME=VALUE, e\.g\. close-wait-count=50$/],
  [['--threshold', 'fd-ratio=0.9', '--threshold', 'fd-ratio=x'], /^sockscope: invalid value 'x' for threshold fd-ratio/],
  [['--duration', '-1'], /^sockscope: invalid --duration '-1': expected seconds from 0 to 86400$/],
  [['--interval', '0'], /^sockscope: invalid --interval '0': expected seconds from 0\.1 to 3600$/],
  [['--duration', '1', '--duration', '2'], /^sockscope: /],
  [['now'], /^sockscope: doctor takes no argument: 'now'$/],
  [['--watch'], /^sockscope: /],
];

test('bad options and thresholds: one line on stderr, nothing on stdout, exit 2', async () => {
  for (const [args, re] of refusals) {
    const r = await runCli(['doctor', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0]!, re);
  }
  const zh = await runCli(['--lang', 'zh-CN', 'doctor', '--threshold', 'nope=3']);
  assert.equal(zh.code, 2);
  assert.match(zh.stderr, /^sockscope: 未知的阈值 'nope'；可用的有：/);
});

test('help: sockscope help doctor, doctor -h, and the command in the main help', async () => {
  const a = await runCli(['help', 'doctor']);
  const b = await runCli(['doctor', '-h']);
  assert.equal(a.code, 0);
  assert.equal(a.stdout, b.stdout);
  assert.match(a.stdout, /^Usage: sockscope doctor \[options\]/);
  assert.match(a.stdout, /--threshold NAME=VALUE/);
  const main = await runCli(['help']);
  assert.match(main.stdout, /\n {2}doctor {14}what is wrong with this machine's sockets/);
  const zh = await runCli(['--lang', 'zh-CN', 'help', 'doctor']);
  assert.match(zh.stdout, /^用法：sockscope doctor \[选项\]/);
});

test('the table on a terminal width: a process named with terminal control is shown escaped', async (t) => {
  const ns = netns(t);
  // The name is set through /proc/self/comm (what prctl(PR_SET_NAME) sets): 15 bytes at most.
  const evil = actor(t, ns, 'evil', `
with open('/proc/self/comm', 'wb') as f: f.write(b'x\\x1b[2J\\x07\\xe2\\x80\\xaey')
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 31337)); s.listen(8)
emit(listening=31337)
hold()
`);
  await evil.message('listening');
  const r = await cliIn(ns, ['doctor', '--duration', '0']);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(!/[\x07\x1b\u202e]/.test(r.stdout), JSON.stringify(r.stdout));
  assert.ok(r.stdout.includes(`${evil.pid}/x\\x1b[2J\\x07\\u{202e}y`), r.stdout);
  assert.match(r.stdout, /^warning\s+risky-port\s+tcp 127\.0\.0\.1:31337/m);
  // The notes of a single look go to stderr, one per check that needed two looks.
  assert.match(r.stderr, /^sockscope: close-wait: whether CLOSE_WAIT grows needs two looks; only one was taken \(--duration\)\.$/m);
});

test('in a real terminal (tmux, 80 columns): colours for the severity, the width kept, a name that sets the title shown escaped', async (t) => {
  const ns = netns(t);
  const evil = actor(t, ns, 'evil', `
with open('/proc/self/comm', 'wb') as f: f.write(b'x\\x1b]0;PWN\\x07')
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 31337)); s.listen(8)
emit(listening=31337)
hold()
`);
  await evil.message('listening');
  const tmux = new Tmux();
  t.after(() => tmux.kill());
  tmux.start(`ip netns exec ${ns} ${process.execPath} ${BIN} doctor --duration 0.5 --interval 0.5; echo DOCTOR-EXIT $?; sleep 60`, {}, { x: 80, y: 40 });
  const screen = await tmux.until('doctor done', (s) => s.includes('DOCTOR-EXIT'), { timeoutMs: 15_000 });
  assert.match(screen, /DOCTOR-EXIT 1/);
  assert.match(screen, /^Findings: 2 \(critical 0, warning 1, info 1\); looks: 2 over 0\.5 s\.$/m);
  assert.ok(screen.includes(`${evil.pid}/x\\x1b]0;PWN\\x07`), screen);
  assert.notEqual(tmux.format('pane_title'), 'PWN');
  const colours = tmux.capture(true);
  assert.match(colours, /\x1b\[33m(\x1b\[49m)?warning/, 'warning in yellow');
  // The paragraphs wrap at the terminal's width, under their label.
  assert.match(screen, /\n {4}Why: This port has a history of abuse\. Watch out: 31337 is the default port\n {9}of known backdoors/);
});

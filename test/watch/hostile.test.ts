// The live view in a real terminal (tmux) against a real process whose name and
// command line are terminal control sequences, holding a listener on a free
// loopback port: everything it chose to call itself is shown escaped, nothing
// reaches the terminal as control (the screen is not cleared, the title and the
// clipboard are untouched, no row is forged), in the rows, the Processes and
// Listeners views, the detail pane and the `k` question.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { Child, python, sleep } from '../live/helpers.js';
import { Tmux, lineWith, tmux } from './tmux.js';

/** comm (15 bytes at most): clear screen, a newline, an OSC 52 clipboard write. */
const COMM = '\x1b[2J\n\x1b]52;c;QQ\x07';
/** argv[0]: retitle the terminal, a bidi override, erase-and-forge the line above. */
const ARGV0 = '\x1b]0;PWNED\x07\u202eevil\x1b[1A\x1b[2Kforged\x1b]52;c;QUFBQQ==\x07';

const HOSTILE = `
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(15, ctypes.c_char_p(sys.argv[1].encode('utf-8')), 0, 0, 0)   # PR_SET_NAME
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(5)
sys.stdout.write(json.dumps({'port': s.getsockname()[1], 'pid': os.getpid()}) + '\\n')
sys.stdout.flush()
import signal
signal.alarm(120)
sys.stdin.read()
`;

function startHostile(t: Parameters<typeof tmux>[0]): Child {
  const proc = spawn(python(), ['-c', HOSTILE, COMM], { argv0: ARGV0, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const c = new Child(proc, 'hostile');
  t.after(() => c.stop());
  return c;
}

/** What must never be on the screen or in the terminal's state after the view drew the hostile names. */
function assertUntouched(x: Tmux, screen: string): void {
  assert.match(screen, /sockscope watch/, 'the screen was not cleared');
  assert.doesNotMatch(screen, /\x1b/, 'no raw escape in the pane text');
  assert.equal(x.buffers().trim(), '', 'no OSC 52 reached the terminal (no clipboard buffer)');
  assert.doesNotMatch(x.format('pane_title'), /PWNED/, 'the title was not changed');
  assert.ok(!screen.split('\n').some((l) => /^\s*forged/.test(l) || /^\s*row/.test(l)), 'no forged line');
}

test('a process named with escape sequences is shown escaped everywhere in watch', async (t) => {
  const child = startHostile(t);
  const { port, pid } = (await child.message('port')) as { port: number; pid: number };
  const x = tmux(t);
  x.start(`sleep 0.5; ${Tmux.watchLine(`--interval 0.5 -n --port ${port}`)}`);
  // An OSC 52 that reached tmux would become a paste buffer: let the pane's program set it.
  x.option('set-clipboard', 'on');
  const endpoint = `127.0.0.1:${port} `;
  // The row: the comm escaped, visibly.
  let screen = await x.until('the hostile listener row', (s) => (lineWith(s, endpoint) ?? '').includes(`${pid}/`));
  const row = lineWith(screen, endpoint)!;
  assert.match(row, new RegExp(`${pid}/\\\\x1b\\[2J\\\\n\\\\x1b\\]52;c;QQ\\\\x07`), row);
  assertUntouched(x, screen);

  // The detail pane: holder name and the command line, escaped.
  x.keys('Enter');
  screen = await x.until('the detail pane', (s) => s.includes('Held by (1)'));
  assert.ok(screen.includes('\\x1b]0;PWNED\\x07'), screen);
  assert.ok(screen.includes('\\x1b[1A\\x1b[2Kforged'), screen);
  assert.ok(screen.includes('\\u{202e}evil') || screen.includes('\\xe2\\x80\\xae') || /\\u\{80\}/.test(screen), 'the bidi override is visible');
  assertUntouched(x, screen);
  x.keys('Escape');
  await sleep(300); // a key read within ESC_WAIT_MS of a lone ESC is Alt+key, as terminals send it

  // The Processes view and its detail pane.
  x.keys('2');
  screen = await x.until('the processes view', (s) => new RegExp(`^\\s*${pid}\\s`, 'm').test(s));
  assert.match(lineWith(screen, ` ${pid} `)!, /\\x1b\[2J/);
  x.keys('Enter');
  screen = await x.until('the process detail', (s) => s.includes('PWNED'));
  assert.ok(screen.includes('\\x1b]0;PWNED\\x07'), screen);
  assertUntouched(x, screen);
  x.keys('Escape');
  await sleep(300); // a key read within ESC_WAIT_MS of a lone ESC is Alt+key, as terminals send it

  // The Listeners view.
  x.keys('3');
  screen = await x.until('the listeners view', (s) => (lineWith(s, endpoint) ?? '').includes(`${pid}/`));
  assert.match(lineWith(screen, endpoint)!, /\\x1b\[2J/);
  assertUntouched(x, screen);

  // The `k` question names the process escaped too; n cancels.
  x.keys('k');
  screen = await x.until('the question', (s) => s.includes(`Terminate process ${pid}`));
  assert.ok(screen.includes('\\x1b[2J\\n'), screen);
  assertUntouched(x, screen);
  x.keys('n');
  await x.until('cancelled', (s) => s.includes('Cancelled.'));
  assert.equal(child.exitCode, null);
});

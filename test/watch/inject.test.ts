// End to end in a real terminal (tmux): bytes that did not come from a key the
// user pressed never drive the live view. The terminal-answer shape
// ESC ] l k y ESC \ (which made watch SIGTERM the selected process) and a
// bracketed paste holding "ky" reach the view and change nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { LISTENER_PY, sleep, startPython } from '../live/helpers.js';
import { Tmux, tmux } from './tmux.js';

test('ESC ] l k y ESC \\ and a pasted "ky" reach watch and signal nobody', async (t) => {
  const child = startPython(t, 'target', LISTENER_PY);
  const { port } = (await child.message('port')) as { port: number };
  const x = tmux(t);
  x.start(Tmux.watchLine(`--interval 0.5 -n --port ${port}`));
  await x.until('the target is shown', (s) => s.includes(`${child.pid}/python`));
  // Raw bytes into the pane, as a terminal would write its answer: one read, then split in two.
  const hex = (text: string): string[] => [...Buffer.from(text, 'latin1')].map((b) => b.toString(16).padStart(2, '0'));
  execFileSync('tmux', ['-L', x.socket, 'send-keys', '-t', x.session, '-H', ...hex('\x1b]lky\x1b\\')]);
  execFileSync('tmux', ['-L', x.socket, 'send-keys', '-t', x.session, '-H', ...hex('\x1b]lk')]);
  await sleep(30);
  execFileSync('tmux', ['-L', x.socket, 'send-keys', '-t', x.session, '-H', ...hex('y\x1b\\')]);
  // A paste: tmux wraps it in CSI 200~ ... CSI 201~ because the view asked for bracketed paste.
  execFileSync('tmux', ['-L', x.socket, 'set-buffer', 'kyky\ny']);
  execFileSync('tmux', ['-L', x.socket, 'paste-buffer', '-p', '-t', x.session]);
  await sleep(1500);
  const screen = x.capture();
  assert.doesNotMatch(screen, /Terminate process/, 'no question was opened');
  assert.doesNotMatch(screen, /Sent SIGTERM/);
  assert.doesNotMatch(screen, /shown: -l/, 'the l inside the sequence toggled nothing');
  assert.equal(child.exitCode, null);
  process.kill(child.pid, 0); // throws if it was signalled and is gone
  // The keyboard still works: a real k asks.
  x.keys('k');
  await x.until('a real k asks', (s) => s.includes(`Terminate process ${child.pid}`));
  x.keys('Escape');
  await sleep(300);
  x.keys('q');
  await x.until('the view quit', (s) => s.includes('WATCH-EXIT 0'));
});

test('a paste holding its own end marker (tmux lets the ESC through) runs nothing: no quit, no filter, no question', async (t) => {
  const child = startPython(t, 'target', LISTENER_PY);
  const { port } = (await child.message('port')) as { port: number };
  const x = tmux(t);
  x.start(Tmux.watchLine(`--interval 0.5 -n --port ${port}`));
  await x.until('the target is shown', (s) => s.includes(`${child.pid}/python`));
  for (const tail of ['/abc', 'k', 'q']) {
    execFileSync('tmux', ['-L', x.socket, 'set-buffer', `zz\x1b[201~${tail}`]);
    execFileSync('tmux', ['-L', x.socket, 'paste-buffer', '-p', '-t', x.session]);
    await sleep(700);
    const screen = x.capture();
    assert.doesNotMatch(screen, /WATCH-EXIT/, `${tail}: the view is still running`);
    assert.doesNotMatch(screen, /Filter:/, `${tail}: no filter prompt`);
    assert.doesNotMatch(screen, /Terminate process/, `${tail}: no question`);
  }
  // A paste into the filter prompt still arrives, as text.
  x.keys('/');
  await x.until('the filter prompt', (s) => s.includes('Filter:'));
  execFileSync('tmux', ['-L', x.socket, 'set-buffer', ' abc']);
  execFileSync('tmux', ['-L', x.socket, 'paste-buffer', '-p', '-t', x.session]);
  await x.until('the pasted text in the prompt', (s) => s.includes(`Filter: ${port} abc`));
  x.keys('Escape');
  await sleep(300);
  x.keys('q');
  await x.until('the view quit', (s) => s.includes('WATCH-EXIT 0'));
  process.kill(child.pid, 0);
});

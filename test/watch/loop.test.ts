// The live view over the library's watch(): its own sleep keeps the view's
// habits. While paused nothing is collected (a listener opened meanwhile only
// shows once unpaused), and --duration still ends the view while it is paused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LISTENER_PY, sleep, startPython } from '../live/helpers.js';
import { Tmux, lineWith, tmux } from './tmux.js';

test('paused, the view collects nothing; unpaused, the new listener shows', async (t) => {
  const x = tmux(t);
  x.start(Tmux.watchLine('--interval 0.3 -n'));
  await x.until('the live view is up', (s) => s.includes('sockscope watch'));
  x.keys('p');
  await x.until('paused', (s) => s.includes('[PAUSED]'));
  const child = startPython(t, 'listener', LISTENER_PY);
  const { port } = (await child.message('port')) as { port: number };
  x.type('/');
  x.type(String(port));
  x.keys('Enter');
  // Five intervals: a view that still collected would show it by now.
  await sleep(1500);
  const still = await x.until('the filter applied', (s) => s.includes('filter:'));
  assert.equal(lineWith(still, `127.0.0.1:${port} `), undefined, 'a listener opened while paused is not shown');
  x.keys('p');
  await x.until('the listener once unpaused', (s) => lineWith(s, `127.0.0.1:${port} `) !== undefined && !s.includes('[PAUSED]'), { timeoutMs: 3000 });
});

test('--duration ends the view by itself, paused or not, and restores the terminal', async (t) => {
  const x = tmux(t);
  const started = Date.now();
  x.start(Tmux.watchLine('--interval 0.3 --duration 2.5 -n'));
  await x.until('the live view is up', (s) => s.includes('sockscope watch'));
  x.keys('p');
  await x.until('paused', (s) => s.includes('[PAUSED]'));
  const screen = await x.until('the shell is back', (s) => s.includes('WATCH-EXIT 0') && /^-?icanon$/m.test(s), { timeoutMs: 8000 });
  assert.ok(Date.now() - started >= 2000, 'not before the duration');
  assert.doesNotMatch(screen, /sockscope watch/);
});

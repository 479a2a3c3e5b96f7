// The live view driven in a real terminal (tmux): highlights, sort and filter
// keys, the terminal restored after q and SIGTERM, and `k` on a process the
// test started, including the refusal when the pid looks reused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, sleep, startPython } from '../live/helpers.js';
import { Tmux, lineWith, tmux } from './tmux.js';

const LISTEN = `
import socket
ports = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(5)
    ports.append(s.getsockname()[1])
    globals().setdefault('keep', []).append(s)
emit(ports=sorted(ports), pid=os.getpid())
hold()
`;

/** Type a filter with the `/` key. */
function filterFor(x: Tmux, text: string): void {
  x.type('/');
  x.type(text);
  x.keys('Enter');
}

test('a new listener shows green within two refreshes, then red when closed, then goes', async (t) => {
  const x = tmux(t);
  x.start(Tmux.watchLine('--interval 0.5 -n'));
  await x.until('the live view is up', (s) => s.includes('sockscope watch'));
  const child = startPython(t, 'listener', LISTEN, ['1']);
  const { ports } = (await child.message('ports')) as unknown as { ports: number[] };
  const port = ports[0]!;
  filterFor(x, String(port));
  const endpoint = `127.0.0.1:${port} `;
  // Two refreshes (2 x 0.5 s) plus the time tmux needs to show it.
  const started = Date.now();
  const screen = await x.until('the listener marked new', (s) => (lineWith(s, endpoint) ?? '').includes('\x1b[32m'), { escapes: true, timeoutMs: 2500 });
  t.diagnostic(`seen after ${Date.now() - started} ms`);
  assert.match(lineWith(screen, endpoint)!, /\+ tcp\s+127\.0\.0\.1:\d+\s+0\.0\.0\.0:\*\s+LISTEN/);
  await child.stop();
  const red = await x.until('the closed listener marked red', (s) => (lineWith(s, endpoint) ?? '').includes('\x1b[31m'), { escapes: true, timeoutMs: 3000 });
  assert.match(lineWith(red, endpoint)!, /- tcp/);
  await x.until('the closed listener gone', (s) => lineWith(s, endpoint) === undefined, { timeoutMs: 8000 });
});

test('sort and filter keys change what is shown', async (t) => {
  const x = tmux(t);
  const child = startPython(t, 'listeners', LISTEN, ['2']);
  const { ports } = (await child.message('ports')) as unknown as { ports: number[] };
  const [p1, p2] = ports as [number, number];
  x.start(Tmux.watchLine('--interval 0.5 -n'));
  await x.until('the live view is up', (s) => s.includes('sockscope watch'));
  filterFor(x, `${p1} ${p2}`);
  const order = (s: string): number[] => [p1, p2].map((p) => s.indexOf(`127.0.0.1:${p} `)).filter((i) => i >= 0);
  let screen = await x.until('both listeners, ascending', (s) => { const o = order(s); return o.length === 2 && o[0]! < o[1]!; });
  assert.match(screen, /sort: local ↑/);
  x.keys('r');
  screen = await x.until('both listeners, descending', (s) => { const o = order(s); return o.length === 2 && o[0]! > o[1]! && s.includes('sort: local ↓'); });
  x.keys('s');
  await x.until('sort key moved to the next column', (s) => s.includes('sort: remote ↓'));
  x.keys('c'); // the `/` prompt starts from the current filter: clear it first
  filterFor(x, String(p2));
  screen = await x.until('only the second listener', (s) => s.includes(`127.0.0.1:${p2} `) && !s.includes(`127.0.0.1:${p1} `));
  assert.match(screen, new RegExp(`filter: ${p2}`));
  x.keys('c');
  // Cleared: every socket counted again. (Both listeners need not be on screen: other programs'
  // sockets on this machine's loopback may fill it.)
  await x.until('filter cleared', (s) => !s.includes('filter:') && /\d+ sockets/.test(s) && !/\d+ of \d+ sockets/.test(s), { timeoutMs: 5000 });
  // The listeners view shows the accept queue against the backlog.
  x.keys('3');
  filterFor(x, `${p1}`);
  await x.until('listeners view with backlog', (s) => /Accept queue/.test(s) && /\[\.{8}\] 0\/5/.test(lineWith(s, `127.0.0.1:${p1} `) ?? ''));
  x.keys('2');
  await x.until('processes view lists the python listener', (s) => new RegExp(`${child.pid}\\s+python`).test(s) && s.includes(`tcp/${p1}`));
});

test('q leaves the alternate screen and restores the terminal', async (t) => {
  const x = tmux(t);
  x.start(Tmux.watchLine('--interval 0.5 -n'));
  await x.until('the live view is up', (s) => s.includes('sockscope watch'));
  x.keys('q');
  // Wait for the shell's stty line too: it comes right after WATCH-EXIT.
  const screen = await x.until('the shell is back', (s) => s.includes('WATCH-EXIT 0') && /^-?icanon$/m.test(s));
  assert.doesNotMatch(screen, /sockscope watch/);
  assert.match(screen, /^icanon$/m, 'the terminal is back in canonical (cooked) mode');
});

test('SIGTERM leaves the alternate screen and restores the terminal', async (t) => {
  const x = tmux(t);
  x.start(Tmux.watchLine('--interval 0.5 -n'));
  await x.until('the live view is up', (s) => s.includes('sockscope watch'));
  const pid = await eventually('the watch pid', () => { const p = x.childPid(); if (!p) throw new Error('no child yet'); return p; });
  process.kill(pid, 'SIGTERM');
  const screen = await x.until('the shell is back', (s) => s.includes('WATCH-EXIT 143') && /^-?icanon$/m.test(s));
  assert.doesNotMatch(screen, /sockscope watch/);
  assert.match(screen, /^icanon$/m);
});

test('k terminates the holding process after confirmation', async (t) => {
  const child = startPython(t, 'victim', LISTEN, ['1']);
  const { ports } = (await child.message('ports')) as unknown as { ports: number[] };
  const x = tmux(t);
  x.start(Tmux.watchLine(`--interval 0.5 -n --port ${ports[0]}`));
  await x.until('the victim is shown', (s) => s.includes(`127.0.0.1:${ports[0]} `) && s.includes(`${child.pid}/python`));
  x.keys('k');
  await x.until('asked first', (s) => s.includes(`Terminate process ${child.pid} (python`));
  await sleep(300);
  assert.equal(child.exitCode, null, 'nothing is sent before the answer');
  x.keys('y');
  await eventually('the victim exits', () => { if (child.exitCode === null && !child.stderr.includes('Terminated')) { try { process.kill(child.pid, 0); } catch { return; } throw new Error('still alive'); } }, { timeoutMs: 5000 });
  await x.until('the view says it was sent', (s) => s.includes(`Sent SIGTERM to ${child.pid}`) || s.includes(`Process ${child.pid} has exited`));
});

test('k refuses when the pid no longer has the start time it had', async (t) => {
  const child = startPython(t, 'bystander', LISTEN, ['1']);
  const { ports } = (await child.message('ports')) as unknown as { ports: number[] };
  const x = tmux(t);
  // The seam makes every start time read at check time differ from the one recorded: a reused pid.
  x.start(Tmux.watchLine(`--interval 0.5 -n --port ${ports[0]}`), { SOCKSCOPE_WATCH_START_SKEW: '7' });
  await x.until('the bystander is shown', (s) => s.includes(`${child.pid}/python`));
  x.keys('k');
  await x.until('asked first', (s) => s.includes(`Terminate process ${child.pid}`));
  x.keys('y');
  await x.until('refused', (s) => s.includes(`Refused: pid ${child.pid} now belongs to another process`));
  await sleep(500);
  process.kill(child.pid, 0); // throws if it was hit
  assert.equal(child.exitCode, null);
});

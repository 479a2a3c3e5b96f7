// `k` on a socket held by several processes (a forked server, as prefork
// servers do): the view names every holder, the user picks one or all, and
// afterwards it says whether the socket is still held. Real processes, tmux.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, sleep, startPython } from '../live/helpers.js';
import { Tmux, tmux } from './tmux.js';

// The parent listens, then forks two workers that inherit the listener. Children
// that die are reaped at once (SIGCHLD ignored), so a killed pid really is gone.
const FORK_SERVER = `
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(16)
pids = [os.getpid()]
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        signal.alarm(120)
        while True:
            time.sleep(1)
    pids.append(pid)
emit(port=srv.getsockname()[1], pids=pids)
hold()
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('k on a shared listener names every holder; one is chosen, then all; the view says whether the socket is still held', async (t) => {
  const child = startPython(t, 'fork-server', FORK_SERVER);
  const { port, pids } = (await child.message('port')) as { port: number; pids: number[] };
  t.after(() => { for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } } });
  const x = tmux(t);
  x.start(Tmux.watchLine(`--interval 0.5 --rescan 1 -n --port ${port}`));
  await x.until('the listener with its three holders', (s) => pids.every((p) => s.includes(`${p}/python`)), { timeoutMs: 10_000 });

  x.keys('k');
  let screen = await x.until('every holder named', (s) => s.includes('is held by 3 processes'));
  for (const p of pids) assert.match(screen, new RegExp(`^\\s*\\d\\s+${p}/python`, 'm'), `pid ${p} offered`);
  assert.match(screen, /a\s+all 3 processes/);
  // The second entry of the list.
  const second = Number(/^\s*2\s+(\d+)\//m.exec(screen)![1]);
  assert.ok(pids.includes(second));
  x.keys('2');
  await x.until('asked about that one only', (s) => s.includes(`Terminate process ${second} (python`));
  await sleep(300);
  assert.ok(pids.every(alive), 'nothing sent before y');
  x.keys('y');
  await eventually('the chosen worker exits', () => { if (alive(second)) throw new Error('still alive'); }, { timeoutMs: 5000 });
  const rest = pids.filter((p) => p !== second);
  assert.ok(rest.every(alive), 'only the chosen process was signalled');
  screen = await x.until('the view says the socket is still held, and by whom', (s) => s.includes(`127.0.0.1:${port} is still held by`), { timeoutMs: 8000 });
  for (const p of rest) assert.ok(screen.includes(`${p}/python`), `still held by ${p}`);
  assert.ok(!new RegExp(`still held by[^\\n]*\\b${second}/`).test(screen), 'the dead pid is not named as a holder');

  // Then all of the rest.
  await x.until('the row shows the two left', (s) => !s.includes(`${second}/python`), { timeoutMs: 10_000 });
  x.keys('k');
  await x.until('two holders now', (s) => s.includes('is held by 2 processes'));
  x.keys('a');
  await x.until('asked about both', (s) => s.includes('Terminate all 2 processes'));
  x.keys('y');
  await eventually('both exit', () => { if (rest.some(alive)) throw new Error('still alive'); }, { timeoutMs: 5000 });
  await x.until('the view says nobody holds it now', (s) => s.includes(`127.0.0.1:${port} is no longer held by any process`), { timeoutMs: 8000 });
});

// A root process shares its listener with a process of nobody's that it started
// and never reaps (so once killed it is a zombie). The view runs as nobody: it
// sees only nobody's process hold the socket.
const HIDDEN_SHARE = `
import subprocess
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(4)
child = subprocess.Popen(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', sys.executable, '-c',
    'import signal, time; signal.alarm(120); time.sleep(120)'], pass_fds=[srv.fileno()])
emit(port=srv.getsockname()[1], child=child.pid)
hold()
`;

test('k on the only holder we can see: an exited (zombie) process is not asked about again, and a socket still open is not called released', async (t) => {
  assert.equal(process.geteuid?.(), 0, 'this test needs root: it runs the view as nobody beside a root process');
  const parent = startPython(t, 'hidden-share', HIDDEN_SHARE);
  const { port, child } = (await parent.message('port')) as { port: number; child: number };
  t.after(() => { try { process.kill(child, 'SIGKILL'); } catch { /* gone */ } });
  const x = tmux(t);
  x.start(`setpriv --reuid=65534 --regid=65534 --clear-groups ${Tmux.watchLine(`--interval 0.5 -n --port ${port}`)}`);
  await x.until('nobody\'s process shown as the holder', (s) => s.includes(`${child}/python`), { timeoutMs: 10_000 });
  x.keys('k');
  await x.until('asked', (s) => s.includes(`Terminate process ${child}`));
  x.keys('y');
  const screen = await x.until('the outcome', (s) => s.includes(`Process ${child} has exited`) || /SIGKILL\?/.test(s), { timeoutMs: 8000 });
  assert.doesNotMatch(screen, /SIGKILL\?/, 'an exited process (a zombie its parent has not reaped) is not still running');
  assert.doesNotMatch(screen, /no longer held by any process/, 'the socket is still open: the root process holds it');
  assert.match(screen, new RegExp(`127\\.0\\.0\\.1:${port} is still open`));
  assert.ok(alive(parent.pid), 'the root process was not touched');
  // The zombie's fds can no longer be read (nor does it hold any): its row stops naming it.
  await x.until('the row no longer names the exited process', (s) => {
    const row = s.split('\n').find((l) => l.includes(`127.0.0.1:${port} `)) ?? '';
    return !row.includes(`${child}/`) && row.includes('hidden: no permission');
  }, { timeoutMs: 6000 });
});

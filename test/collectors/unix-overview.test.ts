// Listening Unix sockets in the overview (sockscope with no command): their
// paths or abstract names, type, queue/backlog and the process holding them;
// left out with -t/-u; from /proc/net/unix in a recorded tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURES, runCli } from '../helpers.js';
import { runCli as runLive, startPython } from '../live/helpers.js';

const SCENE = String.raw`
d = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(os.path.join(d, 'api.sock')); srv.listen(7)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(os.path.join(d, 'api.sock'))
ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); ab.bind(b'\0sockscope-ov-\x1b[2J' + str(os.getpid()).encode()); ab.listen(1)
emit(ready=True)
hold()
`;

test('overview: listening Unix sockets with path, queue/backlog and holder; escaped abstract names; not with -t', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-ov-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scene = startPython(t, 'unix listeners', SCENE, [dir]);
  await scene.message('ready');
  const r = await runLive(['-W']);
  assert.equal(r.code, 0, r.stderr);
  const section = r.stdout.split('\n\n').find((b) => b.startsWith('Listening Unix sockets'));
  assert.ok(section, r.stdout.slice(0, 2000));
  const row = section.split('\n').find((l) => l.includes(join(dir, 'api.sock')));
  // One connection waits in the queue of 7 (nobody accepted it).
  assert.match(row ?? '', new RegExp(`python3\\s+${scene.pid}\\s+stream\\s+1/7\\s+${join(dir, 'api.sock').replace(/[.]/g, '\\.')}`), section);
  const abstract = section.split('\n').find((l) => l.includes(`@sockscope-ov-`) && l.includes(`${scene.pid}`));
  assert.ok(abstract?.includes('\\x1b[2J'), 'the escape in the name is shown escaped');
  assert.ok(!r.stdout.includes('\u001b'), 'no raw escape on the terminal');
  const tcp = await runLive(['-t']);
  assert.ok(!tcp.stdout.includes('Listening Unix sockets'));
});

test('overview of a recorded tree: Unix listeners from its /proc/net/unix, in Chinese too', () => {
  const tree = join(FIXTURES, 'proc', 'unix-table');
  const env = { SOCKSCOPE_PASSWD: join(tree, 'passwd') };
  const r = runCli(['--proc-root', tree, '-W'], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Listening Unix sockets \(2\)/);
  assert.match(r.out, /dbus-daemon\s+6201\s+stream\s+\?\/\?\s+\/run\/dbus\/system_bus_socket/);
  assert.match(r.out, /\(owner unknown\)\s+-\s+stream\s+\?\/\?\s+@\/tmp\/\.X11-unix\/X0/);
  const zh = runCli(['--lang', 'zh-CN', '--proc-root', tree, '-W'], env);
  assert.match(zh.out, /正在监听的 Unix socket（2 个）/);
});

test('overview: the Unix listeners\' holders come from the one fd scan of the TCP/UDP query (each /proc/PID/fd read once)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-ov1-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scene = startPython(t, 'unix listeners', SCENE, [dir]);
  await scene.message('ready');
  const out = join(dir, 'strace.txt');
  // A second scan of every process's fds costs seconds at 100k sockets: strace counts the directory opens.
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', out, process.execPath, BIN, '-W', '-n'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.error, undefined, `strace could not run: ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
  const opens = readFileSync(out, 'utf8').split('\n').filter((l) => l.includes(`"/proc/${scene.pid}/fd"`)).length;
  assert.equal(opens, 1, `the scene's fd directory was opened ${opens} times`);
  // ... and its Unix listener still has its holder.
  const section = r.stdout.split('\n\n').find((b) => b.startsWith('Listening Unix sockets')) ?? '';
  assert.match(section, new RegExp(`python3\\s+${scene.pid}\\s+stream\\s+1/7\\s+${join(dir, 'api.sock').replace(/[.]/g, '\\.')}`), r.stdout.slice(0, 3000));
});

// `sockscope pid <PID>` and `sockscope process <NAME>` on a live process:
// the fd numbers of its sockets, found by pid and by a unique command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from '../../src/index.js';
import { describeAll, eventually, runCli, socketsOnPort, startPython } from './helpers.js';

const SCRIPT = `
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM); l.bind(('127.0.0.1', 0)); l.listen(4)
c = socket.create_connection(('127.0.0.1', l.getsockname()[1]))
a, _ = l.accept()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(('::1', 0))
f = open('/dev/null')    # a file that is not a socket, which must not be listed
emit(port=l.getsockname()[1], fds=sorted([l.fileno(), c.fileno(), a.fileno(), u.fileno()]), udp=u.getsockname()[1])
hold()
`;

/** FD cells of the per-process table: the first column of each row. */
function fdColumn(table: string): number[] {
  const fds: number[] = [];
  for (const line of table.split('\n')) {
    const m = /^\s*(\d+(?:,\d+)*)\s+(tcp|udp)6?\s/.exec(line);
    if (m) fds.push(...m[1]!.split(',').map(Number));
  }
  return fds.sort((a, b) => a - b);
}

test('cli pid and process: the fds of a live process', async (t) => {
  const name = `sockscope-live-${process.pid}-${Date.now().toString(36)}`;
  const child = startPython(t, 'pid child', SCRIPT, [name]);
  const m = await child.message('fds');
  const fds = m['fds'] as number[];
  await eventually('scene visible', async () => {
    const { sockets } = await socketsOnPort(m['port'] as number, { protocols: ['tcp'], families: ['ipv4'] });
    assert.equal(sockets.length, 3, describeAll(sockets));
  });

  const r = await runCli(['pid', String(child.pid), '-n']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^PID ${child.pid}\\s+python`, 'm'), r.stdout);
  assert.ok(r.stdout.includes(name), `the command line is shown:\n${r.stdout}`);
  assert.match(r.stdout, /^\s*FD\s+Proto/m, r.stdout);
  assert.deepEqual(fdColumn(r.stdout), fds, `fd column:\n${r.stdout}`);

  const j = await runCli(['pid', String(child.pid), '--json']);
  assert.equal(j.code, 0, j.stderr);
  const sockets = JSON.parse(j.stdout) as Socket[];
  assert.deepEqual(sockets.flatMap((s) => s.holders.filter((h) => h.pid === child.pid).map((h) => h.fd!)).sort((a, b) => a - b), fds,
    describeAll(sockets));
  assert.ok(sockets.some((s) => s.protocol === 'udp' && s.family === 'ipv6' && s.localPort === m['udp']), describeAll(sockets));

  const p = await runCli(['process', name, '-n']);
  assert.equal(p.code, 0, p.stdout + p.stderr);
  const sections = p.stdout.match(/^PID \d+/gm) ?? [];
  assert.deepEqual(sections, [`PID ${child.pid}`], `exactly the child:\n${p.stdout}`);
  assert.deepEqual(fdColumn(p.stdout), fds, p.stdout);

  const none = await runCli(['process', `${name}-nobody-runs-this`]);
  assert.equal(none.code, 1, none.stdout + none.stderr);
  assert.match(none.stderr, /no running process/, none.stderr);

  // A pid that cannot exist (pids are below pid_max) and a live process without sockets.
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const gone = await runCli(['pid', String(pidMax)]);
  assert.equal(gone.code, 1, gone.stdout + gone.stderr);
  assert.match(gone.stderr, /no process with pid/, gone.stderr);
  const quiet = startPython(t, 'no sockets', `emit(ready=1)\nhold()\n`);
  await quiet.message('ready');
  const q = await runCli(['pid', String(quiet.pid)]);
  assert.equal(q.code, 1, q.stdout + q.stderr);
  assert.match(q.stdout, /holds no TCP or UDP sockets/, q.stdout);
});

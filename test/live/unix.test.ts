// list -x on real Unix domain sockets: a listener on a path with one accepted
// and one waiting connection, a socketpair, a datagram socket with a hostile
// abstract name and a path that is not UTF-8 — checked against what the
// process itself knows (fstat inodes, fds) and against ss -x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startPython } from './helpers.js';

const SCENE = String.raw`
import base64
d = sys.argv[1]
ino = lambda s: os.fstat(s.fileno()).st_ino
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(os.path.join(d, 'srv.sock'))
srv.listen(3)
c1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c1.connect(os.path.join(d, 'srv.sock'))
a1, _ = srv.accept()
c2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c2.connect(os.path.join(d, 'srv.sock'))  # left in the queue
c1.send(b'12345')
p1, p2 = socket.socketpair()
name = b'\0sockscope-test-' + str(os.getpid()).encode() + b'-\x1b[31mred'
g = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); g.bind(name)
bad = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); bad.bind(os.path.join(d.encode(), b'caf\xe9.sock'))
emit(srv=ino(srv), srvfd=srv.fileno(), c1=ino(c1), a1=ino(a1), a1fd=a1.fileno(), c2=ino(c2), p1=ino(p1), p2=ino(p2),
     g=ino(g), gname=base64.b64encode(name[1:]).decode(), bad=ino(bad))
hold()
`;

interface J { type: string; state: string; path?: string; abstract?: string; inode: number; peer?: number; recvQ: number; sendQ: number; backlog?: number; holders: { pid: number; fd: number; name?: string }[]; unheldReason?: string }

test('list -x: paths, abstract names, peers, queues and holders of real Unix sockets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scene = startPython(t, 'unix scene', SCENE, [dir]);
  const m = await scene.message('srv') as Record<string, number | string>;
  const r = await runCli(['list', '-x', '--json', '--pid', String(scene.pid)]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as J[];
  const by = (ino: unknown): J => rows.find((x) => x.inode === ino)!;

  const srv = by(m['srv']);
  assert.deepEqual([srv.type, srv.state, srv.path, srv.recvQ, srv.backlog], ['stream', 'LISTEN', join(dir, 'srv.sock'), 1, 3]);
  assert.deepEqual(srv.holders.map((h) => [h.pid, h.fd, h.name]), [[scene.pid, m['srvfd'], 'python3']]);
  // The accepted connection: both ends connected to each other, 5 bytes waiting on the server's end.
  const a1 = by(m['a1']);
  const c1 = by(m['c1']);
  assert.deepEqual([a1.state, a1.peer, c1.peer, a1.recvQ], ['ESTABLISHED', m['c1'], m['a1'], 5]);
  assert.deepEqual(a1.holders.map((h) => h.fd), [m['a1fd']]);
  // The socketpair: unnamed, each the other's peer.
  assert.deepEqual([by(m['p1']).peer, by(m['p2']).peer, by(m['p1']).path, by(m['p1']).abstract], [m['p2'], m['p1'], undefined, undefined]);
  // The abstract name, exact in JSON (its escape byte included); the non-UTF-8 path keeps its byte as U+DCE9.
  const g = by(m['g']);
  assert.equal(g.type, 'dgram');
  assert.equal(g.abstract, Buffer.from(m['gname'] as string, 'base64').toString('latin1'));
  assert.ok(g.abstract!.includes('\u001b[31m'));
  assert.equal(by(m['bad']).path, join(dir, 'caf\udce9.sock'));
  // The connection still waiting in the listener's queue: counted in the listener's Recv-Q; the kernel
  // dumps no server end for it yet, so the client end has no peer (ss -x shows "* 0" too).
  const c2 = by(m['c2']);
  assert.deepEqual([c2.state, c2.peer, c2.holders.length], ['ESTABLISHED', undefined, 1]);

  // ss -x sees the same inodes with the same paths.
  const ss = spawnSync('ss', ['-xanH'], { encoding: 'utf8' }).stdout;
  for (const k of ['srv', 'a1', 'c1', 'p1', 'g']) assert.match(ss, new RegExp(`\\s${m[k]}\\s`), `${k} (${m[k]}) in ss -x`);

  // The table: the hostile name escaped, the listener's backlog in Send-Q, -l keeps listeners only.
  const table = await runCli(['list', '-x', '--pid', String(scene.pid)]);
  assert.equal(table.code, 0, table.stderr);
  assert.ok(!table.stdout.includes('\u001b'), 'no raw escape reaches the terminal');
  assert.match(table.stdout, /@sockscope-test-\d+-\\x1b\[31mred/);
  assert.match(table.stdout, new RegExp(`stream\\s+LISTEN\\s+1\\s+3\\s+${join(dir, 'srv.sock').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  const listeners = await runCli(['list', '-x', '-l', '--pid', String(scene.pid), '--json']);
  assert.deepEqual((JSON.parse(listeners.stdout) as J[]).map((x) => x.inode), [m['srv']]);
  // The peer column names the other end, and the holders cell who holds it (after ↔): the accepted end's peer is the client.
  const a1Row = table.stdout.split('\n').find((l) => new RegExp(`\\s${m['a1']}\\s`).test(l))!;
  assert.match(a1Row, new RegExp(`\\s${m['c1']}\\s.*${scene.pid}/python3 fd ${m['a1fd']}, ↔ ${scene.pid}/python3 fd \\d+`), a1Row);
  // pid N shows the Unix sockets the process holds after its TCP/UDP table.
  const pid = await runCli(['pid', String(scene.pid)]);
  assert.match(pid.stdout, new RegExp(`Unix sockets \\(${rows.length}\\):`), pid.stdout);
  assert.ok(pid.stdout.includes(join(dir, 'srv.sock')));
  // Options that mean nothing for Unix sockets: one line, exit 2.
  const bad = await runCli(['list', '-x', '--port', '80']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

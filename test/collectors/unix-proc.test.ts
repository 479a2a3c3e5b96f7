// Unix sockets from /proc/net/unix, the fallback when netlink's UNIX_DIAG is
// not there (and the table of a recorded tree, and --source proc): the
// parser on a recorded table (listeners, a connection, abstract names with
// their NULs printed as @, a non-UTF-8 path, a path broken by a newline, a
// malformed line), list -x on the recorded tree with holders, and on the live
// system the same sockets as netlink reports them, less what the table lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers.js';
import { runCli as runLive, startPython } from '../live/helpers.js';
import { parseProcNetUnix } from '../../src/collectors/procfs/unix-table.js';
import { decodeProcBytes } from '../../src/collectors/proc-text.js';

const TREE = join(FIXTURES, 'proc', 'unix-table');

test('parseProcNetUnix: types, states, names; a newline in a path continues it; a bad line is counted', () => {
  const r = parseProcNetUnix(decodeProcBytes(readFileSync(join(TREE, 'net', 'unix'))));
  const by = (inode: number) => r.sockets.find((s) => s.inode === inode)!;
  assert.deepEqual(r.sockets.map((s) => s.inode), [7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008]);
  assert.deepEqual([by(7001).type, by(7001).state, by(7001).path], ['stream', 'LISTEN', '/run/dbus/system_bus_socket']);
  assert.deepEqual([by(7002).state, by(7002).path, by(7002).abstract], ['ESTABLISHED', undefined, undefined]);
  assert.deepEqual([by(7004).state, by(7004).abstract], ['LISTEN', '/tmp/.X11-unix/X0']);
  assert.deepEqual([by(7005).type, by(7005).state], ['dgram', 'UNCONN']);
  assert.deepEqual([by(7006).type, by(7006).abstract], ['seqpacket', 'sockscope@nul']);
  assert.equal(by(7007).path, '/tmp/caf\udce9.sock');
  assert.equal(by(7008).path, '/tmp/new\nline.sock');
  // What the table does not have is absent, never 0.
  for (const s of r.sockets) assert.deepEqual([s.recvQ, s.sendQ, s.peer, s.uid, s.backlog], [undefined, undefined, undefined, undefined, undefined]);
  assert.equal(r.malformed, 1);
  assert.match(r.firstMalformed!, / 0009 01 7009$/);
});

test('parseProcNetUnix: an inode under 10000 is printed padded ("%5lu") and is a socket of its own, not the rest of the name above it', () => {
  // As this machine prints pid 1's sockets (inodes 560 and 561) after a named listener.
  const text = 'Num       RefCount Protocol Flags    Type St Inode Path\n' +
    '00000000c0ffee00: 00000002 00000000 00010000 0001 01 8598560 /tmp/l.sock\n' +
    '000000002a157934: 00000003 00000000 00000000 0001 03   561\n' +
    '000000002a157935: 00000003 00000000 00000000 0001 03     7 /run/x.sock\n';
  const r = parseProcNetUnix(text);
  assert.deepEqual(r.sockets.map((s) => [s.inode, s.state, s.path]), [[8598560, 'LISTEN', '/tmp/l.sock'], [561, 'ESTABLISHED', undefined], [7, 'ESTABLISHED', '/run/x.sock']]);
  assert.equal(r.malformed, 0);
});

test('list -x on a recorded tree: /proc/net/unix with holders, "?" for queues, a note saying what is missing', () => {
  const env = { SOCKSCOPE_PASSWD: join(TREE, 'passwd') };
  const json = runCli(['--proc-root', TREE, 'list', '-x', '--json'], env);
  assert.equal(json.code, 0, json.err);
  const rows = JSON.parse(json.out) as { inode: number; recvQ?: number; holders: { pid: number; fd: number; user?: string }[]; unheldReason?: string }[];
  const by = (inode: number) => rows.find((s) => s.inode === inode)!;
  assert.deepEqual(by(7001).holders.map((h) => [h.pid, h.fd, h.user]), [[6201, 3, 'root']]);
  assert.deepEqual(by(7002).holders.map((h) => [h.pid, h.fd, h.user]), [[6202, 5, 'ana']]);
  assert.equal(by(7004).unheldReason, 'unknown');
  assert.ok(rows.every((s) => !('recvQ' in s) && !('sendQ' in s)), 'no queue invented');
  assert.match(json.err, /read from .*unix-table\/net\/unix: it has no peers, queues or owners/);
  assert.match(json.err, /1 malformed lines, first: .* 0009 01 7009/);
  const table = runCli(['--proc-root', TREE, 'list', '-x', '-l'], env);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /stream\s+LISTEN\s+\?\s+\?\s+\/run\/dbus\/system_bus_socket\s+\*\s+7001\s+6201\/dbus-daemon fd 3/);
  assert.match(table.out, /@\/tmp\/\.X11-unix\/X0/);
  assert.doesNotMatch(table.out, /ESTABLISHED/);
  const zh = runCli(['--lang', 'zh-CN', '--proc-root', TREE, 'list', '-x'], env);
  assert.match(zh.err, /Unix socket 读自 .*没有对端、队列和所有者/);
});

const SCENE = String.raw`
d = sys.argv[1]
ino = lambda s: os.fstat(s.fileno()).st_ino
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(os.path.join(d, 'l.sock')); srv.listen(4)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(os.path.join(d, 'l.sock'))
a, _ = srv.accept()
g = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); g.bind(b'\0sockscope-proc-' + str(os.getpid()).encode())
emit(srv=ino(srv), c=ino(c), a=ino(a), g=ino(g))
hold()
`;

test('--source proc list -x on the live system: the sockets netlink reports, with the same names, types, states and holders', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-unixproc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scene = startPython(t, 'unix scene', SCENE, [dir]);
  const m = await scene.message('srv') as Record<string, number>;
  const nl = await runLive(['list', '-x', '--json', '--pid', String(scene.pid)]);
  const pr = await runLive(['--source', 'proc', 'list', '-x', '--json', '--pid', String(scene.pid)]);
  assert.equal(pr.code, 0, pr.stderr);
  type J = { inode: number; type: string; state: string; path?: string; abstract?: string; peer?: number; holders: { pid: number; fd: number }[] };
  const a = (JSON.parse(nl.stdout) as J[]).sort((x, y) => x.inode - y.inode);
  const b = (JSON.parse(pr.stdout) as J[]).sort((x, y) => x.inode - y.inode);
  const same = (x: J): unknown => [x.inode, x.type, x.state, x.path, x.abstract, x.holders.map((h) => [h.pid, h.fd])];
  assert.deepEqual(b.map(same), a.map(same));
  // The scene's own four (its stdio pipes from node are socketpairs too).
  for (const k of ['srv', 'c', 'a', 'g']) assert.ok(b.some((x) => x.inode === m[k]), `${k} from /proc/net/unix`);
  assert.ok(b.every((x) => x.peer === undefined) && a.some((x) => x.peer === m['c']), 'peers only from netlink');
  assert.match(pr.stderr, /read from \/proc\/net\/unix/);
});

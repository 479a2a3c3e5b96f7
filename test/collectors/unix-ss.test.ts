// list -x against ss -xp on Unix sockets spread over two processes: a
// socketpair whose ends live in different processes (fork), a listening path
// socket with two clients in the other process, an abstract listener with a
// client, and a datagram socket another process connect()ed to and wrote to.
// Each socket's type, state, queues, address, peer and holders (pid, fd) as
// ss -xp shows them; both ends' holders named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, runCli, startPython } from '../live/helpers.js';

const SCENE = String.raw`
d = sys.argv[1]
ino = lambda s: os.fstat(s.fileno()).st_ino
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(os.path.join(d, 'srv.sock')); srv.listen(8)
ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); ab.bind(b'\0sockscope-ss-' + str(os.getpid()).encode()); ab.listen(2)
dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); dg.bind(os.path.join(d, 'dg.sock'))
p1, p2 = socket.socketpair()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    # The child: the other end of the pair, two clients of srv, one of ab, a datagram sender.
    p1.close()
    c1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c1.connect(os.path.join(d, 'srv.sock'))
    c2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c2.connect(os.path.join(d, 'srv.sock'))
    c3 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c3.connect(b'\0sockscope-ss-' + str(os.getppid()).encode())
    ds = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); ds.connect(os.path.join(d, 'dg.sock')); ds.send(b'hello')
    c1.send(b'12345678')
    os.write(w, json.dumps(dict(p2=ino(p2), c1=ino(c1), c2=ino(c2), c3=ino(c3), ds=ino(ds))).encode() + b'\n')
    while True:
        time.sleep(1)
p2.close()
kid = json.loads(os.fdopen(r).readline())
a1, _ = srv.accept()
a2, _ = srv.accept()
emit(child=pid, srv=ino(srv), ab=ino(ab), dg=ino(dg), p1=ino(p1), a1=ino(a1), a2=ino(a2), **kid)
hold()
`;

interface Row { type: string; state: string; recvQ: number; sendQ: number; address: string; inode: number; peer: string; holders: string[] }

/** ss -xpanH lines as rows: Netid State Recv-Q Send-Q Local Inode Peer PeerInode users:((...)) */
function ssRows(): Map<number, Row> {
  const out = spawnSync('ss', ['-xpanH'], { encoding: 'utf8' }).stdout;
  const rows = new Map<number, Row>();
  for (const line of out.split('\n')) {
    const m = /^(u_str|u_dgr|u_seq)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const holders = [...m[9]!.matchAll(/pid=(\d+),fd=(\d+)/g)].map((x) => `${x[1]}/${x[2]}`).sort();
    rows.set(Number(m[6]), {
      type: ({ u_str: 'stream', u_dgr: 'dgram', u_seq: 'seqpacket' } as Record<string, string>)[m[1]!]!,
      state: ({ ESTAB: 'ESTABLISHED', LISTEN: 'LISTEN', UNCONN: 'UNCONN' } as Record<string, string>)[m[2]!] ?? m[2]!,
      recvQ: Number(m[3]), sendQ: Number(m[4]), address: m[5]!, inode: Number(m[6]), peer: m[8]!, holders,
    });
  }
  return rows;
}

interface J { type: string; state: string; path?: string; abstract?: string; inode: number; peer?: number; recvQ: number; sendQ: number; backlog?: number; holders: { pid: number; fd: number }[] }

test('list -x agrees with ss -xp over two processes: socketpair, path and abstract listeners, datagram', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-unixss-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scene = startPython(t, 'unix scene', SCENE, [dir]);
  const m = await scene.message('srv') as Record<string, number>;
  const parent = scene.pid;
  const child = m['child']!;
  const ours = ['srv', 'ab', 'dg', 'p1', 'p2', 'a1', 'a2', 'c1', 'c2', 'c3', 'ds'].map((k) => m[k]!);
  await eventually('list -x and ss -xp agree', async () => {
    const r = await runCli(['list', '-x', '--json', '--pid', `${parent},${child}`]);
    assert.equal(r.code, 0, r.stderr);
    const rows = new Map((JSON.parse(r.stdout) as J[]).map((x) => [x.inode, x]));
    const ss = ssRows();
    for (const inode of ours) {
      const a = rows.get(inode);
      const b = ss.get(inode);
      assert.ok(a && b, `inode ${inode} in both (list -x: ${!!a}, ss: ${!!b})`);
      const address = a.path ?? (a.abstract !== undefined ? '@' + a.abstract : '*');
      // ss puts a listener's backlog in Send-Q, as list -x's table does.
      const sendQ = a.state === 'LISTEN' ? a.backlog : a.sendQ;
      assert.deepEqual([a.type, a.state, a.recvQ, sendQ, address, String(a.peer ?? 0), a.holders.map((h) => `${h.pid}/${h.fd}`).sort()],
        [b.type, b.state, b.recvQ, b.sendQ, b.address, b.peer, b.holders], `inode ${inode}`);
    }
  }, { timeoutMs: 8000, intervalMs: 300 });
  // Both ends' holders: the pair is split over the two processes; the table names the other end's holder after ↔.
  const table = await runCli(['list', '-x', '--pid', String(parent)]);
  const row = table.stdout.split('\n').find((l) => new RegExp(`\\s${m['p1']}\\s`).test(l))!;
  assert.match(row, new RegExp(`\\s${m['p2']}\\s.*${parent}/python3 fd \\d+, ↔ ${child}/python3 fd \\d+`), row);
  const srvClient = table.stdout.split('\n').find((l) => new RegExp(`\\s${m['a1']}\\s`).test(l))!;
  assert.match(srvClient, new RegExp(`${parent}/python3 fd \\d+, ↔ ${child}/python3`), srvClient);
  // The listener counts no waiting connection (both accepted); the first accepted end holds the 8 bytes.
  const json = JSON.parse((await runCli(['list', '-x', '--json', '--pid', String(parent)])).stdout) as J[];
  const byIno = (k: string): J => json.find((x) => x.inode === m[k])!;
  assert.deepEqual([byIno('srv').recvQ, byIno('srv').backlog, byIno('a1').recvQ + byIno('a2').recvQ], [0, 8, 8]);
  assert.equal(byIno('dg').recvQ > 0, true, 'the datagram waits in dg.sock');
});

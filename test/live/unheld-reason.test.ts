// Why a socket with an inode has no holder must be true. As root, whenever
// any process was unreadable (pid 1 refuses /proc/1/fd even to root on some
// machines), every unowned socket used to be called `permission-denied`.
// Now a socket is `permission-denied` only when it could belong to a process
// we could not read: one of that process's uids is the socket's uid, or we
// are not root and the socket is another user's. Otherwise the holder simply
// was not there when its fds were read: `process-exited` when a process
// vanished during the scan, else `unknown`.
//
// A socket with an inode and no holder, made on purpose: a listener sent over
// a Unix socket (SCM_RIGHTS) and closed by its sender before anyone received
// it. The only reference is the message in flight, in no fd table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultContext, listSockets } from '../../src/index.js';
import { LiveCollector } from '../../src/collectors/live.js';
import { unheldReason, type UnheldScan } from '../../src/collectors/linux.js';
import { readProcessUids } from '../../src/collectors/procfs/holders.js';
import type { RawSocket } from '../../src/model/socket.js';
import { describeAll, eventually, runCli, startPython, unreadableUids } from './helpers.js';

const base: RawSocket = {
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 9090, remoteAddress: '0.0.0.0',
  remotePort: 0, state: 'LISTEN', recvQ: 0, sendQ: 0, inode: 77, uid: 1000,
};
const none = new Map<number, RawSocket[]>();

test('unheldReason: permission-denied only for a socket an unreadable process could hold', () => {
  const root = (over: Partial<UnheldScan>): UnheldScan => ({ unreadable: [1], exited: [], unreadableUids: new Set([0]), euid: 0, ...over });
  // As root, pid 1 (uid 0) unreadable: a uid-1000 socket is not its.
  assert.equal(unheldReason(base, none, root({})), 'unknown');
  assert.equal(unheldReason(base, none, root({ exited: [4242] })), 'process-exited');
  // A uid-0 socket could be pid 1's.
  assert.equal(unheldReason({ ...base, uid: 0 }, none, root({})), 'permission-denied');
  // Any of an unreadable process's uids (real, effective, saved, fs) counts.
  assert.equal(unheldReason(base, none, root({ unreadableUids: new Set([0, 1000]) })), 'permission-denied');
  // An unreadable process whose uids could not be read could be anyone's.
  assert.equal(unheldReason(base, none, root({ unreadableUids: undefined })), 'permission-denied');
  // Nothing unreadable: never permission-denied.
  assert.equal(unheldReason({ ...base, uid: 0 }, none, root({ unreadable: [], unreadableUids: new Set() })), 'unknown');
  // Not root: another user's socket could be held by that user's process, which we cannot read.
  const user = (over: Partial<UnheldScan>): UnheldScan => ({ unreadable: [1, 300], exited: [], unreadableUids: new Set([0]), euid: 1000, ...over });
  assert.equal(unheldReason({ ...base, uid: 2000 }, none, user({})), 'permission-denied');
  assert.equal(unheldReason(base, none, user({})), 'unknown', 'our own socket, no unreadable process of ours');
  assert.equal(unheldReason(base, none, user({ exited: [5] })), 'process-exited');
  // Sockets without an inode keep their kernel reasons.
  assert.equal(unheldReason({ ...base, inode: 0, state: 'TIME_WAIT', uid: 0 }, none, root({})), 'kernel');
});

test('readProcessUids: every uid of each process; undefined when one cannot be read', () => {
  const mine = readProcessUids('/proc', [process.pid]);
  assert.ok(mine?.has(process.getuid!()), 'our own uid');
  assert.deepEqual(readProcessUids('/proc', [process.pid, 2 ** 22 + 12345]), mine, 'a process that is gone holds nothing: skipped');
  assert.deepEqual(readProcessUids('/proc', []), new Set());
});

const IN_FLIGHT = `
import sys
uid = int(sys.argv[1])
if uid != os.getuid():
    os.setgid(uid)
    os.setuid(uid)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(('127.0.0.1', 0))
l.listen(1)
port = l.getsockname()[1]
socket.send_fds(a, [b'L'], [l.fileno()])
l.close()
emit(port=port, uid=os.getuid())
hold()
`;


test('a socket in flight (no fd anywhere), as root: permission-denied only if an unreadable process has its uid', { timeout: 30_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'needs root (to make a socket of another uid)');
  const NOBODY = 65534;
  for (const uid of [NOBODY, 0]) {
    const child = startPython(t, `in flight, uid ${uid}`, IN_FLIGHT, [String(uid)]);
    const { port } = (await child.message('port')) as { port: number };
    const s = await eventually('the listener in flight', async () => {
      const snap = await listSockets({ filter: { all: true, ports: [port], protocols: ['tcp'] } });
      const mine = snap.sockets.filter((x) => x.localPort === port && x.localAddress === '127.0.0.1');
      assert.equal(mine.length, 1, describeAll(mine));
      assert.equal(mine[0]!.holders.length, 0, describeAll(mine));
      return { sock: mine[0]!, unreadable: snap.unreadableProcesses };
    });
    assert.equal(s.sock.uid, uid);
    const couldBeUnreadables = s.unreadable > 0 && unreadableUids().has(uid);
    t.diagnostic(`uid ${uid}: ${s.unreadable} unreadable processes; reason ${s.sock.unheldReason}`);
    // Which of the two race reasons depends on whether some process on the
    // machine exited during that scan: either is true, permission-denied is not.
    const expect = (reason: string | undefined, where: string): void => {
      if (couldBeUnreadables) assert.equal(reason, 'permission-denied', `${where}: ${describeAll([s.sock])}`);
      else assert.ok(reason === 'unknown' || reason === 'process-exited', `${where}: ${reason}`);
    };
    expect(s.sock.unheldReason, 'listSockets');
    // The live collector (watch) says so too, from both sources.
    for (const source of ['netlink', 'proc'] as const) {
      const live = new LiveCollector(defaultContext(), { source, intervalSeconds: 1, protocols: ['tcp'], families: ['ipv4'] });
      try {
        for (let tick = 0; tick < 3; tick++) {
          const { snapshot } = await live.tick({ ports: [port] });
          const row = snapshot.sockets.find((x) => x.localPort === port && x.localAddress === '127.0.0.1');
          expect(row?.unheldReason, `watch --source ${source}, tick ${tick}`);
        }
      } finally {
        live.close();
      }
    }
    // And the JSON of the CLI.
    const r = await runCli(['port', String(port), '--json']);
    const row = (JSON.parse(r.stdout) as { localPort: number; unheldReason?: string }[]).find((x) => x.localPort === port);
    expect(row?.unheldReason, `port ${port} --json`);
    await child.stop();
  }
});

// Concurrent listSockets() calls must not spoil each other's holder scans.
// The native scan's cancel used to be global: a query that found nothing to
// look up (a free port) cancelled every scan in flight, and a full listing
// running beside it read its cut-short scan as a complete one, losing the
// holders of thousands of sockets with no issue recorded. Each scan now has
// its own handle, and a cancelled scan is never read.
//
// The scene: a few thousand real loopback connections held by two processes.
// Each round runs, at once, a full listing, a query for a free port (no
// inodes: its scan is cancelled), and a query for the scene's port; every
// socket of the scene must come back with its holder, every round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './helpers.js';
import { connectionScene } from './scene.js';
import { nativeScan, scanHolders, startScan, ScanCancelled, type HolderScan } from '../../src/collectors/procfs/holders.js';

const NATIVE_BUILT = existsSync(`${REPO_ROOT}build/Release/sockscope_scan.node`);
const INDEX = fileURLToPath(new URL('../../src/index.js', import.meta.url));
const CONNECTIONS = 1500;
const ROUNDS = 6;

// Runs in a child so the native scan can be switched off (SOCKSCOPE_NATIVE=0).
const ROUND_SCRIPT = `
import { createServer } from 'node:net';
const { listSockets } = await import(${JSON.stringify(INDEX)});
const [port, rounds] = process.argv.slice(-2).map(Number);
// A port nothing uses: bound and released by us, so no socket is left on it.
const free = await new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const ours = (s) => s.protocol === 'tcp' && s.localAddress === '127.0.0.1' && s.remoteAddress !== '::' &&
  (s.localPort === port || s.remotePort === port);
const out = [];
for (let i = 0; i < rounds; i++) {
  const [all, none, one] = await Promise.all([
    listSockets({ filter: { all: true, protocols: ['tcp'] } }),
    listSockets({ filter: { all: true, ports: [free] } }),
    listSockets({ filter: { all: true, ports: [port] } }),
  ]);
  const count = (snap) => {
    const mine = snap.sockets.filter(ours);
    return { seen: mine.length, unheld: mine.filter((s) => s.holders.length === 0).length,
      reasons: [...new Set(mine.filter((s) => s.holders.length === 0).map((s) => s.unheldReason))] };
  };
  out.push({ all: count(all), one: count(one), none: none.sockets.length });
}
console.log(JSON.stringify(out));
`;

for (const native of [true, false]) {
  test(`concurrent listSockets() calls never lose a holder (${native ? 'native' : 'JavaScript'} scan)`, { timeout: 120_000 }, async (t) => {
    if (native) assert.ok(NATIVE_BUILT, 'the native scan is built (npm install builds it)');
    const scene = await connectionScene(t, CONNECTIONS);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', ROUND_SCRIPT, String(scene.port), String(ROUNDS)], {
      encoding: 'utf8', timeout: 90_000, env: { ...process.env, SOCKSCOPE_NATIVE: native ? '1' : '0' },
    });
    assert.equal(r.status, 0, r.stderr);
    const rounds = JSON.parse(r.stdout) as { all: { seen: number; unheld: number; reasons: string[] }; one: { seen: number; unheld: number }; none: number }[];
    assert.equal(rounds.length, ROUNDS);
    for (const [i, round] of rounds.entries()) {
      assert.equal(round.all.seen, scene.sockets, `round ${i}: every socket of the scene in the full listing`);
      assert.equal(round.all.unheld, 0, `round ${i}: the full listing lost ${round.all.unheld} holders (${round.all.reasons})`);
      assert.equal(round.one.seen, scene.sockets, `round ${i}: every socket of the scene in the port query`);
      assert.equal(round.one.unheld, 0, `round ${i}: the port query lost ${round.one.unheld} holders`);
      assert.equal(round.none, 0, `round ${i}: the free port has no socket`);
    }
  });
}

test('a cancelled scan is never read as a complete one; cancelling one leaves the others whole', { timeout: 60_000 }, async (t) => {
  const scene = await connectionScene(t, 300);
  const pids = [scene.server.pid, scene.client.pid];
  const reference = scanHolders('/proc', { pids, forceJs: true });
  const inodes = (h: HolderScan): number => h.byInode.size;
  // (Their stdio pipes are Unix socket pairs too: a few more than the scene's.)
  assert.ok(inodes(reference) >= scene.sockets, 'the reference scan sees every socket of the scene');
  const refsOf = (pid: number): number => [...reference.byInode.values()].flat().filter((r) => r.pid === pid).length;
  for (const forceJs of NATIVE_BUILT ? [false, true] : [true]) {
    const a = startScan('/proc', { forceJs, pids });
    const b = startScan('/proc', { forceJs, pids });
    a.cancel();
    await assert.rejects(a.read(), ScanCancelled, `forceJs=${forceJs}: reading a cancelled scan`);
    const whole = await b.read();
    assert.equal(inodes(whole), inodes(reference), `forceJs=${forceJs}: the other scan is whole`);
    for (const [inode, refs] of reference.byInode) assert.deepEqual(whole.byInode.get(inode), refs, `forceJs=${forceJs}: inode ${inode}`);
  }
  if (NATIVE_BUILT) {
    // The native flag itself: a long scan (the scene's pids many times over)
    // cancelled at once reports itself cancelled, and its sibling does not.
    const n = nativeScan()!;
    const many = Int32Array.from({ length: 4000 }, (_, i) => pids[i % 2]!);
    const cut = n.scanAsync('/proc', many, 1);
    const full = n.scanAsync('/proc', many, 1);
    cut.cancel();
    const [rc, rf] = await Promise.all([cut.done, full.done]);
    assert.equal(rc.cancelled, true, 'the cancelled scan says so');
    const expected = 2000 * (refsOf(pids[0]!) + refsOf(pids[1]!));
    assert.ok(rc.found.length / 3 < expected, 'and stopped early');
    assert.equal(rf.cancelled, false, 'the other scan is not cancelled');
    assert.equal(rf.found.length / 3, expected, 'and read every fd of every pid listed');
    cut.cancel(); // late: harmless
  }
});

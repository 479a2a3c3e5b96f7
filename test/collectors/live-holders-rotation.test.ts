// The live holder tracker (watch) rereads every process's fds once per
// `fullEverySeconds`, a share per refresh. A process is read whole, and the
// share used to be a fixed number of fds per refresh: every process bigger
// than the share overshot it, and the round went through the machine about
// twice as fast as asked (at 100k sockets in 10 processes, 10k readlinks a
// second instead of 5k: most of watch's holder cost). The pace is now that of
// the fds due so far in the round. Here a recorded tree: three processes
// bigger than a refresh's share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HolderTracker } from '../../src/collectors/procfs/live-holders.js';

const PIDS = [4101, 4102, 4103];
const FDS = 3000;

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'sockscope-rotation-'));
  for (const pid of PIDS) {
    const dir = join(root, String(pid));
    mkdirSync(join(dir, 'fd'), { recursive: true });
    writeFileSync(join(dir, 'comm'), 'server\n');
    writeFileSync(join(dir, 'cmdline'), 'server\0');
    writeFileSync(join(dir, 'stat'), `${pid} (server) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 ${pid}000 1000000 100 0 0\n`);
    writeFileSync(join(dir, 'status'), 'Name:\tserver\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n');
    for (let fd = 0; fd < FDS; fd++) symlinkSync(`socket:[${pid * 10000 + fd}]`, join(dir, 'fd', String(fd)));
  }
  writeFileSync(join(root, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return root;
}

/** The pids each refresh read (the tracker's own scan, spied on). */
function spy(tracker: HolderTracker): number[][] {
  const reads: number[][] = [];
  const t = tracker as unknown as { scan(pids: number[]): void };
  const scan = t.scan.bind(tracker);
  t.scan = (pids: number[]): void => {
    reads.push([...pids].sort());
    scan(pids);
  };
  return reads;
}

test('holder rotation: processes bigger than a refresh\'s share are each read once a round, not twice', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const perRound = 6;
  const tracker = new HolderTracker({ procRoot: root, passwdPath: join(root, 'passwd'), intervalSeconds: 1, fullEverySeconds: perRound });
  tracker.refresh();
  assert.deepEqual(tracker.holdersOf(4102 * 10000 + 7)?.map((h) => [h.pid, h.fd]), [[4102, 7]]);
  const reads = spy(tracker);
  for (let i = 0; i < 2 * perRound; i++) tracker.refresh();
  // Every window of six refreshes reads every process (the round's promise)...
  for (let from = 0; from + perRound <= reads.length; from++) {
    const seen = new Set(reads.slice(from, from + perRound).flat());
    assert.deepEqual([...seen].sort(), PIDS, `refreshes ${from}..${from + perRound - 1}: ${JSON.stringify(reads)}`);
  }
  // ...at the pace asked: two rounds' time reads each process about twice (one
  // process ahead at most), where the fixed share read nine processes.
  assert.ok(reads.flat().length <= 2 * PIDS.length + 1, JSON.stringify(reads));
  // And the reads are spread over the round, not taken all at once.
  assert.ok(reads.every((r) => r.length <= 1), JSON.stringify(reads));
});

test('holder rotation: an fd that changed without changing the fd count is found within a round', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const perRound = 6;
  const tracker = new HolderTracker({ procRoot: root, passwdPath: join(root, 'passwd'), intervalSeconds: 1, fullEverySeconds: perRound });
  tracker.refresh();
  // fd 9 of the last process now holds another socket (the directory keeps its size).
  const link = join(root, '4103', 'fd', '9');
  unlinkSync(link);
  symlinkSync('socket:[99999999]', link);
  for (let i = 0; i < perRound; i++) tracker.refresh();
  assert.deepEqual(tracker.holdersOf(99999999)?.map((h) => [h.pid, h.fd]), [[4103, 9]]);
  assert.equal(tracker.holdersOf(4103 * 10000 + 9), undefined);
});

// Ctrl-C and friends: an interactive run waiting for Enter (stdin open, never
// pressed) and a run straight through, interrupted mid-step, both stop every
// child and release every port, and exit 130.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitWithin, killAll, labId, leftovers, portsIn, startCli, until } from './helpers.js';

test('SIGINT while an interactive run waits for Enter cleans up and exits 130', { timeout: 60_000 }, async () => {
  const id = labId();
  const run = startCli(['lab', 'backlog'], id);
  try {
    await until('the first step and the prompt', () => /Press Enter for step 2\/3/.test(run.out()), 30_000);
    // The step's children are alive and hold the listener while the lab waits.
    const ports = portsIn(run.out());
    assert.ok(ports.length >= 1, run.out());
    const before = await leftovers(id, ports, 0);
    assert.ok(before.pids.length >= 1, 'the server runs while the lab waits');
    assert.ok(before.sockets.some((s) => s.state === 'LISTEN'), 'the listener is open while the lab waits');
    run.proc.kill('SIGINT');
    const code = await exitWithin(run, 15_000);
    assert.equal(code, 130, run.out() + run.err());
    assert.match(run.out(), /Stopped during step 1 \(Ctrl-C\)\./);
    const left = await leftovers(id, ports);
    killAll(left.pids);
    assert.deepEqual(left.pids, [], 'every child stopped');
    assert.deepEqual(left.sockets, [], 'every port released');
  } finally {
    run.proc.kill('SIGKILL');
  }
});

test('SIGINT in the middle of a step of an --auto run cleans up too', { timeout: 60_000 }, async () => {
  const id = labId();
  const run = startCli(['lab', 'backlog', '--auto'], id);
  try {
    // Step 2 waits about a second for SYN retransmissions: interrupt it there.
    await until('step 2 under way', () => /Step 2\/3/.test(run.out()), 30_000);
    run.proc.kill('SIGINT');
    const code = await exitWithin(run, 15_000);
    assert.equal(code, 130, run.out() + run.err());
    const left = await leftovers(id, portsIn(run.out()));
    killAll(left.pids);
    assert.deepEqual(left.pids, []);
    assert.deepEqual(left.sockets, []);
  } finally {
    run.proc.kill('SIGKILL');
  }
});

test('SIGTERM stops an interactive run the same way', { timeout: 60_000 }, async () => {
  const id = labId();
  const run = startCli(['lab', 'shared'], id);
  try {
    await until('the prompt', () => /Press Enter for step 2\/4/.test(run.out()), 30_000);
    const ports = portsIn(run.out());
    run.proc.kill('SIGTERM');
    const code = await exitWithin(run, 15_000);
    assert.equal(code, 130, run.out() + run.err());
    const left = await leftovers(id, ports);
    killAll(left.pids);
    assert.deepEqual(left.pids, [], 'the forked child is gone too');
    assert.deepEqual(left.sockets, []);
  } finally {
    run.proc.kill('SIGKILL');
  }
});

test('Enter moves on, and end of input runs the rest without pausing', { timeout: 60_000 }, async () => {
  const id = labId();
  const run = startCli(['lab', 'close'], id);
  try {
    await until('the first prompt', () => /Press Enter for step 2\/3/.test(run.out()), 30_000);
    assert.doesNotMatch(run.out(), /Step 2\/3/, 'waits for Enter');
    run.proc.stdin!.write('\n');
    await until('step 2 and the next prompt', () => /Press Enter for step 3\/3/.test(run.out()), 30_000);
    run.proc.stdin!.end();
    const code = await exitWithin(run, 30_000);
    assert.equal(code, 0, run.out() + run.err());
    assert.match(run.out(), /Every expectation held/);
    const left = await leftovers(id, portsIn(run.out()));
    killAll(left.pids);
    assert.deepEqual(left.pids, []);
  } finally {
    run.proc.kill('SIGKILL');
  }
});

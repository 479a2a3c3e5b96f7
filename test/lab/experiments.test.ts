// Every experiment, run straight through by the real CLI: every expectation
// must hold (exit 0), and afterwards no process the run started may be alive
// and no socket may remain on its ports except kernel-only TIME_WAIT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPERIMENT_NAMES } from '../../src/lab/experiments/index.js';
import { exitWithin, killAll, labId, leftovers, portsIn, startCli } from './helpers.js';

for (const name of EXPERIMENT_NAMES) {
  test(`lab ${name} --auto: every expectation holds and nothing is left behind`, { timeout: 120_000 }, async () => {
    const id = labId();
    const run = startCli(['lab', name, '--auto'], id);
    run.proc.stdin!.end();
    const code = await exitWithin(run, 90_000);
    const out = run.out();
    const ports = portsIn(out);
    const left = await leftovers(id, ports);
    killAll(left.pids);
    assert.equal(code, 0, `exit ${code}\nstdout:\n${out}\nstderr:\n${run.err()}`);
    assert.equal(run.err(), '', 'nothing on stderr');
    assert.match(out, /Every expectation held \((\d+) of \1\)\./);
    assert.doesNotMatch(out, /✗/);
    assert.ok(ports.length > 0, 'the tables show the experiment\'s ports');
    assert.deepEqual(left.pids, [], `processes of the run still alive: ${left.pids.join(', ')}`);
    assert.deepEqual(left.sockets.map((s) => `${s.protocol} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${s.state}`), [],
      'sockets left on the lab\'s ports');
  });
}

test('lab close --auto in Chinese: same result, Chinese words', { timeout: 60_000 }, async () => {
  const id = labId();
  const run = startCli(['--lang', 'zh-CN', 'lab', 'close', '--auto'], id);
  run.proc.stdin!.end();
  const code = await exitWithin(run, 45_000);
  const left = await leftovers(id, portsIn(run.out()));
  killAll(left.pids);
  assert.equal(code, 0, run.out() + run.err());
  assert.match(run.out(), /全部预期都已满足（8\/8）。/);
  assert.match(run.out(), /CLOSE_WAIT/);
  assert.deepEqual(left.pids, []);
});

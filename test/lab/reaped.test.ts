// `lab shared --auto` returned while a process it had started was still
// there: the server's forked child (lab-server-fork) was killed with its
// process group but, orphaned, left to pid 1 — which in a container may never
// reap it, so it stayed a zombie for good (and, killed late, was seen alive
// half a second after the lab exited). The lab returns only after every
// process it started is gone: each agent kills and reaps what it forked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { exitWithin, killAll, labId, processesOf, startCli } from './helpers.js';

/** The process with this pid as /proc shows it now ('' when there is none). */
function statOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

for (const name of ['shared', 'backlog']) {
  test(`lab ${name} --auto: once it has exited, no process it started exists, not even as a zombie`, { timeout: 120_000 }, async () => {
    const id = labId();
    const run = startCli(['lab', name, '--auto'], id);
    run.proc.stdin!.end();
    // Every process of the run, seen while it runs (bounded polling).
    const seen = new Map<number, string>();
    let exited = false;
    void run.exited.then(() => { exited = true; });
    for (let i = 0; i < 2000 && !exited; i++) {
      for (const pid of processesOf(id)) if (!seen.has(pid)) seen.set(pid, statOf(pid).split(' ').slice(0, 2).join(' '));
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await exitWithin(run, 90_000);
    // Checked at once: the lab must not return before its processes are gone.
    const still = [...seen].filter(([pid, who]) => existsSync(`/proc/${pid}`) && statOf(pid).startsWith(who));
    killAll(still.map(([pid]) => pid));
    assert.equal(code, 0, run.out() + run.err());
    // The forked child is named in the output; it must have been among the ones seen.
    const forked = /forked child pid (\d+)/.exec(run.out());
    if (name === 'shared') assert.ok(forked && seen.has(Number(forked[1])), `the forked child was seen: ${[...seen.keys()]}`);
    assert.ok(seen.size >= 2, `the run's processes were seen (${seen.size})`);
    assert.deepEqual(still.map(([pid]) => `${pid}: ${statOf(pid).slice(0, 60)}`), [], 'processes of the run that still exist');
  });
}

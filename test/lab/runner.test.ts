// The runner through the library, with experiments made up for the test: a
// step whose expectation the kernel cannot meet, and a child that crashes
// mid-step. Both must be reported (not ok, with the step and the difference)
// and both must leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySink } from '../../src/views/sink.js';
import { runLab, type RunOptions } from '../../src/lab/runner.js';
import { listener } from '../../src/lab/observe.js';
import type { Agent } from '../../src/lab/agent.js';
import type { Expectation, Experiment } from '../../src/lab/types.js';
import type { LabEvent } from '../../src/lab/events.js';
import { killAll, labId, leftovers } from './helpers.js';

const LISTEN = String.raw`
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(2)
reply(port=srv.getsockname()[1])
`;

function options(id: string): RunOptions & { text(): string } {
  const { sink, text } = memorySink();
  return { lang: 'en', sink, auto: true, labId: id, text };
}

/** One step: a listener and a client; the expectation wants `queue` connections waiting. */
function scripted(queue: number, crash: boolean): Experiment {
  let server: Agent | undefined;
  let port = 0;
  return {
    name: 'made-up',
    summary: 'lab.backlog.summary',
    intro: 'lab.backlog.intro',
    steps: [{
      title: 'lab.backlog.s1.title',
      timeoutMs: 1500,
      async act(lab) {
        server = await lab.start('lab-server');
        port = (await server.run(LISTEN))['port'] as number;
        lab.ports.add(port);
        const client = await lab.start('lab-client');
        await client.run(`c = socket.create_connection(('127.0.0.1', ${port}), 5)`);
        // The server dies on its own a moment later: a crash the lab did not ask for.
        if (crash) await server.run('bg(lambda: (time.sleep(0.3), os.kill(os.getpid(), 9)))');
      },
      expect: (): Expectation[] => [{
        key: 'lab.backlog.e.full',
        want: { queue, backlog: 2 },
        seen: (o) => { const l = listener(o, port); return l && { queue: l.recvQ, backlog: l.backlog ?? '?' }; },
      }],
      explain: 'lab.backlog.s1.explain',
    }],
  };
}

test('an expectation the kernel does not meet: not ok, the step and the difference, nothing left', { timeout: 30_000 }, async () => {
  const id = labId();
  const o = options(id);
  const r = await runLab(scripted(5, false), o);
  const left = await leftovers(id, r.ports);
  killAll(left.pids);
  assert.equal(r.ok, false);
  assert.equal(r.aborted, false);
  assert.equal(r.stopped, undefined);
  assert.equal(r.failures.length, 1);
  assert.equal(r.failures[0]!.step, 1);
  assert.equal(r.failures[0]!.expected, 'listener Recv-Q = 5, backlog = 2: the accept queue is full');
  assert.equal(r.failures[0]!.seen, 'listener Recv-Q = 1, backlog = 2: the accept queue is full');
  const text = o.text();
  assert.match(text, /✗ expected: listener Recv-Q = 5/);
  assert.match(text, /saw: +listener Recv-Q = 1/);
  assert.match(text, /The kernel did not do what this step expects/);
  assert.match(text, /1 of 1 expectations did not hold:/);
  assert.equal(r.pids.length, 2);
  assert.deepEqual(left.pids, []);
  assert.deepEqual(left.sockets, []);
});

test('the same step, met: ok', { timeout: 30_000 }, async () => {
  const id = labId();
  const r = await runLab(scripted(1, false), options(id));
  const left = await leftovers(id, r.ports);
  killAll(left.pids);
  assert.equal(r.ok, true, JSON.stringify(r.failures));
  assert.equal(r.checked, 1);
  assert.deepEqual(left.pids, []);
});

test('a child that crashes mid-step stops the run, which says so and cleans up the rest', { timeout: 30_000 }, async () => {
  const id = labId();
  const o = options(id);
  const r = await runLab(scripted(5, true), o);
  const left = await leftovers(id, r.ports);
  killAll(left.pids);
  assert.equal(r.ok, false);
  assert.ok(r.stopped, o.text());
  assert.equal(r.stopped!.step, 1);
  assert.match(r.stopped!.detail, /lab-server \(pid \d+\) ended unexpectedly \(SIGKILL\)/);
  assert.match(o.text(), /Step 1 could not finish/);
  assert.deepEqual(left.pids, [], 'the client was stopped too');
  assert.deepEqual(left.sockets, []);
});

test('an abort before the run starts stops at once', { timeout: 30_000 }, async () => {
  const id = labId();
  const o = options(id);
  const ac = new AbortController();
  ac.abort();
  const r = await runLab(scripted(1, false), { ...o, signal: ac.signal });
  assert.equal(r.aborted, true);
  assert.equal(r.ok, false);
  const left = await leftovers(id, r.ports);
  killAll(left.pids);
  assert.deepEqual(left.pids, []);
});

test('front ends are told every step, what was seen, each check and the end, in order; a listener that throws changes nothing', { timeout: 30_000 }, async () => {
  const id = labId();
  const events: LabEvent[] = [];
  const o = { ...options(id), onEvent: (e: LabEvent) => { events.push(e); if (e.type === 'observation') throw new Error('a broken page'); } };
  const r = await runLab(scripted(1, false), o);
  const left = await leftovers(id, r.ports);
  killAll(left.pids);
  assert.equal(r.ok, true, o.text());
  assert.deepEqual(events.map((e) => e.type), ['start', 'step', 'observation', 'expectation', 'explain', 'done']);
  const [start, step, obs, check, explain, done] = events;
  assert.equal(start?.type === 'start' && start.experiment, 'made-up');
  assert.equal(start?.type === 'start' && start.steps, 1);
  assert.ok(step?.type === 'step' && step.index === 0 && step.title.length > 0);
  assert.match(o.text(), new RegExp((step as { title: string }).title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  // The observation is the experiment's sockets: the listener with one connection waiting, the two ends.
  assert.ok(obs?.type === 'observation');
  assert.equal(obs.sockets.filter((s) => s.state === 'LISTEN' && s.recvQ === 1).length, 1);
  assert.ok(obs.sockets.length >= 3, JSON.stringify(obs.sockets.map((s) => s.state)));
  assert.deepEqual(check, { type: 'expectation', index: 0, ok: true,
    expected: 'listener Recv-Q = 1, backlog = 2: the accept queue is full', seen: 'listener Recv-Q = 1, backlog = 2: the accept queue is full' });
  assert.ok(explain?.type === 'explain' && explain.text.length > 20 && o.text().includes(explain.text.slice(0, 30)));
  assert.deepEqual(done, { type: 'done', ok: true, checked: 1, failures: 0, stopped: undefined });
});

// The unheld reason `other-namespace`: sockscope run inside a PID namespace of its
// own (`unshare --pid --fork --mount-proc`, as in a container that shares the
// host's network) sees the host's sockets but none of the processes outside:
// a socket held by such a process is said to be held from another namespace,
// not "owner unknown". Run outside, the same socket names its holder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from '../../src/index.js';
import { LISTENER_PY, describeAll, runCli, startPython } from './helpers.js';

test('other-namespace: a socket whose holder lives outside our PID namespace', async (t) => {
  const listener = startPython(t, 'listener', LISTENER_PY);
  const port = Number((await listener.message('port'))['port']);
  const ours = (s: Socket): boolean => s.localPort === port && s.localAddress === '127.0.0.1' && s.state === 'LISTEN';

  const outside = await runCli(['port', String(port), '--json']);
  assert.equal(outside.code, 0, outside.stderr);
  const seen = (JSON.parse(outside.stdout) as Socket[]).filter(ours);
  assert.deepEqual(seen.map((s) => s.holders.map((h) => h.pid)), [[listener.pid]], describeAll(seen));

  const prefix = ['unshare', '--pid', '--fork', '--mount-proc'];
  const inside = await runCli(['port', String(port), '--json'], { prefix });
  assert.equal(inside.code, 0, inside.stderr);
  const hidden = (JSON.parse(inside.stdout) as Socket[]).filter(ours);
  assert.equal(hidden.length, 1, describeAll(hidden));
  assert.deepEqual(hidden[0]!.holders, []);
  assert.equal(hidden[0]!.unheldReason, 'other-namespace');
  // The table says it in words.
  const text = await runCli(['list', '-l', '--port', String(port)], { prefix });
  assert.match(text.stdout, /other namespace/);
});

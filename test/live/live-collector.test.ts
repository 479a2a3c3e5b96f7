// The live collector (watch) tick after tick, from both sources. With
// --source proc, `watch --events` used to call a held listener "owner unknown"
// from the third tick on: records read from /proc/net were not recognised as
// freshly read (only the netlink table's marker was), so once the unheld
// context settled they were passed through with no holders and no reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultContext } from '../../src/index.js';
import { LiveCollector } from '../../src/collectors/live.js';
import { describeAll, LISTENER_PY, runCli, startPython } from './helpers.js';

for (const source of ['proc', 'netlink'] as const) {
  test(`live collector, --source ${source}: a held listener keeps its holder tick after tick`, { timeout: 30_000 }, async (t) => {
    const server = startPython(t, 'listener', LISTENER_PY);
    const { port, fd } = (await server.message('port')) as { port: number; fd: number };
    const live = new LiveCollector(defaultContext(), { source, intervalSeconds: 1, protocols: ['tcp'], families: ['ipv4'] });
    t.after(() => live.close());
    for (let tick = 1; tick <= 6; tick++) {
      const { snapshot } = await live.tick({ ports: [port] });
      assert.equal(snapshot.source, source);
      const mine = snapshot.sockets.filter((s) => s.localPort === port && s.localAddress === '127.0.0.1');
      assert.equal(mine.length, 1, `tick ${tick}:${describeAll(mine)}`);
      assert.deepEqual(mine[0]!.holders.map((h) => [h.pid, h.fd]), [[server.pid, fd]], `tick ${tick}:${describeAll(mine)}`);
      assert.equal(mine[0]!.unheldReason, undefined);
      // Every socket of the snapshot is either held or says why not.
      const silent = snapshot.sockets.filter((s) => s.holders.length === 0 && s.unheldReason === undefined);
      assert.deepEqual(silent, [], `tick ${tick}: unheld without a reason:${describeAll(silent)}`);
    }
  });
}

test('watch --events --json --source proc: no holder change for a listener nobody touches', { timeout: 30_000 }, async (t) => {
  const server = startPython(t, 'listener', LISTENER_PY);
  const { port } = (await server.message('port')) as { port: number };
  const r = await runCli(['watch', '--events', '--json', '--source', 'proc', '--interval', '0.2', '--duration', '2.5', '--port', String(port)]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; socket: { localPort: number } });
  const mine = events.filter((e) => e.socket.localPort === port);
  assert.deepEqual(mine, [], `events about the untouched listener:\n${r.stdout}`);
});

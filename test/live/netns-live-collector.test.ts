// The live collector (watch, the exporter) follows network namespaces as they
// come and go between ticks: a namespace made after the first tick is read from
// the next one on, through its own long-lived sock_diag socket (unchanged
// records are the same objects tick after tick), and one deleted is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { LiveCollector } from '../../src/collectors/live.js';
import { defaultContext } from '../../src/index.js';
import { describeAll, eventually, runCli } from './helpers.js';
import { SERVER_PY, makeNetns, netnsInode, pythonIn } from './netns-scene.js';

for (const source of ['auto', 'proc'] as const) {
  test(`live collector (source ${source}): a namespace appearing and disappearing between ticks`, async (t) => {
    const collector = new LiveCollector(defaultContext(), { intervalSeconds: 1, source });
    t.after(() => collector.close());
    await collector.tick();
    const ns = makeNetns(t, 'w');
    const inode = netnsInode(ns);
    const first = await collector.tick();
    assert.ok(first.snapshot.namespaces?.some((n) => n.inode === inode && n.name === ns), 'a new namespace is found at the next tick');
    const server = pythonIn(t, ns, 'server', SERVER_PY, ['0']);
    const port = Number((await server.message('port'))['port']);
    const find = async () => {
      const { snapshot } = await collector.tick();
      const l = snapshot.sockets.find((s) => s.netns?.inode === inode && s.state === 'LISTEN' && s.localPort === port);
      assert.ok(l, `listener in ${ns}:${describeAll(snapshot.sockets.filter((s) => s.netns?.inode === inode))}`);
      assert.deepEqual(l.holders.map((h) => h.pid), [server.pid]);
      return { snapshot, l };
    };
    const a = await eventually('the listener shows with its holder', find, { timeoutMs: 10_000, intervalMs: 200 });
    assert.equal(a.l.netns?.name, ns);
    assert.equal(a.l.backlog, source === 'auto' ? 7 : undefined);
    assert.equal(a.snapshot.namespaces?.find((n) => n.inode === inode)?.source, source === 'auto' ? 'netlink' : 'proc');
    if (source === 'auto') {
      // Unchanged between ticks: the very same object (the namespace's live table reuses it).
      const b = await find();
      assert.equal(b.l, a.l);
    }
    await server.stop();
    execFileSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    await eventually('the namespace is dropped', async () => {
      const { snapshot } = await collector.tick();
      assert.ok(!snapshot.sockets.some((s) => s.netns?.inode === inode), 'no socket of it');
      assert.ok(!snapshot.namespaces?.some((n) => n.inode === inode), 'not listed');
    }, { timeoutMs: 10_000, intervalMs: 200 });
  });
}

test('watch --netns pid:N follows that process\'s namespace only', async (t) => {
  const ns = makeNetns(t, 'v');
  const server = pythonIn(t, ns, 'server', SERVER_PY, ['0']);
  await server.message('port');
  const r = await runCli(['watch', '--json', '--duration', '1.5', '--netns', `pid:${server.pid}`]);
  assert.equal(r.code, 0, r.stderr);
  // Its TCP listener, its UDP socket and its IPv6 listener: nothing of any other namespace.
  assert.match(r.stderr, /Watching 3 sockets/);
  const none = await runCli(['watch', '--json', '--duration', '1.5', '--netns', 'sc-t-none-such']);
  assert.equal(none.code, 1);
});

// The live collector (watch) tick after tick, from both sources. With
// --source proc, `watch --events` used to call a held listener "owner unknown"
// from the third tick on: records read from /proc/net were not recognised as
// freshly read (only the netlink table's marker was), so once the unheld
// context settled they were passed through with no holders and no reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultContext } from '../../src/index.js';
import { LiveCollector } from '../../src/collectors/live.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAll, eventually, LISTENER_PY, runCli, sleep, startPython } from './helpers.js';

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

test('live collector: a process that renames itself (prctl PR_SET_NAME) and then opens a socket is shown by its new name', async (t) => {
  const collector = new LiveCollector(defaultContext(), { intervalSeconds: 1, fullEverySeconds: 1 });
  t.after(() => collector.close());
  // First a Unix socketpair (as a child's stdio can be), seen by the first looks under its old name;
  // the rename and the listener come when the test creates the file \`go\`.
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-rename-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const go = join(dir, 'go');
  const child = startPython(t, 'renamer', String.raw`
import ctypes
a, b = socket.socketpair()
emit(step='paired')
for _ in range(300):
    if os.path.exists(sys.argv[1]): break
    time.sleep(0.1)
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(b'sc-renamed'), 0, 0, 0)
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4)
emit(port=l.getsockname()[1])
hold()
`, [go]);
  await child.message('step');
  for (let i = 0; i < 3; i++) { await collector.tick(); await sleep(400); }
  writeFileSync(go, '');
  const port = (await child.message('port'))['port'] as number;
  const name = await eventually('the listener under its new name', async () => {
    const { snapshot } = await collector.tick();
    const l = snapshot.sockets.find((s) => s.localPort === port && s.state === 'LISTEN');
    assert.ok(l?.holders.length, 'held');
    assert.equal(l!.holders[0]!.name, 'sc-renamed');
    return l!.holders[0]!.name;
  }, { timeoutMs: 8000, intervalMs: 300 });
  assert.equal(name, 'sc-renamed');
});

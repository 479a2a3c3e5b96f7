// The library's watch() on this machine: a loopback listener started while
// the loop runs comes as `opened` with its process, and its close (the
// process killed) as `closed`; once with the live collector (the default),
// once polling the one-shot Linux collector (the fallback for any collector).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectorFor, defaultContext, watch, type Socket, type WatchOptions } from '../../src/index.js';
import { describeAll, LISTENER_PY, startPython, type Child } from './helpers.js';

const sources: [string, () => WatchOptions['source']][] = [
  ['the live collector', () => undefined],
  ['polling the Linux collector', () => collectorFor(defaultContext())],
];

for (const [label, source] of sources) {
  test(`watch() over ${label}: a listener started during the watch is opened, its close closed`, { timeout: 30_000 }, async (t) => {
    const stop = new AbortController();
    // Bounded in time whatever happens: the loop ends by itself after 20 s.
    const bound = setTimeout(() => stop.abort(), 20_000);
    t.after(() => clearTimeout(bound));
    let server: Child | undefined;
    let port = 0;
    const mine = (l: readonly Socket[]): Socket[] => l.filter((s) => s.localPort === port && s.localAddress === '127.0.0.1');
    const log: string[] = [];
    let opened: Socket | undefined;
    let closed: Socket | undefined;
    for await (const u of watch({ source: source(), filter: { listening: true, protocols: ['tcp'] }, intervalSeconds: 0.2, signal: stop.signal })) {
      if (!u.diff) {
        assert.ok(u.stats.tick === 1);
        server = startPython(t, 'listener', LISTENER_PY);
        port = ((await server.message('port')) as { port: number }).port;
        // Not there at the first look: it was started after it.
        assert.deepEqual(mine(u.sockets), []);
        continue;
      }
      log.push(`tick ${u.stats.tick}: opened${describeAll(mine(u.diff.opened))} closed${describeAll(mine(u.diff.closed))}`);
      if (!opened && mine(u.diff.opened).length) {
        opened = mine(u.diff.opened)[0];
        await server!.stop();
      } else if (opened && mine(u.diff.closed).length) {
        closed = mine(u.diff.closed)[0];
        break;
      }
    }
    assert.ok(opened, `never opened:\n${log.join('\n')}`);
    assert.equal(opened.state, 'LISTEN');
    assert.deepEqual(opened.holders.map((h) => h.pid), [server!.pid], describeAll([opened]));
    assert.ok(closed, `never closed:\n${log.join('\n')}`);
    assert.equal(closed.inode, opened.inode);
    assert.equal(stop.signal.aborted, false, 'ended by the close, not by the time bound');
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOverview, summarize } from '../../src/views/overview.js';
import { memorySink } from '../../src/views/sink.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Socket } from '../../src/model/socket.js';

const sock = (over: Partial<Socket>): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 40000, remoteAddress: '10.0.0.9', remotePort: 443,
  state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [{ pid: 10, fd: 3, name: 'curl' }], ...over,
});

function snap(sockets: Socket[]): Snapshot {
  return { takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] };
}

test('listeners gather their connections; kernel-only leftovers are one line', async () => {
  const sockets: Socket[] = [
    sock({ localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', backlog: 511, recvQ: 1, holders: [{ pid: 5, fd: 6, name: 'nginx' }] }),
    sock({ localAddress: '::', family: 'ipv6', localPort: 80, remoteAddress: '::', remotePort: 0, state: 'LISTEN', backlog: 511, holders: [{ pid: 5, fd: 7, name: 'nginx' }] }),
    sock({ localPort: 80, remotePort: 50000, holders: [{ pid: 5, fd: 9, name: 'nginx' }] }),
    sock({ localPort: 80, remotePort: 50001, inode: 0, holders: [], unheldReason: 'not-accepted' }),
    ...Array.from({ length: 50 }, (_, i) => sock({ localPort: 30000 + i, remotePort: 8000 + i, state: 'TIME_WAIT', inode: 0, holders: [], unheldReason: 'kernel' })),
    sock({}), sock({ localPort: 40001 }),
  ];
  const o = summarize(snap(sockets));
  assert.equal(o.listeners.length, 1);
  const l = o.listeners[0]!;
  assert.deepEqual(l.addresses, ['0.0.0.0', '::']);
  assert.equal(l.scope, 'all-interfaces');
  assert.deepEqual([l.queued, l.backlog, l.notAccepted, l.connections.ESTABLISHED], [1, 1022, 1, 1]);
  assert.equal(o.outbound.length, 2, 'curl to 10.0.0.9:443, and one line for all kernel-only sockets');
  const kernel = o.outbound.find((g) => g.owner.pids.length === 0)!;
  assert.deepEqual([kernel.peers, kernel.connections.TIME_WAIT], [50, 50]);
  const { sink, text } = memorySink();
  await renderOverview(snap(sockets), sink, { color: false, numeric: false, width: 120, lang: 'en' });
  const out = text();
  assert.match(out, /nginx\s+5\s+tcp\s+80 \(http\)\s+all interfaces \(0\.0\.0\.0, ::\)\s+1\/1022\s+1 not accepted, 1 ESTABLISHED/);
  assert.match(out, /\(kernel only\)\s+-\s+tcp\s+50 peers\s+50 TIME_WAIT/);
  assert.match(out, /curl\s+10\s+tcp\s+10\.0\.0\.9:443 \(https\)\s+2 ESTABLISHED/);
  // A narrow terminal: rows fit by giving up service names and words, never a count (issue 9 §10).
  for (const width of [90, 80, 60]) {
    const narrow = memorySink();
    await renderOverview(snap(sockets), narrow.sink, { color: false, numeric: false, width, lang: 'en' });
    const text = narrow.text();
    for (const line of text.split('\n')) assert.ok(line.length <= width, `fits ${width} columns: ${line}`);
    assert.doesNotMatch(text, /…/, `nothing cut at ${width}:\n${text}`);
    assert.match(text.replace(/\s+/g, ' '), /nginx 5 tcp 80 .*1\/1022 1 not accepted, 1 (ESTABLISHED|ESTAB)\b/, text);
    assert.match(text.replace(/\s+/g, ' '), /\(kernel only\) - tcp 50 peers 50 TIME_WAIT/, text);
  }
});

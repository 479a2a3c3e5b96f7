// The Traffic view drawn from the state alone: totals, processes and
// connections by rate, the filter and the sort keys applied to both, a
// hostile process name escaped, every line exactly the width, and the
// messages before counters come and when the source has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Socket } from '../../src/model/socket.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { draw } from '../../src/views/tui/draw.js';
import { handleKey } from '../../src/views/tui/keys.js';
import { parseFilterText } from '../../src/views/tui/filter-text.js';
import { msg } from '../../src/explain/i18n.js';
import { applySnapshot, applyTraffic, initialState, refilter, settleSelection, trafficRows, type TuiState } from '../../src/views/tui/state.js';
import { TrafficTracker } from '../../src/traffic.js';
import { displayWidth } from '../../src/views/sink.js';

const HOSTILE = 'evil\x1b[2J\x1b]0;PWNED\x07';

function sock(over: Partial<Socket>): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 40000, remoteAddress: '127.0.0.1', remotePort: 443,
    state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [], ...over,
  };
}

const a = sock({ inode: 1, localPort: 40001, holders: [{ pid: 10, fd: 3, name: 'curl', unit: 'user@1000.service' }] });
const b = sock({ inode: 2, localPort: 40002, holders: [{ pid: 11, fd: 4, name: HOSTILE }] });
const c = sock({ inode: 3, localPort: 40003, remotePort: 80, holders: [{ pid: 10, fd: 5, name: 'curl', unit: 'user@1000.service' }] });
const u = sock({ protocol: 'udp', state: 'UNCONN', inode: 4, localPort: 5353, remoteAddress: '0.0.0.0', remotePort: 0, recvQ: 768, holders: [{ pid: 12, fd: 3, name: 'mdns' }] });

function snap(sockets: Socket[], source: Snapshot['source'] = 'netlink'): Snapshot {
  return { takenAt: 0, source, backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] };
}

/** The state after two looks one second apart: a sends 2 MiB, b receives 100 KiB, c sends 10 KiB; u dropped 3 datagrams. */
function scene(): TuiState {
  const st = initialState();
  st.view = 'traffic';
  const tr = new TrafficTracker();
  const counters = (acked: number[], received: number[], drops: number[]) => ({ acked, received, drops, cookie: [1, 2, 3, 4] });
  tr.update(0, [a, b, c, u], { c: counters([0, 0, 0, NaN], [0, 0, 0, NaN], [NaN, NaN, NaN, 5]), all: [a, b, c, u] });
  const up = tr.update(1000, [a, b, c, u], { c: counters([2 << 20, 0, 10 << 10, NaN], [0, 100 << 10, 0, NaN], [NaN, NaN, NaN, 8]), all: [a, b, c, u] });
  applySnapshot(st, snap([a, b, c, u]), undefined, 0);
  applyTraffic(st, up);
  settleSelection(st);
  return st;
}

const screen = (st: TuiState, width = 120, height = 30, lang: 'en' | 'zh-CN' = 'en'): string[] =>
  draw(st, { width, height, now: 1, lang, color: false, numeric: true });

test('Traffic view: totals, processes and connections by rate, UDP line; exact width; a hostile name escaped', () => {
  const st = scene();
  for (const [w, h] of [[120, 30], [60, 16]] as const) {
    const lines = screen(st, w, h);
    assert.equal(lines.length, h);
    for (const l of lines) assert.equal(displayWidth(l), w, JSON.stringify(l));
    assert.ok(!lines.join('\n').includes('\x1b'), 'no raw escape');
  }
  const text = screen(st).join('\n');
  assert.match(text, /Total ↑ 2\.0M\/s ↓ 100K\/s · since start ↑ 2\.0M ↓ 100K/);
  assert.match(text, /Processes by rate \(2\)/);
  assert.match(text, /Connections by rate \(3\)/, 'UDP stays out of the connections by rate');
  // curl: two connections, 2 MiB + 10 KiB sent, its unit named.
  assert.match(text, /\s10\s+2\.0M\s+0\s+2\.0M\s+0\s+2\s+curl \[user@1000\.service\]/);
  assert.match(text, /\s11\s+0\s+100K\s+0\s+100K\s+1\s+evil\\x1b\[2J\\x1b\]0;PWNED\\x07/);
  const conns = text.split('\n').filter((l) => /^\s+tcp\s/.test(l));
  assert.deepEqual(conns.map((l) => /127\.0\.0\.1:(\d+)/.exec(l)![1]), ['40001', '40002', '40003'], 'by rate, busiest first');
  assert.match(text, /UDP: the kernel keeps no byte counters per UDP socket\. 1 UDP sockets, 768 bytes queued now, 3 datagrams dropped/);
  assert.match(screen(st, 120, 30, 'zh-CN').join('\n'), /合计 ↑ 2\.0M\/s/);
});

test('Traffic view: sort keys, reverse, the `/` filter; the cursor picks a connection for k', () => {
  const st = scene();
  const t = (k: Parameters<typeof msg>[1], p?: Record<string, string | number>): string => msg('en', k, p);
  const ctx = { now: 0, t, startTicksOf: () => undefined };
  handleKey(st, { char: 's' }, ctx);
  assert.equal(st.sort.traffic, 'send');
  assert.deepEqual(trafficRows(st)!.connections.map((x) => x.socket.inode), [1, 3, 2]);
  handleKey(st, { char: 'r' }, ctx);
  assert.deepEqual(trafficRows(st)!.connections.map((x) => x.socket.inode), [2, 3, 1]);
  st.text = parseFilterText(':80');
  refilter(st);
  assert.deepEqual(trafficRows(st)!.connections.map((x) => x.socket.inode), [3]);
  assert.deepEqual(trafficRows(st)!.processes.map((p) => [p.pid, p.sent]), [[10, 10 << 10]], 'processes summed over what the filter shows');
  assert.match(draw(st, { width: 120, height: 30, now: 1, lang: 'en', color: false, numeric: true }).join('\n'), /Shown ↑ 10K\/s ↓ 0\/s · since start ↑ 10K ↓ 0 /);
  st.text = undefined;
  refilter(st);
  handleKey(st, 'end', ctx);
  handleKey(st, { char: 'k' }, ctx);
  assert.equal(st.mode.kind, 'confirm');
  assert.equal(st.mode.kind === 'confirm' && st.mode.pending.kind === 'kill' ? st.mode.pending.targets[0]!.pid : 0, 10);
});

test('Traffic view before counters, without them, and the switch asking for a look now', () => {
  const st = initialState();
  applySnapshot(st, snap([a]), undefined, 0);
  const ctx = { now: 0, t: (k: Parameters<typeof msg>[1]) => msg('en', k), startTicksOf: () => undefined };
  assert.deepEqual(handleKey(st, { char: '4' }, ctx), { kind: 'refresh' });
  assert.equal(handleKey(st, { char: '4' }, ctx), undefined, 'already there');
  assert.match(screen(st).join('\n'), /Counting from now: rates show from the next refresh/);
  applySnapshot(st, snap([a], 'proc'), undefined, 0);
  assert.match(screen(st).join('\n'), /no traffic rates from this source \(proc\)/);
});

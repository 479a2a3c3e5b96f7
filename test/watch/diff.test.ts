// Unit tests of the pure parts of watch: the snapshot diff, the `/` filter
// text, the incremental sort, key parsing, the pid start-time check and the
// SOCK_DESTROY encoder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedFields, diffSockets, socketKey } from '../../src/model/diff.js';
import type { Socket } from '../../src/model/socket.js';
import { sortSockets, SORT_KEYS } from '../../src/model/sort.js';
import { matchesText, parseFilterText } from '../../src/views/tui/filter-text.js';
import { parseKeys } from '../../src/views/tui/keys.js';
import { mergeInto, sameProcess } from '../../src/views/tui/state.js';
import { decodeReply, encodeDestroyRequest, SOCK_DESTROY } from '../../src/collectors/sockdiag/destroy.js';
import { eventsOf } from '../../src/views/tui/events.js';

function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '127.0.0.1', remotePort: 40000,
    state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1000, uid: 0, holders: [{ pid: 10, fd: 3, name: 'srv' }], ...over,
  };
}

test('identical lists: nothing happened', () => {
  const a = [sock(), sock({ inode: 1001, remotePort: 40001 })];
  assert.deepEqual(diffSockets(a, a), { opened: [], closed: [], changed: [] });
  // Equal records that are different objects are unchanged too (only handed over, for the view).
  const copies = a.map((s) => ({ ...s }));
  assert.deepEqual(diffSockets(a, copies), { opened: [], closed: [], changed: [], replaced: a.map((s, i) => ({ before: s, after: copies[i] })) });
});

test('opened, closed and changed, keyed by protocol + 4-tuple + inode', () => {
  const keep = sock({ inode: 1 });
  const gone = sock({ inode: 2, remotePort: 40002 });
  const moved = sock({ inode: 3, remotePort: 40003 });
  const prev = [keep, gone, moved];
  const born = sock({ inode: 4, remotePort: 40004 });
  const movedAfter = { ...moved, state: 'CLOSE_WAIT' as const, recvQ: 5 };
  const d = diffSockets(prev, [born, keep, movedAfter]);
  assert.deepEqual(d.opened, [born]);
  assert.deepEqual(d.closed, [gone]);
  assert.equal(d.changed.length, 1);
  assert.deepEqual(d.changed[0]!.fields, ['state', 'queues']);
  assert.equal(d.changed[0]!.before, moved);
  assert.equal(d.changed[0]!.after, movedAfter);
});

test('same inode with another 4-tuple, or another protocol, is another socket', () => {
  const a = sock({ inode: 7 });
  const d = diffSockets([a], [{ ...a, remotePort: 41000 }]);
  assert.equal(d.opened.length, 1);
  assert.equal(d.closed.length, 1);
  const u = diffSockets([a], [{ ...a, protocol: 'udp' }]);
  assert.equal(u.opened.length, 1);
  assert.notEqual(socketKey(a), socketKey({ ...a, inode: 8 }));
});

test('sockets without an inode (TIME_WAIT) match by 4-tuple', () => {
  const tw = sock({ inode: 0, state: 'TIME_WAIT', holders: [] });
  assert.deepEqual(diffSockets([tw], [{ ...tw }]).opened, []);
  const d = diffSockets([tw], [{ ...tw, remotePort: 1 }]);
  assert.equal(d.opened.length, 1);
  assert.equal(d.closed.length, 1);
});

test('a connection orphaned by close() (inode to 0) is a state change, not close + open', () => {
  const a = sock({ inode: 55 });
  const orphan = { ...a, inode: 0, state: 'FIN_WAIT2' as const, holders: [] };
  const d = diffSockets([a], [orphan]);
  assert.deepEqual(d.opened, []);
  assert.deepEqual(d.closed, []);
  assert.deepEqual(d.changed[0]!.fields, ['state', 'holders']);
  const ev = eventsOf(d).map((e) => e.kind);
  assert.deepEqual(ev, ['state-changed', 'holder-changed']);
});

test('holder changes are seen; fd order matters only as collectors sort', () => {
  const a = sock();
  assert.deepEqual(changedFields(a, { ...a, holders: [{ pid: 10, fd: 3 }, { pid: 11, fd: 4 }] }), ['holders']);
  assert.deepEqual(changedFields(a, { ...a, holders: [{ pid: 10, fd: 3, name: 'renamed' }] }), []);
});

test('alignment survives insertions and deletions anywhere in a long list', () => {
  const prev = Array.from({ length: 500 }, (_, i) => sock({ inode: i + 1, remotePort: 20000 + i }));
  const next = prev.filter((_, i) => i % 50 !== 7);
  next.splice(100, 0, sock({ inode: 9001, remotePort: 9001 }));
  next.splice(300, 0, sock({ inode: 9002, remotePort: 9002 }));
  next.reverse(); // order does not matter for correctness
  const d = diffSockets(prev, next);
  assert.deepEqual(d.opened.map((s) => s.inode).sort(), [9001, 9002]);
  assert.equal(d.closed.length, 10);
  assert.equal(d.changed.length, 0);
});

test('the / filter uses list semantics: exact ports, states, processes, pids; plus addresses', () => {
  const f = parseFilterText('80 :443 listen nginx');
  assert.deepEqual(f.filter.ports, [80, 443]);
  assert.deepEqual(f.filter.states, ['LISTEN']);
  assert.deepEqual(f.filter.processes, ['nginx']);
  const s = sock({ localPort: 80, state: 'LISTEN', holders: [{ pid: 1, fd: 3, name: 'nginx', command: 'nginx: master' }] });
  assert.ok(matchesText(f, s));
  assert.ok(!matchesText(f, { ...s, localPort: 8080 }), 'a port matches exactly, never as a substring');
  assert.ok(!matchesText(f, { ...s, state: 'ESTABLISHED' }));
  assert.ok(matchesText(parseFilterText('addr:127.0.'), s));
  assert.ok(!matchesText(parseFilterText('10.0.0.1'), s));
  assert.ok(matchesText(parseFilterText('state:time-wait'), { ...s, state: 'TIME_WAIT' }));
  assert.ok(matchesText(parseFilterText('pid:1'), s));
  assert.throws(() => parseFilterText('port:99999'), /invalid port/);
  assert.throws(() => parseFilterText('state:bogus'), /unknown state/);
});

test('merging a few rows keeps the order sortSockets gives, for every key', () => {
  const base = Array.from({ length: 60 }, (_, i) => sock({
    inode: i + 1, localPort: 1000 + ((i * 37) % 23), remotePort: 30000 + ((i * 11) % 17), recvQ: (i * 7) % 5, sendQ: i % 3,
    state: (['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT'] as const)[i % 4], localAddress: i % 2 ? '127.0.0.1' : '::1',
    family: i % 2 ? 'ipv4' : 'ipv6', remoteAddress: i % 3 ? '10.0.0.' + (i % 7) : '::ffff:10.0.0.1',
    holders: i % 5 ? [{ pid: 100 + (i % 9), fd: i, name: 'p' + (i % 4) }] : [],
  }));
  for (const key of SORT_KEYS) {
    const add = base.slice(0, 6);
    const rest = sortSockets(base.slice(6), key);
    const merged = mergeInto(rest, add, key, false);
    const full = sortSockets(base.slice(), key);
    const describe = (l: Socket[]): string[] => l.map((s) => `${s.localAddress}:${s.localPort}>${s.remoteAddress}:${s.remotePort}`);
    // Ties may come in another order; the keys compared must agree.
    assert.equal(merged.length, full.length);
    assert.deepEqual(new Set(describe(merged)), new Set(describe(full)), key);
    const resorted = sortSockets(merged.slice(), key);
    assert.deepEqual(describe(merged), describe(resorted), `merge order for ${key}`);
  }
});

test('keys: arrows, paging, home/end, enter, escape, ctrl-c, plain characters', () => {
  assert.deepEqual(parseKeys('\x1b[A\x1b[B\x1b[5~\x1b[6~\x1b[H\x1bOF\r\x1b\x03q/'),
    ['up', 'down', 'pageup', 'pagedown', 'home', 'end', 'enter', 'escape', 'ctrl-c', { char: 'q' }, { char: '/' }]);
  assert.deepEqual(parseKeys('\x1b[1;5Cx'), [{ char: 'x' }], 'unknown sequences are dropped whole');
});

test('the start-time check refuses a reused pid', () => {
  assert.equal(sameProcess(1234, { startTicks: 1234 }), 'same');
  assert.equal(sameProcess(1234, { startTicks: 9999 }), 'reused');
  assert.equal(sameProcess(1234, undefined), 'gone');
  assert.equal(sameProcess(undefined, { startTicks: 1 }), 'unknown');
});

test('SOCK_DESTROY request: type 21, REQUEST|ACK, exact socket id with cookie', () => {
  const buf = encodeDestroyRequest({ family: 'ipv4', protocol: 'tcp', localAddress: '127.0.0.1', localPort: 5000,
    remoteAddress: '127.0.0.2', remotePort: 40312, cookie: [0x2a1f, 7] }, 99);
  assert.equal(buf.length, 72);
  assert.equal(buf.readUInt32LE(0), 72);
  assert.equal(buf.readUInt16LE(4), SOCK_DESTROY);
  assert.equal(buf.readUInt16LE(6), 0x5);
  assert.equal(buf.readUInt32LE(8), 99);
  assert.deepEqual([buf[16], buf[17]], [2, 6]);
  assert.equal(buf.readUInt16BE(24), 5000);
  assert.equal(buf.readUInt16BE(26), 40312);
  assert.deepEqual([...buf.subarray(28, 32)], [127, 0, 0, 1]);
  assert.deepEqual([...buf.subarray(44, 48)], [127, 0, 0, 2]);
  assert.equal(buf.readUInt32LE(64), 0x2a1f);
  assert.equal(buf.readUInt32LE(68), 7);
  // The kernel's answer: NLMSG_ERROR with -EOPNOTSUPP.
  const ans = Buffer.alloc(36);
  ans.writeUInt32LE(36, 0); ans.writeUInt16LE(2, 4); ans.writeUInt32LE(99, 8); ans.writeInt32LE(-95, 16);
  assert.deepEqual(decodeReply(ans, 99), { errno: 95 });
});

test('a socket handed over as a new object with nothing changed, then closed, leaves the view', async () => {
  // Seen live: a server accepted a connection, so its fds were read again and its
  // listener came back as a new object with the same holders (no change to report);
  // the view kept the old object, and when the listener closed that old row stayed
  // on screen as a live LISTEN row for good. With --source proc every row is a new
  // object each refresh, so every socket that closed could stay behind.
  const { applySnapshot, initialState, visibleSockets } = await import('../../src/views/tui/state.js');
  const snap = (sockets: Socket[]) => ({ takenAt: 0, source: 'netlink' as const, backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] });
  const others = [1, 2, 3].map((i) => sock({ inode: 100 + i, localPort: 6000 + i }));
  const l0 = sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, inode: 10 });
  const l1: Socket = { ...l0, holders: [{ pid: 10, fd: 3, name: 'srv' }] };
  const d = diffSockets([l0], [l1]);
  assert.deepEqual([d.opened, d.closed, d.changed], [[], [], []], 'nothing to report');
  const st = initialState();
  let prev = [l0, ...others];
  applySnapshot(st, snap(prev), undefined, 0);
  let now = 0;
  for (const next of [[l1, ...others], others, others, others]) {
    now += 2000;
    applySnapshot(st, snap(next), diffSockets(prev, next), now);
    prev = next;
  }
  assert.deepEqual(visibleSockets(st).map((s) => s.localPort), [6001, 6002, 6003], 'the closed listener is gone once its red row expired');
  // And while it is red, it is there once.
  const st2 = initialState();
  applySnapshot(st2, snap([l0, ...others]), undefined, 0);
  applySnapshot(st2, snap([l1, ...others]), diffSockets([l0, ...others], [l1, ...others]), 1000);
  applySnapshot(st2, snap(others), diffSockets([l1, ...others], others), 2000);
  assert.equal(visibleSockets(st2).filter((s) => s.localPort === 5000).length, 1);
});

test('a TIME_WAIT 4-tuple taken over by a new connection: one row for it, not the closed one beside it', async () => {
  // Under churn a client port is reused while the old connection is in TIME_WAIT:
  // the TIME_WAIT closes (red row for a moment), a new connection with the same
  // 4-tuple opens and soon is in TIME_WAIT itself. Its key (4-tuple, inode 0) is the
  // closed one's: the view showed two identical TIME_WAIT rows, sharing one mark.
  const { applySnapshot, initialState, visibleSockets, markOf } = await import('../../src/views/tui/state.js');
  const snap = (sockets: Socket[]) => ({ takenAt: 0, source: 'netlink' as const, backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] });
  const other = sock({ inode: 7, localPort: 6000 });
  const twA = sock({ state: 'TIME_WAIT', inode: 0, holders: [] });
  const live = sock({ inode: 55 });
  const twB = sock({ state: 'TIME_WAIT', inode: 0, holders: [] });
  const st = initialState();
  const steps = [[twA, other], [live, other], [twB, other]];
  applySnapshot(st, snap(steps[0]!), undefined, 0);
  for (let i = 1; i < steps.length; i++) applySnapshot(st, snap(steps[i]!), diffSockets(steps[i - 1]!, steps[i]!), i * 500);
  const rows = visibleSockets(st).filter((s) => s.localPort === 5000);
  assert.equal(rows.length, 1, rows.map((s) => `${s.state} ${s.inode}`).join(', '));
  assert.equal(rows[0], twB);
  assert.notEqual(markOf(st, twB, 1000), 'closed', 'the live row is not marked closed');
});

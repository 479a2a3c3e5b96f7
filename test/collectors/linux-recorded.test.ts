// The whole Linux collector on a recorded /proc tree (--source proc path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LinuxCollector, unheldReason } from '../../src/collectors/linux.js';
import { listSockets } from '../../src/index.js';
import type { RawSocket, Socket } from '../../src/model/socket.js';
import { FIXTURES } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');
const ctx = { procRoot: tree, passwdPath: join(tree, 'passwd'), euid: 0, now: () => 1_700_000_000_000 };

/** Rules every Snapshot obeys, whatever the source. */
function contract(sockets: Socket[]): void {
  for (const s of sockets) {
    if (s.holders.length === 0) assert.ok(s.unheldReason, `unheld socket ${s.localPort} has a reason`);
    else assert.equal(s.unheldReason, undefined);
    assert.ok(s.localPort >= 0 && s.localPort <= 65535);
    if (s.backlog !== undefined) assert.equal(s.state, 'LISTEN');
    if (s.protocol === 'udp') assert.ok(s.state === 'UNCONN' || s.state === 'ESTABLISHED');
  }
}

test('recorded tree: holders with names, commands and users; shared listener', async () => {
  const snap = await new LinuxCollector(ctx).collect({ source: 'proc' });
  assert.equal(snap.source, 'proc');
  assert.equal(snap.backlogKnown, false);
  contract(snap.sockets);
  const l = snap.sockets.find((s) => s.inode === 7679)!;
  assert.deepEqual(l.holders, [
    { pid: 4242, fd: 3, name: 'python3', command: 'python3 ds.py', user: 'root', uid: 0 },
    { pid: 4243, fd: 5, name: 'python3', command: 'python3 ds.py --child', user: 'alice', uid: 1000 },
  ]);
  // The listener on 0.0.0.0:2024 has no holder in the recorded tree, and a process vanished mid-scan.
  const orphan = snap.sockets.find((s) => s.inode === 1150)!;
  assert.deepEqual(orphan.holders, []);
  assert.equal(orphan.unheldReason, 'process-exited');
  assert.ok(snap.issues.some((i) => i.kind === 'process-exited' && i.subject.endsWith('/4999')));
  assert.equal(snap.takenAt, 1_700_000_000_000);
});

test('a redirected proc root via listSockets reads the recorded tree, filters apply', async () => {
  const snap = await listSockets({ procRoot: tree, passwdPath: join(tree, 'passwd'), filter: { protocols: ['udp'], families: ['ipv4'] } });
  assert.equal(snap.source, 'proc', 'a recorded tree is never mixed with the live kernel');
  assert.deepEqual(snap.sockets.map((s) => s.inode).sort(), [7684, 7686]);
  const byPid = await listSockets({ procRoot: tree, passwdPath: join(tree, 'passwd'), pids: [4243] });
  assert.deepEqual(byPid.sockets.map((s) => s.inode), [7679]);
  const byName = await listSockets({ procRoot: tree, passwdPath: join(tree, 'passwd'), filter: { processes: ['--child'] } });
  assert.deepEqual(byName.sockets.map((s) => s.inode), [7679]);
});

test('unheld reasons: not accepted, kernel, permission, unknown', () => {
  const base: RawSocket = { protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 9090, remoteAddress: '127.0.0.1',
    remotePort: 40000, state: 'ESTABLISHED', recvQ: 4, sendQ: 0, inode: 0, uid: 0 };
  const wildcard: RawSocket = { ...base, localAddress: '0.0.0.0', remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', inode: 5 };
  const v6any: RawSocket = { ...wildcard, family: 'ipv6', localAddress: '::' };
  const none = { unreadable: [], exited: [] };
  assert.equal(unheldReason(base, new Map([[9090, [wildcard]]]), none), 'not-accepted');
  assert.equal(unheldReason({ ...base, family: 'ipv6', localAddress: '::ffff:127.0.0.1' }, new Map([[9090, [v6any]]]), none), 'not-accepted');
  // An IPv4-only wildcard listener does not take IPv6 connections.
  assert.equal(unheldReason({ ...base, family: 'ipv6', localAddress: '::1' }, new Map([[9090, [wildcard]]]), none), 'kernel');
  assert.equal(unheldReason(base, new Map(), none), 'kernel');
  assert.equal(unheldReason({ ...base, state: 'TIME_WAIT' }, new Map([[9090, [wildcard]]]), none), 'kernel');
  assert.equal(unheldReason({ ...base, inode: 77 }, new Map(), { unreadable: [12], exited: [] }), 'permission-denied');
  assert.equal(unheldReason({ ...base, inode: 77 }, new Map(), { unreadable: [], exited: [13] }), 'process-exited');
  assert.equal(unheldReason({ ...base, inode: 77 }, new Map(), none), 'unknown');
});

test('asking for netlink on a machine without it is an error, auto falls back', async () => {
  // With a recorded tree auto never tries netlink; explicit proc on a missing tree gives issues, not a crash.
  const snap = await new LinuxCollector({ ...ctx, procRoot: join(FIXTURES, 'proc', 'malformed') }).collect({ source: 'proc' });
  assert.equal(snap.sockets.length, 2);
  assert.ok(snap.issues.some((i) => i.kind === 'parse-error' && i.subject.endsWith('tcp6:4')));
  assert.ok(snap.issues.some((i) => i.kind === 'source-error' && i.subject.endsWith('net/tcp')), 'missing table reported');
});

test('a socket listed twice by a /proc/net table read under churn is one row', async (t) => {
  // /proc/net/tcp is read a page at a time and is not a snapshot: when sockets come
  // and go between two pages, a line can come out twice. Measured with --source proc
  // under ~250 connections/s: 150 of 165 listings had duplicate rows (630 in all).
  const { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-dup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(tree, dir, { recursive: true, verbatimSymlinks: true });
  const lines = readFileSync(join(tree, 'net', 'tcp'), 'latin1').split('\n');
  const tw = '   2: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00001388 00000000     0        0 0 3 0000000000000000';
  // The listener and the connection again, and a TIME_WAIT (no inode) twice.
  writeFileSync(join(dir, 'net', 'tcp'), [...lines.filter(Boolean), tw, lines[2]!, tw, lines[1]!, ''].join('\n'));
  const snap = await new LinuxCollector({ ...ctx, procRoot: dir, passwdPath: join(dir, 'passwd') }).collect({ source: 'proc' });
  const tcp4 = snap.sockets.filter((s) => s.protocol === 'tcp' && s.family === 'ipv4');
  const keys = tcp4.map((s) => `${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${s.inode} ${s.state}`);
  assert.deepEqual([...new Set(keys)].sort(), keys.slice().sort(), `no row twice: ${keys.join(', ')}`);
  assert.equal(tcp4.length, 3);
  assert.equal(tcp4.filter((s) => s.state === 'TIME_WAIT').length, 1);
  // The rows are those of the table read once, holders and reasons alike.
  const once = await new LinuxCollector(ctx).collect({ source: 'proc' });
  for (const inode of [1150, 7681]) {
    const a = tcp4.find((s) => s.inode === inode)!;
    const b = once.sockets.find((s) => s.inode === inode)!;
    assert.deepEqual([a.holders, a.unheldReason], [b.holders, b.unheldReason], `inode ${inode}`);
  }
});

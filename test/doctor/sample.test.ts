// readCounters and readFdUse over a recorded proc tree (files we write) and
// over this very process: the counters by name, the fd count and the soft
// limit, and a true reason for every process that could not be read.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { holderPids, parseNofileLimit, parseReservedPorts, readCounters, readFdUse, readReservedPorts } from '../../src/doctor/sample.js';
import { parseThreshold } from '../../src/doctor/thresholds.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            64                   4096                 files
Max locked memory         8388608              8388608              bytes
`;

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'sockscope-doctor-'));
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'netstat'), 'TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 12 14\nIpExt: InNoRoutes\nIpExt: 3\n');
  writeFileSync(join(root, 'net', 'snmp'), 'Ip: Forwarding\nIp: 1\nTcp: ActiveOpens OutSegs RetransSegs\nTcp: 5 5310 7\nUdp: InDatagrams\nUdp: 9\n');
  mkdirSync(join(root, '42', 'fd'), { recursive: true });
  writeFileSync(join(root, '42', 'limits'), LIMITS);
  for (let i = 0; i < 7; i++) symlinkSync(`socket:[${1000 + i}]`, join(root, '42', 'fd', String(i)));
  mkdirSync(join(root, '43'));
  writeFileSync(join(root, '43', 'limits'), LIMITS.replace('64                   4096', 'unlimited            unlimited'));
  return root;
}

test('readCounters: TcpExt and Tcp by name, nothing of the other groups; empty when unreadable', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const c = readCounters(root);
  assert.equal(c.get('ListenOverflows'), 12);
  assert.equal(c.get('ListenDrops'), 14);
  assert.equal(c.get('RetransSegs'), 7);
  assert.equal(c.get('OutSegs'), 5310);
  assert.equal(c.get('InNoRoutes'), undefined);
  assert.equal(c.get('InDatagrams'), undefined);
  assert.equal(readCounters(join(root, 'nowhere')).size, 0);
});

test('readCounters on this machine: the namespace counters the doctor compares', () => {
  const c = readCounters('/proc');
  for (const name of ['ListenOverflows', 'ListenDrops', 'RetransSegs', 'OutSegs']) assert.equal(typeof c.get(name), 'number', name);
});

test('readFdUse: open fds and the soft limit; a process that cannot be read is said with its reason', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const errors = new Map<number, string>();
  const use = readFdUse([42, 43, 44, 42], root, errors);
  assert.deepEqual([...use], [[42, { open: 7, limit: 64 }]]);
  assert.deepEqual([...errors].sort(), [[43, 'no-limit'], [44, 'ENOENT']]);
});

test('readFdUse on this process: the count /proc/self/fd lists and the limit /proc/self/limits says', () => {
  const use = readFdUse([process.pid], '/proc').get(process.pid);
  assert.ok(use);
  const listed = readdirSync(`/proc/${process.pid}/fd`).length;
  // Opening the directory to list it takes one fd; other threads may open one meanwhile.
  assert.ok(Math.abs(use.open - listed) <= 2, `open ${use.open} vs listed ${listed}`);
  assert.equal(use.limit, parseNofileLimit(readFileSync(`/proc/${process.pid}/limits`, 'latin1')));
});

test('parseNofileLimit and holderPids', () => {
  assert.equal(parseNofileLimit(LIMITS), 64);
  assert.equal(parseNofileLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  assert.equal(parseNofileLimit('nothing here'), undefined);
  assert.deepEqual([...holderPids([{ holders: [{ pid: 3 }, { pid: 4 }] }, { holders: [{ pid: 3 }] }, { holders: [] }] as never)], [3, 4]);
});

test('parseThreshold: a known name and a plain number in range, else why not', () => {
  assert.deepEqual(parseThreshold('close-wait-count=50'), { ok: true, name: 'close-wait-count', value: 50 });
  assert.deepEqual(parseThreshold('fd-ratio=0.9'), { ok: true, name: 'fd-ratio', value: 0.9 });
  assert.equal(parseThreshold('close-wait-count').ok, false);
  assert.deepEqual(parseThreshold('nope=3'), { ok: false, error: 'unknown-name', name: 'nope' });
  assert.deepEqual(parseThreshold('__proto__=3'), { ok: false, error: 'unknown-name', name: '__proto__' });
  for (const bad of ['fd-ratio=2', 'fd-ratio=0', 'close-wait-count=1.5', 'close-wait-count=-1', 'close-wait-count=1e3', 'fd-ratio=', 'fd-ratio=Infinity']) {
    const r = parseThreshold(bad);
    assert.equal(r.ok, false, bad);
    assert.equal(!r.ok && r.error, 'bad-value', bad);
  }
});

test('parseReservedPorts and readReservedPorts: ranges the kernel never hands out', () => {
  assert.deepEqual(parseReservedPorts('\n'), []);
  assert.deepEqual(parseReservedPorts('8080,9000-9010\n'), [[8080, 8080], [9000, 9010]]);
  assert.equal(parseReservedPorts('9010-9000'), undefined);
  assert.equal(parseReservedPorts('80,x'), undefined);
  assert.equal(parseReservedPorts('70000'), undefined);
  assert.deepEqual(readReservedPorts('/proc'), parseReservedPorts(readFileSync('/proc/sys/net/ipv4/ip_local_reserved_ports', 'latin1')));
  assert.equal(readReservedPorts('/nonexistent'), undefined);
});

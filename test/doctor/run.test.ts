// runDoctor over a scripted source and a clock the test moves (watch()'s
// seams), with the counters and fd use read from a proc tree the test writes
// between looks: the default of two looks one second apart, the number of
// looks a duration takes, counters read with each look, fds after the last,
// an early stop judged on what was seen, and skipped checks said.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectDoctor, plannedLooks } from '../../src/doctor/run.js';
import type { TickQuery } from '../../src/collectors/live.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Socket } from '../../src/model/socket.js';
import type { WatchClock, WatchSource } from '../../src/watch.js';

class FakeClock implements WatchClock {
  t = 1_700_000_000_000;
  now(): number { return this.t; }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (!signal.aborted) this.t += Math.max(0, ms);
  }
}

class Scripted implements WatchSource {
  looks = 0;
  constructor(private readonly clock: FakeClock, private readonly tables: Socket[][]) {}
  async tick(_q: TickQuery): Promise<{ snapshot: Snapshot }> {
    const sockets = this.tables[Math.min(this.looks++, this.tables.length - 1)]!;
    return { snapshot: { takenAt: this.clock.now(), source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] } };
  }
}

const listener: Socket = {
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 7101, remoteAddress: '0.0.0.0', remotePort: 0,
  state: 'LISTEN', recvQ: 3, sendQ: 0, backlog: 2, inode: 77, uid: 0, holders: [{ pid: 42, fd: 3, name: 'srv' }],
};

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'sockscope-doctor-run-'));
  mkdirSync(join(root, 'net'));
  mkdirSync(join(root, '42', 'fd'), { recursive: true });
  writeFileSync(join(root, '42', 'limits'), 'Max open files            10                   10                   files     \n');
  for (let i = 0; i < 9; i++) symlinkSync('/dev/null', join(root, '42', 'fd', String(i)));
  return root;
}

const netstat = (overflows: number): string => `TcpExt: ListenOverflows ListenDrops\nTcpExt: ${overflows} ${overflows}\n`;

test('plannedLooks: the first look at once, then one per interval until the duration is covered', () => {
  assert.deepEqual(plannedLooks(1, 1), { looks: 2, intervalSeconds: 1 });
  assert.deepEqual(plannedLooks(3, 1), { looks: 4, intervalSeconds: 1 });
  assert.deepEqual(plannedLooks(2.5, 1), { looks: 4, intervalSeconds: 1 });
  assert.deepEqual(plannedLooks(1, 5), { looks: 2, intervalSeconds: 1 }, 'the interval never exceeds the duration');
  assert.deepEqual(plannedLooks(0, 1).looks, 1);
});

test('the default check: two looks one second apart, counters with each look, fds after the last', async (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'net', 'netstat'), netstat(10));
  const clock = new FakeClock();
  const source = new Scripted(clock, [[listener]]);
  const { report } = await collectDoctor({
    source, clock, procRoot: root, host: { ephemeral: [40000, 40019], unprivilegedStart: 1024 },
    // Between the looks the kernel drops 5 more SYNs at the full listener.
    onLook: (n) => { if (n === 1) writeFileSync(join(root, 'net', 'netstat'), netstat(15)); },
  });
  assert.equal(source.looks, 2);
  assert.equal(report.samples, 2);
  assert.equal(report.spanMs, 1000);
  assert.deepEqual(report.findings.map((f) => `${f.kind}:${f.severity}`), ['accept-queue-full:critical', 'fd-limit:warning']);
  assert.equal(report.findings[0]!.evidence['listenOverflows'], 5);
  assert.equal(report.findings[1]!.evidence['open'], 9);
  assert.equal(report.findings[1]!.evidence['limit'], 10);
  assert.deepEqual(report.skipped.map((s) => s.reason), ['doctor.skip.counters.retransmissions'], 'no /proc/net/snmp in this tree: said');
  assert.equal(report.thresholds['close-wait-count'], 10);
});

test('a longer check takes more looks; thresholds given are the ones judged by', async (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const clock = new FakeClock();
  const source = new Scripted(clock, [[listener]]);
  const { report } = await collectDoctor({ source, clock, procRoot: root, durationSeconds: 3, intervalSeconds: 0.5, thresholds: { 'fd-ratio': 0.95 }, host: {} });
  assert.equal(source.looks, 7);
  assert.equal(report.spanMs, 3000);
  assert.equal(report.thresholds['fd-ratio'], 0.95);
  assert.deepEqual(report.findings.map((f) => f.kind), ['accept-queue-full'], '9 of 10 fds is under 0.95');
});

test('stopped after the first look: judged on that look, the checks that needed two say so', async (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const clock = new FakeClock();
  const stop = new AbortController();
  const source = new Scripted(clock, [[listener]]);
  const { report } = await collectDoctor({ source, clock, procRoot: root, durationSeconds: 10, signal: stop.signal, onLook: () => stop.abort(), host: {} });
  assert.equal(report.samples, 1);
  assert.deepEqual(report.findings.map((f) => `${f.kind}:${f.severity}`), ['accept-queue-full:warning', 'fd-limit:warning']);
  assert.ok(report.skipped.some((s) => s.reason === 'doctor.skip.one-sample.close-wait'));
});

test('the library: runDoctor from the front door, loaded on first call', async (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { runDoctor } = await import('../../src/index.js');
  // The pure engine is the subpath 'sockscope/doctor' (the main entry, which every CLI command loads, does not carry it).
  const { diagnose, DEFAULT_THRESHOLDS, FINDING_KINDS } = await import('../../src/doctor/index.js');
  const clock = new FakeClock();
  const report = await runDoctor({ source: new Scripted(clock, [[listener]]), clock, procRoot: root, host: {} });
  assert.equal(report.samples, 2);
  assert.deepEqual(report.findings.map((f) => f.kind), ['accept-queue-full', 'fd-limit']);
  assert.equal(typeof diagnose, 'function');
  assert.equal(DEFAULT_THRESHOLDS['fd-ratio'], 0.8);
  assert.equal(FINDING_KINDS.length, 12);
});

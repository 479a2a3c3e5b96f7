// The lab's pure pieces: the /proc/net/netstat parser, the sysctl parsers,
// wanted-value matching, prose wrapping, and the two catalogs agreeing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCounters } from '../../src/collectors/procfs/snmp.js';
import { countReserved, parsePortRange } from '../../src/lab/sysctl.js';
import { satisfies, wantParams } from '../../src/lab/observe.js';
import { wrap } from '../../src/lab/runner.js';
import { lab as en } from '../../src/explain/messages/en/lab.js';
import { lab as zh } from '../../src/explain/messages/zh-CN/lab.js';
import { displayWidth } from '../../src/views/sink.js';
import { EXPERIMENTS } from '../../src/lab/experiments/index.js';

// Trimmed from this machine's /proc/net/netstat (the real lines have ~120 counters).
const NETSTAT = `TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPHPHits
TcpExt: 0 0 2850 2850 385583
IpExt: InNoRoutes InTruncatedPkts InOctets
IpExt: 0 0 123456789
MPTcpExt: MPCapableSYNRX
MPTcpExt: 0
`;

test('parseCounters: groups by prefix, names to values', () => {
  const g = parseCounters(NETSTAT);
  assert.deepEqual([...g.keys()], ['TcpExt', 'IpExt', 'MPTcpExt']);
  assert.equal(g.get('TcpExt')!.get('ListenOverflows'), 2850);
  assert.equal(g.get('TcpExt')!.get('ListenDrops'), 2850);
  assert.equal(g.get('IpExt')!.get('InOctets'), 123456789);
});

test('parseCounters: skips lines that do not pair up', () => {
  const g = parseCounters('TcpExt: A B\nTcpExt: 1\nIpExt: X\nIpExt: 7\ngarbage\n');
  assert.equal(g.has('TcpExt'), false, 'two names, one value');
  assert.equal(g.get('IpExt')!.get('X'), 7);
  assert.equal(parseCounters('').size, 0);
});

test('parseCounters reads the real file', async () => {
  const { readTcpExt } = await import('../../src/collectors/procfs/snmp.js');
  const c = readTcpExt();
  assert.equal(typeof c.get('ListenOverflows'), 'number');
  assert.equal(readTcpExt('/nonexistent').size, 0);
});

test('sysctl parsers', () => {
  assert.deepEqual(parsePortRange('32768\t60999\n'), { low: 32768, high: 60999 });
  assert.equal(parsePortRange('x'), undefined);
  assert.equal(countReserved('', 32768, 60999), 0);
  assert.equal(countReserved('1000,40000-40009,70000', 32768, 60999), 10);
  assert.equal(countReserved('32760-32770', 32768, 60999), 3);
});

test('wanted values: exact, at least, at most', () => {
  assert.equal(satisfies(3, 3), true);
  assert.equal(satisfies(3, '3'), true);
  assert.equal(satisfies('EADDRINUSE', 'ok'), false);
  assert.equal(satisfies({ min: 2 }, 4), true);
  assert.equal(satisfies({ min: 2 }, 1), false);
  assert.equal(satisfies({ max: 0 }, 0), true);
  assert.equal(satisfies({ min: 1 }, '?'), false);
  assert.equal(satisfies(1, undefined), false);
  assert.deepEqual(wantParams({ a: 1, b: { min: 2 }, c: { max: 3 } }), { a: 1, b: '≥2', c: '≤3' });
});

test('wrap: words in English, anywhere in Chinese, within the width', () => {
  const en1 = wrap('one two three four five six', 12, '  ', '* ');
  assert.deepEqual(en1, ['* one two', '  three four', '  five six']);
  const zh1 = wrap('内核已经替程序完成了三次握手。', 12, '');
  for (const l of zh1) assert.ok(displayWidth(l) <= 12, l);
  assert.equal(zh1.join(''), '内核已经替程序完成了三次握手。');
});

test('lab catalogs: same keys, same placeholders, every key starts with lab.', () => {
  const ph = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(en)) {
    assert.ok(k.startsWith('lab.'), k);
    assert.deepEqual(ph(zh[k as keyof typeof en]), ph(v), `placeholders of ${k}`);
    assert.ok(zh[k as keyof typeof en].trim() !== '', k);
  }
});

test('every experiment names its steps with keys of the catalog', () => {
  assert.equal(EXPERIMENTS.length, 8);
  for (const { make } of EXPERIMENTS) {
    const e = make();
    for (const key of [e.summary, e.intro, ...e.steps.flatMap((s) => [s.title, s.explain])]) {
      assert.ok(key in en, `${e.name}: ${key}`);
    }
  }
});

test('readSysctl and liveGroupMembers read bounded regular files: /dev/zero and a huge value give no answer, quickly', async (t) => {
  const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, truncateSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readSysctl } = await import('../../src/lab/sysctl.js');
  const { liveGroupMembers } = await import('../../src/lab/agent.js');
  const root = mkdtempSync(join(tmpdir(), 'sockscope-lab-proc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'sys', 'net', 'core'), { recursive: true });
  writeFileSync(join(root, 'sys', 'net', 'core', 'somaxconn'), '4096\n');
  symlinkSync('/dev/zero', join(root, 'sys', 'net', 'core', 'rmem_max'));
  writeFileSync(join(root, 'sys', 'net', 'core', 'wmem_max'), '');
  truncateSync(join(root, 'sys', 'net', 'core', 'wmem_max'), 300 * 1024 * 1024); // sparse
  mkdirSync(join(root, '4242'));
  writeFileSync(join(root, '4242', 'stat'), '4242 (a b) S 1 777 777 0 -1\n');
  mkdirSync(join(root, '4243'));
  symlinkSync('/dev/zero', join(root, '4243', 'stat'));
  const started = Date.now();
  assert.equal(readSysctl('net.core.somaxconn', root), '4096');
  assert.equal(readSysctl('net.core.rmem_max', root), undefined, 'a device is not read');
  assert.ok((readSysctl('net.core.wmem_max', root) ?? '').length <= 4096, 'cut at the cap');
  assert.deepEqual(liveGroupMembers([777], root), [4242]);
  assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
});

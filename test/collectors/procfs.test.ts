import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetTable } from '../../src/collectors/procfs/net-table.js';
import { formatCmdline, parsePasswd, parseStatStart, parseStatusUid } from '../../src/collectors/procfs/process-info.js';
import { scanHolders } from '../../src/collectors/procfs/holders.js';
import { FIXTURES } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');
const read = (p: string): string => readFileSync(join(tree, p), 'latin1');

test('/proc/net/tcp6: dual-stack listener and IPv4-mapped connection', () => {
  const { sockets, bad } = parseNetTable(read('net/tcp6'), 'tcp', 'ipv6');
  assert.deepEqual(bad, []);
  const l = sockets.find((s) => s.inode === 7679)!;
  assert.deepEqual([l.localAddress, l.localPort, l.remoteAddress, l.remotePort, l.state], ['::', 19191, '::', 0, 'LISTEN']);
  assert.equal(l.backlog, undefined, 'the proc table carries no backlog');
  const mapped = sockets.find((s) => s.inode === 7683)!;
  assert.equal(mapped.localAddress, '::ffff:127.0.0.1');
  assert.equal(mapped.remotePort, 32806);
  assert.equal(sockets.find((s) => s.inode === 7682)!.localAddress, '::1');
});

test('/proc/net/udp: queued bytes in hex, UNCONN and connected', () => {
  const { sockets } = parseNetTable(read('net/udp'), 'udp', 'ipv4');
  const bound = sockets.find((s) => s.inode === 7684)!;
  assert.deepEqual([bound.localAddress, bound.localPort, bound.state, bound.recvQ], ['127.0.0.1', 19292, 'UNCONN', 0x340]);
  const conn = sockets.find((s) => s.inode === 7686)!;
  assert.deepEqual([conn.state, conn.remoteAddress, conn.remotePort], ['ESTABLISHED', '127.0.0.1', 19292]);
});

test('the same words read on a big-endian machine give the same addresses', () => {
  const be = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 7F000001:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000  1000        0 99 1 0 100 0 0 10 0\n';
  const [s] = parseNetTable(be, 'tcp', 'ipv4', false).sockets;
  assert.deepEqual([s!.localAddress, s!.localPort, s!.recvQ, s!.uid], ['127.0.0.1', 8080, 2, 1000]);
});

test('malformed lines are reported with their line numbers, good ones kept', () => {
  const text = readFileSync(join(FIXTURES, 'proc', 'malformed', 'net', 'tcp6'), 'latin1');
  const { sockets, bad } = parseNetTable(text, 'tcp', 'ipv6');
  assert.equal(sockets.length, 2);
  assert.deepEqual(bad.map((b) => b.line), [4, 5, 6]);
  assert.doesNotThrow(() => parseNetTable('\u0000\u0001garbage\n\n:::\n' + 'x'.repeat(5000), 'udp', 'ipv4'));
});

test('timers: retransmit count and expiry from a SYN_SENT row', () => {
  const row = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   5: 0100007F:A2E6 0100007F:4A92 02 00000001:00000000 01:0000012C 00000003     0        0 123 1 0 400 4 30 10 -1\n';
  const [s] = parseNetTable(row, 'tcp', 'ipv4').sockets;
  assert.equal(s!.state, 'SYN_SENT');
  assert.deepEqual(s!.timer, { kind: 'retransmit', expiresMs: 3000, retransmits: 3 });
});

test('holder scan: every (pid, fd) by inode, shared sockets, vanished processes', () => {
  const scan = scanHolders(tree);
  assert.deepEqual(scan.byInode.get(7679), [{ pid: 4242, fd: 3 }, { pid: 4243, fd: 5 }]);
  assert.deepEqual(scan.byInode.get(7686), [{ pid: 4242, fd: 10 }]);
  assert.equal(scan.byInode.has(555), false, 'pipes are not sockets');
  assert.deepEqual(scan.exited, [4999]);
  assert.equal(scan.issues.filter((i) => i.kind === 'process-exited').length, 1);
  const only = scanHolders(tree, { wanted: new Set([7684]) });
  assert.deepEqual([...only.byInode.keys()], [7684]);
});

test('process details parsers', () => {
  assert.equal(formatCmdline('node\x00server.js\x00--port\x00080\x00'), 'node server.js --port 080');
  assert.equal(parseStatusUid('Name:\tx\nUid:\t1000\t1000\t1000\t1000\n'), 1000);
  assert.equal(parseStatStart('77 (a (b) c) S 1 77 77 0 -1 4194560 1 0 0 0 1 1 0 0 20 0 1 0 123456 1 1\n'), 123456);
  assert.equal(parsePasswd('root:x:0:0::/:/bin/sh\n# c\nbob:x:1001:1001::/:/bin/sh\n').get(1001), 'bob');
});

test('the native scan, when built, finds exactly what the JavaScript scan finds', async (t) => {
  const { nativeScan } = await import('../../src/collectors/procfs/holders.js');
  // The native scan is built by `npm install` (prepare); CI must have it.
  assert.ok(nativeScan(), 'the native scan is built (npm install builds it)');
  const norm = (s: ReturnType<typeof scanHolders>): string[] =>
    [...s.byInode].map(([ino, refs]) => `${ino}:${refs.map((r) => `${r.pid}/${r.fd}`).join(',')}`).sort();
  // Give this process sockets of its own so the live comparison is not empty.
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  for (const root of [tree, '/proc']) {
    const js = scanHolders(root, { forceJs: true });
    const nat = scanHolders(root);
    if (root === tree) {
      assert.deepEqual(norm(nat), norm(js));
      assert.deepEqual(nat.exited, js.exited);
    } else {
      // Live processes may open or close sockets between the two scans: compare
      // only the sockets of this test process, which is still.
      const mine = (s: ReturnType<typeof scanHolders>): string[] => norm(s).filter((x) => x.includes(`:${process.pid}/`));
      assert.ok(mine(js).length >= 1, 'the listener of this test is found');
      assert.deepEqual(mine(nat), mine(js));
      assert.deepEqual(nat.unreadable.sort(), js.unreadable.sort());
    }
  }
});

test('crafted tree: a socket inode past 32 bits names no socket, and a looping fd directory is said with its errno (native and JS alike)', async (t) => {
  const { mkdtempSync, mkdirSync, symlinkSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { nativeScan } = await import('../../src/collectors/procfs/holders.js');
  const root = mkdtempSync(join(tmpdir(), 'sockscope-crafted-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, '100', 'fd'), { recursive: true });
  symlinkSync('socket:[7684]', join(root, '100', 'fd', '3'));
  mkdirSync(join(root, '101', 'fd'), { recursive: true });
  symlinkSync(`socket:[${2 ** 32 + 7684}]`, join(root, '101', 'fd', '3')); // wraps to 7684 in 32 bits
  mkdirSync(join(root, '102'));
  symlinkSync('fd2', join(root, '102', 'fd'));
  symlinkSync('fd', join(root, '102', 'fd2'));
  const scans = [scanHolders(root, { forceJs: true, wanted: new Set([7684]) })];
  if (process.env['CI'] || nativeScan()) scans.push(scanHolders(root, { wanted: new Set([7684]) }));
  for (const scan of scans) {
    assert.deepEqual(scan.byInode.get(7684), [{ pid: 100, fd: 3 }], 'pid 101 does not hold socket 7684');
    const loop = scan.issues.find((i) => i.subject === `${root}/102/fd`);
    assert.equal(loop?.detail, 'ELOOP', JSON.stringify(scan.issues));
  }
  assert.equal(scans.length, 2, 'the native scan is built (npm install builds it)');
});

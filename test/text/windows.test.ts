// Windows netstat: English, Chinese and German output, -b names, PID 4 and 0, encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePasted } from '../../src/collectors/text/index.js';
import type { PastedRow } from '../../src/collectors/text/index.js';
import { fixture } from './helpers.js';

const W = 'windows-netstat';
const sockets = (rows: PastedRow[]): unknown => rows.map((r) => [r.line, r.socket]);

test('en, zh-CN and de -ano output give the same sockets on the same lines', () => {
  const en = parsePasted(fixture(W, 'en-ano.txt'));
  const zh = parsePasted(fixture(W, 'zh-cn-ano.txt'));
  const de = parsePasted(fixture(W, 'de-ano.txt'));
  assert.equal(en.rows.length, 19);
  assert.deepEqual(sockets(zh.rows), sockets(en.rows));
  assert.deepEqual(sockets(de.rows.slice(0, 19)), sockets(en.rows));
  for (const r of [en, zh, de]) {
    assert.equal(r.format, W);
    assert.equal(r.platform, 'windows');
    assert.deepEqual(r.unreadable, []);
  }
});

test('German state names map onto sockscope states', () => {
  const de = parsePasted(fixture(W, 'de-ano.txt'));
  const byPort = new Map(de.rows.map((r) => [r.socket.localPort, r.socket.state]));
  assert.equal(byPort.get(135), 'LISTEN');            // ABHÖREN
  assert.equal(byPort.get(50210), 'ESTABLISHED');     // HERGESTELLT
  assert.equal(byPort.get(50211), 'TIME_WAIT');       // WARTEND
  assert.equal(byPort.get(50212), 'CLOSE_WAIT');      // SCHLIESSEN_WARTEN
  assert.equal(byPort.get(50213), 'SYN_SENT');        // SYN_GESENDET
  assert.equal(byPort.get(50214), 'FIN_WAIT2');       // FIN_WARTEN_2
  assert.equal(byPort.get(50215), 'FIN_WAIT1');       // FIN_WARTEN_1
  assert.equal(byPort.get(50216), 'LAST_ACK');        // LETZTES_ACK
  assert.equal(byPort.get(50217), 'CLOSING');         // SCHLIESSEND
  assert.equal(byPort.get(50218), 'SYN_RECV');        // SYN_EMPFANGEN
});

test('code-page files: German cp850 (ABH\\x99REN) and Chinese GBK read like their UTF-8 twins', () => {
  const cp850 = parsePasted(fixture(W, 'de-ano-cp850.txt'));
  assert.deepEqual(sockets(cp850.rows), sockets(parsePasted(fixture(W, 'de-ano.txt')).rows));
  assert.ok(cp850.notes.includes('encoding-latin1'));
  const gbk = parsePasted(fixture(W, 'zh-cn-ano-gbk.txt'));
  assert.deepEqual(sockets(gbk.rows), sockets(parsePasted(fixture(W, 'zh-cn-ano.txt')).rows));
  assert.ok(gbk.notes.includes('encoding-gbk'));
  // The same German text as it looks after a cp850 → cp1252 mix-up ("ABH™REN").
  const mojibake = fixture(W, 'de-ano.txt').toString('utf8').replace(/ABHÖREN/g, 'ABH™REN');
  assert.equal(parsePasted(mojibake).rows.filter((r) => r.socket.state === 'LISTEN').length, 8);
});

test('UTF-16LE files (PowerShell redirect): with BOM, without BOM, and as a mis-decoded string', () => {
  const bom = fixture(W, 'en-ano-utf16le.txt');
  assert.deepEqual([bom[0], bom[1]], [0xff, 0xfe]);
  const en = sockets(parsePasted(fixture(W, 'en-ano.txt')).rows);
  const r = parsePasted(bom);
  assert.deepEqual(sockets(r.rows), en);
  assert.ok(r.notes.includes('encoding-utf-16le'));
  assert.deepEqual(sockets(parsePasted(bom.subarray(2)).rows), en, 'NUL-interleaved without BOM');
  assert.deepEqual(sockets(parsePasted(bom.toString('latin1')).rows), en, 'UTF-16 bytes read as Latin-1 text');
  const zh = parsePasted(fixture(W, 'zh-cn-ano-utf16le.txt'));
  assert.deepEqual(sockets(zh.rows), sockets(parsePasted(fixture(W, 'zh-cn-ano.txt')).rows));
});

test('-b: executable and service names attach to the row above them', () => {
  for (const name of ['en-anob.txt', 'zh-cn-anob.txt']) {
    const r = parsePasted(fixture(W, name));
    const at = (line: number): PastedRow => r.rows.find((x) => x.line === line)!;
    assert.deepEqual(at(5).socket.holders, [{ pid: 1012, name: 'svchost.exe' }]);
    assert.equal(at(5).service, 'RpcSs');
    assert.deepEqual(at(8).socket.holders, [{ pid: 4, name: 'System' }], 'PID 4 is System even without a -b name');
    assert.ok(at(8).ownerUnavailable, 'ownership line kept');
    assert.equal(at(10).service, 'CDPSvc');
    assert.deepEqual(at(13).socket.holders, [{ pid: 868 }], 'no name when Windows could not tell');
    assert.equal(at(15).socket.holders[0]!.name, 'chrome.exe');
    assert.equal(at(15).service, undefined);
    assert.deepEqual(at(19).socket.holders, [], 'TIME_WAIT row of PID 0');
    assert.equal(at(19).socket.unheldReason, 'kernel');
    assert.equal(at(20).socket.holders[0]!.name, 'Code.exe', 'name of the row after a bare TIME_WAIT row');
    assert.equal(at(24).service, 'Dnscache');
    assert.deepEqual(r.unreadable, []);
    for (const n of ['windows-b', 'windows-pid-4', 'windows-pid-0', 'windows-owner-unavailable', 'no-queues']) assert.ok(r.notes.includes(n), n);
  }
});

test('addresses: [::]:135, zone ids, *:* for UDP, LISTENING → LISTEN, UDP → UNCONN', () => {
  const r = parsePasted(fixture(W, 'en-ano.txt'));
  const v6 = r.rows.find((x) => x.line === 17)!.socket;
  assert.deepEqual([v6.family, v6.localAddress, v6.localPort, v6.remoteAddress, v6.remotePort, v6.state], ['ipv6', '::', 135, '::', 0, 'LISTEN']);
  const ll = r.rows.find((x) => x.line === 23)!;
  assert.deepEqual([ll.socket.localAddress, ll.localZone, ll.socket.state, ll.socket.remoteAddress], ['fe80::1c2d:3e4f:5a6b:7c8d', '7', 'UNCONN', '::']);
  const udp = r.rows.find((x) => x.line === 20)!.socket;
  assert.deepEqual([udp.protocol, udp.remoteAddress, udp.remotePort, udp.recvQ, udp.sendQ], ['udp', '0.0.0.0', 0, 0, 0]);
});

test('-an without PIDs: no holders, reason unknown (kernel for TIME_WAIT)', () => {
  const r = parsePasted(fixture(W, 'en-an.txt'));
  assert.ok(r.notes.includes('no-pids'));
  assert.ok(r.rows.every((x) => x.socket.holders.length === 0));
  assert.deepEqual([...new Set(r.rows.map((x) => x.socket.unheldReason))].sort(), ['kernel', 'unknown']);
});

test('damaged lines are reported with their line numbers and why; good ones kept (tabs too)', () => {
  const r = parsePasted(fixture(W, 'en-ano-damaged.txt'));
  assert.deepEqual(r.rows.map((x) => x.line), [5, 7, 8]);
  assert.deepEqual(r.unreadable.map((u) => [u.line, u.reason]), [[6, 'bad-pid'], [9, 'bad-state']]);
  // Line 8 was taken without -n: host names kept as printed, https read back as 443.
  const named = r.rows[2]!;
  assert.deepEqual([named.socket.localAddress, named.socket.localPort, named.socket.remoteAddress, named.socket.remotePort], ['DESKTOP-7Q1', 50210, 'example.net', 443]);
  assert.deepEqual([named.localIsName, named.remoteIsName, named.remoteService, named.localService], [true, true, 'https', undefined]);
  assert.ok(r.notes.includes('names-not-numeric'));
});

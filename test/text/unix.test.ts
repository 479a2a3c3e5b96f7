// ss, Linux netstat, lsof and macOS netstat: holders, merging, dual stack, pid columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat, parsePasted } from '../../src/collectors/text/index.js';
import type { PastedRow } from '../../src/collectors/text/index.js';
import { parseSsUsers, ssTimerMs } from '../../src/collectors/text/ss.js';
import { macosPidColumn } from '../../src/collectors/text/macos-netstat.js';
import { fixture } from './helpers.js';

const at = (rows: PastedRow[], line: number): PastedRow => {
  const r = rows.find((x) => x.line === line);
  assert.ok(r, `a row on line ${line}`);
  return r;
};

test('ss: a socket held by two processes has both holders, with fds', () => {
  const r = parsePasted(fixture('ss', 'tuanp.txt'));
  const listener = at(r.rows, 5).socket;
  assert.deepEqual(listener.holders, [{ pid: 437, fd: 3, name: 'python3' }, { pid: 395, fd: 3, name: 'python3' }]);
  assert.deepEqual([listener.state, listener.recvQ, listener.sendQ, listener.backlog], ['LISTEN', 0, 0, 16]);
  const udp = at(r.rows, 2).socket;
  assert.deepEqual([udp.protocol, udp.state, udp.recvQ], ['udp', 'UNCONN', 832]);
  assert.equal(at(r.rows, 3).socket.state, 'ESTABLISHED', 'connected UDP');
  assert.equal(at(r.rows, 10).socket.unheldReason, 'kernel', 'TIME-WAIT');
  const mapped = at(r.rows, 14).socket;
  assert.deepEqual([mapped.family, mapped.localAddress, mapped.remoteAddress], ['ipv6', '::ffff:127.0.0.1', '::ffff:127.0.0.1']);
});

test('ss: "*" is the dual-stack any address, %lo a bound device, no Netid column', () => {
  const r = parsePasted(fixture('ss', 'tanp-two-holders.txt'));
  const dual = at(r.rows, 9).socket;
  assert.deepEqual([dual.family, dual.localAddress, dual.localPort, dual.remoteAddress, dual.remotePort], ['ipv6', '::', 19091, '::', 0]);
  assert.ok(r.rows.every((x) => x.socket.protocol === 'tcp'));
  assert.ok(r.notes.includes('dual-stack'));
  const b = parsePasted(fixture('ss', 'tuanp-syn-sent-bound-device.txt'));
  assert.deepEqual([at(b.rows, 2).socket.localAddress, at(b.rows, 2).localZone], ['127.0.0.1', 'lo']);
  assert.deepEqual([at(b.rows, 7).socket.state, at(b.rows, 7).socket.sendQ], ['SYN_SENT', 1]);
  assert.deepEqual(at(b.rows, 2).socket.holders, [{ pid: 606, fd: 8, name: 'my worker' }], 'a name with a space');
});

test('ss -e: inode, orphan and not-accepted connections, timers', () => {
  const r = parsePasted(fixture('ss', 'tuanpe-extended.txt'));
  assert.equal(at(r.rows, 5).socket.inode, 2535471);
  assert.equal(at(r.rows, 13).socket.unheldReason, 'not-accepted', 'ESTAB with ino:0 waits in the accept queue');
  const orphan = at(r.rows, 8).socket;
  assert.deepEqual([orphan.state, orphan.unheldReason], ['FIN_WAIT2', 'kernel']);
  assert.deepEqual(orphan.timer, { kind: 'time-wait', expiresMs: 54000, retransmits: 0 });
  assert.equal(ssTimerMs('1min5sec'), 65000);
  assert.equal(ssTimerMs('5.250ms'), 5250);
  assert.equal(ssTimerMs('250ms'), 250);
  assert.deepEqual(parseSsUsers('users:(("a,\\"b",pid=1,fd=2),("nginx: worker",pid=3,fd=4))'),
    [{ pid: 1, fd: 2, name: 'a,\\"b' }, { pid: 3, fd: 4, name: 'nginx: worker' }]);
});

test('ss: junk lines go to unreadable with their line numbers; prompt lines are skipped', () => {
  const r = parsePasted(fixture('ss', 'tanp-with-junk.txt'));
  assert.deepEqual(r.unreadable.map((u) => [u.line, u.reason]), [[5, 'unrecognized'], [9, 'not-numeric']]);
  assert.equal(r.rows.length, 11);
});

test('Linux netstat: PID/Program name, tcp6, udp with and without a peer, -e inode', () => {
  const r = parsePasted(fixture('linux-netstat', 'tunap.txt'));
  assert.deepEqual(at(r.rows, 3).socket.holders, [{ pid: 395, name: 'python3' }]);
  assert.ok(r.notes.includes('one-holder-per-socket'));
  const v6 = at(r.rows, 10).socket;
  assert.deepEqual([v6.family, v6.localAddress, v6.localPort, v6.remotePort, v6.recvQ], ['ipv6', '::', 19091, 0, 1]);
  assert.equal(at(r.rows, 15).socket.state, 'ESTABLISHED');
  assert.equal(at(r.rows, 14).socket.state, 'UNCONN');
  assert.equal(at(r.rows, 6).socket.unheldReason, 'unknown', '"-" in the PID column');
  const e = parsePasted(fixture('linux-netstat', 'tunape-extended.txt'));
  assert.equal(at(e.rows, 3).socket.inode, 2748277);
  assert.equal(at(e.rows, 13).socket.unheldReason, 'not-accepted');
  const u = parsePasted(fixture('linux-netstat', 'tunap-unprivileged.txt'));
  assert.ok(u.notes.includes('no-process-info'));
  assert.deepEqual(u.unreadable, []);
  const sect = parsePasted(fixture('linux-netstat', 'anp-unix-section.txt'));
  assert.equal(sect.rows.length, 1);
  assert.deepEqual(sect.unreadable, [], 'the UNIX section is skipped');
});

test('Linux netstat: timers of -o and a possibly cut IPv6 address', () => {
  const text = [
    'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name     Timer',
    'tcp        0      0 10.0.0.5:22             192.0.2.9:51234         ESTABLISHED 812/sshd: alice [pr  keepalive (7196.40/0/0)',
    'tcp6       0      0 2001:db8:aaaa::bbbb:443 2001:db8::9:51000       ESTABLISHED -                    off (0.00/0/0)',
    'tcp6       0      0 2001:db8:aaaa:bbbb::443 2001:db8::9:51001       ESTABLISHED -                    off (0.00/0/0)',
  ].join('\n');
  const r = parsePasted(text);
  assert.equal(r.format, 'linux-netstat');
  assert.deepEqual(r.rows[0]!.socket.holders, [{ pid: 812, name: 'sshd: alice [pr' }]);
  assert.deepEqual(r.rows[0]!.socket.timer, { kind: 'keepalive', expiresMs: 7196400, retransmits: 0 });
  assert.deepEqual([r.rows[1]!.socket.localAddress, r.rows[1]!.truncated], ['2001:db8:aaaa::bbbb', true]);
  assert.deepEqual(r.unreadable.map((u) => [u.line, u.reason]), [[4, 'truncated-address']]);
  assert.ok(r.notes.includes('address-may-be-truncated'));
});

test('lsof: lines of one socket held by two processes merge into one row', () => {
  const r = parsePasted(fixture('lsof', 'i-nP-shared.txt'));
  assert.equal(r.platform, 'linux');
  assert.equal(r.rows.length, 11);
  const l = at(r.rows, 2);
  assert.deepEqual(l.lines, [2, 13]);
  assert.deepEqual(l.socket.holders, [{ pid: 395, fd: 3, name: 'python3', user: 'root' }, { pid: 437, fd: 3, name: 'python3', user: 'root' }]);
  assert.equal(l.socket.inode, 0, 'DEVICE is used for merging only');
  assert.ok(r.notes.includes('merged-lines') && r.notes.includes('no-queues'));
  assert.deepEqual([at(r.rows, 11).socket.state, at(r.rows, 10).socket.state], ['ESTABLISHED', 'UNCONN']);
  const esc = parsePasted(fixture('lsof', 'i-nP-escaped-command.txt'));
  assert.equal(esc.rows[0]!.socket.holders[0]!.name, 'my wor', '\\x20 unescaped');
  const mac = parsePasted(fixture('lsof', 'macos-i-nP.txt'));
  assert.equal(mac.platform, 'macos', 'hex DEVICE');
  assert.deepEqual(at(mac.rows, 6).socket.holders.map((h) => h.pid), [33784, 33790]);
});

test('macOS netstat: tcp46 dual stack, dotted ports, pid column of each macOS version', () => {
  const base = parsePasted(fixture('macos-netstat', 'anv-pid.txt'));
  const dual = at(base.rows, 3).socket;
  assert.deepEqual([dual.protocol, dual.family, dual.localAddress, dual.localPort, dual.holders], ['tcp', 'ipv6', '::', 3000, [{ pid: 33784 }]]);
  assert.ok(base.notes.includes('dual-stack'));
  const pids = (name: string): unknown => parsePasted(fixture('macos-netstat', name)).rows.map((x) => x.socket.holders.map((h) => h.pid));
  assert.deepEqual(pids('anv-rxbytes-pid.txt'), pids('anv-pid.txt'));
  assert.deepEqual(pids('anv-process-pid.txt'), pids('anv-pid.txt'));
  const named = parsePasted(fixture('macos-netstat', 'anv-process-pid.txt'));
  assert.deepEqual(at(named.rows, 9).socket.holders, [{ pid: 612, name: 'Google Chrome He' }]);
  assert.deepEqual(at(named.rows, 11).socket.holders, [{ pid: 700, name: 'Antigravity IDE' }]);
  assert.deepEqual([at(named.rows, 9).socket.recvQ, at(named.rows, 9).socket.sendQ], [0, 31]);
  assert.deepEqual([at(named.rows, 13).socket.localAddress, at(named.rows, 13).localZone], ['fe80::1', 'lo0']);
  assert.equal(at(named.rows, 16).socket.state, 'ESTABLISHED', 'UDP with a peer');
  assert.equal(at(named.rows, 14).socket.state, 'UNCONN');
  const an = parsePasted(fixture('macos-netstat', 'an-no-pid.txt'));
  assert.ok(an.notes.includes('no-pids') && an.notes.includes('skipped-other-sections'));
  assert.deepEqual(an.unreadable, []);
  assert.deepEqual(macosPidColumn('Proto Recv-Q Send-Q  Local Address  Foreign Address  (state)  rhiwat shiwat    pid   epid'), { kind: 'number', index: 2 });
});

test('macOS netstat rows without their header: the pid column is guessed from the row', () => {
  const rows = fixture('macos-netstat', 'anv-pid.txt').toString('utf8').split('\n').slice(2).join('\n');
  const r = parsePasted(rows);
  assert.equal(r.format, 'macos-netstat');
  assert.ok(r.notes.includes('pid-column-guessed'));
  assert.deepEqual(r.rows.map((x) => x.socket.holders), parsePasted(fixture('macos-netstat', 'anv-pid.txt')).rows.map((x) => x.socket.holders));
});

test('detectFormat tells the five formats apart from one row each', () => {
  assert.equal(detectFormat('  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012'), 'windows-netstat');
  assert.equal(detectFormat('tcp6       0      0 :::22                   :::*                    LISTEN      812/sshd'), 'linux-netstat');
  assert.equal(detectFormat('tcp6       0      0  ::1.5432               *.*                    LISTEN'), 'macos-netstat');
  assert.equal(detectFormat('LISTEN 0      128       0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=812,fd=3))'), 'ss');
  assert.equal(detectFormat('sshd     812 root    3u  IPv4  20345      0t0  TCP *:22 (LISTEN)'), 'lsof');
  assert.equal(detectFormat('hello world'), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDumpChunk, decodeTcpInfo, encodeDumpRequest, AF_INET6, IPPROTO_UDP } from '../../src/collectors/sockdiag/codec.js';
import type { RawSocket } from '../../src/model/socket.js';
import { FIXTURES } from '../helpers.js';

// The dumps were recorded with seq 7 (see test/fixtures/netlink/*/ss.txt for
// what `ss` printed at the same moment).
const SEQ = 7;

function decode(file: string, protocol: 'tcp' | 'udp'): { sockets: RawSocket[]; done: boolean } {
  const buf = readFileSync(join(FIXTURES, 'netlink', file));
  const sockets: RawSocket[] = [];
  const r = decodeDumpChunk(buf, protocol, SEQ, sockets);
  assert.equal(r.malformed, 0);
  assert.equal(r.errno, undefined);
  return { sockets, done: r.done };
}

test('request encoding: header, family, protocol, all states', () => {
  const b = encodeDumpRequest({ family: AF_INET6, protocol: IPPROTO_UDP, seq: 42, memory: true });
  assert.equal(b.length, 72);
  assert.equal(b.readUInt32LE(0), 72);
  assert.equal(b.readUInt16LE(4), 20); // SOCK_DIAG_BY_FAMILY
  assert.equal(b.readUInt16LE(6), 0x301); // REQUEST | DUMP
  assert.equal(b.readUInt32LE(8), 42);
  assert.equal(b[16], 10);
  assert.equal(b[17], 17);
  assert.equal(b[18], 1 << 6); // INET_DIAG_SKMEMINFO
  assert.equal(b.readUInt32LE(20), 0xffffffff);
});

test('backlog dump: listener with a full accept queue and unaccepted connections', () => {
  const { sockets, done } = decode('backlog/tcp4.bin', 'tcp');
  assert.ok(done);
  const mine = sockets.filter((s) => s.localPort === 19090 || s.remotePort === 19090);
  const listener = mine.find((s) => s.state === 'LISTEN')!;
  assert.equal(listener.localAddress, '127.0.0.1');
  assert.equal(listener.recvQ, 3);
  assert.equal(listener.backlog, 2);
  assert.equal(listener.sendQ, 0);
  assert.ok(listener.memory && listener.memory.rcvbuf > 0 && listener.memory.sndbuf > 0);
  const queued = mine.filter((s) => s.localPort === 19090 && s.state === 'ESTABLISHED');
  assert.equal(queued.length, 3);
  for (const s of queued) {
    assert.equal(s.inode, 0, 'not accepted yet: no file, no inode');
    assert.equal(s.recvQ, 4, 'the 4 bytes each client sent wait unread');
  }
  const waiting = mine.filter((s) => s.state === 'SYN_SENT');
  assert.equal(waiting.length, 2);
  for (const s of waiting) {
    assert.equal(s.remotePort, 19090);
    assert.equal(s.sendQ, 1, 'the SYN is unacknowledged');
    assert.equal(s.timer?.kind, 'retransmit');
  }
});

test('IPv6 dump: dual-stack listener, ::1 and IPv4-mapped peers', () => {
  const { sockets } = decode('dualstack-udp/tcp6.bin', 'tcp');
  const mine = sockets.filter((s) => s.localPort === 19191 || s.remotePort === 19191);
  const l = mine.find((s) => s.state === 'LISTEN')!;
  assert.equal(l.localAddress, '::');
  assert.equal(l.family, 'ipv6');
  assert.equal(l.backlog, 16);
  assert.equal(l.inode, 7679);
  const server = mine.filter((s) => s.localPort === 19191 && s.state === 'ESTABLISHED').map((s) => s.localAddress).sort();
  assert.deepEqual(server, ['::1', '::ffff:127.0.0.1']);
  const mapped = mine.find((s) => s.localAddress === '::ffff:127.0.0.1')!;
  assert.equal(mapped.remoteAddress, '::ffff:127.0.0.1');
  assert.equal(mapped.remotePort, 32806);
  assert.equal(mapped.inode, 7683);
});

test('IPV6_V6ONLY (INET_DIAG_SKV6ONLY) decoded as ss shows it: the :: listener is dual-stack, [::1] UDP is IPv6-only', () => {
  // ss.txt of the same moment: "*:19191 ... v6only:0" and "[::1]:19293 ... v6only:1".
  const tcp = decode('dualstack-udp/tcp6.bin', 'tcp').sockets;
  const l = tcp.find((s) => s.localPort === 19191 && s.state === 'LISTEN')!;
  assert.equal(l.v6only, false);
  // The kernel sends the flag only for LISTEN and CLOSE sockets: a connection has none.
  for (const c of tcp.filter((s) => s.state === 'ESTABLISHED')) assert.equal(c.v6only, undefined);
  const udp = decode('dualstack-udp/udp6.bin', 'udp').sockets.find((s) => s.localPort === 19293)!;
  assert.equal(udp.v6only, true);
  // IPv4 sockets never carry it.
  for (const s of decode('dualstack-udp/udp4.bin', 'udp').sockets) assert.equal(s.v6only, undefined);
});

test('UDP dumps: UNCONN with queued bytes, connected ESTABLISHED', () => {
  const u4 = decode('dualstack-udp/udp4.bin', 'udp').sockets;
  const bound = u4.find((s) => s.localPort === 19292)!;
  assert.equal(bound.state, 'UNCONN');
  assert.equal(bound.remoteAddress, '0.0.0.0');
  assert.equal(bound.remotePort, 0);
  assert.ok(bound.recvQ > 0, 'a datagram waits unread');
  assert.equal(bound.backlog, undefined);
  const connected = u4.find((s) => s.remotePort === 19292)!;
  assert.equal(connected.state, 'ESTABLISHED');
  assert.equal(connected.inode, 7686);
  const u6 = decode('dualstack-udp/udp6.bin', 'udp').sockets;
  const v6 = u6.find((s) => s.localPort === 19293)!;
  assert.equal(v6.localAddress, '::1');
  assert.equal(v6.remoteAddress, '::');
});

test('decoder: other sequence numbers ignored, truncation and errors reported', () => {
  const buf = readFileSync(join(FIXTURES, 'netlink', 'backlog', 'tcp4.bin'));
  const none: RawSocket[] = [];
  const other = decodeDumpChunk(buf, 'tcp', SEQ + 1, none);
  assert.equal(none.length, 0);
  assert.equal(other.done, false);
  // Cut in the middle of a message: what precedes is kept, the rest is counted as malformed.
  const part: RawSocket[] = [];
  const cut = decodeDumpChunk(buf.subarray(0, 16 + 72 + 40), 'tcp', SEQ, part);
  assert.equal(part.length, 0);
  assert.equal(cut.malformed, 1);
  // An NLMSG_ERROR carrying -ENOENT (no udp_diag) ends the dump with an errno.
  const err = Buffer.alloc(36);
  err.writeUInt32LE(36, 0); err.writeUInt16LE(2, 4); err.writeUInt32LE(SEQ, 8); err.writeInt32LE(-2, 16);
  const r = decodeDumpChunk(err, 'udp', SEQ, []);
  assert.deepEqual([r.done, r.errno], [true, -2]);
  // Random bytes never throw.
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.alloc(1 + Math.floor(Math.random() * 400));
    for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(Math.random() * 256);
    if (junk.length >= 16 && i % 2 === 0) { junk.writeUInt32LE(Math.min(junk.length, 16 + Math.floor(Math.random() * 100)), 0); junk.writeUInt16LE(20, 4); junk.writeUInt32LE(SEQ, 8); }
    assert.doesNotThrow(() => decodeDumpChunk(junk, 'tcp', SEQ, []));
  }
});

// tcp-info/tcp4.bin: a dump asked with INET_DIAG_INFO and INET_DIAG_CONG (seq 7)
// of one loopback connection on port 19095 that carried 5000 bytes one way and
// 777 the other, recorded on Linux 6.x (struct tcp_info of 280 bytes);
// tcp-info/ss.txt is what `ss -tin` printed for it right after.
test('tcp_info: the recorded dump decodes to what ss -tin printed for the same connection', () => {
  const { sockets, done } = decode('tcp-info/tcp4.bin', 'tcp');
  assert.ok(done);
  const ss = readFileSync(join(FIXTURES, 'netlink', 'tcp-info', 'ss.txt'), 'utf8');
  const conns = sockets.filter((s) => s.state === 'ESTABLISHED');
  assert.equal(conns.length, 2);
  for (const s of conns) {
    const t = s.tcp!;
    assert.ok(t, `${s.localPort}: tcp_info decoded`);
    // The ss block of this connection: its header line, then the indented info line.
    const at = ss.indexOf(`127.0.0.1:${s.localPort} 127.0.0.1:${s.remotePort}`);
    const line = ss.slice(ss.indexOf('\n', at) + 1).split('\n')[0]!;
    const field = (name: string): string => new RegExp(`(?:^|\\s)${name}:(\\S+)`).exec(line)![1]!;
    assert.equal(t.bytesSent, Number(field('bytes_sent')));
    assert.equal(t.bytesAcked, Number(field('bytes_acked')));
    assert.equal(t.bytesReceived, Number(field('bytes_received')));
    assert.equal(t.mss, Number(field('mss')));
    assert.equal(t.cwnd, Number(field('cwnd')));
    assert.equal(t.rtoMs, Number(field('rto')));
    assert.equal(`${t.rttMs}/${t.rttVarMs}`, field('rtt'));
    assert.equal(t.minRttMs, Number(field('minrtt')));
    assert.equal(`${t.sndWscale},${t.rcvWscale}`, field('wscale'));
    assert.equal(t.congestion, line.trim().split(/\s+/)[0]);
    assert.equal(t.structBytes, 280);
    assert.deepEqual([t.totalRetrans, t.lost, t.sack, t.timestamps], [0, 0, true, true]);
  }
  // A listener's tcp_info describes no connection: left out.
  assert.equal(sockets.find((s) => s.state === 'LISTEN')!.tcp, undefined);
});

test('tcp_info from older kernels: only the fields their struct has (104 and 192 bytes), nothing under 104', () => {
  const buf = readFileSync(join(FIXTURES, 'netlink', 'tcp-info', 'tcp4.bin'));
  // The first INET_DIAG_INFO attribute's payload, found by walking the first connection's message.
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let payload = -1;
  for (let off = 0; off + 16 <= buf.length && payload < 0; off += (dv.getUint32(off, true) + 3) & ~3) {
    const len = dv.getUint32(off, true);
    if (dv.getUint16(off + 4, true) !== 20 || buf[off + 17] !== 1) continue; // SOCK_DIAG_BY_FAMILY, ESTABLISHED
    for (let a = off + 16 + 72; a + 4 <= off + len; a += (dv.getUint16(a, true) + 3) & ~3) {
      if ((dv.getUint16(a + 2, true) & 0x3fff) === 2) { payload = a + 4; break; }
    }
  }
  assert.ok(payload > 0);
  const full = decodeTcpInfo(dv, payload, 280)!;
  const old = decodeTcpInfo(dv, payload, 104)!; // Linux 2.6 / 3.x
  assert.deepEqual([old.mss, old.cwnd, old.rttMs, old.totalRetrans], [full.mss, full.cwnd, full.rttMs, full.totalRetrans]);
  assert.deepEqual([old.bytesAcked, old.bytesReceived, old.minRttMs, old.deliveryRate, old.bytesSent], [undefined, undefined, undefined, undefined, undefined]);
  const mid = decodeTcpInfo(dv, payload, 192)!; // Linux 4.10 - 4.18
  assert.equal(mid.bytesAcked, full.bytesAcked);
  assert.equal(mid.bytesReceived, full.bytesReceived);
  assert.equal(mid.minRttMs, full.minRttMs);
  assert.equal(mid.busyMs, full.busyMs);
  assert.deepEqual([mid.bytesSent, mid.bytesRetrans], [undefined, undefined]);
  assert.equal(decodeTcpInfo(dv, payload, 103), undefined);
  // The request asks for tcp_info and the algorithm only when told to.
  assert.equal(encodeDumpRequest({ family: AF_INET6, protocol: IPPROTO_UDP, seq: 1, info: true })[18], (1 << 1) | (1 << 3));
  assert.equal(encodeDumpRequest({ family: AF_INET6, protocol: IPPROTO_UDP, seq: 1 })[18], 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDumpChunk, encodeDumpRequest, AF_INET6, IPPROTO_UDP } from '../../src/collectors/sockdiag/codec.js';
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

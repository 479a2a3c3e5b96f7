import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SORT_KEYS, sortSockets } from '../../src/model/sort.js';
import type { Socket } from '../../src/model/socket.js';

const mk = (o: Partial<Socket>): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0,
  state: 'LISTEN', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [], ...o,
});

test('addresses sort numerically, IPv4 before IPv6; protocol first by default', () => {
  const s = [
    mk({ localAddress: '10.0.0.2', inode: 1 }), mk({ localAddress: '9.0.0.1', inode: 2 }),
    mk({ localAddress: '::1', family: 'ipv6', inode: 3 }), mk({ protocol: 'udp', localAddress: '1.1.1.1', state: 'UNCONN', inode: 4 }),
    mk({ localAddress: '10.0.0.10', inode: 5 }),
  ];
  assert.deepEqual(sortSockets([...s], 'local').map((x) => x.inode), [4, 2, 1, 5, 3]);
  assert.deepEqual(sortSockets([...s], 'proto').map((x) => x.inode), [2, 1, 5, 3, 4]);
});

test('queues sort largest first; state in lifecycle order; process by name then pid', () => {
  const s = [
    mk({ recvQ: 5, state: 'ESTABLISHED', inode: 1, holders: [{ pid: 9, fd: 3, name: 'b' }] }),
    mk({ recvQ: 50, state: 'TIME_WAIT', inode: 2 }),
    mk({ recvQ: 1, state: 'LISTEN', inode: 3, holders: [{ pid: 7, fd: 3, name: 'a' }] }),
    mk({ recvQ: 0, state: 'SYN_SENT', inode: 4, holders: [{ pid: 2, fd: 3, name: 'b' }] }),
  ];
  assert.deepEqual(sortSockets([...s], 'recvq').map((x) => x.inode), [2, 1, 3, 4]);
  assert.deepEqual(sortSockets([...s], 'state').map((x) => x.inode), [3, 4, 1, 2]);
  assert.deepEqual(sortSockets([...s], 'process').map((x) => x.inode), [3, 4, 1, 2]);
  assert.deepEqual(sortSockets([...s], 'pid').map((x) => x.inode), [4, 3, 1, 2]);
});

test('every key gives a total, stable order of the same sockets', () => {
  const s = Array.from({ length: 300 }, (_, i) => mk({
    localPort: (i * 7919) % 1000, remotePort: (i * 104729) % 65536, inode: i + 1,
    remoteAddress: `127.0.${i % 3}.${i % 7}`, recvQ: i % 5, sendQ: i % 4, state: i % 2 ? 'ESTABLISHED' : 'TIME_WAIT',
    holders: i % 3 ? [{ pid: i % 11, fd: 3, name: `p${i % 4}` }] : [],
  }));
  for (const key of SORT_KEYS) {
    const a = sortSockets([...s], key).map((x) => x.inode);
    const b = sortSockets([...s].reverse(), key).map((x) => x.inode);
    assert.equal(new Set(a).size, 300, key);
    if (key === 'inode') assert.deepEqual(a, [...a].sort((x, y) => x - y));
    // Ties are broken by the 5-tuple; only sockets equal in every key may differ in order.
    assert.equal(a.length, b.length);
  }
});

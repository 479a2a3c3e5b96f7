import { test } from 'node:test';
import assert from 'node:assert/strict';
import { socketJson, toJson } from '../../src/views/table.js';
import type { Socket } from '../../src/model/socket.js';

const base: Socket = {
  protocol: 'tcp', family: 'ipv6', localAddress: '::ffff:127.0.0.1', localPort: 9090, remoteAddress: '::ffff:127.0.0.1',
  remotePort: 40000, state: 'ESTABLISHED', recvQ: 4, sendQ: 0, inode: 12, uid: 1000, holders: [],
};

test('the fast JSON writer gives exactly JSON.stringify of the v1 object', () => {
  const cases: Socket[] = [
    { ...base, unheldReason: 'not-accepted', inode: 0 },
    { ...base, state: 'LISTEN', backlog: 2, interface: 3, holders: [{ pid: 1, fd: 3 }] },
    { ...base, timer: { kind: 'retransmit', expiresMs: 200, retransmits: 2 }, memory: { rmemAlloc: 1, rcvbuf: 2, wmemAlloc: 3, sndbuf: 4, drops: 0 },
      holders: [
        { pid: 7, fd: 5, name: 'we"ird\\name', command: 'node "a b.js" \u0001 ünï', user: 'bob', uid: 1000 },
        { pid: 7, fd: 9, name: 'we"ird\\name', command: 'node "a b.js" \u0001 ünï', user: 'bob', uid: 1000 },
        { pid: 8, fd: 1, name: 'x' },
        { pid: 4, name: 'System' },
      ] },
  ];
  const cache = new Map<number, string>();
  for (const s of cases) {
    const text = socketJson(s, cache);
    assert.equal(text, JSON.stringify(toJson(s)));
    assert.deepEqual(JSON.parse(text), toJson(s));
  }
});

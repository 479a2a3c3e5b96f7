// A listener that never accepts: its accept queue fills up (backlog + 1 on
// Linux), the queued connections have no file (inode 0, no holder:
// 'not-accepted'), and further SYNs are dropped so those clients stay SYN_SENT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAll, eventually, holderPairs, socketsOnPort, startPython } from './helpers.js';
import { FIVE_CONNECTS } from './scene.js';
import type { Socket } from '../../src/index.js';

const SERVER = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(2)
emit(port=s.getsockname()[1], fd=s.fileno())
hold()
`;

interface Scene {
  listener: Socket;
  queued: Socket[];
  clients: Socket[];
}

/** Split the port's sockets into listener, server-side (local port = port) and client side. */
function scene(port: number, sockets: Socket[]): Scene {
  const listeners = sockets.filter((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === port);
  assert.equal(listeners.length, 1, `one listener on ${port}:${describeAll(sockets)}`);
  return {
    listener: listeners[0]!,
    queued: sockets.filter((s) => s.protocol === 'tcp' && s.localPort === port && s.state !== 'LISTEN'),
    clients: sockets.filter((s) => s.protocol === 'tcp' && s.remotePort === port),
  };
}

test('backlog: a full accept queue, not-accepted connections and dropped SYNs', async (t) => {
  const server = startPython(t, 'backlog server', SERVER);
  const { port, fd } = (await server.message('port')) as { port: number; fd: number };
  const client = startPython(t, 'backlog client', FIVE_CONNECTS, [String(port)]);
  const { connected } = (await client.message('connected')) as { connected: number };
  assert.equal(connected, 3, 'the kernel completes backlog + 1 = 3 connections before the queue is full');

  const settled = await eventually('backlog scene settles', async () => {
    const { snap, sockets } = await socketsOnPort(port, { protocols: ['tcp'], families: ['ipv4'] });
    const sc = scene(port, sockets);
    const all = describeAll(sockets);
    assert.equal(snap.source, 'netlink');
    assert.equal(snap.backlogKnown, true);
    assert.equal(sc.listener.recvQ, 3, `listener accept queue:${all}`);
    assert.equal(sc.listener.backlog, 2, `listener backlog:${all}`);
    assert.deepEqual(holderPairs(sc.listener), [`${server.pid}:${fd}`], `listener holder:${all}`);

    assert.equal(sc.queued.length, 3, `three server-side sockets:${all}`);
    for (const s of sc.queued) {
      assert.equal(s.state, 'ESTABLISHED', all);
      assert.equal(s.localAddress, '127.0.0.1', all);
      assert.equal(s.inode, 0, `not accepted, so no file:${all}`);
      assert.deepEqual(s.holders, [], all);
      assert.equal(s.unheldReason, 'not-accepted', all);
      assert.equal(s.recvQ, 4, `the 4 bytes each client sent are queued:${all}`);
    }

    assert.equal(sc.clients.length, 5, `five client sockets:${all}`);
    const est = sc.clients.filter((s) => s.state === 'ESTABLISHED');
    const synSent = sc.clients.filter((s) => s.state === 'SYN_SENT');
    assert.equal(est.length, 3, `three established clients:${all}`);
    assert.equal(synSent.length, 2, `two clients whose SYN was dropped:${all}`);
    for (const s of sc.clients) {
      assert.equal(s.holders.length, 1, all);
      assert.equal(s.holders[0]!.pid, client.pid, `client sockets held by the client:${all}`);
      assert.notEqual(s.inode, 0, all);
    }
    // Each queued server-side socket is the other end of an established client.
    const clientPorts = est.map((s) => s.localPort).sort();
    assert.deepEqual(sc.queued.map((s) => s.remotePort).sort(), clientPorts, all);
    return sockets;
  }, { timeoutMs: 8000 });

  // The same scene from /proc/net: same sockets, but no backlog.
  await eventually('proc source shows the same scene', async () => {
    const { snap, sockets } = await socketsOnPort(port, { source: 'proc', protocols: ['tcp'], families: ['ipv4'] });
    assert.equal(snap.source, 'proc');
    assert.equal(snap.backlogKnown, false);
    const key = (s: Socket): string =>
      `${s.protocol} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${s.state} rq=${s.recvQ} ino=${s.inode} ` +
      `${holderPairs(s).join(',')}${s.unheldReason ?? ''}`;
    assert.deepEqual(sockets.map(key).sort(), settled.map(key).sort(), `proc vs netlink:${describeAll(sockets)}`);
    for (const s of sockets) assert.equal(s.backlog, undefined, `no backlog from /proc/net:${describeAll(sockets)}`);
    const sc = scene(port, sockets);
    assert.equal(sc.listener.recvQ, 3);
  }, { timeoutMs: 5000 });
});

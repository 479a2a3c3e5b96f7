// A dual-stack listener on "::" (IPV6_V6ONLY off) takes IPv4 connections too:
// the kernel keeps them in the IPv6 table with IPv4-mapped addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAll, eventually, holderPairs, socketsOnPort, startPython } from './helpers.js';
import type { Socket } from '../../src/index.js';

const SERVER = `
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(('::', 0))
s.listen(8)
emit(port=s.getsockname()[1], fd=s.fileno())
conns = []
while len(conns) < 2:
    c, addr = s.accept()
    conns.append(c)
    emit(accepted=[c.fileno(), addr[0], addr[1]])
emit(both=[[c.fileno(), c.getpeername()[0], c.getpeername()[1]] for c in conns])
hold()
`;

const CLIENT = `
port = int(sys.argv[1])
c6 = socket.create_connection(('::1', port), timeout=5)
c4 = socket.create_connection(('127.0.0.1', port), timeout=5)
emit(v6=[c6.fileno(), c6.getsockname()[1]], v4=[c4.fileno(), c4.getsockname()[1]])
hold()
`;

for (const source of ['netlink', 'proc'] as const) {
  test(`dual-stack: IPv4 connections to a '::' listener are IPv4-mapped IPv6 sockets (${source})`, async (t) => {
    const server = startPython(t, 'dual-stack server', SERVER);
    const { port, fd } = (await server.message('port')) as { port: number; fd: number };
    const client = startPython(t, 'dual-stack client', CLIENT, [String(port)]);
    const m = await client.message('v4');
    const [c6fd, c6port] = m['v6'] as [number, number];
    const [c4fd, c4port] = m['v4'] as [number, number];
    const both = (await server.message('both'))['both'] as [number, string, number][];
    const serverFdOf = (peerPort: number): number => both.find((b) => b[2] === peerPort)![0];

    await eventually('dual-stack scene', async () => {
      const { snap, sockets } = await socketsOnPort(port, { source, protocols: ['tcp'] });
      assert.equal(snap.source, source);
      const all = describeAll(sockets);
      const one = (what: string, pred: (s: Socket) => boolean): Socket => {
        const hits = sockets.filter(pred);
        assert.equal(hits.length, 1, `exactly one ${what}:${all}`);
        return hits[0]!;
      };
      const listener = one('listener', (s) => s.state === 'LISTEN');
      assert.equal(listener.family, 'ipv6', all);
      assert.equal(listener.localAddress, '::', all);
      assert.equal(listener.remoteAddress, '::', all);
      assert.deepEqual(holderPairs(listener), [`${server.pid}:${fd}`], all);

      const in4 = one('server side of the IPv4 connection', (s) => s.localPort === port && s.remotePort === c4port);
      assert.equal(in4.family, 'ipv6', `an IPv4 connection to a dual-stack listener is an IPv6 socket:${all}`);
      assert.equal(in4.localAddress, '::ffff:127.0.0.1', all);
      assert.equal(in4.remoteAddress, '::ffff:127.0.0.1', all);
      assert.equal(in4.state, 'ESTABLISHED', all);
      assert.deepEqual(holderPairs(in4), [`${server.pid}:${serverFdOf(c4port)}`], all);

      const in6 = one('server side of the IPv6 connection', (s) => s.localPort === port && s.remotePort === c6port);
      assert.equal(in6.family, 'ipv6', all);
      assert.equal(in6.localAddress, '::1', all);
      assert.equal(in6.remoteAddress, '::1', all);
      assert.deepEqual(holderPairs(in6), [`${server.pid}:${serverFdOf(c6port)}`], all);

      // The client ends keep their own families.
      const out4 = one('IPv4 client', (s) => s.localPort === c4port && s.remotePort === port);
      assert.equal(out4.family, 'ipv4', all);
      assert.equal(out4.localAddress, '127.0.0.1', all);
      assert.equal(out4.remoteAddress, '127.0.0.1', all);
      assert.deepEqual(holderPairs(out4), [`${client.pid}:${c4fd}`], all);
      const out6 = one('IPv6 client', (s) => s.localPort === c6port && s.remotePort === port);
      assert.equal(out6.family, 'ipv6', all);
      assert.equal(out6.remoteAddress, '::1', all);
      assert.deepEqual(holderPairs(out6), [`${client.pid}:${c6fd}`], all);

      assert.equal(sockets.length, 5, `listener + 2 connections x 2 ends:${all}`);
    }, { timeoutMs: 5000 });
  });
}

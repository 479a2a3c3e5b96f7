// UDP on loopback: an unconnected socket is UNCONN with a wildcard peer, a
// connect()ed one is ESTABLISHED with its peer, and datagrams nobody reads
// stay in the receive queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAll, eventually, holderPairs, socketsOnPort, startPython } from './helpers.js';
import type { Socket } from '../../src/index.js';

const SCRIPT = `
fam = socket.AF_INET if sys.argv[1] == 'ipv4' else socket.AF_INET6
host = '127.0.0.1' if fam == socket.AF_INET else '::1'
a = socket.socket(fam, socket.SOCK_DGRAM)   # unconnected, never read: gets the datagrams
a.bind((host, 0))
b = socket.socket(fam, socket.SOCK_DGRAM)   # connected to a
b.bind((host, 0))
b.connect(a.getsockname()[:2])
q = socket.socket(fam, socket.SOCK_DGRAM)   # unconnected and quiet
q.bind((host, 0))
for i in range(3):
    b.send(b'0123456789' * 10)
emit(a=[a.fileno(), a.getsockname()[1]], b=[b.fileno(), b.getsockname()[1]], q=[q.fileno(), q.getsockname()[1]])
hold()
`;

const HOSTS = { ipv4: { host: '127.0.0.1', any: '0.0.0.0' }, ipv6: { host: '::1', any: '::' } } as const;

for (const family of ['ipv4', 'ipv6'] as const) {
  for (const source of ['netlink', 'proc'] as const) {
    test(`udp ${family} (${source}): UNCONN vs connected, unread bytes in recvQ`, async (t) => {
      const { host, any } = HOSTS[family];
      const child = startPython(t, `udp ${family}`, SCRIPT, [family]);
      const m = await child.message('a');
      const [afd, aport] = m['a'] as [number, number];
      const [bfd, bport] = m['b'] as [number, number];
      const [qfd, qport] = m['q'] as [number, number];

      await eventually(`udp ${family} scene`, async () => {
        const { snap, sockets } = await socketsOnPort(aport, { source, protocols: ['udp'], families: [family] });
        assert.equal(snap.source, source);
        const all = describeAll(sockets);
        const a = sockets.filter((s) => s.localPort === aport);
        const b = sockets.filter((s) => s.localPort === bport);
        assert.equal(a.length, 1, `the unconnected socket:${all}`);
        assert.equal(b.length, 1, `the connected socket:${all}`);
        const check = (s: Socket, state: string, remote: string, rport: number, fd: number): void => {
          assert.equal(s.protocol, 'udp', all);
          assert.equal(s.family, family, all);
          assert.equal(s.localAddress, host, all);
          assert.equal(s.state, state, all);
          assert.equal(s.remoteAddress, remote, all);
          assert.equal(s.remotePort, rport, all);
          assert.deepEqual(holderPairs(s), [`${child.pid}:${fd}`], all);
          assert.notEqual(s.inode, 0, all);
        };
        check(a[0]!, 'UNCONN', any, 0, afd);
        check(b[0]!, 'ESTABLISHED', host, aport, bfd);
        assert.ok(a[0]!.recvQ >= 300, `300 unread bytes (plus overhead) queued on the receiver:${all}`);
        assert.equal(b[0]!.recvQ, 0, `nothing queued on the sender:${all}`);
        assert.equal(sockets.length, 2, all);

        const quiet = (await socketsOnPort(qport, { source, protocols: ['udp'], families: [family] })).sockets;
        assert.equal(quiet.length, 1, describeAll(quiet));
        check(quiet[0]!, 'UNCONN', any, 0, qfd);
        assert.equal(quiet[0]!.recvQ, 0, describeAll(quiet));
      }, { timeoutMs: 5000 });
    });
  }
}

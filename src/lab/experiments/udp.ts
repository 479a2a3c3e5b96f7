// UDP has no connection: a bound socket is UNCONN with no peer, there is no
// listen(), no backlog and no accept(); every datagram lands in the one
// socket's queue. connect() on a UDP socket sends nothing: it only fixes the
// peer, so the socket shows that peer and takes datagrams from it alone.
import type { Agent } from '../agent.js';
import { endpoint, heldBy } from '../observe.js';
import type { Expectation, Experiment, Observation } from '../types.js';

const SERVER = String.raw`
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
reply(port=u.getsockname()[1], fd=u.fileno())
`;

const SEND = String.raw`
senders = []
for i in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    s.sendto(b'hello', ('127.0.0.1', args['port']))
    senders.append(s)
reply(ports=[s.getsockname()[1] for s in senders])
`;

const RECEIVE = String.raw`
u.setblocking(False)
got = []
for i in range(10):
    try:
        data, addr = u.recvfrom(2048)
        got.append([addr[1], data.decode()])
    except BlockingIOError:
        break
reply(got=got)
`;

const CONNECTED = String.raw`
cu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cu.bind(('127.0.0.1', 0))
cu.connect(('127.0.0.1', args['port']))
reply(port=cu.getsockname()[1])
`;

// The stranger (first sender) and the peer (the server) each send one
// datagram to the connected socket; it keeps only the peer's.
const STRANGER = 'senders[0].sendto(b"stranger", ("127.0.0.1", args["port"]))';
const PEER = 'u.sendto(b"peer", ("127.0.0.1", args["port"]))';
const READ_CONNECTED = String.raw`
cu.setblocking(False)
got = []
for i in range(10):
    try:
        data, addr = cu.recvfrom(2048)
        got.append(data.decode())
    except BlockingIOError:
        break
reply(got=got)
`;

export function udp(): Experiment {
  let server: Agent | undefined;
  let client: Agent | undefined;
  let port = 0;
  let fd = 0;
  let cport = 0;
  let received: string[] = [];
  const srv = (o: Observation) => o.sockets.find((s) => s.protocol === 'udp' && s.localPort === port && s.localAddress === '127.0.0.1');
  const onPort = (o: Observation): number => o.sockets.filter((s) => s.protocol === 'udp' && s.localPort === port).length;

  return {
    name: 'udp',
    protocols: ['udp'],
    summary: 'lab.udp.summary',
    intro: 'lab.udp.intro',
    steps: [
      {
        title: 'lab.udp.s1.title',
        async act(lab) {
          server = await lab.start('lab-server');
          const r = await server.run(SERVER);
          port = r['port'] as number;
          fd = r['fd'] as number;
          lab.ports.add(port);
          await lab.say('lab.udp.s1.did', { pid: server.pid, address: endpoint('127.0.0.1', port) });
        },
        expect: (): Expectation[] => [{
          key: 'lab.udp.e.unconn',
          want: { state: 'UNCONN', peer: '0.0.0.0:*', backlog: '-', holder: `${server!.pid} fd ${fd}` },
          seen: (o) => {
            const s = srv(o);
            return s && { state: s.state, peer: s.remotePort === 0 ? `${s.remoteAddress}:*` : endpoint(s.remoteAddress, s.remotePort),
              backlog: s.backlog ?? '-', holder: s.holders.map((h) => `${h.pid} fd ${h.fd}`).join(', ') || '-' };
          },
        }],
        explain: 'lab.udp.s1.explain',
      },
      {
        title: 'lab.udp.s2.title',
        async act(lab) {
          client = await lab.start('lab-client');
          const ports = (await client.run(SEND, { port }))['ports'] as number[];
          for (const p of ports) lab.ports.add(p);
          await lab.say('lab.udp.s2.did', { pid: client.pid, ports: ports.join(', '), to: endpoint('127.0.0.1', port) });
        },
        expect: (): Expectation[] => [
          { key: 'lab.udp.e.one-socket', want: { n: 1, port }, seen: (o) => ({ n: onPort(o), port }) },
          { key: 'lab.udp.e.queued', want: { recvq: { min: 10 } }, seen: (o) => { const s = srv(o); return s && { recvq: s.recvQ }; } },
          {
            key: 'lab.udp.e.senders',
            want: { n: 2, state: 'UNCONN' },
            seen: (o) => {
              const c = o.sockets.filter((s) => s.protocol === 'udp' && heldBy(s, client!.pid));
              return { n: c.length, state: [...new Set(c.map((s) => s.state))].join(',') || '-' };
            },
          },
        ],
        explain: 'lab.udp.s2.explain',
        explainParams: (o) => ({ recvq: srv(o)?.recvQ ?? '?' }),
      },
      {
        title: 'lab.udp.s3.title',
        async act(lab) {
          const got = (await server!.run(RECEIVE))['got'] as [number, string][];
          for (const [p, data] of got) await lab.say('lab.udp.s3.did', { data, from: endpoint('127.0.0.1', p) });
        },
        expect: (): Expectation[] => [{ key: 'lab.udp.e.queued', want: { recvq: 0 }, seen: (o) => { const s = srv(o); return s && { recvq: s.recvQ }; } }],
        explain: 'lab.udp.s3.explain',
      },
      {
        title: 'lab.udp.s4.title',
        async act(lab) {
          cport = (await client!.run(CONNECTED, { port }))['port'] as number;
          lab.ports.add(cport);
          await lab.say('lab.udp.s4.did', { from: endpoint('127.0.0.1', cport), to: endpoint('127.0.0.1', port) });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.udp.e.connected',
            want: { port: cport, state: 'ESTABLISHED', peer: endpoint('127.0.0.1', port) },
            seen: (o) => {
              const s = o.sockets.find((x) => x.protocol === 'udp' && x.localPort === cport);
              return s && { port: cport, state: s.state, peer: endpoint(s.remoteAddress, s.remotePort) };
            },
          },
          { key: 'lab.udp.e.server-unchanged', want: { n: 1, recvq: 0 }, seen: (o) => ({ n: onPort(o), recvq: srv(o)?.recvQ ?? '?' }) },
        ],
        explain: 'lab.udp.s4.explain',
      },
      {
        title: 'lab.udp.s5.title',
        async act(lab) {
          await client!.run(STRANGER, { port: cport });
          await server!.run(PEER, { port: cport });
          // Both datagrams are on their way the moment sendto() returns; give loopback a moment.
          await new Promise((r) => setTimeout(r, 200));
          received = (await client!.run(READ_CONNECTED))['got'] as string[];
          await lab.say('lab.udp.s5.did', { got: received.join(', ') || '-' });
        },
        expect: (): Expectation[] => [{ key: 'lab.udp.e.filtered', want: { got: 'peer' }, seen: () => ({ got: received.join(', ') || '-' }) }],
        explain: 'lab.udp.s5.explain',
      },
    ],
  };
}

// Seed 004 and 003: a socket is a 4-tuple. One server port serves every
// client; the server needs no new port per client; connections differ only in
// the client's address and port; and one client port may serve two
// connections at once as long as their peers differ.
import type { Agent } from '../agent.js';
import { clientSide, endpoint, heldBy, serverSide } from '../observe.js';
import type { Expectation, Experiment, Observation } from '../types.js';

/** A listener that accepts every connection in a thread and keeps it open. */
export const LISTEN_ACCEPTING = String.raw`
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((args.get('address', '127.0.0.1'), args.get('port', 0)))
srv.listen(16)
conns = []
def accept_loop(ls, keep):
    ls.settimeout(0.2)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            c, _ = ls.accept()
            keep.append(c)
        except socket.timeout:
            continue
        except OSError:
            return
bg(accept_loop, srv, conns)
reply(port=srv.getsockname()[1], fd=srv.fileno())
`;

const CONNECT = String.raw`
if 'socks' not in globals():
    socks = []
for i in range(args['n']):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if args.get('reuse'):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.get('bind'):
        c.bind((args['bind'], args.get('bindPort', 0)))
    c.settimeout(5)
    c.connect(('127.0.0.1', args['port']))
    socks.append(c)
reply(ports=[c.getsockname()[1] for c in socks[-args['n']:]], addresses=[c.getsockname()[0] for c in socks[-args['n']:]])
`;

export function fourTuple(): Experiment {
  let server: Agent | undefined;
  let server2: Agent | undefined;
  let client: Agent | undefined;
  let port = 0;
  let port2 = 0;
  let reused = 0;
  const accepted = (o: Observation) => serverSide(o, port).filter((s) => s.state === 'ESTABLISHED' && heldBy(s, server!.pid));
  const serverPorts = (o: Observation): string =>
    [...new Set(o.sockets.filter((s) => heldBy(s, server!.pid)).map((s) => s.localPort))].sort((a, b) => a - b).join(',');
  const tuples = (o: Observation): number => new Set(accepted(o).map((s) => `${s.remoteAddress} ${s.remotePort}`)).size;

  return {
    name: 'four-tuple',
    summary: 'lab.four.summary',
    intro: 'lab.four.intro',
    steps: [
      {
        title: 'lab.four.s1.title',
        async act(lab) {
          server = await lab.start('lab-server');
          const r = await server.run(LISTEN_ACCEPTING);
          port = r['port'] as number;
          lab.ports.add(port);
          client = await lab.start('lab-client');
          const c = await client.run(CONNECT, { port, n: 3, reuse: true });
          reused = (c['ports'] as number[])[0]!;
          await lab.say('lab.four.s1.did', { server: server.pid, port, client: client.pid, ports: (c['ports'] as number[]).join(', ') });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.four.e.same-port',
            want: { n: 3, ports: String(port) },
            seen: (o) => ({ n: accepted(o).length, ports: [...new Set(accepted(o).map((s) => s.localPort))].join(',') || '-' }),
          },
          { key: 'lab.four.e.server-ports', want: { ports: String(port) }, seen: (o) => ({ ports: serverPorts(o) || '-' }) },
          { key: 'lab.four.e.distinct', want: { n: 3 }, seen: (o) => ({ n: tuples(o) }) },
        ],
        explain: 'lab.four.s1.explain',
      },
      {
        title: 'lab.four.s2.title',
        async act(lab) {
          const c = await client!.run(CONNECT, { port, n: 1, bind: '127.0.0.2' });
          await lab.say('lab.four.s2.did', { from: endpoint('127.0.0.2', (c['ports'] as number[])[0]!), to: endpoint('127.0.0.1', port) });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.four.e.other-address',
            want: { address: '127.0.0.2', port },
            seen: (o) => {
              const s = accepted(o).find((x) => x.remoteAddress === '127.0.0.2');
              return s && { address: s.remoteAddress, port: s.localPort };
            },
          },
          { key: 'lab.four.e.server-ports', want: { ports: String(port) }, seen: (o) => ({ ports: serverPorts(o) || '-' }) },
          { key: 'lab.four.e.distinct', want: { n: 4 }, seen: (o) => ({ n: tuples(o) }) },
        ],
        explain: 'lab.four.s2.explain',
      },
      {
        title: 'lab.four.s3.title',
        async act(lab) {
          server2 = await lab.start('lab-server2');
          const r = await server2.run(LISTEN_ACCEPTING);
          port2 = r['port'] as number;
          lab.ports.add(port2);
          await client!.run(CONNECT, { port: port2, n: 1, reuse: true, bind: '127.0.0.1', bindPort: reused });
          await lab.say('lab.four.s3.did', { cport: reused, port2, pid: server2.pid });
        },
        expect: (): Expectation[] => [{
          key: 'lab.four.e.reused',
          want: { cport: reused, peers: `${endpoint('127.0.0.1', port)} ${endpoint('127.0.0.1', port2)}` },
          seen: (o) => {
            const mine = [...clientSide(o, port), ...clientSide(o, port2)].filter((s) => s.localPort === reused && s.state === 'ESTABLISHED');
            return { cport: reused, peers: mine.map((s) => endpoint(s.remoteAddress, s.remotePort)).sort((a, b) => (a === endpoint('127.0.0.1', port) ? -1 : b === endpoint('127.0.0.1', port) ? 1 : a.localeCompare(b))).join(' ') || '-' };
          },
        }],
        explain: 'lab.four.s3.explain',
      },
    ],
  };
}

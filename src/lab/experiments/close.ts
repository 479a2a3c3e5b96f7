// The close: the side that closes first passes FIN_WAIT1/FIN_WAIT2 and ends in
// TIME_WAIT, held by no process; the side that receives the FIN sits in
// CLOSE_WAIT until its program calls close() — forever, if it never does.
import type { Agent } from '../agent.js';
import type { Socket } from '../../model/socket.js';
import { clientSide, endpoint, serverSide } from '../observe.js';
import type { Expectation, Experiment, Observation, Lab } from '../types.js';
import { LISTEN_ACCEPTING } from './four-tuple.js';
import { msg } from '../../explain/i18n.js';

const msgYes = (lab: Lab): string => msg(lab.lang, 'lab.yes');
const msgNo = (lab: Lab): string => msg(lab.lang, 'lab.no');

const CONNECT = String.raw`
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(5)
c.connect(('127.0.0.1', args['port']))
reply(port=c.getsockname()[1], fd=c.fileno())
`;

// What the server's read() returns now, without blocking.
const READ = String.raw`
conn = conns[0]
conn.setblocking(False)
try:
    data = conn.recv(100)
    reply(read=len(data))
except BlockingIOError:
    reply(read=-1)
`;

export function close(): Experiment {
  let server: Agent | undefined;
  let client: Agent | undefined;
  let port = 0;
  let cport = 0;
  const clientSock = (o: Observation) => clientSide(o, port).find((s) => s.localPort === cport);
  const serverSock = (o: Observation) => serverSide(o, port).find((s) => s.remotePort === cport);
  // State and holding pids ("-" for none): fd numbers are not the point here.
  const row = (s: Socket | undefined) => s && { state: s.state, holder: s.holders.map((h) => h.pid).join(', ') || '-' };
  // A FIN sent from one port and the ACK of it from the other, among the step's packets.
  const finAcked = (lab: Lab, fromPort: number, toPort: number): Expectation => ({
    key: 'lab.close.e.fin',
    packets: true,
    want: { from: `:${fromPort}`, to: `:${toPort}`, acked: msgYes(lab) },
    seen: (o) => {
      const ps = o.packets ?? [];
      const fin = ps.find((p) => p.from.port === fromPort && p.to.port === toPort && p.flags.includes('FIN'));
      if (!fin) return undefined;
      const acked = ps.some((p) => p.from.port === toPort && p.to.port === fromPort && p.at >= fin.at && p.ack !== undefined && p.ack >= fin.seq + fin.length + 1);
      return { from: `:${fromPort}`, to: `:${toPort}`, acked: acked ? msgYes(lab) : msgNo(lab) };
    },
  });

  return {
    name: 'close',
    packets: true,
    summary: 'lab.close.summary',
    intro: 'lab.close.intro',
    steps: [
      {
        title: 'lab.close.s1.title',
        async act(lab) {
          server = await lab.start('lab-server');
          port = (await server.run(LISTEN_ACCEPTING))['port'] as number;
          lab.ports.add(port);
          client = await lab.start('lab-client');
          cport = (await client.run(CONNECT, { port }))['port'] as number;
          await lab.say('lab.close.s1.did', { from: endpoint('127.0.0.1', cport), to: endpoint('127.0.0.1', port) });
        },
        expect: (): Expectation[] => [
          { key: 'lab.close.e.client', want: { state: 'ESTABLISHED', holder: `${client!.pid}` }, seen: (o) => row(clientSock(o)) },
          { key: 'lab.close.e.server', want: { state: 'ESTABLISHED', holder: `${server!.pid}` }, seen: (o) => row(serverSock(o)) },
        ],
        explain: 'lab.close.s1.explain',
      },
      {
        title: 'lab.close.s2.title',
        async act(lab) {
          await client!.run('c.close()');
          await lab.say('lab.close.s2.did', { pid: client!.pid });
        },
        expect: (lab): Expectation[] => [
          { key: 'lab.close.e.client', want: { state: 'FIN_WAIT2', holder: '-' }, seen: (o) => row(clientSock(o)) },
          { key: 'lab.close.e.server', want: { state: 'CLOSE_WAIT', holder: `${server!.pid}` }, seen: (o) => row(serverSock(o)) },
          finAcked(lab, cport, port),
        ],
        async after(lab) {
          const r = await server!.run(READ);
          await lab.say('lab.close.s2.read', { n: r['read'] as number });
        },
        explain: 'lab.close.s2.explain',
        explainParams: (o) => ({ recvq: serverSock(o)?.recvQ ?? '?' }),
      },
      {
        title: 'lab.close.s3.title',
        async act(lab) {
          await server!.run('conns[0].close()');
          await lab.say('lab.close.s3.did', { pid: server!.pid });
        },
        expect: (lab): Expectation[] => [
          { key: 'lab.close.e.client', want: { state: 'TIME_WAIT', holder: '-' }, seen: (o) => row(clientSock(o)) },
          { key: 'lab.close.e.server-gone', want: { n: 0 }, seen: (o) => ({ n: serverSide(o, port).length }) },
          // The second FIN and its ACK: the client, which closed first, is the side left in TIME_WAIT.
          finAcked(lab, port, cport),
        ],
        explain: 'lab.close.s3.explain',
        explainParams: (o) => ({ seconds: Math.round((clientSock(o)?.timer?.expiresMs ?? 60_000) / 1000) }),
      },
    ],
  };
}

// Seeds 000-003: a client's port is a temporary one the kernel picks. Here:
// from which range (ip_local_port_range), which ports connect() picked, and
// how many are left toward one destination — TIME_WAIT entries included.
import type { Agent } from '../agent.js';
import { clientSide, count, endpoint } from '../observe.js';
import { countReserved, parsePortRange, readSysctl } from '../sysctl.js';
import type { Expectation, Experiment, Observation } from '../types.js';
import { LISTEN_ACCEPTING } from './four-tuple.js';

// The server closes each connection as soon as the client has closed its end,
// so the client, which closed first, is the one left in TIME_WAIT.
const CLOSE_ON_EOF = String.raw`
def closer(keep):
    done = set()
    deadline = time.time() + 300
    while time.time() < deadline:
        for c in list(keep):
            if c in done:
                continue
            r, _, _ = select.select([c], [], [], 0)
            if r:
                try:
                    data = c.recv(4096)
                except OSError:
                    data = b''
                if not data:
                    c.close()
                    done.add(c)
        time.sleep(0.05)
bg(closer, conns)
`;

const CONNECT = String.raw`
socks = []
for i in range(args['n']):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(('127.0.0.1', args['port']))
    socks.append(c)
reply(ports=[c.getsockname()[1] for c in socks])
`;

export function ephemeral(): Experiment {
  const N = 5;
  let server: Agent | undefined;
  let client: Agent | undefined;
  let port = 0;
  let picked: number[] = [];
  let low = 0;
  let high = 0;
  let reserved = 0;
  const total = (): number => high - low + 1 - reserved;
  const inRange = (p: number): boolean => p >= low && p <= high;
  // Every socket toward 127.0.0.1:port from a port of the range, TIME_WAIT included.
  const used = (o: Observation): number => count(clientSide(o, port), (s) => s.localAddress === '127.0.0.1' && inRange(s.localPort));

  return {
    name: 'ephemeral',
    summary: 'lab.eph.summary',
    intro: 'lab.eph.intro',
    steps: [
      {
        title: 'lab.eph.s1.title',
        async act(lab) {
          const range = parsePortRange(readSysctl('net.ipv4.ip_local_port_range') ?? '');
          if (!range) throw new Error('cannot read /proc/sys/net/ipv4/ip_local_port_range');
          ({ low, high } = range);
          reserved = countReserved(readSysctl('net.ipv4.ip_local_reserved_ports') ?? '', low, high);
          await lab.say('lab.eph.s1.range', { low, high, size: high - low + 1, reserved, unprivileged: readSysctl('net.ipv4.ip_unprivileged_port_start') ?? '?' });
          server = await lab.start('lab-server');
          port = (await server.run(LISTEN_ACCEPTING))['port'] as number;
          await server.run(CLOSE_ON_EOF);
          lab.ports.add(port);
          client = await lab.start('lab-client');
          picked = (await client.run(CONNECT, { port, n: N }))['ports'] as number[];
          await lab.say('lab.eph.s1.did', { n: N, to: endpoint('127.0.0.1', port), ports: picked.join(', ') });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.eph.e.in-range',
            want: { inRange: N, n: N, low, high },
            seen: (o) => {
              const c = clientSide(o, port).filter((s) => s.state === 'ESTABLISHED');
              return { inRange: count(c, (s) => inRange(s.localPort)), n: c.length, low, high };
            },
          },
          {
            key: 'lab.eph.e.even',
            want: { even: N, n: N },
            seen: (o) => {
              const c = clientSide(o, port).filter((s) => s.state === 'ESTABLISHED');
              return { even: count(c, (s) => s.localPort % 2 === 0), n: c.length };
            },
          },
          {
            key: 'lab.eph.e.left',
            want: { used: N, left: total() - N, total: total() },
            seen: (o) => ({ used: used(o), left: total() - used(o), total: total() }),
          },
        ],
        explain: 'lab.eph.s1.explain',
        explainParams: () => ({ low, high }),
      },
      {
        title: 'lab.eph.s2.title',
        async act(lab) {
          await client!.run('for c in socks: c.close()');
          await lab.say('lab.eph.s2.did', { pid: client!.pid, n: N });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.eph.e.time-wait',
            want: { n: N, ports: picked.join(', ') },
            seen: (o) => {
              const tw = clientSide(o, port).filter((s) => s.state === 'TIME_WAIT' && !s.holders.length);
              return { n: tw.length, ports: tw.map((s) => s.localPort).sort((a, b) => picked.indexOf(a) - picked.indexOf(b)).join(', ') || '-' };
            },
          },
          {
            key: 'lab.eph.e.left',
            want: { used: N, left: total() - N, total: total() },
            seen: (o) => ({ used: used(o), left: total() - used(o), total: total() }),
          },
        ],
        explain: 'lab.eph.s2.explain',
        explainParams: () => ({ reuse: readSysctl('net.ipv4.tcp_tw_reuse') ?? '?' }),
      },
    ],
  };
}

// Seed 004's key experiment: a server that listens with backlog 2 and does not
// call accept(). The kernel still completes handshakes, queues backlog + 1
// connections (with the data their clients send) that no process holds, drops
// further SYNs (counted in ListenOverflows / ListenDrops) so those clients wait
// in SYN_SENT and retransmit; accept() then hands each connection an fd.
import type { Agent } from '../agent.js';
import { clientSide, count, heldBy, listener, same, serverSide } from '../observe.js';
import type { Expectation, Experiment } from '../types.js';

const LISTEN = String.raw`
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(args['backlog'])
reply(port=srv.getsockname()[1], fd=srv.fileno())
`;

// Five non-blocking connects, one after another; each that completes sends 4
// bytes at once. A thread finishes the ones still waiting for the listener
// (SYN_SENT) and sends their 4 bytes when the kernel lets them through.
const CONNECT = String.raw`
socks = []
first = 0
for i in range(args['clients']):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(('127.0.0.1', args['port']))
    socks.append(c)
    if wait_writable(c, 0.5) and c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
        c.send(b'ping')
        first += 1
        time.sleep(0.05)   # let the listener take our ACK before the next SYN arrives
def finish(pending):
    deadline = time.time() + 120
    while pending and time.time() < deadline:
        _, w, _ = select.select([], pending, [], 0.5)
        for c in w:
            pending.remove(c)
            if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                c.send(b'ping')
bg(finish, [c for c in socks[first:]])
reply(connected=first, ports=[c.getsockname()[1] for c in socks])
`;

// accept() everything, now and as it comes, and read what each client sent.
const ACCEPT = String.raw`
conns = []
got = []
def accept_loop():
    srv.settimeout(0.2)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            c, addr = srv.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        c.settimeout(2)
        try:
            data = c.recv(64)
        except OSError:
            data = b''
        conns.append(c)
        got.append((addr[1], c.fileno(), data.decode(errors='replace')))
bg(accept_loop)
`;

export function backlog(): Experiment {
  const BACKLOG = 2;
  const CLIENTS = 5;
  let server: Agent | undefined;
  let client: Agent | undefined;
  let port = 0;
  let fd = 0;
  let base = new Map<string, number>() as ReadonlyMap<string, number>;
  const delta = (now: ReadonlyMap<string, number>, name: string): number => (now.get(name) ?? 0) - (base.get(name) ?? 0);

  return {
    name: 'backlog',
    packets: true,
    summary: 'lab.backlog.summary',
    intro: 'lab.backlog.intro',
    steps: [
      {
        title: 'lab.backlog.s1.title',
        async act(lab) {
          server = await lab.start('lab-server');
          const r = await server.run(LISTEN, { backlog: BACKLOG });
          port = r['port'] as number;
          fd = r['fd'] as number;
          lab.ports.add(port);
          base = lab.tcpExt();
          await lab.say('lab.backlog.s1.did', { pid: server.pid, port, fd, backlog: BACKLOG });
        },
        expect: (): Expectation[] => [{
          key: 'lab.backlog.e.listener',
          want: { port, queue: 0, backlog: BACKLOG, holder: `${server!.pid} fd ${fd}` },
          seen: (o) => {
            const l = listener(o, port);
            return l && { port, queue: l.recvQ, backlog: l.backlog ?? '?', holder: l.holders.map((h) => `${h.pid} fd ${h.fd}`).join(', ') || '-' };
          },
        }],
        explain: 'lab.backlog.s1.explain',
        explainParams: () => ({ fd }),
      },
      {
        title: 'lab.backlog.s2.title',
        // The SYN retransmit timer starts at 1 s.
        timeoutMs: 8000,
        async act(lab) {
          client = await lab.start('lab-client');
          const r = await client.run(CONNECT, { port, clients: CLIENTS });
          await lab.say('lab.backlog.s2.did', { pid: client.pid, n: CLIENTS, connected: r['connected'] as number });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.backlog.e.full',
            want: { queue: BACKLOG + 1, backlog: BACKLOG },
            seen: (o) => { const l = listener(o, port); return l && { queue: l.recvQ, backlog: l.backlog ?? '?' }; },
          },
          {
            key: 'lab.backlog.e.queued',
            want: { n: BACKLOG + 1, bytes: 4 },
            seen: (o) => {
              const q = serverSide(o, port).filter((s) => s.state === 'ESTABLISHED' && !s.holders.length && s.unheldReason === 'not-accepted');
              return { n: q.length, bytes: same(q.map((s) => s.recvQ)) };
            },
          },
          {
            key: 'lab.backlog.e.syn-sent',
            want: { n: CLIENTS - BACKLOG - 1, retrans: { min: 1 } },
            seen: (o) => {
              const w = clientSide(o, port).filter((s) => s.state === 'SYN_SENT');
              return { n: w.length, retrans: w.length ? Math.min(...w.map((s) => s.timer?.retransmits ?? 0)) : 0 };
            },
          },
          {
            key: 'lab.backlog.e.counters',
            want: { overflows: { min: CLIENTS - BACKLOG - 1 }, drops: { min: CLIENTS - BACKLOG - 1 } },
            seen: (o) => ({ overflows: delta(o.tcpExt, 'ListenOverflows'), drops: delta(o.tcpExt, 'ListenDrops') }),
          },
          {
            // The handshake completes in the kernel: one SYN-ACK per queued connection, before any accept().
            key: 'lab.backlog.e.handshakes',
            packets: true,
            want: { n: BACKLOG + 1 },
            seen: (o) => ({ n: new Set((o.packets ?? []).filter((p) => p.from.port === port && p.flags.includes('SYN') && p.flags.includes('ACK')).map((p) => p.to.port)).size }),
          },
          {
            // The SYNs of the clients that found the queue full go unanswered and are sent again (1 s, then 2 s, ...).
            key: 'lab.backlog.e.syn-retrans',
            packets: true,
            want: { n: { min: 1 } },
            seen: (o) => ({ n: (o.packets ?? []).filter((p) => p.to.port === port && p.flags.includes('SYN') && !p.flags.includes('ACK') && p.marks?.includes('retransmission')).length }),
          },
        ],
        explain: 'lab.backlog.s2.explain',
        explainParams: (o) => ({ overflows: delta(o.tcpExt, 'ListenOverflows') }),
      },
      {
        title: 'lab.backlog.s3.title',
        // The waiting clients get through at their next SYN retransmission
        // (1, 3, 7, 15, 31 s after connect()); a person may have paused long.
        timeoutMs: 40_000,
        async act(lab) {
          await server!.run(ACCEPT);
          await lab.say('lab.backlog.s3.did', { pid: server!.pid });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.backlog.e.drained',
            want: { queue: 0 },
            seen: (o) => { const l = listener(o, port); return l && { queue: l.recvQ }; },
          },
          {
            key: 'lab.backlog.e.accepted',
            want: { n: CLIENTS, pid: server!.pid, fds: CLIENTS, bytes: 0 },
            seen: (o) => {
              const a = serverSide(o, port).filter((s) => s.state === 'ESTABLISHED' && heldBy(s, server!.pid));
              return { n: a.length, pid: server!.pid, fds: new Set(a.flatMap((s) => s.holders.map((h) => h.fd))).size, bytes: same(a.map((s) => s.recvQ)) };
            },
          },
          {
            key: 'lab.backlog.e.through',
            want: { n: CLIENTS, waiting: 0 },
            seen: (o) => {
              const c = clientSide(o, port);
              return { n: count(c, (s) => s.state === 'ESTABLISHED'), waiting: count(c, (s) => s.state === 'SYN_SENT') };
            },
          },
        ],
        async after(lab) {
          const r = await server!.run('reply(got=got)');
          for (const [cport, cfd, data] of r['got'] as [number, number, string][]) {
            await lab.say('lab.backlog.s3.read', { port: cport, fd: cfd, data });
          }
        },
        explain: 'lab.backlog.s3.explain',
      },
    ],
  };
}

// Seed 004's Recv-Q / Send-Q and buffer options: a receiver that does not
// read. Its Recv-Q grows until its receive buffer is full, then the sender's
// unacknowledged data piles up in its Send-Q until its send buffer is full and
// write() stops (EAGAIN). Reading drains both.
import type { Agent } from '../agent.js';
import { clientSide, serverSide } from '../observe.js';
import type { Expectation, Experiment, Observation } from '../types.js';

const ASK = 32768;

// SO_RCVBUF on the listener is inherited by the accepted socket (and fixes
// the window scale before the handshake, which is why it is set there).
const RECEIVER = String.raw`
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args['ask'])
srv.bind(('127.0.0.1', 0))
srv.listen(1)
reply(port=srv.getsockname()[1])
`;

const SENDER = String.raw`
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, args['ask'])
c.settimeout(5)
c.connect(('127.0.0.1', args['port']))
c.setblocking(False)
sent = 0
reply(port=c.getsockname()[1], sndbuf=c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
`;

const ACCEPT = String.raw`
srv.settimeout(5)
conn, _ = srv.accept()
reply(rcvbuf=conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
`;

// Write until the kernel refuses more (EAGAIN), and a little longer, so that
// what was in flight has settled.
const FLOOD = String.raw`
stops = 0
deadline = time.time() + 10
while time.time() < deadline and stops < 5:
    try:
        sent += c.send(b'x' * 4096)
    except BlockingIOError:
        stops += 1
        time.sleep(0.1)
reply(sent=sent, stopped=stops > 0)
`;

const DRAIN = String.raw`
conn.settimeout(5)
got = 0
deadline = time.time() + 10
while got < args['want'] and time.time() < deadline:
    data = conn.recv(65536)
    if not data:
        break
    got += len(data)
reply(read=got)
`;

export function buffers(): Experiment {
  let receiver: Agent | undefined;
  let sender: Agent | undefined;
  let port = 0;
  let sent = 0;
  const rx = (o: Observation) => serverSide(o, port).find((s) => s.state === 'ESTABLISHED');
  const tx = (o: Observation) => clientSide(o, port).find((s) => s.state === 'ESTABLISHED');

  return {
    name: 'buffers',
    packets: true,
    summary: 'lab.buf.summary',
    intro: 'lab.buf.intro',
    steps: [
      {
        title: 'lab.buf.s1.title',
        memory: true,
        async act(lab) {
          receiver = await lab.start('lab-receiver');
          port = (await receiver.run(RECEIVER, { ask: ASK }))['port'] as number;
          lab.ports.add(port);
          sender = await lab.start('lab-sender');
          await sender.run(SENDER, { port, ask: ASK });
          await receiver.run(ACCEPT);
          await lab.say('lab.buf.s1.did', { ask: ASK, port });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.buf.e.sizes',
            want: { rcvbuf: 2 * ASK, sndbuf: 2 * ASK },
            seen: (o) => ({ rcvbuf: rx(o)?.memory?.rcvbuf ?? '?', sndbuf: tx(o)?.memory?.sndbuf ?? '?' }),
          },
          {
            key: 'lab.buf.e.queues',
            want: { recvq: 0, sendq: 0 },
            seen: (o) => ({ recvq: rx(o)?.recvQ ?? '?', sendq: tx(o)?.sendQ ?? '?' }),
          },
        ],
        explain: 'lab.buf.s1.explain',
        explainParams: () => ({ ask: ASK, twice: 2 * ASK }),
      },
      {
        title: 'lab.buf.s2.title',
        async act(lab) {
          await sender!.run('sent += c.send(b"y" * 1000)');
          sent = 1000;
          await lab.say('lab.buf.s2.did', { n: 1000 });
        },
        expect: (): Expectation[] => [{
          key: 'lab.buf.e.queues',
          want: { recvq: 1000, sendq: 0 },
          seen: (o) => ({ recvq: rx(o)?.recvQ ?? '?', sendq: tx(o)?.sendQ ?? '?' }),
        }],
        explain: 'lab.buf.s2.explain',
      },
      {
        title: 'lab.buf.s3.title',
        memory: true,
        async act(lab) {
          const r = await sender!.run(FLOOD, {}, 15_000);
          sent = r['sent'] as number;
          await lab.say(r['stopped'] ? 'lab.buf.s3.did' : 'lab.buf.s3.did-not-stop', { n: sent - 1000, total: sent });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.buf.e.full',
            want: { recvq: { min: 1001 }, sendq: { min: 1 }, total: sent },
            seen: (o) => {
              const r = rx(o)?.recvQ;
              const s = tx(o)?.sendQ;
              return r === undefined || s === undefined ? undefined : { recvq: r, sendq: s, total: r + s };
            },
          },
          {
            // The receiver's window closes; the sender, with data left to send, asks now and then whether it opened.
            key: 'lab.buf.e.zero-window',
            packets: true,
            want: { zero: { min: 1 }, probes: { min: 1 } },
            seen: (o) => {
              const ps = o.packets ?? [];
              return {
                zero: ps.filter((p) => p.from.port === port && p.marks?.includes('zero-window')).length,
                probes: ps.filter((p) => p.to.port === port && p.marks?.includes('window-probe')).length,
              };
            },
          },
        ],
        async after(lab, o) {
          const r = rx(o);
          if (r?.memory) await lab.say('lab.buf.s3.memory', { rmem: r.memory.rmemAlloc, rcvbuf: r.memory.rcvbuf, drops: r.memory.drops });
        },
        explain: 'lab.buf.s3.explain',
        explainParams: (o) => ({ recvq: rx(o)?.recvQ ?? '?', sendq: tx(o)?.sendQ ?? '?', timer: tx(o)?.timer?.kind ?? '-' }),
      },
      {
        title: 'lab.buf.s4.title',
        timeoutMs: 8000,
        async act(lab) {
          const r = await receiver!.run(DRAIN, { want: sent }, 15_000);
          await lab.say('lab.buf.s4.did', { n: r['read'] as number });
        },
        expect: (): Expectation[] => [{
          key: 'lab.buf.e.queues',
          want: { recvq: 0, sendq: 0 },
          seen: (o) => ({ recvq: rx(o)?.recvQ ?? '?', sendq: tx(o)?.sendQ ?? '?' }),
        }],
        explain: 'lab.buf.s4.explain',
      },
    ],
  };
}

// Seed 004: "port already in use". A second listener on a taken address:port
// fails with EADDRINUSE; the same port on another address or on UDP is
// another socket and works; a restarted server rebinds its port while its old
// connections still sit in TIME_WAIT only because it sets SO_REUSEADDR —
// which Node does on every listener.
import type { Agent } from '../agent.js';
import { endpoint, heldBy, listener, serverSide } from '../observe.js';
import type { Expectation, Experiment } from '../types.js';
import { LISTEN_ACCEPTING } from './four-tuple.js';

const CONNECT = String.raw`
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(5)
c.connect(('127.0.0.1', args['port']))
# Close our end as soon as the server closes its own (so the server closes first).
def follow():
    c.settimeout(120)
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
bg(follow)
reply(port=c.getsockname()[1])
`;

// Try to listen on (address, port) with the given family, type and SO_REUSEADDR;
// keep the socket when it works.
const TRY = String.raw`
if 'kept' not in globals():
    kept = []
fam = socket.AF_INET6 if ':' in args['address'] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM if args.get('udp') else socket.SOCK_STREAM)
if args.get('reuse'):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((args['address'], args['port']))
    if not args.get('udp'):
        s.listen(8)
    kept.append(s)
    reply(result='ok', fd=s.fileno())
except OSError as e:
    s.close()
    reply(result=err_name(e))
`;

// Node's own net.Server, which sets SO_REUSEADDR on every listener (libuv).
const NODE_LISTEN = `const s = require('net').createServer();
s.on('error', (e) => { console.log(e.code); process.exit(0); });
s.listen(Number(process.argv[1]), '127.0.0.1', () => { console.log('ok'); s.close(); });`;

// A port free for everything step 3 does with it (TCP on 127.0.0.2 and ::1,
// UDP on 127.0.0.1): bind(0) only asks TCP on 127.0.0.1, and another program
// may hold the same number for UDP. Probe, release, retry (bounded).
const PICK_PORT = String.raw`
def free_everywhere(port):
    for fam, typ, addr in ((socket.AF_INET, socket.SOCK_DGRAM, '127.0.0.1'), (socket.AF_INET, socket.SOCK_STREAM, '127.0.0.2'), (socket.AF_INET6, socket.SOCK_STREAM, '::1')):
        p = socket.socket(fam, typ)
        try:
            p.bind((addr, port))
        except OSError:
            return False
        finally:
            p.close()
    return True
for attempt in range(50):
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    if free_everywhere(port):
        break
reply(port=port)
`;

export function bind(): Experiment {
  let server: Agent | undefined;
  let other: Agent | undefined;
  let client: Agent | undefined;
  let restarted: Agent | undefined;
  let port = 0;
  let cport = 0;
  let second = '';
  let plain = '';
  let node = '';
  let reuse = '';

  return {
    name: 'bind',
    protocols: ['tcp', 'udp'],
    summary: 'lab.bind.summary',
    intro: 'lab.bind.intro',
    steps: [
      {
        title: 'lab.bind.s1.title',
        async act(lab) {
          server = await lab.start('lab-server');
          const free = (await server.run(PICK_PORT))['port'] as number;
          port = (await server.run(LISTEN_ACCEPTING, { port: free }))['port'] as number;
          lab.ports.add(port);
          client = await lab.start('lab-client');
          cport = (await client.run(CONNECT, { port }))['port'] as number;
          await lab.say('lab.bind.s1.did', { pid: server.pid, port, from: endpoint('127.0.0.1', cport) });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.bind.e.listener',
            want: { address: endpoint('127.0.0.1', port), pid: server!.pid },
            seen: (o) => { const l = listener(o, port, '127.0.0.1'); return l && { address: endpoint(l.localAddress, l.localPort), pid: l.holders.map((h) => h.pid).join(', ') || '-' }; },
          },
          {
            key: 'lab.bind.e.connection',
            want: { state: 'ESTABLISHED' },
            seen: (o) => { const s = serverSide(o, port).find((x) => heldBy(x, server!.pid)); return s && { state: s.state }; },
          },
        ],
        explain: 'lab.bind.s1.explain',
      },
      {
        title: 'lab.bind.s2.title',
        async act(lab) {
          other = await lab.start('lab-other');
          second = (await other.run(TRY, { address: '127.0.0.1', port, reuse: true }))['result'] as string;
          await lab.say('lab.bind.s2.did', { pid: other.pid, address: endpoint('127.0.0.1', port), result: second });
        },
        expect: (): Expectation[] => [
          { key: 'lab.bind.e.second', want: { result: 'EADDRINUSE' }, seen: () => ({ result: second }) },
          {
            key: 'lab.bind.e.listeners',
            want: { n: 1 },
            seen: (o) => ({ n: o.sockets.filter((s) => s.state === 'LISTEN' && s.localPort === port && s.localAddress === '127.0.0.1').length }),
          },
        ],
        explain: 'lab.bind.s2.explain',
      },
      {
        title: 'lab.bind.s3.title',
        async act(lab) {
          for (const [address, udp] of [['127.0.0.2', false], ['::1', false], ['127.0.0.1', true]] as const) {
            const r = await other!.run(TRY, { address, port, udp, reuse: true });
            await lab.say('lab.bind.s3.did', { proto: udp ? 'UDP' : 'TCP', address: endpoint(address, port), result: r['result'] as string });
          }
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.bind.e.others',
            want: { v4: 'LISTEN', v6: 'LISTEN', udp: 'UNCONN', pid: other!.pid },
            seen: (o) => {
              const mine = o.sockets.filter((s) => s.localPort === port && heldBy(s, other!.pid));
              const st = (pred: (s: (typeof mine)[number]) => boolean): string => mine.find(pred)?.state ?? '-';
              return {
                v4: st((s) => s.protocol === 'tcp' && s.localAddress === '127.0.0.2'),
                v6: st((s) => s.protocol === 'tcp' && s.localAddress === '::1'),
                udp: st((s) => s.protocol === 'udp' && s.localAddress === '127.0.0.1'),
                pid: mine.length ? other!.pid : '-',
              };
            },
          },
        ],
        explain: 'lab.bind.s3.explain',
      },
      {
        title: 'lab.bind.s4.title',
        async act(lab) {
          // The server closes its connection first, then its listener, and exits.
          await server!.run('for x in conns: x.close()\nsrv.close()\ntime.sleep(0.2)');
          await server!.stop();
          await lab.say('lab.bind.s4.did', { pid: server!.pid });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.bind.e.time-wait',
            want: { local: endpoint('127.0.0.1', port), state: 'TIME_WAIT', holder: '-' },
            seen: (o) => {
              const s = serverSide(o, port).find((x) => x.remotePort === cport);
              return s && { local: endpoint(s.localAddress, s.localPort), state: s.state, holder: s.holders.map((h) => h.pid).join(', ') || '-' };
            },
          },
          { key: 'lab.bind.e.listeners', want: { n: 0 }, seen: (o) => ({ n: o.sockets.filter((s) => s.state === 'LISTEN' && s.localPort === port && s.localAddress === '127.0.0.1').length }) },
        ],
        explain: 'lab.bind.s4.explain',
      },
      {
        title: 'lab.bind.s5.title',
        async act(lab) {
          restarted = await lab.start('lab-restarted');
          plain = (await restarted.run(TRY, { address: '127.0.0.1', port, reuse: false }))['result'] as string;
          await lab.say('lab.bind.s5.plain', { result: plain });
          node = (await lab.runOnce(process.execPath, ['-e', NODE_LISTEN, String(port)])).trim();
          await lab.say('lab.bind.s5.node', { result: node });
          reuse = (await restarted.run(TRY, { address: '127.0.0.1', port, reuse: true }))['result'] as string;
          await lab.say('lab.bind.s5.reuse', { pid: restarted.pid, result: reuse });
        },
        expect: (): Expectation[] => [
          { key: 'lab.bind.e.rebind', want: { plain: 'EADDRINUSE', node: 'ok', reuse: 'ok' }, seen: () => ({ plain, node, reuse }) },
          {
            key: 'lab.bind.e.both',
            want: { pid: restarted!.pid, tw: 1 },
            seen: (o) => {
              const l = listener(o, port, '127.0.0.1');
              return { pid: l?.holders.map((h) => h.pid).join(', ') || '-', tw: serverSide(o, port).filter((s) => s.state === 'TIME_WAIT').length };
            },
          },
        ],
        explain: 'lab.bind.s5.explain',
      },
    ],
  };
}


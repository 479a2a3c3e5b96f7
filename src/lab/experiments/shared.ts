// Seed 003 and 004: a process holds a socket through a file descriptor, and
// one socket can be held by several processes — after fork(), and when a
// descriptor is passed to another process over a Unix socket (SCM_RIGHTS).
// fd numbers belong to each process; the socket lives while any fd refers to it.
import type { Agent } from '../agent.js';
import { heldBy, holdersText, listener, serverSide, wantHolders } from '../observe.js';
import type { Expectation, Experiment } from '../types.js';

// Listen, then fork. The child moves the socket to another fd number (dup,
// close the original), reports it through a pipe, accepts in a thread and
// lives as long as the process that forked it.
const LISTEN_FORK = String.raw`
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(8)
lfd = srv.fileno()
rp, wp = os.pipe()
child = os.fork()
if child == 0:
    try:
        set_name('lab-server-fork')
        os.close(rp)
        devnull = os.open('/dev/null', os.O_RDWR)
        for k in (0, 1, 2):
            os.dup2(devnull, k)
        nfd = os.dup(lfd)
        os.close(lfd)
        os.write(wp, str(nfd).encode())
        os.close(wp)
        ls = socket.socket(fileno=nfd)
        keep = []
        def accept_loop():
            ls.settimeout(0.2)
            while True:
                try:
                    c, _ = ls.accept()
                    keep.append(c)
                except socket.timeout:
                    continue
                except OSError:
                    return
        bg(accept_loop)
        watch_parent()
    finally:
        abort_all()
        os._exit(0)
os.close(wp)
cfd = int(os.read(rp, 16).decode())
os.close(rp)
reply(port=srv.getsockname()[1], fd=lfd, child=child, childFd=cfd)
`;

const CONNECT = String.raw`
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(5)
c.connect(('127.0.0.1', args['port']))
reply(port=c.getsockname()[1])
`;

const RECEIVER = String.raw`
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind(args['name'])
u.listen(1)
reply(ok=1)
`;

const SEND_FD = String.raw`
us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
us.settimeout(5)
us.connect(args['name'])
socket.send_fds(us, [b'L'], [lfd])
reply(sent=lfd)
`;

const RECEIVE_FD = String.raw`
u.settimeout(5)
uc, _ = u.accept()
uc.settimeout(5)
data, fds, flags, addr = socket.recv_fds(uc, 16, 4)
got = socket.socket(fileno=fds[0])
reply(fd=fds[0], family=got.family == socket.AF_INET)
`;

export function shared(): Experiment {
  let server: Agent | undefined;
  let client: Agent | undefined;
  let receiver: Agent | undefined;
  let port = 0;
  let fd = 0;
  let child = 0;
  let childFd = 0;
  let recvFd = 0;

  return {
    name: 'shared',
    summary: 'lab.shared.summary',
    intro: 'lab.shared.intro',
    steps: [
      {
        title: 'lab.shared.s1.title',
        async act(lab) {
          server = await lab.start('lab-server');
          const r = await server.run(LISTEN_FORK);
          port = r['port'] as number;
          fd = r['fd'] as number;
          child = r['child'] as number;
          childFd = r['childFd'] as number;
          lab.ports.add(port);
          await lab.say('lab.shared.s1.did', { pid: server.pid, fd, child, childFd, port });
        },
        expect: (): Expectation[] => [{
          key: 'lab.shared.e.holders',
          want: { holders: wantHolders([{ pid: server!.pid, fd }, { pid: child, fd: childFd }]), rows: 1 },
          seen: (o) => ({ holders: holdersText(listener(o, port)), rows: o.sockets.filter((s) => s.state === 'LISTEN').length }),
        }],
        explain: 'lab.shared.s1.explain',
      },
      {
        title: 'lab.shared.s2.title',
        async act(lab) {
          client = await lab.start('lab-client');
          const r = await client.run(CONNECT, { port });
          await lab.say('lab.shared.s2.did', { pid: client.pid, cport: r['port'] as number, port });
        },
        expect: (): Expectation[] => [{
          key: 'lab.shared.e.accepted-by',
          want: { pid: child, n: 1 },
          seen: (o) => {
            const s = serverSide(o, port).find((x) => x.state === 'ESTABLISHED');
            return s && { pid: s.holders.map((h) => h.pid).join(', ') || '-', n: s.holders.length };
          },
        }],
        explain: 'lab.shared.s2.explain',
        explainParams: (o) => ({ fd: serverSide(o, port).find((x) => x.state === 'ESTABLISHED')?.holders[0]?.fd ?? '?' }),
      },
      {
        title: 'lab.shared.s3.title',
        async act(lab) {
          const name = `\0sockscope-lab-${process.pid}-${Date.now()}`;
          receiver = await lab.start('lab-receiver');
          await receiver.run(RECEIVER, { name });
          await server!.run(SEND_FD, { name });
          recvFd = (await receiver.run(RECEIVE_FD))['fd'] as number;
          await lab.say('lab.shared.s3.did', { pid: server!.pid, fd, receiver: receiver.pid, rfd: recvFd });
        },
        expect: (): Expectation[] => [{
          key: 'lab.shared.e.holders',
          want: { holders: wantHolders([{ pid: server!.pid, fd }, { pid: child, fd: childFd }, { pid: receiver!.pid, fd: recvFd }]), rows: 1 },
          seen: (o) => ({ holders: holdersText(listener(o, port)), rows: o.sockets.filter((s) => s.state === 'LISTEN').length }),
        }],
        explain: 'lab.shared.s3.explain',
      },
      {
        title: 'lab.shared.s4.title',
        async act(lab) {
          await server!.run('srv.close()');
          await lab.say('lab.shared.s4.did', { pid: server!.pid, fd });
        },
        expect: (): Expectation[] => [
          {
            key: 'lab.shared.e.holders',
            want: { holders: wantHolders([{ pid: child, fd: childFd }, { pid: receiver!.pid, fd: recvFd }]), rows: 1 },
            seen: (o) => ({ holders: holdersText(listener(o, port)), rows: o.sockets.filter((s) => s.state === 'LISTEN').length }),
          },
          {
            key: 'lab.shared.e.server-none',
            want: { n: 0 },
            seen: (o) => ({ n: o.sockets.filter((s) => heldBy(s, server!.pid)).length }),
          },
        ],
        explain: 'lab.shared.s4.explain',
      },
    ],
  };
}

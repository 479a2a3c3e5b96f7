// Shared by the network-namespace live tests (registers no test): namespaces the
// test creates (`ip netns add sc-t-<random>`, a veth pair between two of them with
// addresses only inside them), python programs started inside them with
// `ip netns exec`, and `ss -N <ns>` to compare with. Everything is removed when
// the test ends, passed or failed (t.after), and again at exit as a last resort.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Child, PRELUDE, python } from './helpers.js';

const created = new Set<string>();
process.on('exit', () => {
  for (const ns of created) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // gone already
    }
  }
});

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh namespace named sc-t-<random><suffix>, loopback up; deleted when the test ends. */
export function makeNetns(t: TestContext, suffix = ''): string {
  const name = `sc-t-${randomBytes(4).toString('hex')}${suffix}`;
  ip(['netns', 'add', name]);
  created.add(name);
  t.after(() => {
    try {
      ip(['netns', 'del', name]);
    } catch {
      // already deleted
    }
    created.delete(name);
  });
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** A veth pair between two namespaces, `a` with 10.<x>.<y>.1/24 and `b` with .2; returns both addresses. */
export function linkNetns(a: string, b: string): { addrA: string; addrB: string } {
  const x = 200 + (randomBytes(1)[0]! % 50);
  const y = randomBytes(1)[0]!;
  const addrA = `10.${x}.${y}.1`;
  const addrB = `10.${x}.${y}.2`;
  // Both ends are created inside the namespaces: nothing appears in the host's.
  ip(['-n', a, 'link', 'add', 'sc0', 'type', 'veth', 'peer', 'name', 'sc1', 'netns', b]);
  ip(['-n', a, 'addr', 'add', `${addrA}/24`, 'dev', 'sc0']);
  ip(['-n', b, 'addr', 'add', `${addrB}/24`, 'dev', 'sc1']);
  ip(['-n', a, 'link', 'set', 'sc0', 'up']);
  ip(['-n', b, 'link', 'set', 'sc1', 'up']);
  return { addrA, addrB };
}

/** The inode of a named namespace (what sockscope calls it when it has no name). */
export function netnsInode(name: string): number {
  return Number(/net:\[(\d+)\]/.exec(execFileSync('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8', timeout: 10_000 }))![1]);
}

/** Run a python script (after PRELUDE) inside namespace `ns`; the process is ours to kill (its own group). */
export function pythonIn(t: TestContext, ns: string | undefined, label: string, script: string, args: readonly string[] = []): Child {
  const argv = [...(ns ? ['ip', 'netns', 'exec', ns] : []), python(), '-c', PRELUDE + script, ...args];
  const proc = spawn(argv[0]!, argv.slice(1), {
    detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const c = new Child(proc, label);
  t.after(() => c.stop());
  return c;
}

/** A TCP listener and a UDP socket on the same port (0: any) on every address, accepting in a thread; a TCP listener on [::1] too. */
export const SERVER_PY = `
port = int(sys.argv[1])
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', port))
l.listen(7)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('0.0.0.0', l.getsockname()[1]))
# IPv6 too: the namespace's TCP is read in one dump of both families.
l6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
l6.bind(('::1', l.getsockname()[1]))
l6.listen(3)
# A connected pair of Unix sockets: they belong to this namespace too.
pair = socket.socketpair()
conns = []
def accept():
    while True:
        c, _ = l.accept()
        conns.append(c)
        emit(accepted=c.getpeername()[1])
threading.Thread(target=accept, daemon=True).start()
emit(port=l.getsockname()[1], fd=l.fileno(), udp=u.fileno())
hold()
`;

/** A client connecting to sys.argv[1]:sys.argv[2]. */
export const CLIENT_PY = `
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
emit(local=c.getsockname()[1], fd=c.fileno())
hold()
`;

/**
 * A process of the host namespace that receives a socket made in namespace
 * sys.argv[1]: a child started there with `ip netns exec` creates a listener
 * and passes its fd over a socketpair (SCM_RIGHTS), then exits, so that the
 * host process is its only holder.
 */
export const PASSER_PY = `
import subprocess
ns = sys.argv[1]
a, b = socket.socketpair()
child = "import os, socket\\nb = socket.socket(fileno=int(os.environ['SC_FD']))\\nl = socket.socket()\\nl.bind(('127.0.0.1', 0))\\nl.listen(3)\\nsocket.send_fds(b, [b'x'], [l.fileno()])\\n"
p = subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable, '-c', child], pass_fds=[b.fileno()], env={**os.environ, 'SC_FD': str(b.fileno())})
b.close()
msg, fds, flags, addr = socket.recv_fds(a, 16, 1)
s = socket.socket(fileno=fds[0])
p.wait(timeout=20)
emit(port=s.getsockname()[1], fd=s.fileno(), child=p.pid)
hold()
`;

/** One inet socket as `ss -H -N ns -tuanp` prints it, reduced to what both tools must agree on. */
export interface SsRow {
  key: string;
  pids: number[];
}

/** `ss -N ns -tuanp`: every TCP/UDP socket of that namespace with its holders' pids. */
export function ssRows(ns: string): SsRow[] {
  const out = execFileSync('ss', ['-H', '-N', ns, '-tuanp'], { encoding: 'utf8', timeout: 20_000 });
  const rows: SsRow[] = [];
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [netid, state, , , local, peer] = f;
    const users = f.slice(6).join(' ');
    const pids = [...users.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    rows.push({ key: `${netid} ${state} ${local} ${peer}`, pids: [...new Set(pids)] });
  }
  return rows;
}

/** The same key for a sockscope socket (ss's state names, its * for no peer port). */
export function ssKey(s: { protocol: string; state: string; localAddress: string; localPort: number; remoteAddress: string; remotePort: number }): string {
  const ep = (a: string, p: number | string): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  const state = s.state === 'ESTABLISHED' ? 'ESTAB' : s.state.replace('_', '-');
  const peer = s.remotePort === 0 && (s.remoteAddress === '0.0.0.0' || s.remoteAddress === '::') ? ep(s.remoteAddress, '*') : ep(s.remoteAddress, s.remotePort);
  return `${s.protocol} ${state} ${ep(s.localAddress, s.localPort)} ${peer}`;
}

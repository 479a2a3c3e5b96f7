// `sockscope port N` on live sockets: exit status 0/1, the holder in the
// output, and an exact port match (9302 never shows 49302).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listSockets, type Socket } from '../../src/index.js';
import { describeAll, eventually, runCli, socketsOnPort, startPython } from './helpers.js';

// Listen on X and 4X (e.g. 9302 and 49302): the second's decimal ends with
// the first's digits. One connection to each; the one to X is accepted.
// The test passes candidate values of X that no socket uses (TIME_WAIT
// included) as X nor as 4X; the script takes the first pair it can bind.
const SCRIPT = `
for x in [int(a) for a in sys.argv[1:]]:
    y = int('4' + str(x))
    lx = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ly = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        lx.bind(('127.0.0.1', x))
        ly.bind(('127.0.0.1', y))
        break
    except OSError:
        lx.close(); ly.close()
else:
    emit(error='no free pair of ports X, 4X among the candidates')
    hold()
lx.listen(4); ly.listen(4)
cx = socket.create_connection(('127.0.0.1', x))
ax, _ = lx.accept()
cy = socket.create_connection(('127.0.0.1', y))
emit(x=x, y=y, lx=lx.fileno(), ly=ly.fileno(), cx=cx.fileno(), ax=ax.fileno(), cy=cy.fileno())
hold()
`;

/** Ports in 1024..9999 (below the ephemeral range) that no socket uses now, nor their 4X twins. */
async function unusedPorts(count: number, avoid: readonly number[] = []): Promise<number[]> {
  const snap = await listSockets({ filter: { all: true } });
  const used = new Set(snap.sockets.flatMap((s: Socket) => [s.localPort, s.remotePort]));
  const out = new Set<number>();
  for (let i = 0; i < 10_000 && out.size < count; i++) {
    const p = 1024 + Math.floor(Math.random() * 8976);
    if (!used.has(p) && !used.has(Number(`4${p}`)) && !avoid.includes(p)) out.add(p);
  }
  if (out.size < count) throw new Error(`only ${out.size} unused ports found`);
  return [...out];
}

test('cli port: exit status, holder pid, exact match of X against 4X', async (t) => {
  const child = startPython(t, 'port pair', SCRIPT, (await unusedPorts(50)).map(String));
  const m = await child.message('x', 20_000);
  assert.equal(m['error'], undefined, String(m['error']));
  const x = m['x'] as number;
  const y = m['y'] as number;
  assert.equal(String(y), `4${x}`);
  // Wait until both connections are visible (the kernel is quick, the machine may not be).
  await eventually('scene visible', async () => {
    for (const port of [x, y]) {
      const { sockets } = await socketsOnPort(port, { protocols: ['tcp'], families: ['ipv4'] });
      assert.equal(sockets.length, 3, describeAll(sockets));
    }
  });

  const inUse = await runCli(['port', String(x)]);
  assert.equal(inUse.code, 0, `port ${x} is in use: ${inUse.stdout}${inUse.stderr}`);
  assert.match(inUse.stdout, new RegExp(`\\b${child.pid}/python\\S* fd ${m['lx']}\\b`), `the listener's holder:\n${inUse.stdout}`);
  assert.match(inUse.stdout, /1 listening, 1 inbound, 1 outbound/, inUse.stdout);
  assert.doesNotMatch(inUse.stdout, new RegExp(`:${y}\\b`), `port ${x} must not show port ${y}:\n${inUse.stdout}`);

  // Both sources: netlink filters ports in the kernel, /proc/net in sockscope.
  for (const source of ['netlink', 'proc']) for (const [port, other, lfd, fds] of [[x, y, 'lx', ['lx', 'cx', 'ax']], [y, x, 'ly', ['ly', 'cy']]] as const) {
    const r = await runCli(['port', String(port), '--json', '--source', source]);
    assert.equal(r.code, 0, r.stderr);
    const sockets = JSON.parse(r.stdout) as Socket[];
    const all = `(source ${source})` + describeAll(sockets);
    for (const s of sockets) {
      assert.ok(s.localPort === port || s.remotePort === port, `only port ${port}:${all}`);
      assert.ok(s.localPort !== other && s.remotePort !== other, `never port ${other}:${all}`);
    }
    const listener = sockets.filter((s) => s.state === 'LISTEN');
    assert.equal(listener.length, 1, all);
    assert.deepEqual(listener[0]!.holders.map((h) => [h.pid, h.fd]), [[child.pid, m[lfd]]], all);
    // Every socket of ours on this port is there, with the fd we know.
    const seen = new Set(sockets.flatMap((s) => s.holders.filter((h) => h.pid === child.pid).map((h) => h.fd)));
    for (const f of fds) assert.ok(seen.has(m[f] as number), `fd ${f}=${m[f]} on port ${port}:${all}`);
    if (port === y) {
      const queued = sockets.filter((s) => s.localPort === y && s.state === 'ESTABLISHED');
      assert.equal(queued.length, 1, all);
      assert.equal(queued[0]!.unheldReason, 'not-accepted', all);
    }
  }

  const udp = await runCli(['port', `${x}/udp`]);
  assert.equal(udp.code, 1, `nothing uses ${x}/udp:\n${udp.stdout}`);

  const [free] = (await unusedPorts(1, [x])) as [number];
  const r = await runCli(['port', String(free)]);
  assert.equal(r.code, 1, `port ${free} is free:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /free/, r.stdout);
  const rj = await runCli(['port', String(free), '--json']);
  assert.equal(rj.code, 1, rj.stdout);
  assert.deepEqual(JSON.parse(rj.stdout), []);
});

test('port N of a client\'s local (ephemeral) port: its connection is outbound from N, the server side is inbound from remote N', async (t) => {
  const child = startPython(t, 'client port', `
def others(port):
    # Sockets on this port besides our pair (a TIME_WAIT left by another program or test), from /proc/net.
    n = 0
    for name in ('/proc/net/tcp', '/proc/net/tcp6'):
        for line in open(name).read().splitlines()[1:]:
            f = line.split()
            if int(f[1].split(':')[1], 16) == port or int(f[2].split(':')[1], 16) == port:
                n += 1
    return n - 2
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4)
for attempt in range(20):
    c = socket.create_connection(l.getsockname())
    a, _ = l.accept()
    if others(c.getsockname()[1]) == 0:
        break
    for x in (c, a):  # closed with RST: no TIME_WAIT of our own left behind
        x.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, (1).to_bytes(4, 'little') + (0).to_bytes(4, 'little'))
        x.close()
emit(listen=l.getsockname()[1], client=c.getsockname()[1], cfd=c.fileno(), afd=a.fileno())
hold()
`);
  const m = await child.message('client');
  const client = m['client'] as number;
  const listen = m['listen'] as number;
  await eventually('pair visible', async () => {
    const { sockets } = await socketsOnPort(client, { protocols: ['tcp'] });
    assert.equal(sockets.length, 2, describeAll(sockets));
  });
  const r = await runCli(['port', String(client), '-n', '--source', 'netlink']);
  assert.equal(r.code, 0, r.stderr);
  // The client socket (local N -> listener) is this host's outbound connection, not one "to port N".
  assert.doesNotMatch(r.stdout, new RegExp(`^Connections to port ${client}`, 'm'), r.stdout);
  assert.doesNotMatch(r.stdout, new RegExp(`^Outbound connections to remote port ${client}`, 'm'), r.stdout);
  assert.match(r.stdout, new RegExp(`^Outbound connections from local port ${client} \\(1\\)\\n.*\\n.*127\\.0\\.0\\.1:${client}\\s+127\\.0\\.0\\.1:${listen}\\s.* fd ${m['cfd']}`, 'm'), r.stdout);
  assert.match(r.stdout, new RegExp(`^Connections from remote port ${client} to this host's servers \\(1\\)\\n.*\\n.*127\\.0\\.0\\.1:${listen}\\s+127\\.0\\.0\\.1:${client}\\s.* fd ${m['afd']}`, 'm'), r.stdout);
  assert.match(r.stdout, /0 listening, 1 inbound, 1 outbound/);
  // The listener's own port: as before.
  const l = await runCli(['port', String(listen), '-n', '--source', 'netlink']);
  assert.match(l.stdout, /1 listening, 1 inbound, 1 outbound/, l.stdout);
  assert.match(l.stdout, new RegExp(`^Connections to port ${listen} \\(1\\)`, 'm'), l.stdout);
  assert.match(l.stdout, new RegExp(`^Outbound connections to remote port ${listen} \\(1\\)`, 'm'), l.stdout);
});

// IPV6_V6ONLY end to end (issue 9 §8): real listeners with and without the
// flag, on loopback only, read by sockscope and by ss at the same moment.
// The kernel sets the flag itself when an IPv6 socket binds a specific IPv6
// address (inet6_bind), so ::1 is always IPv6-only; a socket without the flag
// is bound to an IPv4-mapped loopback address instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Socket } from '../../src/index.js';
import { describeAll, eventually, runCli, startPython } from './helpers.js';

const SCRIPT = `
a = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
a.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
a.bind(('::1', 0))
a.listen(4)
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
b.bind(('::ffff:127.0.0.1', 0))
b.listen(4)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
u.bind(('::1', 0))
c = socket.create_connection(('::1', a.getsockname()[1]), timeout=5)
emit(v6only=a.getsockname()[1], dual=b.getsockname()[1], udp=u.getsockname()[1], client=c.getsockname()[1])
hold()
`;

function ssV6only(port: number, udp: boolean): string | undefined {
  try {
    const out = execFileSync('ss', [udp ? '-uanHe' : '-tlnHe', `( sport = :${port} )`], { encoding: 'utf8', timeout: 10_000 });
    return /v6only:(\d)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

test('v6only: IPv6-only and dual-stack listeners are told apart in JSON, as ss tells them', async (t) => {
  const child = startPython(t, 'v6only listeners', SCRIPT);
  const m = await child.message('v6only');
  const [only, dual, udp, client] = [m['v6only'], m['dual'], m['udp'], m['client']] as [number, number, number, number];
  await eventually('v6only rows', async () => {
    const r = await runCli(['list', '-a', '--json', '--port', `${only},${dual},${udp}`]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Socket[];
    const one = (pred: (s: Socket) => boolean, what: string): Socket => {
      const hits = rows.filter(pred);
      assert.equal(hits.length, 1, `${what}:${describeAll(rows)}`);
      return hits[0]!;
    };
    const a = one((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === only, 'the ::1 listener');
    const b = one((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === dual, 'the mapped listener');
    const u = one((s) => s.protocol === 'udp' && s.localPort === udp, 'the UDP socket');
    assert.equal(a.v6only, true);
    assert.equal(b.localAddress, '::ffff:127.0.0.1');
    assert.equal(b.v6only, false);
    assert.equal(u.v6only, true);
    // ss agrees, socket by socket.
    assert.equal(ssV6only(only, false) ?? '1', '1');
    assert.equal(ssV6only(dual, false) ?? '0', '0');
    // A connection carries no flag (the kernel sends it for LISTEN and CLOSE sockets only).
    const conn = one((s) => s.protocol === 'tcp' && s.localPort === client, 'the client side');
    assert.equal('v6only' in conn, false);
  });
  // /proc/net cannot see the flag: the key is absent, never a guess.
  const proc = await runCli(['--source', 'proc', 'list', '-l', '--json', '--port', String(only)]);
  assert.equal(proc.code, 0, proc.stderr);
  const rows = JSON.parse(proc.stdout) as Socket[];
  assert.ok(rows.length >= 1);
  for (const s of rows) assert.equal('v6only' in s, false);
});

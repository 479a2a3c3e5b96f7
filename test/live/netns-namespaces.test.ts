// Every network namespace at once, on namespaces this test creates: two of them
// (A, B) joined by a veth pair whose addresses exist only inside them, a server in
// each on the same port, a client in B connected to A's server, and a listener
// made inside A whose only holder is a process of the host namespace (its fd
// passed over a Unix socket). Each namespace's sockets are compared with
// `ss -N <ns> -tuanp`, through the native sock_diag path and the /proc fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { listSockets, type Socket } from '../../src/index.js';
import { describeAll, eventually, runCli } from './helpers.js';
import { CLIENT_PY, PASSER_PY, SERVER_PY, linkNetns, makeNetns, netnsInode, pythonIn, ssKey, ssRows } from './netns-scene.js';

/** The stable rows (listeners, unconnected UDP, established) of one namespace, as "key pids". */
function stableOfSs(ns: string): string[] {
  return ssRows(ns).filter((r) => / (LISTEN|UNCONN|ESTAB) /.test(r.key)).map((r) => `${r.key} ${r.pids.join(',')}`).sort();
}
function stableOfOurs(sockets: readonly Socket[], inode: number): string[] {
  return sockets.filter((s) => s.netns?.inode === inode && ['LISTEN', 'UNCONN', 'ESTABLISHED'].includes(s.state))
    .map((s) => `${ssKey(s)} ${[...new Set(s.holders.map((h) => h.pid))].sort((a, b) => a - b).join(',')}`).sort();
}

/** Whether something in the host namespace uses this port (other programs share the machine). */
function hostUses(port: number): boolean {
  return execFileSync('ss', ['-H', '-tuan', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8', timeout: 20_000 }).trim() !== '';
}

test('every namespace at once: same port in two namespaces, a connection over veth, a socket passed across namespaces; as ss -N sees them', async (t) => {
  const a = makeNetns(t, 'a');
  const b = makeNetns(t, 'b');
  const { addrA } = linkNetns(a, b);
  const inoA = netnsInode(a);
  const inoB = netnsInode(b);
  // A port outside the ephemeral range (32768-60999): the namespaces are fresh, so it is
  // free there, and no client of the host's borrows it while the test looks.
  const serverA = pythonIn(t, a, 'server A', SERVER_PY, [String(20000 + Math.floor(Math.random() * 10000))]);
  const port = Number((await serverA.message('port'))['port']);
  // The same port, bound again in B: no conflict, each namespace has its own.
  const serverB = pythonIn(t, b, 'server B', SERVER_PY, [String(port)]);
  await serverB.message('port');
  const client = pythonIn(t, b, 'client in B', CLIENT_PY, [addrA, String(port)]);
  const clientPort = Number((await client.message('local'))['local']);
  await serverA.message('accepted');
  const passer = pythonIn(t, undefined, 'host process holding a socket of A', PASSER_PY, [a]);
  const passed = await passer.message('port');
  const passedPort = Number(passed['port']);

  // Native path (sock_diag inside each namespace), then the /proc fallback: both agree with ss.
  for (const env of [{}, { SOCKSCOPE_NATIVE: '0' }]) {
    const native = !('SOCKSCOPE_NATIVE' in env);
    const res = await runCli(['list', '-a', '--json'], { env });
    assert.equal(res.code, 0, res.stderr);
    const sockets = JSON.parse(res.stdout) as Socket[];
    const inA = sockets.filter((s) => s.netns?.inode === inoA);
    const inB = sockets.filter((s) => s.netns?.inode === inoB);
    assert.ok(inA.every((s) => s.netns!.name === a) && inB.every((s) => s.netns!.name === b), 'named by ip netns');
    const lA = inA.find((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === port);
    const lB = inB.find((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === port);
    assert.ok(lA && lB, `a listener on ${port} in each namespace:${describeAll(sockets.filter((s) => s.localPort === port))}`);
    assert.deepEqual(lA.holders.map((h) => h.pid), [serverA.pid]);
    assert.deepEqual(lB.holders.map((h) => h.pid), [serverB.pid]);
    const l6 = inA.find((s) => s.family === 'ipv6' && s.state === 'LISTEN' && s.localPort === port);
    assert.ok(l6 && l6.localAddress === '::1', 'the IPv6 listener in A');
    assert.equal(l6.v6only, native ? true : undefined);
    // Only sock_diag sees the backlog.
    assert.equal(lA.backlog, native ? 7 : undefined);
    const conn = inB.find((s) => s.state === 'ESTABLISHED' && s.localPort === clientPort && s.remotePort === port);
    assert.ok(conn, 'the client side in B');
    assert.deepEqual(conn.holders.map((h) => h.pid), [client.pid]);
    assert.ok(inA.some((s) => s.state === 'ESTABLISHED' && s.localPort === port && s.remotePort === clientPort), 'the server side in A');
    // Made in A, held only by a process of the host namespace.
    const p = inA.find((s) => s.state === 'LISTEN' && s.localPort === passedPort);
    assert.ok(p, `the passed listener lives in A:${describeAll(inA)}`);
    assert.deepEqual(p.holders.map((h) => `${h.pid}:${h.fd}`), [`${passer.pid}:${passed['fd']}`]);
    // Namespace by namespace, the stable sockets and their holders are what ss -N sees.
    await eventually('agrees with ss -N', async () => {
      const again = native ? sockets : (JSON.parse((await runCli(['list', '-a', '--json'], { env })).stdout) as Socket[]);
      assert.deepEqual(stableOfOurs(again, inoA), stableOfSs(a), `namespace ${a}`);
      assert.deepEqual(stableOfOurs(again, inoB), stableOfSs(b), `namespace ${b}`);
    }, { timeoutMs: 10_000, intervalMs: 500 });
  }

  // The library: the snapshot lists the namespaces read, each socket carries one shared NetnsRef per namespace.
  const snap = await listSockets({ filter: { ports: [port], all: true } });
  const infoA = snap.namespaces?.find((n) => n.inode === inoA);
  assert.deepEqual({ ...infoA }, { inode: inoA, name: a, host: false, processes: infoA?.processes, source: 'netlink' });
  assert.ok((infoA?.processes ?? 0) >= 1);
  assert.equal(snap.namespaces?.[0]?.host, true, 'the host first');
  const refs = new Set(snap.sockets.filter((s) => s.netns?.inode === inoB).map((s) => s.netns));
  assert.equal(refs.size, 1, 'one NetnsRef object per namespace');

  // --netns narrows: a name, an inode, pid:N.
  for (const [token, want] of [[a, inoA], [String(inoB), inoB], [`pid:${serverB.pid}`, inoB]] as const) {
    const r = await runCli(['list', '-a', '--json', '--port', String(port), '--netns', token]);
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Socket[];
    assert.ok(got.length > 0 && got.every((s) => s.netns?.inode === want), `--netns ${token}:${describeAll(got)}`);
  }
  const none = await runCli(['list', '--netns', 'sc-t-no-such-namespace']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no network namespace 'sc-t-no-such-namespace'/);

  // The table shows NETNS with the namespaces' names.
  const table = await runCli(['list', '--port', String(port)]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout.split('\n')[0]!, /NETNS/);
  assert.ok(table.stdout.split('\n').some((l) => l.includes(a) && l.includes('LISTEN')), table.stdout);

  // port N answers per namespace; the exit status is about the namespaces read.
  // (Other programs share the host namespace: what it says of the host is checked
  // against its own exit status, not against an earlier look.)
  const answer = await runCli(['port', String(port)]);
  assert.equal(answer.code, 0, answer.stderr);
  const first = answer.stdout.split('\n')[0]!;
  assert.match(first, hostUses(port) ? /(used|free) in the host namespace/ : /free in the host namespace/);
  assert.match(first, new RegExp(`used in network namespace ${a} \\(${inoA}\\) by python3 pid ${serverA.pid}`));
  assert.match(first, new RegExp(`used in network namespace ${b} \\(${inoB}\\) by python3 pid`));
  assert.match(answer.stdout, new RegExp(`In network namespace ${a} \\(${inoA}\\):`));
  const hostOnly = await runCli(['port', String(port), '--netns', 'host']);
  assert.equal(hostOnly.code, /free — no socket uses it here/.test(hostOnly.stdout) ? 1 : 0, hostOnly.stdout);
  assert.doesNotMatch(hostOnly.stdout, new RegExp(`${a}|${b}`), 'the host alone');
  const onlyB = await runCli(['port', String(port), '--netns', b]);
  assert.equal(onlyB.code, 0);
  assert.doesNotMatch(onlyB.stdout, new RegExp(a));

  // pid N of a process in another namespace lists its sockets (it said "holds no TCP or UDP sockets").
  const pid = await runCli(['pid', String(serverA.pid)]);
  assert.equal(pid.code, 0, pid.stdout + pid.stderr);
  assert.match(pid.stdout, new RegExp(`0\\.0\\.0\\.0:${port}\\b.*LISTEN.*${a}`));
  // Its Unix sockets are its namespace's too (a socketpair): read from inside it.
  assert.match(pid.stdout, new RegExp(`${serverA.pid}/python3 fd \\d+, ↔ ${serverA.pid}/python3 fd \\d+`));
  const pidJson = JSON.parse((await runCli(['pid', String(serverA.pid), '--json'])).stdout) as Socket[];
  assert.ok(pidJson.length >= 3 && pidJson.every((s) => s.netns?.inode === inoA), describeAll(pidJson));
});

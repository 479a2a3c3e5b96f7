// syn-sent and retransmissions, for real. A connect toward an address whose
// route leads to a tun device nobody reads (packets vanish: the kernel's
// dummy interface is not available here) lingers in SYN_SENT, its SYN sent
// again. Connections between two namespaces over a veth pair whose far end
// then loses its address retransmit their data: the far end drops what is no
// longer addressed to it, silently (no forwarding, so no ICMP).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, ip, kindsOf, netns, ofKind, waitSs } from './doctor-scene.js';

test('syn-sent: a connection attempt to an address that silently drops packets', async (t) => {
  const ns = netns(t);
  ip('-n', ns, 'tuntap', 'add', 'dr0', 'mode', 'tun');
  ip('-n', ns, 'addr', 'add', '10.9.9.1/24', 'dev', 'dr0');
  ip('-n', ns, 'link', 'set', 'dr0', 'up');
  const client = actor(t, ns, 'client', `
c = socket.socket(); c.setblocking(False)
try: c.connect(('10.9.9.2', 80))
except BlockingIOError: pass
emit(connecting=True)
hold()
`);
  await client.message('connecting');
  const { report, code } = await doctorIn(ns, ['--duration', '1.5', '--interval', '0.5']);
  const found = ofKind(report, 'syn-sent');
  assert.equal(found.length, 1, kindsOf(report));
  const f = found[0]!;
  assert.equal(f.severity, 'warning');
  assert.deepEqual([f.subject.remoteAddress, f.subject.remotePort], ['10.9.9.2', 80]);
  assert.deepEqual(f.subject.processes?.map((p) => p.pid), [client.pid]);
  assert.ok((f.evidence['maxRetransmits'] as number) >= 1 || (f.evidence['seenSeconds'] as number) >= 1, JSON.stringify(f.evidence));
  assert.deepEqual(ofKind(report, 'retransmissions'), [], 'a SYN sent again is the syn-sent finding, not a second one');
  assert.equal(code, 1);
});

/** Two namespaces joined by a veth pair: a (10.7.7.1) and b (10.7.7.2). */
function pair(t: Parameters<typeof netns>[0]): [string, string] {
  const a = netns(t);
  const b = netns(t);
  ip('link', 'add', 'drv0', 'netns', a, 'type', 'veth', 'peer', 'name', 'drv1', 'netns', b);
  ip('-n', a, 'addr', 'add', '10.7.7.1/24', 'dev', 'drv0');
  ip('-n', b, 'addr', 'add', '10.7.7.2/24', 'dev', 'drv1');
  ip('-n', a, 'link', 'set', 'drv0', 'up');
  ip('-n', b, 'link', 'set', 'drv1', 'up');
  return [a, b];
}

test('retransmissions: data on a connection whose peer vanished is sent again and again', async (t) => {
  const [a, b] = pair(t);
  const server = actor(t, b, 'server', `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.7.7.2', 7105)); s.listen(8)
emit(listening=7105)
c, _ = s.accept()
hold()
`);
  await server.message('listening');
  const client = actor(t, a, 'client', `
c = socket.create_connection(('10.7.7.2', 7105), timeout=5)
emit(connected=True)
sys.stdin.readline()
c.send(b'x' * 1000)
emit(sent=True)
hold()
`);
  await client.message('connected');
  ip('-n', b, 'addr', 'del', '10.7.7.2/24', 'dev', 'drv1');
  client.proc.stdin!.write('go\n');
  await client.message('sent');
  // Retransmission timeouts double from ~200 ms: the third is due after ~1.4 s.
  await waitSs(a, ['-tno', 'dst', '10.7.7.2'], /timer:\(on,[^,]+,([3-9]|\d\d)\)/, 'three retransmissions');
  const { report, code } = await doctorIn(a, ['--duration', '0.5', '--interval', '0.5']);
  const found = ofKind(report, 'retransmissions');
  assert.equal(found.length, 1, kindsOf(report));
  const f = found[0]!;
  assert.equal(f.severity, 'warning');
  assert.deepEqual([f.subject.remoteAddress, f.subject.remotePort], ['10.7.7.2', 7105]);
  assert.deepEqual(f.subject.processes?.map((p) => p.pid), [client.pid]);
  assert.ok((f.evidence['maxRetransmits'] as number) >= 3, JSON.stringify(f.evidence));
  assert.equal(f.evidence['retransmits'], 3);
  assert.equal(code, 1);
});

test('retransmissions (host): RetransSegs rising against OutSegs while 20 connections lose their peer', async (t) => {
  const [a, b] = pair(t);
  const server = actor(t, b, 'server', `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.7.7.2', 7106)); s.listen(64)
emit(listening=7106)
kept = [s.accept()[0] for i in range(20)]
hold()
`);
  await server.message('listening');
  const client = actor(t, a, 'clients', `
cs = [socket.create_connection(('10.7.7.2', 7106), timeout=5) for i in range(20)]
emit(connected=True)
sys.stdin.readline()
for c in cs: c.send(b'x' * 100)
emit(sent=True)
hold()
`);
  await client.message('connected');
  ip('-n', b, 'addr', 'del', '10.7.7.2/24', 'dev', 'drv1');
  client.proc.stdin!.write('go\n');
  await client.message('sent');
  // Each connection resends after ~0.2, 0.6 and 1.4 s: some 60 retransmissions in the 2 s check.
  const { report, code } = await doctorIn(a, ['--duration', '2']);
  const host = ofKind(report, 'retransmissions').filter((f) => f.subject.remoteAddress === undefined);
  assert.equal(host.length, 1, kindsOf(report));
  assert.ok((host[0]!.evidence['retransSegs'] as number) >= 10, JSON.stringify(host[0]!.evidence));
  assert.ok((host[0]!.evidence['ratio'] as number) >= 0.02, JSON.stringify(host[0]!.evidence));
  assert.match(host[0]!.text.why, /RetransSegs against OutSegs \+ RetransSegs/);
  assert.equal(code, 1);
});

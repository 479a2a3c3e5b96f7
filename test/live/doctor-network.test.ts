// syn-sent and retransmissions, for real. A connect toward an address whose
// route leads to a tun device nobody reads (packets vanish: the kernel's
// dummy interface is not available here) lingers in SYN_SENT, its SYN sent
// again. A connection between two namespaces over a veth pair whose far end
// is then set down retransmits its data.
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

test('retransmissions: data on a connection whose peer vanished is sent again and again', async (t) => {
  const a = netns(t);
  const b = netns(t);
  ip('link', 'add', 'drv0', 'netns', a, 'type', 'veth', 'peer', 'name', 'drv1', 'netns', b);
  ip('-n', a, 'addr', 'add', '10.7.7.1/24', 'dev', 'drv0');
  ip('-n', b, 'addr', 'add', '10.7.7.2/24', 'dev', 'drv1');
  ip('-n', a, 'link', 'set', 'drv0', 'up');
  ip('-n', b, 'link', 'set', 'drv1', 'up');
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
  ip('-n', b, 'link', 'set', 'drv1', 'down');
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

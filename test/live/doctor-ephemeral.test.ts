// ephemeral-ports and listener-in-ephemeral-range, for real: the namespace's
// ip_local_port_range cut to 20 ports (40000-40019), a service listening on
// a port inside it, and 16 connections to it, 4 of them closed into
// TIME_WAIT: 16 of 20 ports toward one destination is a warning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, inNs, kindsOf, netns, ofKind, waitSs } from './doctor-scene.js';

const SERVER = `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 40010)); s.listen(64)
emit(listening=40010)
def serve():
    while True:
        c, _ = s.accept()
        def drain(c=c):
            while c.recv(4096): pass
            c.close()
        threading.Thread(target=drain, daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
hold()
`;

// 16 connections; the first 4 closed by the client first, so their ports stay in TIME_WAIT.
const CLIENTS = `
cs = [socket.create_connection(('127.0.0.1', 40010), timeout=5) for i in range(16)]
for c in cs[:4]: c.close()
emit(ports=[c.getsockname()[1] for c in cs[4:]])
hold()
`;

test('ephemeral-ports: 16 of the 20 ephemeral ports toward one destination, TIME_WAIT included', async (t) => {
  const ns = netns(t);
  inNs(ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=40000 40019');
  await actor(t, ns, 'server', SERVER).message('listening');
  const clients = actor(t, ns, 'clients', CLIENTS);
  await clients.message('ports');
  await waitSs(ns, ['-tan', 'state', 'time-wait'], (out) => (out.match(/127\.0\.0\.1:400\d\d\s+127\.0\.0\.1:40010/g) ?? []).length === 4, 'four client ports in TIME_WAIT');
  const { report, code } = await doctorIn(ns);
  const found = ofKind(report, 'ephemeral-ports');
  assert.equal(found.length, 1, kindsOf(report));
  const f = found[0]!;
  assert.equal(f.severity, 'warning');
  assert.equal(f.evidence['sockets'], 16);
  assert.equal(f.evidence['timeWait'], 4);
  assert.equal(f.evidence['rangeSize'], 20);
  assert.equal(f.evidence['ratio'], 0.8);
  assert.deepEqual([f.subject.localAddress, f.subject.remoteAddress, f.subject.remotePort], ['127.0.0.1', '127.0.0.1', 40010]);
  assert.deepEqual(f.subject.processes?.map((p) => p.pid), [clients.pid]);
  assert.equal(f.socketCount, 16);
  assert.equal(code, 1);
  // The same scene with the warning moved past 80%: no longer a finding.
  const { report: relaxed } = await doctorIn(ns, ['--threshold', 'ephemeral-ratio=0.85']);
  assert.deepEqual(ofKind(relaxed, 'ephemeral-ports'), [], kindsOf(relaxed));
  assert.equal(relaxed.thresholds['ephemeral-ratio'], 0.85);
});

test('listener-in-ephemeral-range: a service on a port the kernel also hands out to outgoing connections', async (t) => {
  const ns = netns(t);
  inNs(ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=40000 40019');
  const server = actor(t, ns, 'server', SERVER);
  await server.message('listening');
  const { report, code } = await doctorIn(ns);
  const found = ofKind(report, 'listener-in-ephemeral-range');
  assert.equal(found.length, 1, kindsOf(report));
  assert.equal(found[0]!.severity, 'info');
  assert.equal(found[0]!.subject.localPort, 40010);
  assert.deepEqual([found[0]!.evidence['rangeLow'], found[0]!.evidence['rangeHigh']], [40000, 40019]);
  assert.deepEqual(found[0]!.subject.processes?.map((p) => p.pid), [server.pid]);
  assert.match(found[0]!.text.todo, /ip_local_reserved_ports/);
  assert.equal(report.findings.length, 1, kindsOf(report));
  assert.equal(code, 0, 'an info finding alone is healthy');
  // Reserved from the range, the port cannot be taken by an outgoing connection: nothing to say.
  inNs(ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_local_reserved_ports=40010');
  const { report: reserved } = await doctorIn(ns);
  assert.deepEqual(reserved.findings, [], kindsOf(reserved));
});

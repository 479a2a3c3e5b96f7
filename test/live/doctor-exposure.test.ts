// exposed, risky-port and privileged-port, for real: listeners bound to every
// interface or to loopback, on a port with a history of abuse, on a port
// below ip_unprivileged_port_start, each in a namespace of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, inNs, kindsOf, netns, ofKind } from './doctor-scene.js';

const listen = (addr: string, port: number): string => `
s = socket.socket(socket.AF_INET6 if ':' in '${addr}' else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('${addr}', ${port})); s.listen(8)
emit(listening=${port})
hold()
`;

test('exposed: a service on every interface is named with its process; the same on loopback is not', async (t) => {
  const ns = netns(t);
  const open = actor(t, ns, 'open', listen('0.0.0.0', 7103));
  await open.message('listening');
  await actor(t, ns, 'local', listen('127.0.0.1', 7113)).message('listening');
  const { report, code } = await doctorIn(ns, ['--duration', '0']);
  const found = ofKind(report, 'exposed');
  assert.equal(found.length, 1, kindsOf(report));
  assert.equal(found[0]!.severity, 'info');
  assert.equal(found[0]!.subject.localPort, 7103);
  assert.equal(found[0]!.evidence['scope'], 'all-interfaces');
  assert.deepEqual(found[0]!.subject.processes?.map((p) => p.pid), [open.pid]);
  assert.equal(report.samples, 1, '--duration 0: one look');
  assert.equal(code, 0);
});

test('risky-port: a listener on a backdoor port (31337, Back Orifice) is a warning even on loopback', async (t) => {
  const ns = netns(t);
  const bo = actor(t, ns, 'bo', listen('127.0.0.1', 31337));
  await bo.message('listening');
  const { report, code } = await doctorIn(ns, ['--duration', '0']);
  const found = ofKind(report, 'risky-port');
  assert.equal(found.length, 1, kindsOf(report));
  assert.equal(found[0]!.severity, 'warning');
  assert.equal(found[0]!.evidence['risk'], 'risk.backdoor');
  assert.match(found[0]!.text.why, /Back Orifice/);
  assert.deepEqual(found[0]!.subject.processes?.map((p) => p.pid), [bo.pid]);
  assert.equal(code, 1);
});

test('privileged-port: a listener below ip_unprivileged_port_start', async (t) => {
  const ns = netns(t);
  // The namespace's own sysctl, so the test does not depend on the machine's.
  inNs(ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=1024');
  const web = actor(t, ns, 'web', listen('127.0.0.1', 80));
  await web.message('listening');
  const { report, code } = await doctorIn(ns, ['--duration', '0']);
  const found = ofKind(report, 'privileged-port');
  assert.equal(found.length, 1, kindsOf(report));
  assert.equal(found[0]!.severity, 'info');
  assert.equal(found[0]!.evidence['unprivilegedStart'], 1024);
  assert.equal(found[0]!.subject.localPort, 80);
  assert.deepEqual(found[0]!.subject.processes?.map((p) => p.pid), [web.pid]);
  assert.equal(report.findings.length, 1, kindsOf(report));
  assert.equal(code, 0);
});

// send-queue-stuck and recv-queue-stuck, for real: a server that accepts and
// never reads, and a client that writes until its buffers are full. The
// server's Recv-Q and the client's Send-Q stay up for the whole check. The
// server fixes its receive buffer (SO_RCVBUF), as a program that does not read
// ends up with anyway once autotuning reaches tcp_rmem's maximum: until then
// bytes keep moving from one queue to the other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, kindsOf, netns, ofKind } from './doctor-scene.js';

const SERVER = `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.bind(('127.0.0.1', 7104)); s.listen(8)
emit(listening=7104)
c, _ = s.accept()
emit(accepted=True)
hold()  # never reads
`;

const CLIENT = `
c = socket.create_connection(('127.0.0.1', 7104), timeout=5)
c.setblocking(False)
sent = 0
for i in range(100000):
    try:
        sent += c.send(b'x' * 65536)
    except BlockingIOError:
        break
emit(sent=sent)
hold()
`;

test('send-queue-stuck and recv-queue-stuck: a peer that does not read, a program that does not read', async (t) => {
  const ns = netns(t);
  const server = actor(t, ns, 'server', SERVER);
  await server.message('listening');
  const client = actor(t, ns, 'client', CLIENT);
  const sent = (await client.message('sent'))['sent'] as number;
  await server.message('accepted');
  const { report, code } = await doctorIn(ns, ['--duration', '2']);
  const send = ofKind(report, 'send-queue-stuck');
  assert.equal(send.length, 1, kindsOf(report));
  assert.equal(send[0]!.severity, 'warning');
  assert.deepEqual([send[0]!.subject.remoteAddress, send[0]!.subject.remotePort], ['127.0.0.1', 7104]);
  assert.deepEqual(send[0]!.subject.processes?.map((p) => p.pid), [client.pid]);
  const sendQ = send[0]!.evidence['sendQ'] as number;
  assert.ok(sendQ > 0 && sendQ <= sent, `Send-Q ${sendQ} of ${sent} sent`);
  assert.ok(send[0]!.evidence['zeroWindow'] === 1 || send[0]!.evidence['unchanged'] === true, JSON.stringify(send[0]!.evidence));
  assert.ok((send[0]!.evidence['seconds'] as number) >= 1.5);
  const recv = ofKind(report, 'recv-queue-stuck');
  assert.equal(recv.length, 1, kindsOf(report));
  assert.equal(recv[0]!.subject.localPort, 7104, 'the server side');
  assert.deepEqual(recv[0]!.subject.processes?.map((p) => p.pid), [server.pid]);
  const recvQ = recv[0]!.evidence['recvQ'] as number;
  assert.ok(recvQ > 0 && recvQ + sendQ <= sent, `Recv-Q ${recvQ} + Send-Q ${sendQ} within the ${sent} bytes sent`);
  assert.equal(code, 1);
});

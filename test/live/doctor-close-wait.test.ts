// close-wait, for real: a server that accepts and never closes, and clients
// that keep connecting and closing during the check. Its CLOSE_WAIT sockets
// pile up and grow: a warning that names the server's process and port.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, kindsOf, netns, ofKind } from './doctor-scene.js';

const SERVER = `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 7102)); s.listen(64)
kept = []
emit(listening=7102)
def serve():
    while True:
        c, _ = s.accept()
        kept.append(c)  # never closed: the leak
threading.Thread(target=serve, daemon=True).start()
hold()
`;

// One connection every 0.3 s, closed at once, at most 40 (12 s).
const CLIENTS = `
for i in range(40):
    c = socket.create_connection(('127.0.0.1', 7102), timeout=5)
    c.close()
    emit(closed=i + 1)
    time.sleep(0.3)
emit(done=True)
hold()
`;

test('close-wait: a server that never closes what its clients closed, growing during the check', async (t) => {
  const ns = netns(t);
  const server = actor(t, ns, 'server', SERVER);
  await server.message('listening');
  const clients = actor(t, ns, 'clients', CLIENTS);
  // A few are there before the first look, more come during the check.
  await clients.message('closed');
  await new Promise((r) => setTimeout(r, 700));
  const { report, code } = await doctorIn(ns, ['--duration', '2']);
  assert.ok(!clients.messages.some((m) => 'done' in m), 'clients still coming during the check');
  const found = ofKind(report, 'close-wait');
  assert.equal(found.length, 1, kindsOf(report));
  const f = found[0]!;
  assert.equal(f.severity, 'warning');
  assert.equal(f.evidence['growing'], true, JSON.stringify(f.evidence));
  assert.ok((f.evidence['growth'] as number) >= 3, JSON.stringify(f.evidence));
  assert.equal(f.evidence['persisting'], f.evidence['atStart']);
  assert.equal(f.subject.localPort, 7102);
  assert.equal(f.subject.remoteAddress, '127.0.0.1');
  assert.deepEqual(f.subject.processes?.map((p) => p.pid), [server.pid]);
  assert.equal(f.socketCount, f.evidence['closeWait']);
  assert.match(f.text.why, /does not close sockets its peer closed/);
  assert.equal(code, 1);
});

// Doctor on a healthy scene: a loopback service with an idle connection to
// it, inside a namespace of the test's own. Nothing is found, nothing is
// skipped, exit 0; the same scene in the table says so in one line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, cliIn, doctorIn, kindsOf, netns } from './doctor-scene.js';

const SERVER = `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 7100)); s.listen(16)
emit(listening=7100)
def serve():
    while True:
        c, _ = s.accept()
        threading.Thread(target=lambda c=c: [c.sendall(d) for d in iter(lambda: c.recv(4096), b'')], daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
hold()
`;

const CLIENT = `
c = socket.create_connection(('127.0.0.1', 7100), timeout=5)
c.sendall(b'ping'); assert c.recv(4) == b'ping'
emit(connected=c.getsockname()[1])
hold()
`;

test('a healthy scene reports nothing: no finding, no skipped check, exit 0', async (t) => {
  const ns = netns(t);
  await actor(t, ns, 'server', SERVER).message('listening');
  await actor(t, ns, 'client', CLIENT).message('connected');
  const { report, code, stderr } = await doctorIn(ns);
  assert.deepEqual(report.findings, [], kindsOf(report));
  assert.deepEqual(report.skipped, []);
  assert.equal(report.healthy, true);
  assert.equal(report.samples, 2, 'two looks by default');
  assert.ok(report.spanMs >= 900 && report.spanMs < 3000, `the looks ~1 s apart (${report.spanMs} ms)`);
  assert.equal(code, 0);
  assert.equal(stderr, '');
  const table = await cliIn(ns, ['doctor', '--duration', '0.5', '--interval', '0.5']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^No problem found; looks: 2 over 0\.5 s\.\n$/);
});

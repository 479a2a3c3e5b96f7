// fd-limit, for real: a process started under `prlimit --nofile=64:64` that
// holds a listening socket and files up to 60 open descriptors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actor, doctorIn, kindsOf, netns, ofKind } from './doctor-scene.js';

const HOG = `
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 7106)); s.listen(8)
files = []
for i in range(200):
    if len(os.listdir('/proc/self/fd')) - 1 >= 60: break
    files.append(open('/dev/null'))
emit(open=len(os.listdir('/proc/self/fd')) - 1)
hold()
`;

test('fd-limit: a process with 60 of its 64 file descriptors open', async (t) => {
  const ns = netns(t);
  const hog = actor(t, ns, 'hog', HOG, ['prlimit', '--nofile=64:64']);
  const open = (await hog.message('open'))['open'] as number;
  assert.equal(open, 60);
  const { report, code } = await doctorIn(ns, ['--duration', '0']);
  const found = ofKind(report, 'fd-limit');
  assert.equal(found.length, 1, kindsOf(report));
  const f = found[0]!;
  assert.equal(f.severity, 'warning', '60/64 is past fd-ratio 0.8, short of fd-critical-ratio 0.95');
  assert.equal(f.evidence['open'], 60);
  assert.equal(f.evidence['limit'], 64);
  assert.deepEqual(f.subject.processes?.map((p) => p.pid), [hog.pid]);
  assert.equal(f.subject.processes?.[0]?.name, 'python3');
  assert.equal(code, 1);
  // With the critical line at 0.9, the same process is critical.
  const { report: strict } = await doctorIn(ns, ['--duration', '0', '--threshold', 'fd-critical-ratio=0.9']);
  assert.equal(ofKind(strict, 'fd-limit')[0]?.severity, 'critical', kindsOf(strict));
});

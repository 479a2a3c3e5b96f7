// Holders carry the container and unit of their process (ProcessTable, shared
// by the scan and the live tracker), and --container / --unit filter on them:
// library Filter, CLI flags, the live view's `/` tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ProcessTable } from '../../src/collectors/procfs/process-info.js';
import { matches } from '../../src/model/filter.js';
import type { Holder, Socket } from '../../src/model/socket.js';
import { parseFilterText, matchesText } from '../../src/views/tui/filter-text.js';
import { FIXTURES, runCli } from '../helpers.js';

const tree = (scenario: string): string => join(FIXTURES, 'cgroup', scenario, 'proc');

test('ProcessTable: holders of a recorded Docker tree carry container and unit', () => {
  const procs = new ProcessTable(tree('docker-v2'), '/nonexistent/passwd');
  const web = procs.holder(4100, 3);
  assert.equal(web.name, 'nginx');
  assert.deepEqual(web.container, { runtime: 'docker', id: web.container!.id, name: 'web-1' });
  assert.equal(web.unit, undefined);
  const proxy = procs.holder(950, 4);
  assert.equal(proxy.container, undefined);
  assert.equal(proxy.unit, 'docker.service');
  // One read per process: the second fd shares the first's container object.
  assert.equal(procs.holder(4100, 7).container, web.container);
  assert.equal(procs.get(4100).container, web.container);
});

test('ProcessTable: a process without a cgroup file has neither field (plain machines stay as they were)', () => {
  const procs = new ProcessTable(join(FIXTURES, 'proc', 'dualstack-udp'), '/nonexistent/passwd');
  for (const pid of [4242, 4243, 4999]) {
    const h = procs.holder(pid, 3);
    assert.ok(!('container' in h) && !('unit' in h), `pid ${pid}`);
  }
});

const ID = 'b635b2348375060a91938f791c840525a5680bec080d75c3d4086c93943b2721';
const sock = (holders: Holder[]): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0,
  state: 'LISTEN', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders,
});
const inWeb = sock([{ pid: 7, fd: 3, name: 'nginx', container: { runtime: 'podman', id: ID, name: 'Web-1' } }]);
const inPod = sock([{ pid: 8, fd: 3, name: 'envoy', container: { runtime: 'kubernetes', id: ID, name: 'envoy', pod: { uid: 'u', name: 'gateway-0' } } }]);
const inUnit = sock([{ pid: 9, fd: 3, name: 'nginx', unit: 'nginx.service' }]);
const plain = sock([{ pid: 10, fd: 3, name: 'nginx' }]);

test('Filter.containers: name (case-insensitive), pod name, id prefix, runtime:id prefix', () => {
  for (const w of ['web-1', 'WEB-1', 'b635b234', 'podman:b635', 'B635B2348375']) assert.ok(matches({ containers: [w] }, inWeb), w);
  for (const w of ['web', 'docker:b635', '635b', 'nginx']) assert.ok(!matches({ containers: [w] }, inWeb), w);
  assert.ok(matches({ containers: ['gateway-0'] }, inPod));
  assert.ok(matches({ containers: ['envoy'] }, inPod));
  assert.ok(!matches({ containers: ['web-1'] }, plain));
  assert.ok(!matches({ containers: ['web-1'] }, inUnit));
  assert.ok(matches({ containers: ['nope', 'web-1'] }, inWeb), 'several values widen');
});

test('Filter.units: a prefix of the unit name, case-insensitive', () => {
  for (const w of ['nginx', 'nginx.service', 'NGINX']) assert.ok(matches({ units: [w] }, inUnit), w);
  assert.ok(!matches({ units: ['apache'] }, inUnit));
  assert.ok(!matches({ units: ['nginx'] }, plain));
  assert.ok(!matches({ units: ['nginx'], containers: ['web-1'] }, inUnit), 'kinds narrow');
});

test('live view `/` text: container:X and unit:X tokens', () => {
  const tf = parseFilterText('container:web-1 unit:nginx');
  assert.deepEqual(tf.filter.containers, ['web-1']);
  assert.deepEqual(tf.filter.units, ['nginx']);
  assert.ok(matchesText(parseFilterText('container:web-1'), inWeb));
  assert.ok(!matchesText(parseFilterText('container:web-1'), plain));
  assert.ok(matchesText(parseFilterText('unit:nginx'), inUnit));
  assert.ok(!matchesText(parseFilterText('unit:nginx 443'), inUnit), 'and the port narrows');
});

test('CLI: --container and --unit are filters of list; an empty item is a usage error', () => {
  const r = runCli(['list', '--container', 'sockscope-no-such-container-x', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), []);
  const u = runCli(['list', '--unit', 'sockscope-no-such-unit.service', '--json']);
  assert.deepEqual(JSON.parse(u.out), []);
  const bad = runCli(['list', '--container', 'a,']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--container/);
  assert.doesNotMatch(bad.err, /at .*\.js/);
});

test('Filter.containers: a host port kept for the container (docker-proxy, conmon) is the container\'s too', () => {
  const kept = sock([{ pid: 11, fd: 5, name: 'conmon' }]);
  kept.published = { via: 'conmon', container: { runtime: 'podman', id: ID, name: 'web-1' }, containerPort: 8080 };
  assert.ok(matches({ containers: ['web-1'] }, kept));
  assert.ok(!matches({ containers: ['other'] }, kept));
  assert.ok(!matches({ units: ['web-1'] }, kept));
});

test('pid N on a recorded tree: the title says the container, else the unit (en + zh-CN)', () => {
  const proc = join(FIXTURES, 'cgroup', 'docker-v2', 'proc');
  assert.match(runCli(['--proc-root', proc, 'pid', '4100']).out.split('\n')[0]!, /^PID 4100 {2}nginx {2}in container web-1 \(docker f31f384749f9\)$/);
  assert.match(runCli(['--proc-root', proc, 'pid', '900']).out.split('\n')[0]!, /^PID 900 {2}dockerd {2}unit docker\.service$/);
  assert.match(runCli(['--proc-root', proc, '--lang', 'zh-CN', 'pid', '4100']).out, /在容器 web-1（docker f31f384749f9）里/);
  // A process in neither: the title as it was.
  assert.match(runCli(['--proc-root', join(FIXTURES, 'proc', 'dualstack-udp'), 'pid', '4242']).out.split('\n')[0]!, /^PID 4242 {2}\S+( {2}user \S+)?$/);
});

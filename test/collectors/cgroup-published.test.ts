// Published ports: a host listener held by docker-proxy, rootlessport or
// podman's conmon is marked with the container and the port it leads to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessTable } from '../../src/collectors/procfs/process-info.js';
import { annotatePublished, parseConmon, parseDockerProxy } from '../../src/collectors/netns/published.js';
import type { Holder, Socket } from '../../src/model/socket.js';
import { FIXTURES } from '../helpers.js';

const listener = (port: number, holders: Holder[], state: Socket['state'] = 'LISTEN'): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: port, remoteAddress: '0.0.0.0', remotePort: 0,
  state, recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders,
});

test('parseDockerProxy and parseConmon read the forwarders\' command lines', () => {
  assert.deepEqual(parseDockerProxy('/usr/bin/docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port 8080 -container-ip 172.17.0.2 -container-port 80'),
    { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerIp: '172.17.0.2', containerPort: 80 });
  assert.deepEqual(parseDockerProxy('docker-proxy -container-port 99999 -use-listen-fd'), {});
  assert.equal(parseDockerProxy('/usr/bin/python3 docker-proxy -host-port 1'), undefined);
  const id = 'b635b2348375060a91938f791c840525a5680bec080d75c3d4086c93943b2721';
  assert.deepEqual(parseConmon(`/usr/bin/conmon --api-version 1 -c ${id} -u ${id} -r /usr/bin/runc -n web-1 --exit-dir /run/libpod/exits`), { id, name: 'web-1' });
  assert.equal(parseConmon('/usr/bin/conmon -c not-an-id -n x'), undefined);
  assert.equal(parseConmon(`/usr/bin/nginx -c ${id}`), undefined);
});

test('docker-proxy listeners: container by its address in docker\'s records, port from the command line', () => {
  const dir = join(FIXTURES, 'cgroup', 'docker-v2');
  const procs = new ProcessTable(join(dir, 'proc'), '/nonexistent');
  const named = listener(8080, [procs.holder(950, 4)]);
  const unknown = listener(9000, [procs.holder(951, 4)]);
  const plain = listener(80, [procs.holder(4100, 6)]);
  const sockets = [named, unknown, plain];
  annotatePublished(sockets, join(dir, 'proc'));
  assert.deepEqual(named.published, {
    via: 'docker-proxy', containerAddress: '172.17.0.2', containerPort: 80,
    container: { runtime: 'docker', id: 'f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb', name: 'web-1' },
  });
  assert.deepEqual(unknown.published, { via: 'docker-proxy', containerAddress: '172.17.0.9', containerPort: 9000 });
  assert.equal(plain.published, undefined);
});

test('conmon listener recorded live: podman container named from conmon and its port from podman\'s database', () => {
  const dir = join(FIXTURES, 'cgroup', 'podman-hybrid');
  const id = (JSON.parse(readFileSync(join(dir, 'var/lib/containers/storage/overlay-containers/containers.json'), 'utf8')) as { id: string }[])[0]!.id;
  const procs = new ProcessTable(join(dir, 'proc'), '/nonexistent');
  const s = listener(18431, [procs.holder(7744, 5)]);
  const other = listener(18432, [procs.holder(7744, 6)]);
  // A connection conmon would hold is no published port; nor is the container's own listener.
  const conn = listener(18431, [procs.holder(7744, 7)], 'ESTABLISHED');
  const inside = listener(8080, [procs.holder(7760, 3)]);
  annotatePublished([s, other, conn, inside], join(dir, 'proc'));
  assert.equal(s.holders[0]!.name, 'conmon');
  assert.deepEqual(s.published, { via: 'conmon', container: { runtime: 'podman', id, name: 'ssc-probe-web' }, containerPort: 8080 });
  // A port the database does not record: the container still, its port unknown.
  assert.deepEqual(other.published, { via: 'conmon', container: { runtime: 'podman', id, name: 'ssc-probe-web' } });
  assert.equal(conn.published, undefined);
  assert.equal(inside.published, undefined);
  assert.deepEqual(inside.holders[0]!.container, { runtime: 'podman', id, name: 'ssc-probe-web' });
});

test('a process merely named conmon, with no container to show, is not taken for podman\'s', () => {
  const s = listener(5000, [{ pid: 1, fd: 3, name: 'conmon', command: 'conmon --serve' }]);
  annotatePublished([s], '/nonexistent/proc');
  assert.equal(s.published, undefined);
  const r = listener(5001, [{ pid: 2, fd: 3, name: 'rootlessport', command: 'rootlessport' }]);
  annotatePublished([r], '/nonexistent/proc');
  assert.deepEqual(r.published, { via: 'rootlessport' }, 'rootlessport is podman\'s; which container is unknown without its records');
});

test('JSON: "published" after the holders, the same from the fast writer and toJson', async () => {
  const { socketJson, toJson } = await import('../../src/views/table.js');
  const s = listener(8080, [{ pid: 9, fd: 4, name: 'docker-proxy', unit: 'docker.service' }]);
  s.published = { via: 'docker-proxy', containerAddress: '172.17.0.2', containerPort: 80, container: { runtime: 'docker', id: 'a'.repeat(64), name: 'web\u001b[31m' } };
  const fast = socketJson(s, new Map());
  assert.deepEqual(JSON.parse(fast), JSON.parse(JSON.stringify(toJson(s))));
  assert.ok(fast.indexOf('"published"') > fast.indexOf('"holders"'));
  assert.ok(!fast.includes('\u001b'), 'a container name is escaped in JSON text');
  assert.equal((JSON.parse(fast) as { holders: Holder[] }).holders[0]!.unit, 'docker.service');
});

test('NAT-only publishing: Docker\'s records of running containers, once per container port; port N says it on a free port', async () => {
  const { natPublished } = await import('../../src/collectors/netns/published.js');
  const { runCli } = await import('../helpers.js');
  const proc = join(FIXTURES, 'cgroup', 'docker-v2', 'proc');
  const n = natPublished(proc, 9100);
  assert.equal(n.length, 1, 'two bindings (0.0.0.0 and ::) of one container, and a stopped container: one entry');
  assert.deepEqual({ ...n[0], hostIp: undefined }, {
    container: { runtime: 'docker', id: '99884424f32e8039dc5f6e0a7da484936ddc4c9fed9906ca8674f470fb3efa0b', name: 'metrics' },
    hostIp: undefined, hostPort: 9100, containerPort: 9100, protocol: 'tcp' });
  assert.deepEqual(natPublished(proc, 9100, 'udp'), []);
  assert.deepEqual(natPublished(proc, 9101), [], 'a port the container exposes without publishing');
  assert.deepEqual(natPublished('/nonexistent/proc', 9100), []);
  const r = runCli(['--proc-root', proc, 'port', '9100']);
  assert.equal(r.code, 1, 'free on the host: no socket holds it');
  assert.match(r.out, /free/);
  assert.match(r.out, /Yet container metrics \(docker 99884424f32e\) publishes tcp port 9100 of this host with NAT rules alone/);
  assert.doesNotMatch(runCli(['--proc-root', proc, 'port', '9101']).out, /NAT/);
  const zh = runCli(['--proc-root', proc, '--lang', 'zh-CN', 'port', '9100']);
  assert.match(zh.out, /不过容器 metrics（docker 99884424f32e）仅用 NAT 规则发布了本机的 tcp 端口 9100/);
});

// Units and containers from /proc/PID/cgroup and the runtimes' records:
// the pure parser on every layout, then OwnerResolver on recorded trees
// (test/fixtures/cgroup/<scenario>/, expected owners in meta.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnerResolver, parseCgroup } from '../../src/collectors/netns/cgroup.js';
import { defaultRuntimeRoots, parseContainerLogName, parseDockershimName, parsePodLogDir, parsePodmanPorts, RuntimeState } from '../../src/collectors/netns/runtimes.js';
import { FIXTURES } from '../helpers.js';

const ID = 'b635b2348375060a91938f791c840525a5680bec080d75c3d4086c93943b2721';

test('parseCgroup: systemd units, v2 and v1', () => {
  assert.deepEqual(parseCgroup('0::/system.slice/nginx.service\n'), { unit: 'nginx.service', path: '/system.slice/nginx.service' });
  assert.equal(parseCgroup('0::/user.slice/user-1000.slice/session-3.scope\n').unit, 'session-3.scope');
  assert.equal(parseCgroup('0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.service\n').unit, 'app-foo.service');
  // Deepest unit, even below it a plain sub-cgroup.
  assert.equal(parseCgroup('0::/system.slice/postgresql@16-main.service/sub\n').unit, 'postgresql@16-main.service');
  // Slices group units; a process in a slice or the root has no unit.
  assert.deepEqual(parseCgroup('0::/system.slice\n'), { path: '/system.slice' });
  assert.deepEqual(parseCgroup('0::/\n'), { path: '/' });
  // v1: the unit is in systemd's own hierarchy.
  assert.equal(parseCgroup('4:memory:/\n1:name=systemd:/system.slice/cron.service\n0::/\n').unit, 'cron.service');
  // No systemd at all: controllers' paths that name no unit.
  assert.deepEqual(parseCgroup('4:memory:/process_api/77855657093df8d17cdc7283d5507ea5\n0::/\n'), { path: '/' });
});

test('parseCgroup: docker, containerd, podman (and conmon is not the container)', () => {
  assert.deepEqual(parseCgroup(`0::/system.slice/docker-${ID}.scope\n`).container, { runtime: 'docker', id: ID });
  // The container's own scope is not reported again as its unit.
  assert.equal(parseCgroup(`0::/system.slice/docker-${ID}.scope\n`).unit, undefined);
  assert.deepEqual(parseCgroup(`4:memory:/docker/${ID}\n1:name=systemd:/docker/${ID}\n`).container, { runtime: 'docker', id: ID });
  assert.deepEqual(parseCgroup(`0::/system.slice/cri-containerd-${ID}.scope\n`).container, { runtime: 'containerd', id: ID });
  assert.deepEqual(parseCgroup('0::/containerd/my-ctr\n').container, { runtime: 'containerd', id: 'my-ctr' });
  assert.deepEqual(parseCgroup(`0::/machine.slice/libpod-${ID}.scope/container\n`).container, { runtime: 'podman', id: ID });
  const hybrid = `9:name=systemd:/libpod_parent/libpod-${ID}\n4:memory:/libpod_parent/libpod-${ID}\n0::/libpod_parent/libpod-${ID}\n`;
  assert.deepEqual(parseCgroup(hybrid), { container: { runtime: 'podman', id: ID }, path: `/libpod_parent/libpod-${ID}` });
  const conmon = parseCgroup(`0::/machine.slice/libpod-conmon-${ID}.scope\n`);
  assert.equal(conmon.container, undefined);
  assert.equal(conmon.unit, undefined, 'conmon runs beside the container, in no unit of its own worth naming');
  assert.equal(parseCgroup('9:name=systemd:/\n8:pids:/libpod_parent/conmon\n0::/\n').container, undefined);
  // Not ids: too short, wrong characters, a docker.service process.
  assert.equal(parseCgroup('0::/system.slice/docker-abc.scope\n').container, undefined);
  assert.equal(parseCgroup(`0::/docker/${ID.toUpperCase()}\n`).container, undefined);
  assert.deepEqual(parseCgroup('0::/system.slice/docker.service\n'), { unit: 'docker.service', path: '/system.slice/docker.service' });
});

test('parseCgroup: Kubernetes pods (systemd and cgroupfs drivers, containerd, cri-o, docker)', () => {
  const uid = '6f1b2c3d-1111-4a2b-9c3d-0123456789ab';
  const sd = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`;
  assert.deepEqual(parseCgroup(`0::${sd}/cri-containerd-${ID}.scope\n`).container, { runtime: 'kubernetes', id: ID, pod: { uid } });
  assert.deepEqual(parseCgroup(`0::${sd}/crio-${ID}.scope\n`).container, { runtime: 'kubernetes', id: ID, pod: { uid } });
  assert.deepEqual(parseCgroup(`0::${sd}/docker-${ID}.scope\n`).container, { runtime: 'kubernetes', id: ID, pod: { uid } });
  assert.equal(parseCgroup(`0::${sd}/crio-conmon-${ID}.scope\n`).container, undefined);
  assert.deepEqual(parseCgroup(`0::/kubepods.slice/kubepods-pod${uid.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope\n`).container,
    { runtime: 'kubernetes', id: ID, pod: { uid } });
  assert.deepEqual(parseCgroup(`3:memory:/kubepods/besteffort/pod${uid}/${ID}\n`).container, { runtime: 'kubernetes', id: ID, pod: { uid } });
  // kind / docker-in-docker: the innermost container is the one that runs the process.
  const other = 'a'.repeat(64);
  assert.deepEqual(parseCgroup(`0::/docker/${other}/kubepods/burstable/pod${uid}/${ID}\n`).container, { runtime: 'kubernetes', id: ID, pod: { uid } });
  // The kind node's own processes: its container, not a pod's.
  assert.deepEqual(parseCgroup(`0::/docker/${other}/kubepods/burstable\n`).container, { runtime: 'docker', id: other });
  assert.deepEqual(parseCgroup(`0::/docker/${other}/system.slice/kubelet.service\n`), { container: { runtime: 'docker', id: other }, unit: 'kubelet.service', path: `/docker/${other}/system.slice/kubelet.service` });
});

test('parseCgroup: LXC, systemd-nspawn, libvirt', () => {
  assert.deepEqual(parseCgroup('0::/lxc.payload.web01/system.slice/apache2.service\n'),
    { container: { runtime: 'lxc', id: 'web01', name: 'web01' }, unit: 'apache2.service', path: '/lxc.payload.web01/system.slice/apache2.service' });
  assert.deepEqual(parseCgroup('4:memory:/lxc/old-box\n').container, { runtime: 'lxc', id: 'old-box', name: 'old-box' });
  assert.equal(parseCgroup('0::/lxc.monitor.web01\n').container, undefined);
  assert.deepEqual(parseCgroup('0::/machine.slice/machine-build\\x2dbox.scope/payload\n').container, { runtime: 'nspawn', id: 'build-box', name: 'build-box' });
  assert.equal(parseCgroup('0::/machine.slice/machine-qemu\\x2d1\\x2dwin11.scope/emulator\n').container, undefined);
});

test('parseCgroup: junk and hostile text never throws and names nothing', () => {
  for (const text of ['', '\n\n', 'garbage', '0::', '::::', '0::relative/path\n', `0::/${'x'.repeat(100_000)}\n`,
    `0::/docker/../../${ID}\n`.replace('../../', '..\n'), '0::/system.slice/\u001b[31mevil.service\n']) {
    const r = parseCgroup(text);
    assert.equal(typeof r.path, 'string');
    assert.equal(r.container, undefined, JSON.stringify(text.slice(0, 40)));
  }
});

test('runtime record parsers: kubelet log names, dockershim names, podman database', () => {
  assert.deepEqual(parseContainerLogName(`web-1_shop_nginx-${ID}.log`), { pod: 'web-1', namespace: 'shop', container: 'nginx', id: ID });
  assert.equal(parseContainerLogName('web-1_shop_nginx.log'), undefined);
  assert.deepEqual(parsePodLogDir('kube-system_coredns-5d7_6f1b2c3d-1111-4a2b-9c3d-0123456789ab'),
    { namespace: 'kube-system', pod: 'coredns-5d7', uid: '6f1b2c3d-1111-4a2b-9c3d-0123456789ab' });
  assert.deepEqual(parseDockershimName('k8s_nginx_web-1_shop_6f1b2c3d_0'), { container: 'nginx', pod: 'web-1', namespace: 'shop', uid: '6f1b2c3d' });
  assert.equal(parseDockershimName('web-1'), undefined);
  const db = `\x00\x01config{"spec":{"x":1},"id":"${ID}","name":"w","newPortMappings":[{"host_ip":"127.0.0.1","container_port":8080,"host_port":18431,"range":2,"protocol":"tcp,udp"}]}\x00\x02`;
  assert.deepEqual(parsePodmanPorts(db).get(ID), [
    { hostIp: '127.0.0.1', hostPort: 18431, containerPort: 8080, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 18432, containerPort: 8081, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 18431, containerPort: 8080, protocol: 'udp' },
    { hostIp: '127.0.0.1', hostPort: 18432, containerPort: 8081, protocol: 'udp' },
  ]);
  // An id across a record boundary (a control byte between) is not this record's.
  assert.equal(parsePodmanPorts(`"id":"${ID}"\x00\x03{"newPortMappings":[]}`).size, 0);
});

interface Meta { description: string; source: string; expected: Record<string, { unit?: string; container?: unknown }> }

const SCENARIOS = readdirSync(join(FIXTURES, 'cgroup')).sort();

test('recorded trees cover every runtime on cgroup v1, v2 and hybrid layouts', () => {
  for (const want of ['systemd-v1', 'systemd-v2', 'docker-v1', 'docker-v2', 'containerd-v2', 'podman-hybrid', 'podman-rootless-v2', 'kubernetes-v1', 'kubernetes-v2', 'lxc-nspawn-v2']) {
    assert.ok(SCENARIOS.includes(want), want);
  }
});

for (const scenario of SCENARIOS) {
  test(`OwnerResolver on recorded tree ${scenario}`, () => {
    const dir = join(FIXTURES, 'cgroup', scenario);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    const r = new OwnerResolver(join(dir, 'proc'));
    const pids = Object.keys(meta.expected);
    assert.ok(pids.length > 0);
    for (const pid of pids) {
      assert.deepEqual({ ...r.ownerOf(Number(pid)) }, meta.expected[pid], `${scenario} pid ${pid}`);
    }
    // Every pid directory of the tree has an expectation.
    assert.deepEqual(readdirSync(join(dir, 'proc')).filter((n) => /^\d+$/.test(n)).sort(), pids.sort());
  });
}

test('OwnerResolver: one ContainerRef per container, cached; a gone pid is an empty answer', () => {
  const dir = join(FIXTURES, 'cgroup', 'docker-v1');
  const r = new OwnerResolver(join(dir, 'proc'));
  const a = r.ownerOf(5100);
  const b = r.ownerOf(5200);
  assert.equal(a.container, b.container, 'the same object for both processes of container db');
  assert.equal(r.ownerOf(5100), a, 'cached per pid');
  assert.deepEqual(r.ownerOf(424242), {});
});

test('OwnerResolver: hostile trees (cgroup a directory, a FIFO-free symlink loop, a huge file, ids with ../) never throw', () => {
  const root = mkdtempSync(join(tmpdir(), 'ssc-cgroup-'));
  try {
    const proc = join(root, 'proc');
    mkdirSync(join(proc, '10', 'cgroup'), { recursive: true });
    mkdirSync(join(proc, '11'), { recursive: true });
    symlinkSync(join(proc, '11', 'cgroup'), join(proc, '11', 'cgroup'));
    mkdirSync(join(proc, '12'), { recursive: true });
    writeFileSync(join(proc, '12', 'cgroup'), `0::/system.slice/docker-${ID}.scope\n`.padStart(200_000, '/'));
    mkdirSync(join(proc, '13'), { recursive: true });
    writeFileSync(join(proc, '13', 'cgroup'), `0::/containerd/..\n`);
    // A docker config that is a directory and a containers.json that is not JSON.
    mkdirSync(join(root, 'var/lib/docker/containers', ID, 'config.v2.json'), { recursive: true });
    mkdirSync(join(root, 'var/lib/containers/storage/overlay-containers'), { recursive: true });
    writeFileSync(join(root, 'var/lib/containers/storage/overlay-containers/containers.json'), '[{"id":');
    mkdirSync(join(proc, '14'), { recursive: true });
    writeFileSync(join(proc, '14', 'cgroup'), `0::/system.slice/docker-${ID}.scope\n`);
    const r = new OwnerResolver(proc);
    assert.deepEqual(r.ownerOf(10), {});
    assert.deepEqual(r.ownerOf(11), {});
    // Cut at 64 KiB mid-line: the partial line is dropped, not read as a path.
    assert.deepEqual(r.ownerOf(12), {});
    assert.deepEqual(r.ownerOf(13), {});
    assert.deepEqual(r.ownerOf(14), { container: { runtime: 'docker', id: ID } });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defaultRuntimeRoots: the machine for /proc, a recorded tree\'s own files, nothing for other roots', () => {
  assert.equal(defaultRuntimeRoots('/proc').docker[0], '/var/lib/docker');
  assert.equal(defaultRuntimeRoots('/host/proc/').docker[0], '/host/var/lib/docker');
  assert.deepEqual(defaultRuntimeRoots('/tmp/some-tree').docker, []);
  // Names go through the state only by a safe id.
  const st = new RuntimeState(defaultRuntimeRoots(join(FIXTURES, 'cgroup', 'docker-v2', 'proc')));
  assert.deepEqual(st.name({ runtime: 'docker', id: '../../etc' }), { runtime: 'docker', id: '../../etc' });
});

test('podman database recorded live: the published port of container ssc-probe-web', () => {
  const dir = join(FIXTURES, 'cgroup', 'podman-hybrid');
  const id = (JSON.parse(readFileSync(join(dir, 'var/lib/containers/storage/overlay-containers/containers.json'), 'utf8')) as { id: string }[])[0]!.id;
  const st = new RuntimeState(defaultRuntimeRoots(join(dir, 'proc')));
  assert.deepEqual(st.podmanPorts(id), [{ hostIp: '127.0.0.1', hostPort: 18431, containerPort: 8080, protocol: 'tcp' }]);
  assert.equal(st.podmanPorts('f'.repeat(64)), undefined);
});

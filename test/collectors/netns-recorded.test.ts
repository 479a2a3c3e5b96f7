// Network namespaces on a recorded /proc tree (test/fixtures/proc/netns):
//   host 4026531840: pids 1 (systemd), 100 (python3 host.py; also holds a socket of blue, fd 4)
//   blue 4026532500: pids 200 (python3), 201 (nginx), named by run/netns/blue; both hold its listener on 8080
//   4026532600: no process, kept by run/docker/netns/0123abcd
//   pid 300: its ns/net link is missing (unreadable); run/netns/stale is a plain file (no namespace)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discoverNetns, parseNsLink } from '../../src/collectors/netns/discover.js';
import { selectNetns, isNetnsToken } from '../../src/collectors/netns/select.js';
import { LinuxCollector, planNamespaces } from '../../src/collectors/linux.js';
import { FIXTURES } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'netns');
const ctx = { procRoot: tree, passwdPath: join(tree, 'passwd'), euid: 0, now: () => 1_700_000_000_000 };
const HOST = 4026531840;
const BLUE = 4026532500;
const DOCKER = 4026532600;

test('parseNsLink reads net:[N] and nothing else', () => {
  assert.equal(parseNsLink('net:[4026531840]'), 4026531840);
  assert.equal(parseNsLink('pid:[4026531836]'), undefined);
  assert.equal(parseNsLink('net:[99999999999]'), undefined);
  assert.equal(parseNsLink('net:[12] '), undefined);
  assert.equal(parseNsLink('net:[0]'), undefined);
});

test('discovery: every namespace, the host first, names from bind mounts, processes per namespace', () => {
  const d = discoverNetns(tree);
  assert.equal(d.host, HOST);
  assert.equal(d.own, HOST);
  assert.deepEqual(d.namespaces.map((n) => n.inode), [HOST, BLUE, DOCKER]);
  const [host, blue, docker] = d.namespaces;
  assert.deepEqual(host, { inode: HOST, pids: [1, 100], host: true });
  assert.equal(blue!.name, 'blue');
  assert.equal(blue!.nameSource, 'ip-netns');
  assert.equal(blue!.mount, join(tree, 'run/netns/blue'));
  assert.deepEqual(blue!.pids, [200, 201]);
  assert.equal(blue!.host, false);
  assert.equal(docker!.name, '0123abcd');
  assert.equal(docker!.nameSource, 'docker');
  assert.deepEqual(docker!.pids, []);
  // pid 300's link is missing: counted, in no namespace; the plain file "stale" names nothing.
  assert.equal(d.unreadable, 1);
  assert.equal(d.byPid.get(300), undefined);
  assert.equal(d.byPid.get(201), BLUE);
  assert.ok(!d.namespaces.some((n) => n.name === 'stale'));
});

test('discovery never throws: a proc root that does not exist gives nothing', () => {
  const d = discoverNetns(join(tree, 'no-such-dir'));
  assert.deepEqual(d.namespaces, []);
  assert.equal(d.host, undefined);
  assert.equal(d.own, undefined);
});

test('selection: host, all, a name, an inode, pid:N; unknown tokens are reported', () => {
  const d = discoverNetns(tree);
  const inodes = (t: string[]) => selectNetns(d, t).chosen.map((n) => n.inode);
  assert.deepEqual(inodes(['all']), [HOST, BLUE, DOCKER]);
  assert.deepEqual(inodes(['host']), [HOST]);
  assert.deepEqual(inodes(['blue']), [BLUE]);
  assert.deepEqual(inodes([String(DOCKER)]), [DOCKER]);
  assert.deepEqual(inodes(['pid:201']), [BLUE]);
  assert.deepEqual(inodes(['self']), [HOST]);
  assert.deepEqual(inodes(['blue', 'host']), [HOST, BLUE]);
  assert.deepEqual(selectNetns(d, ['nope', 'pid:300']).unknown, ['nope', 'pid:300']);
  assert.ok(isNetnsToken('pid:12') && !isNetnsToken('pid:x') && !isNetnsToken('a/b') && !isNetnsToken(''));
  // The plan: our own namespace read the usual way, the others from inside, one NetnsRef each.
  const plan = planNamespaces(d, ['blue']);
  assert.equal(plan.readOwn, false);
  assert.deepEqual(plan.others.map((n) => n.inode), [BLUE]);
  assert.deepEqual(plan.refs.get(BLUE), { inode: BLUE, name: 'blue' });
  assert.deepEqual(plan.refs.get(HOST), { inode: HOST, host: true });
});

test('collector: every namespace read, same port in two namespaces, holders joined across namespaces', async () => {
  const snap = await new LinuxCollector(ctx).collect({ source: 'proc' });
  // One NetnsRef object per namespace, shared by its sockets.
  const byInode = new Map(snap.sockets.map((s) => [s.inode, s]));
  const hostL = byInode.get(5001)!;
  const blueL = byInode.get(6001)!;
  assert.equal(hostL.localPort, 8080);
  assert.equal(blueL.localPort, 8080);
  assert.deepEqual(hostL.netns, { inode: HOST, host: true });
  assert.deepEqual(blueL.netns, { inode: BLUE, name: 'blue' });
  assert.equal(blueL.netns, byInode.get(6002)!.netns, 'one shared object per namespace');
  assert.deepEqual(hostL.holders.map((h) => h.pid), [100]);
  assert.deepEqual(blueL.holders.map((h) => `${h.pid}/${h.name}`), ['200/python3', '201/nginx']);
  // A socket of blue passed to a host process: both holders, whatever namespace they live in.
  assert.deepEqual(byInode.get(6002)!.holders.map((h) => `${h.pid}:${h.fd}`), ['100:4', '200:4']);
  // blue's connection without an inode is explained by blue's own listener on 8080.
  const pending = snap.sockets.find((s) => s.inode === 0 && s.remotePort === 40001)!;
  assert.equal(pending.unheldReason, 'not-accepted');
  assert.deepEqual(snap.namespaces, [
    { inode: HOST, host: true, processes: 2, source: 'proc' },
    { inode: BLUE, host: false, processes: 2, name: 'blue', source: 'proc' },
    { inode: DOCKER, host: false, processes: 0, name: '0123abcd', error: 'no visible process is in it' },
  ]);
  assert.equal(snap.backlogKnown, false);
});

test('collector: --netns narrows what is read', async () => {
  const only = await new LinuxCollector(ctx).collect({ source: 'proc', netns: ['blue'] });
  assert.ok(only.sockets.length > 0);
  assert.ok(only.sockets.every((s) => s.netns?.inode === BLUE));
  assert.deepEqual(only.namespaces?.map((n) => n.inode), [BLUE]);
  const host = await new LinuxCollector(ctx).collect({ source: 'proc', netns: ['host'] });
  assert.deepEqual([...new Set(host.sockets.map((s) => s.netns?.inode))], [HOST]);
});

test('a tree without namespace links reads as before: no netns, no namespaces', async () => {
  const old = join(FIXTURES, 'proc', 'dualstack-udp');
  const snap = await new LinuxCollector({ ...ctx, procRoot: old, passwdPath: join(old, 'passwd') }).collect({ source: 'proc' });
  assert.ok(snap.sockets.length > 0);
  assert.ok(snap.sockets.every((s) => s.netns === undefined));
  assert.equal(snap.namespaces, undefined);
});

test('a namespace is named by its container only when every process in it belongs to that one', async () => {
  const { containerOf } = await import('../../src/collectors/linux.js');
  const web = { runtime: 'docker' as const, id: 'a'.repeat(64), name: 'web-1' };
  const db = { runtime: 'docker' as const, id: 'b'.repeat(64), name: 'db-1' };
  const owners = (m: Record<number, typeof web | undefined>) => ({ ownerOf: (pid: number) => ({ container: m[pid] }) });
  assert.equal(containerOf({ pids: [1, 2] }, owners({ 1: web, 2: web })), web);
  assert.equal(containerOf({ pids: [1, 2] }, owners({ 1: web, 2: db })), undefined, 'two containers share it (a pod)');
  assert.equal(containerOf({ pids: [1, 2] }, owners({ 1: web, 2: undefined })), undefined, 'a process of no container in it');
  assert.equal(containerOf({ pids: [] }, owners({})), undefined);
});

test('compatRequest: a v2 dump request in the older both-families TCP form, port filter kept', async () => {
  const { compatRequest } = await import('../../src/collectors/netns/table.js');
  const { encodeDumpRequest } = await import('../../src/collectors/sockdiag/codec.js');
  const v2 = encodeDumpRequest({ family: 2, protocol: 6, states: 1 << 10, info: true, ports: [8080], seq: 77 });
  const c = compatRequest(v2);
  assert.equal(c.readUInt32LE(0), c.length);
  assert.equal(c.readUInt16LE(4), 18, 'TCPDIAG_GETSOCK');
  assert.equal(c.readUInt16LE(6), v2.readUInt16LE(6), 'same flags (a dump)');
  assert.equal(c.readUInt32LE(8), 77, 'same seq');
  assert.equal(c[16], 0, 'AF_UNSPEC: both families');
  assert.equal(c[19], v2[18], 'same extensions');
  assert.equal(c.readUInt32LE(16 + 52), 1 << 10, 'same states');
  assert.deepEqual(c.subarray(16 + 4, 16 + 52), v2.subarray(16 + 8, 16 + 56), 'same socket id');
  assert.deepEqual(c.subarray(16 + 60), v2.subarray(16 + 56), 'same bytecode attribute');
  assert.equal(c.length, v2.length + 4);
});

// The macOS collector through the whole CLI on recorded `netstat -anv` output
// (test/fixtures/macos/*/meta.json), the netstat x lsof join on a pair from one
// machine, and the ps reader (the same keywords as BSD ps) live on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';
import { rows, runAs } from './helpers.js';
import { applyListenQueues, joinNetstatLsof, parseNetstatListenQueues, tupleKey } from '../../src/collectors/macos.js';
import { parseMacosNetstat } from '../../src/collectors/text/macos-netstat.js';
import { parseLsof } from '../../src/collectors/text/lsof.js';
import { parseLstart, parsePsInfoLine, psFindProcesses, psProcessInfo } from '../../src/collectors/ps.js';
import { systemExec } from '../../src/collectors/exec.js';

test('overview on macOS before 10.15 (pid column): 13 listeners by pid, lsof and the UDP table missing are said, not hidden', () => {
  const r = runAs('darwin', 'macos/anvp-listeners-10x', []);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\?\s+33784\s+tcp\s+3000 \(remoteware-cl\)\s+all interfaces \(::\)/);
  assert.match(r.out, /\?\s+469\s+tcp\s+4780\s+this host only \(127\.0\.0\.1\)/);
  assert.match(r.out, /Total: 13 sockets — listening 13 TCP, 0 UDP \(source: macos-netstat\)/);
  assert.match(r.err, /netstat -anv -p udp/);
  assert.match(r.err, /macos-netstat does not give socket inodes, listen backlogs, file descriptors/);
  assert.match(r.out, /netstat -anv does not show listen backlogs/);
  assert.match(r.err, /3 program\(s\) this source reads could not run, and what they tell is missing: netstat -anv -p udp \(not found\), netstat -Lan -p tcp \(not found\), lsof \(not found\)/);
});

test('port and list --json on macOS: tcp46 is the IPv6 wildcard, holders from the pid column, no fd invented', () => {
  const p = rows(runAs('darwin', 'macos/anvp-listeners-10x', ['port', '3000', '--json']));
  assert.deepEqual(p.map((s) => [s['family'], s['localAddress'], s['holders']]), [['ipv6', '::', [{ pid: 33784 }]]]);
  const all = rows(runAs('darwin', 'macos/anvp-listeners-10x', ['list', '-l', '--json']));
  assert.equal(all.length, 13);
  assert.ok(all.every((s) => s['holders'].length === 1 && !('fd' in s['holders'][0]!)));
});

test('pid on macOS without ps: what netstat said of the pid, its sockets; process by a name nobody printed finds nothing', () => {
  const r = runAs('darwin', 'macos/anvp-listeners-10x', ['pid', '469']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^PID 469 /m);
  assert.equal((r.out.match(/LISTEN/g) ?? []).length, 3);
  const n = runAs('darwin', 'macos/anvp-listeners-10x', ['process', 'node']);
  assert.equal(n.code, 1);
  assert.match(n.err, /node/);
});

test('macOS 10.15+ columns: netstat\'s pid on a TIME_WAIT row is not a holder (kernel only)', () => {
  const all = rows(runAs('darwin', 'macos/anv-iproxy', ['list', '-a', '--json']));
  assert.deepEqual(all.map((s) => [s['state'], s['localAddress'], s['localPort'], s['holders'].map((h) => h['pid']), s['unheldReason'] ?? null]), [
    ['LISTEN', '::', 2222, [43379], null],
    ['TIME_WAIT', '::1', 58090, [], 'kernel'],
  ]);
});

test('macOS 14 process:pid column: names come with the pids; pid, process and port work on them', () => {
  const o = runAs('darwin', 'macos/anv-process-pid', []);
  assert.equal(o.code, 0, o.err);
  assert.match(o.out, /gost\s+812\s+tcp\s+1080 \(socks\)/);
  assert.match(o.out, /mDNSResponder\s+1\s+udp\s+5353 \(mdns\)/);
  assert.match(o.out, /AmneziaVPN\s+300\s+udp\s+103\.54\.19\.175:32253/);
  assert.match(o.out, /\(kernel only\)\s+-\s+tcp\s+8\.8\.4\.4:443/);
  const pid = runAs('darwin', 'macos/anv-process-pid', ['pid', '812']);
  assert.equal(pid.code, 0, pid.err);
  assert.match(pid.out, /^PID 812 {2}gost$/m);
  assert.equal((pid.out.match(/ESTABLISHED/g) ?? []).length, 3);
  assert.doesNotMatch(pid.out, /TIME_WAIT/);
  const proc = rows(runAs('darwin', 'macos/anv-process-pid', ['process', 'GOST', '--json']));
  assert.equal(proc.length, 4);
  const port = rows(runAs('darwin', 'macos/anv-process-pid', ['port', '5353', '--json']));
  assert.deepEqual(port.map((s) => s['holders']), [[{ pid: 1, name: 'mDNSResponder' }]]);
});

test('netstat x lsof join on one machine\'s pair: lsof\'s holders (fd, user) where it saw the socket, netstat\'s pid elsewhere', () => {
  const dir = join(FIXTURES, 'macos', 'anvp-listeners-10x');
  const net = parseMacosNetstat(readFileSync(join(dir, 'netstat-anv-tcp.txt'), 'utf8')).rows.map((r) => r.socket);
  const lsof = parseLsof(readFileSync(join(dir, 'lsof-Pn-i4-listen.txt'), 'utf8')).rows.map((r) => r.socket);
  assert.equal(lsof.length, 4);
  const joined = joinNetstatLsof(net, lsof);
  assert.equal(joined.length, 13, 'every lsof socket found its netstat row: none left over');
  const at = (port: number) => joined.find((s) => s.localPort === port)!;
  assert.deepEqual(at(4781).holders.map((h) => [h.pid, h.name, h.fd, h.user]), [[469, 'clashr-da', 13, 'ouyang']]);
  assert.deepEqual(at(8000).holders.map((h) => [h.pid, h.name, h.fd]), [[24811, 'Python', 5]]);
  assert.deepEqual(at(3000).holders, [{ pid: 33784 }]);
  // tcp46 (IPv6 to netstat) and lsof's IPv4 view of the same dual-stack socket meet on one key.
  assert.equal(tupleKey({ protocol: 'tcp', localAddress: '::ffff:127.0.0.1', localPort: 1, remoteAddress: '0.0.0.0', remotePort: 0 }),
    tupleKey({ protocol: 'tcp', localAddress: '127.0.0.1', localPort: 1, remoteAddress: '0.0.0.0', remotePort: 0 }));
});

test('ps reader, live on this machine (the same keywords as BSD ps): our own process, our parent, a missing pid', async () => {
  const exec = systemExec(10_000);
  const me = await psProcessInfo(exec, process.pid);
  assert.ok(me, 'ps found this process');
  assert.equal(me.name, 'node');
  assert.equal(me.ppid, process.ppid);
  assert.equal(me.uid, process.getuid!());
  assert.ok(me.command?.includes('macos.test.js'), me.command);
  const started = Date.now() - process.uptime() * 1000;
  assert.ok(me.startedAt !== undefined && Math.abs(me.startedAt - started) < 5000, `start ${me.startedAt} vs ${started}`);
  assert.equal(await psProcessInfo(exec, 4194304 + 1), undefined);
  const found = await psFindProcesses(exec, 'node', []);
  assert.ok(found.includes(process.pid));
  assert.ok(!(await psFindProcesses(exec, 'node', [process.pid])).includes(process.pid), 'excluded pids stay out');
});

test('ps lines: a command with spaces after lstart, a localized date left unknown', () => {
  assert.deepEqual(parsePsInfoLine(' 10521     1   501 alice    Sun Nov 29 13:50:30 2026 /Applications/OrbStack.app/Contents/MacOS/OrbStack Helper'),
    { pid: 10521, ppid: 1, uid: 501, user: 'alice', startedAt: new Date(2026, 10, 29, 13, 50, 30).getTime(), name: 'OrbStack Helper' });
  assert.equal(parseLstart('dim 29 nov 13:50:30 2026'), undefined);
  assert.equal(parsePsInfoLine('garbage'), undefined);
});

test('netstat -Lan: macOS lines (no protocol column), FreeBSD lines (tcp4 first), IPv6 with a zone, notices skipped', () => {
  // From published outputs: a macOS -L listing (NativeScript CLI's net-service test data), FreeBSD's
  // (a FreeBSD tuning guide), and a line with a zone and netstat's table-change notice (a listening-ports test).
  const mac = 'Current listen queue sizes (qlen/incqlen/maxqlen)\nListen         Local Address\n0/0/1          127.0.0.1.9335\n0/0/128        *.3283\n0/0/128        *.22';
  assert.deepEqual(parseNetstatListenQueues(mac).map((q) => [q.host, q.port, q.qlen, q.maxqlen]), [['127.0.0.1', 9335, 0, 1], ['*', 3283, 0, 128], ['*', 22, 0, 128]]);
  const bsd = 'Current listen queue sizes (qlen/incqlen/maxqlen)\nProto Listen         Local Address\ntcp4  192/0/128      *.80\ntcp4  0/0/128        *.22';
  assert.deepEqual(parseNetstatListenQueues(bsd).map((q) => [q.port, q.qlen, q.incqlen, q.maxqlen]), [[80, 192, 0, 128], [22, 0, 0, 128]]);
  const v6 = '1/0/128        fe80::1%en0.8083\nSome tcp sockets may have been created or deleted.';
  assert.deepEqual(parseNetstatListenQueues(v6).map((q) => [q.host, q.port, q.qlen]), [['fe80::1', 8083, 1]]);
});

test('listen queues onto -anv rows: by address and port, in order for twins; a listener -L lacks keeps "?"', () => {
  const dir = join(FIXTURES, 'macos', 'anvp-listeners-10x');
  const rowsOf = () => parseMacosNetstat(readFileSync(join(dir, 'netstat-anv-tcp.txt'), 'utf8')).rows.map((r) => r.socket);
  // Hand-written -L lines for that capture's ports (no -L was published with it).
  const queues = parseNetstatListenQueues('Listen         Local Address\n3/0/511        *.3000\n0/0/128        127.0.0.1.8000\n0/0/128        *.3306');
  const net = rowsOf();
  assert.equal(applyListenQueues(net, queues), 3);
  const at = (p: number) => net.find((s) => s.localPort === p)!;
  assert.deepEqual([at(3000).recvQ, at(3000).backlog], [3, 511]);
  assert.deepEqual([at(8000).recvQ, at(8000).backlog], [0, 128]);
  assert.equal(at(6379).backlog, undefined);
  // A listing from another machine names other ports: nothing is assigned.
  const other = rowsOf();
  assert.equal(applyListenQueues(other, parseNetstatListenQueues('0/0/128        *.22\n0/0/1          127.0.0.1.9335')), 0);
  assert.ok(other.every((s) => s.backlog === undefined));
});

test('every macOS netstat capture of the shared corpus, answering both tables, gives the manifest\'s count', async () => {
  const { MacosCollector } = await import('../../src/collectors/macos.js');
  const { CORPUS } = await import('./helpers.js');
  const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Record<string, number>;
  const files = Object.keys(manifest).filter((f) => f.startsWith('macos-netstat/') || f === 'other/jc-osx10146-netstat-An.txt');
  assert.equal(files.length, 3);
  for (const f of files) {
    const bytes = readFileSync(join(CORPUS, f));
    const c = new MacosCollector({ procRoot: '/nonexistent', passwdPath: '/nonexistent', euid: 501, now: Date.now, exec: async (file, args) => {
      if (file === 'netstat' && args[0] === '-anv') return { stdout: bytes, code: 0 };
      throw Object.assign(new Error('not recorded'), { code: 'ENOENT' });
    } });
    const snap = await c.collect({});
    assert.equal(snap.sockets.length, manifest[f], f);
    assert.equal(snap.backlogKnown, false);
  }
});

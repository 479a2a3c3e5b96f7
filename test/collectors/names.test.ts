// Names are bytes: /proc/<pid>/comm, cmdline and the passwd file are decoded as
// UTF-8 (issue 9 §2), with every byte that is not valid UTF-8 kept as U+DC80..U+DCFF,
// so two different names never read the same. Recorded tree: test/fixtures/proc/unicode-names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LinuxCollector } from '../../src/collectors/linux.js';
import { findProcesses, foldName, lookupProcess, parsePasswd } from '../../src/collectors/procfs/process-info.js';
import { encodeProcText } from '../../src/collectors/proc-text.js';
import type { Socket } from '../../src/model/socket.js';
import { FIXTURES, runCli } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'unicode-names');
const passwd = join(tree, 'passwd');
const PIDS = [5101, 5102, 5103, 5104];

test('recorded tree: UTF-8 names, command lines and users read as written', async () => {
  const snap = await new LinuxCollector({ procRoot: tree, passwdPath: passwd, euid: 0, now: () => 0 })
    .collect({ source: 'proc', protocols: ['tcp'], families: ['ipv4'] });
  const byPort = new Map(snap.sockets.map((s) => [s.localPort, s.holders[0]!]));
  assert.deepEqual(byPort.get(18081), { pid: 5101, fd: 3, name: 'café-srv', command: 'café-srv --port 18081', user: 'josé', uid: 1000 });
  assert.deepEqual(byPort.get(18082), { pid: 5102, fd: 3, name: '服务器', command: '/opt/服务器/bin/服务器', user: '王伟', uid: 1001 });
  // Invalid bytes are kept, one lone surrogate each, and the two names stay apart.
  assert.equal(byPort.get(18083)!.name, 'bad\udcffname');
  assert.equal(byPort.get(18084)!.name, 'bad\udcfename');
  assert.notEqual(byPort.get(18083)!.name, byPort.get(18084)!.name);
  assert.deepEqual(encodeProcText(byPort.get(18083)!.name!), Buffer.from('bad\xffname', 'latin1'), 'the bytes come back exactly');
  assert.deepEqual(snap.issues, []);
});

test('lookupProcess and parsePasswd decode UTF-8', () => {
  assert.equal(lookupProcess(tree, passwd, 5102)!.name, '服务器');
  assert.equal(parsePasswd('josé:x:1000:1000::/:/bin/sh\n').get(1000), 'josé');
});

test('findProcesses: case-insensitive for any script, composed or not', () => {
  assert.deepEqual(findProcesses(tree, 'café-srv', PIDS, []), [5101]);
  assert.deepEqual(findProcesses(tree, 'CAFÉ-SRV', PIDS, []), [5101]);
  assert.deepEqual(findProcesses(tree, 'cafe\u0301-srv', PIDS, []), [5101], 'e + combining acute is é');
  assert.deepEqual(findProcesses(tree, '服务器', PIDS, []), [5102]);
  assert.deepEqual(findProcesses(tree, 'café', PIDS, []), [5101], 'by command line when no name is equal');
  assert.deepEqual(findProcesses(tree, 'bad\udcffname', PIDS, []), [5103], 'an undecodable byte matches only itself');
  assert.equal(foldName('ÄÖÜ'), 'äöü');
});

test('cli on the recorded tree: process café and process 服务器 find them; JSON keeps the exact text', () => {
  const env = { SOCKSCOPE_PASSWD: passwd };
  const cafe = runCli(['--proc-root', tree, 'process', 'café', '--json'], env);
  assert.equal(cafe.code, 0, cafe.err);
  const rows = JSON.parse(cafe.out) as Socket[];
  assert.deepEqual(rows.map((s) => [s.localPort, s.holders[0]!.name, s.holders[0]!.user]), [[18081, 'café-srv', 'josé']]);
  const zh = runCli(['--proc-root', tree, 'process', '服务器'], env);
  assert.equal(zh.code, 0, zh.err);
  assert.match(zh.out, /^PID 5102 {2}服务器 {2}user 王伟$/m);
  assert.match(zh.out, /\/opt\/服务器\/bin\/服务器/);
  const bad = runCli(['--proc-root', tree, 'list', '--json'], env);
  assert.equal(bad.code, 0, bad.err);
  assert.ok(bad.out.includes('"name":"bad\\udcffname"') && bad.out.includes('"name":"bad\\udcfename"'), 'JSON writes the kept byte as \\udcNN');
  assert.doesNotMatch(bad.out, /caf\u00c3\u00a9/, 'no latin1 mojibake');
});

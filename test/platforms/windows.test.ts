// The Windows collector through the whole CLI, on recorded netstat.exe and
// tasklist output (test/fixtures/windows/*/meta.json says where each came from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers.js';
import { CORPUS, rows, runAs } from './helpers.js';
import { cimArgs, parseCimDate, parseCimProcess, parseTasklistCsv, splitCsvLine } from '../../src/collectors/windows.js';

test('the shared corpus is there (its absence fails, never skips)', () => {
  assert.ok(existsSync(join(CORPUS, 'manifest.json')), `missing: ${CORPUS}`);
});

test('overview on Windows: listeners by pid, PID 4 is System, TIME_WAIT is the kernel\'s, the source and what it lacks are said', () => {
  const r = runAs('win32', 'windows/net-process', []);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /System\s+4\s+tcp\s+445 \(microsoft-ds\)/);
  assert.match(r.out, /\?\s+7292\s+tcp\s+5432 \(postgresql\)/);
  assert.match(r.out, /\(kernel only\)\s+-\s+tcp\s+35\.186\.227\.140:443/);
  assert.match(r.out, /Total: 21 sockets — listening 9 TCP, 5 UDP; 6 ESTABLISHED, 1 TIME_WAIT \(source: windows-netstat\)/);
  assert.match(r.err, /Test seam on: the output of win32 tools is replayed/);
  assert.match(r.err, /PID 4 is the Windows kernel/);
  assert.match(r.err, /PID 0 is the idle pseudo-process/);
  assert.match(r.err, /windows-netstat does not give file descriptors, the socket's owner \(uid\), socket inodes, queues/);
  // The tasklist is from another moment (meta.json): its pids name nobody, and that is said, not guessed.
  assert.match(r.err, /11 process\(es\) holding sockets had exited before their names were read \(pid 1192, 7292/);
  assert.doesNotMatch(r.out, /svchost|postgres\.exe|node\.exe/);
});

test('list --json on Windows: every netstat row, no fd invented, PID 0 rows unheld (kernel)', () => {
  const r = runAs('win32', 'windows/net-process', ['list', '-a', '--json']);
  assert.equal(r.code, 0, r.err);
  const all = rows(r);
  assert.equal(all.length, 21);
  assert.ok(all.every((s) => s['holders'].every((h) => !('fd' in h))), 'Windows gives no fds');
  const tw = all.filter((s) => s['state'] === 'TIME_WAIT');
  assert.deepEqual(tw.map((s) => [s['holders'].length, s['unheldReason']]), [[0, 'kernel']]);
  const udp5353 = all.filter((s) => s['protocol'] === 'udp' && s['localPort'] === 5353);
  assert.deepEqual(udp5353.map((s) => s['holders'][0]!['pid']).sort(), [2896, 3604], 'two sockets on one port, one per pid');
  assert.ok(all.some((s) => s['localAddress'] === 'fe80::2eab:cf7c:88:b019' && s['localPort'] === 1900));
});

test('port on Windows: exact port, its holders, the kill hint; a free port exits 1', () => {
  const r = runAs('win32', 'windows/net-process', ['port', '5432']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /tcp\s+0\.0\.0\.0:5432\s+all interfaces\s+7292\s+accept queue 0\/\?/);
  assert.match(r.out, /tcp6\s+\[::\]:5432/);
  assert.match(r.out, /sockscope kill :5432/);
  // Linux's host facts (ephemeral range, sysctls) are not Windows': not said.
  assert.doesNotMatch(r.out, /ephemeral range|net\.ipv4/);
  const free = runAs('win32', 'windows/net-process', ['port', '8080']);
  assert.equal(free.code, 1);
  const j = runAs('win32', 'windows/net-process', ['port', '445', '--json']);
  assert.deepEqual(rows(j).map((s) => s['holders'][0]!['name']), ['System', 'System']);
});

test('pid and process on Windows: PID 4 is System with its sockets; a pid tasklist does not list is no process', () => {
  const r = runAs('win32', 'windows/net-process', ['pid', '4']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^PID 4 {2}System$/m);
  assert.match(r.out, /tcp\s+0\.0\.0\.0:microsoft-ds/);
  assert.match(r.err, /HTTP\.sys/);
  const p = runAs('win32', 'windows/net-process', ['process', 'SYSTEM', '--json']);
  assert.equal(p.code, 0, p.err);
  assert.equal(rows(p).length, 4);
  assert.ok(rows(p).every((s) => s['holders'].some((h) => h['pid'] === 4)));
  // PowerShell not recorded and not in the tasklist: no such process (it exited), exit 1.
  const gone = runAs('win32', 'windows/net-process', ['pid', '7292']);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /no process with pid 7292/);
});

test('Windows 10 netstat -aon from the corpus, no tasklist recorded: 208 sockets, holders by pid, the failure said once', () => {
  const r = runAs('win32', 'windows/jc-win10', ['list', '-a', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(rows(r).length, 208);
  assert.match(r.err, /tasklist/);
  const p = rows(runAs('win32', 'windows/jc-win10', ['port', '5939', '--json']));
  assert.deepEqual(p.map((s) => [s['localAddress'], s['holders'][0]]), [['127.0.0.1', { pid: 7340 }]]);
});

test('German Windows netstat in UTF-16 from the corpus: decoded and read as the collector\'s own output', () => {
  const r = runAs('win32', 'windows/de-utf16', ['list', '-a', '--json']);
  assert.equal(r.code, 0, r.err);
  const all = rows(r);
  assert.equal(all.length, 420);
  assert.ok(all.some((s) => s['state'] === 'LISTEN' && s['localPort'] === 445 && s['holders'][0]!['pid'] === 4));
  assert.ok(all.some((s) => s['state'] === 'ESTABLISHED'));
});

test('the seam needs both variables: SOCKSCOPE_PLATFORM alone changes nothing', () => {
  const r = runCli(['--no-color', '--lang', 'en', '-t'], { SOCKSCOPE_PLATFORM: 'win32', SOCKSCOPE_EXEC_REPLAY: '' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\(source: (netlink|proc)\)/);
  assert.doesNotMatch(r.err, /Test seam/);
});

test('a replay directory without the marker is refused in one line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'exec.json'), JSON.stringify({ commands: [{ argv: ['netstat', '-ano'], stdout: 'x' }] }));
  const r = runCli(['--no-color', '--lang', 'en', 'list'], { SOCKSCOPE_PLATFORM: 'win32', SOCKSCOPE_EXEC_REPLAY: dir });
  assert.equal(r.code, 3);
  assert.match(r.err, /not a sockscope replay/);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
});

test('tasklist CSV: quoted commas in the memory column, quotes in names, the localized INFO line', () => {
  const out = [
    '"System Idle Process","0","Services","0","8 K"',
    '"postgres.exe","7292","Services","0","1,234 K"',
    '"a ""quoted"" name.exe","12","Console","1","84 496 K"',
    'INFO: No tasks are running which match the specified criteria.',
    '信息: 没有运行的任务匹配指定标准。',
    '"broken","x","Console","1","1 K"',
  ].join('\r\n');
  const m = parseTasklistCsv(out);
  assert.deepEqual([...m], [[0, 'System Idle Process'], [7292, 'postgres.exe'], [12, 'a "quoted" name.exe']]);
  assert.equal(splitCsvLine('"a","b'), undefined);
});

test('Win32_Process JSON: PowerShell 5.1 and 7 dates, a null command line left absent, only the asked pid', () => {
  const ps51 = '{"ProcessId":7292,"Name":"postgres.exe","CommandLine":"\\"C:\\\\Program Files\\\\PostgreSQL\\\\16\\\\bin\\\\postgres.exe\\" -D data","ParentProcessId":4892,"CreationDate":"\\/Date(1700000000123)\\/"}';
  assert.deepEqual(parseCimProcess(ps51, 7292), { name: 'postgres.exe', command: '"C:\\Program Files\\PostgreSQL\\16\\bin\\postgres.exe" -D data', ppid: 4892, startedAt: 1700000000123 });
  const ps7 = '[{"ProcessId":1,"Name":"x"},{"ProcessId":9,"Name":"svchost.exe","CommandLine":null,"ParentProcessId":600,"CreationDate":"2023-11-14T22:13:20.123+00:00"}]';
  assert.deepEqual(parseCimProcess(ps7, 9), { name: 'svchost.exe', ppid: 600, startedAt: 1700000000123 });
  assert.equal(parseCimProcess('', 9), undefined);
  assert.equal(parseCimProcess('not json', 9), undefined);
  assert.equal(parseCimDate('yesterday'), undefined);
  assert.throws(() => cimArgs(1.5));
  assert.match(cimArgs(42).at(-1)!, /ProcessId=42"/);
});

test('watch, doctor, exporter, web, trace and lab say they are Linux only, instead of reading a /proc that is not there', () => {
  for (const cmd of ['watch', 'doctor', 'exporter', 'web', 'trace', 'lab']) {
    const r = runAs('win32', 'windows/net-process', [cmd]);
    assert.equal(r.code, 3, cmd);
    assert.match(r.err, new RegExp(`${cmd} reads the Linux kernel directly and does not run on win32 yet`));
  }
});

test('every Windows capture of the shared corpus, read as the collector\'s own netstat -ano, gives the manifest\'s count', async () => {
  const { WindowsCollector } = await import('../../src/collectors/windows.js');
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Record<string, number>;
  const files = Object.keys(manifest).filter((f) => f.startsWith('windows-netstat/'));
  assert.ok(files.length >= 13, `only ${files.length} Windows captures`);
  for (const f of files) {
    const bytes = readFileSync(join(CORPUS, f));
    const c = new WindowsCollector({ procRoot: '/nonexistent', passwdPath: '/nonexistent', euid: -1, now: Date.now, exec: async (file) => {
      if (file === 'netstat') return { stdout: bytes, code: 0 };
      throw Object.assign(new Error('not recorded'), { code: 'ENOENT' });
    } });
    const snap = await c.collect({});
    assert.equal(snap.sockets.length, manifest[f], f);
  }
});

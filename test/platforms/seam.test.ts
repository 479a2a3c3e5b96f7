// The collector seam: the platform is chosen once (collectorFor), every
// collector answers the same three questions, and the library's processInfo /
// findProcessIds go through it (not through /proc) — shown with another
// platform's recorded tools behind an injected exec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';
import { collectorFor, currentPlatform, defaultContext, findProcessIds, listSockets, processInfo } from '../../src/index.js';
import type { Exec } from '../../src/collectors/exec.js';

test('collectorFor: one collector per platform, named after it; an unknown platform is refused in words', () => {
  const ctx = defaultContext();
  assert.equal(collectorFor(ctx, 'linux').name, 'linux');
  assert.equal(collectorFor(ctx, 'darwin').name, 'macos');
  assert.equal(collectorFor(ctx, 'win32').name, 'windows');
  assert.equal(collectorFor(ctx, 'freebsd').name, 'lsof');
  assert.throws(() => collectorFor(ctx, 'aix'), /cannot read sockets on aix/);
});

test('an injected exec is all the Windows collector runs: netstat -ano and tasklist, nothing else', async () => {
  const asked: string[] = [];
  const dir = join(FIXTURES, 'windows', 'net-process');
  const exec: Exec = async (file, args) => {
    asked.push([file, ...args].join(' '));
    if (file === 'netstat') return { stdout: readFileSync(join(dir, 'netstat-ano.txt')), code: 0 };
    if (file === 'tasklist') return { stdout: readFileSync(join(dir, 'tasklist.csv')), code: 0 };
    throw Object.assign(new Error('not here'), { code: 'ENOENT' });
  };
  const c = collectorFor(defaultContext({ exec }), 'win32');
  const snap = await c.collect({ protocols: ['tcp'], pids: [4] });
  assert.deepEqual(asked.sort(), ['netstat -ano', 'tasklist /fo csv /nh']);
  assert.equal(snap.source, 'windows-netstat');
  assert.deepEqual(snap.sockets.map((s) => [s.localPort, s.holders[0]?.name]), [[445, 'System'], [139, 'System'], [445, 'System']]);
  assert.deepEqual(snap.absent, ['fd', 'uid', 'inode', 'queues', 'backlog']);
  asked.length = 0;
  // PowerShell missing: the tasklist name is all; PID 4 needs nobody.
  assert.deepEqual(await c.processInfo(4), { name: 'System' });
  assert.deepEqual(asked, []);
  assert.equal(await c.processInfo(7292), undefined);
  assert.deepEqual(asked, [`powershell.exe ${['-NoProfile', '-NonInteractive', '-Command'].join(' ')} [Console]::OutputEncoding=[Text.Encoding]::UTF8; Get-CimInstance Win32_Process -Filter "ProcessId=7292" | Select-Object ProcessId,Name,CommandLine,ParentProcessId,CreationDate | ConvertTo-Json -Compress`, 'tasklist /fo csv /nh']);
  assert.deepEqual(await c.findProcesses('node', []), [10824, 4260], '"node" finds node.exe');
});

test('the library\'s processInfo, findProcessIds and listSockets go through the platform\'s collector', async (t) => {
  const saved = { ...process.env };
  t.after(() => { for (const k of ['SOCKSCOPE_PLATFORM', 'SOCKSCOPE_EXEC_REPLAY']) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } });
  process.env['SOCKSCOPE_PLATFORM'] = 'win32';
  process.env['SOCKSCOPE_EXEC_REPLAY'] = join(FIXTURES, 'windows', 'kill-constructed');
  assert.equal(currentPlatform(), 'win32');
  const info = await processInfo(7292);
  assert.equal(info?.name, 'postgres.exe');
  assert.equal(info?.ppid, 4892);
  assert.equal(info?.startedAt, 1700000000123);
  assert.deepEqual(await findProcessIds('postgres'), [7292]);
  const snap = await listSockets({ filter: { ports: [5432] } });
  assert.equal(snap.source, 'windows-netstat');
  assert.equal(snap.sockets.length, 2);
  delete process.env['SOCKSCOPE_EXEC_REPLAY'];
  assert.equal(currentPlatform(), process.platform, 'SOCKSCOPE_PLATFORM alone is ignored');
});

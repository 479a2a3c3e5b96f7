// sockscope kill on Windows: taskkill, then taskkill /F, each after the start
// time (Win32_Process CreationDate) is read again; the kernel's PID 4 and
// signals Windows does not have are refused. Replayed (fixtures/windows/kill-constructed
// is hand-written in the documented shapes: see its meta.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAs } from './helpers.js';

test('kill :5432 on Windows: names the holder with its command line, taskkill refused is said, taskkill /F follows, the port still held is exit 5', () => {
  const r = runAs('win32', 'windows/kill-constructed', ['kill', ':5432', '--yes', '--wait', '0']);
  assert.equal(r.code, 5, r.err);
  assert.match(r.out, /^ {2}7292 {2}postgres\.exe {2}"C:\\Program Files\\PostgreSQL\\16\\bin\\postgres\.exe" -D/m);
  assert.match(r.err, /Could not signal 7292: ERROR: The process with PID 7292 could not be terminated\. Reason: This process can only be terminated forcefully \(with \/F option\)/);
  assert.match(r.out, /Sent taskkill \/F to 7292 \(postgres\.exe\)/);
  assert.match(r.out, /Port 5432 is still held: 7292\/postgres\.exe/);
});

test('kill on Windows refuses PID 4 (the kernel) and signals Windows does not have', () => {
  const sys = runAs('win32', 'windows/kill-constructed', ['kill', ':445', '--yes']);
  assert.equal(sys.code, 2);
  assert.match(sys.err, /refusing to stop pid 4: on Windows it is the kernel/);
  const direct = runAs('win32', 'windows/kill-constructed', ['kill', '4', '--yes']);
  assert.equal(direct.code, 2);
  const hup = runAs('win32', 'windows/kill-constructed', ['kill', ':5432', '--signal', 'HUP', '--yes']);
  assert.equal(hup.code, 2);
  assert.match(hup.err, /Windows has no SIGHUP/);
});

test('kill on Windows never signals a pid it cannot see any more (not in tasklist, no PowerShell answer)', () => {
  const r = runAs('win32', 'windows/net-process', ['kill', ':5432', '--yes', '--wait', '0']);
  assert.equal(r.code, 5);
  assert.match(r.out, /Process 7292 has already exited/);
  // taskkill was never run: the replay has none recorded, and running it would have been said as a failure.
  assert.doesNotMatch(r.err, /Could not signal/);
  const dry = runAs('win32', 'windows/net-process', ['kill', ':5432', '--dry-run']);
  assert.equal(dry.code, 0);
  assert.match(dry.out, /Dry run: SIGTERM would be sent to 1 process\(es\); nothing was sent\./);
});

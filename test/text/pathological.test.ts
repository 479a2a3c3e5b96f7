// Pasted text is input from anywhere (issue 9 §6): one line of "tcp" + 400,000
// blanks took 111 s in a regex that retried from every blank. Every parser must
// handle any 1 MB line in well under a second, and a number wider than its field
// (a Recv-Q of 10^23, a pid of 10^20, an inode past 2^53) makes its row unreadable
// with the reason 'out-of-range', never a silently wrong value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseLinuxNetstat, parseLsof, parseMacosNetstat, parsePasted, parseSs, parseWindowsNetstat } from '../../src/collectors/text/index.js';
import type { ParsedPaste } from '../../src/collectors/text/common.js';
import { BIN, ROOT } from '../helpers.js';

const N = 1_000_000;

test('any 1 MB line, every parser: well under a second each (in a child, killed after 60 s)', () => {
  // A child process, so that a regex gone quadratic is killed instead of hanging the suite.
  const mod = pathToFileURL(join(ROOT, 'dist', 'test', 'text', 'pathological-lines.js')).href;
  const script = `const m = await import(${JSON.stringify(mod)}); process.stdout.write(JSON.stringify(m.timeAll()));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `killed after 60 s: a parser is super-linear; stderr: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const times = JSON.parse(r.stdout) as [string, number][];
  assert.ok(times.length >= 100, `${times.length} runs`);
  const slow = times.filter(([, ms]) => ms > 1500);
  assert.deepEqual(slow, [], 'each under 1.5 s (they take a few ms; the margin is for a loaded machine)');
});

function reasons(r: ParsedPaste): string[] {
  return r.unreadable.map((u) => `${u.line}:${u.reason}`);
}

test('numbers out of range: the row is unreadable with a reason, the good rows stay', () => {
  const Q = '100000000000000000000000'; // 10^23
  const P = '100000000000000000000'; // 10^20
  const ss = parseSs('State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n' +
    'ESTAB 0 0 127.0.0.1:5000 127.0.0.1:5001\n' +
    `ESTAB ${Q} 0 127.0.0.1:5002 127.0.0.1:5003\n` +
    'ESTAB 0 0 127.0.0.1:5004 127.0.0.1:5005 users:(("x",pid=' + P + ',fd=3))\n' +
    'ESTAB 0 0 127.0.0.1:5006 127.0.0.1:5007 ino:9007199254740993\n' +
    'ESTAB 0 0 127.0.0.1:5008 127.0.0.1:5009 uid:' + P + '\n');
  assert.deepEqual(ss.rows.map((r) => r.socket.localPort), [5000]);
  assert.deepEqual(reasons(ss), ['3:out-of-range', '4:out-of-range', '5:out-of-range', '6:out-of-range']);

  const ln = parseLinuxNetstat('Proto Recv-Q Send-Q Local Address Foreign Address State PID/Program name\n' +
    'tcp 0 0 127.0.0.1:5000 127.0.0.1:5001 ESTABLISHED 12/a\n' +
    `tcp ${Q} 0 127.0.0.1:5002 127.0.0.1:5003 ESTABLISHED 12/a\n` +
    `tcp 0 0 127.0.0.1:5004 127.0.0.1:5005 ESTABLISHED ${P}/a\n`);
  assert.deepEqual(ln.rows.map((r) => r.socket.localPort), [5000]);
  assert.deepEqual(reasons(ln), ['3:out-of-range', '4:out-of-range']);

  const mac = parseMacosNetstat(`tcp4 0 0 127.0.0.1.5000 127.0.0.1.5001 ESTABLISHED\ntcp4 ${Q} 0 127.0.0.1.5002 127.0.0.1.5003 ESTABLISHED\n`);
  assert.deepEqual(mac.rows.map((r) => r.socket.localPort), [5000]);
  assert.deepEqual(reasons(mac), ['2:out-of-range']);

  const win = parseWindowsNetstat(`  TCP    127.0.0.1:5000   127.0.0.1:5001   ESTABLISHED   12\n  TCP    127.0.0.1:5002   127.0.0.1:5003   ESTABLISHED   ${P}\n`);
  assert.deepEqual(win.rows.map((r) => r.socket.localPort), [5000]);
  assert.deepEqual(reasons(win), ['2:out-of-range']);

  const lsof = parseLsof('COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n' +
    'python3 12 root 3u IPv4 123 0t0 TCP 127.0.0.1:5000 (LISTEN)\n' +
    `python3 ${P} root 3u IPv4 124 0t0 TCP 127.0.0.1:5002 (LISTEN)\n` +
    `python3 12 root ${P}u IPv4 125 0t0 TCP 127.0.0.1:5004 (LISTEN)\n`);
  assert.deepEqual(lsof.rows.map((r) => r.socket.localPort), [5000]);
  assert.deepEqual(reasons(lsof), ['3:out-of-range', '4:out-of-range']);

  // Through the front door too: nothing anywhere holds the wrong value.
  const all = parsePasted('Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\n' + `tcp ESTAB ${Q} 0 127.0.0.1:1 127.0.0.1:2\n` + 'tcp ESTAB 1 0 127.0.0.1:3 127.0.0.1:4\n');
  assert.deepEqual(all.rows.map((r) => r.socket.recvQ), [1]);
});

test('explain --input: a 1 MB blank line and a 10^23 queue are said, /dev/zero is refused in one line; bounded', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-paste-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'ss.txt');
  writeFileSync(f, 'Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\n' +
    'tcp ' + ' '.repeat(N) + 'x\n' +
    'tcp ESTAB 100000000000000000000000 0 127.0.0.1:5002 127.0.0.1:5003\n' +
    'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:5001\n');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'explain', '--input', f], { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /127\.0\.0\.1:5000/);
  assert.match(r.stdout, /^Line 3 could not be read \(a number too large for its field\): tcp ESTAB 100000000000000000000000/m);
  assert.match(r.stdout, /^Line 2 could not be read \(.*?\): tcp/m);
  assert.doesNotMatch(r.stdout, /127\.0\.0\.1:5002 .*ESTAB/, 'the row with a 10^23 queue is not shown as a socket');

  const z = spawnSync(process.execPath, [BIN, 'explain', '--input', '/dev/zero'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(z.status, 2, z.stderr);
  assert.equal(z.stderr.trim().split('\n').length, 1, z.stderr);
  assert.match(z.stderr, /^sockscope: the input looks binary/);
  // Thirty million one-letter lines would be thirty million "unreadable" entries: refused by count.
  const many = join(dir, 'many.txt');
  writeFileSync(many, 'a\n'.repeat(1_000_001));
  const m = spawnSync(process.execPath, [BIN, 'explain', '--input', many], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(m.status, 2, m.stderr);
  assert.match(m.stderr, /^sockscope: the input has more than 1000000 lines/);
  const dirInput = spawnSync(process.execPath, [BIN, 'explain', '--input', dir], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(dirInput.status, 2);
  assert.match(dirInput.stderr, /^sockscope: cannot read .*: a directory, not a file\n$/);
});

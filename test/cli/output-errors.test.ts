// Output errors (issue 9 §6): a write that fails (a full disk: /dev/full) gives
// one line on stderr and exit 4, never a stack trace or an abort; a reader that
// went away (EPIPE: `sockscope list | head -1`) ends the program silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../helpers.js';

const COMMANDS: string[][] = [
  ['explain', 'backlog'],
  ['explain'],
  ['--lang', 'zh-CN', 'explain', 'close'],
  ['list', '-a'],
  ['list', '-a', '--json'],
  ['list', '-a', '--csv'],
  [],
  ['port', '22'],
  ['help'],
  ['--version'],
];

function noTrace(err: string): void {
  assert.doesNotMatch(err, /\n\s+at |node:internal|terminate called|Aborted|Napi::Error/, err);
}

test('stdout on /dev/full: one line on stderr, exit 4, for every command', () => {
  assert.ok(existsSync('/dev/full'), 'the test writes to /dev/full');
  for (const args of COMMANDS) {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 4, `${args.join(' ')}: status ${r.status} signal ${r.signal}\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('sockscope:'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, args.includes('zh-CN') ? /无法写出结果：.*ENOSPC/ : /cannot write the output: no space left on the device \(ENOSPC\)/);
      noTrace(r.stderr);
    } finally {
      closeSync(fd);
    }
  }
});

// A real pipe whose reading end is closed before sockscope writes, set up by
// python3 (Node has no pipe()): every write then fails with EPIPE.
const PY = `
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, timeout=30)
sys.stderr.buffer.write(p.stderr)
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
`;

test('stdout a pipe nobody reads (EPIPE): silent, exit 0', () => {
  for (const args of COMMANDS) {
    const r = spawnSync('python3', ['-c', PY, process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 40_000 });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /EPIPE|cannot write|无法写出/);
    noTrace(r.stderr);
  }
});

test('list -a | head -1: the first line, then silence', () => {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" list -a --no-color | head -1; echo "status \${PIPESTATUS:-}"`], { encoding: 'utf8', timeout: 30_000 });
  assert.match(r.stdout, /^Proto\s+Local Address/);
  assert.doesNotMatch(r.stderr, /EPIPE|cannot write/);
  noTrace(r.stderr);
});

// A reader slower than sockscope (a pager, a busy pipeline, a test under load):
// the pipe fills, Node queues the rest of the output, and an exit at that
// moment would drop it with exit status 0. The driver shrinks the pipe to one
// page and reads nothing until sockscope has exited (or 3 s have passed).
const SLOW_READER = String.raw`
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: the smallest pipe
p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.DEVNULL)
os.close(w)
try:
    p.wait(timeout=3)
except subprocess.TimeoutExpired:
    pass
data = b''
while True:
    b = os.read(r, 65536)
    if not b:
        break
    data += b
print(len(data), p.wait())
`;

test('a slow reader gets the whole output: sockscope exits only once stdout has taken it all', () => {
  const rows = ['State Recv-Q Send-Q Local Address:Port Peer Address:Port'];
  for (let i = 0; i < 45; i++) rows.push(`ESTAB 0 0 10.0.0.${i + 1}:${40000 + i} 10.1.0.1:443`);
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-slow-'));
  try {
    const file = join(dir, 'ss.txt');
    writeFileSync(file, rows.join('\n') + '\n');
    const args = ['explain', '--input', file, '--json'];
    const whole = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' }).stdout;
    assert.ok(Buffer.byteLength(whole) > 8192, 'more than the small pipe holds');
    const r = spawnSync('python3', ['-c', SLOW_READER, process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const [bytes, code] = r.stdout.trim().split(' ').map(Number);
    assert.equal(code, 0);
    assert.equal(bytes, Buffer.byteLength(whole), 'bytes the slow reader got');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

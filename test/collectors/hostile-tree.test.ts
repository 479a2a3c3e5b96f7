// A recorded /proc tree (--proc-root) is input like any other: it can hold a 300 MB
// cmdline, a comm that is a symlink to /dev/zero, a FIFO, symlink loops, pid
// directories and numbers no kernel makes (issue 9 §6). Every read is bounded,
// nothing wrong is stored, and what was refused is said as notes, in English and
// Chinese, without a stack trace. The tree is built here, in a temp dir, and removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBounded, readChunks } from '../../src/collectors/bounded-read.js';
import { NetTableParser, parseNetTable } from '../../src/collectors/procfs/net-table.js';
import type { Socket } from '../../src/model/socket.js';
import { BIN, FIXTURES } from '../helpers.js';

const MB = 1024 * 1024;

interface Measured { code: number | null; out: string; err: string; ms: number; rssMb: number }

/** Run the CLI and report its peak resident memory (from inside, at exit) and wall time. */
function runMeasured(args: readonly string[], env: Record<string, string>): Measured {
  const wrapper = `process.on('exit',()=>{require('fs').writeSync(2,'\\nmaxrss_kb='+process.resourceUsage().maxRSS+'\\n')});` +
    `process.argv.splice(1,0,'sockscope');import(${JSON.stringify(pathToFileURL(BIN).href)})`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', wrapper, '--', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }, maxBuffer: 64 * MB });
  const ms = Date.now() - t0;
  const m = /\nmaxrss_kb=(\d+)\n/.exec(r.stderr ?? '');
  return { code: r.status, out: r.stdout, err: (r.stderr ?? '').replace(/\nmaxrss_kb=\d+\n/, ''), ms, rssMb: m ? Number(m[1]) / 1024 : NaN };
}

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (sl: number, q: string, uid: string, inode: string): string =>
  `  ${sl}: 0100007F:4E20 00000000:0000 0A ${q} 00:00000000 00000000 ${uid}        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

function buildTree(t: import('node:test').TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'proc');
  cpSync(join(FIXTURES, 'proc', 'dualstack-udp'), tree, { recursive: true, verbatimSymlinks: true });
  // 300 MB cmdline (sparse: the disk holds a few bytes).
  truncateSync(join(tree, '4242', 'cmdline'), 300 * MB);
  // comm -> /dev/zero, cmdline a FIFO (opening it must not block), status a symlink loop.
  unlinkSync(join(tree, '4243', 'comm'));
  symlinkSync('/dev/zero', join(tree, '4243', 'comm'));
  unlinkSync(join(tree, '4243', 'cmdline'));
  assert.equal(spawnSync('mkfifo', [join(tree, '4243', 'cmdline')]).status, 0, 'mkfifo');
  unlinkSync(join(tree, '4243', 'status'));
  symlinkSync('status-loop', join(tree, '4243', 'status'));
  symlinkSync('status', join(tree, '4243', 'status-loop'));
  // A table that is a symlink loop, and one past the 256 MiB cap (its real rows first).
  unlinkSync(join(tree, 'net', 'udp6'));
  symlinkSync('udp6-loop', join(tree, 'net', 'udp6'));
  symlinkSync('udp6', join(tree, 'net', 'udp6-loop'));
  truncateSync(join(tree, 'net', 'tcp6'), 300 * MB);
  // Numbers wider than their field: a queue of 10^23 bytes, a uid of 10^20, an inode of 2^53 + 1; and a malformed row.
  appendFileSync(join(tree, 'net', 'tcp'),
    row(7, '00000000:152D02C7E14AF6800000', '0', '424242') +
    row(8, '00000000:00000000', '100000000000000000000', '424243') +
    row(9, '00000000:00000000', '0', '9007199254740993') +
    '  10: this is not a socket\n');
  // A pid directory no kernel makes; it must not wrap to another pid.
  mkdirSync(join(tree, '100000000000000000000', 'fd'), { recursive: true });
  symlinkSync('socket:[7684]', join(tree, '100000000000000000000', 'fd', '3'));
  // The passwd file is a device.
  unlinkSync(join(tree, 'passwd'));
  symlinkSync('/dev/zero', join(tree, 'passwd'));
  return tree;
}

test('a hostile recorded tree: bounded time and memory, true rows, every refusal said', (t) => {
  const tree = buildTree(t);
  assert.equal(statSync(join(tree, '4242', 'cmdline')).size, 300 * MB);
  const r = runMeasured(['--proc-root', tree, 'list', '-a', '--json'], { SOCKSCOPE_PASSWD: join(tree, 'passwd') });
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
  assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
  assert.ok(r.rssMb < 400, `peak memory ${r.rssMb.toFixed(0)} MB`);
  const sockets = JSON.parse(r.out) as Socket[];
  // The good rows are all there, with what could be read of their holders.
  const l = sockets.find((s) => s.inode === 7679)!;
  assert.deepEqual(l.holders.map((h) => h.pid), [4242, 4243]);
  const [a, b] = l.holders;
  assert.ok(a!.command!.startsWith('python3 ds.py'), a!.command!.slice(0, 40));
  assert.ok(a!.command!.endsWith('\u2026') && a!.command!.length <= MB + 1, `cut at 1 MiB with a marker (${a!.command!.length})`);
  assert.equal(a!.name, 'python3');
  assert.equal(b!.name, undefined, 'comm -> /dev/zero is not read');
  assert.equal(b!.command, undefined, 'a FIFO is not read');
  assert.equal(b!.uid, undefined, 'a looping status gives no uid');
  assert.equal(a!.user, '0', 'no passwd: the uid, not a guess');
  assert.ok(sockets.some((s) => s.inode === 7683), 'rows of tcp6 before the cut are kept');
  // Nothing out of range was stored.
  for (const s of sockets) {
    assert.ok(s.recvQ <= 0xffffffff && s.uid <= 0xffffffff && Number.isSafeInteger(s.inode), JSON.stringify(s));
    assert.ok(![424242, 424243].includes(s.inode), `a row with a number out of range was kept: ${JSON.stringify(s)}`);
    for (const h of s.holders) assert.ok(h.pid <= 4194304, `pid ${h.pid}`);
  }
  // Said once per kind, with a count and the first example.
  const notes = r.err.split('\n').filter((x) => x.startsWith('Note:'));
  const parse = notes.find((x) => /record\(s\)/.test(x));
  assert.ok(parse, r.err);
  assert.ok(Number(/(\d+) record/.exec(parse)![1]) >= 5, parse);
  assert.match(parse, /a number too large for its field/, parse);
  const unread = notes.find((x) => /file\(s\) could not be read/.test(x));
  assert.ok(unread, r.err);
  assert.ok(Number(/(\d+) file/.exec(unread)![1]) >= 5, `udp6, comm, cmdline, status, passwd: ${unread}`);
  const cut = notes.find((x) => /longer than sockscope reads/.test(x));
  assert.ok(cut && /2 file\(s\)/.test(cut), `cmdline and tcp6 were cut: ${cut}`);

  const zh = runMeasured(['--proc-root', tree, '--lang', 'zh-CN', 'list', '-a'], { SOCKSCOPE_PASSWD: join(tree, 'passwd') });
  assert.equal(zh.code, 0, zh.err);
  assert.match(zh.err, /注意：有 \d+ 条记录/);
  assert.match(zh.err, /数值超出该字段的范围/);
  assert.match(zh.err, /符号链接循环|不是普通文件/);
  assert.match(zh.err, /超出 sockscope 的读取上限/);
});

test('bounded reads: regular files only, a cap that is said, a table read in pieces', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-bounded-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => readBounded('/dev/zero', 100), { code: 'ENOTREG' });
  assert.throws(() => readBounded(dir, 100), { code: 'EISDIR' });
  symlinkSync('b', join(dir, 'a'));
  symlinkSync('a', join(dir, 'b'));
  assert.throws(() => readBounded(join(dir, 'a'), 100), { code: 'ELOOP' });
  const f = join(dir, 'f');
  appendFileSync(f, 'x'.repeat(1000));
  assert.deepEqual([readBounded(f, 999).truncated, readBounded(f, 1000).truncated], [true, false]);
  assert.equal(readBounded(f, 10).bytes.length, 10);
  // /proc files stat as size 0 and are still read whole.
  assert.ok(readBounded('/proc/self/status', 64 * 1024).bytes.toString().includes('\nUid:'));
  const pieces: number[] = [];
  const r = readChunks(f, 2500, (b) => pieces.push(b.length), 300);
  assert.deepEqual([r.bytes, r.truncated, pieces.length], [1000, false, 4]);
  assert.equal(readChunks(f, 600, () => undefined, 300).truncated, true);
});

test('net table parser: chunks cut anywhere give the same rows; numbers out of range and long lines refused with a reason', () => {
  const text = HEADER + row(0, '00000001:00000002', '1000', '77') + row(1, '00000000:152D02C7E14AF6800000', '0', '78') +
    row(2, '00000000:00000000', '100000000000000000000', '79') + row(3, '00000000:00000000', '0', '9007199254740993') +
    ' '.repeat(10_000) + 'x\n' + row(5, '00000003:00000004', '0', '80');
  const whole = parseNetTable(text, 'tcp', 'ipv4');
  assert.deepEqual(whole.sockets.map((s) => [s.inode, s.sendQ, s.recvQ, s.uid]), [[77, 1, 2, 1000], [80, 3, 4, 0]]);
  assert.deepEqual(whole.bad.map((b) => [b.line, b.reason]), [[3, 'out-of-range'], [4, 'out-of-range'], [5, 'out-of-range'], [6, 'too-long']]);
  for (const size of [1, 7, 100, 4096]) {
    const p = new NetTableParser('tcp', 'ipv4');
    for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size));
    const r = p.end();
    assert.deepEqual(r.sockets, whole.sockets, `chunks of ${size}`);
    assert.deepEqual(r.bad.map((b) => [b.line, b.reason]), whole.bad.map((b) => [b.line, b.reason]), `chunks of ${size}`);
  }
});

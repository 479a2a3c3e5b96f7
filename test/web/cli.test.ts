// `sockscope web` as a command: bad --listen values are one line and exit 2,
// a non-loopback --listen warns and still wants the token, SIGTERM stops it
// with exit 0 (and the port is free again), a busy port is exit 3.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN, ROOT, runCli } from '../helpers.js';
import { eventually } from '../live/helpers.js';
import { http } from './web-helpers.js';

const ENV = { LANG: 'C', NO_COLOR: '1' };

test('--listen: a value that is not HOST:PORT is one line on stderr and exit 2', () => {
  for (const v of ['nope', '127.0.0.1', '127.0.0.1:99999', '127.0.0.1:-1', 'example.com:80', '[::1', '::1:80', '[fe80::1%eth0]:80', '1.2.3:80', '127.0.0.1:8o']) {
    const r = runCli(['web', '--listen', v], ENV);
    assert.equal(r.code, 2, `${v}: ${r.err}`);
    assert.equal(r.out, '');
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, /^sockscope: invalid --listen '.*': expected HOST:PORT/);
  }
  const zh = runCli(['web', '--listen', 'nope', '--lang', 'zh-CN'], ENV);
  assert.equal(zh.code, 2);
  assert.match(zh.err, /无效的 --listen 'nope'/);
  for (const args of [['web', 'extra'], ['web', '--bogus'], ['web', '--interval', '0'], ['--source', 'lsof', 'web']]) {
    const r = runCli(args, ENV);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  }
  const help = runCli(['web', '--help'], ENV);
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: sockscope web/);
  assert.match(help.out, /Examples:/);
  assert.equal(runCli(['help', 'web'], ENV).out, help.out);
  const zhHelp = runCli(['--lang', 'zh-CN', 'web', '--help'], ENV);
  assert.match(zhHelp.out, /^用法：sockscope web/m);
  assert.match(zhHelp.out, /示例：/);
  assert.match(runCli(['help'], ENV).out, /\n {2}web {17}/, 'the main help lists the command');
});

interface Running {
  url: string;
  port: number;
  token: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (s: NodeJS.Signals) => void;
}

async function start(t: TestContext, args: string[]): Promise<Running> {
  const proc = spawn(process.execPath, [BIN, 'web', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ENV } });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => { done = true; });
  t.after(() => { if (!done) proc.kill('SIGKILL'); });
  const m = await eventually('the address on stdout', () => {
    const x = /open (http:\/\/\S+\/\?token=(\S+)) in a browser/.exec(out);
    if (!x) throw new Error(`stdout: ${out} stderr: ${err} ${done ? '(exited)' : ''}`);
    return x;
  }, { timeoutMs: 10_000, intervalMs: 50 });
  return { url: m[1]!, token: m[2]!, port: Number(/:(\d+)\//.exec(m[1]!)![1]), stderr: () => err, exited, kill: (s) => proc.kill(s) };
}

test('default: 127.0.0.1 (and ::1) on a random port, the token required; SIGTERM ends it with exit 0 and frees the port', async (t) => {
  const w = await start(t, []);
  assert.match(w.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  const host = { Host: `127.0.0.1:${w.port}` };
  assert.equal((await http(w.port, '/api/session', { headers: host })).status, 403);
  assert.equal((await http(w.port, '/api/session', { headers: { ...host, Authorization: `Bearer ${w.token}` } })).status, 200);
  assert.doesNotMatch(w.stderr(), /warning/);
  w.kill('SIGTERM');
  const end = await w.exited;
  assert.deepEqual(end, { code: 0, signal: null }, w.stderr());
  await assert.rejects(http(w.port, '/', { headers: host }), /ECONNREFUSED/);
});

test('--listen 0.0.0.0:PORT warns on stderr and still requires the token', async (t) => {
  const w = await start(t, ['--listen', '0.0.0.0:0']);
  assert.match(w.stderr(), /warning: 0\.0\.0\.0:\d+ can be reached from other machines/);
  const host = { Host: `127.0.0.1:${w.port}` };
  assert.equal((await http(w.port, '/api/session', { headers: host })).status, 403);
  assert.equal((await http(w.port, '/api/session', { headers: { ...host, Authorization: `Bearer ${w.token}` } })).status, 200);
  w.kill('SIGINT');
  assert.equal((await w.exited).code, 0);
});

test('a port in use: one line and exit 3', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  t.after(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const r = runCli(['web', '--listen', `127.0.0.1:${port}`], ENV);
  assert.equal(r.code, 3, r.err);
  assert.equal(r.err, `sockscope web: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)\n`);
});

// The exporter as a command: bad --listen values and flags refused with one
// line and exit 2, a port in use refused with one line and exit 3, the pages
// it serves, and a clean stop on SIGTERM and SIGINT (exit 0, port released).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { runCli } from './helpers.js';
import { freePort, get, startExporter } from './exporter-helpers.js';

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

test('exporter: bad --listen values are refused with one line and exit 2', async () => {
  const bad = ['9977', ':9977', '127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:http', 'example.com:9977',
    '::1:9977', '[::1]', '[fe80::1%lo]:9977', '300.1.1.1:80', 'junk', '127.0.0.1:9977x', '[::1]:-5'];
  // Sequential: each run is short, and the machine is shared.
  for (const value of bad) {
    const r = await runCli(['exporter', '--listen', value], { timeoutMs: 20_000 });
    assert.equal(r.code, 2, `--listen ${value}: exit ${r.code}, stderr ${r.stderr}`);
    const line = oneLine(r.stderr);
    assert.ok(line.startsWith(`sockscope: invalid --listen '${value}'`), line);
    if (value.endsWith(':0')) assert.match(line, /port 0/);
    assert.equal(r.stdout, '');
  }
  const empty = await runCli(['exporter', '--listen'], { timeoutMs: 20_000 });
  assert.equal(empty.code, 2);
  oneLine(empty.stderr);
  const zh = await runCli(['--lang', 'zh-CN', 'exporter', '--listen', 'nowhere'], { timeoutMs: 20_000 });
  assert.equal(zh.code, 2);
  assert.match(oneLine(zh.stderr), /无效的 --listen“nowhere”/);
});

test('exporter: bad limits and stray arguments are refused with one line and exit 2', async () => {
  for (const args of [['--top-processes', 'x'], ['--top-listeners', '-1'], ['--top-destinations', '10001'], ['--window', '0'],
    ['--rescan', 'soon'], ['extra'], ['--frobnicate'], ['--threshold', 'no-such-threshold=1'], ['--threshold', 'close-wait-count']]) {
    const r = await runCli(['exporter', ...args], { timeoutMs: 20_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    oneLine(r.stderr);
  }
});

test('exporter: --source lsof is refused (each scrape is a tick of the live tables), with one line and exit 2', async () => {
  const r = await runCli(['--source', 'lsof', 'exporter'], { timeoutMs: 20_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(oneLine(r.stderr), /--source lsof/);
});

test('exporter: a port already in use is one line and exit 3', async (t) => {
  const port = await freePort();
  const holder = createServer((c) => c.destroy());
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const r = await runCli(['exporter', '--listen', `127.0.0.1:${port}`], { timeoutMs: 20_000 });
  assert.equal(r.code, 3, r.stderr);
  const line = oneLine(r.stderr);
  assert.match(line, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*in use.*EADDRINUSE`));
});

test('exporter: the pages it serves', async (t) => {
  const e = await startExporter(t);
  const index = await get(`${e.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.body, /\/metrics/);
  const missing = await get(`${e.url}/metrics/../nothing`);
  assert.equal(missing.status, 404);
  assert.equal((await get(`${e.url}/favicon.ico`)).status, 404);
  const withQuery = await get(`${e.url}/metrics?match[]=up`);
  assert.equal(withQuery.status, 200);
  assert.match(withQuery.body, /^sockscope_sockets\{protocol="tcp",state="LISTEN"\} [1-9]/m, 'at least the exporter itself listens');
  const post = await fetch(`${e.url}/metrics`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(`${e.url}/metrics`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.match(e.stderr(), /serving http:\/\/127\.0\.0\.1:\d+\/metrics \(1108 series at most/, 'says its bound at the defaults');
  assert.doesNotMatch(e.stderr(), /reached from other machines/, 'loopback: no exposure note');
});

/** True when something accepts connections on the port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`exporter: ${signal} stops it cleanly: exit 0, port released, even with a client connected`, async (t) => {
    const e = await startExporter(t);
    assert.equal((await get(`${e.url}/metrics`)).status, 200);
    // A keep-alive connection left open must not hold the exit.
    const idle = connect(e.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { idle.once('connect', resolve); idle.once('error', reject); });
    t.after(() => { idle.destroy(); });
    const t0 = Date.now();
    e.proc.kill(signal);
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
    const end = await Promise.race([e.exited, timer]);
    assert.notEqual(end, 'timeout', `still running 5 s after ${signal}`);
    assert.deepEqual(end, { code: 0, signal: null }, `stderr: ${e.stderr()}`);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(await accepting(e.port), false, 'nothing listens on the port any more');
    assert.doesNotMatch(e.stderr(), /\n\s+at /, 'no stack trace');
  });
}

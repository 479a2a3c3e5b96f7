// The exporter's scrape loop without the machine: a scripted source, so that
// the sharing of one tick between concurrent scrapes, the failure paths, the
// doctor's sliding window and the --listen parser are checked exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { TickQuery } from '../../src/collectors/live.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Socket } from '../../src/model/socket.js';
import type { DoctorSample } from '../../src/doctor/types.js';
import type { WatchSource } from '../../src/watch.js';
import { MetricsRegistry } from '../../src/exporter/registry.js';
import { ANCHORS, MAX_SAMPLES, Scraper } from '../../src/exporter/scraper.js';
import { DEFAULT_LIMITS } from '../../src/exporter/series.js';
import { parseListen } from '../../src/exporter/listen.js';
import { UsageError } from '../../src/cli/args.js';

function listener(recvQ: number): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '0.0.0.0', remotePort: 0,
    state: 'LISTEN', recvQ, sendQ: 0, backlog: 4, inode: 1, uid: 0, holders: [{ pid: 10, fd: 3, name: 'srv' }],
  };
}

function snap(sockets: Socket[], issues: Snapshot['issues'] = []): Snapshot {
  return { takenAt: 1000, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues };
}

/** A source whose ticks end when the test says so. */
class GatedSource implements WatchSource {
  ticks = 0;
  queries: TickQuery[] = [];
  private gates: (() => void)[] = [];
  fail: Error | undefined;
  constructor(private readonly table: () => Socket[]) {}
  tick(q: TickQuery): Promise<{ snapshot: Snapshot }> {
    this.ticks++;
    this.queries.push(q);
    return new Promise((res, rej) => {
      this.gates.push(() => (this.fail ? rej(this.fail) : res({ snapshot: snap(this.table()) })));
    });
  }
  open(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

function scraper(source: WatchSource, over: Partial<ConstructorParameters<typeof Scraper>[0]> = {}): Scraper {
  return new Scraper({
    source, registry: new MetricsRegistry((n) => n), limits: DEFAULT_LIMITS,
    readCounters: () => new Map([['ListenOverflows', 7], ['ListenDrops', 9]]), readHost: () => ({ ephemeral: [32768, 60999] }),
    ...over,
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('concurrent scrapes share one tick; the next scrape takes a new one', async () => {
  let q = 0;
  const source = new GatedSource(() => [listener(q)]);
  const s = scraper(source);
  q = 3;
  const a = s.scrape();
  const b = s.scrape();
  const c = s.scrape();
  await tick();
  assert.equal(source.ticks, 1, 'three scrapes, one look');
  source.open();
  const [ra, rb, rc] = await Promise.all([a, b, c]);
  assert.equal(ra, rb);
  assert.equal(rb, rc);
  assert.match(ra.text, /^sockscope_listener_accept_queue\{protocol="tcp",port="8080",bind_scope="loopback",process="srv"\} 3$/m);
  assert.deepEqual(source.queries[0], {}, 'every state is asked for (TIME_WAIT included)');
  q = 5;
  const d = s.scrape();
  await tick();
  assert.equal(source.ticks, 2, 'a scrape after the first one finished looks again');
  source.open();
  assert.match((await d).text, /process="srv"\} 5$/m);
});

test('idle() waits for the collection under way (a stop closes the collector after it), and never rejects', async () => {
  const source = new GatedSource(() => [listener(0)]);
  const s = scraper(source);
  await s.idle();
  source.fail = new Error('gone');
  const a = s.scrape().catch(() => 'failed');
  let done = false;
  const idle = s.idle().then(() => { done = true; });
  await tick();
  assert.equal(done, false, 'still collecting');
  source.open();
  await idle;
  assert.equal(done, true);
  assert.equal(await a, 'failed');
});

test('a failed tick fails the scrapes that share it, counts a scan error, and the next one recovers', async () => {
  const source = new GatedSource(() => [listener(1)]);
  const s = scraper(source);
  source.fail = new Error('netlink went away');
  const a = s.scrape();
  const b = s.scrape();
  await tick();
  source.open();
  await assert.rejects(a, /netlink went away/);
  await assert.rejects(b, /netlink went away/);
  assert.equal(s.errors, 1);
  source.fail = undefined;
  const c = s.scrape();
  await tick();
  source.open();
  assert.match((await c).text, /^sockscope_scan_errors_total 1$/m);
});

test('unreadable counters and unreadable tables are scan errors; the counters are then absent, not 0', async () => {
  const source: WatchSource = {
    tick: async () => ({ snapshot: snap([listener(0)], [{ kind: 'source-error', subject: '/proc/net/tcp6', detail: 'EIO' },
      { kind: 'source-error', subject: '/proc/42/fd', detail: 'ENOENT' }]) }),
  };
  const s = scraper(source, { readCounters: () => new Map() });
  const r = await s.scrape();
  assert.equal(s.errors, 2, 'the counters and /proc/net/tcp6; a process fd table is not a table');
  assert.doesNotMatch(r.text, /sockscope_tcp_listen_overflows_total/);
  assert.match(r.text, /^sockscope_scan_errors_total 2$/m);
});

test('the doctor sees the last --window seconds of scrapes, oldest first, thinned to a bounded number', async () => {
  let now = 0;
  const seen: number[][] = [];
  const source: WatchSource = { tick: async () => ({ snapshot: snap([listener(0)]) }) };
  const s = scraper(source, {
    windowSeconds: 60, now: () => now,
    diagnose: (samples: DoctorSample[]) => {
      seen.push(samples.map((x) => x.at));
      return [{ kind: 'accept-queue-full', severity: 'warning', subject: {}, evidence: {}, sockets: [], socketCount: 1 }];
    },
  });
  // One scrape a second for 200 s: more scrapes than the window may keep (60 s / 30 samples = one per 2 s).
  for (let i = 0; i < 200; i++) {
    now = i * 1000;
    const r = await s.scrape();
    if (i === 0) assert.match(r.text, /^sockscope_doctor_findings\{finding="accept-queue-full",severity="warning"\} 1$/m);
  }
  for (const w of seen) {
    assert.ok(w.length <= MAX_SAMPLES, `at most ${MAX_SAMPLES} samples, got ${w.length}`);
    assert.deepEqual([...w].sort((a, b) => a - b), w, 'oldest first');
    assert.ok(w[w.length - 1]! - w[0]! <= 60_000, 'within the window');
  }
  const last = seen[seen.length - 1]!;
  assert.equal(last[last.length - 1], 199_000, 'the newest scrape is always the last sample');
  assert.ok(last[0]! <= 199_000 - 55_000, `the window reaches back about 60 s: ${last[0]}`);
  assert.deepEqual(seen[0], [0], 'the first scrape: one sample (rates need two; the doctor says so)');
  assert.deepEqual(seen[1], [0, 1000]);
});

test('the doctor gets whole first and last samples, reduced middle ones, and fd use on the newest only', async () => {
  let now = 0;
  let table: Socket[] = [];
  const given: DoctorSample[][] = [];
  const source: WatchSource = { tick: async () => ({ snapshot: snap(table) }) };
  const s = scraper(source, {
    windowSeconds: 10, now: () => now,
    readFdUse: (pids) => new Map([...pids].map((pid) => [pid, { open: 5, limit: 1024 }])),
    middleSockets: (sockets) => sockets.filter((x) => x.recvQ > 0),
    diagnose: (samples) => { given.push(samples); return []; },
  });
  // Every table has one socket with a queue and one without: a reduced sample has 1, a whole one 2.
  for (let i = 0; i < 6; i++) {
    now = i * 1000;
    table = [listener(1), { ...listener(0), localPort: 9000 + i }];
    await s.scrape();
  }
  const w = given[given.length - 1]!;
  // Anchors (whole) one per 10 s / 4 = 2.5 s: at 0 and 3 s; the newest is whole too.
  assert.deepEqual(w.map((x) => `${x.at / 1000}:${x.sockets.length}`), ['0:2', '1:1', '2:1', '3:2', '4:1', '5:2']);
  assert.deepEqual(w.map((x) => x.fds?.size ?? 0), [0, 0, 0, 0, 0, 1], 'fd use read for the newest sample only');
  // The window slides: it begins at the oldest anchor still inside it, whole.
  for (let i = 6; i < 14; i++) {
    now = i * 1000;
    await s.scrape();
  }
  const later = given[given.length - 1]!;
  assert.equal(later[0]!.sockets.length, 2, 'the first sample is whole');
  assert.ok(later[0]!.at >= 3000 && later[0]!.at <= 13_000 - 7500, `it spans 3/4 of the window or more: from ${later[0]!.at}`);
  assert.equal(later[later.length - 1]!.sockets.length, 2);
});

test('scraped ten times a second for minutes, the window stays small: few whole tables, bounded samples', async () => {
  let now = 0;
  let largest = 0;
  let wholeMost = 0;
  const source: WatchSource = { tick: async () => ({ snapshot: snap([listener(0), listener(2)]) }) };
  const s = scraper(source, {
    windowSeconds: 60, now: () => now,
    middleSockets: (sockets) => sockets.filter((x) => x.recvQ > 0),
    diagnose: (samples) => {
      largest = Math.max(largest, samples.length);
      wholeMost = Math.max(wholeMost, samples.filter((x) => x.sockets.length === 2).length);
      return [];
    },
  });
  for (let i = 0; i < 3000; i++) {
    now = i * 100;
    await s.scrape();
  }
  assert.ok(largest <= MAX_SAMPLES, `at most ${MAX_SAMPLES} samples (${largest})`);
  assert.ok(wholeMost <= ANCHORS + 2, `at most ${ANCHORS + 2} whole tables at once (${wholeMost})`);
  const span = s.window[s.window.length - 1]! - s.window[0]!;
  assert.ok(span >= 45_000 && span <= 60_000, `the window spans 3/4 of --window or more (${span} ms)`);
});

test('a diagnosis that throws leaves the findings out and counts a scan error', async () => {
  const source: WatchSource = { tick: async () => ({ snapshot: snap([listener(0)]) }) };
  const s = scraper(source, { diagnose: () => { throw new Error('bug'); } });
  const r = await s.scrape();
  assert.doesNotMatch(r.text, /sockscope_doctor_findings\{/);
  assert.equal(s.errors, 1);
});

test('--listen: IPv4, [IPv6] and localhost with a port from 1 to 65535; everything else refused', () => {
  assert.deepEqual(parseListen('127.0.0.1:9977'), { host: '127.0.0.1', port: 9977, display: '127.0.0.1:9977' });
  assert.deepEqual(parseListen('0.0.0.0:1'), { host: '0.0.0.0', port: 1, display: '0.0.0.0:1' });
  assert.deepEqual(parseListen('[::1]:65535'), { host: '::1', port: 65535, display: '[::1]:65535' });
  assert.deepEqual(parseListen('[::]:9977'), { host: '::', port: 9977, display: '[::]:9977' });
  assert.deepEqual(parseListen('localhost:9977'), { host: '127.0.0.1', port: 9977, display: '127.0.0.1:9977' });
  for (const bad of ['9977', ':9977', '127.0.0.1', '127.0.0.1:', '127.0.0.1:65536', '127.0.0.1:-1', '127.0.0.1:99x',
    '127.0.0.1:9977:1', '256.0.0.1:80', '127.1:80', '::1:9977', '[::1]', '[::1]9977', '[fe80::1%lo]:80', '[nothex]:80',
    'example.com:80', 'localhost:', ' 127.0.0.1:80', '127.0.0.1:80 ', '[::1:80', 'x'.repeat(100) + ':80']) {
    assert.throws(() => parseListen(bad), (e: unknown) => e instanceof UsageError && e.ref.key === 'exporter.err.listen', bad);
  }
  assert.throws(() => parseListen('127.0.0.1:0'), (e: unknown) => e instanceof UsageError && e.ref.key === 'exporter.err.listen-port-zero');
});

/** Modules the file imports statically (import ... from '...'), resolved; bare names as they are. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)';/gms)) {
    const spec = m[1]!;
    if (/^import\s+type\s/.test(m[0]) || /^export\s+type\s/.test(m[0])) continue;
    out.push(spec.startsWith('.') ? resolve(dirname(file), spec) : spec);
  }
  return out;
}

test('prom-client is loaded by the exporter command only: the CLI start-up and the library do not import it', () => {
  const root = fileURLToPath(new URL('../../src/', import.meta.url));
  const reach = (entry: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [entry];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (f.startsWith('/')) todo.push(...staticImports(f));
    }
    return seen;
  };
  for (const entry of ['cli/main.js', 'index.js']) {
    const graph = reach(resolve(root, entry));
    assert.ok(graph.size > 10, `${entry}: a real module graph (${graph.size})`);
    assert.ok(!graph.has('prom-client'), `${entry} reaches prom-client statically`);
  }
  assert.ok(reach(resolve(root, 'cli/commands/exporter.js')).has('prom-client'), 'the check does see it where it is');
});

test('the library starts the exporter on demand, serves /metrics, and closes', async () => {
  const { startExporter } = await import('../../src/index.js');
  const net = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
  const e = await startExporter({ port, limits: { topProcesses: 3 } });
  try {
    assert.equal(e.url, `http://127.0.0.1:${port}/metrics`);
    assert.equal(e.worstCaseSeries, 2 * 200 + 12 * 3 + 10 + 98);
    const r = await fetch(e.url, { signal: AbortSignal.timeout(20_000) });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^sockscope_sockets\{protocol="tcp",state="LISTEN"\} [1-9]/m);
  } finally {
    await e.close();
  }
  await assert.rejects(fetch(e.url, { signal: AbortSignal.timeout(5000) }), 'closed: nothing answers');
  // The same port twice: the second start rejects with the system's reason.
  const a = await startExporter({ port });
  try {
    await assert.rejects(startExporter({ port }), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
  } finally {
    await a.close();
  }
});

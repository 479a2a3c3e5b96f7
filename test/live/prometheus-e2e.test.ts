// End to end with a real Prometheus: `sockscope exporter` on a free loopback
// port, Debian's `prometheus` scraping it every second and evaluating the
// shipped alert rules every second, and a scene on loopback made by python
// processes: a listener that never accepts (its accept queue full, further
// SYNs dropped: ListenOverflows rises) and a server that keeps connections
// its clients closed (CLOSE_WAIT). Everything is read back through
// Prometheus' HTTP API, as an operator's dashboards and alerts would.
//
// Other programs share this machine's loopback: every query is narrowed to the
// scene's ports, or to the process names the scene gives itself (prctl
// PR_SET_NAME with a random suffix), which nothing else carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { BIN, Child, REPO_ROOT, eventually, startPython } from './helpers.js';
import { FIVE_CONNECTS } from './scene.js';

const SHIPPED_RULES = join(REPO_ROOT, 'docs/prometheus/sockscope-rules.yml');
/** Bound on each wait for Prometheus to show something. */
const WAIT_MS = 30_000;

/** Sets this process's name (comm, what the exporter's `process` label shows). */
const SET_NAME = `
import ctypes
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
`;

// listen(2) and never accept().
const AQ_SERVER = SET_NAME + `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(2)
emit(port=s.getsockname()[1])
hold()
`;

// Accepts n connections and never closes them.
const CW_SERVER = SET_NAME + `
n = int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(64)
emit(port=srv.getsockname()[1])
keep = []
srv.settimeout(30)
while len(keep) < n:
    c, _ = srv.accept()
    keep.append(c)
emit(accepted=len(keep))
hold()
`;

// Opens n connections, and closes them all when told to (a line on stdin):
// the server's ends then sit in CLOSE_WAIT.
const CW_CLIENT = `
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = [socket.create_connection(('127.0.0.1', port), timeout=10) for _ in range(n)]
emit(connected=len(socks))
sys.stdin.readline()
for c in socks:
    c.close()
emit(closed=len(socks))
hold()
`;

/** CLOSE_WAIT sockets the scene leaves: over the warning rule's threshold (10), under the critical one (100). */
const CLOSE_WAITS = 25;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-prom-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Start a program in its own process group; it is killed (with its group) when the test ends. */
function startProgram(t: TestContext, label: string, cmd: string, args: readonly string[]): Child {
  const proc = spawn(cmd, args, { cwd: REPO_ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const c = new Child(proc, label);
  t.after(() => c.stop());
  return c;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as unknown;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

interface PromRuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: string; state?: string; alerts?: PromAlert[] }[];
}

class Prom {
  constructor(readonly base: string) {}

  async query(q: string): Promise<Sample[]> {
    const r = await getJson(`${this.base}/api/v1/query?query=${encodeURIComponent(q)}`) as { status: string; data: { result: Sample[] } };
    assert.equal(r.status, 'success', `query ${q}`);
    return r.data.result;
  }

  async alerts(): Promise<PromAlert[]> {
    const r = await getJson(`${this.base}/api/v1/alerts`) as { data: { alerts: PromAlert[] } };
    return r.data.alerts;
  }

  async ruleGroups(): Promise<PromRuleGroup[]> {
    const r = await getJson(`${this.base}/api/v1/rules?type=alert`) as { data: { groups: PromRuleGroup[] } };
    return r.data.groups;
  }
}

/** The one series `q` answers, with its value; fails while there is none or several. */
async function one(prom: Prom, q: string): Promise<{ labels: Record<string, string>; value: number }> {
  const r = await prom.query(q);
  assert.equal(r.length, 1, `${q}: expected one series, got ${JSON.stringify(r)}`);
  return { labels: r[0]!.metric, value: Number(r[0]!.value[1]) };
}

/** Firing alerts named `name` whose labels include `labels`. */
function firing(alerts: PromAlert[], name: string, labels: Record<string, string>): PromAlert[] {
  return alerts.filter((a) => a.state === 'firing' && a.labels['alertname'] === name &&
    Object.entries(labels).every(([k, v]) => a.labels[k] === v));
}

test('e2e: a real Prometheus scrapes the exporter; a full accept queue and a CLOSE_WAIT leak make the right series and fire the shipped alerts', { timeout: 180_000 }, async (t) => {
  const started = Date.now();
  const dir = tempDir(t);
  const exporterPort = await freePort();
  const promPort = await freePort();

  // The shipped rules wait minutes (`for: 2m`, `for: 10m`) before firing. The
  // test loads a copy with every `for:` rewritten to 0s and its groups renamed
  // (e2e-...), so that its alerts fire within seconds; it also loads the
  // shipped file unchanged, whose alerts must be at least pending for the scene.
  const shipped = readFileSync(SHIPPED_RULES, 'utf8');
  const quick = shipped.replace(/^(\s+)for: \S+$/gm, '$1for: 0s').replace(/^(\s+)- name: sockscope-/gm, '$1- name: e2e-sockscope-');
  assert.notEqual(quick, shipped);
  assert.doesNotMatch(quick, /for: (?!0s)/, 'every for: rewritten');
  const quickRules = join(dir, 'rules-for-0s.yml');
  writeFileSync(quickRules, quick);
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(quickRules)}`,
    `  - ${JSON.stringify(SHIPPED_RULES)}`,
    'scrape_configs:',
    '  - job_name: sockscope',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${exporterPort}']`,
    '',
  ].join('\n'));

  const exporter = startProgram(t, 'exporter', process.execPath, [BIN, 'exporter', '--listen', `127.0.0.1:${exporterPort}`]);
  const prometheus = startProgram(t, 'prometheus', 'prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ]);
  const prom = new Prom(`http://127.0.0.1:${promPort}`);
  const alive = (): void => {
    assert.equal(exporter.exitCode, null, `the exporter exited (${exporter.exitCode}): ${exporter.stderr}`);
    assert.equal(prometheus.exitCode, null, `prometheus exited (${prometheus.exitCode}): ${prometheus.stderr}`);
  };

  // The exporter answers on its own, then Prometheus scrapes it.
  await eventually('the exporter serves /metrics', async () => {
    alive();
    const res = await fetch(`http://127.0.0.1:${exporterPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^sockscope_sockets\{/m);
  }, { timeoutMs: WAIT_MS, intervalMs: 250 });
  await eventually('prometheus scrapes the exporter', async () => {
    alive();
    const up = await one(prom, `up{job="sockscope",instance="127.0.0.1:${exporterPort}"}`);
    assert.equal(up.value, 1, `target down: ${prometheus.stderr}`);
  }, { timeoutMs: WAIT_MS, intervalMs: 250 });

  // The scene.
  const suffix = randomBytes(3).toString('hex');
  const aqName = `ssaq${suffix}`;
  const cwName = `sscw${suffix}`;
  const aqServer = startPython(t, 'accept-queue server', AQ_SERVER, [aqName]);
  const aqPort = (await aqServer.message('port', 20_000))['port'] as number;
  const aqClient = startPython(t, 'accept-queue client', FIVE_CONNECTS, [String(aqPort)]);
  assert.equal((await aqClient.message('connected', 20_000))['connected'], 3, 'backlog + 1 = 3 connections completed');

  const cwServer = startPython(t, 'close-wait server', CW_SERVER, [cwName, String(CLOSE_WAITS)]);
  const cwPort = (await cwServer.message('port', 20_000))['port'] as number;
  const cwClient = startPython(t, 'close-wait client', CW_CLIENT, [String(cwPort), String(CLOSE_WAITS)]);
  await cwClient.message('connected', 20_000);
  await cwServer.message('accepted', 20_000);
  cwClient.proc.stdin!.write('close\n');
  await cwClient.message('closed', 20_000);
  const sceneReady = Date.now();

  // Series: the never-accepting listener, its queue and backlog, by its name.
  await eventually('the full accept queue in Prometheus', async () => {
    alive();
    const q = await one(prom, `sockscope_listener_accept_queue{port="${aqPort}"}`);
    assert.deepEqual({ ...q.labels }, {
      __name__: 'sockscope_listener_accept_queue', job: 'sockscope', instance: `127.0.0.1:${exporterPort}`,
      protocol: 'tcp', port: String(aqPort), bind_scope: 'loopback', process: aqName,
    });
    assert.equal(q.value, 3, 'three connections wait in the queue (backlog + 1)');
    const b = await one(prom, `sockscope_listener_backlog{port="${aqPort}"}`);
    assert.equal(b.labels['process'], aqName);
    assert.equal(b.labels['bind_scope'], 'loopback');
    assert.equal(b.value, 2, 'backlog as given to listen()');
  }, { timeoutMs: WAIT_MS, intervalMs: 500 });

  // Series: the leaking server's CLOSE_WAIT sockets, by its name; its listener with an empty queue.
  await eventually('the CLOSE_WAIT leak in Prometheus', async () => {
    alive();
    const cw = await one(prom, `sockscope_process_sockets{process="${cwName}",state="CLOSE_WAIT"}`);
    assert.equal(cw.value, CLOSE_WAITS, `${CLOSE_WAITS} sockets in CLOSE_WAIT held by ${cwName}`);
    const l = await one(prom, `sockscope_process_sockets{process="${cwName}",state="LISTEN"}`);
    assert.equal(l.value, 1);
    const q = await one(prom, `sockscope_listener_accept_queue{port="${cwPort}"}`);
    assert.equal(q.labels['process'], cwName);
    assert.equal(q.value, 0, 'the leaking server accepts everything');
    assert.equal((await one(prom, `sockscope_listener_backlog{port="${cwPort}"}`)).value, 64);
    const all = await one(prom, `sockscope_sockets{protocol="tcp",state="CLOSE_WAIT"}`);
    assert.ok(all.value >= CLOSE_WAITS, `sockscope_sockets counts the scene's CLOSE_WAIT sockets (${all.value})`);
  }, { timeoutMs: WAIT_MS, intervalMs: 500 });

  // The host's overflow counter and the exporter's own health.
  await eventually('counters and the exporter\'s health in Prometheus', async () => {
    alive();
    const inc = await one(prom, `increase(sockscope_tcp_listen_overflows_total{instance="127.0.0.1:${exporterPort}"}[1m])`);
    assert.ok(inc.value > 0, 'the dropped SYNs of the two SYN_SENT clients count as listen overflows');
    assert.ok((await one(prom, 'sockscope_scrape_duration_seconds{job="sockscope"}')).value > 0);
    await one(prom, 'sockscope_scan_errors_total{job="sockscope"}');
    await one(prom, 'sockscope_tcp_listen_drops_total{job="sockscope"}');
    assert.ok((await one(prom, 'sockscope_ephemeral_port_range_size{job="sockscope"}')).value > 0);
  }, { timeoutMs: WAIT_MS, intervalMs: 500 });

  // Alerts from the quick copy of the rules: firing, naming the scene's listener and process.
  const alerts = await eventually('the expected alerts fire', async () => {
    alive();
    const all = await prom.alerts();
    const mine = (a: PromAlert): boolean => a.labels['port'] === String(aqPort) || a.labels['process'] === cwName;
    const show = JSON.stringify(all.filter(mine).map((a) => ({ ...a.labels, state: a.state })));
    const full = firing(all, 'SockscopeAcceptQueueFull', { port: String(aqPort), process: aqName, severity: 'warning', bind_scope: 'loopback' });
    assert.equal(full.length, 1, `SockscopeAcceptQueueFull for ${aqPort}: ${show}`);
    assert.equal(full[0]!.annotations['summary'], `Accept queue full: tcp port ${aqPort} (${aqName}) on 127.0.0.1:${exporterPort}`);
    assert.match(full[0]!.annotations['description']!, new RegExp(`held by ${aqName}, has 3 connections waiting`));
    const over = firing(all, 'SockscopeAcceptQueueOverflowing', { port: String(aqPort), process: aqName, severity: 'critical' });
    assert.equal(over.length, 1, `SockscopeAcceptQueueOverflowing for ${aqPort}: ${show}`);
    const cw = firing(all, 'SockscopeCloseWaitAccumulating', { process: cwName, severity: 'warning' });
    assert.equal(cw.length, 1, `SockscopeCloseWaitAccumulating for ${cwName}: ${show}`);
    assert.equal(cw[0]!.annotations['summary'], `${cwName} holds ${CLOSE_WAITS} CLOSE_WAIT sockets on 127.0.0.1:${exporterPort}`);
    // 25 is under the critical rule's 100.
    assert.equal(firing(all, 'SockscopeCloseWaitAccumulating', { process: cwName, severity: 'critical' }).length, 0, show);
    assert.equal(firing(all, 'SockscopeExporterDown', { instance: `127.0.0.1:${exporterPort}` }).length, 0, show);
    return all;
  }, { timeoutMs: WAIT_MS, intervalMs: 500 });
  assert.ok(alerts.length > 0);

  // The shipped rules, unchanged, see the same scene: their alerts are pending
  // (their `for:` has not passed yet), or firing if this run took that long.
  await eventually('the shipped rules hold pending alerts for the scene', async () => {
    const groups = (await prom.ruleGroups()).filter((g) => g.file === SHIPPED_RULES);
    assert.ok(groups.length >= 5, `the shipped rule file is loaded: ${groups.map((g) => g.name).join(', ')}`);
    const alertsOf = (name: string): PromAlert[] => groups.flatMap((g) => g.rules).filter((r) => r.name === name).flatMap((r) => r.alerts ?? []);
    const pendingOrFiring = (a: PromAlert): boolean => a.state === 'pending' || a.state === 'firing';
    assert.ok(alertsOf('SockscopeAcceptQueueFull').some((a) => a.labels['port'] === String(aqPort) && pendingOrFiring(a)),
      `shipped SockscopeAcceptQueueFull for ${aqPort}: ${JSON.stringify(alertsOf('SockscopeAcceptQueueFull'))}`);
    assert.ok(alertsOf('SockscopeCloseWaitAccumulating').some((a) => a.labels['process'] === cwName && a.labels['severity'] === 'warning' && pendingOrFiring(a)),
      `shipped SockscopeCloseWaitAccumulating for ${cwName}: ${JSON.stringify(alertsOf('SockscopeCloseWaitAccumulating'))}`);
  }, { timeoutMs: WAIT_MS, intervalMs: 500 });

  // Doctor's findings gauge, computed by the exporter over its window of scrapes.
  await eventually('doctor findings in Prometheus', async () => {
    alive();
    // Every kind x severity is always exported (the contract): 12 x 3 series.
    const findings = await prom.query('sockscope_doctor_findings{job="sockscope"}');
    assert.equal(findings.length, 36, `doctor findings series: ${findings.map((s) => `${s.metric['finding']}/${s.metric['severity']}`).join(' ')}`);
    // Doctor, over the exporter's window, sees the scene's full accept queue and CLOSE_WAIT (and
    // perhaps other programs' trouble too: at least one of each, at warning or worse).
    const aq = await prom.query('sum(sockscope_doctor_findings{job="sockscope",finding="accept-queue-full",severity=~"warning|critical"})');
    assert.ok(Number(aq[0]?.value[1]) >= 1, `accept-queue-full findings: ${JSON.stringify(aq)}`);
    const cw = await prom.query('sum(sockscope_doctor_findings{job="sockscope",finding="close-wait",severity=~"warning|critical"})');
    assert.ok(Number(cw[0]?.value[1]) >= 1, `close-wait findings: ${JSON.stringify(cw)}`);
  }, { timeoutMs: WAIT_MS, intervalMs: 500 });

  t.diagnostic(`prometheus e2e: ${Date.now() - started} ms in all, ${Date.now() - sceneReady} ms from the scene to the last check`);
});

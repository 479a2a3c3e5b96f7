// The exporter on a real scene: a python listener with listen(2) that never
// accepts, and clients that fill its accept queue. A scrape shows that
// listener's queue and backlog under its own port and process name, and the
// kernel's ListenOverflows/ListenDrops rising as further SYNs are dropped.
// Only our own port and our own process are looked at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { eventually, startPython } from './helpers.js';
import { FIVE_CONNECTS } from './scene.js';
import { get, parseMetrics, pick, promtoolComplaint, startExporter } from './exporter-helpers.js';

const SERVER = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(2)
emit(port=s.getsockname()[1])
hold()
`;

test('exporter: a listener that never accepts shows its accept queue, backlog, port and process', async (t) => {
  const server = startPython(t, 'never-accepting server', SERVER);
  const { port } = (await server.message('port')) as { port: number };
  const comm = readFileSync(`/proc/${server.pid}/comm`, 'utf8').trim();
  const exporter = await startExporter(t);

  const before = parseMetrics((await get(`${exporter.url}/metrics`)).body);
  const ours = { port: String(port), bind_scope: 'loopback', protocol: 'tcp' };
  assert.deepEqual(pick(before, 'sockscope_listener_accept_queue', ours).map((s) => [s.labels['process'], s.value]), [[comm, 0]],
    'the idle listener: empty queue, named after its process');
  assert.deepEqual(pick(before, 'sockscope_listener_backlog', ours).map((s) => s.value), [2]);
  const overflows0 = pick(before, 'sockscope_tcp_listen_overflows_total')[0]?.value;
  const drops0 = pick(before, 'sockscope_tcp_listen_drops_total')[0]?.value;
  assert.ok(overflows0 !== undefined && drops0 !== undefined, 'the kernel counters are exported');

  const client = startPython(t, 'clients', FIVE_CONNECTS, [String(port)]);
  await client.message('connected');
  const after = await eventually('the full queue shows in a scrape', async () => {
    const r = await get(`${exporter.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(r.body);
    const queue = pick(samples, 'sockscope_listener_accept_queue', ours);
    assert.deepEqual(queue.map((s) => [s.labels['process'], s.value]), [[comm, 3]], `our listener: ${JSON.stringify(queue)}`);
    assert.deepEqual(pick(samples, 'sockscope_listener_backlog', { ...ours, process: comm }).map((s) => s.value), [2]);
    const overflows = pick(samples, 'sockscope_tcp_listen_overflows_total')[0]!.value;
    const drops = pick(samples, 'sockscope_tcp_listen_drops_total')[0]!.value;
    assert.ok(overflows > overflows0, `ListenOverflows rose (${overflows0} -> ${overflows}): our SYNs hit a full queue`);
    assert.ok(drops >= overflows - overflows0 + drops0, 'ListenDrops counts the overflows too');
    return { samples, text: r.body };
  }, { timeoutMs: 10_000, intervalMs: 200 });

  // The process's own sockets: its listener, by name and state.
  const listening = pick(after.samples, 'sockscope_process_sockets', { process: comm, state: 'LISTEN' });
  assert.equal(listening.length, 1);
  assert.ok(listening[0]!.value >= 1);
  // The accepted-by-kernel connections no process holds yet count as (none).
  assert.ok(pick(after.samples, 'sockscope_process_sockets', { process: '(none)', state: 'ESTABLISHED' })[0]!.value >= 3);
  // The doctor's finding as a gauge: a listener at its backlog (ours at least; others on this machine may add to it).
  const full = pick(after.samples, 'sockscope_doctor_findings', { finding: 'accept-queue-full' });
  assert.equal(full.length, 3, 'every severity is exported');
  assert.ok(full.reduce((n, x) => n + x.value, 0) >= 1, `accept-queue-full reported: ${JSON.stringify(full)}`);
  assert.equal(promtoolComplaint(after.text), undefined, 'Prometheus reads the text');
});

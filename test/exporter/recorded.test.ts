// The exporter command over a recorded /proc tree (--proc-root): the whole
// chain (collector, series, prom-client, HTTP) with exact expected values,
// and what a /proc/net source cannot say left out rather than written as 0.
// Names that are not valid UTF-8 come out escaped by safeText.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { get, parseMetrics, pick, startExporter } from '../live/exporter-helpers.js';

const TREE = fileURLToPath(new URL('../../../test/fixtures/proc/unicode-names', import.meta.url));

test('exporter over a recorded tree: four listeners with their process names, no backlog, no counters', async (t) => {
  const e = await startExporter(t, ['--proc-root', TREE]);
  const r = await get(`${e.url}/metrics`);
  assert.equal(r.status, 200);
  const samples = parseMetrics(r.body);
  const queues = pick(samples, 'sockscope_listener_accept_queue').map((s) => `${s.labels['port']} ${s.labels['bind_scope']} ${s.labels['process']} ${s.value}`);
  assert.deepEqual(queues.sort(), [
    '18081 loopback café-srv 0',
    '18082 loopback 服务器 0',
    '18083 loopback bad\\xffname 0',
    '18084 loopback bad\\xfename 0',
  ], 'names as safeText shows them: the two that differ only in invalid bytes stay apart');
  assert.deepEqual(pick(samples, 'sockscope_listener_backlog'), [], '/proc/net does not show backlogs: absent, not 0');
  assert.deepEqual(pick(samples, 'sockscope_sockets', { protocol: 'tcp', state: 'LISTEN' }).map((s) => s.value), [4]);
  assert.deepEqual(pick(samples, 'sockscope_tcp_listen_overflows_total'), [], 'the tree has no /proc/net/netstat');
  assert.deepEqual(pick(samples, 'sockscope_ephemeral_port_range_size'), [], 'nor ip_local_port_range');
  // The exporter's own first look at start-up and this scrape: the counters unreadable each time;
  // the tree's missing tcp6/udp tables are no error (a kernel without IPv6 has none).
  const errors = pick(samples, 'sockscope_scan_errors_total')[0]!.value;
  assert.ok(errors === 1 || errors === 2, `one error per scrape so far: ${errors}`);
  const findings = pick(samples, 'sockscope_doctor_findings');
  assert.equal(findings.length, 36, 'every kind x severity');
  assert.ok(findings.every((f) => f.value === 0 || f.labels['finding'] !== 'accept-queue-full'), 'no listener is full here');
  // Another scrape: the counters are still unreadable, one more error.
  const again = parseMetrics((await get(`${e.url}/metrics`)).body);
  assert.deepEqual(pick(again, 'sockscope_scan_errors_total').map((s) => s.value), [errors + 1]);
});

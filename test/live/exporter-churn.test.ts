// Scrapes while a python process opens and closes hundreds of loopback
// connections a second: every scrape (one after another, and several at
// once) answers 200 with text that Prometheus' own parser reads, within the
// documented series bound, and the churn is seen (its TIME_WAIT sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPython } from './helpers.js';
import { get, parseMetrics, pick, promtoolComplaint, startExporter } from './exporter-helpers.js';

// A listener and a client in one process: connect, accept, close both, about
// 400 times a second for at most `seconds`, reporting its rate. Most clients
// close with a reset (SO_LINGER 0): a normal close leaves a TIME_WAIT that
// holds its port for a minute, and thousands of them on the shared loopback
// would show up in later tests that look at a port; one in 50 closes normally.
const CHURN = `
import struct
seconds = float(sys.argv[1])
total = 0
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(128)
emit(port=srv.getsockname()[1])
end = time.time() + seconds
n = 0
mark = time.time()
while time.time() < end:
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.connect(('127.0.0.1', srv.getsockname()[1]))
    a, _ = srv.accept()
    total += 1
    if total % 50:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
    a.close()
    n += 1
    time.sleep(0.002)
    if time.time() - mark >= 1:
        emit(rate=n / (time.time() - mark))
        n = 0
        mark = time.time()
emit(finished=True)
hold()
`;

test('exporter: scrapes during heavy connection churn succeed and parse', async (t) => {
  const exporter = await startExporter(t);
  await get(`${exporter.url}/metrics`); // the first look (every process's fds) before the churn starts
  const churn = startPython(t, 'churn', CHURN, ['10']);
  const { port } = (await churn.message('port')) as { port: number };
  const { rate } = (await churn.message('rate')) as { rate: number };
  assert.ok(rate >= 200, `the churn runs at hundreds of connections per second (${rate.toFixed(0)}/s)`);

  const texts: string[] = [];
  const costs: number[] = [];
  const deadline = Date.now() + 8000;
  for (let i = 0; i < 12 && Date.now() < deadline; i++) {
    // Every third round, four scrapes at once.
    const n = i % 3 === 2 ? 4 : 1;
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: n }, () => get(`${exporter.url}/metrics`)));
    costs.push(performance.now() - t0);
    for (const r of rs) {
      assert.equal(r.status, 200, r.body);
      texts.push(r.body);
    }
    // (Whether they shared one collection depends on when each request lands: test/exporter/scraper.test.ts checks the sharing.)
  }
  assert.ok(texts.length >= 12, `scraped ${texts.length} times`);
  let sawChurn = false;
  for (const text of texts) {
    const samples = parseMetrics(text);
    assert.ok(samples.length <= 1108, `${samples.length} series, within the bound at the defaults`);
    const tw = pick(samples, 'sockscope_sockets', { protocol: 'tcp', state: 'TIME_WAIT' })[0];
    assert.ok(tw, 'TIME_WAIT is always exported');
    if (tw.value > 0) sawChurn = true;
    assert.ok(pick(samples, 'sockscope_listener_accept_queue', { port: String(port) }).length === 1, 'the churn listener is there');
    assert.equal(pick(samples, 'sockscope_scan_errors_total')[0]!.value, 0, 'no collection failed');
  }
  assert.ok(sawChurn, 'the churn\'s TIME_WAIT sockets were seen');
  // Prometheus' parser on a few of them (spawning promtool for each would be slow).
  for (const text of [texts[0]!, texts[Math.floor(texts.length / 2)]!, texts[texts.length - 1]!]) {
    assert.equal(promtoolComplaint(text), undefined);
  }
  const last = parseMetrics(texts[texts.length - 1]!);
  const scrapeMs = pick(last, 'sockscope_scrape_duration_seconds')[0]!.value * 1000;
  const cpuMs = pick(last, 'sockscope_scrape_cpu_seconds')[0]!.value * 1000;
  console.log(`# churn ${rate.toFixed(0)} conn/s: ${texts.length} scrapes, HTTP round trip median ${costs.sort((a, b) => a - b)[costs.length >> 1]!.toFixed(1)} ms, ` +
    `last collection ${scrapeMs.toFixed(1)} ms wall, ${cpuMs.toFixed(1)} ms CPU, ${last.length} series`);
  assert.equal(exporter.proc.exitCode, null, 'the exporter is still running');
});

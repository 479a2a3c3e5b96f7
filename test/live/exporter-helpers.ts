// Shared by the exporter's live tests: start `sockscope exporter` on a free
// loopback port (killed when the test ends), scrape it, and read the text
// format back into series.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { BIN, REPO_ROOT, eventually, sleep } from './helpers.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse Prometheus' text format (0.0.4): one sample per line; comments skipped. Throws on a line it cannot read. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let pos = 0;
    for (let l = re.exec(body); l; l = re.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      pos = re.lastIndex;
    }
    if (pos !== body.length) throw new Error(`labels not read to the end: ${JSON.stringify(line)}`);
    const value = Number(m[3]);
    if (Number.isNaN(value)) throw new Error(`not a number: ${JSON.stringify(line)}`);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Samples of one metric whose labels include these. */
export function pick(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** A loopback port nobody listens on right now (the exporter may still lose a race for it: startExporter retries). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Exporter {
  proc: ChildProcess;
  port: number;
  url: string;
  stderr: () => string;
  /** Resolves with (code, signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Run the exporter with these extra arguments on a free loopback port; it is killed when the test ends. */
export async function startExporter(t: TestContext, args: readonly string[] = []): Promise<Exporter> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(process.execPath, [BIN, 'exporter', '--listen', `127.0.0.1:${port}`, ...args], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', LANG: 'C' },
    });
    let err = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    proc.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.on('exit', (code, signal) => resolve({ code, signal }));
    });
    let done = false;
    void exited.then(() => { done = true; });
    t.after(async () => {
      if (!done) proc.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
    });
    await eventually('the exporter says it serves', () => {
      if (done) return;
      if (!err.includes('serving http://')) throw new Error(`stderr so far: ${err}`);
    }, { timeoutMs: 15_000, intervalMs: 50 });
    if (done) {
      // Lost the port to another program between freePort() and bind: try another.
      if (err.includes('EADDRINUSE')) continue;
      throw new Error(`the exporter ended before serving: ${err}`);
    }
    return { proc, port, url: `http://127.0.0.1:${port}`, stderr: () => err, exited };
  }
  throw new Error('no free port after 3 tries');
}

/** GET a path; the status, content type and body. */
export async function get(url: string, timeoutMs = 20_000): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

/** Prometheus' own parser and linter on the text (promtool check metrics); its complaint, or undefined. */
export function promtoolComplaint(text: string): string | undefined {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw new Error(`promtool could not run: ${r.error.message}`);
  return r.status === 0 ? undefined : `${r.stdout}${r.stderr}`.trim();
}

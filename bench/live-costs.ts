// Costs of the long-running commands on a scene, for the benchmark: a `watch
// --traffic` tick, and one look of `sockscope web` with a page's stream open
// (what the server does per look, from its SOCKSCOPE_WEB_COST_LOG lines), and
// the time from starting `sockscope web` to its first rows over HTTP.
// The namespace cost runs scripts/netns-scene.mjs (N namespaces x ~1k sockets).
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { median } from './measure.js';

export interface WebCost {
  looks: number;
  /** watch()'s own look (table, holders, diff), median CPU ms. */
  lookCpuMs: number;
  /** The server's update per look (ids, timeline, views, sorted rows) and its broadcast, median CPU ms of its main thread. */
  serverCpuMs: number;
  maxServerCpuMs: number;
  /** From spawn to the first /api/rows answer with rows in it, ms. */
  firstRowsMs: number;
  /** Bytes the stream sent per look (median). */
  streamBytesPerLook: number;
  rssMB: number;
  sockets: number;
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Start `sockscope web` on a random loopback port, time its first rows, keep
 * one stream open (with map deltas, as the page asks) for `seconds` and read the cost lines.
 */
export async function webCost(bin: string, seconds: number, log: (m: string) => void): Promise<WebCost | undefined> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'web', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, SOCKSCOPE_WEB_COST_LOG: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  let stream: http.ClientRequest | undefined;
  try {
    const deadline = Date.now() + 60_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!m) { log(`web: no URL printed (${err.slice(0, 200)})`); return undefined; }
    const [, origin, token] = m;
    const auth = { Authorization: `Bearer ${token}`, Host: origin!.slice('http://'.length) };
    let firstRowsMs = NaN;
    for (let i = 0; i < 600; i++) {
      // The server may still be taking its first look (seconds at 100k sockets): ask again.
      const r = await get(`${origin}/api/rows?offset=0&limit=100`, auth).catch((e: Error) => ({ status: 0, body: e.message, headers: {} }));
      if (r.status === 200 && (JSON.parse(r.body) as { rows: unknown[] }).rows.length > 0) { firstRowsMs = performance.now() - t0; break; }
      await new Promise((res) => setTimeout(res, 50));
    }
    let streamBytes = 0;
    stream = http.get(`${origin}/api/stream?delta=1`, { headers: auth }, (res) => { res.on('data', (c: Buffer) => { streamBytes += c.length; }); });
    stream.on('error', () => { /* closed at the end */ });
    const startLines = err.split('\n').filter((l) => l.startsWith('{')).length;
    const bytesAtStart = streamBytes;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const lines = err.split('\n').filter((l) => l.startsWith('{')).slice(startLines + 1)
      .map((l) => JSON.parse(l) as { lookCpuMs: number; serverCpuMs: number; serverThreadCpuMs?: number; sockets: number; rss: number });
    if (lines.length < 2) { log(`web: only ${lines.length} looks logged`); return undefined; }
    const server = lines.map((l) => l.serverThreadCpuMs ?? l.serverCpuMs).sort((a, b) => a - b);
    return {
      looks: lines.length, lookCpuMs: median(lines.map((l) => l.lookCpuMs))!, serverCpuMs: median(server)!, maxServerCpuMs: server.at(-1)!,
      firstRowsMs, streamBytesPerLook: (streamBytes - bytesAtStart) / lines.length, rssMB: lines.at(-1)!.rss / (1 << 20), sockets: lines.at(-1)!.sockets,
    };
  } finally {
    stream?.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
  }
}

export interface NetnsCost { lines: string[] }

/** scripts/netns-scene.mjs with N namespaces x per sockets (and the all-in-host baseline): its summary lines. */
export function netnsCost(namespaces: number, per: number, runs: number, log: (m: string) => void): NetnsCost | undefined {
  const script = fileURLToPath(new URL('../../scripts/netns-scene.mjs', import.meta.url));
  const lines: string[] = [];
  for (const layout of ['netns', 'host']) {
    const r = spawnSync(process.execPath, [script, String(namespaces), String(per), String(runs), layout], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 26 });
    if (r.status !== 0) { log(`netns scene (${layout}): exit ${r.status}: ${(r.stderr || r.stdout).slice(0, 300)}`); return undefined; }
    const got = r.stdout.split('\n').filter((l) => /median/.test(l)).map((l) => `${layout === 'host' ? '[all in the host namespace] ' : ''}${l.trim()}`);
    if (!got.length) { log(`netns scene (${layout}): no figures in its output: ${(r.stdout + r.stderr).slice(-400)}`); return undefined; }
    log(`netns scene (${layout}):\n${got.join('\n')}`);
    lines.push(...got);
  }
  return { lines };
}

export interface PaintCost {
  /** From navigation to the map's first port door drawn, ms (median of the loads). */
  mapMs: number;
  /** From navigation to the table's first row drawn (Table view), ms. */
  tableMs: number;
  loads: number;
}

/**
 * Time to first meaningful paint of the page, in Debian's Chromium driven by
 * playwright-core: `sockscope web` is started once (its first look done), then
 * the page is loaded `loads` times in a fresh context each, timing the map's
 * first door and the table's first row. Undefined when Chromium or
 * playwright-core is missing.
 */
export async function webPaint(bin: string, loads: number, log: (m: string) => void): Promise<PaintCost | undefined> {
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    log('web paint: playwright-core is not installed');
    return undefined;
  }
  const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  if (!existsSync('/usr/bin/chromium')) { log('web paint: /usr/bin/chromium is missing'); return undefined; }
  const child = spawn(process.execPath, [bin, 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', () => { /* drained */ });
  // launch() gives each run a fresh temporary profile of its own.
  const profile = mkdtempSync(join(tmpdir(), 'sockscope-bench-chromium-'));
  let browser: import('playwright-core').Browser | undefined;
  try {
    const deadline = Date.now() + 60_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!m) { log('web paint: no URL printed'); return undefined; }
    const url = m[1]!;
    browser = await pw.chromium.launch({
      executablePath: '/usr/bin/chromium', headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    // A first load that also waits for the server's first look, not counted.
    const warm = await browser.newPage();
    await warm.goto(url, { waitUntil: 'load', timeout: 120_000 });
    await warm.waitForSelector('#map-svg g.node[data-kind="port"]', { timeout: 120_000 });
    const cookies = await warm.context().cookies();
    await warm.close();
    const maps: number[] = [];
    const tables: number[] = [];
    for (let i = 0; i < loads; i++) {
      const ctx = await browser.newContext();
      await ctx.addCookies(cookies);
      const page = await ctx.newPage();
      const t0 = performance.now();
      await page.goto(new URL('/', url).toString(), { waitUntil: 'commit', timeout: 120_000 });
      await page.waitForSelector('#map-svg g.node[data-kind="port"]', { timeout: 120_000 });
      maps.push(performance.now() - t0);
      const t1 = performance.now();
      await page.click('#tab-table');
      await page.waitForSelector('#table-scroll .trow', { timeout: 120_000 });
      tables.push(performance.now() - t1);
      await ctx.close();
    }
    return { mapMs: median(maps)!, tableMs: median(tables)!, loads };
  } catch (e) {
    log(`web paint: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    await browser?.close().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
    rmSync(profile, { recursive: true, force: true });
  }
}

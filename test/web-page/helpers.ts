// Shared by the page's browser tests (registers no test): the real
// `sockscope web` as a child process, Debian's Chromium driven by
// playwright-core with a fresh profile, and screenshots into a temp dir.
//
// Every test here drives the real server and the real bundled page
// (dist/web, built by scripts/build-web.mjs); nothing is faked.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BIN } from '../helpers.js';
import { eventually } from '../live/helpers.js';

export { eventually };

/** Where Debian installs Chromium (.ci/run installs the package). */
export const CHROMIUM = '/usr/bin/chromium';

export interface WebServer {
  proc: ChildProcess;
  /** The URL printed with its token. */
  url: string;
  origin: string;
  port: number;
  token: string;
  stdout(): string;
  stderr(): string;
}

/**
 * Start `sockscope web` (random port on loopback unless args say otherwise) and
 * wait (bounded) for the URL it prints. Stopped with SIGTERM when the test ends.
 */
export async function startWeb(t: TestContext, args: readonly string[] = [], env: Record<string, string> = {}): Promise<WebServer> {
  const proc = spawn(process.execPath, [BIN, 'web', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out = (out + d).slice(-20_000); });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-20_000); });
  let exited = false;
  const gone = new Promise<void>((resolve) => proc.on('exit', () => { exited = true; resolve(); }));
  t.after(async () => {
    if (!exited) proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
    if (!exited) proc.kill('SIGKILL');
  });
  const url = await eventually('sockscope web prints its URL', () => {
    const m = /(http:\/\/[^\s/]+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
    if (m) return m[1]!;
    if (exited) throw new Error(`sockscope web exited (${proc.exitCode}): ${err}`);
    throw new Error(`no URL yet; stdout: ${out} stderr: ${err}`);
  }, { timeoutMs: 20_000, intervalMs: 50 });
  const u = new URL(url);
  return { proc, url, origin: u.origin, port: Number(u.port), token: u.searchParams.get('token')!, stdout: () => out, stderr: () => err };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP reports the page produced. */
  problems: string[];
  /** Requests the page made to any other origin than the server's (must stay empty: works offline). */
  foreign: string[];
  /** Dialogs the page opened (alert, confirm): a hostile name must never open one. */
  dialogs: string[];
}

/**
 * Debian's Chromium, headless, with a fresh profile, nothing of its own on the
 * network (no QUIC, no background requests, no component updates, no sync).
 */
export async function openBrowser(t: TestContext, origin: string, extraArgs: readonly string[] = []): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'sockscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
    timeout: 60_000,
  });
  t.after(async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? await context.newPage();
  const b: Browser = { context, page, problems: [], foreign: [], dialogs: [] };
  page.on('console', (m) => {
    // Failed loads are reported below with their address.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) b.problems.push(m.text());
  });
  context.on('response', (r) => {
    // A refused page has no icon link, and Chromium then asks for /favicon.ico (refused too).
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') b.problems.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => b.problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    b.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:')) b.foreign.push(u);
  });
  return b;
}

/** Open the page with the token and wait until it has its session, catalog and first data. */
export async function openPage(b: Browser, server: WebServer, view = 'map'): Promise<void> {
  const r = await b.page.goto(server.url, { waitUntil: 'load', timeout: 30_000 });
  if (!r || r.status() !== 200) throw new Error(`the page answered ${r?.status()}: ${await r?.text()}`);
  await b.page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await b.page.evaluate((v) => { location.hash = v; }, view);
}

let shots: string | undefined;

/** The directory screenshots go to: $SOCKSCOPE_WEB_SHOTS, or a temp dir (kept, printed once). */
export function shotDir(): string {
  if (shots) return shots;
  const env = process.env['SOCKSCOPE_WEB_SHOTS'];
  if (env) {
    mkdirSync(env, { recursive: true });
    shots = env;
  } else {
    shots = mkdtempSync(join(tmpdir(), 'sockscope-web-shots-'));
  }
  process.stderr.write(`web page screenshots: ${shots}\n`);
  return shots;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(shotDir(), `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** The table's row texts (what is drawn now), one string per row, cells joined by tabs. */
export async function tableRows(page: Page): Promise<string[]> {
  return page.$$eval('#table-scroll .trow:not([hidden])[data-id]', (rows) =>
    rows.map((r) => [...r.children].map((c) => c.textContent ?? '').join('\t')));
}

/** The map's nodes now: kind, label text, and the node's filter-relevant id. */
export async function mapNodes(page: Page): Promise<{ id: string; kind: string; text: string }[]> {
  return page.$$eval('#map-svg g.node:not(.exit)', (gs) =>
    gs.map((g) => ({ id: g.getAttribute('data-id') ?? '', kind: g.getAttribute('data-kind') ?? '', text: g.textContent ?? '' })));
}

/** Set the filter box and apply it (Enter), as a person would. */
export async function setFilter(page: Page, text: string): Promise<void> {
  await page.fill('#filter', text);
  await page.press('#filter', 'Enter');
}

/** A python listener on 127.0.0.1 (port picked by the kernel) that says its port and holds until killed. */
export const LISTENER = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(8)
emit(port=s.getsockname()[1])
hold()
`;

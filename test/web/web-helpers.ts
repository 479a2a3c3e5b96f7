// Shared by the web server's tests: a server on 127.0.0.1 with a random port
// (stopped when the test ends), raw HTTP requests with any Host, Origin and
// Cookie (fetch() may not set Host), and a reader of server-sent events.
import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startWeb, type RunningWeb, type WebOptions } from '../../src/web/server.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Req {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One HTTP request to 127.0.0.1:port, answered within 10 s. */
export function http(port: number, path: string, o: Req = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('timeout', () => r.destroy(new Error(`no answer to ${path} in 10 s`)));
    r.on('error', reject);
    if (o.body !== undefined) r.write(o.body);
    r.end();
  });
}

/** The built page stand-in: an index.html and an app.js in a directory of their own. */
export function fakeAssets(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-web-assets-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><script src="/assets/app.js"></script></head><body></body></html>');
  writeFileSync(join(dir, 'app.js'), 'console.log("page");\n');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestWeb {
  web: RunningWeb;
  port: number;
  /** Headers that pass the gate for a GET. */
  auth: Record<string, string>;
  /** Headers that pass the gate for a POST (Origin, CSRF, JSON). */
  post: () => Promise<Record<string, string>>;
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  json<T = any>(path: string): Promise<T>;
}

/** startWeb() on 127.0.0.1, a random port, stopped when the test ends. */
export async function serve(t: TestContext, o: WebOptions = {}): Promise<TestWeb> {
  const web = await startWeb({ host: '127.0.0.1', port: 0, assetsDir: fakeAssets(t) + '/', intervalSeconds: 0.4, ...o });
  t.after(() => web.close());
  const port = web.port;
  const auth = { Host: `127.0.0.1:${port}`, Cookie: `sockscope_token_${port}=${web.token}` };
  const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => http(port, path, { headers: { ...auth, ...headers } });
  let csrf: string | undefined;
  return {
    web, port, auth, get,
    json: async (path) => {
      const r = await get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body);
    },
    post: async () => {
      csrf ??= (JSON.parse((await get('/api/session')).body) as { csrf: string }).csrf;
      return { ...auth, Origin: `http://127.0.0.1:${port}`, 'X-Sockscope-CSRF': csrf, 'Content-Type': 'application/json' };
    },
  };
}

export interface SseEvent {
  event: string;
  data: any;
}

/** A stream of server-sent events, read as they come. */
export class EventReader {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: IncomingHttpHeaders = {};
  private buf = '';
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly req;
  readonly ready: Promise<void>;

  constructor(port: number, path: string, headers: Record<string, string>) {
    let ok!: () => void;
    let fail!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => { ok = resolve; fail = reject; });
    this.req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      ok();
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        this.buf += d;
        let end: number;
        while ((end = this.buf.indexOf('\n\n')) >= 0) {
          const block = this.buf.slice(0, end);
          this.buf = this.buf.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) this.events.push({ event, data: this.status === 200 ? JSON.parse(data.join('\n')) : data.join('\n') });
        }
        for (const w of this.waiters.splice(0)) w();
      });
      res.on('end', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(); });
    });
    this.req.on('error', (e) => { this.closed = true; fail(e); for (const w of this.waiters.splice(0)) w(); });
    this.req.end();
  }

  /** The first event (from `from` on) that passes `test`, waiting up to timeoutMs. */
  async find(test: (e: SseEvent) => boolean, timeoutMs: number, from = 0): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(test);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`no such event in ${timeoutMs} ms; got: ${this.events.map((e) => e.event).join(' ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}

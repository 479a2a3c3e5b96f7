// `sockscope web`'s server (node:http, no framework): the page's static files,
// a JSON API and server-sent event streams, all behind security.ts's gate,
// fed by one watch() loop over the live collector (every consumer of the
// library is a thin adapter over watch(); this is one more). The API is
// documented in docs/web.md ("API").
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultContext } from '../index.js';
import { LiveCollector } from '../collectors/live.js';
import { readEphemeralRange, readHostFacts } from '../collectors/procfs/host.js';
import { catalog, LANGS, msg, parseLang, translator, type Lang, type MessageKey } from '../explain/i18n.js';
import { explainSocket, rowContext, type RowContext } from '../explain/row.js';
import { formatEndpoint, type Socket } from '../model/socket.js';
import { SORT_KEYS, type SortKey } from '../model/sort.js';
import { jsonText, safeText } from '../views/safe-text.js';
import { FilterTextError } from '../views/tui/filter-text.js';
import { watch, type WatchSource } from '../watch.js';
import { closeSocket, killProcess, type Signal } from './actions.js';
import { experimentList, LabRuns, type WebLabEvent } from './lab.js';
import { toRow } from './rows.js';
import { admit, CSRF_HEADER, HostAllowList, newSecret, SECURITY_HEADERS, setCookie, urlHost } from './security.js';
import { WebState, type View } from './state.js';

const VERSION = '0.1.0';

/** Options of {@link startWeb}. */
export interface WebOptions {
  /** Address to bind (default 127.0.0.1, and ::1 on the same port). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Also bind ::1 on the same port (default: when host is 127.0.0.1 and none was given). */
  dualLoopback?: boolean;
  /** Serve /api/kill and /api/close (default false: they answer 403). */
  allowActions?: boolean;
  /** Language the page starts in (it can switch). */
  lang?: Lang;
  /** Seconds between looks (default 1). */
  intervalSeconds?: number;
  /** Every process's fds are reread at least this often, seconds (default 20). */
  rescanSeconds?: number;
  procRoot?: string;
  sourceName?: 'auto' | 'netlink' | 'proc';
  /** Where the built page is (default: dist/web of this package). */
  assetsDir?: string;
  /** The socket source (tests); default the live collector. */
  source?: WatchSource;
  /** Told about a look that failed (the loop goes on). */
  onError?: (e: unknown) => void;
}

/** A running `sockscope web`. */
export interface RunningWeb {
  /** http://127.0.0.1:PORT/?token=TOKEN: the one URL that opens the page. */
  url: string;
  /** http://127.0.0.1:PORT (no token). */
  origin: string;
  port: number;
  token: string;
  /** Every address listened on, as host:port. */
  addresses: string[];
  state: WebState;
  /** Stop listening, end the streams, stop a lab run, close the collector. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.json': JSON_TYPE, '.map': JSON_TYPE,
  '.ico': 'image/x-icon', '.txt': TEXT,
};
/** An asset's name: one path segment, no dot first (no `..`, no hidden files), a known extension. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const MAX_STREAMS = 32;
const MAX_BODY = 4096;
/** A stream whose client reads slower than this much pending output is dropped (it reconnects and starts afresh). */
const MAX_PENDING = 8 << 20;
const ROW_LIMIT = 500;
const HEARTBEAT_MS = 15_000;

interface Stream {
  res: ServerResponse;
  view: View;
  lang: Lang;
  /** Version of the view's rows last announced. */
  rowsVersion: number;
  /** A write is waiting for 'drain': the next map is sent then, not queued. */
  blocked: boolean;
  mapPending: boolean;
  /** Asked for `mapdelta` events (?delta=1) instead of a whole `map` at every change. */
  delta: boolean;
  /** The view's frame this stream has (View.frameSeq when it was sent). */
  mapSeq: number;
}

/** JSON for the page: jsonText (control and bidi characters as \u escapes), and `<` escaped so no byte reads as markup. */
function json(value: unknown): string {
  return jsonText(value).replace(/</g, '\\u003c');
}

/** Parse an integer query parameter; undefined when absent, NaN when invalid. */
function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  return /^-?\d{1,16}$/.test(v) ? Number(v) : NaN;
}

/**
 * Serve this machine's sockets as a live page (docs/web.md). Rejects with the
 * system's error when the address cannot be bound.
 */
export async function startWeb(o: WebOptions = {}): Promise<RunningWeb> {
  const lang = o.lang ?? 'en';
  const host = o.host ?? '127.0.0.1';
  const interval = o.intervalSeconds ?? 1;
  const ctx = defaultContext({ procRoot: o.procRoot });
  const ephemeral = readEphemeralRange(ctx.procRoot);
  const hostFacts = readHostFacts(ctx.procRoot);
  // dist/src/web/ -> dist/web/ (a path, not a URL's pathname: a space in it stays a space)
  const assets = o.assetsDir ?? fileURLToPath(new URL('../../web/', import.meta.url));
  const token = newSecret();
  const csrf = newSecret();
  const state = new WebState(ephemeral, undefined, ownNetns(ctx.procRoot));
  const collector = o.source ? undefined : new LiveCollector(ctx, { source: o.sourceName, intervalSeconds: interval, fullEverySeconds: o.rescanSeconds ?? 20 });
  const source: WatchSource = o.source ?? collector!;
  const labs = new LabRuns({ source: o.sourceName, procRoot: o.procRoot });
  const streams = new Set<Stream>();
  const stopper = new AbortController();
  let explainCtx: { tick: number; ctx: RowContext } | undefined;
  let lastTick: Record<string, unknown> | undefined;
  const startTicksOf = (pid: number): number | undefined => collector?.startTicksOf(pid);
  const costLog = process.env['SOCKSCOPE_WEB_COST_LOG'] !== undefined && process.env['SOCKSCOPE_WEB_COST_LOG'] !== '';

  const servers: Server[] = [];
  let hosts: HostAllowList | undefined;

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void => {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown): void => send(res, status, JSON_TYPE, json(value));
  const forbidden = (res: ServerResponse): void => send(res, 403, TEXT, 'Forbidden\n');
  const langOf = (url: URL): Lang => parseLang(url.searchParams.get('lang') ?? '') ?? lang;

  const viewOf = (url: URL, res: ServerResponse): View | undefined => {
    const from = intParam(url, 'from');
    const to = intParam(url, 'to');
    if (Number.isNaN(from) || Number.isNaN(to)) {
      sendJson(res, 400, { error: msg(langOf(url), 'webserver.err.range') });
      return undefined;
    }
    const filter = (url.searchParams.get('filter') ?? '').slice(0, 1000);
    try {
      return state.view({ filter, from, to });
    } catch (e) {
      if (e instanceof FilterTextError) {
        sendJson(res, 400, { error: msg(langOf(url), 'watch.filter.bad', { reason: msg(langOf(url), e.key, { text: safeText(e.token) }) }) });
        return undefined;
      }
      throw e;
    }
  };

  // ---------------------------------------------------------------- streams

  const write = (s: Stream, event: string, data: unknown): void => {
    if (s.res.destroyed) return;
    if (s.res.writableLength > MAX_PENDING) {
      s.res.destroy();
      return;
    }
    if (!s.res.write(`event: ${event}\ndata: ${json(data)}\n\n`)) s.blocked = true;
  };

  const openStream = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (streams.size >= MAX_STREAMS) return send(res, 503, TEXT, 'Too many streams\n');
    const L = langOf(url);
    const view = viewOf(url, res);
    if (!view) return;
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.socket?.setNoDelay(true);
    view.holders++;
    const s: Stream = { res, view, lang: L, rowsVersion: view.version, blocked: false, mapPending: false, delta: url.searchParams.get('delta') === '1', mapSeq: -1 };
    streams.add(s);
    res.write(`retry: 2000\n\n`);
    write(s, 'hello', { takenAt: state.takenAt, interval, tick: state.tick, startedAt: state.startedAt });
    write(s, 'history', state.history);
    if (lastTick) write(s, 'tick', lastTick);
    if (state.tick > 0) {
      write(s, 'map', state.frameOf(view));
      s.mapSeq = view.frameSeq;
      write(s, 'rows', { version: view.version, total: view.members.size });
    }
    res.on('drain', () => {
      s.blocked = false;
      if (s.mapPending && state.tick > 0) {
        s.mapPending = false;
        write(s, 'map', state.frameOf(s.view));
        s.mapSeq = s.view.frameSeq;
      }
    });
    const beat = setInterval(() => { if (!res.destroyed) res.write(': keep-alive\n\n'); }, HEARTBEAT_MS);
    const done = (): void => {
      clearInterval(beat);
      if (streams.delete(s)) state.releaseView(view);
    };
    req.on('close', done);
    res.on('close', done);
  };

  const broadcast = (): void => {
    const perView = new Map<View, ReturnType<WebState['frameOf']> | undefined>();
    for (const s of streams) {
      write(s, 'tick', lastTick);
      let frame = perView.get(s.view);
      if (!perView.has(s.view)) {
        frame = s.view.map.dirty || s.view.frameTick < 0 ? state.frameOf(s.view) : undefined;
        perView.set(s.view, frame);
      }
      if (frame && s.mapSeq !== s.view.frameSeq) {
        if (s.blocked) {
          s.mapPending = true;
        } else {
          // A stream that has the previous frame gets what changed; any other the whole frame.
          const delta = s.view.delta;
          if (s.delta && delta && s.mapSeq === s.view.frameSeq - 1) write(s, 'mapdelta', delta);
          else write(s, 'map', frame);
          s.mapSeq = s.view.frameSeq;
        }
      }
      if (s.view.version !== s.rowsVersion) {
        s.rowsVersion = s.view.version;
        write(s, 'rows', { version: s.view.version, total: s.view.members.size });
      }
    }
  };

  // ---------------------------------------------------------------- the loop

  const loop = (async (): Promise<void> => {
    while (!stopper.signal.aborted) {
      try {
        for await (const u of watch({ source, intervalSeconds: interval, signal: stopper.signal })) {
          const c0 = costLog ? process.cpuUsage() : undefined;
          const m0 = costLog ? threadCpuMs() : undefined;
          const point = state.apply(u);
          lastTick = {
            t: point.t, opened: point.opened, closed: point.closed, total: state.size, byState: point.byState,
            wallMs: Math.round(u.stats.wallMs), cpuMs: Math.round(u.stats.cpuMs), applyMs: Math.round(state.lastApplyMs * 10) / 10,
          };
          const b0 = performance.now();
          broadcast();
          if (c0) {
            // The benchmark reads these lines: the look (watch's own figures) and the server's share of the tick.
            const c = process.cpuUsage(c0);
            process.stderr.write(`${JSON.stringify({
              lookWallMs: u.stats.wallMs, lookCpuMs: u.stats.cpuMs, applyMs: state.lastApplyMs, broadcastMs: performance.now() - b0,
              serverCpuMs: (c.user + c.system) / 1000, serverThreadCpuMs: m0 === undefined ? undefined : (threadCpuMs() ?? NaN) - m0, sockets: state.size, streams: streams.size, rss: process.memoryUsage().rss,
              opened: u.diff?.opened.length, closed: u.diff?.closed.length, changed: u.diff?.changed.length, replaced: u.diff?.replaced?.length ?? 0,
            })}\n`);
          }
        }
      } catch (e) {
        o.onError?.(e);
        // A failed look: the loop starts again after a pause (the next first look rebuilds the state).
        await new Promise((r) => setTimeout(r, Math.max(1000, interval * 1000)));
      }
    }
  })();

  // ---------------------------------------------------------------- routes

  const readBody = (req: IncomingMessage): Promise<unknown> => new Promise((resolve, reject) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) return reject(new Error('content-type'));
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('too-large'));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new Error('json'));
      }
    });
    req.on('error', reject);
  });

  const staticFile = (res: ServerResponse, name: string): void => {
    const dot = name.lastIndexOf('.');
    const type = dot > 0 ? CONTENT_TYPES[name.slice(dot)] : undefined;
    if (!ASSET_NAME.test(name) || name.includes('..') || !type) return send(res, 404, TEXT, 'Not found\n');
    let body: Buffer;
    try {
      if (!statSync(join(assets, name)).isFile()) return send(res, 404, TEXT, 'Not found\n');
      body = readFileSync(join(assets, name));
    } catch {
      if (name === 'index.html') return send(res, 500, TEXT, msg(lang, 'webserver.not-built', { dir: assets }) + '\n');
      return send(res, 404, TEXT, 'Not found\n');
    }
    send(res, 200, type, body, { 'Cache-Control': 'no-cache' });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = req.url ?? '/';
    const url = new URL(raw, 'http://localhost');
    // Routed on the path as sent, not as URL() normalises it: '/assets/..' is no way to '/'.
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    if (!path.startsWith('/')) return send(res, 400, TEXT, 'Bad request\n');
    const gate = admit(req, path, url.searchParams, { hosts: hosts!, token, csrf });
    if (typeof gate === 'string') return forbidden(res);
    const method = req.method ?? 'GET';
    if (gate.viaQuery) {
      // The token leaves the address bar (and the history) for an HttpOnly cookie.
      return send(res, 303, TEXT, 'See /\n', { Location: '/', 'Set-Cookie': setCookie(hosts!.port, token) });
    }
    if (method === 'POST') {
      let body: Record<string, unknown>;
      try {
        const b = await readBody(req);
        if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new Error('json');
        body = b as Record<string, unknown>;
      } catch (e) {
        if ((e as Error).message === 'content-type') return sendJson(res, 415, { error: msg(lang, 'webserver.err.json') });
        return sendJson(res, 400, { error: msg(lang, 'webserver.err.json') });
      }
      const L = parseLang(typeof body['lang'] === 'string' ? body['lang'] : '') ?? lang;
      switch (path) {
        case '/api/lab': {
          const name = typeof body['experiment'] === 'string' ? body['experiment'] : '';
          const r = labs.start(name, L);
          if (r === 'busy') return sendJson(res, 409, { error: msg(L, 'webserver.lab.busy') });
          if (r === 'unknown') return sendJson(res, 404, { error: msg(L, 'webserver.lab.unknown', { name: name.slice(0, 64) }) });
          return sendJson(res, 200, { run: r.id });
        }
        case '/api/kill': {
          if (!o.allowActions) return sendJson(res, 403, { error: msg(L, 'webserver.actions-off') });
          const pid = body['pid'];
          const startTicks = body['startTicks'];
          const signal = body['signal'] ?? 'SIGTERM';
          if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 1 || pid > 4194304 ||
            (startTicks !== undefined && (typeof startTicks !== 'number' || !Number.isFinite(startTicks))) ||
            (signal !== 'SIGTERM' && signal !== 'SIGKILL')) return sendJson(res, 400, { error: msg(L, 'webserver.err.json') });
          const r = killProcess(pid, startTicks as number | undefined, signal as Signal, state.sockets, ctx.procRoot, L);
          return sendJson(res, r.ok ? 200 : 409, r);
        }
        case '/api/close': {
          if (!o.allowActions) return sendJson(res, 403, { error: msg(L, 'webserver.actions-off') });
          const id = body['id'];
          if (typeof id !== 'number' || !Number.isInteger(id)) return sendJson(res, 400, { error: msg(L, 'webserver.err.json') });
          const e = state.entry(id);
          if (!e) return sendJson(res, 404, { ok: false, outcome: 'gone', message: msg(L, 'watch.destroy.gone') });
          const r = await closeSocket(e.socket, L);
          return sendJson(res, r.ok ? 200 : 409, r);
        }
        default:
          return send(res, 404, TEXT, 'Not found\n');
      }
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, TEXT, 'Method not allowed\n', { Allow: 'GET, HEAD, POST' });
    if (path === '/' || path === '/index.html') return staticFile(res, 'index.html');
    if (path.startsWith('/assets/')) {
      let name: string;
      try {
        name = decodeURIComponent(path.slice(8));
      } catch {
        return send(res, 404, TEXT, 'Not found\n');
      }
      return staticFile(res, name);
    }
    switch (path) {
      case '/api/session': {
        const L = langOf(url);
        return sendJson(res, 200, {
          version: VERSION, hostname: hostname(), lang: L, langs: LANGS, csrf, allowActions: o.allowActions === true,
          experiments: experimentList(L), interval, sortKeys: SORT_KEYS,
        });
      }
      case '/api/catalog': {
        const L = langOf(url);
        const all = catalog(L);
        const messages: Record<string, string> = {};
        for (const k of Object.keys(all) as MessageKey[]) {
          if (CATALOG_PREFIXES.some((p) => k.startsWith(p))) messages[k] = all[k];
        }
        return sendJson(res, 200, { lang: L, messages });
      }
      case '/api/stream':
        if (method === 'HEAD') return send(res, 405, TEXT, 'Method not allowed\n', { Allow: 'GET' });
        return openStream(req, res, url);
      case '/api/rows': {
        const v = viewOf(url, res);
        if (!v) return;
        const sortText = (url.searchParams.get('sort') ?? 'local').toLowerCase();
        const dir = url.searchParams.get('dir') ?? 'asc';
        const offset = intParam(url, 'offset') ?? 0;
        const limit = intParam(url, 'limit') ?? 100;
        if (!(SORT_KEYS as readonly string[]).includes(sortText) || (dir !== 'asc' && dir !== 'desc') ||
          Number.isNaN(offset) || Number.isNaN(limit) || offset < 0 || limit < 0 || limit > ROW_LIMIT) {
          return sendJson(res, 400, { error: msg(langOf(url), 'webserver.err.rows', { max: ROW_LIMIT, keys: SORT_KEYS.join(', ') }) });
        }
        const arr = v.rows(sortText as SortKey);
        const L = langOf(url);
        const n = arr.length;
        const rows = [];
        for (let i = offset; i < Math.min(n, offset + limit); i++) {
          const e = arr[dir === 'asc' ? i : n - 1 - i]!;
          rows.push(toRow(e.id, e.socket, e.firstSeen, { lang: L, ephemeral, startTicksOf }));
        }
        return sendJson(res, 200, { version: v.version, total: n, rows });
      }
      case '/api/explain': {
        const L = langOf(url);
        const id = intParam(url, 'id');
        const e = id === undefined || Number.isNaN(id) ? undefined : state.entry(id);
        if (!e) return sendJson(res, 404, { error: msg(L, 'webserver.err.no-socket') });
        if (!explainCtx || explainCtx.tick !== state.tick) explainCtx = { tick: state.tick, ctx: rowContext(state.sockets, hostFacts) };
        const s: Socket = e.socket;
        return sendJson(res, 200, {
          title: `${s.protocol} ${formatEndpoint(s.localAddress, s.localPort)} → ${formatEndpoint(s.remoteAddress, s.remotePort)} ${s.state}`,
          lines: [explainSocket(s, explainCtx.ctx, translator(L))],
        });
      }
      case '/api/lab/stream': {
        if (method === 'HEAD') return send(res, 405, TEXT, 'Method not allowed\n', { Allow: 'GET' });
        const run = labs.get(url.searchParams.get('run') ?? '');
        if (!run) return sendJson(res, 404, { error: msg(langOf(url), 'webserver.lab.no-run') });
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
        const emit = (e: WebLabEvent): void => { if (!res.destroyed) res.write(`event: lab\ndata: ${json(e)}\n\n`); };
        for (const e of run.events) emit(e);
        if (run.finished) return void res.end();
        const l = (e: WebLabEvent): void => {
          emit(e);
          if (e.type === 'end') res.end();
        };
        run.listeners.add(l);
        res.on('close', () => run.listeners.delete(l));
        return;
      }
      default:
        return send(res, 404, TEXT, 'Not found\n');
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((e: unknown) => {
      o.onError?.(e);
      if (!res.headersSent) send(res, 500, TEXT, 'Internal error\n');
      else res.destroy();
    });
  };

  const make = (): Server => {
    const server = createServer(handler);
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.maxConnections = 128;
    servers.push(server);
    return server;
  };

  let port: number;
  const addresses: string[] = [];
  try {
    port = await listen(make(), host, o.port ?? 0);
    addresses.push(`${urlHost(host)}:${port}`);
    if (o.dualLoopback ?? (host === '127.0.0.1' && o.host === undefined)) {
      try {
        await listen(make(), '::1', port);
        addresses.push(`[::1]:${port}`);
      } catch {
        // No IPv6 loopback here, or the port is taken on ::1: 127.0.0.1 alone serves.
        servers.pop();
      }
    }
  } catch (e) {
    stopper.abort();
    await Promise.all(servers.map(closeServer));
    await loop;
    collector?.close();
    throw e;
  }
  hosts = new HostAllowList(port, host);
  const origin = `http://${urlHost(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host)}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    addresses,
    state,
    close: async () => {
      stopper.abort();
      for (const s of streams) s.res.end();
      await Promise.all(servers.map(closeServer));
      await labs.close();
      // A look under way finishes before the netlink channel closes (bounded: a stop must not hang).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
      clearTimeout(timer);
      collector?.close();
    },
  };
}

/** Catalog keys the page receives besides its own (`web.`): words it shows for the server's data. */
const CATALOG_PREFIXES = ['web.', 'webserver.page.', 'scope.', 'unheld.', 'view.col.', 'state.', 'row.'];

/** Inode of our own network namespace (net:[4026531840]), undefined when the link cannot be read. */
function ownNetns(procRoot: string): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/self/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of this (the main) thread, ms, from /proc/self/task/PID/schedstat (ns
 * on the CPU): unlike process.cpuUsage() it leaves out the GC's and libuv's
 * helper threads, so the cost log says what the server's own code took.
 */
function threadCpuMs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void => reject(e);
    server.once('error', fail);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', fail);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

// The exporter's HTTP side (node:http): /metrics answers with a scrape, /
// with a short page pointing to it, anything else with 404. Small limits on
// what a client may hold (time for headers and the request, connections):
// the endpoint may face a network, not only Prometheus.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ScrapeResult } from './scraper.js';

export interface ExporterPages {
  /** Text of `/`. */
  index: string;
  notFound: string;
  method: string;
  /** Body of a 500 when the collection failed. */
  failed: (reason: string) => string;
}

export interface ExporterServerOptions {
  scrape: () => Promise<ScrapeResult>;
  /** Content type of the metrics text (prom-client's). */
  contentType: string;
  pages: ExporterPages;
  /** Told about each failed scrape (the CLI says it on stderr). */
  onScrapeError?: (e: unknown) => void;
}

const TEXT = 'text/plain; charset=utf-8';

/** The HTTP server; not yet listening. */
export function createExporterServer(o: ExporterServerOptions): Server {
  const server = createServer((req, res) => {
    void handle(o, req, res);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = 64;
  return server;
}

async function handle(o: ExporterServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, TEXT, o.pages.method, { Allow: 'GET, HEAD' });
    // The path alone; a query string (?name[]=... from a federating server) changes nothing.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    if (path === '/metrics') {
      let r: ScrapeResult;
      try {
        r = await o.scrape();
      } catch (e) {
        o.onScrapeError?.(e);
        return send(500, TEXT, o.pages.failed((e as Error).message ?? String(e)));
      }
      return send(200, o.contentType, r.text);
    }
    if (path === '/') return send(200, TEXT, o.pages.index);
    return send(404, TEXT, o.pages.notFound);
  } catch {
    // The client went away mid-answer: nothing to tell it.
    res.destroy();
  }
}

/** Start listening; rejects with the system's error (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void => reject(e);
    server.once('error', fail);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/** Stop listening and drop every open connection (keep-alive ones included). */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

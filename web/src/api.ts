// Talking to the server: JSON over fetch (the token cookie goes along on its
// own: same origin), POSTs with the CSRF header, and server-sent events.
import type { CatalogAnswer, Explanation, Lang, RowsAnswer, Session } from './types.js';

export class HttpError extends Error {
  constructor(readonly status: number, readonly detail: string) {
    super(`HTTP ${status}: ${detail}`);
  }
}

async function answer<T>(r: Response): Promise<T> {
  if (!r.ok) {
    let detail = '';
    try {
      const text = await r.text();
      try {
        const j = JSON.parse(text) as { error?: unknown; message?: unknown };
        detail = String(j.error ?? j.message ?? text);
      } catch {
        detail = text;
      }
    } catch {
      // no body
    }
    throw new HttpError(r.status, detail.slice(0, 500));
  }
  return (await r.json()) as T;
}

export async function getJson<T>(path: string, params: Record<string, string | number | undefined> = {}, signal?: AbortSignal): Promise<T> {
  return answer<T>(await fetch(withQuery(path, params), { credentials: 'same-origin', signal }));
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

/** A state-changing request: same-origin (the browser adds Origin) with the session's CSRF token. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Sockscope-CSRF': csrf },
    body: JSON.stringify(body),
  }));
}

export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const session = (): Promise<Session> => getJson<Session>('/api/session');
export const catalog = (lang: Lang): Promise<CatalogAnswer> => getJson<CatalogAnswer>('/api/catalog', { lang });
export const explain = (id: string, lang: Lang): Promise<Explanation> => getJson<Explanation>('/api/explain', { id, lang });

export interface RowQuery {
  filter: string;
  from?: number;
  to?: number;
  sort: string;
  dir: 'asc' | 'desc';
}

export const rows = (q: RowQuery, offset: number, limit: number, signal?: AbortSignal): Promise<RowsAnswer> =>
  getJson<RowsAnswer>('/api/rows', { filter: q.filter, from: q.from, to: q.to, sort: q.sort, dir: q.dir, offset, limit }, signal);

/** Listen to an SSE stream; returns a function that closes it. */
export function stream(url: string, handlers: Record<string, (data: unknown) => void>, onState: (s: 'open' | 'lost' | 'closed') => void): () => void {
  const es = new EventSource(url);
  es.onopen = () => onState('open');
  // CLOSED: the server refused the stream (a bad filter: 400; 403), and EventSource gives up.
  es.onerror = () => onState(es.readyState === EventSource.CLOSED ? 'closed' : 'lost');
  for (const [name, f] of Object.entries(handlers)) {
    es.addEventListener(name, (ev) => {
      const data = (ev as MessageEvent<string>).data;
      // A server-sent `error` event carries data; the EventSource's own error event does not.
      if (typeof data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        return;
      }
      f(parsed);
    });
  }
  return () => es.close();
}

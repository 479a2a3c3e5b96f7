// What every request to `sockscope web` must pass before it is served. The
// page shows every process's command line and, with --allow-actions, can kill
// processes: it is treated like a private admin page on a shared machine.
//
//  - a random token (printed once with the URL) or the cookie it was traded
//    for: other local users and other browser tabs' sites cannot read a page
//    whose URL they do not know;
//  - the Host header from an allow-list: a site whose name an attacker points
//    at 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused
//    (https://en.wikipedia.org/wiki/DNS_rebinding);
//  - the Origin header, when sent, must be ours; a POST must send it, plus a
//    CSRF token read from /api/session (a cross-site form cannot set headers);
//  - every response carries a strict Content-Security-Policy (no inline
//    script, nothing from other hosts) and headers against framing and sniffing.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces, hostname } from 'node:os';

/** A fresh secret: 32 random bytes, base64url (43 characters, safe in a URL and a cookie). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The Content-Security-Policy of every response: the page's own script and style only, no inline code. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers on every response, whatever its status. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The header that carries the CSRF token on POST requests. */
export const CSRF_HEADER = 'x-sockscope-csrf';

/** Equal secrets, compared in constant time (a timing difference must not reveal a prefix). */
export function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One cookie's value from a Cookie header (the first of that name). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The cookie's name. Browsers send a cookie to every port of a host (RFC 6265
 * section 8.5), so two `sockscope web` on one machine would overwrite each
 * other's under one name: the port is part of it.
 */
export function cookieName(port: number): string {
  return `sockscope_token_${port}`;
}

/** The Set-Cookie header that trades the URL's token for a cookie the page's scripts cannot read. */
export function setCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Host header values this server answers to. */
export class HostAllowList {
  private readonly allowed = new Set<string>();

  /**
   * `listenHost` is the address bound (127.0.0.1, ::1, 0.0.0.0, ...). Loopback
   * names are always allowed; a wildcard bind adds this machine's own
   * addresses and its host name, so that another machine can reach the page
   * by them (never by any other name: that is what rebinding would send).
   */
  constructor(readonly port: number, listenHost: string, extra: readonly string[] = []) {
    const add = (host: string): void => {
      const h = host.toLowerCase();
      this.allowed.add(isIPv6(h) ? `[${h}]:${port}` : `${h}:${port}`);
    };
    for (const h of ['127.0.0.1', '::1', 'localhost', ...extra]) add(h);
    if (listenHost === '0.0.0.0' || listenHost === '::') {
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) if (!a.address.includes('%')) add(a.address);
      }
      add(hostname());
    } else {
      add(listenHost);
    }
  }

  has(hostHeader: string | undefined): boolean {
    return hostHeader !== undefined && this.allowed.has(hostHeader.toLowerCase());
  }

  /** For the docs and tests. */
  list(): string[] {
    return [...this.allowed];
  }
}

/** The URL host part of an address: 127.0.0.1, [::1]. */
export function urlHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

export type Refusal = 'host' | 'origin' | 'token' | 'csrf' | 'cross-site';

export interface GateOptions {
  hosts: HostAllowList;
  token: string;
  csrf: string;
}

/** What a request proved: whether it carried the token in its URL (the first visit). */
export interface Admitted {
  /** The URL's ?token= was right: answer with the cookie and a redirect. */
  viaQuery: boolean;
}

/** Whether the request's Origin, if any, is the server's own (by the Host it was sent to). */
export function originOk(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host ?? ''}`;
}

/**
 * The checks every request passes, in order: Host, Origin (and for a POST,
 * Origin present and the CSRF header), then the token (cookie, bearer
 * header, or ?token= on the page itself). A refusal names which one failed
 * (for the server's tests and logs; the client only sees 403). `path` is
 * the path as sent (not normalised).
 */
export function admit(req: IncomingMessage, path: string, query: URLSearchParams, o: GateOptions): Admitted | Refusal {
  if (!o.hosts.has(req.headers.host)) return 'host';
  // A browser that says where the request comes from: never from another site. Another port
  // of this host (a local dev server's page) is the "same site" to a browser, and our cookie
  // is SameSite: only a navigation to the page itself may come from there.
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || (site === 'same-site' && path !== '/')) return 'cross-site';
  if (!originOk(req)) return 'origin';
  const post = req.method !== 'GET' && req.method !== 'HEAD';
  if (post && req.headers.origin === undefined) return 'origin';
  const cookie = cookieValue(req.headers.cookie, cookieName(o.hosts.port));
  const auth = req.headers.authorization;
  const bearer = auth !== undefined && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  let viaQuery = false;
  if (!sameSecret(cookie, o.token) && !sameSecret(bearer, o.token)) {
    const q = query.get('token') ?? undefined;
    if (path !== '/' || req.method !== 'GET' || !sameSecret(q, o.token)) return 'token';
    viaQuery = true;
  }
  if (post && !sameSecret(headerText(req.headers[CSRF_HEADER]), o.csrf)) return 'csrf';
  return { viaQuery };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** True when a bind address is reachable from other machines (not loopback). */
export function isPublicHost(host: string): boolean {
  if (isIPv4(host)) return !host.startsWith('127.');
  return !(host === '::1' || host.startsWith('::ffff:127.'));
}

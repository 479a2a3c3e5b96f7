// The exporter's --listen value: HOST:PORT, where HOST is an IPv4 address,
// an IPv6 address in brackets (as in a URL, RFC 3986 section 3.2.2) or
// `localhost`. Host names are refused rather than resolved: an exporter
// that exposes process names should bind exactly where it was told.
import { isIPv4, isIPv6 } from 'node:net';
import { UsageError } from '../cli/args.js';

export interface ListenAddress {
  /** The address to bind (localhost binds 127.0.0.1). */
  host: string;
  port: number;
  /** How it is written in a URL: 127.0.0.1:9977, [::1]:9977. */
  display: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:9977';

/** Parse --listen; a UsageError (one line, exit 2) for anything else. */
export function parseListen(text: string): ListenAddress {
  const bad = (): UsageError => new UsageError('exporter.err.listen', { text });
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || text.length > 64) throw bad();
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw bad();
    host = host.slice(1, -1);
    // A zone (fe80::1%eth0) is not accepted: the scope would have to be named and checked too.
    if (host.includes('%') || !isIPv6(host)) throw bad();
  } else if (host === 'localhost') {
    host = '127.0.0.1';
  } else if (!isIPv4(host)) {
    throw bad();
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad();
  const port = Number(portText);
  // Port 0 lets the kernel choose: Prometheus could not be told where to scrape.
  if (port === 0) throw new UsageError('exporter.err.listen-port-zero', { text });
  return { host, port, display: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}

/** True when the address is reachable from other machines (not loopback). */
export function isPublic(host: string): boolean {
  return !(host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.'));
}

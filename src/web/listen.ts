// `sockscope web --listen HOST:PORT`: HOST an IPv4 address, an IPv6 address in
// brackets (RFC 3986 section 3.2.2) or localhost; PORT 0 lets the kernel pick a
// free one (the default, so that nobody can guess where the page is). Host
// names other than localhost are refused rather than resolved: a page that
// shows every command line binds exactly where it was told. The exporter's
// --listen has the same shape but needs a fixed port (Prometheus must know it).
import { isIPv4, isIPv6 } from 'node:net';
import { UsageError } from '../cli/args.js';

export interface WebListen {
  /** Address to bind. */
  host: string;
  /** 0: a free port chosen by the kernel. */
  port: number;
  /** Default (no --listen): also bind ::1 on the same port. */
  dualLoopback: boolean;
}

/** Parse --listen; a UsageError (one line, exit 2) for anything else. */
export function parseWebListen(text: string | undefined): WebListen {
  if (text === undefined) return { host: '127.0.0.1', port: 0, dualLoopback: true };
  const bad = (): UsageError => new UsageError('webserver.err.listen', { text });
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || text.length > 64) throw bad();
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  let dualLoopback = false;
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw bad();
    host = host.slice(1, -1);
    // A zone (fe80::1%eth0) is not accepted: the scope would have to be named and checked too.
    if (host.includes('%') || !isIPv6(host)) throw bad();
  } else if (host.toLowerCase() === 'localhost') {
    host = '127.0.0.1';
    dualLoopback = true;
  } else if (!isIPv4(host)) {
    throw bad();
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad();
  return { host, port: Number(portText), dualLoopback };
}

// What `sockscope trace` follows, from its arguments: a port (9090, :9090), one
// endpoint (127.0.0.1:9090, [::1]:9090), a connection (two endpoints: its
// 4-tuple) or a process (--pid: the ports of the sockets it holds when the
// trace starts). Each becomes a BPF expression for tcpdump — built only from
// numbers and addresses parsed and printed again here, never from text as
// typed — the ports the collector's looks are narrowed to, and a test that
// keeps the sockets of a look that belong to it.
import { canonicalAddress } from '../model/address.js';
import type { Protocol, Socket } from '../model/socket.js';
import { plainAddress, type TraceEndpoint } from './ladder.js';

export interface TraceTarget {
  /** The tcpdump filter expression. */
  bpf: string;
  ports: number[];
  match?: (s: Socket) => boolean;
  /** How the target is said back to the user ("port 9090", "127.0.0.1:41234 ↔ 127.0.0.1:9090"). */
  text: string;
}

/** An endpoint the user typed; undefined when it is not one. Port alone: address undefined. */
export function parseEndpoint(text: string): { address?: string; port: number } | undefined {
  let host: string | undefined;
  let port: string;
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (v6) { host = v6[1]; port = v6[2]!; }
  else if (/^:?\d{1,5}$/.test(text)) port = text.replace(/^:/, '');
  else {
    const m = /^([0-9.]+):(\d{1,5})$/.exec(text);
    if (!m) return undefined;
    host = m[1];
    port = m[2]!;
  }
  const n = Number(port);
  if (n < 1 || n > 65535) return undefined;
  if (host === undefined) return { port: n };
  const address = canonicalAddress(host);
  return address === undefined ? undefined : { address: plainAddress(address), port: n };
}

function protoExpr(protocols: readonly Protocol[]): string {
  return protocols.length === 1 ? protocols[0]! : '(tcp or udp)';
}

function side(dir: 'src' | 'dst', e: { address?: string; port: number }): string {
  return e.address === undefined ? `${dir} port ${e.port}` : `${dir} host ${e.address} and ${dir} port ${e.port}`;
}

const sameEndpoint = (a: string, p: number, e: { address?: string; port: number }): boolean =>
  p === e.port && (e.address === undefined || plainAddress(a) === e.address);

/** One endpoint, or a port: packets from or to it. */
export function endpointTarget(e: { address?: string; port: number }, protocols: readonly Protocol[]): TraceTarget {
  const text = e.address === undefined ? `:${e.port}` : e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
  return {
    bpf: `${protoExpr(protocols)} and ((${side('src', e)}) or (${side('dst', e)}))`,
    ports: [e.port],
    match: (s) => sameEndpoint(s.localAddress, s.localPort, e) || sameEndpoint(s.remoteAddress, s.remotePort, e),
    text,
  };
}

/** A connection: both directions of its 4-tuple. */
export function tupleTarget(a: { address?: string; port: number }, b: { address?: string; port: number }, protocols: readonly Protocol[]): TraceTarget {
  const one = (x: typeof a, y: typeof a): string => `(${side('src', x)} and ${side('dst', y)})`;
  const say = (e: typeof a): string => (e.address === undefined ? `:${e.port}` : e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
  return {
    bpf: `${protoExpr(protocols)} and (${one(a, b)} or ${one(b, a)})`,
    ports: [...new Set([a.port, b.port])],
    match: (s) => (sameEndpoint(s.localAddress, s.localPort, a) && sameEndpoint(s.remoteAddress, s.remotePort, b)) ||
      (sameEndpoint(s.localAddress, s.localPort, b) && sameEndpoint(s.remoteAddress, s.remotePort, a)) ||
      // The listener a connection came through.
      (s.state === 'LISTEN' && (sameEndpoint(s.localAddress, s.localPort, b) || sameEndpoint(s.localAddress, s.localPort, a) ||
        ((s.localAddress === '0.0.0.0' || s.localAddress === '::') && (s.localPort === a.port || s.localPort === b.port)))),
    text: `${say(a)} ↔ ${say(b)}`,
  };
}

/** At most this many ports of a process go into the filter (a BPF program has a size limit). */
export const MAX_PID_PORTS = 64;

/** A process's sockets at the start: the local ports it holds (listeners and connections). */
export function pidTarget(pid: number, sockets: readonly Socket[], protocols: readonly Protocol[]): TraceTarget | undefined {
  const ports = [...new Set(sockets.filter((s) => s.holders.some((h) => h.pid === pid) && s.localPort !== 0).map((s) => s.localPort))]
    .sort((x, y) => x - y).slice(0, MAX_PID_PORTS);
  if (!ports.length) return undefined;
  const own = new Set(ports);
  return {
    bpf: `${protoExpr(protocols)} and (${ports.map((p) => `port ${p}`).join(' or ')})`,
    ports,
    match: (s) => own.has(s.localPort) || own.has(s.remotePort),
    text: `pid ${pid}`,
  };
}

export type { TraceEndpoint };

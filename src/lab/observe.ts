// Small pure helpers the experiments use to pick rows out of an observation
// and to phrase what they saw.
import type { Socket } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import type { Observation, Params, Want } from './types.js';

/** The addresses lab traffic uses: loopback only. */
export const LAB_ADDRESSES: ReadonlySet<string> = new Set(['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1', '::ffff:127.0.0.2', '0.0.0.0', '::']);

/** True for a socket of the experiment: a lab port at a lab address (either end). */
export function isLabSocket(s: Socket, ports: ReadonlySet<number>): boolean {
  if (!LAB_ADDRESSES.has(s.localAddress)) return false;
  if (ports.has(s.localPort)) return true;
  return s.remotePort !== 0 && ports.has(s.remotePort) && LAB_ADDRESSES.has(s.remoteAddress);
}

export function tcp(o: Observation): Socket[] {
  return o.sockets.filter((s) => s.protocol === 'tcp');
}

/** The TCP listener on this port (and address, if given). */
export function listener(o: Observation, port: number, address?: string): Socket | undefined {
  return o.sockets.find((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === port &&
    (address === undefined || s.localAddress === address));
}

/** Server-side connection sockets: local port = port, not the listener. */
export function serverSide(o: Observation, port: number): Socket[] {
  return o.sockets.filter((s) => s.protocol === 'tcp' && s.localPort === port && s.state !== 'LISTEN' && s.remotePort !== 0);
}

/** Client-side sockets: remote port = port. */
export function clientSide(o: Observation, port: number): Socket[] {
  return o.sockets.filter((s) => s.protocol === 'tcp' && s.remotePort === port && s.localPort !== port);
}

export function heldBy(s: Socket, pid: number): boolean {
  return s.holders.some((h) => h.pid === pid);
}

/** "1234 fd 3, 1240 fd 5", sorted by pid then fd; "-" when nobody holds it. */
export function holdersText(s: Socket | undefined): string {
  if (!s || !s.holders.length) return '-';
  return [...s.holders].sort((a, b) => a.pid - b.pid || (a.fd ?? -1) - (b.fd ?? -1))
    .map((h) => `${h.pid} fd ${h.fd ?? '?'}`).join(', ');
}

/** The same text for wanted holders. */
export function wantHolders(list: readonly { pid: number; fd: number }[]): string {
  return [...list].sort((a, b) => a.pid - b.pid || a.fd - b.fd).map((h) => `${h.pid} fd ${h.fd}`).join(', ');
}

export function endpoint(address: string, port: number): string {
  return formatEndpoint(address, port);
}

/** One value when all are equal, else every value joined with "/" ("-" for none). */
export function same(values: readonly (number | string)[]): number | string {
  if (!values.length) return '-';
  return values.every((v) => v === values[0]) ? values[0]! : values.join('/');
}

export function count(list: readonly Socket[], pred: (s: Socket) => boolean): number {
  return list.filter(pred).length;
}

/** Does `got` satisfy `want`? */
export function satisfies(want: Want, got: string | number | undefined): boolean {
  if (got === undefined) return false;
  if (typeof want === 'object') {
    if (typeof got !== 'number') return false;
    return 'min' in want ? got >= want.min : got <= want.max;
  }
  return String(want) === String(got);
}

/** Wanted values as message placeholders: bounds read "≥ 2". */
export function wantParams(want: Readonly<Record<string, Want>>): Params {
  const out: Params = {};
  for (const [k, w] of Object.entries(want)) out[k] = typeof w === 'object' ? ('min' in w ? `≥${w.min}` : `≤${w.max}`) : w;
  return out;
}

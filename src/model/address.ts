// Address text in the forms people compare against ss and netstat:
// dotted quads for IPv4, RFC 5952 canonical text for IPv6 (lower case, the
// longest run of two or more zero groups compressed to "::", first run on a
// tie), and IPv4-mapped addresses kept as ::ffff:a.b.c.d.
// https://www.rfc-editor.org/rfc/rfc5952#section-4

// A table of 100k sockets holds few distinct addresses: share one string per
// address instead of building 200k equal ones (memory and GC time).
const v4Cache = new Map<number, string>();
const mappedCache = new Map<number, string>();
const CACHE_LIMIT = 1 << 16;

function cached(cache: Map<number, string>, key: number, make: () => string): string {
  let s = cache.get(key);
  if (s === undefined) {
    s = make();
    if (cache.size < CACHE_LIMIT) cache.set(key, s);
  }
  return s;
}

/** Format 4 bytes at `off` of `buf` (network order) as a dotted quad. */
export function formatIPv4(buf: Uint8Array, off: number): string {
  const key = ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
  return cached(v4Cache, key, () => `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`);
}

/** Format 16 bytes at `off` of `buf` (network order) as RFC 5952 text. */
export function formatIPv6(buf: Uint8Array, off: number): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (buf[off + 2 * i]! << 8) | buf[off + 2 * i + 1]!;
  // Fast paths for the addresses that dominate real tables.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0) {
    if (g[5] === 0xffff) {
      const key = ((g[6]! << 16) | g[7]!) >>> 0;
      return cached(mappedCache, key, () => `::ffff:${formatIPv4(buf, off + 12)}`);
    }
    if (g[5] === 0 && g[6] === 0) {
      if (g[7] === 0) return '::';
      if (g[7] === 1) return '::1';
    }
  }
  // Longest run of zero groups, length >= 2.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += g[i]!.toString(16);
  }
  return out;
}

/** Parse an IPv4 or IPv6 address text into 4 or 16 bytes; undefined if it is not one. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (!text.includes(':')) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
    if (!m) return undefined;
    const b = m.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    return Uint8Array.from(b);
  }
  let head = text;
  let v4tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4tail = parseAddress(text.slice(lastColon + 1));
    if (!v4tail) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    const out: number[] = [];
    for (const p of parts) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if (!left || !right) return undefined;
  const fill = 8 - left.length - right.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((v, i) => { bytes[2 * i] = v >> 8; bytes[2 * i + 1] = v & 0xff; });
  if (v4tail) bytes.set(v4tail, 12);
  return bytes;
}

/** Canonical text of any address the user typed (so ::0001 matches ::1). */
export function canonicalAddress(text: string): string | undefined {
  const b = parseAddress(text);
  if (!b) return undefined;
  return b.length === 4 ? formatIPv4(b, 0) : formatIPv6(b, 0);
}

/** True for loopback addresses: 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/**
 * How widely a listener is reachable, judged from the addresses it is bound to.
 * The all-interfaces kinds say which IP versions, when that is known.
 */
export type BindScope = 'all-interfaces' | 'all-interfaces-ipv6-only' | 'all-interfaces-ipv4-ipv6' | 'this-host-only' | 'one-address';

/**
 * `v6only` is the IPV6_V6ONLY flag of the `::` socket among them, when the
 * source shows it (netlink): `::` alone then takes IPv6 only, or IPv4 too.
 * Unknown (/proc/net), a `::` binding is just "all interfaces".
 */
export function bindScope(addresses: readonly string[], v6only?: boolean): BindScope {
  const any4 = addresses.includes('0.0.0.0');
  const any6 = addresses.includes('::');
  if (any6 && v6only !== undefined) return v6only && !any4 ? 'all-interfaces-ipv6-only' : 'all-interfaces-ipv4-ipv6';
  if (any4 || any6) return 'all-interfaces';
  if (addresses.every(isLoopback)) return 'this-host-only';
  return 'one-address';
}

/** True for every kind of all-interfaces binding. */
export function isAllInterfaces(scope: BindScope): boolean {
  return scope.startsWith('all-interfaces');
}

/**
 * A host name as netstat prints it without -n: "localhost", "api", "PC-20180125BBDX",
 * "ec2-3-8-1-2.eu-west-2.compute.amazonaws.com" (often cut to the column's width).
 * Letters, digits, '-', '_' and '.', with at least one letter, at most 255 characters.
 */
export function isHostName(host: string): boolean {
  return host.length <= 255 && /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(host) && /[A-Za-z]/.test(host) && canonicalAddress(host) === undefined;
}

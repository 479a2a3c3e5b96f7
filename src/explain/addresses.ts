// What an address means: any-address, loopback, IPv4-mapped, link-local,
// private, shared (CGNAT), multicast, public. Ranges from RFC 1918, 4193,
// 6598, 4291 and 3927.
import { formatIPv4, parseAddress } from '../model/address.js';
import type { Translate } from './i18n.js';

export type AddressKind =
  | 'any4' | 'any6' | 'loopback' | 'mapped' | 'link-local' | 'private' | 'cgnat' | 'multicast' | 'public' | 'other';

export interface AddressInfo {
  kind: AddressKind;
  /** For a private address: the range it falls in. */
  range?: string;
  /** For an IPv4-mapped address: the IPv4 inside, and its own info. */
  v4?: string;
  inner?: AddressInfo;
}

function v4Info(b: Uint8Array, o: number): AddressInfo {
  const [a, c] = [b[o]!, b[o + 1]!];
  if (a === 0 && c === 0 && b[o + 2] === 0 && b[o + 3] === 0) return { kind: 'any4' };
  if (a === 127) return { kind: 'loopback' };
  if (a === 10) return { kind: 'private', range: '10.0.0.0/8' };
  if (a === 172 && c >= 16 && c <= 31) return { kind: 'private', range: '172.16.0.0/12' };
  if (a === 192 && c === 168) return { kind: 'private', range: '192.168.0.0/16' };
  if (a === 169 && c === 254) return { kind: 'link-local' };
  if (a === 100 && c >= 64 && c <= 127) return { kind: 'cgnat' };
  if (a >= 224 && a <= 239) return { kind: 'multicast' };
  if (a === 0 || a >= 240) return { kind: 'other' };
  return { kind: 'public' };
}

/** Classify an address text; undefined when it is not an IP address. */
export function classifyAddress(text: string): AddressInfo | undefined {
  const b = parseAddress(text);
  if (!b) return undefined;
  if (b.length === 4) return v4Info(b, 0);
  const zero10 = b.slice(0, 10).every((x) => x === 0);
  if (zero10 && b[10] === 0xff && b[11] === 0xff) {
    const v4 = formatIPv4(b, 12);
    return { kind: 'mapped', v4, inner: v4Info(b, 12) };
  }
  if (b.every((x) => x === 0)) return { kind: 'any6' };
  if (zero10 && b.slice(10, 15).every((x) => x === 0) && b[15] === 1) return { kind: 'loopback' };
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return { kind: 'link-local' };
  if ((b[0]! & 0xfe) === 0xfc) return { kind: 'private', range: 'fc00::/7' };
  if (b[0] === 0xff) return { kind: 'multicast' };
  if ((b[0]! & 0xe0) === 0x20) return { kind: 'public' };
  return { kind: 'other' };
}

/**
 * Sentences about an address. `asRemote` with port 0 means the foreign column
 * of a listener ("no peer"); `v6only` says what a :: socket really does, when known.
 */
export function explainAddress(text: string, t: Translate, opts: { asRemotePort?: number; v6only?: boolean } = {}): string[] {
  const info = classifyAddress(text);
  if (!info) return [t('explain.addr.invalid', { text })];
  if (opts.asRemotePort === 0 && (info.kind === 'any4' || info.kind === 'any6')) return [t('explain.addr.no-peer', { addr: text })];
  switch (info.kind) {
    case 'any4': return [t('explain.addr.any4')];
    case 'any6': {
      const out = [t('explain.addr.any6')];
      if (opts.v6only !== undefined) out.push(t(opts.v6only ? 'explain.addr.any6.v6only' : 'explain.addr.any6.dual'));
      return out;
    }
    case 'mapped': {
      const out = [t('explain.addr.mapped', { addr: text, v4: info.v4! })];
      if (info.inner && info.inner.kind !== 'public') out.push(...explainAddress(info.v4!, t));
      return out;
    }
    case 'private': return [t('explain.addr.private', { addr: text, range: info.range! })];
    default: return [t(`explain.addr.${info.kind}`, { addr: text })];
  }
}

// Facts about this host's network stack that the explanations quote, from
// /proc/sys (each a single line, e.g. ip_local_port_range: "32768\t60999\n").
import type { HostFacts } from '../../explain/ports.js';
import { CAPS, readBounded } from '../bounded-read.js';

/** A /proc/sys value: one short line, read bounded (a recorded tree may put anything there). */
function readSys(path: string): string {
  return readBounded(path, CAPS.sysValue).bytes.toString('latin1');
}

/** Parse "32768\t60999" into a range; undefined if it is not two ordered ports. */
export function parsePortRange(text: string): [number, number] | undefined {
  const m = /^\s*(\d{1,5})[ \t]+(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo <= hi && hi <= 65535 ? [lo, hi] : undefined;
}

function readNumber(path: string): number | undefined {
  try {
    const t = readSys(path).trim();
    const v = /^-?\d{1,15}$/.test(t) ? Number(t) : NaN;
    return Number.isSafeInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** This host's ephemeral port range (net.ipv4.ip_local_port_range); undefined when unreadable. */
export function readEphemeralRange(procRoot: string): [number, number] | undefined {
  try {
    return parsePortRange(readSys(`${procRoot}/sys/net/ipv4/ip_local_port_range`));
  } catch {
    return undefined;
  }
}

/** What this host says; a value it does not expose stays undefined (and is then not claimed). */
export function readHostFacts(procRoot: string): HostFacts {
  const facts: HostFacts = {};
  try {
    facts.ephemeral = parsePortRange(readSys(`${procRoot}/sys/net/ipv4/ip_local_port_range`));
  } catch {
    // unknown
  }
  facts.unprivilegedStart = readNumber(`${procRoot}/sys/net/ipv4/ip_unprivileged_port_start`);
  facts.somaxconn = readNumber(`${procRoot}/sys/net/core/somaxconn`);
  facts.bindv6only = readNumber(`${procRoot}/sys/net/ipv6/bindv6only`);
  return facts;
}

// Facts about this host's network stack that the explanations quote, from
// /proc/sys (each a single line, e.g. ip_local_port_range: "32768\t60999\n").
import { readFileSync } from 'node:fs';
import type { HostFacts } from '../../explain/ports.js';

/** Parse "32768\t60999" into a range; undefined if it is not two ordered ports. */
export function parsePortRange(text: string): [number, number] | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo <= hi && hi <= 65535 ? [lo, hi] : undefined;
}

function readNumber(path: string): number | undefined {
  try {
    const v = Number(readFileSync(path, 'latin1').trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** What this host says; a value it does not expose stays undefined (and is then not claimed). */
export function readHostFacts(procRoot: string): HostFacts {
  const facts: HostFacts = {};
  try {
    facts.ephemeral = parsePortRange(readFileSync(`${procRoot}/sys/net/ipv4/ip_local_port_range`, 'latin1'));
  } catch {
    // unknown
  }
  facts.unprivilegedStart = readNumber(`${procRoot}/sys/net/ipv4/ip_unprivileged_port_start`);
  facts.somaxconn = readNumber(`${procRoot}/sys/net/core/somaxconn`);
  facts.bindv6only = readNumber(`${procRoot}/sys/net/ipv6/bindv6only`);
  return facts;
}

// Parser of the kernel's protocol counters in /proc/net/netstat and /proc/net/snmp
// (net/ipv4/proc.c netstat_seq_show, snmp_seq_show). Each group is two lines
// with the same prefix: the counter names, then their values. Example:
//   TcpExt: SyncookiesSent SyncookiesRecv ... ListenOverflows ListenDrops ...
//   TcpExt: 0 0 ... 2850 2850 ...
// ListenOverflows counts SYNs (and final ACKs) dropped because a listener's
// accept queue was full; ListenDrops counts every drop at a listener, overflows
// included (tcp_listendrop). Both are per network namespace, not per socket.
import { CAPS, readBounded } from '../bounded-read.js';
import { join } from 'node:path';

/** Counter groups by prefix ("TcpExt", "IpExt", "Tcp", ...), each name → value. */
export type CounterGroups = Map<string, Map<string, number>>;

/** Parse /proc/net/netstat or /proc/net/snmp text. Lines that do not pair up are skipped. */
export function parseCounters(text: string): CounterGroups {
  const out: CounterGroups = new Map();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i]!;
    const colon = head.indexOf(':');
    if (colon <= 0) continue;
    const prefix = head.slice(0, colon);
    const next = lines[i + 1]!;
    if (!next.startsWith(prefix + ':')) continue;
    const names = head.slice(colon + 1).trim().split(/\s+/);
    const values = next.slice(colon + 1).trim().split(/\s+/);
    // A header line has names (not numbers); its value line has as many numbers.
    if (names.length !== values.length || names.some((n) => /^-?\d+$/.test(n)) || values.some((v) => !/^-?\d+$/.test(v))) continue;
    const group = out.get(prefix) ?? new Map<string, number>();
    // A counter past 2^53 cannot be held exactly: it is left out rather than rounded.
    names.forEach((n, k) => { const v = Number(values[k]); if (Number.isSafeInteger(v)) group.set(n, v); });
    out.set(prefix, group);
    i++;
  }
  return out;
}

/** One counter group of /proc/net/netstat or /proc/net/snmp (empty when the file cannot be read). */
export function readCounterGroup(procRoot: string, file: 'netstat' | 'snmp', group: string): Map<string, number> {
  try {
    return parseCounters(readBounded(join(procRoot, 'net', file), CAPS.counters).bytes.toString('latin1')).get(group) ?? new Map();
  } catch {
    return new Map();
  }
}

/** The TcpExt counters of this network namespace (empty when the file cannot be read). */
export function readTcpExt(procRoot = '/proc'): Map<string, number> {
  return readCounterGroup(procRoot, 'netstat', 'TcpExt');
}

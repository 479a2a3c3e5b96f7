// The I/O of one doctor sample besides the socket table: the kernel's TCP
// counters and the open-file use of the processes that hold sockets. Both are
// cheap enough to run on every exporter scrape: two small files for the
// counters, and per process one stat (or a bounded directory walk) and one
// small read.
//
// Example inputs:
//   /proc/net/netstat   "TcpExt: SyncookiesSent ... ListenOverflows ListenDrops ...\nTcpExt: 0 ... 12 12 ...\n..."
//   /proc/net/snmp      "Tcp: RtoAlgorithm ... OutSegs RetransSegs ...\nTcp: 1 ... 5310 7 ...\n..."
//   /proc/4242/limits   "Max open files            1024                 524288               files     "
//   /proc/sys/net/ipv4/ip_local_reserved_ports   "8080,9000-9010\n" (empty line when none)
import { opendirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { CAPS, readBounded } from '../collectors/bounded-read.js';
import { readCounterGroup } from '../collectors/procfs/snmp.js';
import type { DoctorSample } from './types.js';

/**
 * The TcpExt counters (/proc/net/netstat: ListenOverflows, ListenDrops, ...) and
 * the Tcp counters (/proc/net/snmp: OutSegs, RetransSegs, ...) of this network
 * namespace, by name (the two groups share no name). Empty when neither file can be read.
 */
export function readCounters(procRoot = '/proc'): Map<string, number> {
  const out = new Map<string, number>();
  for (const [file, group] of [['netstat', 'TcpExt'], ['snmp', 'Tcp']] as const) {
    for (const [k, v] of readCounterGroup(procRoot, file, group)) out.set(k, v);
  }
  return out;
}

/** The soft limit on "Max open files" in the text of /proc/PID/limits; undefined when absent or unlimited. */
export function parseNofileLimit(text: string): number | undefined {
  const m = /^Max open files[ \t]+(\d{1,12}|unlimited)[ \t]/m.exec(text);
  if (!m || m[1] === 'unlimited') return undefined;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Counting stops here: a process past it is over any limit we would compare with (nr_open is 2^20 by default). */
const MAX_COUNT = 1 << 24;

/** procfs's magic number (statfs f_type): only there does a directory's size mean anything about fds. */
const PROC_SUPER_MAGIC = 0x9fa0;
const onProcfs = new Map<string, boolean>();

function isProcfs(root: string): boolean {
  let v = onProcfs.get(root);
  if (v === undefined) {
    try {
      v = statfsSync(root).type === PROC_SUPER_MAGIC;
    } catch {
      v = false;
    }
    onProcfs.set(root, v);
  }
  return v;
}

/**
 * Open fds of a process: the size of /proc/PID/fd (Linux 6.2+ reports the
 * count there; a recorded tree's directory size is the file system's), else
 * its entries counted one by one without keeping them.
 */
function countFds(dir: string, procfs: boolean): number {
  const size = procfs ? statSync(dir).size : 0;
  if (size > 0) return size;
  const d = opendirSync(dir, { bufferSize: 256 });
  let n = 0;
  try {
    while (d.readSync() !== null && n < MAX_COUNT) n++;
  } finally {
    d.closeSync();
  }
  return n;
}

/**
 * Open fds and RLIMIT_NOFILE soft limit of these processes, by pid. A process
 * whose fds or limits cannot be read (not ours to read, gone, or no limit) is
 * left out, and when `errors` is given it gets the reason there (EACCES, ENOENT,
 * 'no-limit'), so that the fd-limit check can say what it could not see.
 */
export function readFdUse(pids: Iterable<number>, procRoot = '/proc', errors?: Map<number, string>): NonNullable<DoctorSample['fds']> {
  const out: NonNullable<DoctorSample['fds']> = new Map();
  const procfs = isProcfs(procRoot);
  for (const pid of pids) {
    if (out.has(pid) || errors?.has(pid)) continue;
    const base = join(procRoot, String(pid));
    try {
      const limit = parseNofileLimit(readBounded(join(base, 'limits'), CAPS.status).bytes.toString('latin1'));
      if (limit === undefined) {
        errors?.set(pid, 'no-limit');
        continue;
      }
      out.set(pid, { open: countFds(join(base, 'fd'), procfs), limit });
    } catch (e) {
      errors?.set(pid, (e as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
  return out;
}

/** The pids holding the sockets of a sample: whose fd use the fd-limit check reads. */
export function holderPids(sockets: DoctorSample['sockets']): Set<number> {
  const out = new Set<number>();
  for (const s of sockets) for (const h of s.holders) out.add(h.pid);
  return out;
}

/**
 * Parse net.ipv4.ip_local_reserved_ports ("8080,9000-9010", or an empty line):
 * port ranges the kernel never hands out as ephemeral ports. Undefined when
 * the text is not that (nothing is then claimed reserved).
 */
export function parseReservedPorts(text: string): [number, number][] | undefined {
  const t = text.trim();
  if (t === '') return [];
  const out: [number, number][] = [];
  for (const part of t.split(',')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > hi || hi > 65535) return undefined;
    out.push([lo, hi]);
  }
  return out;
}

/** This namespace's reserved ports; undefined when unreadable. */
export function readReservedPorts(procRoot = '/proc'): [number, number][] | undefined {
  try {
    return parseReservedPorts(readBounded(join(procRoot, 'sys', 'net', 'ipv4', 'ip_local_reserved_ports'), CAPS.pasted).bytes.toString('latin1'));
  } catch {
    return undefined;
  }
}

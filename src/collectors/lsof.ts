// A collector over lsof, the one tool that lists sockets with their processes
// on Linux, macOS and the BSDs alike. It runs
//   lsof -nP -i -w -F 0pcuLftdPnT -T qs
// (field output: one field per NUL-terminated item, a process set then its
// file sets) and turns it into a Snapshot. What lsof cannot tell is left out,
// never invented: it sees only sockets some process holds (no TIME_WAIT, no
// connection waiting in an accept queue), no listen backlog, no command line;
// on macOS its DEVICE is a kernel address, not an inode.
// Example of the output, with NUL shown as | and one set per line:
//   p4242|cpython3|u0|Lroot|
//   f3|tIPv4|d4335157|PTCP|n127.0.0.1:47015|TST=LISTEN|TQR=1|TQS=0|
//   f4|tIPv4|d4335158|PTCP|n127.0.0.1:34204->127.0.0.1:47015|TST=ESTABLISHED|TQR=0|TQS=0|
import type { Collector, CollectOptions, CollectorContext, ProcessInfo } from './collector.js';
import { systemExec } from './exec.js';
import type { Family, Holder, Protocol, RawSocket, Socket, SocketState } from '../model/socket.js';
import type { AbsentField, ScanIssue, Snapshot } from '../model/snapshot.js';
import { unescapeCommand } from './text/lsof.js';
import { hostAddress, normalizeState, parseColonEndpoint, udpState, MAX_FD, MAX_PID, MAX_QUEUE, MAX_UID, uintMax } from './text/common.js';

import type { Exec } from './exec.js';

/** Runs lsof: argv in, stdout bytes out (or the error). Injected so tests can replay recorded output. */
export type { Exec } from './exec.js';

/** The lsof arguments: numeric hosts and ports, internet files only, no warnings, field output with queues and state. */
export const LSOF_ARGS = ['-nP', '-i', '-w', '-F', '0pcuLftdPnT', '-T', 'qs'] as const;

/**
 * The lsof arguments for a query: every internet file, or — when the query
 * names a few ports — only files on those ports (`-i :N` once per port; lsof
 * ORs them, and matches local or remote ports: `select` keeps the local ones).
 * On a busy machine `lsof -i :N` takes ~50 ms where `lsof -i` takes seconds.
 * With pids, `-a -p` ANDs them with the rest.
 */
export function lsofArgsFor(options: Pick<CollectOptions, 'narrow' | 'pids'>): string[] {
  const ports = options.narrow?.ports;
  const args: string[] = ports && ports.length > 0 && ports.length <= 16
    ? LSOF_ARGS.flatMap((a) => (a === '-i' ? ports.flatMap((p) => ['-i', `:${p}`]) : [a]))
    : [...LSOF_ARGS];
  if (options.pids && options.pids.length) args.push('-a', '-p', options.pids.join(','));
  return args;
}

/** At most this much lsof output is read (a million sockets take ~150 MB in this form). */
const MAX_OUTPUT = 512 * 1024 * 1024;

// node:child_process is loaded on the first run (it pulls in net and dgram, ~2 ms): `list` loads this module on Linux too.
export const realExec: Exec = async (file, args) => {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => execFile(file, [...args], { encoding: 'buffer', maxBuffer: MAX_OUTPUT, timeout: 120_000 }, (err, stdout) => {
    const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
    // lsof exits 1 when it found nothing to list: an empty answer, not a failure.
    if (err && code !== 1) return reject(err);
    resolve({ stdout: stdout as Buffer, code });
  }));
};

interface Parsed {
  sockets: Socket[];
  issues: ScanIssue[];
  /** Hex DEVICE values mean macOS or a BSD (kernel addresses), decimal ones Linux (inodes). */
  kernelAddresses: boolean;
  /** Whether any socket came with its queues (-T q): an lsof without TCP/TPI info gives none, and its 0s mean unknown. */
  queuesSeen: boolean;
}

/** Parse `lsof -F 0pcuLftdPnT -T qs` output into sockets with their holders, merged per socket. */
export function parseLsofFields(out: string): Parsed {
  const byKey = new Map<string, Socket>();
  const issues: ScanIssue[] = [];
  let hex = 0;
  let dec = 0;
  let queuesSeen = false;
  let proc: { pid: number; name?: string; uid?: number; user?: string } | undefined;
  let file: Record<string, string> & { T?: string } = {};
  let tinfo: Record<string, string> = {};
  const flush = (): void => {
    if (!proc || file['f'] === undefined) return;
    const f = file;
    const t = tinfo;
    file = {};
    tinfo = {};
    const type = f['t'];
    const protoName = f['P'];
    if ((type !== 'IPv4' && type !== 'IPv6') || (protoName !== 'TCP' && protoName !== 'UDP')) return;
    const protocol: Protocol = protoName === 'TCP' ? 'tcp' : 'udp';
    const family: Family = type === 'IPv6' ? 'ipv6' : 'ipv4';
    const name = f['n'] ?? '';
    const [lText, rText] = name.split('->');
    const local = parseColonEndpoint(lText ?? '');
    const remote = rText === undefined ? undefined : parseColonEndpoint(rText);
    const bad = (reason: string): void => { issues.push({ kind: 'parse-error', subject: `lsof pid ${proc!.pid} fd ${f['f']}`, detail: name.slice(0, 200), reason }); };
    if (!local || (rText !== undefined && !remote)) return bad('malformed');
    const localAddress = hostAddress(local.host, family);
    const remoteAddress = remote ? hostAddress(remote.host, family) : hostAddress('*', family);
    if (localAddress === undefined || remoteAddress === undefined) return bad('malformed');
    let state: SocketState | undefined;
    if (protocol === 'udp') state = udpState(remote);
    else state = t['ST'] === undefined ? undefined : normalizeState(t['ST'], 'tcp');
    if (state === undefined) return bad('malformed');
    if (t['QR'] !== undefined || t['QS'] !== undefined) queuesSeen = true;
    const recvQ = uintMax(t['QR'], MAX_QUEUE);
    const sendQ = uintMax(t['QS'], MAX_QUEUE);
    if (recvQ === 'out-of-range' || sendQ === 'out-of-range') return bad('out-of-range');
    const device = f['d'] ?? '';
    if (/^0x[0-9a-f]+$/i.test(device)) hex++; else if (/^\d+$/.test(device)) dec++;
    const fd = uintMax(/^\d+/.exec(f['f'] ?? '')?.[0], MAX_FD);
    if (fd === 'out-of-range') return bad('out-of-range');
    const holder: Holder = { pid: proc.pid };
    if (fd !== undefined) holder.fd = fd;
    if (proc.name !== undefined) holder.name = proc.name;
    if (proc.user !== undefined) holder.user = proc.user;
    if (proc.uid !== undefined) holder.uid = proc.uid;
    const key = `${protocol}|${device}|${name}`;
    const seen = byKey.get(key);
    if (seen) {
      if (!seen.holders.some((h) => h.pid === holder.pid && h.fd === holder.fd)) seen.holders.push(holder);
      return;
    }
    const inode = /^\d+$/.test(device) ? uintMax(device, Number.MAX_SAFE_INTEGER) : undefined;
    const s: Socket = {
      protocol, family, localAddress, localPort: local.port, remoteAddress, remotePort: remote ? remote.port : 0, state,
      recvQ: recvQ ?? 0, sendQ: protocol === 'tcp' && state === 'LISTEN' ? 0 : sendQ ?? 0,
      inode: typeof inode === 'number' ? inode : 0,
      // lsof gives the holder's uid, not the socket's: the first holder's stands in.
      uid: proc.uid ?? 0, holders: [holder],
    };
    byKey.set(key, s);
  };
  // Sets are separated by newlines; fields within a set by NUL.
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\0');
    const first = fields[0] ?? '';
    if (first.startsWith('p')) {
      flush();
      const pid = uintMax(first.slice(1), MAX_PID);
      proc = typeof pid === 'number' ? { pid } : undefined;
      if (!proc) { issues.push({ kind: 'parse-error', subject: 'lsof', detail: first.slice(0, 60), reason: 'malformed' }); continue; }
      for (const x of fields.slice(1)) {
        if (x.startsWith('c')) proc.name = unescapeCommand(x.slice(1));
        else if (x.startsWith('u')) { const u = uintMax(x.slice(1), MAX_UID); if (typeof u === 'number') proc.uid = u; }
        else if (x.startsWith('L')) proc.user = x.slice(1);
      }
      continue;
    }
    if (first.startsWith('f')) {
      flush();
      for (const x of fields) {
        if (x === '') continue;
        if (x[0] === 'T') {
          const eq = x.indexOf('=');
          if (eq > 1) tinfo[x.slice(1, eq)] = x.slice(eq + 1);
        } else {
          file[x[0]!] = x.slice(1);
        }
      }
    }
  }
  flush();
  return { sockets: [...byKey.values()], issues, kernelAddresses: hex > dec, queuesSeen };
}

/** The sockets some process holds, as lsof sees them. */
export class LsofCollector implements Collector {
  readonly name = 'lsof';

  constructor(private readonly ctx: CollectorContext, private readonly exec: Exec = realExec) {}

  /** ps gives what lsof does not (command line, parent, start time) wherever lsof runs. */
  async processInfo(pid: number): Promise<ProcessInfo | undefined> {
    const { psProcessInfo } = await import('./ps.js');
    return psProcessInfo(this.ctx.exec ?? systemExec(), pid);
  }

  async findProcesses(name: string, exclude: readonly number[]): Promise<number[]> {
    const { psFindProcesses } = await import('./ps.js');
    return psFindProcesses(this.ctx.exec ?? systemExec(), name, exclude);
  }

  async collect(options: CollectOptions = {}): Promise<Snapshot> {
    const takenAt = this.ctx.now();
    const { stdout } = await this.exec('lsof', lsofArgsFor(options));
    const parsed = parseLsofFields(stdout.toString('utf8'));
    const keep = (s: RawSocket): boolean =>
      (!options.protocols || options.protocols.includes(s.protocol)) &&
      (!options.families || options.families.includes(s.family)) &&
      (!options.select || options.select(s));
    let sockets = parsed.sockets.filter(keep);
    if (options.holders === false) sockets = sockets.map((s) => ({ ...s, holders: [], unheldReason: 'unknown' as const }));
    // Never a backlog; no inode where DEVICE is a kernel address; no queues from an lsof without -T q.
    const absent: AbsentField[] = ['backlog'];
    if (parsed.kernelAddresses) absent.push('inode');
    if (sockets.length > 0 && !parsed.queuesSeen) absent.push('queues');
    const rowAbsent: readonly AbsentField[] = Object.freeze([...absent]);
    for (const s of sockets) s.absent = rowAbsent;
    return {
      takenAt, source: 'lsof', backlogKnown: false, privileged: this.ctx.euid === 0,
      sockets, unreadableProcesses: 0, issues: parsed.issues, absent,
    };
  }
}

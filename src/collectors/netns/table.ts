// The socket table of another network namespace. First choice: sock_diag from
// inside it. The native addon (native/scan.cc netnsOpen) creates a
// NETLINK_SOCK_DIAG socket on a thread that entered the namespace with setns(2);
// the socket keeps belonging to that namespace, the dump requests are the ones
// codec.ts builds and the replies go through the same decoder as our own
// namespace's. Fallback (no addon, no CAP_SYS_ADMIN over the namespace, a
// recorded tree): /proc/<pid>/net/{tcp,tcp6,udp,udp6} of a process in it, which
// show *that* process's namespace (proc_net follows the task: fs/proc/proc_net.c),
// the listen backlog then unknown.
import type { Family, Protocol, RawSocket } from '../../model/socket.js';
import type { ScanIssue, SourceName } from '../../model/snapshot.js';
import { nativeScan } from '../procfs/holders.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, decodeDumpChunk, encodeDumpRequest } from '../sockdiag/codec.js';
import type { FoundNetns } from './discover.js';
import { parseNsLink } from './discover.js';
import { readlinkSync } from 'node:fs';

/** The netns functions of the native addon (absent from an addon built before them). */
interface NetnsNative {
  netnsOpen(path: string, inode: number): number;
  netnsDump(fd: number, request: Uint8Array): { bytes: Buffer; truncated: boolean };
  netnsClose(fd: number): void;
}

/** The addon's netns functions, or null (not built, SOCKSCOPE_NATIVE=0, or built before they existed). */
export function netnsNative(): NetnsNative | null {
  const n = nativeScan() as (Partial<NetnsNative> & object) | null;
  return n && typeof n.netnsOpen === 'function' && typeof n.netnsDump === 'function' && typeof n.netnsClose === 'function'
    ? (n as NetnsNative) : null;
}

/** What to ask each namespace for (as readSockDiag's options). */
export interface NetnsTableOptions {
  procRoot: string;
  protocols: readonly Protocol[];
  families: readonly Family[];
  memory?: boolean;
  info?: boolean;
  states?: number;
  ports?: readonly number[];
  /** 'proc' forces the /proc/<pid>/net tables; 'netlink' and 'auto' try sock_diag first. */
  source?: SourceName | 'auto';
}

/**
 * Why a namespace's table could not be read (NetnsInfo.error starts with one,
 * then ": " and the system's own words when there are some):
 * no-visible-process (sock_diag could not enter it, and no process of it is
 * visible to read /proc/<pid>/net from), processes-gone (its processes exited
 * or their tables were closed to us), left-during-read (the process read left
 * it meanwhile), read-failed (its /proc tables could not be read).
 */
export type NetnsError = 'no-visible-process' | 'processes-gone' | 'left-during-read' | 'read-failed';

export interface NetnsTable {
  sockets: RawSocket[];
  issues: ScanIssue[];
  /** Where the table came from; absent when it could not be read (see error). */
  source?: SourceName;
  /** Why no table could be read: a NetnsError, then ": " and details. */
  error?: string;
}

let seqCounter = 0x6e730000;

/** A sock_diag socket inside one namespace (the live collector keeps it open between ticks). */
export class NetnsChannel {
  /** A kernel is on the other end: it answers TCPDIAG_GETSOCK (see LiveChannel in sockdiag/live-table.ts). */
  readonly compatTcp = true;

  private constructor(private readonly native: NetnsNative, private fd: number) {}

  /**
   * Open a socket inside the namespace: through a bind mount, else through one of
   * its processes (a pid may exit or be reused meanwhile: the inode is checked, and
   * the next process tried). Throws with the last reason.
   */
  static open(ns: Pick<FoundNetns, 'inode' | 'mount' | 'pids'>, procRoot: string): NetnsChannel {
    const native = netnsNative();
    if (!native) throw new Error('the native addon is not built');
    const paths = [...(ns.mount ? [ns.mount] : []), ...ns.pids.slice(0, 3).map((pid) => `${procRoot}/${pid}/ns/net`)];
    let last: unknown = new Error('no process or mount to enter it by');
    for (const path of paths) {
      try {
        return new NetnsChannel(native, native.netnsOpen(path, ns.inode));
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  /** The socket's descriptor, for the native one-shot table to dump through (collectors/fast); -1 once closed. */
  get descriptor(): number {
    return this.fd;
  }

  /** Send one dump request and return the whole reply (every datagram, in order). */
  dump(request: Uint8Array): { bytes: Buffer; truncated: boolean } {
    if (this.fd < 0) throw new Error('netns channel closed');
    return this.native.netnsDump(this.fd, request);
  }

  /**
   * The request/close pair LiveSockDiag reads through (sockdiag/live-table.ts):
   * the reply is handed over as one chunk (it holds whole messages only).
   */
  request(request: Uint8Array, onChunk: (chunk: Buffer) => boolean): Promise<void> {
    try {
      const { bytes } = this.dump(request);
      onChunk(bytes);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  close(): void {
    if (this.fd >= 0) this.native.netnsClose(this.fd);
    this.fd = -1;
  }
}

/** "errno 1" -> "EPERM"-style text is not worth a table: the message says it ("Operation not permitted"). */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.message || String(e);
}

/** Read one namespace's table over sock_diag from inside it. Throws when the namespace cannot be entered. */
export function readNetnsSockDiag(ns: Pick<FoundNetns, 'inode' | 'mount' | 'pids'>, opts: NetnsTableOptions):
  { sockets: RawSocket[]; issues: ScanIssue[]; refused: { protocol: Protocol; family: Family }[] } {
  const channel = NetnsChannel.open(ns, opts.procRoot);
  const sockets: RawSocket[] = [];
  const issues: ScanIssue[] = [];
  const refused: { protocol: Protocol; family: Family }[] = [];
  try {
    for (const protocol of opts.protocols) {
      // TCP of both families in one dump (see compatRequest): half the walks of the machine's TCP hash.
      let families: readonly Family[] = opts.families;
      if (protocol === 'tcp' && families.includes('ipv4') && families.includes('ipv6')) {
        if (dumpTcpBoth(channel, ns.inode, opts, sockets, issues)) families = [];
      }
      for (const family of families) {
        const seq = (seqCounter = (seqCounter + 1) >>> 0);
        const req = encodeDumpRequest({
          family: family === 'ipv4' ? AF_INET : AF_INET6,
          protocol: protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP,
          memory: opts.memory, info: opts.info && protocol === 'tcp', states: opts.states, ports: opts.ports, seq,
        });
        const { bytes, truncated } = channel.dump(req);
        const r = decodeDumpChunk(bytes, protocol, seq, sockets);
        const table = `netns ${ns.inode} ${protocol}${family === 'ipv6' ? '6' : ''}`;
        if (r.errno !== undefined) {
          refused.push({ protocol, family });
          issues.push({ kind: 'source-error', subject: `netlink ${table}`, detail: `errno ${-r.errno}` });
        }
        if (r.malformed > 0) issues.push({ kind: 'parse-error', subject: `netlink ${table}`, detail: `${r.malformed} malformed messages` });
        if (truncated) issues.push({ kind: 'truncated', subject: `netlink ${table}`, detail: '512 MiB' });
      }
    }
  } finally {
    channel.close();
  }
  return { sockets, issues, refused };
}

/** nlmsg_type of the old TCP-only dump request, which its replies carry too (include/uapi/linux/inet_diag.h). */
const TCPDIAG_GETSOCK = 18;
const SOCK_DIAG_BY_FAMILY = 20;

/**
 * The same dump as a v2 request (encodeDumpRequest's bytes) in the older
 * TCPDIAG_GETSOCK form, which the kernel answers for both families in one walk
 * (net/ipv4/inet_diag.c inet_diag_dump_compat sets the family to AF_UNSPEC).
 * Each dump walks the whole machine's TCP hash, every namespace's sockets, and
 * skips the others': with 50 namespaces those walks are most of the cost, and
 * this halves them. Layouts:
 *   v2:  { u8 family, protocol, ext, pad; u32 states; sockid id (48) }            56
 *   old: { u8 family, src_len, dst_len, ext; sockid id (48); u32 states, dbs }    60
 * followed by the same attributes (the port filter's bytecode).
 */
export function compatRequest(v2: Buffer): Buffer {
  const HDR = 16;
  const attrs = v2.subarray(HDR + 56);
  const b = Buffer.alloc(HDR + 60 + attrs.length);
  v2.copy(b, 0, 0, HDR);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(TCPDIAG_GETSOCK, 4);
  b.writeUInt8(0, HDR); // AF_UNSPEC: both families
  b.writeUInt8(v2[HDR + 2]!, HDR + 3); // extensions
  v2.copy(b, HDR + 4, HDR + 8, HDR + 56); // socket id
  b.writeUInt32LE(v2.readUInt32LE(HDR + 4), HDR + 52); // states
  attrs.copy(b, HDR + 60);
  return b;
}

/**
 * TCP over both families in one dump; false when the kernel refuses the old
 * request (then the two v2 dumps are made as usual).
 */
function dumpTcpBoth(channel: NetnsChannel, inode: number, opts: NetnsTableOptions, sockets: RawSocket[], issues: ScanIssue[]): boolean {
  const seq = (seqCounter = (seqCounter + 1) >>> 0);
  const v2 = encodeDumpRequest({ family: AF_INET, protocol: IPPROTO_TCP, memory: opts.memory, info: opts.info, states: opts.states, ports: opts.ports, seq });
  let reply: { bytes: Buffer; truncated: boolean };
  try {
    reply = channel.dump(compatRequest(v2));
  } catch {
    return false;
  }
  const { bytes, truncated } = reply;
  // The replies carry the request's type: the decoder knows them as SOCK_DIAG_BY_FAMILY.
  for (let off = 0; off + 16 <= bytes.length;) {
    const len = bytes.readUInt32LE(off);
    if (len < 16 || off + len > bytes.length) break;
    if (bytes.readUInt16LE(off + 4) === TCPDIAG_GETSOCK) bytes.writeUInt16LE(SOCK_DIAG_BY_FAMILY, off + 4);
    off += (len + 3) & ~3;
  }
  const mark = sockets.length;
  const r = decodeDumpChunk(bytes, 'tcp', seq, sockets);
  if (r.errno !== undefined || !r.done) {
    sockets.length = mark;
    return false;
  }
  if (r.malformed > 0) issues.push({ kind: 'parse-error', subject: `netlink netns ${inode} tcp`, detail: `${r.malformed} malformed messages` });
  if (truncated) issues.push({ kind: 'truncated', subject: `netlink netns ${inode} tcp`, detail: '512 MiB' });
  return true;
}

/**
 * A process of the namespace whose /proc/<pid>/net tables can stand for it: its
 * link still names the namespace (a pid reused since discovery would not).
 */
function memberPid(ns: Pick<FoundNetns, 'inode' | 'pids'>, procRoot: string): number | undefined {
  for (const pid of ns.pids.slice(0, 8)) {
    try {
      if (parseNsLink(readlinkSync(`${procRoot}/${pid}/ns/net`)) === ns.inode) return pid;
    } catch {
      // gone or closed to us: try the next one
    }
  }
  return undefined;
}

type ProcTables = (root: string, protocols: readonly Protocol[], families: readonly Family[],
  only?: { protocol: Protocol; family: Family }[]) => { sockets: RawSocket[]; issues: ScanIssue[] };

/**
 * One namespace's table, never throwing: sock_diag inside it, else the /proc
 * tables of one of its processes; `error` says why neither worked.
 * `readProcTables` is linux.ts's reader (passed in: linux.ts imports this file).
 */
export function readNetnsTable(ns: Pick<FoundNetns, 'inode' | 'mount' | 'pids'>, opts: NetnsTableOptions, readProcTables: ProcTables): NetnsTable {
  const issues: ScanIssue[] = [];
  let fallback: string | undefined;
  if (opts.source !== 'proc' && opts.procRoot === '/proc') {
    try {
      const r = readNetnsSockDiag(ns, opts);
      issues.push(...r.issues);
      if (r.refused.length) {
        const pid = memberPid(ns, opts.procRoot);
        if (pid !== undefined) {
          try {
            const extra = readProcTables(`${opts.procRoot}/${pid}`, opts.protocols, opts.families, r.refused);
            r.sockets.push(...extra.sockets);
            issues.push(...extra.issues);
          } catch {
            // the refused tables stay missing; the issues above say which
          }
        }
      }
      return { sockets: r.sockets, issues, source: 'netlink' };
    } catch (e) {
      fallback = reason(e);
    }
  }
  const pid = memberPid(ns, opts.procRoot);
  if (pid === undefined) {
    const why: NetnsError = ns.pids.length ? 'processes-gone' : 'no-visible-process';
    return { sockets: [], issues, error: fallback ? `${why}: ${fallback}` : why };
  }
  try {
    const t = readProcTables(`${opts.procRoot}/${pid}`, opts.protocols, opts.families);
    // The process may have left (or its pid been reused) while its tables were read.
    if (memberPid({ inode: ns.inode, pids: [pid] }, opts.procRoot) !== pid) {
      return { sockets: [], issues, error: 'left-during-read' };
    }
    // Why sock_diag was not used (no addon, EPERM) is not said per namespace: its
    // source says 'proc', and the backlog of its listeners is unknown.
    return { sockets: t.sockets, issues: [...issues, ...t.issues], source: 'proc' };
  } catch (e) {
    return { sockets: [], issues, error: `read-failed: ${reason(e)}` };
  }
}

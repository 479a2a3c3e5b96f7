// The socket table read over netlink sock_diag again and again, for `watch`.
// Most sockets do not change from one second to the next, and decoding 100k
// records into fresh objects every second costs more than the kernel's dump
// itself. So each record is compared, on its raw bytes, with what the same
// socket (same inode, same 4-tuple) looked like last time; an unchanged record
// hands back last time's object. The view and the diff then see identity
// (`prev === next`) for the sockets that did not change.
//
// Record layout: see codec.ts (struct inet_diag_msg, 72 bytes). Example record:
//   family=2 state=1 timer=2 retrans=0 sport=5000 dport=40312 src=127.0.0.1
//   dst=127.0.0.1 if=0 cookie=0x2a1f expires=7123 rqueue=0 wqueue=0 uid=0 inode=711724
// The cookie (idiag_cookie, bytes 44..51) is kept aside per inode: SOCK_DESTROY
// needs it to name the exact socket (see destroy.ts).
import type { Family, Protocol, RawSocket, Socket } from '../../model/socket.js';
import type { ScanIssue } from '../../model/snapshot.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, NLMSG_DONE, NLMSG_ERROR, SOCK_DIAG_BY_FAMILY, NO_HOLDERS, decodeRecord, encodeDumpRequest } from './codec.js';
import { SockDiagChannel } from './transport.js';

const HDR = 16;
const MSG = 72;

/** What one socket looked like last time, to tell "unchanged" on raw bytes. */
interface Seen {
  sock: RawSocket;
  /** Hash of the 4-tuple bytes and interface. */
  tuple: number;
  /** state | timer kind << 8 | retransmits << 16 */
  flags: number;
  rq: number;
  wq: number;
  /** Which read saw it last (entries not seen in the latest read are dropped). */
  gen: number;
  /** idiag_cookie, low and high u32: constant for the life of a socket. */
  cookieLo: number;
  cookieHi: number;
}

export interface LiveTableOptions {
  protocols: readonly Protocol[];
  families: readonly Family[];
  /** Kernel state bitmask (1 << state); all by default. */
  states?: number;
  ports?: readonly number[];
}

export interface LiveTableRead {
  sockets: RawSocket[];
  issues: ScanIssue[];
  /** Tables the kernel refused (e.g. no udp_diag): the caller reads them from /proc. */
  refused: { protocol: Protocol; family: Family }[];
  /** Records decoded afresh (the rest were last time's objects). */
  decoded: number;
  /** Inodes of the previous read that are not in this one. */
  gone: number[];
}

let seqCounter = 0x5000;

/**
 * The cookie read with each socket object handed out, whatever its inode (TIME_WAIT
 * and request sockets have inode 0 but a cookie): `x` in the live view destroys
 * exactly the socket on screen by it. Weak: it goes with the object.
 */
const COOKIES = new WeakMap<object, [number, number]>();

/** The kernel's cookie of a socket object this table handed out (or a copy made with replace()). */
export function cookieOfSocket(s: object): [number, number] | undefined {
  return COOKIES.get(s);
}

/** Reads the table over one long-lived netlink channel, reusing unchanged records. */
export class LiveSockDiag {
  private channel: SockDiagChannel | undefined;
  private seen = new Map<number, Seen>();
  /** Sockets without an inode (TIME_WAIT, not yet accepted), by a text key. */
  private seenNoInode = new Map<string, Seen>();
  private gen = 0;
  /** First record of every dump is decoded here, marked so the caller can tell it is new. */
  static readonly FRESH: Socket['holders'] = NO_HOLDERS;

  /** The kernel's cookie of the socket with this inode, as of the latest read. */
  cookieOf(inode: number): [number, number] | undefined {
    const e = this.seen.get(inode);
    return e ? [e.cookieLo, e.cookieHi] : undefined;
  }

  /** Put `next` in place of `prev` (same socket, holders attached) so the next read hands it back. */
  replace(prev: RawSocket, next: RawSocket): void {
    const c = COOKIES.get(prev);
    if (c) COOKIES.set(next, c);
    const e = prev.inode !== 0 ? this.seen.get(prev.inode) : undefined;
    if (e && e.sock === prev) e.sock = next;
  }

  async read(opts: LiveTableOptions): Promise<LiveTableRead> {
    this.channel ??= new SockDiagChannel({ bulk: true });
    const gen = ++this.gen;
    const out: RawSocket[] = [];
    const issues: ScanIssue[] = [];
    const refused: LiveTableRead['refused'] = [];
    let decoded = 0;
    try {
      for (const protocol of opts.protocols) {
        for (const family of opts.families) {
          const seq = (seqCounter = (seqCounter + 1) >>> 0);
          const req = encodeDumpRequest({
            family: family === 'ipv4' ? AF_INET : AF_INET6,
            protocol: protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP,
            states: opts.states, ports: opts.ports, seq,
          });
          let errno: number | undefined;
          await this.channel.request(req, (chunk) => {
            const r = this.chunk(chunk, protocol, seq, gen, out);
            decoded += r.decoded;
            if (r.errno !== undefined) errno = r.errno;
            return r.done;
          });
          if (errno !== undefined) {
            refused.push({ protocol, family });
            issues.push({ kind: 'source-error', subject: `netlink ${protocol}${family === 'ipv6' ? '6' : ''}`, detail: `errno ${-errno}` });
          }
        }
      }
    } catch (e) {
      // A broken channel is not reused: the next read opens a new one.
      this.close();
      throw e;
    }
    // Forget sockets that were not seen in this read: memory stays bounded by the table.
    const gone: number[] = [];
    for (const [k, v] of this.seen) if (v.gen !== gen) { this.seen.delete(k); gone.push(k); }
    for (const [k, v] of this.seenNoInode) if (v.gen !== gen) this.seenNoInode.delete(k);
    return { sockets: out, issues, refused, decoded, gone };
  }

  close(): void {
    this.channel?.close();
    this.channel = undefined;
  }

  private chunk(buf: Buffer, protocol: Protocol, seq: number, gen: number, out: RawSocket[]):
    { done: boolean; errno?: number; decoded: number } {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    let done = false;
    let errno: number | undefined;
    let decoded = 0;
    while (off + HDR <= buf.length) {
      const len = dv.getUint32(off, true);
      if (len < HDR || off + len > buf.length) break;
      const type = dv.getUint16(off + 4, true);
      if (dv.getUint32(off + 8, true) === seq >>> 0) {
        if (type === NLMSG_DONE) done = true;
        else if (type === NLMSG_ERROR) {
          const e = len >= HDR + 4 ? dv.getInt32(off + HDR, true) : -22;
          if (e !== 0) errno = e;
          done = true;
        } else if (type === SOCK_DIAG_BY_FAMILY && len >= HDR + MSG) {
          const r = this.record(buf, dv, off + HDR, protocol, gen);
          if (r) {
            out.push(r);
            if (this.fresh) decoded++;
          }
        }
      }
      off += (len + 3) & ~3;
    }
    return { done, errno, decoded };
  }

  /** Whether the last record() decoded afresh (a field, not a returned pair: no allocation per record). */
  private fresh = false;

  private record(buf: Buffer, dv: DataView, p: number, protocol: Protocol, gen: number): RawSocket | undefined {
    const family = buf[p]!;
    if (family !== AF_INET && family !== AF_INET6) return undefined;
    const kstate = buf[p + 1]!;
    // A hash of ports, addresses and interface: ports, the first and last word
    // of each address (an IPv4 address is the first word; IPv6 addresses
    // mostly differ in the last), the interface. Only a socket that keeps its
    // inode and changes its tuple (bind, connect) needs it.
    let h = 0x811c9dc5 ^ family ^ (protocol === 'tcp' ? 0 : 0x100);
    h = Math.imul(h ^ dv.getUint32(p + 4, true), 16777619);
    h = Math.imul(h ^ dv.getUint32(p + 8, true), 16777619);
    h = Math.imul(h ^ dv.getUint32(p + 20, true), 16777619);
    h = Math.imul(h ^ dv.getUint32(p + 24, true), 16777619);
    h = Math.imul(h ^ dv.getUint32(p + 36, true), 16777619);
    h = Math.imul(h ^ dv.getUint32(p + 40, true), 16777619);
    const flags = kstate | (buf[p + 2]! << 8) | (buf[p + 3]! << 16);
    const rq = dv.getUint32(p + 56, true);
    const wq = dv.getUint32(p + 60, true);
    const inode = dv.getUint32(p + 68, true);
    let key: string | undefined;
    let prev: Seen | undefined;
    if (inode !== 0) {
      prev = this.seen.get(inode);
    } else {
      key = `${protocol}${h}`;
      prev = this.seenNoInode.get(key);
    }
    // Same cookie too: a new socket on a reused 4-tuple is another socket, never last time's object.
    if (prev && prev.tuple === h && prev.flags === flags && prev.rq === rq && prev.wq === wq && prev.sock.protocol === protocol &&
      prev.cookieLo === dv.getUint32(p + 44, true) && prev.cookieHi === dv.getUint32(p + 48, true)) {
      prev.gen = gen;
      this.fresh = false;
      return prev.sock;
    }
    // No attributes were asked for: the record ends with the fixed message.
    const sock = decodeRecord(buf, dv, p, p + 72, protocol);
    if (!sock) return undefined;
    const entry: Seen = { sock, tuple: h, flags, rq, wq, gen, cookieLo: dv.getUint32(p + 44, true), cookieHi: dv.getUint32(p + 48, true) };
    COOKIES.set(sock, [entry.cookieLo, entry.cookieHi]);
    if (key === undefined) this.seen.set(inode, entry);
    else this.seenNoInode.set(key, entry);
    this.fresh = true;
    return sock;
  }
}


// The socket table read over netlink sock_diag again and again, for `watch`.
// Most sockets do not change from one second to the next, and decoding 100k
// records into fresh objects every second costs more than the kernel's dump
// itself. So each record is compared, on its raw bytes, with what the same
// socket looked like last time; an unchanged record hands back last time's
// object. The same socket: same inode, or for a socket without one (TIME_WAIT,
// not yet accepted) the same full tuple (ports, both addresses, interface)
// and cookie; in both cases the full tuple and cookie must be unchanged. The view and the diff then see identity
// (`prev === next`) for the sockets that did not change.
//
// Record layout: see codec.ts (struct inet_diag_msg, 72 bytes). Example record:
//   family=2 state=1 timer=2 retrans=0 sport=5000 dport=40312 src=127.0.0.1
//   dst=127.0.0.1 if=0 cookie=0x2a1f expires=7123 rqueue=0 wqueue=0 uid=0 inode=711724
// The cookie (idiag_cookie, bytes 44..51) is kept aside per inode: SOCK_DESTROY
// needs it to name the exact socket (see destroy.ts).
//
// Traffic (watch's rates) needs tcp_info's byte counters every tick, and they
// change on every busy connection every tick. So they do not decide reuse:
// with `counters`, the kernel is asked for INET_DIAG_INFO (TCP) and
// INET_DIAG_SKMEMINFO (UDP, for drops), the record is still reused or decoded
// on its fixed part exactly as without them (the Socket objects are the same,
// with no `tcp` field), and only the few numbers rates need are read from the
// attributes into arrays beside `sockets`. Without `counters` nothing of this
// runs: the request and the per-record work are what they were.
import type { Family, Protocol, RawSocket, Socket } from '../../model/socket.js';
import type { ScanIssue } from '../../model/snapshot.js';
import {
  AF_INET, AF_INET6, INET_DIAG_INFO, INET_DIAG_SKMEMINFO, IPPROTO_TCP, IPPROTO_UDP, NLMSG_DONE, NLMSG_ERROR, SOCK_DIAG_BY_FAMILY, NO_HOLDERS,
  decodeRecord, encodeDumpRequest,
} from './codec.js';
import { SockDiagChannel } from './transport.js';
import { NativeDiagChannel, diagNative } from './native-channel.js';
import { DestroyListener, type ClosedRecord } from './destroy-events.js';
import { compatRequest } from '../netns/table.js';

const HDR = 16;
const MSG = 72;
/** nlmsg_type of the old TCP-only dump request, which its replies carry too (include/uapi/linux/inet_diag.h). */
const TCPDIAG_GETSOCK = 18;

/**
 * What each socket looked like last time, to tell "unchanged" on raw bytes,
 * is kept in flat arrays by slot (one slot per socket), not in an object per
 * socket: the comparison of 100k records a tick then reads one 64-byte run
 * of words per record, in the order the records come, instead of chasing an
 * entry, its tuple array and the socket object through the heap. A slot's
 * words (SLOT_WORDS):
 *   0 inode, 1 flags (state | timer kind << 8 | retransmits << 16 | IPv6 << 24 | UDP << 25),
 *   2 rqueue, 3 wqueue, 4-5 cookie (idiag_cookie, low and high u32: constant
 *   for the life of a socket, unique among live ones), 6-15 the record's bytes
 *   4..43 as ten u32 words: ports, source and destination addresses (four
 *   words each) and interface, compared whole (a socket is unchanged only if
 *   its full tuple is).
 * Beside them: the socket object handed out for the slot, and which read saw
 * it last (slots not seen in the latest read are freed).
 */
const SLOT_WORDS = 16;
const W_INODE = 0;
const W_FLAGS = 1;
const W_RQ = 2;
const W_WQ = 3;
const W_COOKIE_LO = 4;
const W_COOKIE_HI = 5;
const W_TUPLE = 6;

/** Offset of the tuple in inet_diag_msg, and its length in u32 words (sport..idiag_if). */
const TUPLE_AT = 4;
const TUPLE_WORDS = 10;

/**
 * FNV-1a over family, protocol and the whole tuple: the bucket of a socket
 * without an inode. Only a bucket: entries in it are told apart by comparing
 * the full tuple and the cookie, so a collision costs a comparison, never a
 * socket. Exported for the tests, which construct collisions.
 */
export function tupleHash(dv: DataView, p: number, family: number, protocol: Protocol): number {
  let h = 0x811c9dc5 ^ family ^ (protocol === 'tcp' ? 0 : 0x100);
  for (let i = 0; i < TUPLE_WORDS; i++) h = Math.imul(h ^ dv.getUint32(p + TUPLE_AT + 4 * i, true), 16777619);
  return h >>> 0;
}

export interface LiveTableOptions {
  protocols: readonly Protocol[];
  families: readonly Family[];
  /** Kernel state bitmask (1 << state); all by default. */
  states?: number;
  ports?: readonly number[];
  /** Read the traffic counters of each record (TCP tcp_info bytes, UDP drops): see {@link TrafficCounters}. */
  counters?: boolean;
}

/**
 * Numbers read with each record for traffic rates, index for index beside
 * `sockets` (records the table did not read itself, e.g. from /proc, have
 * none: the arrays may be shorter). NaN where the kernel sent nothing (a
 * listener, a request socket, TIME_WAIT: no tcp_info; TCP: no drops).
 */
export interface TrafficCounters {
  /** tcpi_bytes_acked: bytes this side sent that the peer acknowledged (Linux 4.1+). */
  acked: number[];
  /** tcpi_bytes_received: bytes received in order (Linux 4.1+). */
  received: number[];
  /** UDP: packets dropped for a full receive buffer (sk_meminfo SK_MEMINFO_DROPS). */
  drops: number[];
  /** The kernel's cookie as one number (high * 2^32 + low): the same socket from tick to tick, whatever its inode. */
  cookie: number[];
  /** TCP sockets the kernel destroyed since the previous read, with their final counters (destroy-events.ts). */
  closed?: ClosedRecord[];
  /** Why destroyed sockets are not heard (then `closed` is absent): watch counts by polling alone. */
  closedFailed?: string;
  /** Destroyed sockets missed since the start (a full queue, ENOBUFS). */
  closedLost?: number;
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
  /** With `counters`: the traffic counters of `sockets`, index for index. */
  counters?: TrafficCounters;
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

/**
 * What the table needs of a netlink channel (tests hand it recorded replies).
 * `compatTcp`: the channel talks to a kernel, which answers the old
 * TCPDIAG_GETSOCK request (both TCP families in one walk); a channel without
 * it is asked one family at a time.
 */
export type LiveChannel = Pick<SockDiagChannel, 'request' | 'close'> & { readonly compatTcp?: boolean };

/**
 * Our namespace's channel: through the native addon when it is built (whole
 * replies read on a worker thread into one reused buffer), else the npm
 * `netlink` socket with 32 KiB reads.
 */
export function openLiveChannel(): LiveChannel {
  if (diagNative()) return NativeDiagChannel.open();
  return new SockDiagChannel({ bulk: true });
}

/** Reads the table over one long-lived netlink channel, reusing unchanged records. */
export class LiveSockDiag {
  private channel: LiveChannel | undefined;
  /** Slot of each socket with an inode, by inode. */
  private seen = new Map<number, number>();
  /**
   * Sockets without an inode (TIME_WAIT, not yet accepted), by tupleHash: one
   * slot, or several when hashes collide (or one tuple is briefly held by two
   * sockets, a TIME_WAIT and its successor). Identity is full tuple + cookie.
   */
  private seenNoInode = new Map<number, number | number[]>();
  /** The slots (see SLOT_WORDS), the socket object of each, the read that saw each last. */
  private words = new Uint32Array(1024 * SLOT_WORDS);
  private socks: (RawSocket | undefined)[] = [];
  private gens = new Uint32Array(1024);
  private freeSlots: number[] = [];
  private slotCount = 0;
  /**
   * The slot whose record came next after each slot's in the last read (and
   * the first one's): reads list the sockets mostly in the same order, so a
   * record's slot is guessed from the one before it, checked by inode, before
   * the map is asked. A socket that came or went costs a guess or two, not
   * the rest of the read.
   */
  private succ = new Int32Array(1024).fill(-1);
  private firstSlot = -1;
  private lastSlot = -1;
  private gen = 0;
  /** First record of every dump is decoded here, marked so the caller can tell it is new. */
  static readonly FRESH: Socket['holders'] = NO_HOLDERS;

  /** Heard while counters are read: the sockets destroyed between two reads, with their last counters. */
  private destroyed: DestroyListener | undefined;

  constructor(private readonly openChannel: () => LiveChannel = openLiveChannel,
    /** null: never listen (tests that hand recorded replies). */
    private readonly openDestroyed: (() => DestroyListener) | null = () => new DestroyListener()) {}

  /** The kernel's cookie of the socket with this inode, as of the latest read. */
  cookieOf(inode: number): [number, number] | undefined {
    const slot = this.seen.get(inode);
    return slot === undefined ? undefined : this.cookieAt(slot);
  }

  /** The kernel's cookie of a socket of the latest read, with or without an inode (a search for the latter: for one action, not per row). */
  cookieOfSocket(s: RawSocket): [number, number] | undefined {
    if (s.inode !== 0) {
      const slot = this.seen.get(s.inode);
      return slot !== undefined && this.socks[slot] === s ? this.cookieAt(slot) : undefined;
    }
    // The object itself, or a copy of it (the collector attaches reasons to copies).
    const same = (x: RawSocket): boolean => x === s || (x.protocol === s.protocol && x.family === s.family && x.state === s.state &&
      x.localPort === s.localPort && x.remotePort === s.remotePort && x.localAddress === s.localAddress && x.remoteAddress === s.remoteAddress);
    for (const v of this.seenNoInode.values()) {
      for (const slot of Array.isArray(v) ? v : [v]) if (same(this.socks[slot]!)) return this.cookieAt(slot);
    }
    return undefined;
  }

  private cookieAt(slot: number): [number, number] {
    const w = slot * SLOT_WORDS;
    return [this.words[w + W_COOKIE_LO]!, this.words[w + W_COOKIE_HI]!];
  }

  /** Put `next` in place of `prev` (same socket, holders attached) so the next read hands it back. */
  replace(prev: RawSocket, next: RawSocket): void {
    const c = COOKIES.get(prev);
    if (c) COOKIES.set(next, c);
    const slot = prev.inode !== 0 ? this.seen.get(prev.inode) : undefined;
    if (slot !== undefined && this.socks[slot] === prev) this.socks[slot] = next;
  }

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.slotCount++;
    if (slot >= this.gens.length) {
      const words = new Uint32Array(this.words.length * 2);
      words.set(this.words);
      this.words = words;
      const gens = new Uint32Array(this.gens.length * 2);
      gens.set(this.gens);
      this.gens = gens;
      const succ = new Int32Array(this.succ.length * 2).fill(-1);
      succ.set(this.succ);
      this.succ = succ;
    }
    return slot;
  }

  private freeSlot(slot: number): void {
    this.socks[slot] = undefined;
    // No inode: a stale guess (succ) can never match it.
    this.words[slot * SLOT_WORDS + W_INODE] = 0;
    this.gens[slot] = 0;
    this.freeSlots.push(slot);
  }

  async read(opts: LiveTableOptions): Promise<LiveTableRead> {
    this.channel ??= this.openChannel();
    const gen = ++this.gen;
    this.lastSlot = -1;
    const out: RawSocket[] = [];
    const issues: ScanIssue[] = [];
    const refused: LiveTableRead['refused'] = [];
    const counters: TrafficCounters | undefined = opts.counters ? { acked: [], received: [], drops: [], cookie: [] } : undefined;
    // Listening before the dump, so a socket destroyed meanwhile is heard. Not while counters are not wanted.
    if (counters && this.openDestroyed) this.destroyed ??= this.openDestroyed();
    else if (!counters && this.destroyed) { this.destroyed.close(); this.destroyed = undefined; }
    let decoded = 0;
    try {
      for (const protocol of opts.protocols) {
        let families = opts.families;
        if (protocol === 'tcp' && families.includes('ipv4') && families.includes('ipv6') && this.channel.compatTcp && !this.compatRefused) {
          const r = await this.dumpCompat(opts, gen, out, counters);
          if (r >= 0) {
            decoded += r;
            families = [];
          }
        }
        for (const family of families) {
          const seq = (seqCounter = (seqCounter + 1) >>> 0);
          const req = encodeDumpRequest({
            family: family === 'ipv4' ? AF_INET : AF_INET6,
            protocol: protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP,
            states: opts.states, ports: opts.ports, seq, memory: counters !== undefined && protocol === 'udp',
          });
          // Counters of TCP: tcp_info alone (idiag_ext bit INET_DIAG_INFO), without the congestion name list -i asks for too.
          if (counters && protocol === 'tcp') req[HDR + 2] = req[HDR + 2]! | (1 << (INET_DIAG_INFO - 1));
          let errno: number | undefined;
          await this.channel.request(req, (chunk) => {
            const r = this.chunk(chunk, protocol, seq, gen, out, counters);
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
    // (forEach: a for-of over the map's entries would make a pair per socket, 100k a tick.)
    const gone: number[] = [];
    const gens = this.gens;
    this.seen.forEach((slot, inode) => {
      if (gens[slot] === gen) return;
      this.seen.delete(inode);
      this.freeSlot(slot);
      gone.push(inode);
    });
    this.seenNoInode.forEach((v, k) => {
      if (!Array.isArray(v)) {
        if (gens[v] !== gen) {
          this.seenNoInode.delete(k);
          this.freeSlot(v);
        }
        return;
      }
      const kept: number[] = [];
      for (const slot of v) {
        if (gens[slot] === gen) kept.push(slot);
        else this.freeSlot(slot);
      }
      if (kept.length === 0) this.seenNoInode.delete(k);
      else this.seenNoInode.set(k, kept.length === 1 ? kept[0]! : kept);
    });
    if (counters && this.destroyed) {
      if (this.destroyed.failed === undefined) counters.closed = this.destroyed.drain();
      else counters.closedFailed = this.destroyed.failed;
      counters.closedLost = this.destroyed.lost;
    }
    return { sockets: out, issues, refused, decoded, gone, counters };
  }

  close(): void {
    this.channel?.close();
    this.channel = undefined;
    this.destroyed?.close();
    this.destroyed = undefined;
  }

  /** The kernel refused the compat request once: not asked again. */
  private compatRefused = false;

  /**
   * TCP of both families in one dump: the old TCPDIAG_GETSOCK request, which
   * the kernel answers with AF_UNSPEC (net/ipv4/inet_diag.c,
   * inet_diag_dump_compat), one walk of the TCP hash instead of two (on 100k
   * IPv4 sockets, the IPv6 walk alone cost 14 ms of kernel time a tick). The
   * records come in hash order, both families mixed: the IPv6 ones are put
   * after the IPv4 ones, each family in its own order, so the read lists
   * exactly what the two v2 dumps would. Returns the records decoded, or -1
   * when the kernel refused the request (then the v2 dumps are made).
   */
  private async dumpCompat(opts: LiveTableOptions, gen: number, out: RawSocket[], counters: TrafficCounters | undefined): Promise<number> {
    const seq = (seqCounter = (seqCounter + 1) >>> 0);
    const v2 = encodeDumpRequest({ family: AF_INET, protocol: IPPROTO_TCP, states: opts.states, ports: opts.ports, seq });
    if (counters) v2[HDR + 2] = v2[HDR + 2]! | (1 << (INET_DIAG_INFO - 1));
    const v6: RawSocket[] = [];
    const counters6: TrafficCounters | undefined = counters ? { acked: [], received: [], drops: [], cookie: [] } : undefined;
    const mark = out.length;
    let errno: number | undefined;
    let decoded = 0;
    await this.channel!.request(compatRequest(v2), (chunk) => {
      const r = this.chunk(chunk, 'tcp', seq, gen, out, counters, v6, counters6);
      decoded += r.decoded;
      if (r.errno !== undefined) errno = r.errno;
      return r.done;
    });
    if (errno !== undefined && out.length === mark && v6.length === 0) {
      this.compatRefused = true;
      return -1;
    }
    for (const s of v6) out.push(s);
    if (counters && counters6) {
      for (const k of ['acked', 'received', 'drops', 'cookie'] as const) for (const x of counters6[k]) counters[k].push(x);
    }
    return decoded;
  }

  /**
   * One reply datagram (or several). With `v6`, a compat reply: its IPv6
   * records (and their counters) go there, the IPv4 ones to `out`.
   */
  private chunk(buf: Buffer, protocol: Protocol, seq: number, gen: number, out: RawSocket[], counters?: TrafficCounters,
    v6?: RawSocket[], counters6?: TrafficCounters): { done: boolean; errno?: number; decoded: number } {
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
        } else if ((type === SOCK_DIAG_BY_FAMILY || (v6 && type === TCPDIAG_GETSOCK)) && len >= HDR + MSG) {
          const r = this.record(buf, dv, off + HDR, protocol, gen);
          if (r) {
            const second = v6 !== undefined && buf[off + HDR] === AF_INET6;
            (second ? v6 : out).push(r);
            if (this.fresh) decoded++;
            const c = second ? counters6 : counters;
            if (c) readCounters(dv, off + HDR, off + len, c);
          }
        }
      }
      off += (len + 3) & ~3;
    }
    return { done, errno, decoded };
  }

  /** Whether the last record() decoded afresh (a field, not a returned pair: no allocation per record). */
  private fresh = false;

  /** Whether the slot holds exactly this tuple (record at `p`). */
  private sameTuple(slot: number, dv: DataView, p: number): boolean {
    const w = this.words;
    const at = slot * SLOT_WORDS + W_TUPLE;
    for (let i = 0; i < TUPLE_WORDS; i++) if (w[at + i] !== dv.getUint32(p + TUPLE_AT + 4 * i, true)) return false;
    return true;
  }

  private sameCookie(slot: number, lo: number, hi: number): boolean {
    const at = slot * SLOT_WORDS;
    return this.words[at + W_COOKIE_LO] === lo && this.words[at + W_COOKIE_HI] === hi;
  }

  private record(buf: Buffer, dv: DataView, p: number, protocol: Protocol, gen: number): RawSocket | undefined {
    const family = buf[p]!;
    if (family !== AF_INET && family !== AF_INET6) return undefined;
    const kstate = buf[p + 1]!;
    // Protocol and family are in the flags too: a slot matches only a record of its own table.
    const flags = (kstate | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (family === AF_INET6 ? 1 << 24 : 0) | (protocol === 'udp' ? 1 << 25 : 0)) >>> 0;
    const rq = dv.getUint32(p + 56, true);
    const wq = dv.getUint32(p + 60, true);
    const inode = dv.getUint32(p + 68, true);
    const cookieLo = dv.getUint32(p + 44, true);
    const cookieHi = dv.getUint32(p + 48, true);
    const w = this.words;
    let h = 0;
    let prev = -1;
    if (inode !== 0) {
      // The slot after the previous record's, as in the last read; else the map.
      const guess = this.lastSlot >= 0 ? this.succ[this.lastSlot]! : this.firstSlot;
      if (guess >= 0 && w[guess * SLOT_WORDS + W_INODE] === inode && this.socks[guess] !== undefined) prev = guess;
      else prev = this.seen.get(inode) ?? -1;
    } else {
      // Without an inode the identity is the full tuple and the cookie.
      h = tupleHash(dv, p, family, protocol);
      const v = this.seenNoInode.get(h);
      if (v !== undefined) {
        if (!Array.isArray(v)) prev = this.sameCookie(v, cookieLo, cookieHi) && this.sameTuple(v, dv, p) ? v : -1;
        else prev = v.find((e) => this.sameCookie(e, cookieLo, cookieHi) && this.sameTuple(e, dv, p)) ?? -1;
      }
    }
    // The same socket (inode or tuple, and cookie) already in this read: the
    // dump, which is not atomic, listed it twice (a bucket changed under it).
    if (prev >= 0 && this.gens[prev] === gen && this.sameCookie(prev, cookieLo, cookieHi) && (inode !== 0 || this.sameTuple(prev, dv, p))) {
      this.fresh = false;
      return undefined;
    }
    if (prev >= 0) {
      const at = prev * SLOT_WORDS;
      if (this.gens[prev] !== gen && w[at + W_FLAGS] === flags && w[at + W_RQ] === rq && w[at + W_WQ] === wq &&
        w[at + W_COOKIE_LO] === cookieLo && w[at + W_COOKIE_HI] === cookieHi && this.sameTuple(prev, dv, p)) {
        this.gens[prev] = gen;
        this.follow(prev);
        this.fresh = false;
        return this.socks[prev];
      }
    }
    // No attributes were asked for: the record ends with the fixed message.
    const sock = decodeRecord(buf, dv, p, p + 72, protocol);
    if (!sock) return undefined;
    // This socket's slot (prev: the same inode, or the same tuple and cookie), or a new one.
    const slot = prev >= 0 ? prev : this.allocSlot();
    const at = slot * SLOT_WORDS;
    const words = this.words;
    words[at + W_INODE] = inode;
    words[at + W_FLAGS] = flags;
    words[at + W_RQ] = rq;
    words[at + W_WQ] = wq;
    words[at + W_COOKIE_LO] = cookieLo;
    words[at + W_COOKIE_HI] = cookieHi;
    for (let i = 0; i < TUPLE_WORDS; i++) words[at + W_TUPLE + i] = dv.getUint32(p + TUPLE_AT + 4 * i, true);
    this.socks[slot] = sock;
    this.gens[slot] = gen;
    this.follow(slot);
    COOKIES.set(sock, [cookieLo, cookieHi]);
    if (inode !== 0) {
      this.seen.set(inode, slot);
    } else if (prev < 0) {
      // A slot beside the others in the bucket (prev's slot was reused in place).
      const v = this.seenNoInode.get(h);
      if (v === undefined) this.seenNoInode.set(h, slot);
      else if (!Array.isArray(v)) this.seenNoInode.set(h, [v, slot]);
      else v.push(slot);
    }
    this.fresh = true;
    return sock;
  }

  /** `slot` came after the previous record's: the next read guesses so. */
  private follow(slot: number): void {
    if (this.lastSlot >= 0) this.succ[this.lastSlot] = slot;
    else this.firstSlot = slot;
    this.lastSlot = slot;
  }
}

/** sk_meminfo's SK_MEMINFO_DROPS is the ninth u32 of INET_DIAG_SKMEMINFO. */
const DROPS_AT = 4 + 32;

/**
 * The traffic counters of one record (inet_diag_msg at `p`, attributes up to
 * `end`) appended to `c`: tcp_info's bytes_acked (offset 120) and
 * bytes_received (128), each a u64 the kernel sends from Linux 4.1 on (a
 * shorter struct leaves them NaN), and SKMEMINFO's drops.
 */
export function readCounters(dv: DataView, p: number, end: number, c: TrafficCounters): void {
  let acked = NaN;
  let received = NaN;
  let drops = NaN;
  let a = p + MSG;
  while (a + 4 <= end) {
    const alen = dv.getUint16(a, true);
    if (alen < 4 || a + alen > end) break;
    const type = dv.getUint16(a + 2, true) & 0x3fff;
    if (type === INET_DIAG_INFO && alen >= 4 + 136) {
      // Two u32 halves: exact below 2^53, which no connection's byte count reaches.
      acked = dv.getUint32(a + 4 + 120, true) + dv.getUint32(a + 4 + 124, true) * 4294967296;
      received = dv.getUint32(a + 4 + 128, true) + dv.getUint32(a + 4 + 132, true) * 4294967296;
    } else if (type === INET_DIAG_SKMEMINFO && alen >= DROPS_AT + 4) {
      drops = dv.getUint32(a + DROPS_AT, true);
    }
    a += (alen + 3) & ~3;
  }
  c.acked.push(acked);
  c.received.push(received);
  c.drops.push(drops);
  c.cookie.push(dv.getUint32(p + 48, true) * 4294967296 + dv.getUint32(p + 44, true));
}

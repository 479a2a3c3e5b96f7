// Traffic without packet capture: the kernel counts, for every TCP
// connection, the bytes the peer acknowledged (tcpi_bytes_acked) and the
// bytes received in order (tcpi_bytes_received). Two looks a second apart
// give a rate per connection; summed over the sockets a process (container,
// systemd unit) holds, a rate per process, as nethogs and bandwhich show by
// capturing packets. Pure: counters and snapshots in, rates out.
//
// Closing connections (docs/json.md, "Traffic"): polling alone misses the
// bytes a connection moved after its last look, and a connection that opened
// and closed between two looks entirely. The kernel tells both: sock_diag
// broadcasts every destroyed TCP socket with its final tcp_info (what `ss -E`
// prints; destroy-events.ts). With those (any user may listen), a closed
// connection is counted to its last byte, in the interval it closed, on the
// processes that held it at its last look; one never seen is counted in the
// totals with no process (the kernel's message names none). Without them,
// a closed connection counts up to its last look and `atClose` says why.
//  - UDP: the kernel keeps no byte counters per UDP socket. What exists is
//    its queues and the datagrams dropped for a full receive buffer.
//  - The SYN and FIN of a connection count as one byte each in the kernel's
//    counters (acknowledged on the side that sent them, received on the
//    other). For a connection opened while we watch, the SYN's byte is taken
//    off the client side (a socket whose local port has no listener); a FIN
//    is left in (an aborted connection has none, and the counters do not
//    tell): the final totals of a closed connection may be one byte over,
//    each way.
import type { TrafficCounters } from './collectors/sockdiag/live-table.js';
import { tupleKey } from './model/diff.js';
import type { ContainerRef, Socket } from './model/socket.js';

/** One socket's traffic: rates over the last interval (bytes/s) and bytes since the watch began. */
export interface SocketTraffic {
  socket: Socket;
  sendRate: number;
  recvRate: number;
  /** Since the first look (or since the socket opened, when it opened later). */
  sent: number;
  received: number;
  /** UDP: datagrams dropped for a full receive buffer since the first look (the kernel keeps no byte counts for UDP). */
  drops?: number;
  /** UDP: of those, dropped since the previous look. */
  dropsNow?: number;
  /**
   * The kernel destroyed it during this interval: its rates include the bytes up to
   * its end, its totals are final. A connection never seen by a look has no holders.
   */
  closed?: boolean;
}

/** Rates and totals of what one process, container or unit holds. */
export interface TrafficSum {
  sendRate: number;
  recvRate: number;
  sent: number;
  received: number;
  /** Sockets it holds that carry counters (TCP connections). */
  sockets: number;
}

export interface ProcessTraffic extends TrafficSum {
  pid: number;
  name: string;
  user?: string;
  container?: ContainerRef;
  unit?: string;
}

export interface GroupTraffic extends TrafficSum {
  kind: 'container' | 'unit';
  /** Container: runtime:id; unit: its name. */
  id: string;
  name?: string;
  pids: number[];
}

export interface TrafficUpdate {
  /** Time between the two looks the rates are over (ms); 0 on the first look with counters (no rates yet). */
  intervalMs: number;
  /** Every socket that moved a byte (or dropped a datagram) since the first look, busiest first. */
  sockets: SocketTraffic[];
  /** Every process holding such a socket, busiest first. A socket shared by several processes counts in each. */
  processes: ProcessTraffic[];
  /** Containers and systemd units, when the holders name them. */
  groups: GroupTraffic[];
  /** Every socket counted once; `closed*` are the bytes of connections that closed since the first look (up to their last look). */
  totals: { sendRate: number; recvRate: number; sent: number; received: number; closedSent: number; closedReceived: number; closed: number };
  /** TCP connections whose tcp_info has no byte counters (a kernel older than 4.1): not counted. */
  uncounted: number;
  /**
   * Whether the kernel's destroy events are heard (counters from the live table only):
   * `heard` false with the reason (a kernel without the destroy groups, before 4.5); `lost` destroyed sockets missed since the start.
   */
  atClose?: { heard: boolean; reason?: string; lost: number };
}

interface Entry {
  acked: number;
  received: number;
  drops: number;
  /** Counters at the first look (or 0 for a socket opened later): totals are since then. */
  baseAcked: number;
  baseReceived: number;
  baseDrops: number;
  gen: number;
  /** The socket as last seen (its holders get its bytes when it closes). */
  socket: Socket;
  /** Its entry in this look's list, if any. */
  out: SocketTraffic | undefined;
}

const rank = (a: { sendRate: number; recvRate: number; sent: number; received: number }, b: typeof a): number =>
  b.sendRate + b.recvRate - (a.sendRate + a.recvRate) || b.sent + b.received - (a.sent + a.received);

/** Follows counters from look to look. Forget it (or call reset) when counters stop coming: the next look starts afresh. */
export class TrafficTracker {
  private entries = new Map<number | string, Entry>();
  private gen = 0;
  private lastAt: number | undefined;
  private closedSent = 0;
  private closedReceived = 0;
  private closed = 0;
  /** Bytes of closed connections per process that held them (so a process's totals keep them). */
  private closedByPid = new Map<number, { name: string; sent: number; received: number }>();

  reset(): void {
    this.entries.clear();
    this.lastAt = undefined;
    this.closedSent = this.closedReceived = this.closed = 0;
    this.closedByPid.clear();
  }

  /**
   * One look: `sockets` as kept (after any filter), `at` the time of the look,
   * and the counters either beside `all` (index for index, from the live
   * table; `index` maps a kept socket to its index there) or, without them,
   * read from each socket's own `tcp` (a source that decodes tcp_info whole).
   */
  update(at: number, sockets: readonly Socket[], counters?: { c: TrafficCounters; all: readonly Socket[] }, keep?: (s: Socket) => boolean): TrafficUpdate {
    const first = this.lastAt === undefined;
    const intervalMs = first ? 0 : Math.max(1, at - this.lastAt!);
    this.lastAt = at;
    const gen = ++this.gen;
    const out: SocketTraffic[] = [];
    let uncounted = 0;
    let listenPorts: Set<number> | undefined;
    const kept = counters && counters.all !== sockets ? new Set(sockets) : undefined;
    const list = counters ? counters.all : sockets;
    const n = counters ? Math.min(list.length, counters.c.acked.length) : list.length;
    for (let i = 0; i < n; i++) {
      const s = list[i]!;
      if (kept && !kept.has(s)) continue;
      let acked: number;
      let received: number;
      let drops: number;
      let key: number | string;
      if (counters) {
        acked = counters.c.acked[i]!;
        received = counters.c.received[i]!;
        drops = counters.c.drops[i]!;
        key = counters.c.cookie[i]!;
      } else {
        acked = s.tcp?.bytesAcked ?? NaN;
        received = s.tcp?.bytesReceived ?? NaN;
        drops = s.protocol === 'udp' && s.memory ? s.memory.drops : NaN;
        key = tupleKey(s);
      }
      const tcp = acked === acked;
      if (!tcp && drops !== drops) {
        if (s.protocol === 'tcp' && s.state !== 'LISTEN' && s.state !== 'TIME_WAIT' && s.state !== 'SYN_RECV' && (counters || s.tcp)) uncounted++;
        continue;
      }
      let e = this.entries.get(key);
      let dAcked = 0;
      let dReceived = 0;
      let dDrops = 0;
      if (!e) {
        // Seen at the first look: counted from here. Opened since: counted whole, less the
        // SYN's byte on the side that sent it (no listener on its local port).
        let base = 0;
        if (!first && tcp && acked > 0) {
          listenPorts ??= new Set(list.filter((x) => x.protocol === 'tcp' && x.state === 'LISTEN').map((x) => x.localPort));
          if (!listenPorts.has(s.localPort)) base = 1;
        }
        e = first
          ? { acked, received, drops, baseAcked: acked, baseReceived: received, baseDrops: drops, gen, socket: s, out: undefined }
          : { acked, received, drops, baseAcked: tcp ? base : NaN, baseReceived: tcp ? 0 : NaN, baseDrops: drops === drops ? 0 : NaN, gen, socket: s, out: undefined };
        this.entries.set(key, e);
        if (!first && tcp) { dAcked = Math.max(0, acked - base); dReceived = received; }
        if (!first && drops === drops) dDrops = drops;
      } else {
        // Counters never go back; a lower one is another socket under a reused key (fallback keys only).
        dAcked = acked >= e.acked ? acked - e.acked : acked;
        dReceived = received >= e.received ? received - e.received : received;
        if (drops === drops && e.drops === e.drops) dDrops = Math.max(0, drops - e.drops);
        e.acked = acked;
        e.received = received;
        e.drops = drops;
        e.gen = gen;
        e.socket = s;
      }
      e.out = undefined;
      const sent = tcp ? Math.max(0, acked - e.baseAcked) : 0;
      const got = tcp ? Math.max(0, received - e.baseReceived) : 0;
      const dropped = drops === drops ? Math.max(0, drops - (e.baseDrops === e.baseDrops ? e.baseDrops : 0)) : undefined;
      if (sent + got === 0 && !dropped) continue;
      const t: SocketTraffic = {
        socket: s, sent, received: got,
        sendRate: first || !tcp ? 0 : (dAcked * 1000) / intervalMs,
        recvRate: first || !tcp ? 0 : (dReceived * 1000) / intervalMs,
      };
      if (dropped !== undefined) { t.drops = dropped; t.dropsNow = dDrops; }
      out.push(t);
      e.out = t;
    }
    // Destroyed since the previous look (the kernel's broadcast, when heard): final counters.
    const destroyed = counters?.c.closed;
    if (destroyed && !first) {
      for (const d of destroyed) {
        if (d.acked !== d.acked) continue;
        const e = this.entries.get(d.cookie);
        if (e) {
          const dA = Math.max(0, d.acked - e.acked);
          const dR = Math.max(0, d.received - e.received);
          e.acked = Math.max(e.acked, d.acked);
          e.received = Math.max(e.received, d.received);
          // Its entry in this look's list: only if this look saw it (else `out` is an earlier look's).
          const cur = e.gen === gen ? e.out : undefined;
          // Gone: the sweep below moves its totals to the closed ones.
          e.gen = -1;
          const sent = Math.max(0, e.acked - e.baseAcked);
          const got = Math.max(0, e.received - e.baseReceived);
          if (cur) {
            cur.sendRate += (dA * 1000) / intervalMs;
            cur.recvRate += (dR * 1000) / intervalMs;
            cur.sent = sent;
            cur.received = got;
            cur.closed = true;
          } else if (sent + got > 0) {
            out.push({ socket: e.socket, sendRate: (dA * 1000) / intervalMs, recvRate: (dR * 1000) / intervalMs, sent, received: got, closed: true });
          }
          continue;
        }
        // A listener, or a socket that never connected: no traffic.
        if (d.socket.remotePort === 0) continue;
        // Opened and closed between two looks: every byte of it is this interval's (less the SYN on the side that sent it).
        const s: Socket = { ...d.socket, holders: [], unheldReason: 'unknown' };
        if (keep && !keep(s)) continue;
        listenPorts ??= new Set(list.filter((x) => x.protocol === 'tcp' && x.state === 'LISTEN').map((x) => x.localPort));
        const sent = Math.max(0, d.acked - (listenPorts.has(s.localPort) ? 0 : 1));
        const got = d.received === d.received ? d.received : 0;
        this.closed++;
        this.closedSent += sent;
        this.closedReceived += got;
        if (sent + got > 0) out.push({ socket: s, sendRate: (sent * 1000) / intervalMs, recvRate: (got * 1000) / intervalMs, sent, received: got, closed: true });
      }
    }
    // Sockets not seen in this look have closed (or left the filter): their bytes stay in the totals.
    // (forEach: a for-of over the entries would make a [key, value] pair per socket, 100k a look.)
    this.entries.forEach((e, k) => {
      if (e.gen === gen) return;
      this.entries.delete(k);
      if (e.acked === e.acked) {
        const sent = Math.max(0, e.acked - e.baseAcked);
        const got = Math.max(0, e.received - e.baseReceived);
        this.closedSent += sent;
        this.closedReceived += got;
        this.closed++;
        // Its processes keep its bytes in their totals (once each, however many fds).
        if (sent + got > 0) {
          const seen = new Set<number>();
          for (const h of e.socket.holders) {
            if (seen.has(h.pid)) continue;
            seen.add(h.pid);
            const p = this.closedByPid.get(h.pid) ?? { name: h.name ?? '?', sent: 0, received: 0 };
            p.sent += sent;
            p.received += got;
            this.closedByPid.set(h.pid, p);
          }
        }
      }
    });
    const up = summarize(out, intervalMs, uncounted, this.closedSent, this.closedReceived, this.closed, this.closedByPid);
    if (counters && (counters.c.closed || counters.c.closedFailed !== undefined)) {
      up.atClose = counters.c.closedFailed !== undefined
        ? { heard: false, reason: counters.c.closedFailed, lost: counters.c.closedLost ?? 0 }
        : { heard: true, lost: counters.c.closedLost ?? 0 };
    }
    return up;
  }
}

function summarize(sockets: SocketTraffic[], intervalMs: number, uncounted: number, closedSent: number, closedReceived: number, closed: number,
  closedByPid: ReadonlyMap<number, { name: string; sent: number; received: number }>): TrafficUpdate {
  const totals = { sendRate: 0, recvRate: 0, sent: closedSent, received: closedReceived, closedSent, closedReceived, closed };
  const procs = new Map<number, ProcessTraffic>();
  const groups = new Map<string, GroupTraffic>();
  // A closed socket's bytes are in the closed totals already (and in its processes' closedByPid): its rates only.
  const add = (x: TrafficSum, t: SocketTraffic): void => {
    x.sendRate += t.sendRate;
    x.recvRate += t.recvRate;
    if (!t.closed) {
      x.sent += t.sent;
      x.received += t.received;
      x.sockets++;
    }
  };
  for (const [pid, c] of closedByPid) {
    procs.set(pid, { pid, name: c.name, sendRate: 0, recvRate: 0, sent: c.sent, received: c.received, sockets: 0 });
  }
  for (const t of sockets) {
    totals.sendRate += t.sendRate;
    totals.recvRate += t.recvRate;
    if (!t.closed) {
      totals.sent += t.sent;
      totals.received += t.received;
    }
    // UDP sockets carry drops only: no bytes for a process to add up.
    if (t.socket.protocol !== 'tcp') continue;
    // Each process (container, unit) once per socket, however many fds it holds it by.
    const seen = new Set<number | string>();
    for (const h of t.socket.holders) {
      if (!seen.has(h.pid)) {
        seen.add(h.pid);
        let p = procs.get(h.pid);
        if (!p) {
          p = { pid: h.pid, name: h.name ?? '?', sendRate: 0, recvRate: 0, sent: 0, received: 0, sockets: 0 };
          procs.set(h.pid, p);
        }
        // A row made from closed bytes alone has no user, container or unit yet.
        if (p.user === undefined && h.user !== undefined) p.user = h.user;
        if (p.container === undefined && h.container) p.container = h.container;
        if (p.unit === undefined && h.unit !== undefined) p.unit = h.unit;
        add(p, t);
      }
      const keys: [GroupTraffic['kind'], string, string | undefined][] = [];
      if (h.container) keys.push(['container', `${h.container.runtime}:${h.container.id}`, h.container.name]);
      if (h.unit) keys.push(['unit', h.unit, undefined]);
      for (const [kind, id, name] of keys) {
        const k = `${kind} ${id}`;
        let g = groups.get(k);
        if (!g) {
          g = { kind, id, pids: [], sendRate: 0, recvRate: 0, sent: 0, received: 0, sockets: 0 };
          if (name !== undefined) g.name = name;
          groups.set(k, g);
        }
        if (!g.pids.includes(h.pid)) g.pids.push(h.pid);
        if (!seen.has(k)) { seen.add(k); add(g, t); }
      }
    }
  }
  sockets.sort(rank);
  return {
    intervalMs, sockets, processes: [...procs.values()].sort((a, b) => rank(a, b) || a.pid - b.pid),
    groups: [...groups.values()].sort(rank), totals, uncounted,
  };
}

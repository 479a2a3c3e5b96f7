// Traffic without packet capture: the kernel counts, for every TCP
// connection, the bytes the peer acknowledged (tcpi_bytes_acked) and the
// bytes received in order (tcpi_bytes_received). Two looks a second apart
// give a rate per connection; summed over the sockets a process (container,
// systemd unit) holds, a rate per process, as nethogs and bandwhich show by
// capturing packets. Pure: counters and snapshots in, rates out.
//
// What polling cannot see, said in docs/json.md ("Traffic"):
//  - bytes a connection moved after the last look before it closed (its
//    last counters are the ones kept), and a connection that opened and
//    closed between two looks (never seen at all). The kernel can tell both:
//    sock_diag broadcasts every destroyed TCP socket with its tcp_info to the
//    SKNLGRP_INET_TCP_DESTROY group (what `ss -E` prints), which needs
//    CAP_NET_ADMIN to join; sockscope does not listen to it yet.
//  - UDP: the kernel keeps no byte counters per UDP socket. What exists is
//    its queues and the datagrams dropped for a full receive buffer.
//  - The SYN (and FIN) of a connection count as one acknowledged byte each
//    on the side that sent them; for a connection opened while we watch, the
//    SYN's byte is taken off the client side (a socket whose local port has
//    no listener), so totals are the program's bytes.
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

  reset(): void {
    this.entries.clear();
    this.lastAt = undefined;
    this.closedSent = this.closedReceived = this.closed = 0;
  }

  /**
   * One look: `sockets` as kept (after any filter), `at` the time of the look,
   * and the counters either beside `all` (index for index, from the live
   * table; `index` maps a kept socket to its index there) or, without them,
   * read from each socket's own `tcp` (a source that decodes tcp_info whole).
   */
  update(at: number, sockets: readonly Socket[], counters?: { c: TrafficCounters; all: readonly Socket[] }): TrafficUpdate {
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
      if (!e) {
        // Seen at the first look: counted from here. Opened since: counted whole, less the
        // SYN's byte on the side that sent it (no listener on its local port).
        let base = 0;
        if (!first && tcp && acked > 0) {
          listenPorts ??= new Set(list.filter((x) => x.protocol === 'tcp' && x.state === 'LISTEN').map((x) => x.localPort));
          if (!listenPorts.has(s.localPort)) base = 1;
        }
        e = first
          ? { acked, received, drops, baseAcked: acked, baseReceived: received, baseDrops: drops, gen }
          : { acked, received, drops, baseAcked: tcp ? base : NaN, baseReceived: tcp ? 0 : NaN, baseDrops: drops === drops ? 0 : NaN, gen };
        this.entries.set(key, e);
        if (!first && tcp) { dAcked = Math.max(0, acked - base); dReceived = received; }
      } else {
        // Counters never go back; a lower one is another socket under a reused key (fallback keys only).
        dAcked = acked >= e.acked ? acked - e.acked : acked;
        dReceived = received >= e.received ? received - e.received : received;
        e.acked = acked;
        e.received = received;
        e.drops = drops;
        e.gen = gen;
      }
      const sent = tcp ? Math.max(0, acked - e.baseAcked) : 0;
      const got = tcp ? Math.max(0, received - e.baseReceived) : 0;
      const dropped = drops === drops ? Math.max(0, drops - (e.baseDrops === e.baseDrops ? e.baseDrops : 0)) : undefined;
      if (sent + got === 0 && !dropped) continue;
      const t: SocketTraffic = {
        socket: s, sent, received: got,
        sendRate: first || !tcp ? 0 : (dAcked * 1000) / intervalMs,
        recvRate: first || !tcp ? 0 : (dReceived * 1000) / intervalMs,
      };
      if (dropped !== undefined) t.drops = dropped;
      out.push(t);
    }
    // Sockets not seen in this look have closed (or left the filter): their bytes stay in the totals.
    for (const [k, e] of this.entries) {
      if (e.gen === gen) continue;
      this.entries.delete(k);
      if (e.acked === e.acked) {
        this.closedSent += Math.max(0, e.acked - e.baseAcked);
        this.closedReceived += Math.max(0, e.received - e.baseReceived);
        this.closed++;
      }
    }
    return summarize(out, intervalMs, uncounted, this.closedSent, this.closedReceived, this.closed);
  }
}

function summarize(sockets: SocketTraffic[], intervalMs: number, uncounted: number, closedSent: number, closedReceived: number, closed: number): TrafficUpdate {
  const totals = { sendRate: 0, recvRate: 0, sent: closedSent, received: closedReceived, closedSent, closedReceived, closed };
  const procs = new Map<number, ProcessTraffic>();
  const groups = new Map<string, GroupTraffic>();
  const add = (x: TrafficSum, t: SocketTraffic): void => {
    x.sendRate += t.sendRate;
    x.recvRate += t.recvRate;
    x.sent += t.sent;
    x.received += t.received;
    x.sockets++;
  };
  for (const t of sockets) {
    totals.sendRate += t.sendRate;
    totals.recvRate += t.recvRate;
    totals.sent += t.sent;
    totals.received += t.received;
    // Each process (container, unit) once per socket, however many fds it holds it by.
    const seen = new Set<number | string>();
    for (const h of t.socket.holders) {
      if (!seen.has(h.pid)) {
        seen.add(h.pid);
        let p = procs.get(h.pid);
        if (!p) {
          p = { pid: h.pid, name: h.name ?? '?', sendRate: 0, recvRate: 0, sent: 0, received: 0, sockets: 0 };
          if (h.user !== undefined) p.user = h.user;
          if (h.container) p.container = h.container;
          if (h.unit !== undefined) p.unit = h.unit;
          procs.set(h.pid, p);
        }
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

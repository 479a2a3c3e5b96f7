// Doctor's engine: samples of the machine in, findings out. Pure: no I/O, no
// clock; the samples (sample.ts, run.ts) and the host facts come in as
// arguments, so the same code judges `sockscope doctor`'s samples, the
// exporter's window of scrapes and a test's synthetic scene.
//
// Samples are oldest first. What a single look can show (a full accept queue,
// a listener's exposure, a process near its fd limit, a SYN the kernel already
// sent again) is judged on the last one; what needs time (growth, queues that
// do not drain, counters that rise) compares the first look with the last and
// is simply not produced from one look: skippedChecks() says so.
import { bindScope, isLoopback, type BindScope } from '../model/address.js';
import type { Socket } from '../model/socket.js';
import { portRisk, type HostFacts } from '../explain/ports.js';
import { FINDING_KINDS, SEVERITIES, type DoctorReport, type DoctorSample, type Finding, type FindingKind, type FindingProcess, type Severity, type Thresholds } from './types.js';
import { DEFAULT_THRESHOLDS, withDefaults } from './thresholds.js';

export { DEFAULT_THRESHOLDS } from './thresholds.js';

/** Sockets quoted per finding (socketCount says how many it covers). */
export const MAX_FINDING_SOCKETS = 5;
/** Processes named per finding. */
const MAX_FINDING_PROCESSES = 10;

type Skipped = DoctorReport['skipped'];

/**
 * The host facts diagnose() judges by: HostFacts, and optionally the ports
 * reserved from the ephemeral range (net.ipv4.ip_local_reserved_ports, see
 * sample.ts readReservedPorts): a listener on one of those is not at risk.
 */
export type DoctorHost = HostFacts & { reservedPorts?: [number, number][] };

/** The identity of a socket across looks: protocol, family, 4-tuple and inode. */
function socketKey(s: Socket): string {
  return `${s.protocol}|${s.family}|${s.localAddress}|${s.localPort}|${s.remoteAddress}|${s.remotePort}|${s.inode}`;
}

/** Who holds a socket, as a grouping key: its pids, or why none. */
function ownerKey(s: Socket): string {
  if (!s.holders.length) return `-${s.unheldReason ?? 'unknown'}`;
  if (s.holders.length === 1) return String(s.holders[0]!.pid);
  return [...new Set(s.holders.map((h) => h.pid))].sort((a, b) => a - b).join(',');
}

/** The distinct processes holding these sockets (bounded). */
function processesOf(sockets: readonly Socket[]): FindingProcess[] {
  const out = new Map<number, FindingProcess>();
  for (const s of sockets) {
    for (const h of s.holders) {
      if (out.has(h.pid)) continue;
      if (out.size >= MAX_FINDING_PROCESSES) return [...out.values()];
      const p: FindingProcess = { pid: h.pid };
      if (h.name !== undefined) p.name = h.name;
      if (h.command !== undefined) p.command = h.command;
      if (h.user !== undefined) p.user = h.user;
      out.set(h.pid, p);
    }
  }
  return [...out.values()];
}

const isTcpListener = (s: Socket): boolean => s.protocol === 'tcp' && s.state === 'LISTEN';

/** A counter's rise from the first look to the last; undefined when either look could not read it. */
function counterDelta(samples: readonly DoctorSample[], name: string): number | undefined {
  if (samples.length < 2) return undefined;
  const a = samples[0]!.counters.get(name);
  const b = samples[samples.length - 1]!.counters.get(name);
  // A counter that went down was reset (a new namespace): nothing can be said.
  return a === undefined || b === undefined || b < a ? undefined : b - a;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The side of a connection a finding groups it by: toward a local listening
 * port (a server's connections, whatever client they come from: a server with
 * ten thousand clients is one finding, not ten thousand) or toward a remote
 * endpoint (a client's connections: the peer address and port).
 */
function peerOf(s: Socket, listening: ReadonlySet<number>): { key: string; subject: Finding['subject'] } {
  if (listening.has(s.localPort)) {
    return { key: `in|${s.localAddress}|${s.localPort}`, subject: { protocol: s.protocol, localAddress: s.localAddress, localPort: s.localPort } };
  }
  return { key: `out|${s.remoteAddress}|${s.remotePort}`, subject: { protocol: s.protocol, remoteAddress: s.remoteAddress, remotePort: s.remotePort } };
}

function tcpListeningPorts(sockets: readonly Socket[]): Set<number> {
  const out = new Set<number>();
  for (const s of sockets) if (isTcpListener(s)) out.add(s.localPort);
  return out;
}

interface Group {
  subject: Finding['subject'];
  sockets: Socket[];
}

function addTo(groups: Map<string, Group>, key: string, subject: () => Finding['subject'], s: Socket): void {
  let g = groups.get(key);
  if (!g) groups.set(key, g = { subject: subject(), sockets: [] });
  g.sockets.push(s);
}

/**
 * A server-side group (subject with a local port, no remote address): how many
 * peer addresses it covers, and the peer itself when there is only one.
 */
function withPeers(subject: Finding['subject'], evidence: Finding['evidence'], sockets: readonly Socket[]): Finding['subject'] {
  if (subject.localPort === undefined || subject.remoteAddress !== undefined) return subject;
  const peers = new Set(sockets.map((s) => s.remoteAddress));
  evidence['peers'] = peers.size;
  return peers.size === 1 ? { ...subject, remoteAddress: sockets[0]!.remoteAddress } : subject;
}

function finding(kind: FindingKind, severity: Severity, subject: Finding['subject'], evidence: Finding['evidence'], sockets: readonly Socket[]): Finding {
  if (kind === 'close-wait' || kind === 'send-queue-stuck' || kind === 'recv-queue-stuck' || kind === 'retransmissions') subject = withPeers(subject, evidence, sockets);
  const processes = processesOf(sockets);
  return {
    kind, severity,
    subject: processes.length ? { ...subject, processes } : subject,
    evidence, sockets: sockets.slice(0, MAX_FINDING_SOCKETS), socketCount: sockets.length,
  };
}

// ------------------------------------------------------------------ listeners

/** A service: the listening sockets of one owner on one protocol and port (0.0.0.0 and :: together). */
interface Service {
  protocol: Socket['protocol'];
  port: number;
  addresses: string[];
  scope: BindScope;
  sockets: Socket[];
}

/**
 * The services of a look: TCP listeners, and UDP sockets bound but not
 * connected whose port is not an ephemeral one (a client's UDP socket, a DNS
 * query's, is bound that way too, to a port the kernel picked).
 */
function services(sockets: readonly Socket[], host: HostFacts): Service[] {
  const eph = host.ephemeral;
  const out = new Map<string, Service>();
  for (const s of sockets) {
    const udpService = s.protocol === 'udp' && s.state === 'UNCONN' && s.localPort !== 0 &&
      (eph ? s.localPort < eph[0] || s.localPort > eph[1] : s.localPort < 32768);
    if (!isTcpListener(s) && !udpService) continue;
    const key = `${ownerKey(s)}|${s.protocol}|${s.localPort}`;
    let g = out.get(key);
    if (!g) out.set(key, g = { protocol: s.protocol, port: s.localPort, addresses: [], scope: 'one-address', sockets: [] });
    if (!g.addresses.includes(s.localAddress)) g.addresses.push(s.localAddress);
    g.sockets.push(s);
  }
  for (const g of out.values()) {
    const v6 = g.sockets.find((s) => s.localAddress === '::' && s.v6only !== undefined)?.v6only;
    g.scope = bindScope(g.addresses, v6);
  }
  return [...out.values()];
}

const reachableFromOutside = (scope: BindScope): boolean => scope !== 'this-host-only';

function serviceSubject(g: Service): Finding['subject'] {
  return { protocol: g.protocol, localAddress: g.addresses.join(' '), localPort: g.port };
}

function acceptQueue(samples: readonly DoctorSample[], T: Thresholds, out: Finding[]): void {
  const last = samples[samples.length - 1]!;
  const seconds = round((last.at - samples[0]!.at) / 1000, 1);
  const overflows = counterDelta(samples, 'ListenOverflows');
  const drops = counterDelta(samples, 'ListenDrops');
  // The longest queue each listener had in any look (it may have drained just before the last).
  const maxQueue = new Map<string, number>();
  for (const sample of samples) {
    for (const s of sample.sockets) {
      if (!isTcpListener(s) || s.recvQ === 0) continue;
      const k = socketKey(s);
      maxQueue.set(k, Math.max(maxQueue.get(k) ?? 0, s.recvQ));
    }
  }
  const rising = overflows !== undefined && overflows >= T['listen-overflows']!;
  let anyFull = false;
  for (const s of last.sockets) {
    if (!isTcpListener(s) || s.backlog === undefined) continue;
    const most = maxQueue.get(socketKey(s)) ?? 0;
    // listen(fd, 0) still queues one connection: an empty queue is never full.
    if (most === 0 || most < T['accept-queue-ratio']! * s.backlog) continue;
    anyFull = true;
    const evidence: Finding['evidence'] = { queue: s.recvQ, maxQueue: most, backlog: s.backlog, 'accept-queue-ratio': T['accept-queue-ratio']!, seconds };
    if (overflows !== undefined) evidence['listenOverflows'] = overflows;
    if (drops !== undefined) evidence['listenDrops'] = drops;
    evidence['listen-overflows'] = T['listen-overflows']!;
    out.push(finding('accept-queue-full', rising ? 'critical' : 'warning',
      { protocol: 'tcp', localAddress: s.localAddress, localPort: s.localPort }, evidence, [s]));
  }
  // The kernel dropped connections at a listener, but no queue was seen full:
  // it filled and drained between looks. Which listener cannot be told.
  if (!anyFull && rising) {
    const evidence: Finding['evidence'] = { listenOverflows: overflows!, seconds, 'listen-overflows': T['listen-overflows']! };
    if (drops !== undefined) evidence['listenDrops'] = drops;
    out.push(finding('accept-queue-full', 'warning', {}, evidence, []));
  }
}

function listenerFindings(last: DoctorSample, host: DoctorHost, out: Finding[]): void {
  const eph = host.ephemeral;
  const reserved = (port: number): boolean => (host.reservedPorts ?? []).some(([lo, hi]) => port >= lo && port <= hi);
  for (const g of services(last.sockets, host)) {
    const subject = serviceSubject(g);
    const base = { port: g.port, scope: g.scope };
    // A port in ip_local_reserved_ports is never handed out: nothing can take it.
    if (eph && g.protocol === 'tcp' && g.port >= eph[0] && g.port <= eph[1] && !reserved(g.port)) {
      out.push(finding('listener-in-ephemeral-range', 'info', subject, { ...base, rangeLow: eph[0], rangeHigh: eph[1] }, g.sockets));
    }
    if (reachableFromOutside(g.scope)) out.push(finding('exposed', 'info', subject, { ...base, addresses: g.addresses.join(' ') }, g.sockets));
    const risk = portRisk(g.port, g.protocol);
    if (risk) {
      // A backdoor's port is suspect even on loopback; a risky service is a risk when others can reach it.
      const severity: Severity = risk.key === 'risk.backdoor' || reachableFromOutside(g.scope) ? 'warning' : 'info';
      const evidence: Finding['evidence'] = { ...base, risk: risk.key };
      for (const [k, v] of Object.entries(risk.params)) if (!(k in evidence)) evidence[k] = v;
      out.push(finding('risky-port', severity, subject, evidence, g.sockets));
    }
    if (host.unprivilegedStart !== undefined && g.port < host.unprivilegedStart) {
      out.push(finding('privileged-port', 'info', subject, { ...base, unprivilegedStart: host.unprivilegedStart }, g.sockets));
    }
  }
}

// ---------------------------------------------------------------- connections

function closeWait(samples: readonly DoctorSample[], T: Thresholds, out: Finding[]): void {
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const two = samples.length >= 2;
  const listening = tcpListeningPorts(last.sockets);
  const groupsOf = (sample: DoctorSample): Map<string, Group> => {
    const groups = new Map<string, Group>();
    for (const s of sample.sockets) {
      if (s.protocol !== 'tcp' || s.state !== 'CLOSE_WAIT') continue;
      const peer = peerOf(s, listening);
      addTo(groups, `${ownerKey(s)}|${peer.key}`, () => peer.subject, s);
    }
    return groups;
  };
  const now = groupsOf(last);
  const before = two ? groupsOf(first) : new Map<string, Group>();
  const seconds = round((last.at - first.at) / 1000, 1);
  for (const [key, g] of now) {
    const count = g.sockets.length;
    const then = before.get(key)?.sockets ?? [];
    const stillHere = new Set(g.sockets.map(socketKey));
    const persisting = then.filter((s) => stillHere.has(socketKey(s))).length;
    const growth = count - then.length;
    // Growing: every one seen at the start is still there, and more came (a leak keeps them all).
    const growing = two && then.length > 0 && persisting === then.length && growth >= T['close-wait-growth']!;
    let severity: Severity | undefined;
    if (count >= T['close-wait-critical']!) severity = 'critical';
    else if (count >= T['close-wait-count']! || growing) severity = 'warning';
    else if (two && persisting > 0) severity = 'info'; // left in CLOSE_WAIT for the whole check
    if (!severity) continue;
    const evidence: Finding['evidence'] = { closeWait: count };
    if (two) Object.assign(evidence, { atStart: then.length, growth, persisting, growing, seconds });
    Object.assign(evidence, { 'close-wait-count': T['close-wait-count']!, 'close-wait-growth': T['close-wait-growth']!, 'close-wait-critical': T['close-wait-critical']! });
    out.push(finding('close-wait', severity, g.subject, evidence, g.sockets));
  }
}

function ephemeralPorts(last: DoctorSample, host: HostFacts, T: Thresholds, out: Finding[]): void {
  const eph = host.ephemeral;
  if (!eph) return;
  const size = eph[1] - eph[0] + 1;
  const listening = tcpListeningPorts(last.sockets);
  const groups = new Map<string, Group>();
  for (const s of last.sockets) {
    if (s.localPort < eph[0] || s.localPort > eph[1] || s.remotePort === 0) continue;
    if (s.state === 'LISTEN' || s.state === 'UNCONN' || s.state === 'CLOSE') continue;
    // The server's side of a connection uses the listener's port, not a port of the range.
    if (s.protocol === 'tcp' && listening.has(s.localPort)) continue;
    addTo(groups, `${s.protocol}|${s.localAddress}|${s.remoteAddress}|${s.remotePort}`,
      () => ({ protocol: s.protocol, localAddress: s.localAddress, remoteAddress: s.remoteAddress, remotePort: s.remotePort }), s);
  }
  for (const g of groups.values()) {
    const n = g.sockets.length;
    const ratio = n / size;
    const severity: Severity | undefined = ratio >= T['ephemeral-critical-ratio']! ? 'critical' : ratio >= T['ephemeral-ratio']! ? 'warning' : undefined;
    if (!severity) continue;
    const timeWait = g.sockets.filter((s) => s.state === 'TIME_WAIT').length;
    out.push(finding('ephemeral-ports', severity, g.subject, {
      sockets: n, timeWait, rangeLow: eph[0], rangeHigh: eph[1], rangeSize: size, ratio: round(ratio),
      'ephemeral-ratio': T['ephemeral-ratio']!, 'ephemeral-critical-ratio': T['ephemeral-critical-ratio']!,
    }, g.sockets));
  }
}

/**
 * Queues that did not drain: present in every look from the first to the
 * last with at least `min` bytes, and in the last look not much below the
 * first. The send side also wants a sign that the peer is not taking data.
 */
function stuckQueues(samples: readonly DoctorSample[], T: Thresholds, out: Finding[], side: 'send' | 'recv'): void {
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  if (samples.length < 2 || last.at - first.at < T['queue-stuck-seconds']! * 1000) return;
  const min = T[side === 'send' ? 'send-queue-bytes' : 'recv-queue-bytes']!;
  const kind: FindingKind = side === 'send' ? 'send-queue-stuck' : 'recv-queue-stuck';
  const q = side === 'send' ? (s: Socket): number => s.sendQ : (s: Socket): number => s.recvQ;
  const eligible = (s: Socket): boolean => {
    if (s.state === 'LISTEN' || q(s) < min) return false;
    // A connection attempt's SYN counts in Send-Q (one byte): the syn-sent finding's case.
    if (s.state === 'SYN_SENT' || s.state === 'SYN_RECV') return false;
    // A connection still in its listener's accept queue is the accept-queue finding's.
    if (s.unheldReason === 'not-accepted') return false;
    // Send-Q of UDP is the datagrams being sent: it never stays. TCP only.
    return side === 'recv' || s.protocol === 'tcp';
  };
  // Each earlier look: the eligible sockets' queues by identity (only queued ones: a socket
  // absent there had drained, or was not yet open).
  const history: Map<string, number>[] = samples.slice(0, -1).map((sample) => {
    const m = new Map<string, number>();
    for (const s of sample.sockets) if (eligible(s)) m.set(socketKey(s), q(s));
    return m;
  });
  const listening = tcpListeningPorts(last.sockets);
  const groups = new Map<string, Group & { firstBytes: number; flat: boolean; signal: boolean }>();
  for (const s of last.sockets) {
    if (!eligible(s)) continue;
    const k = socketKey(s);
    let firstBytes = -1;
    let flat = true;
    let ok = true;
    for (const m of history) {
      const v = m.get(k);
      if (v === undefined) { ok = false; break; }
      if (firstBytes < 0) firstBytes = v;
      else if (v !== firstBytes) flat = false;
    }
    // Drained: it went down by more than queue-drain-ratio of where it started. (A queue
    // nobody reads still creeps a little as the kernel packs the receiver's buffer tighter.)
    if (!ok || q(s) < firstBytes * (1 - T['queue-drain-ratio']!)) continue;
    if (q(s) !== firstBytes) flat = false;
    // Send side: the peer announced a zero window (the kernel probes it), the
    // data is being retransmitted, or not one byte was acknowledged all along.
    // A bulk transfer at line rate keeps Send-Q up too, but its bytes move.
    const signal = side === 'recv' || flat || s.timer?.kind === 'zero-window-probe' || (s.timer?.kind === 'retransmit' && s.timer.retransmits > 0);
    if (!signal) continue;
    const peer = peerOf(s, listening);
    const key = `${ownerKey(s)}|${peer.key}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { subject: peer.subject, sockets: [], firstBytes: 0, flat: true, signal: false });
    g.sockets.push(s);
    g.firstBytes += firstBytes;
    g.flat &&= flat;
  }
  const seconds = round((last.at - first.at) / 1000, 1);
  for (const g of groups.values()) {
    const bytes = g.sockets.reduce((a, s) => a + q(s), 0);
    const evidence: Finding['evidence'] = side === 'send'
      ? { sendQ: bytes, sendQAtStart: g.firstBytes, unchanged: g.flat, seconds }
      : { recvQ: bytes, recvQAtStart: g.firstBytes, unchanged: g.flat, seconds };
    if (side === 'send') {
      const zw = g.sockets.filter((s) => s.timer?.kind === 'zero-window-probe').length;
      const rt = g.sockets.filter((s) => s.timer?.kind === 'retransmit' && s.timer.retransmits > 0).length;
      evidence['zeroWindow'] = zw;
      evidence['retransmitting'] = rt;
      evidence['send-queue-bytes'] = min;
    } else {
      evidence['recv-queue-bytes'] = min;
    }
    evidence['queue-stuck-seconds'] = T['queue-stuck-seconds']!;
    evidence['queue-drain-ratio'] = T['queue-drain-ratio']!;
    out.push(finding(kind, 'warning', g.subject, evidence, g.sockets));
  }
}

function synSent(samples: readonly DoctorSample[], T: Thresholds, out: Finding[]): void {
  const last = samples[samples.length - 1]!;
  // When each SYN_SENT socket was first seen.
  const since = new Map<string, number>();
  for (const sample of samples) {
    for (const s of sample.sockets) {
      if (s.protocol !== 'tcp' || s.state !== 'SYN_SENT') continue;
      const k = socketKey(s);
      if (!since.has(k)) since.set(k, sample.at);
    }
  }
  const groups = new Map<string, Group & { retransmits: number; seenMs: number }>();
  for (const s of last.sockets) {
    if (s.protocol !== 'tcp' || s.state !== 'SYN_SENT') continue;
    const seen = last.at - (since.get(socketKey(s)) ?? last.at);
    const rt = s.timer?.retransmits ?? 0;
    if (seen < T['syn-sent-seconds']! * 1000 && rt < T['syn-sent-retransmits']!) continue;
    const key = `${ownerKey(s)}|${s.remoteAddress}|${s.remotePort}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { subject: { protocol: 'tcp', remoteAddress: s.remoteAddress, remotePort: s.remotePort }, sockets: [], retransmits: 0, seenMs: 0 });
    g.sockets.push(s);
    g.retransmits = Math.max(g.retransmits, rt);
    g.seenMs = Math.max(g.seenMs, seen);
  }
  for (const g of groups.values()) {
    out.push(finding('syn-sent', 'warning', g.subject, {
      synSent: g.sockets.length, maxRetransmits: g.retransmits, seenSeconds: round(g.seenMs / 1000, 1),
      'syn-sent-seconds': T['syn-sent-seconds']!, 'syn-sent-retransmits': T['syn-sent-retransmits']!,
    }, g.sockets));
  }
}

function retransmissions(samples: readonly DoctorSample[], T: Thresholds, out: Finding[]): void {
  const last = samples[samples.length - 1]!;
  const listening = tcpListeningPorts(last.sockets);
  const groups = new Map<string, Group & { max: number }>();
  for (const s of last.sockets) {
    // SYN_SENT retransmits its SYN: the syn-sent finding says that.
    if (s.protocol !== 'tcp' || s.state === 'SYN_SENT' || s.timer?.kind !== 'retransmit' || s.timer.retransmits < T['retransmits']!) continue;
    const peer = peerOf(s, listening);
    const key = `${ownerKey(s)}|${peer.key}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { subject: peer.subject, sockets: [], max: 0 });
    g.sockets.push(s);
    g.max = Math.max(g.max, s.timer.retransmits);
  }
  for (const g of groups.values()) {
    out.push(finding('retransmissions', 'warning', g.subject, { retransmitting: g.sockets.length, maxRetransmits: g.max, retransmits: T['retransmits']! }, g.sockets));
  }
  // The host as a whole: the share of segments sent during the check that were
  // retransmissions. Linux counts OutSegs for new data and bare ACKs only
  // (__tcp_transmit_skb), so everything sent is OutSegs + RetransSegs.
  const retrans = counterDelta(samples, 'RetransSegs');
  const sent = counterDelta(samples, 'OutSegs');
  const total = retrans !== undefined && sent !== undefined ? retrans + sent : 0;
  if (total > 0 && retrans! >= T['retrans-segs']! && retrans! / total >= T['retrans-ratio']!) {
    out.push(finding('retransmissions', 'warning', {}, {
      retransSegs: retrans!, outSegs: sent!, ratio: round(retrans! / total, 4), seconds: round((last.at - samples[0]!.at) / 1000, 1),
      'retrans-segs': T['retrans-segs']!, 'retrans-ratio': T['retrans-ratio']!,
    }, []));
  }
}

function fdLimit(last: DoctorSample, T: Thresholds, out: Finding[]): void {
  if (!last.fds) return;
  for (const [pid, u] of last.fds) {
    if (!(u.limit > 0)) continue;
    const ratio = u.open / u.limit;
    const severity: Severity | undefined = ratio >= T['fd-critical-ratio']! ? 'critical' : ratio >= T['fd-ratio']! ? 'warning' : undefined;
    if (!severity) continue;
    const sockets = last.sockets.filter((s) => s.holders.some((h) => h.pid === pid));
    // Name, command and user as read with the fds, else as the socket scan saw them.
    const h = sockets[0]?.holders.find((x) => x.pid === pid);
    const p: FindingProcess = { pid };
    const name = u.name ?? h?.name;
    const command = u.command ?? h?.command;
    const user = u.user ?? h?.user;
    if (name !== undefined) p.name = name;
    if (command !== undefined) p.command = command;
    if (user !== undefined) p.user = user;
    out.push({
      kind: 'fd-limit', severity, subject: { processes: [p] },
      evidence: { open: u.open, limit: u.limit, ratio: round(ratio), 'fd-ratio': T['fd-ratio']!, 'fd-critical-ratio': T['fd-critical-ratio']! },
      sockets: sockets.slice(0, MAX_FINDING_SOCKETS), socketCount: sockets.length,
    });
  }
}

/**
 * What diagnose() reads of a sample that is neither the first nor the last:
 * the sockets with bytes queued (queues that never drained, a listener full at
 * some point) and those in SYN_SENT (pending since when). A caller keeping many
 * samples (a long check, the exporter's window) can keep only these of the
 * middle ones; the findings are the same.
 */
export function middleSockets(sockets: readonly Socket[]): Socket[] {
  return sockets.filter((s) => s.recvQ > 0 || s.sendQ > 0 || s.state === 'SYN_SENT');
}

const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Worst first, then in the order of FINDING_KINDS, then the biggest. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) ||
    FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) || b.socketCount - a.socketCount ||
    (a.subject.localPort ?? 0) - (b.subject.localPort ?? 0) || (a.subject.remotePort ?? 0) - (b.subject.remotePort ?? 0));
}

/**
 * Findings about these samples of one machine (oldest first), judged against
 * `thresholds` (defaults: DEFAULT_THRESHOLDS). Pure. Findings that need time
 * (growth, queues that do not drain, counters that rise) need two samples and
 * are not produced from one; {@link skippedChecks} says which checks could not run.
 *
 * @example
 *   const findings = diagnose([before, after], readHostFacts('/proc'), { 'close-wait-count': 50 });
 */
export function diagnose(samples: DoctorSample[], host: DoctorHost, thresholds: Partial<Thresholds> = {}): Finding[] {
  if (!samples.length) return [];
  const T = withDefaults(thresholds);
  const last = samples[samples.length - 1]!;
  const out: Finding[] = [];
  acceptQueue(samples, T, out);
  closeWait(samples, T, out);
  ephemeralPorts(last, host, T, out);
  listenerFindings(last, host, out);
  stuckQueues(samples, T, out, 'send');
  stuckQueues(samples, T, out, 'recv');
  synSent(samples, T, out);
  retransmissions(samples, T, out);
  fdLimit(last, T, out);
  return sortFindings(out);
}

/**
 * The checks (or parts of checks) these samples cannot support, each with a
 * true reason: a catalog key under `doctor.skip.` and its parameters. Pure.
 */
export function skippedChecks(samples: readonly DoctorSample[], host: HostFacts, thresholds: Partial<Thresholds> = {}): Skipped {
  const out: Skipped = [];
  if (!samples.length) return out;
  const T = withDefaults(thresholds);
  const last = samples[samples.length - 1]!;
  const spanMs = last.at - samples[0]!.at;
  if (samples.length < 2) {
    for (const check of ['accept-queue-full', 'close-wait', 'send-queue-stuck', 'recv-queue-stuck', 'retransmissions'] as const) {
      out.push({ check, reason: `doctor.skip.one-sample.${check}` });
    }
  } else {
    if (spanMs < T['queue-stuck-seconds']! * 1000) {
      for (const check of ['send-queue-stuck', 'recv-queue-stuck'] as const) {
        out.push({ check, reason: 'doctor.skip.span-short', params: { seconds: round(spanMs / 1000, 1), need: T['queue-stuck-seconds']! } });
      }
    }
    const unread = samples.some((s) => s.counters.size === 0);
    if (unread || counterDelta(samples, 'ListenOverflows') === undefined) out.push({ check: 'accept-queue-full', reason: 'doctor.skip.counters.accept-queue-full' });
    if (unread || counterDelta(samples, 'RetransSegs') === undefined || counterDelta(samples, 'OutSegs') === undefined) {
      out.push({ check: 'retransmissions', reason: 'doctor.skip.counters.retransmissions' });
    }
  }
  const listeners = last.sockets.filter(isTcpListener);
  const noBacklog = listeners.filter((s) => s.backlog === undefined).length;
  if (noBacklog) out.push({ check: 'accept-queue-full', reason: 'doctor.skip.backlog-unknown', params: { n: noBacklog } });
  if (!host.ephemeral) {
    out.push({ check: 'ephemeral-ports', reason: 'doctor.skip.range-unknown' });
    out.push({ check: 'listener-in-ephemeral-range', reason: 'doctor.skip.range-unknown' });
  }
  if (host.unprivilegedStart === undefined) out.push({ check: 'privileged-port', reason: 'doctor.skip.unprivileged-unknown' });
  if (!last.fds) {
    out.push({ check: 'fd-limit', reason: 'doctor.skip.fds-not-read' });
  } else if (last.fdErrors && last.fdErrors.size) {
    const pids = [...last.fdErrors.keys()].sort((a, b) => a - b);
    const codes = [...new Set(last.fdErrors.values())].sort();
    const shown = pids.length > 10 ? `${pids.slice(0, 10).join(', ')}, …` : pids.join(', ');
    out.push({ check: 'fd-limit', reason: 'doctor.skip.fds-unreadable', params: { n: pids.length, pids: shown, codes: codes.join(', ') } });
  }
  return out;
}

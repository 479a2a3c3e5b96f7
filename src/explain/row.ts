// One sentence per socket row (`--explain`): its role (listener, server side,
// client side), its state, what its queues say, and why it has no process.
import { bindScope } from '../model/address.js';
import type { Socket } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import type { Translate } from './i18n.js';
import type { HostFacts } from './ports.js';
import { containerSentences } from './containers.js';

/** What a row's explanation needs to know about the other rows. */
export interface RowContext {
  /** Ports with a TCP listener, to tell the server side of a connection from the client side. */
  tcpListenPorts: ReadonlySet<number>;
  host: HostFacts;
  /** False when the source shows no queues (Windows netstat, lsof): their zeros mean nothing. */
  queuesShown: boolean;
  /**
   * True when Recv-Q counts the peer's FIN as one (Linux: it is rcv_nxt minus
   * copied_seq, and a FIN takes a sequence number); false for BSD-style
   * counts of buffered bytes (macOS netstat).
   */
  finInRecvQ: boolean;
}

export function rowContext(sockets: readonly Socket[], host: HostFacts = {}, queuesShown = true, finInRecvQ = true): RowContext {
  const tcpListenPorts = new Set<number>();
  for (const s of sockets) if (s.protocol === 'tcp' && s.state === 'LISTEN') tcpListenPorts.add(s.localPort);
  return { tcpListenPorts, host, queuesShown, finInRecvQ };
}

/** States in which the peer's FIN has arrived (TIME_WAIT shows no queues). */
const AFTER_PEER_FIN: ReadonlySet<Socket['state']> = new Set(['CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

function role(s: Socket, ctx: RowContext, t: Translate): string {
  const local = formatEndpoint(s.localAddress, s.localPort);
  const remote = formatEndpoint(s.remoteAddress, s.remotePort);
  const scope = t(`scope.${bindScope([s.localAddress], s.v6only)}`);
  if (s.protocol === 'udp') {
    return s.state === 'UNCONN' ? t('row.listener.udp', { endpoint: local, scope }) : t('row.udp.connected', { remote });
  }
  if (s.state === 'LISTEN') return t('row.listener', { endpoint: local, scope });
  // CLOSE with a local port: bound (bind() without listen() or connect()); it holds the port, it is no client.
  if (s.state === 'CLOSE' && s.localPort !== 0) return t('view.row.bound', { endpoint: local, scope });
  if (ctx.tcpListenPorts.has(s.localPort)) return t('row.server', { remote, port: s.localPort });
  const eph = ctx.host.ephemeral;
  const clientLike = eph ? s.localPort >= eph[0] && s.localPort <= eph[1] : s.localPort > s.remotePort;
  if (clientLike) return t('row.client', { port: s.localPort, remote });
  return t('row.peer', { local, remote });
}

/** The one-sentence explanation of a socket row. */
export function explainSocket(s: Socket, ctx: RowContext, t: Translate): string {
  const parts = [role(s, ctx, t)];
  if (s.protocol === 'tcp' && s.state !== 'LISTEN') {
    parts.push(t(`row.state.${s.state}` as Parameters<Translate>[0]));
    if (s.timer?.kind === 'retransmit' && s.timer.retransmits > 0) parts.push(t('row.retries', { n: s.timer.retransmits }));
    // With list -i: what tcp_info says that matters for a person reading the row.
    const ti = s.tcp;
    if (ti) {
      parts.push(t('row.tcp.traffic', { sent: ti.bytesSent ?? ti.bytesAcked ?? 0, received: ti.bytesReceived ?? 0, rtt: ti.rttMs }));
      if (ti.totalRetrans > 0) parts.push(t('row.tcp.retrans', { n: ti.totalRetrans, lost: ti.lost }));
      if (ti.rwndLimitedMs !== undefined && ti.busyMs !== undefined && ti.busyMs > 0 && ti.rwndLimitedMs / ti.busyMs >= 0.5) parts.push(t('row.tcp.rwnd-limited'));
    }
  }
  if (!ctx.queuesShown) {
    // nothing to say about queues the source did not show
  } else if (s.protocol === 'tcp' && s.state === 'LISTEN') {
    if (s.backlog === undefined) parts.push(t('row.queue.listen.unknown', { queued: s.recvQ }));
    else parts.push(t(s.recvQ > s.backlog ? 'row.queue.listen.full' : 'row.queue.listen', { queued: s.recvQ, backlog: s.backlog }));
  } else if (s.protocol === 'tcp') {
    if (s.recvQ > 0 && ctx.finInRecvQ && AFTER_PEER_FIN.has(s.state)) {
      // The FIN is the last thing in the stream: Recv-Q N is N-1 unread bytes, then
      // the FIN. Reading to the end (read() returning 0) brings it to 0.
      parts.push(s.recvQ === 1 ? t('row.queue.fin') : t('row.queue.recv-fin', { n: s.recvQ - 1 }));
    } else if (s.recvQ > 0) {
      parts.push(t('row.queue.recv', { n: s.recvQ }));
    }
    // In SYN_SENT the one unacknowledged "byte" is the SYN itself.
    if (s.sendQ > 0 && !(s.state === 'SYN_SENT' && s.sendQ <= 1)) parts.push(t('row.queue.send', { n: s.sendQ }));
  } else if (s.recvQ > 0) {
    parts.push(t('row.queue.udp', { n: s.recvQ }));
  }
  if (s.holders.length === 0) {
    parts.push(t(`row.holder.${s.unheldReason ?? 'unknown'}`));
  } else {
    const pids = [...new Set(s.holders.map((h) => h.pid))];
    if (pids.length > 1) parts.push(t('row.holder.shared', { n: pids.length, pids: pids.join(', ') }));
  }
  // Containers: which one runs it, or which one a host listener is kept for.
  if (s.holders.length) parts.push(...containerSentences(s, t));
  return parts.join(t('row.sep')) + t('row.end');
}

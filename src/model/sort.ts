// Orderings of sockets by a named column, shared by the table, JSON and (later) the TUI.
import { parseAddress } from './address.js';
import type { Socket, SocketState } from './socket.js';

export const SORT_KEYS = ['proto', 'local', 'remote', 'state', 'recvq', 'sendq', 'port', 'rport', 'pid', 'process', 'inode'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const STATE_ORDER: Record<SocketState, number> = {
  LISTEN: 0, UNCONN: 1, SYN_SENT: 2, SYN_RECV: 3, ESTABLISHED: 4, FIN_WAIT1: 5, FIN_WAIT2: 6,
  CLOSE_WAIT: 7, CLOSING: 8, LAST_ACK: 9, TIME_WAIT: 10, CLOSE: 11,
};

const addrKeyCache = new Map<string, string>();
/** A key that sorts addresses numerically (IPv4 before IPv6). */
function addrKey(a: string): string {
  let k = addrKeyCache.get(a);
  if (k === undefined) {
    const b = parseAddress(a);
    k = b ? (b.length === 4 ? '4' : '6') + Buffer.from(b).toString('hex') : 'z' + a;
    if (addrKeyCache.size < 100_000) addrKeyCache.set(a, k);
  }
  return k;
}

function cmp(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const byLocal = (a: Socket, b: Socket): number =>
  cmp(a.protocol, b.protocol) || cmp(a.localPort, b.localPort) || cmp(addrKey(a.localAddress), addrKey(b.localAddress)) ||
  cmp(addrKey(a.remoteAddress), addrKey(b.remoteAddress)) || cmp(a.remotePort, b.remotePort);

const firstPid = (s: Socket): number => s.holders[0]?.pid ?? Number.MAX_SAFE_INTEGER;
const firstName = (s: Socket): string => s.holders[0]?.name ?? '\uffff';

const COMPARATORS: Record<SortKey, (a: Socket, b: Socket) => number> = {
  proto: (a, b) => cmp(a.protocol, b.protocol) || cmp(a.family, b.family),
  local: (a, b) => cmp(addrKey(a.localAddress), addrKey(b.localAddress)) || cmp(a.localPort, b.localPort),
  remote: (a, b) => cmp(addrKey(a.remoteAddress), addrKey(b.remoteAddress)) || cmp(a.remotePort, b.remotePort),
  state: (a, b) => cmp(STATE_ORDER[a.state], STATE_ORDER[b.state]),
  recvq: (a, b) => cmp(b.recvQ, a.recvQ),
  sendq: (a, b) => cmp(b.sendQ, a.sendQ),
  port: (a, b) => cmp(a.localPort, b.localPort),
  rport: (a, b) => cmp(a.remotePort, b.remotePort),
  pid: (a, b) => cmp(firstPid(a), firstPid(b)),
  process: (a, b) => cmp(firstName(a), firstName(b)) || cmp(firstPid(a), firstPid(b)),
  inode: (a, b) => cmp(a.inode, b.inode),
};

/** Sort in place by `key` (queues sort largest first), ties broken by protocol and local endpoint. */
export function sortSockets(sockets: Socket[], key: SortKey = 'local'): Socket[] {
  const c = COMPARATORS[key];
  return sockets.sort((a, b) => c(a, b) || byLocal(a, b));
}

// The columns of the socket table, as data: shared by the text table, CSV and
// (later) the live view, so that all of them say the same thing.
import { serviceName } from '../explain/services.js';
import type { Holder, Socket, SocketState, UnheldReason } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import type { Paint } from './sink.js';

export interface Column {
  id: string;
  header: string;
  align: 'left' | 'right';
  /** The cell text. */
  text(s: Socket, numeric: boolean): string;
}

function port(p: number, s: Socket, numeric: boolean): string {
  if (numeric) return String(p);
  return serviceName(p, s.protocol) ?? String(p);
}

export function localCell(s: Socket, numeric: boolean): string {
  return formatEndpoint(s.localAddress, port(s.localPort, s, numeric));
}

export function remoteCell(s: Socket, numeric: boolean): string {
  // No peer yet: print it the way ss does, "*" for the port.
  if (s.remotePort === 0 && (s.remoteAddress === '0.0.0.0' || s.remoteAddress === '::')) return formatEndpoint(s.remoteAddress, '*');
  // Remote ports are the peer's service when it is a well-known one, else its ephemeral port.
  return formatEndpoint(s.remoteAddress, port(s.remotePort, s, numeric));
}

export function holderText(h: Holder): string {
  return `${h.pid}/${h.name ?? '?'} fd ${h.fd}`;
}

const UNHELD_TEXT: Record<UnheldReason, string> = {
  'not-accepted': 'not accepted yet',
  kernel: 'kernel only',
  'permission-denied': 'hidden: no permission',
  'process-exited': 'process exited',
  'other-namespace': 'other namespace',
  unknown: 'owner unknown',
};

/** The PID/Program cell: every holder, or why there is none (never blank). */
export function holdersCell(s: Socket): string {
  if (s.holders.length === 0) return `- (${UNHELD_TEXT[s.unheldReason ?? 'unknown']})`;
  return s.holders.map(holderText).join(', ');
}

export function unheldText(r: UnheldReason): string {
  return UNHELD_TEXT[r];
}

export const COLUMNS: readonly Column[] = [
  { id: 'proto', header: 'Proto', align: 'left', text: (s) => (s.family === 'ipv6' ? s.protocol + '6' : s.protocol) },
  { id: 'local', header: 'Local Address', align: 'left', text: localCell },
  { id: 'remote', header: 'Foreign Address', align: 'left', text: remoteCell },
  { id: 'state', header: 'State', align: 'left', text: (s) => s.state },
  { id: 'recvq', header: 'Recv-Q', align: 'right', text: (s) => String(s.recvQ) },
  // On a listener, Send-Q shows the backlog, as ss does, when the source knows it.
  { id: 'sendq', header: 'Send-Q', align: 'right', text: (s) => String(s.backlog ?? s.sendQ) },
  { id: 'holders', header: 'PID/Program', align: 'left', text: (s) => holdersCell(s) },
];

/** Colour of a state on a terminal: the ones that ask for attention stand out. */
export function stateStyle(state: SocketState): Paint | undefined {
  switch (state) {
    case 'LISTEN': return 'green';
    case 'CLOSE_WAIT': return 'red';
    case 'SYN_SENT':
    case 'SYN_RECV': return 'yellow';
    case 'TIME_WAIT':
    case 'FIN_WAIT1':
    case 'FIN_WAIT2':
    case 'LAST_ACK':
    case 'CLOSING':
    case 'CLOSE': return 'dim';
    default: return undefined;
  }
}

// The columns of the socket table, as data: shared by the text table, CSV and
// (later) the live view, so that all of them say the same thing.
import { serviceName } from '../explain/services.js';
import type { Holder, Socket, SocketState, UnheldReason } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import { msg, type Lang, type MessageKey } from '../explain/i18n.js';
import type { Paint } from './sink.js';

/** What a cell needs to know besides the socket. */
export interface CellOptions {
  numeric: boolean;
  lang: Lang;
}

export interface Column {
  id: string;
  /** Catalog key of the header. */
  header: MessageKey;
  align: 'left' | 'right';
  /** The cell text. */
  text(s: Socket, o: CellOptions): string;
}

function port(p: number, s: Socket, numeric: boolean): string {
  if (numeric) return String(p);
  return serviceName(p, s.protocol) ?? String(p);
}

export function localCell(s: Socket, o: CellOptions): string {
  return formatEndpoint(s.localAddress, port(s.localPort, s, o.numeric));
}

export function remoteCell(s: Socket, o: CellOptions): string {
  const numeric = o.numeric;
  // No peer yet: print it the way ss does, "*" for the port.
  if (s.remotePort === 0 && (s.remoteAddress === '0.0.0.0' || s.remoteAddress === '::')) return formatEndpoint(s.remoteAddress, '*');
  // Remote ports are the peer's service when it is a well-known one, else its ephemeral port.
  return formatEndpoint(s.remoteAddress, port(s.remotePort, s, numeric));
}

export function holderText(h: Holder, lang: Lang): string {
  if (h.fd === undefined) {
    return h.name === undefined ? msg(lang, 'view.holder.pid', { pid: h.pid }) : msg(lang, 'view.holder.nofd', { pid: h.pid, name: h.name });
  }
  return msg(lang, 'view.holder', { pid: h.pid, name: h.name ?? '?', fd: h.fd });
}

/** Why a socket has no holder, in words. */
export function unheldText(r: UnheldReason, lang: Lang): string {
  return msg(lang, `unheld.${r}`);
}

/** The PID/Program cell: every holder, or why there is none (never blank). */
export function holdersCell(s: Socket, lang: Lang): string {
  if (s.holders.length === 0) return msg(lang, 'view.unheld', { reason: unheldText(s.unheldReason ?? 'unknown', lang) });
  return s.holders.map((h) => holderText(h, lang)).join(', ');
}

export const COLUMNS: readonly Column[] = [
  { id: 'proto', header: 'view.col.proto', align: 'left', text: (s) => (s.family === 'ipv6' ? s.protocol + '6' : s.protocol) },
  { id: 'local', header: 'view.col.local', align: 'left', text: localCell },
  { id: 'remote', header: 'view.col.remote', align: 'left', text: remoteCell },
  { id: 'state', header: 'view.col.state', align: 'left', text: (s) => s.state },
  { id: 'recvq', header: 'view.col.recvq', align: 'right', text: (s) => String(s.recvQ) },
  // On a listener, Send-Q shows the backlog, as ss does, when the source knows it.
  { id: 'sendq', header: 'view.col.sendq', align: 'right', text: (s) => String(s.backlog ?? s.sendQ) },
  { id: 'holders', header: 'view.col.holders', align: 'left', text: (s, o) => holdersCell(s, o.lang) },
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

// The text typed after `/` in the live view, turned into the same Filter that
// `sockscope list` builds from its flags (so a port matches exactly, a process
// by name or command line, a state by name), plus addresses, which the live
// view adds. Tokens of one kind widen (80 443: either port), kinds narrow
// (80 nginx: port 80 and held by nginx). Examples:
//   "80"  ":443"  "port:8080"      ports
//   "listen"  "state:time-wait"    states (as --state takes them)
//   "nginx"  "proc:node"           processes
//   "pid:1234"                     holder pid
//   "container:web-1"  "unit:nginx"   holder's container (name, pod or id prefix) or systemd unit
//   "netns:blue"  "netns:host"  "netns:4026532301"   network namespace (name, host, inode)
//   "127.0.0.1"  "addr:10.0."  "::1"  local or remote address (exact, or a prefix ending in . or :)
import { matches, type Filter } from '../../model/filter.js';
import { SOCKET_STATES, type Socket, type SocketState } from '../../model/socket.js';

export interface TextFilter {
  filter: Filter;
  addresses: string[];
  /** The text it came from. */
  text: string;
}

const STATE_ALIASES: Record<string, SocketState> = {
  LISTENING: 'LISTEN', SYN_RECEIVED: 'SYN_RECV', FIN_WAIT_1: 'FIN_WAIT1', FIN_WAIT_2: 'FIN_WAIT2', CLOSED: 'CLOSE',
  UNCONNECTED: 'UNCONN', ESTAB: 'ESTABLISHED',
};

function stateOf(word: string): SocketState | undefined {
  const norm = word.toUpperCase().replace(/-/g, '_');
  return (SOCKET_STATES as readonly string[]).includes(norm) ? (norm as SocketState) : STATE_ALIASES[norm];
}

function looksLikeAddress(w: string): boolean {
  return /^[0-9.]+$/.test(w) && w.includes('.') || /^[0-9a-f:.]+$/i.test(w) && w.includes(':');
}

/** A bad token in the filter text: a catalog key for the view, and an English message for logs and tests. */
export class FilterTextError extends Error {
  constructor(readonly key: 'watch.filter.needs-value' | 'watch.filter.bad-port' | 'watch.filter.bad-state' | 'watch.filter.bad-pid',
    readonly token: string, message: string) {
    super(message);
  }
}

/** Parse the filter text; throws a FilterTextError with a short reason on a bad token. */
export function parseFilterText(text: string): TextFilter {
  const ports: number[] = [];
  const states: SocketState[] = [];
  const processes: string[] = [];
  const pids: number[] = [];
  const addresses: string[] = [];
  const containers: string[] = [];
  const units: string[] = [];
  const netns: string[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    if (raw === '') continue;
    const m = /^(port|state|proc|process|pid|addr|address|netns|container|unit)[:=](.*)$/i.exec(raw);
    const kind = m ? m[1]!.toLowerCase() : undefined;
    const value = m ? m[2]! : raw;
    if (value === '') throw new FilterTextError('watch.filter.needs-value', raw, `'${raw}' needs a value`);
    if (kind === 'port' || (!kind && /^:?\d+$/.test(value))) {
      const p = Number(value.replace(/^:/, ''));
      if (!/^:?\d{1,5}$/.test(value) || p > 65535) throw new FilterTextError('watch.filter.bad-port', value, `invalid port '${value}'`);
      ports.push(p);
    } else if (kind === 'state' || (!kind && stateOf(value))) {
      const st = stateOf(value);
      if (!st) throw new FilterTextError('watch.filter.bad-state', value, `unknown state '${value}'`);
      states.push(st);
    } else if (kind === 'pid') {
      if (!/^\d{1,7}$/.test(value)) throw new FilterTextError('watch.filter.bad-pid', value, `invalid pid '${value}'`);
      pids.push(Number(value));
    } else if (kind === 'container') {
      containers.push(value);
    } else if (kind === 'unit') {
      units.push(value);
    } else if (kind === 'netns') {
      // A name, 'host' or an inode: the live view has no pid resolution (pid:N is --netns's alone).
      netns.push(value);
    } else if (kind === 'addr' || kind === 'address' || (!kind && looksLikeAddress(value))) {
      addresses.push(value.toLowerCase().replace(/^\[|\]$/g, ''));
    } else {
      processes.push(value);
    }
  }
  const filter: Filter = { all: true };
  if (ports.length) filter.ports = ports;
  if (states.length) filter.states = states;
  if (processes.length) filter.processes = processes;
  if (pids.length) filter.pids = pids;
  if (containers.length) filter.containers = containers;
  if (units.length) filter.units = units;
  if (netns.length) filter.netns = netns;
  return { filter, addresses, text: text.trim() };
}

function addressHit(a: string, wanted: readonly string[]): boolean {
  for (const w of wanted) {
    if (a === w) return true;
    if ((w.endsWith('.') || w.endsWith(':')) && a.startsWith(w)) return true;
  }
  return false;
}

/** Whether a socket passes the typed filter (the toggles are applied separately). */
export function matchesText(tf: TextFilter, s: Socket): boolean {
  if (!matches(tf.filter, s)) return false;
  if (tf.addresses.length && !addressHit(s.localAddress, tf.addresses) && !addressHit(s.remoteAddress, tf.addresses)) return false;
  return true;
}

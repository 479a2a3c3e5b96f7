// A query over sockets, evaluated against the neutral record before any output
// (as ss parses its filter into a tree first). The same Filter serves `list`,
// `port`, `pid`, `process` and, later, the live view's `/` key.
import { SOCKET_STATES, type ContainerRef, type Family, type Holder, type NetnsRef, type Protocol, type RawSocket, type Socket, type SocketState } from './socket.js';

export interface Filter {
  protocols?: readonly Protocol[];
  families?: readonly Family[];
  /** Only these states (empty or absent: see `listening` and `all`). */
  states?: readonly SocketState[];
  /** Only listeners: TCP LISTEN and unconnected UDP (like `ss -l`). */
  listening?: boolean;
  /** Include TIME_WAIT, which is hidden by default (kernel-only leftovers that pile up). */
  all?: boolean;
  /** Local or remote port equals one of these (exact match, never a substring). */
  ports?: readonly number[];
  /** Held by one of these pids. */
  pids?: readonly number[];
  /** Held by a process whose name equals one of these (case-insensitive), or whose command line contains it. */
  processes?: readonly string[];
  /**
   * In one of these network namespaces (Linux): 'all', 'host', a name (ip netns, a
   * runtime's), an inode number as text, 'pid:N' (the namespace of process N) or
   * 'self' (the one sockscope runs in); listSockets and watch() read only those,
   * while matches() alone cannot resolve pid:N and self, and matches nothing by them.
   * A socket whose source does not tell its namespace counts as the host's.
   */
  netns?: readonly string[];
  /**
   * Held by a process of one of these containers: its name, its pod's name, or a
   * prefix of its id (bare or as "runtime:id", as the CONTAINER column shows it); case-insensitive.
   */
  containers?: readonly string[];
  /** Held by a process of one of these systemd units: a prefix of the unit's name ("nginx" finds nginx.service); case-insensitive. */
  units?: readonly string[];
}

/** Whether the filter has parts that only holders can answer (so it is applied after the holder scan). */
export function needsHolders(f: Filter): boolean {
  return !!(f.pids || f.processes || f.containers || f.units);
}

/** What a filter lets the kernel leave out: states and ports (CollectOptions.narrow). */
export function narrowing(f: Filter): { states?: readonly SocketState[]; ports?: readonly number[] } {
  const states = f.states && f.states.length ? f.states
    : f.listening ? (['LISTEN', 'UNCONN'] as const)
    : f.all ? undefined
    : SOCKET_STATES.filter((s) => s !== 'TIME_WAIT');
  return { states, ports: f.ports };
}

/** True when the socket is a listener in the sense of `-l`. */
export function isListening(s: Pick<Socket, 'protocol' | 'state'>): boolean {
  return s.protocol === 'tcp' ? s.state === 'LISTEN' : s.state === 'UNCONN';
}

/**
 * The part of the filter that needs no holder information, usable on the bare
 * table before the (costly) holder scan.
 */
export function matchesTable(f: Filter, s: RawSocket): boolean {
  if (f.protocols && !f.protocols.includes(s.protocol)) return false;
  if (f.families && !f.families.includes(s.family)) return false;
  if (f.states && f.states.length > 0) {
    if (!f.states.includes(s.state)) return false;
  } else if (f.listening) {
    if (!isListening(s)) return false;
  } else if (!f.all && s.state === 'TIME_WAIT') {
    return false;
  }
  if (f.ports && !f.ports.includes(s.localPort) && !(s.remotePort !== 0 && f.ports.includes(s.remotePort))) return false;
  if (f.netns && !matchesNetns(f.netns, s.netns)) return false;
  return true;
}

/** Whether a socket's namespace is one of the --netns tokens (see Filter.netns). */
export function matchesNetns(tokens: readonly string[], n: NetnsRef | undefined): boolean {
  for (const t of tokens) {
    if (t === 'all') return true;
    if (t === 'host') {
      if (!n || n.host) return true;
    } else if (/^\d+$/.test(t)) {
      if (n?.inode === Number(t)) return true;
    } else if (!t.startsWith('pid:') && t !== 'self' && n?.name === t) {
      return true;
    }
  }
  return false;
}

/** Case-folded, composed form of a name (the same as foldName() of the process search). */
export function foldText(text: string): string {
  // Every socket of a process shares its name and command line strings: fold each once
  // (a 1 MB command line of a process holding 15,000 sockets would be folded 15,000 times).
  let folded = foldCache.get(text);
  if (folded === undefined) {
    if (foldCache.size >= 4096) foldCache.clear();
    folded = text.normalize('NFC').toLowerCase();
    foldCache.set(text, folded);
  }
  return folded;
}
const foldCache = new Map<string, string>();

/** The whole filter, holders included. */
export function matches(f: Filter, s: Socket): boolean {
  return matchesTable(f, s) && matchesHolders(f, s.holders, s.published);
}

/** Whether `c` is the container one of `wanted` (folded) names. */
function containerHit(c: ContainerRef, wanted: readonly string[]): boolean {
  const name = c.name !== undefined ? foldText(c.name) : undefined;
  const pod = c.pod?.name !== undefined ? foldText(c.pod.name) : undefined;
  const id = c.id.toLowerCase();
  return wanted.some((w) => w === name || w === pod || id.startsWith(w) || `${c.runtime}:${id}`.startsWith(w));
}

/** The filter's --pid, --process, --container and --unit parts, on any socket's holders (TCP, UDP or Unix). */
export function matchesHolders(f: Pick<Filter, 'pids' | 'processes' | 'containers' | 'units'>, holders: readonly Holder[],
  published?: Socket['published']): boolean {
  if (f.pids && !holders.some((h) => f.pids!.includes(h.pid))) return false;
  if (f.processes) {
    // Folded as `sockscope process NAME` folds (foldName): case and Unicode form, so "cafe\u0301" finds "café".
    const wanted = f.processes.map(foldText);
    const hit = holders.some((h) =>
      wanted.some((w) => (h.name !== undefined && foldText(h.name) === w) || (h.command !== undefined && foldText(h.command).includes(w))));
    if (!hit) return false;
  }
  if (f.containers) {
    const wanted = f.containers.map(foldText);
    // A host port kept for the container (docker-proxy, conmon) is the container's too.
    const hit = holders.some((h) => h.container !== undefined && containerHit(h.container, wanted))
      || (published?.container !== undefined && containerHit(published.container, wanted));
    if (!hit) return false;
  }
  if (f.units) {
    const wanted = f.units.map(foldText);
    if (!holders.some((h) => h.unit !== undefined && wanted.some((w) => foldText(h.unit!).startsWith(w)))) return false;
  }
  return true;
}

// The web page's map, as data: the seed's drawing of packets arriving at a
// host and delivered, by port, to a program, made of this machine's sockets.
//
//   peers (by network) ──► ports (doors, with service and bind scope) ──► processes ──► groups
//   processes ──► peers                       (connections this host opened)
//
// Pure and incremental: each socket contributes once (a few node and edge
// keys and its state) to an aggregate that adds and subtracts contributions as
// sockets open, change and close, so a tick costs what changed, not the table.
// The frame sent to the page is bounded: the busiest ports, processes, peer
// networks and groups, the rest folded into one `other` node per kind.
import { bindScope, isLoopback, parseAddress } from '../model/address.js';
import type { Socket, SocketState } from '../model/socket.js';
import { portName } from '../views/columns.js';
import { safeText } from '../views/safe-text.js';

export type NodeKind = 'host' | 'port' | 'process' | 'group' | 'peer';

/** One node of the map, as sent to the page. Every text is already escaped (safeText). */
export interface MapNode {
  id: string;
  kind: NodeKind;
  /** Data, never a sentence: a port number, a process name, a network. */
  label: string;
  sublabel?: string;
  /** Ports: how far the door is open (all interfaces, this host only, one address). */
  scope?: 'all' | 'loopback' | 'address';
  protocol?: 'tcp' | 'udp';
  /** Sockets behind the node (in the view). */
  count: number;
  /** Filter text (the live view's `/` language) that selects the node's sockets; '' for none. */
  filter: string;
  port?: number;
  /** IANA service name of a port, when it has one outside the ephemeral range. */
  service?: string;
  pid?: number;
  user?: string;
  /** Process node standing for sockets no process holds (TIME_WAIT, not yet accepted, unreadable). */
  unheld?: boolean;
  /** Peer node: the loopback network (this host talking to itself). */
  loopback?: boolean;
  /** Ports and loopback peers of another network namespace than the server's: its name, or its inode. */
  netns?: string;
  /** Group node: container or unit. */
  group?: 'container' | 'unit';
  /** An `other` node: how many nodes of its kind were folded into it. */
  folded?: number;
}

export interface MapEdge {
  id: string;
  from: string;
  to: string;
  count: number;
  states: Partial<Record<SocketState, number>>;
}

export interface MapFrame {
  nodes: MapNode[];
  edges: MapEdge[];
  /** Edge ids that gained or lost sockets since the previous frame (for animation). */
  changes: { opened: string[]; closed: string[] };
}

/** What changed from one frame to the next: new or changed nodes and edges (whole), and the ids gone. */
export interface MapDelta {
  nodes: MapNode[];
  edges: MapEdge[];
  removed: { nodes: string[]; edges: string[] };
  changes: MapFrame['changes'];
}

/** The delta that turns `prev` into `next` (nodes and edges compared by their JSON). */
export function frameDelta(prev: MapFrame, next: MapFrame): MapDelta {
  const diff = <T extends { id: string }>(a: readonly T[], b: readonly T[]): { changed: T[]; removed: string[] } => {
    const before = new Map(a.map((x) => [x.id, JSON.stringify(x)]));
    const changed = b.filter((x) => before.get(x.id) !== JSON.stringify(x));
    const now = new Set(b.map((x) => x.id));
    return { changed, removed: a.filter((x) => !now.has(x.id)).map((x) => x.id) };
  };
  const n = diff(prev.nodes, next.nodes);
  const e = diff(prev.edges, next.edges);
  return { nodes: n.changed, edges: e.changed, removed: { nodes: n.removed, edges: e.removed }, changes: next.changes };
}

/** How many nodes of each kind a frame keeps before folding the rest. */
export interface MapLimits {
  ports: number;
  processes: number;
  peers: number;
  groups: number;
  edges: number;
}

export const DEFAULT_MAP_LIMITS: MapLimits = { ports: 60, processes: 60, peers: 40, groups: 20, edges: 400 };

/** A node's identity and texts, shared by every socket that touches it. */
export type NodeRef = Omit<MapNode, 'count' | 'folded'>;

export interface EdgeRef {
  id: string;
  from: NodeRef;
  to: NodeRef;
}

/** What one socket adds to the map. */
export interface Contribution {
  nodes: readonly NodeRef[];
  edges: readonly EdgeRef[];
  state: SocketState;
}

/** What contribute() needs to know besides the socket. */
export interface MapContext {
  /** Whether this host has a TCP listener on the port (a connection on it is then inbound). */
  tcpListening(port: number, netns: number | undefined): boolean;
  ephemeral?: readonly [number, number];
  /**
   * The server's own network namespace (inode): sockets of another one (a
   * container's) get doors and a loopback of their own, never merged with ours.
   */
  ownNetns?: number;
}

// Node and edge records are interned: 100k sockets share a few hundred of them.
const nodeCache = new Map<string, NodeRef>();
const edgeCache = new Map<string, EdgeRef>();
const CACHE_MAX = 50_000;

function intern(key: string, make: () => NodeRef): NodeRef {
  let n = nodeCache.get(key);
  if (!n) {
    if (nodeCache.size >= CACHE_MAX) nodeCache.clear();
    n = make();
    nodeCache.set(key, n);
  }
  return n;
}

function edge(from: NodeRef, to: NodeRef): EdgeRef {
  const id = `${from.id}>${to.id}`;
  let e = edgeCache.get(id);
  if (!e || e.from !== from || e.to !== to) {
    if (edgeCache.size >= CACHE_MAX) edgeCache.clear();
    e = { id, from, to };
    edgeCache.set(id, e);
  }
  return e;
}

function scopeOf(s: Socket): 'all' | 'loopback' | 'address' {
  const b = bindScope([s.localAddress], s.v6only);
  return b.startsWith('all-interfaces') ? 'all' : b === 'this-host-only' ? 'loopback' : 'address';
}

const SCOPE_RANK = { address: 0, loopback: 1, all: 2 } as const;

/** The socket's namespace when it is not the server's own (undefined: ours, or not known). */
export function otherNetns(s: Socket, ctx: Pick<MapContext, 'ownNetns'>): Socket['netns'] {
  return s.netns !== undefined && ctx.ownNetns !== undefined && s.netns.inode !== ctx.ownNetns ? s.netns : undefined;
}

function portNode(s: Socket, ctx: MapContext): NodeRef {
  const scope = scopeOf(s);
  const ns = otherNetns(s, ctx);
  const at = ns ? `@${ns.inode}` : '';
  // One door per namespace, protocol and port; its scope is the widest of its listeners (0.0.0.0 and 127.0.0.1 → all).
  const key = `port:${s.protocol}:${s.localPort}${at}:${scope}`;
  return intern(key, () => {
    const service = portName(s.localPort, s.protocol, false, ctx.ephemeral);
    return {
      id: `port:${s.protocol}:${s.localPort}${at}`, kind: 'port', label: String(s.localPort), sublabel: service, scope,
      protocol: s.protocol, filter: `port:${s.localPort}`, port: s.localPort, service,
      ...(ns ? { netns: safeText(ns.name ?? String(ns.inode)) } : {}),
    };
  });
}

function processNode(s: Socket): NodeRef {
  const h = s.holders[0];
  if (!h) return intern('process:-', () => ({ id: 'process:-', kind: 'process', label: '-', filter: '', unheld: true }));
  return intern(`process:${h.pid}:${h.name ?? ''}:${h.user ?? ''}`, () => ({
    id: `process:${h.pid}`, kind: 'process', label: h.name === undefined ? '?' : safeText(h.name), sublabel: String(h.pid),
    filter: `pid:${h.pid}`, pid: h.pid, user: h.user === undefined ? undefined : safeText(h.user),
  }));
}

function groupNode(s: Socket): NodeRef | undefined {
  const h = s.holders[0];
  if (!h) return undefined;
  const pidFilter = `pid:${h.pid}`;
  if (h.container) {
    const c = h.container;
    return intern(`group:ctr:${c.id}:${c.name ?? ''}`, () => ({
      id: `group:container:${c.runtime}:${c.id}`, kind: 'group', group: 'container',
      label: safeText(c.name ?? c.id.slice(0, 12)), sublabel: c.runtime, filter: pidFilter,
    }));
  }
  if (h.unit) {
    const u = h.unit;
    return intern(`group:unit:${u}`, () => ({ id: `group:unit:${u}`, kind: 'group', group: 'unit', label: safeText(u), filter: pidFilter }));
  }
  return undefined;
}

/**
 * The peer network of a remote address: loopback as one node; IPv4 by /24
 * (`10.1.2.0/24`, filter `addr:10.1.2.`); IPv6 by its first four groups when
 * the address writes them out (`2001:db8:1:2::/64`), else the address itself.
 * The filter is one the `/` language can say (an address prefix ending in . or :).
 */
export function peerKey(address: string): { id: string; label: string; filter: string; loopback: boolean } {
  if (isLoopback(address)) {
    const v6 = address.includes(':') && !address.startsWith('::ffff:');
    return { id: v6 ? 'peer:loopback6' : 'peer:loopback', label: v6 ? '::1' : '127.0.0.0/8', filter: v6 ? 'addr:::1' : 'addr:127.', loopback: true };
  }
  const mapped = address.startsWith('::ffff:') && address.includes('.');
  const v4 = mapped ? address.slice(7) : address;
  if (!address.includes(':') || mapped) {
    const dot = v4.lastIndexOf('.');
    const prefix = (mapped ? '::ffff:' : '') + v4.slice(0, dot + 1);
    return { id: `peer:${prefix}`, label: `${prefix}0/24`, filter: `addr:${prefix}`, loopback: false };
  }
  const head = address.split(':');
  if (head.length >= 5 && head.slice(0, 4).every((g) => g !== '')) {
    const prefix = head.slice(0, 4).join(':') + ':';
    return { id: `peer:${prefix}`, label: `${prefix}:/64`, filter: `addr:${prefix}`, loopback: false };
  }
  return { id: `peer:${address}`, label: address, filter: `addr:${address}`, loopback: false };
}

function peerNode(address: string, ns: Socket['netns']): NodeRef {
  // Another namespace's loopback is that namespace talking to itself, not this host.
  const at = ns && isLoopback(address) ? `@${ns.inode}` : '';
  return intern(`peer:${address}${at}`, () => {
    const p = peerKey(address);
    return { id: p.id + at, kind: 'peer', label: p.label, filter: p.filter, loopback: p.loopback || undefined,
      ...(at ? { netns: safeText(ns!.name ?? String(ns!.inode)) } : {}) };
  });
}

function hasPeer(s: Socket): boolean {
  return s.remotePort !== 0 && parseAddress(s.remoteAddress) !== undefined && s.remoteAddress !== '0.0.0.0' && s.remoteAddress !== '::';
}

/** A door of this host: a listener, an unconnected UDP socket, a bound TCP socket. */
export function isDoor(s: Socket): boolean {
  if (s.protocol === 'tcp') return s.state === 'LISTEN' || (s.state === 'CLOSE' && s.localPort !== 0 && !hasPeer(s));
  return s.state === 'UNCONN' || !hasPeer(s);
}

/** What one socket adds to the map (see the drawing at the top). */
export function contribute(s: Socket, ctx: MapContext): Contribution {
  const proc = processNode(s);
  const group = groupNode(s);
  const nodes: NodeRef[] = [proc];
  const edges: EdgeRef[] = [];
  if (group) {
    nodes.push(group);
    edges.push(edge(proc, group));
  }
  if (isDoor(s)) {
    const port = portNode(s, ctx);
    nodes.push(port);
    edges.push(edge(port, proc));
  } else if (hasPeer(s)) {
    const ns = otherNetns(s, ctx);
    const peer = peerNode(s.remoteAddress, ns);
    nodes.push(peer);
    if (s.protocol === 'tcp' && ctx.tcpListening(s.localPort, ns?.inode)) {
      // A connection to one of our listeners: it came in through that door.
      const port = intern(`port:tcp:${s.localPort}${ns ? `@${ns.inode}` : ''}:conn`, () => ({ ...portNode({ ...s, localAddress: '0.0.0.0', v6only: undefined }, ctx), scope: undefined }));
      nodes.push(port);
      edges.push(edge(peer, port), edge(port, proc));
    } else {
      edges.push(edge(proc, peer));
    }
  }
  return { nodes, edges, state: s.state };
}

interface NodeAgg {
  ref: NodeRef;
  count: number;
}

interface EdgeAgg {
  ref: EdgeRef;
  count: number;
  states: Map<SocketState, number>;
}

/** The map of a set of sockets, kept up to date by adding and removing their contributions. */
export class MapAggregate {
  private readonly nodes = new Map<string, NodeAgg>();
  private readonly edges = new Map<string, EdgeAgg>();
  private gained = new Set<string>();
  private lost = new Set<string>();
  /** Sockets in the aggregate. */
  total = 0;
  /** Something changed since the last frame. */
  dirty = true;

  add(c: Contribution, sign: 1 | -1): void {
    this.total += sign;
    this.dirty = true;
    // A socket counts once per node, even when two of its edges meet there.
    for (let i = 0; i < c.nodes.length; i++) {
      const ref = c.nodes[i]!;
      let dup = false;
      for (let j = 0; j < i; j++) if (c.nodes[j]!.id === ref.id) dup = true;
      if (dup) continue;
      const key = ref.id;
      let n = this.nodes.get(key);
      if (!n) {
        if (sign < 0) continue;
        n = { ref, count: 0 };
        this.nodes.set(key, n);
      }
      n.count += sign;
      // The widest scope seen wins the label of a shared door; otherwise the latest texts.
      if (sign > 0 && (ref.scope === undefined || n.ref.scope === undefined || SCOPE_RANK[ref.scope] >= SCOPE_RANK[n.ref.scope])) {
        if (ref.scope !== undefined || n.ref.scope === undefined) n.ref = ref;
      }
      if (n.count <= 0) this.nodes.delete(key);
    }
    for (const ref of c.edges) {
      let e = this.edges.get(ref.id);
      if (!e) {
        if (sign < 0) continue;
        e = { ref, count: 0, states: new Map() };
        this.edges.set(ref.id, e);
      }
      e.count += sign;
      e.states.set(c.state, (e.states.get(c.state) ?? 0) + sign);
      if (e.states.get(c.state)! <= 0) e.states.delete(c.state);
      (sign > 0 ? this.gained : this.lost).add(ref.id);
      if (e.count <= 0) this.edges.delete(ref.id);
    }
  }

  /**
   * The bounded frame: the `limits` busiest nodes of each kind, the rest
   * folded into `<kind>:other`; edges re-drawn between the kept nodes, the
   * heaviest `limits.edges`. Clears the gained/lost edge sets.
   */
  frame(limits: MapLimits = DEFAULT_MAP_LIMITS): MapFrame {
    const byKind: Record<Exclude<NodeKind, 'host'>, NodeAgg[]> = { port: [], process: [], peer: [], group: [] };
    for (const n of this.nodes.values()) if (n.ref.kind !== 'host') byKind[n.ref.kind].push(n);
    const keep: Record<Exclude<NodeKind, 'host'>, number> = { port: limits.ports, process: limits.processes, peer: limits.peers, group: limits.groups };
    const fold = new Map<string, string>();
    const nodes: MapNode[] = [{ id: 'host', kind: 'host', label: '', count: this.total, filter: '' }];
    for (const kind of ['port', 'process', 'group', 'peer'] as const) {
      const list = byKind[kind];
      list.sort((a, b) => b.count - a.count || (a.ref.id < b.ref.id ? -1 : 1));
      const cut = list.length > keep[kind] ? Math.max(keep[kind] - 1, 0) : list.length;
      for (let i = 0; i < cut; i++) nodes.push({ ...list[i]!.ref, count: list[i]!.count });
      if (cut < list.length) {
        const other = `${kind}:other`;
        let count = 0;
        for (let i = cut; i < list.length; i++) {
          fold.set(list[i]!.ref.id, other);
          count += list[i]!.count;
        }
        nodes.push({ id: other, kind, label: '…', count, filter: '', folded: list.length - cut });
      }
    }
    const out = new Map<string, MapEdge>();
    for (const e of this.edges.values()) {
      const from = fold.get(e.ref.from.id) ?? e.ref.from.id;
      const to = fold.get(e.ref.to.id) ?? e.ref.to.id;
      const id = `${from}>${to}`;
      let m = out.get(id);
      if (!m) {
        m = { id, from, to, count: 0, states: {} };
        out.set(id, m);
      }
      m.count += e.count;
      for (const [st, n] of e.states) m.states[st] = (m.states[st] ?? 0) + n;
    }
    let edges = [...out.values()];
    if (edges.length > limits.edges) edges = edges.sort((a, b) => b.count - a.count).slice(0, limits.edges);
    const mapId = (id: string): string => {
      const i = id.indexOf('>');
      const from = id.slice(0, i);
      const to = id.slice(i + 1);
      return `${fold.get(from) ?? from}>${fold.get(to) ?? to}`;
    };
    const changes = { opened: [...new Set([...this.gained].map(mapId))], closed: [...new Set([...this.lost].map(mapId))] };
    this.gained = new Set();
    this.lost = new Set();
    this.dirty = false;
    return { nodes, edges, changes };
  }
}

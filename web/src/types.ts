// The server's answers, as docs/web.md ("API") and the contract of issue 12
// describe them. Every string in them is data from the machine (already passed
// through safeText by the server) and is only ever set as text in the page.

export type Lang = 'en' | 'zh-CN';

export interface Session {
  version: string;
  hostname: string;
  lang: Lang;
  csrf: string;
  allowActions: boolean;
  experiments: { name: string; title: string }[];
  interval: number;
}

export interface CatalogAnswer {
  lang: Lang;
  messages: Record<string, string>;
}

export type NodeKind = 'host' | 'port' | 'process' | 'group' | 'peer';
export type Scope = 'all' | 'loopback' | 'address';

export interface MapNode {
  id: string;
  kind: NodeKind;
  label: string;
  sublabel?: string;
  scope?: Scope;
  protocol?: string;
  count: number;
  /** Filter text that selects this node's sockets (clicking the node puts it in the filter box); '' for none. */
  filter: string;
  /** Process node standing for sockets no process holds. */
  unheld?: boolean;
  /** An `other` node: how many nodes of its kind were folded into it. */
  folded?: number;
}

export interface MapEdge {
  id: string;
  from: string;
  to: string;
  count: number;
  states: Record<string, number>;
}

export interface MapEvent {
  nodes: MapNode[];
  edges: MapEdge[];
  changes: { opened: string[]; closed: string[] };
}

/** With ?delta=1: the nodes and edges new or changed since the last map, and the ids gone. */
export interface MapDelta {
  nodes: MapNode[];
  edges: MapEdge[];
  removed: { nodes: string[]; edges: string[] };
  changes: { opened: string[]; closed: string[] };
}

export interface TickEvent {
  t: number;
  opened: number;
  closed: number;
  total: number;
  byState: Record<string, number>;
  wallMs: number;
  cpuMs: number;
}

export interface HistoryPoint {
  t: number;
  opened: number;
  closed: number;
  byState: Record<string, number>;
}

export interface RowHolder {
  pid: number;
  name: string;
  fd?: number;
  user?: string;
  /** Command line, escaped and cut by the server. */
  command?: string;
  /** Start time of the pid (clock ticks since boot), what /api/kill checks. */
  startTicks?: number;
  container?: string;
  unit?: string;
}

/** One socket as a table row (src/web/rows.ts): the `list` columns' texts plus numbers. */
export interface Row {
  id: number;
  /** tcp, tcp6, udp, udp6 */
  protocol: string;
  local: string;
  remote: string;
  localPort: number;
  remotePort: number;
  state: string;
  recvQ: number;
  /** The Send-Q text: a listener's backlog, "?" when unknown. */
  sendQ: string;
  /** Every holder, or why there is none. */
  process: string;
  pid?: number;
  user?: string;
  netns?: string;
  container?: string;
  unit?: string;
  holders: RowHolder[];
  firstSeen: number;
}

export interface RowsAnswer {
  version: number;
  total: number;
  rows: Row[];
}

export interface Explanation {
  title: string;
  lines: string[];
}

export interface LabPacket {
  at: number;
  from: { address: string; port: number };
  to: { address: string; port: number };
  flags: string[];
  seq: number;
  ack?: number;
  window: number;
  length: number;
  marks?: string[];
}

/** src/lab/events.ts as the server sends them (src/web/lab.ts): observations carry rows. */
export type LabEvent =
  | { type: 'start'; experiment: string; title: string; steps: number; ports: number[] }
  | { type: 'step'; index: number; title: string }
  /** After the step's checks: what changed and why. */
  | { type: 'explain'; index: number; text: string }
  | { type: 'say'; index: number; text: string }
  | { type: 'observation'; index: number; sockets: Row[] }
  | { type: 'expectation'; index: number; expected: string; seen: string; ok: boolean }
  | { type: 'packets'; index: number; packets: LabPacket[] }
  | { type: 'done'; ok: boolean; checked: number; failures: number; stopped?: string }
  /** The run ended (after done, or on an error before it). */
  | { type: 'end'; ok: boolean; aborted: boolean };

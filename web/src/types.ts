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

// One socket as a table row, and the lab's events: the server's own types (src/web/api.ts).
import type { Row } from '../../src/web/api.js';
export type { Row, RowHolder } from '../../src/web/api.js';

export interface RowsAnswer {
  version: number;
  total: number;
  rows: Row[];
}

export interface Explanation {
  title: string;
  lines: string[];
}

export type { LabPacket } from '../../src/lab/events.js';
/** src/lab/events.ts as the server sends them (src/web/lab.ts): observations carry rows. */
export type { WebLabEvent as LabEvent } from '../../src/web/api.js';

// The shapes the page receives from the server, as types only: imported by the
// server (rows.ts, lab.ts) and by the page's own build (web/src/types.ts), so
// the two cannot drift apart. Nothing here may import code that needs Node:
// the page is type-checked with the DOM library alone.
import type { LabEvent } from '../lab/events.js';
import type { Socket } from '../model/socket.js';

export interface RowHolder {
  pid: number;
  name: string;
  fd?: number;
  user?: string;
  /** Command line, escaped and cut to 300 columns. */
  command?: string;
  /** Start time (clock ticks since boot) when read: what /api/kill checks the pid against. */
  startTicks?: number;
  container?: string;
  unit?: string;
}

export interface Row {
  id: number;
  /** tcp, tcp6, udp, udp6 (the table's Proto column). */
  protocol: string;
  local: string;
  remote: string;
  localPort: number;
  remotePort: number;
  state: Socket['state'];
  recvQ: number;
  /** The table's Send-Q text: a listener's backlog, "?" when the source cannot see it. */
  sendQ: string;
  /** The table's PID/Program cell: every holder, or why there is none. */
  process: string;
  pid?: number;
  user?: string;
  netns?: string;
  container?: string;
  unit?: string;
  holders: RowHolder[];
  firstSeen: number;
}

/** A LabEvent as the page receives it: texts escaped, sockets as rows. */
export type WebLabEvent =
  | Exclude<LabEvent, { type: 'observation' }>
  | { type: 'observation'; index: number; sockets: Row[] }
  /** The run ended (after `done`, or on an error before it). */
  | { type: 'end'; ok: boolean; aborted: boolean };


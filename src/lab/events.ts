// What a lab run reports as it goes, for front ends other than the terminal
// (the web page's lab view, `lab --json` later): one event per thing the
// terminal runner prints. runLab() calls RunOptions.onEvent with them.
import type { Socket } from '../model/socket.js';

/** One packet seen by a capture during a step (see `sockscope trace`). */
export interface LabPacket {
  /** Milliseconds since the epoch. */
  at: number;
  from: { address: string; port: number };
  to: { address: string; port: number };
  /** SYN, ACK, PSH, FIN, RST, URG, ECE, CWR present in the segment. */
  flags: string[];
  /** Sequence and acknowledgement numbers relative to each side's first. */
  seq: number;
  ack?: number;
  window: number;
  length: number;
  /** Marks: 'retransmission', 'zero-window', 'window-probe', 'reset'. */
  marks?: string[];
}

export type LabEvent =
  | { type: 'start'; experiment: string; title: string; steps: number; ports: number[] }
  /** A step begins: its index (0-based) and title, in the run's language. */
  | { type: 'step'; index: number; title: string }
  /** After the step's checks: two or three sentences on what changed and why. */
  | { type: 'explain'; index: number; text: string }
  /** A line the programs' side said ("the client connected"). */
  | { type: 'say'; index: number; text: string }
  /** What the collector saw of the experiment's sockets after the step acted. */
  | { type: 'observation'; index: number; sockets: Socket[] }
  /** One expectation checked: the wanted text, what was seen, and whether it held. */
  | { type: 'expectation'; index: number; expected: string; seen: string; ok: boolean }
  /** Packets captured during the step (lab --packets). */
  | { type: 'packets'; index: number; packets: LabPacket[] }
  | { type: 'done'; ok: boolean; checked: number; failures: number; stopped?: string };

// The shape of a lab experiment: a script of steps. A step does one thing with
// real sockets in child processes (act), says what it expects the collector to
// see (expect), and explains what changed and why (explain). The runner
// (runner.ts) does the rest: observe, check, show, pause, clean up.
import type { Lang, MessageKey } from '../explain/i18n.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Protocol, Socket } from '../model/socket.js';
import type { Agent } from './agent.js';
import type { TracePacket } from '../trace/ladder.js';

/** Placeholder values of a catalog message. */
export type Params = Record<string, string | number>;

/** A wanted value: exactly this, or a bound ("≥ n", "≤ n"). */
export type Want = string | number | { min: number } | { max: number };

/**
 * One observation a step expects, written as a catalog message whose
 * placeholders are filled once with the wanted values ("listener Recv-Q = 3")
 * and once with what the collector saw, under the same names.
 */
export interface Expectation {
  key: MessageKey;
  want: Readonly<Record<string, Want>>;
  /** What was seen, under the names of `want` (and any extra placeholders); undefined: not there at all. */
  seen(o: Observation): Params | undefined;
  /** Checks packets: only when the run captures them (lab --packets), else left out. */
  packets?: boolean;
}

/** What sockscope's collector saw at one moment, narrowed to the experiment's ports. */
export interface Observation {
  snap: Snapshot;
  /** The experiment's sockets: a lab port on a loopback address. */
  sockets: Socket[];
  /** TcpExt counters of /proc/net/netstat at the same moment. */
  tcpExt: ReadonlyMap<string, number>;
  /** Packets captured since the step began (lab --packets); undefined when the run captures none. */
  packets?: readonly TracePacket[];
}

/** What a step may use. */
export interface Lab {
  readonly lang: Lang;
  /** Ports of the experiment: the table and the observation show sockets on these. */
  readonly ports: Set<number>;
  /** Start a child process named `role` (at most 15 characters). */
  start(role: string): Promise<Agent>;
  /** Say one line about what the programs did (a catalog message). */
  say(key: MessageKey, params?: Params): Promise<void>;
  /** The TcpExt counters now. */
  tcpExt(): ReadonlyMap<string, number>;
  /** Run a short program to its end (bounded), with the lab's environment; its stdout. */
  runOnce(command: string, args: readonly string[], timeoutMs?: number): Promise<string>;
}

export interface Step {
  title: MessageKey;
  /** Do one thing with real sockets. */
  act(lab: Lab): Promise<void>;
  /** What the collector should show afterwards; built after act, so it can use ports and pids. */
  expect(lab: Lab): Expectation[];
  /** After the observation: what the programs themselves saw, if worth saying. */
  after?(lab: Lab, o: Observation): Promise<void>;
  /** Two or three sentences: what changed and why. */
  explain: MessageKey;
  explainParams?(o: Observation): Params;
  /** Ask the collector for buffer sizes (socket.memory). */
  memory?: boolean;
  /** How long the kernel may take to get there (default 5 s). */
  timeoutMs?: number;
}

export interface Experiment {
  name: string;
  /** Protocols of the experiment's sockets (default TCP): another program's UDP socket on a lab port number is not ours. */
  protocols?: readonly Protocol[];
  /** One line for `sockscope lab`. */
  summary: MessageKey;
  /** What the experiment shows, before the first step. */
  intro: MessageKey;
  steps: Step[];
  /** Show the packets beside the steps by default, when capturing is allowed (else only with --packets). */
  packets?: boolean;
}

// The shape of doctor's answer, shared by `sockscope doctor`, the exporter's
// `sockscope_doctor_findings` gauge and the library. Types only: the engine
// that fills them is in diagnose.ts (pure, over samples) and sample.ts (I/O).
import type { Socket } from '../model/socket.js';
import type { HostFacts } from '../explain/ports.js';

/** How bad a finding is. Exit status 1 from `doctor` when any is `warning` or worse. */
export type Severity = 'info' | 'warning' | 'critical';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/**
 * Every kind of finding. These strings are public: they are the `finding`
 * label of `sockscope_doctor_findings`, the `kind` field of `doctor --json`,
 * and the names the shipped alert rules match on.
 */
export type FindingKind =
  | 'accept-queue-full'          // a listener's accept queue at/over its backlog (worse when ListenOverflows rises)
  | 'close-wait'                 // sockets left in CLOSE_WAIT by a process, per (process, peer); worse when growing
  | 'ephemeral-ports'            // many local ephemeral ports toward one (local address, remote address, remote port)
  | 'listener-in-ephemeral-range'// a listener whose port lies inside ip_local_port_range
  | 'exposed'                    // a service listening on every interface (not loopback only)
  | 'risky-port'                 // a listener on a port with a history of abuse (the seeds' backdoor list)
  | 'privileged-port'            // a listener on a port below ip_unprivileged_port_start
  | 'send-queue-stuck'           // Send-Q not draining over the check (peer not reading, or gone)
  | 'recv-queue-stuck'           // Recv-Q not draining over the check (the program is not reading)
  | 'syn-sent'                   // SYN_SENT lingering (peer unreachable or filtered)
  | 'retransmissions'            // sockets retransmitting (timer retransmit count), or the host's RetransSegs rising
  | 'fd-limit';                  // a process near its RLIMIT_NOFILE

export const FINDING_KINDS: readonly FindingKind[] = [
  'accept-queue-full', 'close-wait', 'ephemeral-ports', 'listener-in-ephemeral-range',
  'exposed', 'risky-port', 'privileged-port', 'send-queue-stuck', 'recv-queue-stuck',
  'syn-sent', 'retransmissions', 'fd-limit',
];

/** One process named by a finding (the text fields are raw: views escape them). */
export interface FindingProcess {
  pid: number;
  name?: string;
  command?: string;
  user?: string;
}

/** One finding: what, how bad, about whom, the evidence, and the catalog keys that explain it. */
export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** What the finding is about; only the fields that apply are set. */
  subject: {
    protocol?: 'tcp' | 'udp';
    localAddress?: string;
    localPort?: number;
    remoteAddress?: string;
    remotePort?: number;
    processes?: FindingProcess[];
  };
  /**
   * The numbers that justify it, by name (e.g. { queue: 129, backlog: 128,
   * listenOverflowsDelta: 12 }). Every threshold compared against appears here
   * next to the value, so a reader can check the judgement.
   */
  evidence: Record<string, number | string | boolean>;
  /** Up to a few of the sockets concerned, as seen in the last sample (bounded). */
  sockets: Socket[];
  /** How many sockets the finding covers in all (sockets above may be fewer). */
  socketCount: number;
}

/** One look at the machine: what `diagnose` works from. */
export interface DoctorSample {
  /** Milliseconds since the epoch (the snapshot's time). */
  at: number;
  sockets: Socket[];
  /** The namespace's TcpExt and Tcp counters (ListenOverflows, ListenDrops, RetransSegs, ...); empty when unreadable. */
  counters: Map<string, number>;
  /** Open fds and RLIMIT_NOFILE soft limit of processes, by pid, when read (fd-limit finding). */
  fds?: Map<number, { open: number; limit: number; name?: string; command?: string; user?: string }>;
  /**
   * Processes whose fds or limits could not be read when `fds` was filled, by
   * pid, with the reason (an errno code such as EACCES, or ESRCH when it exited):
   * the fd-limit check says it skipped them.
   */
  fdErrors?: Map<number, string>;
}

/** Thresholds; every one documented in docs/doctor.md and overridable with `--threshold name=value`. */
export interface Thresholds {
  [name: string]: number;
}

/** What `doctor` answers: the findings, plus what it could not check and why. */
export interface DoctorReport {
  findings: Finding[];
  /** Samples taken and the time they span (ms). */
  samples: number;
  spanMs: number;
  host: HostFacts;
  thresholds: Thresholds;
  /** Checks that could not run, each with a true reason (catalog key and params). */
  skipped: { check: FindingKind; reason: string; params?: Record<string, string | number> }[];
}

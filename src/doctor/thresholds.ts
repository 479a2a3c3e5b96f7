// Doctor's thresholds: every number a finding is judged against, with its
// default, in one table. Each is documented in docs/doctor.md and can be
// overridden with `sockscope doctor --threshold name=value` (or the library's
// `thresholds` option); a finding's evidence quotes the thresholds it used.
import type { Thresholds } from './types.js';

/** One threshold: its default and the values it accepts. */
export interface ThresholdSpec {
  default: number;
  min: number;
  max: number;
  /** Whole numbers only (counts, bytes). */
  integer: boolean;
}

const count = (d: number, min = 1): ThresholdSpec => ({ default: d, min, max: Number.MAX_SAFE_INTEGER, integer: true });
const ratio = (d: number, max = 1): ThresholdSpec => ({ default: d, min: 0.0001, max, integer: false });
const seconds = (d: number): ThresholdSpec => ({ default: d, min: 0, max: 86400, integer: false });

/** The thresholds by name (kebab-case, as typed after --threshold). */
export const THRESHOLD_SPECS: Readonly<Record<string, ThresholdSpec>> = {
  // accept-queue-full: a listener whose queue reaches this share of its backlog
  // (1 = at or over the backlog, when the kernel starts to drop).
  'accept-queue-ratio': ratio(1, 2),
  // accept-queue-full: this many more ListenOverflows during the check make a
  // full queue critical, and are a warning on their own (the queue drained between looks).
  'listen-overflows': count(1),
  // close-wait: sockets left in CLOSE_WAIT by one process toward one peer.
  'close-wait-count': count(10),
  'close-wait-critical': count(100),
  // close-wait: growth (last look minus first) that makes any number of them a warning.
  'close-wait-growth': count(1),
  // ephemeral-ports: sockets toward one destination, as a share of ip_local_port_range.
  'ephemeral-ratio': ratio(0.5),
  'ephemeral-critical-ratio': ratio(0.9),
  // send-queue-stuck / recv-queue-stuck: bytes that stay queued from the first look
  // to the last, at least queue-stuck-seconds apart ...
  'send-queue-bytes': count(1),
  'recv-queue-bytes': count(1),
  'queue-stuck-seconds': seconds(0.5),
  // ... and "never going down" allows this share of the first look's bytes to go (a queue
  // nobody reads still creeps a little as the kernel packs the receiver's buffer tighter).
  'queue-drain-ratio': { default: 0.1, min: 0, max: 1, integer: false },
  // syn-sent: a connection attempt still in SYN_SENT after this long, or whose
  // SYN the kernel already sent again this many times.
  'syn-sent-seconds': seconds(1),
  'syn-sent-retransmits': count(1),
  // retransmissions: consecutive retransmission timeouts of one socket (the kernel's count).
  'retransmits': count(3),
  // retransmissions (host): RetransSegs rising by at least this many during the check,
  // and making up at least retrans-ratio of the segments sent meanwhile (OutSegs + RetransSegs:
  // Linux's OutSegs leaves retransmissions out).
  'retrans-segs': count(10),
  'retrans-ratio': ratio(0.02),
  // fd-limit: open fds as a share of the process's RLIMIT_NOFILE soft limit.
  'fd-ratio': ratio(0.8),
  'fd-critical-ratio': ratio(0.95),
};

/** Every threshold at its default. */
export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze(
  Object.fromEntries(Object.entries(THRESHOLD_SPECS).map(([k, v]) => [k, v.default])),
) as Thresholds;

/** The defaults with `over` applied (unknown names are ignored here: the CLI refuses them). */
export function withDefaults(over: Partial<Thresholds> = {}): Thresholds {
  const out: Thresholds = { ...DEFAULT_THRESHOLDS };
  for (const [k, v] of Object.entries(over)) if (k in THRESHOLD_SPECS && typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** Why `name=value` is refused, or the parsed pair. */
export type ThresholdParse =
  | { ok: true; name: string; value: number }
  | { ok: false; error: 'syntax' | 'unknown-name' | 'bad-value'; name?: string; value?: string; spec?: ThresholdSpec };

/** Parse one `--threshold name=value`. Pure: the CLI turns a refusal into one line and exit 2. */
export function parseThreshold(text: string): ThresholdParse {
  const eq = text.indexOf('=');
  if (eq <= 0) return { ok: false, error: 'syntax' };
  const name = text.slice(0, eq).trim().toLowerCase();
  const raw = text.slice(eq + 1).trim();
  const spec = THRESHOLD_SPECS[name];
  if (!spec || !Object.prototype.hasOwnProperty.call(THRESHOLD_SPECS, name)) return { ok: false, error: 'unknown-name', name };
  // Plain decimals only: "1e3", "0x10", "Infinity" and "" are refused rather than read oddly.
  const value = /^\d{1,15}(\.\d{1,15})?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value) || value < spec.min || value > spec.max || (spec.integer && !Number.isInteger(value))) {
    return { ok: false, error: 'bad-value', name, value: raw, spec };
  }
  return { ok: true, name, value };
}

// The exporter's metrics as data: one pure function from what a scrape saw
// (sockets, kernel counters, host facts, doctor findings, the scrape's own
// cost) to every series it exports. No I/O, no clock, no prom-client: the
// registry (registry.ts) only copies these series into prom-client's format,
// and the unit tests check the values and the cardinality bound here.
//
// Bounded cardinality (issue 11): no label ever carries a pid, a 4-tuple or a
// peer's port; the labels that could grow with the machine (process names,
// listeners, destinations) are cut to the top N, the rest folded into one
// `other` series. worstCaseSeries() is the bound, docs/metrics.md says it.
import type { HostFacts } from '../explain/ports.js';
import type { Socket, SocketState } from '../model/socket.js';
import { SOCKET_STATES } from '../model/socket.js';
import { isLoopback } from '../model/address.js';
import { safeText } from '../views/safe-text.js';
import { FINDING_KINDS, SEVERITIES, type Finding } from '../doctor/types.js';

/** The top-N cuts. */
export interface ExporterLimits {
  /** Process names kept as `process` label values of sockscope_process_sockets. */
  topProcesses: number;
  /** Listeners kept (sockscope_listener_accept_queue and _backlog). */
  topListeners: number;
  /** Destinations kept (sockscope_ephemeral_ports_used). */
  topDestinations: number;
}

export const DEFAULT_LIMITS: ExporterLimits = { topProcesses: 50, topListeners: 200, topDestinations: 10 };

/** Highest value each --top-* flag accepts (keeps a typo from lifting the bound by orders of magnitude). */
export const MAX_LIMIT = 10_000;

/** Label value of everything past a top-N cut. */
export const OTHER = 'other';
/** Process label of a socket that no process holds (TIME_WAIT, not yet accepted, unreadable holders). */
export const NO_PROCESS = '(none)';
/** Process label of a holder whose name could not be read. */
export const UNKNOWN_PROCESS = '(unknown)';

export type MetricType = 'gauge' | 'counter';

/** One series: its labels and value. */
export interface Series {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** One metric: name, type, label names and its series (none when the value is unknown this scrape). */
export interface MetricFamily {
  name: MetricName;
  type: MetricType;
  labelNames: readonly string[];
  series: Series[];
}

/** Every metric the exporter writes, in the order it writes them. */
export const METRICS = {
  sockscope_sockets: { type: 'gauge', labelNames: ['protocol', 'state'] },
  sockscope_listener_accept_queue: { type: 'gauge', labelNames: ['protocol', 'port', 'bind_scope', 'process'] },
  sockscope_listener_backlog: { type: 'gauge', labelNames: ['protocol', 'port', 'bind_scope', 'process'] },
  sockscope_process_sockets: { type: 'gauge', labelNames: ['process', 'state'] },
  sockscope_tcp_listen_overflows_total: { type: 'counter', labelNames: [] },
  sockscope_tcp_listen_drops_total: { type: 'counter', labelNames: [] },
  sockscope_ephemeral_ports_used: { type: 'gauge', labelNames: ['local_address', 'remote_address', 'remote_port'] },
  sockscope_ephemeral_port_range_size: { type: 'gauge', labelNames: [] },
  sockscope_doctor_findings: { type: 'gauge', labelNames: ['finding', 'severity'] },
  sockscope_scrape_duration_seconds: { type: 'gauge', labelNames: [] },
  sockscope_scrape_cpu_seconds: { type: 'gauge', labelNames: [] },
  sockscope_scan_errors_total: { type: 'counter', labelNames: [] },
  sockscope_unreadable_processes: { type: 'gauge', labelNames: [] },
  sockscope_series_folded: { type: 'gauge', labelNames: ['metric'] },
} as const satisfies Record<string, { type: MetricType; labelNames: readonly string[] }>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** The metrics a top-N cut applies to: the `metric` label values of sockscope_series_folded. */
export const FOLDED_METRICS = [
  'sockscope_listener_accept_queue', 'sockscope_listener_backlog', 'sockscope_process_sockets', 'sockscope_ephemeral_ports_used',
] as const satisfies readonly MetricName[];

/** Everything one scrape saw. */
export interface SeriesInput {
  sockets: readonly Socket[];
  /** False when the source cannot see listen backlogs (/proc/net): no backlog series then. */
  backlogKnown: boolean;
  /** The namespace's TCP counters by name (ListenOverflows, ListenDrops); absent ones are not exported. */
  counters: ReadonlyMap<string, number>;
  host: HostFacts;
  /** Current doctor findings; undefined when no diagnosis ran (no findings series then). */
  findings?: readonly Finding[];
  /** The last collection's cost. */
  scrapeSeconds: number;
  scrapeCpuSeconds: number;
  /** Collections and reads that failed since the exporter started. */
  scanErrors: number;
  /** Processes whose fds could not be read (their sockets show as `(none)`). */
  unreadableProcesses: number;
}

/** Socket states by protocol that are always exported (0 when none): the ones each protocol can be in. */
const TCP_STATES: readonly SocketState[] = SOCKET_STATES.filter((s) => s !== 'UNCONN');
const UDP_STATES: readonly SocketState[] = ['UNCONN', 'ESTABLISHED'];
const STATE_COUNT = SOCKET_STATES.length;
const STATE_INDEX = Object.fromEntries(SOCKET_STATES.map((s, i) => [s, i])) as Record<SocketState, number>;

/**
 * The most series the exporter can write, whatever the machine holds:
 * sockets 2 x 12 (protocol x state), listeners 2 x (L + 1) (queue and
 * backlog, `other` included), process sockets (P + 2) x 12 (the top P names,
 * `(none)` and `other`, x state), ephemeral D + 1, findings 12 x 3, and
 * 11 single series (two counters, range size, scrape duration and CPU, scan
 * errors, unreadable processes, and 4 series_folded).
 */
export function worstCaseSeries(l: ExporterLimits): number {
  const states = SOCKET_STATES.length;
  return 2 * states + 2 * (l.topListeners + 1) + (l.topProcesses + 2) * states + (l.topDestinations + 1) +
    FINDING_KINDS.length * SEVERITIES.length + 7 + FOLDED_METRICS.length;
}

/** Label values kept once per raw name: safeText is cheap, but 100k sockets ask for few distinct names. */
const labelCache = new Map<string, string>();
const RESERVED = new Set([OTHER, NO_PROCESS, UNKNOWN_PROCESS]);
/** Longer than any comm (15 bytes), so no real name can be it. */
const EMPTY_NAME = '(empty process name)';

/**
 * A holder's name as a label value: escaped by safeText (valid UTF-8, no
 * control characters). Any process may call itself "other" or "(none)"; such
 * a name is written "other (process name)", which no real name can be (a
 * comm is at most 15 bytes, and an escaped one has a backslash), so a
 * bucket never passes for a process nor a process for a bucket. An empty
 * name becomes "(empty process name)" (an empty value drops the label).
 */
export function processLabel(name: string | undefined): string {
  if (name === undefined) return UNKNOWN_PROCESS;
  let v = labelCache.get(name);
  if (v === undefined) {
    v = safeText(name);
    // An empty label value means "no such label" to Prometheus: an empty name is said.
    if (v === '') v = EMPTY_NAME;
    else if (RESERVED.has(v)) v = `${v} (process name)`;
    if (labelCache.size >= 4096) labelCache.clear();
    labelCache.set(name, v);
  }
  return v;
}

/** `loopback`, `all` or `address`, as the contract names a listener's reach. */
export function bindScopeLabel(address: string): 'loopback' | 'all' | 'address' {
  if (address === '0.0.0.0' || address === '::') return 'all';
  return isLoopback(address) ? 'loopback' : 'address';
}

/** The process label of a listener: the name of its lowest pid (the parent of a forking server), or `(none)`. */
function holderName(s: Socket): string {
  const hs = s.holders;
  if (hs.length === 0) return NO_PROCESS;
  let best = hs[0]!;
  for (let i = 1; i < hs.length; i++) if (hs[i]!.pid < best.pid) best = hs[i]!;
  return processLabel(best.name);
}

interface ListenerGroup {
  port: number;
  scope: string;
  process: string;
  queue: number;
  backlog: number | undefined;
}

/**
 * Of two listeners with the same labels (SO_REUSEPORT siblings, 0.0.0.0 and
 * :: of one server), the one nearer to overflowing: largest queue - backlog,
 * so that `queue >= backlog` holds for the series exactly when it holds for
 * one of them. Without backlogs, the larger queue.
 */
function worse(a: { queue: number; backlog: number | undefined }, b: { queue: number; backlog: number | undefined }): boolean {
  const da = a.queue - (a.backlog ?? 0);
  const db = b.queue - (b.backlog ?? 0);
  return da !== db ? da > db : a.queue > b.queue;
}

/** Listeners with something queued first (the nearest to overflowing first), then by port: the order of the cut. */
function listenerOrder(a: ListenerGroup, b: ListenerGroup): number {
  const qa = a.queue > 0 ? 0 : 1;
  const qb = b.queue > 0 ? 0 : 1;
  if (qa !== qb) return qa - qb;
  if (qa === 0) {
    const d = (b.queue - (b.backlog ?? 0)) - (a.queue - (a.backlog ?? 0));
    if (d !== 0) return d;
  }
  return a.port - b.port || cmp(a.scope, b.scope) || cmp(a.process, b.process);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function family(name: MetricName, series: Series[]): MetricFamily {
  return { name, type: METRICS[name].type, labelNames: METRICS[name].labelNames, series };
}

/** Every series of one scrape. Pure: the same input gives the same series, in the same order. */
export function buildSeries(input: SeriesInput, limits: ExporterLimits = DEFAULT_LIMITS): MetricFamily[] {
  const sockets = input.sockets;
  const eph = input.host.ephemeral;

  // One pass over the sockets: states, listeners, process names, and the
  // local ports that are listening (their connections are not ephemeral).
  // Counts per state are arrays indexed like SOCKET_STATES: this loop runs
  // once per socket, 100k times a scrape on a busy server.
  const byState = { tcp: new Array<number>(STATE_COUNT).fill(0), udp: new Array<number>(STATE_COUNT).fill(0) };
  const listeners = new Map<string, ListenerGroup>();
  const listening = new Set<number>();
  // process label -> counts by state
  const byProcess = new Map<string, number[]>();
  const bump = (name: string, st: number): void => {
    let m = byProcess.get(name);
    if (!m) byProcess.set(name, m = new Array<number>(STATE_COUNT).fill(0));
    m[st]!++;
  };
  // TCP connections whose local port is in the ephemeral range: counted per
  // destination below, once every listening port is known.
  const candidates: Socket[] = [];
  const lo = eph ? eph[0] : 1;
  const hi = eph ? eph[1] : 0;
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    const state = s.state;
    const st = STATE_INDEX[state];
    const protocol = s.protocol;
    byState[protocol][st]!++;
    if (protocol === 'tcp' && state !== 'LISTEN') {
      const lp = s.localPort;
      if (lp >= lo && lp <= hi && s.remotePort !== 0) candidates.push(s);
    }
    const hs = s.holders;
    if (hs.length === 0) bump(NO_PROCESS, st);
    else if (hs.length === 1) bump(processLabel(hs[0]!.name), st);
    else {
      // A shared socket counts once for each distinct name among its holders.
      const names = new Set(hs.map((h) => processLabel(h.name)));
      for (const n of names) bump(n, st);
    }
    if (protocol === 'tcp' && state === 'LISTEN') {
      listening.add(s.localPort);
      const g: ListenerGroup = {
        port: s.localPort, scope: bindScopeLabel(s.localAddress), process: holderName(s),
        queue: s.recvQ, backlog: input.backlogKnown ? s.backlog : undefined,
      };
      const key = `${g.port}|${g.scope}|${g.process}`;
      const had = listeners.get(key);
      if (!had) listeners.set(key, g);
      else if (worse(g, had)) { had.queue = g.queue; had.backlog = g.backlog; }
    }
  }

  const out: MetricFamily[] = [];
  const socketsSeries: Series[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const always = protocol === 'tcp' ? TCP_STATES : UDP_STATES;
    SOCKET_STATES.forEach((state, k) => {
      const value = byState[protocol][k]!;
      if (value > 0 || always.includes(state)) socketsSeries.push({ labels: { protocol, state }, value });
    });
  }
  out.push(family('sockscope_sockets', socketsSeries));

  // Listeners: top L, the rest folded into one `other` series (the worst of them).
  const groups = [...listeners.values()].sort(listenerOrder);
  const kept = groups.slice(0, limits.topListeners);
  const folded = groups.slice(limits.topListeners);
  const queueSeries: Series[] = [];
  const backlogSeries: Series[] = [];
  const emit = (labels: Record<string, string>, g: { queue: number; backlog: number | undefined }): void => {
    queueSeries.push({ labels, value: g.queue });
    if (g.backlog !== undefined) backlogSeries.push({ labels, value: g.backlog });
  };
  for (const g of kept) emit({ protocol: 'tcp', port: String(g.port), bind_scope: g.scope, process: g.process }, g);
  if (folded.length) {
    let w = folded[0]!;
    for (const g of folded) if (worse(g, w)) w = g;
    emit({ protocol: 'tcp', port: OTHER, bind_scope: OTHER, process: OTHER }, w);
  }
  out.push(family('sockscope_listener_accept_queue', queueSeries));
  out.push(family('sockscope_listener_backlog', input.backlogKnown ? backlogSeries : []));

  // Process names: top P by socket count; `(none)` is not a name and is always kept.
  const totals: { name: string; n: number }[] = [];
  for (const [name, m] of byProcess) {
    if (name === NO_PROCESS) continue;
    let n = 0;
    for (const v of m) n += v;
    totals.push({ name, n });
  }
  totals.sort((a, b) => b.n - a.n || cmp(a.name, b.name));
  const processSeries: Series[] = [];
  const pushStates = (process: string, m: readonly number[]): void => {
    SOCKET_STATES.forEach((state, k) => {
      if (m[k]) processSeries.push({ labels: { process, state }, value: m[k]! });
    });
  };
  for (const t of totals.slice(0, limits.topProcesses)) pushStates(t.name, byProcess.get(t.name)!);
  const none = byProcess.get(NO_PROCESS);
  if (none) pushStates(NO_PROCESS, none);
  const foldedNames = totals.slice(limits.topProcesses);
  if (foldedNames.length) {
    const other = new Array<number>(STATE_COUNT).fill(0);
    for (const t of foldedNames) byProcess.get(t.name)!.forEach((v, k) => { other[k]! += v; });
    pushStates(OTHER, other);
  }
  out.push(family('sockscope_process_sockets', processSeries));

  const counter = (name: MetricName, key: string): void => {
    const v = input.counters.get(key);
    // A counter is never negative; a value that is (a forged tree) is not a count.
    out.push(family(name, v === undefined || v < 0 ? [] : [{ labels: {}, value: v }]));
  };
  counter('sockscope_tcp_listen_overflows_total', 'ListenOverflows');
  counter('sockscope_tcp_listen_drops_total', 'ListenDrops');

  // Ephemeral ports: TCP connections whose local port lies in this host's
  // range and is not a listening port (those are the server side of inbound
  // connections), counted per destination, TIME_WAIT included.
  const ephSeries: Series[] = [];
  let foldedDest = 0;
  if (eph) {
    type Dest = { local: string; remote: string; port: number; n: number };
    // local -> remote -> port: lookups by the sockets' own strings, no key
    // built per socket. A remote seen with one port holds its Dest directly
    // (the common case, and no Map made per peer when there are 100k peers).
    const dest = new Map<string, Map<string, Dest | Map<number, Dest>>>();
    const all: Dest[] = [];
    const fresh = (s: Socket): Dest => {
      const d = { local: s.localAddress, remote: s.remoteAddress, port: s.remotePort, n: 1 };
      all.push(d);
      return d;
    };
    for (let i = 0; i < candidates.length; i++) {
      const s = candidates[i]!;
      if (listening.has(s.localPort)) continue;
      let byRemote = dest.get(s.localAddress);
      if (!byRemote) dest.set(s.localAddress, byRemote = new Map());
      const at = byRemote.get(s.remoteAddress);
      if (at === undefined) byRemote.set(s.remoteAddress, fresh(s));
      else if (at instanceof Map) {
        const d = at.get(s.remotePort);
        if (d) d.n++;
        else at.set(s.remotePort, fresh(s));
      } else if (at.port === s.remotePort) at.n++;
      else byRemote.set(s.remoteAddress, new Map([[at.port, at], [s.remotePort, fresh(s)]]));
    }
    const ranked = all.sort((a, b) => b.n - a.n || cmp(a.remote, b.remote) || a.port - b.port || cmp(a.local, b.local));
    for (const d of ranked.slice(0, limits.topDestinations)) {
      ephSeries.push({ labels: { local_address: d.local, remote_address: d.remote, remote_port: String(d.port) }, value: d.n });
    }
    const rest = ranked.slice(limits.topDestinations);
    foldedDest = rest.length;
    if (rest.length) {
      let n = 0;
      for (const d of rest) n += d.n;
      ephSeries.push({ labels: { local_address: OTHER, remote_address: OTHER, remote_port: OTHER }, value: n });
    }
  }
  out.push(family('sockscope_ephemeral_ports_used', ephSeries));
  out.push(family('sockscope_ephemeral_port_range_size', eph ? [{ labels: {}, value: eph[1] - eph[0] + 1 }] : []));

  const findingSeries: Series[] = [];
  if (input.findings) {
    const counts = new Map<string, number>();
    for (const f of input.findings) counts.set(`${f.kind} ${f.severity}`, (counts.get(`${f.kind} ${f.severity}`) ?? 0) + 1);
    for (const finding of FINDING_KINDS) {
      for (const severity of SEVERITIES) findingSeries.push({ labels: { finding, severity }, value: counts.get(`${finding} ${severity}`) ?? 0 });
    }
  }
  out.push(family('sockscope_doctor_findings', findingSeries));

  out.push(family('sockscope_scrape_duration_seconds', [{ labels: {}, value: input.scrapeSeconds }]));
  out.push(family('sockscope_scrape_cpu_seconds', [{ labels: {}, value: input.scrapeCpuSeconds }]));
  out.push(family('sockscope_scan_errors_total', [{ labels: {}, value: input.scanErrors }]));
  out.push(family('sockscope_unreadable_processes', [{ labels: {}, value: input.unreadableProcesses }]));
  const foldedBy: Record<(typeof FOLDED_METRICS)[number], number> = {
    sockscope_listener_accept_queue: folded.length,
    sockscope_listener_backlog: input.backlogKnown ? folded.length : 0,
    sockscope_process_sockets: foldedNames.length,
    sockscope_ephemeral_ports_used: foldedDest,
  };
  out.push(family('sockscope_series_folded', FOLDED_METRICS.map((metric) => ({ labels: { metric }, value: foldedBy[metric] }))));
  return out;
}

/** How many series these families hold. */
export function seriesCount(families: readonly MetricFamily[]): number {
  let n = 0;
  for (const f of families) n += f.series.length;
  return n;
}

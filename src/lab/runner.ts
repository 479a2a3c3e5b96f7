// Runs one experiment: for each step, act, then watch the machine through
// sockscope's own collector until the step's expectations hold (or the kernel
// has had its time), show the rows, the checks and the explanation, and wait
// for Enter unless running straight through. Whatever happens (a failed step,
// a crashed child, Ctrl-C, an exception), every child is stopped and the run
// checks that nothing it started is still running or bound.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { listSockets } from '../index.js';
import { msg, type Lang, type MessageKey } from '../explain/i18n.js';
import { sortSockets } from '../model/sort.js';
import type { Protocol, Socket } from '../model/socket.js';
import { readTcpExt } from '../collectors/procfs/snmp.js';
import { renderTable } from '../views/table.js';
import { safeText } from '../views/safe-text.js';
import { displayWidth, paint, type Sink } from '../views/sink.js';
import { AgentPool, liveGroupMembers, type Agent } from './agent.js';
import { isLabSocket, satisfies, wantParams } from './observe.js';
import type { Expectation, Experiment, Lab, Observation, Params, Step } from './types.js';
import type { LabEvent, LabPacket } from './events.js';
import { LabPackets } from './packets.js';
import { CaptureError } from '../trace/capture.js';
import { holderNames, renderLadder, type TracePacket } from '../trace/ladder.js';

export interface RunOptions {
  lang: Lang;
  sink: Sink;
  /** Paint with colours. */
  color?: boolean;
  /** Terminal width (tables are cut to it, prose wrapped); undefined: a pipe. */
  width?: number;
  /** Run straight through; otherwise wait for Enter between steps. */
  auto: boolean;
  /** Wait for the person to press Enter; resolves false when input has ended (then the run goes on without pausing). */
  waitForEnter?: () => Promise<boolean>;
  /** Aborting stops the run at once (Ctrl-C); everything is cleaned up. */
  signal?: AbortSignal;
  source?: 'auto' | 'netlink' | 'proc';
  procRoot?: string;
  /** Put into every child's environment as SOCKSCOPE_LAB_ID (tests find leftovers by it). */
  labId?: string;
  /** Seconds a child lives without hearing from the lab. */
  childTtlSeconds?: number;
  /** Told of every step, observation and expectation as the run goes (src/lab/events.ts). */
  onEvent?: (e: LabEvent) => void;
  /**
   * Capture the packets of a TCP experiment and show them beside its steps:
   * true (--packets), false (--no-packets), or undefined: the experiment's
   * default (backlog, close, buffers). Needs root or CAP_NET_RAW and tcpdump;
   * without them one note says why and the run goes on.
   */
  packets?: boolean;
}

export interface Failure {
  step: number;
  title: string;
  expected: string;
  seen: string;
}

export interface LabResult {
  /** Every expectation held, no child crashed, nothing was left behind. */
  ok: boolean;
  /** Stopped by the signal (Ctrl-C). */
  aborted: boolean;
  checked: number;
  failures: Failure[];
  /** Why the run stopped early (a child crashed, a step threw). */
  stopped?: { step: number; detail: string };
  /** Every process the lab started (process group leaders). */
  pids: number[];
  ports: number[];
  /** What the final check found still running or bound. */
  leftover: { pids: number[]; sockets: Socket[] };
  /** TIME_WAIT entries left with the kernel (held by no process). */
  timeWait: number;
}

class Aborted extends Error {
  constructor() {
    super('aborted');
  }
}

const POLL_MS = 150;

/** Wrap text to `width` terminal columns (CJK may break anywhere), indented. */
export function wrap(text: string, width: number, indent = '', first = indent): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    const tokens = para.match(/[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef][，。；：、）」』”]*|\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+/g) ?? [''];
    let line = '';
    for (const t of tokens) {
      const lead = out.length ? indent : first;
      if (line !== '' && displayWidth(lead + line + t) > width && !/^\s+$/.test(t)) {
        out.push(lead + line.trimEnd());
        line = '';
      }
      if (line === '' && /^\s+$/.test(t)) continue;
      line += t;
    }
    out.push((out.length ? indent : first) + line.trimEnd());
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted());
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(new Aborted()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reject as soon as the signal fires. */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  // Whatever p does after we stop waiting for it must not become an unhandled rejection.
  p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new Aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

/** Run one experiment. Never leaves a child behind; see LabResult. */
export async function runLab(exp: Experiment, o: RunOptions): Promise<LabResult> {
  const L = o.lang;
  const width = o.width ?? 100;
  const t = (key: MessageKey, p?: Params): string => msg(L, key, p);
  const out = async (line = ''): Promise<void> => { const w = o.sink.line(line); if (w) await w; };
  const prose = async (text: string, indent = '  ', first = indent): Promise<void> => {
    for (const l of wrap(text, Math.min(width, 100), indent, first)) await out(l);
  };
  // A listener that throws must not stop the run: front ends are told, never in charge.
  const emit = (e: LabEvent): void => {
    try { o.onEvent?.(e); } catch { /* ignored */ }
  };
  // The packets (src/lab/packets.ts): decided before the run, followed as the experiment picks its ports.
  let packets: LabPackets | undefined;
  let packetsNote: string | undefined;
  const wantPackets = (o.packets ?? exp.packets === true) && (exp.protocols ?? ['tcp']).includes('tcp');
  const pool = new AgentPool(o.labId ?? `lab-${process.pid}-${randomBytes(4).toString('hex')}`, o.childTtlSeconds ?? 30);
  const ports = new Set<number>();
  const result: LabResult = { ok: false, aborted: false, checked: 0, failures: [], pids: [], ports: [], leftover: { pids: [], sockets: [] }, timeWait: 0 };
  const procRoot = o.procRoot ?? '/proc';
  const protocols = exp.protocols ?? ['tcp'];

  const lab: Lab = {
    lang: L,
    ports,
    start: (role) => abortable(pool.start(role).then((a) => followPorts(a)), o.signal),
    say: async (key, p) => {
      const text = t(key, p);
      emit({ type: 'say', index: stepNo - 1, text });
      await prose(text, '    ', `  ${paint(o.color === true, 'dim', '·')} `);
    },
    tcpExt: () => readTcpExt(procRoot),
    runOnce: (command, args, timeoutMs = 10_000) => abortable((packets?.follow() ?? Promise.resolve()).then(() => new Promise<string>((resolve, reject) => {
      execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', env: { ...process.env, SOCKSCOPE_LAB_ID: pool.labId } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)));
    })), o.signal),
  };

  const observe = async (step: Step): Promise<Observation> => {
    const snap = await listSockets({
      source: o.source, procRoot: o.procRoot, memory: step.memory,
      filter: { all: true, ports: [...ports], protocols },
    });
    const sockets = snap.sockets.filter((s) => isLabSocket(s, ports));
    return { snap, sockets, tcpExt: readTcpExt(procRoot), packets: capturing() ? packets!.packetsSince(stepMark) : undefined };
  };
  const capturing = (): boolean => packets !== undefined && packets.failure === undefined;
  let stepMark = 0;
  // Every call into a child waits until the capture follows the ports added so far: nothing is missed.
  const followPorts = (a: Agent): Agent => {
    if (!packets) return a;
    const run = a.run.bind(a);
    a.run = async (...args: Parameters<Agent['run']>) => { await packets?.follow(); return run(...args); };
    return a;
  };

  // `expected` is the message with the wanted values, `seen` the same message with what was seen.
  const check = (e: Expectation, obs: Observation): { ok: boolean; expected: string; seen: string; bounds: string } => {
    const wanted = wantParams(e.want);
    const bounds = Object.entries(e.want).filter(([, w]) => typeof w === 'object').map(([k]) => wanted[k]).join(', ');
    const expected = t(e.key, wanted);
    let got: Params | undefined;
    try {
      got = e.seen(obs);
    } catch {
      got = undefined;
    }
    if (!got) return { ok: false, expected, seen: t('lab.not-seen'), bounds };
    const ok = Object.entries(e.want).every(([k, w]) => satisfies(w, got![k]));
    return { ok, expected, seen: t(e.key, { ...wanted, ...got }), bounds };
  };

  let stepNo = 0;
  try {
    emit({ type: 'start', experiment: exp.name, title: t(exp.summary), steps: exp.steps.length, ports: [...ports] });
    await out(paint(o.color === true, 'bold', t('lab.header', { name: exp.name, summary: t(exp.summary) })));
    await prose(t(exp.intro), '');
    if (wantPackets) {
      try {
        await abortable(LabPackets.probe(), o.signal);
        packets = LabPackets.start({ ports, protocols, source: o.source, procRoot: o.procRoot });
      } catch (e) {
        if (!(e instanceof CaptureError)) throw e;
        packetsNote = t(`trace.err.${e.kind}` as MessageKey, { detail: safeText(e.detail) });
        await out();
        await prose(t('lab.packets.unavailable', { why: packetsNote }), '');
      }
    }
    const n = exp.steps.length;
    let pausing = !o.auto;
    for (const step of exp.steps) {
      stepNo++;
      await out();
      await out(paint(o.color === true, 'bold', t('lab.step', { i: stepNo, n, title: t(step.title) })));
      emit({ type: 'step', index: stepNo - 1, title: t(step.title) });
      stepMark = packets?.mark() ?? 0;
      const stepStart = Date.now();
      await abortable(step.act(lab), o.signal);
      await packets?.follow();
      if (packets?.failure && packetsNote === undefined) {
        // A capture that could start before and cannot now (tcpdump killed, a resource gone): said once, the run goes on.
        packetsNote = t(`trace.err.${packets.failure.kind}` as MessageKey, { detail: safeText(packets.failure.detail) });
        await prose(t('lab.packets.unavailable', { why: packetsNote }), '  ');
      }
      // Packet expectations only when packets are captured.
      const exps = step.expect(lab).filter((e) => !e.packets || capturing());
      // Watch until every expectation holds or the kernel has had its time.
      const timeoutMs = step.timeoutMs ?? 5000;
      const deadline = Date.now() + timeoutMs;
      const maxPolls = Math.ceil(timeoutMs / POLL_MS) + 1;
      let obs = await abortable(observe(step), o.signal);
      let checks = exps.map((e) => check(e, obs));
      for (let k = 0; k < maxPolls && Date.now() < deadline && !checks.every((c) => c.ok); k++) {
        const crashed = pool.crashed();
        if (crashed) break;
        await sleep(POLL_MS, o.signal);
        obs = await abortable(observe(step), o.signal);
        checks = exps.map((e) => check(e, obs));
      }
      const crashed = pool.crashed();
      if (crashed) {
        throw new Error(t('lab.child-exited', {
          role: crashed.role, pid: crashed.pid, how: crashed.exit?.signal ?? `code ${crashed.exit?.code}`,
          stderr: crashed.stderrTail() || '-',
        }));
      }
      if (step.after) await abortable(step.after(lab, obs), o.signal);
      await out();
      const rows = labOrder(obs.sockets);
      emit({ type: 'observation', index: stepNo - 1, sockets: rows });
      for (const c of checks) emit({ type: 'expectation', index: stepNo - 1, expected: c.expected, seen: c.seen, ok: c.ok });
      await renderTable(rows, o.sink, { color: o.color === true, width: o.width, numeric: true, lang: L });
      if (!rows.length) await out(t('lab.no-rows'));
      await out();
      if (capturing()) {
        await abortable(packets!.settle(), o.signal);
        const events = packets!.eventsSince(stepMark);
        const stepPackets = events.filter((e): e is TracePacket => e.type === 'packet');
        emit({ type: 'packets', index: stepNo - 1, packets: stepPackets.map(labPacket) });
        await out(paint(o.color === true, 'bold', t('lab.packets.title', { n: stepPackets.length })));
        if (!stepPackets.length) await out(t('lab.packets.none'));
        else {
          for (const l of renderLadder(events, { t, color: o.color === true, names: holderNames(obs.sockets, t), start: stepStart,
            serverPorts: new Set(obs.sockets.filter((x) => x.state === 'LISTEN').map((x) => x.localPort)) })) {
            // What a mark means is prose (wrapped); the ladder's rows are not.
            if (l.startsWith('[')) await prose(l, '    ', '  ');
            else await out(l ? `  ${l}` : '');
          }
        }
        await out();
      }
      for (const c of checks) {
        result.checked++;
        if (c.ok) {
          // What was seen; and the bounds it was held to, if any ("expected ≥2").
          const tail = c.bounds ? t('lab.held-bound', { bounds: c.bounds }) : '';
          for (const l of wrap(c.seen + tail, Math.min(width, 100), '    ', `  ${paint(o.color === true, 'green', '✓')} `)) await out(l);
        } else {
          for (const l of wrap(t('lab.expected', { expected: c.expected }), Math.min(width, 100), '    ', `  ${paint(o.color === true, 'red', '✗')} `)) await out(l);
          await prose(t('lab.saw', { seen: c.seen }), '    ');
          result.failures.push({ step: stepNo, title: t(step.title), expected: c.expected, seen: c.seen });
        }
      }
      if (checks.some((c) => !c.ok)) await prose(t('lab.kernel-differs'), '  ');
      await out();
      const explanation = t(step.explain, step.explainParams?.(obs) ?? {});
      emit({ type: 'explain', index: stepNo - 1, text: explanation });
      await prose(explanation);
      const f = o.sink.flush();
      if (f) await f;
      if (pausing && stepNo < n && o.waitForEnter) {
        await out();
        await out(t('lab.prompt', { i: stepNo + 1, n }));
        const f2 = o.sink.flush();
        if (f2) await f2;
        const more = await abortable(o.waitForEnter(), o.signal);
        if (!more) pausing = false;
      }
    }
  } catch (e) {
    if (e instanceof Aborted || o.signal?.aborted) {
      result.aborted = true;
    } else {
      result.stopped = { step: stepNo, detail: e instanceof Error ? e.message : String(e) };
    }
  } finally {
    result.pids = pool.pids();
    result.ports = [...ports].sort((a, b) => a - b);
    await packets?.stop().catch(() => undefined);
    await pool.stopAll();
    await verifyClean(pool, ports, protocols, o, result);
  }

  // The summary.
  await out();
  if (result.aborted) await out(t('lab.result.aborted', { step: stepNo }));
  if (result.stopped) await prose(t('lab.result.stopped', result.stopped), '');
  if (!result.aborted) {
    if (!result.failures.length && !result.stopped) await out(paint(o.color === true, 'green', t('lab.result.ok', { n: result.checked })));
    else if (result.failures.length) {
      await out(paint(o.color === true, 'red', t('lab.result.failed', { failed: result.failures.length, n: result.checked })));
      for (const f of result.failures) await prose(t('lab.result.failure', { ...f }), '  ');
    }
  }
  const procs = result.pids.length;
  if (!result.leftover.pids.length && !result.leftover.sockets.length) {
    await prose(t('lab.cleanup.done', { n: procs, ports: result.ports.join(', ') || '-' }), '');
  } else {
    await prose(t('lab.cleanup.left', {
      pids: result.leftover.pids.join(', ') || '-',
      sockets: result.leftover.sockets.map((s) => `${s.protocol} ${s.localAddress}:${s.localPort} ${s.state}`).join(', ') || '-',
    }), '');
  }
  if (result.timeWait) await prose(t('lab.cleanup.time-wait', { n: result.timeWait }), '');
  const f = o.sink.flush();
  if (f) await f;
  result.ok = !result.aborted && !result.stopped && !result.failures.length && !result.leftover.pids.length && !result.leftover.sockets.length;
  emit({
    type: 'done', ok: result.ok, checked: result.checked, failures: result.failures.length,
    stopped: result.aborted ? 'aborted' : result.stopped?.detail,
  });
  return result;
}

/**
 * Rows in the order a reader follows an experiment: for each protocol, the
 * servers' sockets first (a listener or bound UDP socket, then the connections
 * on its port), then the clients', each group by port.
 */
export function labOrder(sockets: readonly Socket[]): Socket[] {
  const rows = sortSockets([...sockets], 'proto');
  const serverPorts = new Set(rows.filter((s) => s.state === 'LISTEN' || (s.protocol === 'udp' && s.remotePort === 0)).map((s) => `${s.protocol} ${s.localPort}`));
  const rank = (s: Socket): number => (s.protocol === 'tcp' ? 0 : 4) + (serverPorts.has(`${s.protocol} ${s.localPort}`) ? (s.state === 'LISTEN' ? 0 : 1) : 2);
  // Array.prototype.sort is stable: within a rank the 'proto' order stays.
  return rows.sort((a, b) => rank(a) - rank(b) || (rank(a) % 4 === 1 ? a.localPort - b.localPort : 0));
}

/**
 * After stopAll: no member of any group we started may still run, and no
 * socket on our ports may remain except TIME_WAIT (kernel-only, no process,
 * counted and said). Waits up to 3 s for the kernel to finish the RSTs.
 */
async function verifyClean(pool: AgentPool, ports: ReadonlySet<number>, protocols: readonly Protocol[], o: RunOptions,
  result: LabResult): Promise<void> {
  const pgids = pool.pids();
  for (let i = 0; i < 20; i++) {
    result.leftover.pids = liveGroupMembers(pgids, o.procRoot ?? '/proc');
    const ours = new Set(result.leftover.pids);
    let sockets: Socket[] = [];
    if (ports.size) {
      try {
        const snap = await listSockets({ source: o.source, procRoot: o.procRoot, filter: { all: true, ports: [...ports], protocols } });
        // A socket held only by processes that are not ours belongs to another program that uses the same port number.
        sockets = snap.sockets.filter((s) => isLabSocket(s, ports) && (!s.holders.length || s.holders.some((h) => ours.has(h.pid))));
      } catch {
        sockets = [];
      }
    }
    result.timeWait = sockets.filter((s) => s.state === 'TIME_WAIT').length;
    result.leftover.sockets = sockets.filter((s) => s.state !== 'TIME_WAIT');
    if (!result.leftover.pids.length && !result.leftover.sockets.length) return;
    for (const pid of result.leftover.pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

export type { Agent };

/** A ladder packet as the lab's `packets` event carries it. */
function labPacket(p: TracePacket): LabPacket {
  const l: LabPacket = { at: p.at, from: p.from, to: p.to, flags: [...p.flags], seq: p.seq, window: p.window, length: p.length };
  if (p.ack !== undefined) l.ack = p.ack;
  if (p.marks) l.marks = [...p.marks];
  return l;
}

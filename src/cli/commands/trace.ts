// sockscope trace: the packets of a port, an endpoint, a connection or a
// process, drawn as a ladder with the socket states sockscope's collector saw
// beside them (src/trace/). Capturing needs root or CAP_NET_RAW and tcpdump.
import { parseArgs, parsePid, UsageError, type OptionSpec, secondsOption } from '../args.js';
import { note, query, type Io } from '../common.js';
import { msg, type MessageKey } from '../../explain/i18n.js';
import type { Protocol } from '../../model/socket.js';
import { safeText } from '../../views/safe-text.js';
import { CaptureError } from '../../trace/capture.js';
import { renderLadder, viewOf, viewText, type TraceEvent } from '../../trace/ladder.js';
import { TraceSession } from '../../trace/session.js';
import { endpointTarget, parseEndpoint, pidTarget, tupleTarget, type TraceTarget } from '../../trace/target.js';

const SPECS: readonly OptionSpec[] = [
  { name: 'pid', value: true },
  { name: 'duration', value: true },
  { name: 'count', value: true },
  { name: 'interface', value: true },
  { name: 'json' },
  { name: 'tcp', short: 't' },
  { name: 'udp', short: 'u' },
  { name: 'help', short: 'h' },
];

/** Defaults (docs/trace.md): 30 s, 1000 packets; at most an hour and 100 000 packets. */
export const TRACE_DEFAULTS = { durationSeconds: 30, count: 1000, maxDurationSeconds: 3600, maxCount: 100_000, lookMs: 50 } as const;


/** Why a capture could not start, said the way the user reads it. */
export function captureErrorText(e: CaptureError, t: (k: MessageKey, p?: Record<string, string | number>) => string): string {
  return t(`trace.err.${e.kind}` as MessageKey, { detail: safeText(e.detail) });
}

export async function traceCommand(argv: string[], io: Io): Promise<number> {
  const L = io.global.lang;
  const t = (k: MessageKey, params?: Record<string, string | number>): string => msg(L, k, params);
  if (io.global.source === 'lsof') throw new UsageError('err.source-lsof-live');
  const p = parseArgs(argv, SPECS);
  if (p.flags.has('help')) {
    await io.stdout.line(t('help.trace'));
    return 0;
  }
  const protocols: Protocol[] = [];
  if (p.flags.has('tcp')) protocols.push('tcp');
  if (p.flags.has('udp')) protocols.push('udp');
  if (!protocols.length) protocols.push('tcp', 'udp');
  const duration = secondsOption(p, 'duration', TRACE_DEFAULTS.durationSeconds, 0.1, TRACE_DEFAULTS.maxDurationSeconds);
  const countText = p.values.get('count')?.[0];
  if (countText !== undefined && (!/^[1-9]\d{0,8}$/.test(countText) || Number(countText) > TRACE_DEFAULTS.maxCount)) {
    throw new UsageError('err.invalid-count', { text: countText });
  }
  const count = countText === undefined ? TRACE_DEFAULTS.count : Number(countText);
  const iface = p.values.get('interface')?.[0] ?? 'any';
  // Passed to tcpdump as one argument (no shell); still, only an interface name's characters.
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(iface)) throw new UsageError('trace.err.interface', { text: iface });
  const pidText = p.values.get('pid')?.[0];
  if (pidText !== undefined && p.positionals.length) throw new UsageError('trace.err.pid-and-target');
  if (p.positionals.length > 2) throw new UsageError('trace.err.args', { args: p.positionals.join(' ') });

  let target: TraceTarget | undefined;
  if (pidText !== undefined) {
    const pid = parsePid(pidText);
    const snap = await query(io, { filter: { all: true, pids: [pid], protocols } });
    target = pidTarget(pid, snap.sockets, protocols);
    if (!target) {
      io.stderr(`sockscope: ${t('trace.err.pid-no-sockets', { pid })}`);
      return 1;
    }
  } else {
    const ends = p.positionals.map((a) => {
      const e = parseEndpoint(a);
      if (!e) throw new UsageError('trace.err.target', { text: a });
      return e;
    });
    if (!ends.length) throw new UsageError('trace.err.nothing');
    target = ends.length === 1 ? endpointTarget(ends[0]!, protocols) : tupleTarget(ends[0]!, ends[1]!, protocols);
  }

  const json = p.flags.has('json');
  const write = (e: TraceEvent): void => { void io.stdout.line(JSON.stringify(e)); };
  const started = Date.now();
  let session: TraceSession;
  try {
    session = await TraceSession.start({
      iface, bpf: target.bpf, ports: target.ports, protocols, match: target.match, count, durationMs: duration * 1000,
      intervalMs: TRACE_DEFAULTS.lookMs, source: io.global.source, procRoot: io.global.procRoot,
      onEvent: json ? write : undefined,
    });
  } catch (e) {
    if (e instanceof CaptureError) {
      io.stderr(`sockscope: ${captureErrorText(e, t)}`);
      return 3;
    }
    throw e;
  }
  note(io, t('trace.capturing', { target: safeText(target.text), iface, count, seconds: duration }));
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (): void => { void session.stop(); };
  for (const s of signals) process.on(s, onSignal);
  let result;
  try {
    await session.done;
    result = await session.stop();
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  const packets = result.events.filter((e) => e.type === 'packet').length;
  const states = result.events.length - packets;
  const why = t(`trace.end.${result.end}` as MessageKey, { detail: safeText(result.detail ?? '') });
  if (!json) {
    if (result.before.length) {
      await io.stdout.line(t('trace.before'));
      for (const s of result.before) {
        const local = s.localAddress.includes(':') ? `[${s.localAddress}]:${s.localPort}` : `${s.localAddress}:${s.localPort}`;
        const remote = s.remotePort ? (s.remoteAddress.includes(':') ? ` ↔ [${s.remoteAddress}]:${s.remotePort}` : ` ↔ ${s.remoteAddress}:${s.remotePort}`) : '';
        await io.stdout.line(`  ${s.protocol} ${safeText(local)}${safeText(remote)}  ${viewText(viewOf(s), t)}`);
      }
      await io.stdout.line('');
    }
    if (!packets) await io.stdout.line(t('trace.none', { target: safeText(target.text) }));
    const serverPorts = new Set([...result.before.filter((s) => s.state === 'LISTEN').map((s) => s.localPort),
      ...result.events.filter((e) => e.type === 'state' && (e.to ?? e.from)?.state === 'LISTEN').map((e) => (e as { local: { port: number } }).local.port)]);
    for (const l of renderLadder(result.events, { t, color: io.global.color, start: started, serverPorts })) await io.stdout.line(l);
    await io.stdout.line('');
  }
  note(io, t('trace.summary', { packets, states, seconds: ((Date.now() - started) / 1000).toFixed(1), looks: result.looks, why }));
  if (!json) note(io, t('trace.looks', { ms: TRACE_DEFAULTS.lookMs }));
  return 0;
}

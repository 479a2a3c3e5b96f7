// A finding in words, in the user's language: where, who, the evidence with
// the thresholds it was judged by, why it matters and what to do. Pure (the
// catalogs only). Every piece of text that came from another process (names,
// command lines) goes through the views' helpers, hence safeText(): what this
// returns may go to a terminal as it is.
import { msg, type Lang, type MessageKey } from '../explain/i18n.js';
import type { HostFacts } from '../explain/ports.js';
import type { BindScope } from '../model/address.js';
import { formatEndpoint } from '../model/socket.js';
import { holderName, unheldText } from '../views/columns.js';
import { scopeText } from '../views/overview.js';
import type { DoctorReport, Finding } from './types.js';

export interface FindingText {
  severity: string;
  kind: string;
  where: string;
  /** "pid/name" of each process (escaped), or why no process holds the sockets. */
  processes: string[];
  /** Evidence, one clause per part. */
  evidence: string[];
  why: string;
  todo: string;
}

const num = (v: unknown): number | string => (typeof v === 'number' ? v : typeof v === 'string' ? v : '?');
const pct = (ratio: unknown): number | string => (typeof ratio === 'number' ? Math.round(ratio * 1000) / 10 : '?');

function whereText(f: Finding, L: Lang): string {
  const s = f.subject;
  const proto = s.protocol ?? 'tcp';
  if (s.localPort !== undefined) {
    const addrs = (s.localAddress ?? '').split(' ').filter((a) => a !== '');
    const local = addrs.length ? addrs.map((a) => formatEndpoint(a, s.localPort!)).join(', ') : `:${s.localPort}`;
    return `${proto} ${s.remoteAddress !== undefined ? msg(L, 'doctor.where.from', { local, peer: s.remoteAddress }) : local}`;
  }
  if (s.remoteAddress !== undefined) {
    const remote = formatEndpoint(s.remoteAddress, s.remotePort ?? '*');
    return `${proto} ${s.localAddress !== undefined ? msg(L, 'doctor.where.local-to', { local: s.localAddress, remote }) : msg(L, 'doctor.where.to', { remote })}`;
  }
  if (f.kind === 'fd-limit') return '-';
  return msg(L, 'doctor.where.host');
}

function processTexts(f: Finding, L: Lang): string[] {
  const ps = f.subject.processes ?? [];
  if (ps.length) {
    const shown = ps.slice(0, 3).map((p) => `${p.pid}/${holderName(p.name)}`);
    if (ps.length > 3) shown.push(msg(L, 'doctor.process.more', { n: ps.length - 3 }));
    return shown;
  }
  const unheld = f.sockets.find((s) => s.holders.length === 0);
  if (unheld) return [msg(L, 'doctor.process.unheld', { reason: unheldText(unheld.unheldReason ?? 'unknown', L) })];
  return [msg(L, 'doctor.process.none')];
}

function evidenceTexts(f: Finding, L: Lang): string[] {
  const e = f.evidence;
  switch (f.kind) {
    case 'accept-queue-full': {
      const out: string[] = [];
      if (e['backlog'] !== undefined) out.push(msg(L, 'doctor.ev.accept-queue', { queue: num(e['queue']), max: num(e['maxQueue']), backlog: num(e['backlog']), ratio: num(e['accept-queue-ratio']) }));
      if (e['listenOverflows'] !== undefined) {
        const p = { overflows: num(e['listenOverflows']), drops: num(e['listenDrops']), seconds: num(e['seconds']), min: num(e['listen-overflows']) };
        out.push(e['listenDrops'] !== undefined ? msg(L, 'doctor.ev.overflows', p) : msg(L, 'doctor.ev.overflows-only', p));
      }
      return out;
    }
    case 'close-wait': {
      const out = [msg(L, 'doctor.ev.close-wait', { n: num(e['closeWait']), warn: num(e['close-wait-count']), crit: num(e['close-wait-critical']) })];
      if (e['atStart'] !== undefined) {
        out.push(msg(L, 'doctor.ev.close-wait.growth', { start: num(e['atStart']), persisting: num(e['persisting']), growth: num(e['growth']), seconds: num(e['seconds']), min: num(e['close-wait-growth']) }));
      }
      return out;
    }
    case 'ephemeral-ports':
      return [msg(L, 'doctor.ev.ephemeral-ports', {
        n: num(e['sockets']), tw: num(e['timeWait']), size: num(e['rangeSize']), low: num(e['rangeLow']), high: num(e['rangeHigh']),
        pct: pct(e['ratio']), warn: pct(e['ephemeral-ratio']), crit: pct(e['ephemeral-critical-ratio']),
      })];
    case 'listener-in-ephemeral-range':
      return [msg(L, 'doctor.ev.in-range', { port: num(e['port']), low: num(e['rangeLow']), high: num(e['rangeHigh']) })];
    case 'exposed':
      return [msg(L, 'doctor.ev.exposed', { addresses: num(e['addresses']), scope: scopeText(e['scope'] as BindScope, L) })];
    case 'risky-port':
      return [msg(L, 'doctor.ev.risky-port', { port: num(e['port']), scope: scopeText(e['scope'] as BindScope, L) })];
    case 'privileged-port':
      return [msg(L, 'doctor.ev.privileged-port', { port: num(e['port']), start: num(e['unprivilegedStart']) })];
    case 'send-queue-stuck':
      return [msg(L, 'doctor.ev.send-queue', {
        bytes: num(e['sendQ']), start: num(e['sendQAtStart']), unchanged: msg(L, e['unchanged'] ? 'doctor.ev.unchanged.yes' : 'doctor.ev.unchanged.no'),
        seconds: num(e['seconds']), zw: num(e['zeroWindow']), rt: num(e['retransmitting']), min: num(e['send-queue-bytes']), stuck: num(e['queue-stuck-seconds']),
      })];
    case 'recv-queue-stuck':
      return [msg(L, 'doctor.ev.recv-queue', {
        bytes: num(e['recvQ']), start: num(e['recvQAtStart']), unchanged: msg(L, e['unchanged'] ? 'doctor.ev.unchanged.yes' : 'doctor.ev.unchanged.no'),
        seconds: num(e['seconds']), min: num(e['recv-queue-bytes']), stuck: num(e['queue-stuck-seconds']),
      })];
    case 'syn-sent':
      return [msg(L, 'doctor.ev.syn-sent', {
        n: num(e['synSent']), rt: num(e['maxRetransmits']), seen: num(e['seenSeconds']), min: num(e['syn-sent-retransmits']), minSeconds: num(e['syn-sent-seconds']),
      })];
    case 'retransmissions':
      if (e['retransSegs'] !== undefined) {
        return [msg(L, 'doctor.ev.retransmissions.host', {
          retrans: num(e['retransSegs']), out: num(e['outSegs']), pct: pct(e['ratio']), seconds: num(e['seconds']), min: num(e['retrans-segs']), minPct: pct(e['retrans-ratio']),
        })];
      }
      return [msg(L, 'doctor.ev.retransmissions', { n: num(e['retransmitting']), max: num(e['maxRetransmits']), min: num(e['retransmits']) })];
    case 'fd-limit':
      return [msg(L, 'doctor.ev.fd-limit', { open: num(e['open']), limit: num(e['limit']), pct: pct(e['ratio']), warn: pct(e['fd-ratio']), crit: pct(e['fd-critical-ratio']) })];
  }
}

/** The catalog key of a risk (risk.backdoor, ...) as the evidence names it, if it is one. */
function riskSentence(f: Finding, L: Lang): string {
  const key = f.evidence['risk'];
  if (typeof key !== 'string' || !key.startsWith('risk.')) return '';
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(f.evidence)) if (typeof v !== 'boolean') params[k] = v;
  return msg(L, key as MessageKey, params);
}

function whyTodo(f: Finding, L: Lang, host: HostFacts): { why: string; todo: string } {
  const hostWide = f.subject.localPort === undefined && f.subject.remoteAddress === undefined;
  switch (f.kind) {
    case 'accept-queue-full':
      return hostWide
        ? { why: msg(L, 'doctor.accept-queue-full.counter.why'), todo: msg(L, 'doctor.accept-queue-full.counter.todo') }
        : { why: msg(L, 'doctor.accept-queue-full.why'), todo: msg(L, 'doctor.accept-queue-full.todo', { somaxconn: host.somaxconn ?? msg(L, 'doctor.ev.unknown') }) };
    case 'retransmissions':
      return hostWide
        ? { why: msg(L, 'doctor.retransmissions.host.why'), todo: msg(L, 'doctor.retransmissions.host.todo') }
        : { why: msg(L, 'doctor.retransmissions.why'), todo: msg(L, 'doctor.retransmissions.todo') };
    case 'listener-in-ephemeral-range':
      return { why: msg(L, 'doctor.listener-in-ephemeral-range.why'), todo: msg(L, 'doctor.listener-in-ephemeral-range.todo', { low: num(f.evidence['rangeLow']), high: num(f.evidence['rangeHigh']) }) };
    case 'risky-port':
      return { why: msg(L, 'doctor.risky-port.why', { risk: riskSentence(f, L) }).trim(), todo: msg(L, 'doctor.risky-port.todo') };
    case 'privileged-port':
      return { why: msg(L, 'doctor.privileged-port.why', { start: num(f.evidence['unprivilegedStart']) }), todo: msg(L, 'doctor.privileged-port.todo') };
    default:
      return { why: msg(L, `doctor.${f.kind}.why`), todo: msg(L, `doctor.${f.kind}.todo`) };
  }
}

/** A finding in words, safe for a terminal. */
export function findingText(f: Finding, L: Lang, host: HostFacts): FindingText {
  return {
    severity: msg(L, `doctor.severity.${f.severity}`),
    kind: f.kind,
    where: whereText(f, L),
    processes: processTexts(f, L),
    evidence: evidenceTexts(f, L),
    ...whyTodo(f, L, host),
  };
}

/** A skipped check's note in words. */
export function skippedText(s: DoctorReport['skipped'][number], L: Lang): string {
  return msg(L, s.reason as MessageKey, { check: s.check, ...(s.params ?? {}) });
}

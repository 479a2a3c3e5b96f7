// The event stream of `watch --events`: one line per change, for people or
// (--json) as NDJSON objects with the socket in the v1 schema (docs/json.md).
// Events: opened, closed, state-changed ("from"), holder-changed
// ("previousHolders"), accepted (a queued connection taken by the program);
// with --traffic, one "traffic" object per look after the first (rates and
// totals, docs/json.md "Traffic"):
//   {"time":"...","event":"traffic","intervalMs":1000,"totals":{"sendRate":2097152,...},"processes":[...],"groups":[],"sockets":[...],"uncounted":0}
//   {"time":"2026-01-02T03:04:05.678Z","event":"state-changed","from":"ESTABLISHED","socket":{"protocol":"tcp",...}}
//   12:00:01.123 state-changed tcp 127.0.0.1:5000 ⇄ 127.0.0.1:40312  ESTABLISHED → CLOSE_WAIT  4242/python3 fd 5
import { msg, type Lang } from '../../explain/i18n.js';
import type { SnapshotDiff } from '../../model/diff.js';
import type { Socket } from '../../model/socket.js';
import { holdersCell, localCell, remoteCell } from '../columns.js';
import { paint, type Paint } from '../sink.js';
import { jsonText, safeText } from '../safe-text.js';
import { socketJson } from '../table.js';
import { shortBytes } from '../columns.js';
import type { TrafficUpdate } from '../../traffic.js';

/**
 * 'accepted': a connection left its listener's accept queue (the program
 * accepted it): one event, with the socket as it is now (its inode and holder).
 */
export type EventKind = 'opened' | 'closed' | 'state-changed' | 'holder-changed' | 'accepted';

export interface WatchEvent {
  kind: EventKind;
  socket: Socket;
  /** The socket as it was, for changes. */
  before?: Socket;
}

/** The events of one diff: opened, then changes (acceptance, state, holders), then closed. */
export function eventsOf(diff: SnapshotDiff): WatchEvent[] {
  const out: WatchEvent[] = diff.opened.map((socket) => ({ kind: 'opened', socket }));
  for (const c of diff.changed) {
    if (c.fields.includes('accepted')) out.push({ kind: 'accepted', socket: c.after, before: c.before });
    if (c.fields.includes('state')) out.push({ kind: 'state-changed', socket: c.after, before: c.before });
    if (c.fields.includes('holders')) out.push({ kind: 'holder-changed', socket: c.after, before: c.before });
  }
  for (const socket of diff.closed) out.push({ kind: 'closed', socket });
  return out;
}

/** One NDJSON line. `cache` is socketJson's per-process cache (clear it now and then). */
export function eventJson(e: WatchEvent, time: number, cache: Map<number, string>): string {
  let out = `{"time":"${new Date(time).toISOString()}","event":"${e.kind}"`;
  if (e.kind === 'state-changed' && e.before) out += `,"from":"${e.before.state}"`;
  if (e.kind === 'holder-changed' && e.before) out += `,"previousHolders":${jsonText(e.before.holders)}`;
  return `${out},"socket":${socketJson(e.socket, cache)}}`;
}

const PAINT: Record<EventKind, Paint> = { opened: 'green', closed: 'red', 'state-changed': 'yellow', 'holder-changed': 'cyan', accepted: 'green' };

function clock(time: number): string {
  const d = new Date(time);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One line for people. */
export function eventLine(e: WatchEvent, time: number, o: { lang: Lang; numeric: boolean; color: boolean; ephemeral?: readonly [number, number] }): string {
  const s = e.socket;
  const co = { numeric: o.numeric, lang: o.lang, ephemeral: o.ephemeral };
  const proto = s.family === 'ipv6' ? s.protocol + '6' : s.protocol;
  const word = msg(o.lang, `watch.event.${e.kind}`);
  let what: string = s.state;
  if (e.kind === 'state-changed' && e.before) what = `${e.before.state} → ${s.state}`;
  let holders = holdersCell(s, o.lang);
  if (e.kind === 'holder-changed' && e.before) holders = `${holdersCell(e.before, o.lang)} → ${holders}`;
  return `${clock(time)} ${paint(o.color, PAINT[e.kind], word.padEnd(14))} ${proto.padEnd(4)} ${localCell(s, co)} ⇄ ${remoteCell(s, co)}  ${what}  ${holders}`;
}

const rate = (n: number): number => Math.round(n);

/**
 * The "traffic" line of one look: rates (bytes/s, rounded) and totals of
 * every socket that moved bytes since the first look, each process and
 * group holding one, and the whole. `cache` as for eventJson.
 */
export function trafficJson(t: TrafficUpdate, time: number, cache: Map<number, string>): string {
  const sum = (x: { sendRate: number; recvRate: number; sent: number; received: number }): string =>
    `"sendRate":${rate(x.sendRate)},"recvRate":${rate(x.recvRate)},"sent":${x.sent},"received":${x.received}`;
  const procs = t.processes.map((p) => {
    let o = `{"pid":${p.pid},"name":${jsonText(p.name)}`;
    if (p.user !== undefined) o += `,"user":${jsonText(p.user)}`;
    if (p.container) o += `,"container":${jsonText(p.container)}`;
    if (p.unit !== undefined) o += `,"unit":${jsonText(p.unit)}`;
    return `${o},"sockets":${p.sockets},${sum(p)}}`;
  });
  const groups = t.groups.map((g) => `{"kind":"${g.kind}","id":${jsonText(g.id)}${g.name !== undefined ? `,"name":${jsonText(g.name)}` : ''},"pids":[${g.pids.join(',')}],"sockets":${g.sockets},${sum(g)}}`);
  // Only the sockets that moved a byte (or dropped a datagram) in this interval: the stream stays
  // proportional to what is busy, not to every socket that ever moved since the start.
  const socks = t.sockets.filter((x) => x.sendRate > 0 || x.recvRate > 0 || (x.dropsNow ?? 0) > 0)
    .map((x) => `{${sum(x)}${x.drops !== undefined ? `,"drops":${x.drops},"dropsNow":${x.dropsNow ?? 0}` : ''}${x.closed ? ',"closed":true' : ''},"socket":${socketJson(x.socket, cache)}}`);
  const tt = t.totals;
  return `{"time":"${new Date(time).toISOString()}","event":"traffic","intervalMs":${Math.round(t.intervalMs)},` +
    `"totals":{${sum(tt)},"closed":${tt.closed},"closedSent":${tt.closedSent},"closedReceived":${tt.closedReceived}},` +
    `"processes":[${procs.join(',')}],"groups":[${groups.join(',')}],"sockets":[${socks.join(',')}],"uncounted":${t.uncounted}` +
    (t.atClose ? `,"atClose":{"heard":${t.atClose.heard}${t.atClose.reason !== undefined ? `,"reason":${jsonText(t.atClose.reason)}` : ''},"lost":${t.atClose.lost}}` : '') + '}';
}

/** Lines for people: the totals, then each process that moved bytes in this interval. */
export function trafficLines(t: TrafficUpdate, time: number, o: { lang: Lang; color: boolean }): string[] {
  const b = (n: number): string => shortBytes(Math.round(n));
  const tt = t.totals;
  const head = `${clock(time)} ${paint(o.color, 'magenta', msg(o.lang, 'traffic.event').padEnd(14))} ` +
    msg(o.lang, 'traffic.line', { send: b(tt.sendRate), recv: b(tt.recvRate), sent: b(tt.sent), received: b(tt.received), n: t.sockets.length });
  const lines = [head];
  for (const p of t.processes) {
    if (p.sendRate + p.recvRate === 0) continue;
    lines.push(`${' '.repeat(28)}${msg(o.lang, 'traffic.process-line', {
      pid: p.pid, name: safeText(p.name), send: b(p.sendRate), recv: b(p.recvRate), sent: b(p.sent), received: b(p.received),
    })}`);
  }
  return lines;
}

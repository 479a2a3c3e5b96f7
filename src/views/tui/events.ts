// The event stream of `watch --events`: one line per change, for people or
// (--json) as NDJSON objects with the socket in the v1 schema (docs/json.md).
// Events: opened, closed, state-changed ("from"), holder-changed
// ("previousHolders"), accepted (a queued connection taken by the program).
//   {"time":"2026-01-02T03:04:05.678Z","event":"state-changed","from":"ESTABLISHED","socket":{"protocol":"tcp",...}}
//   12:00:01.123 state-changed tcp 127.0.0.1:5000 ⇄ 127.0.0.1:40312  ESTABLISHED → CLOSE_WAIT  4242/python3 fd 5
import { msg, type Lang } from '../../explain/i18n.js';
import type { SnapshotDiff } from '../../model/diff.js';
import type { Socket } from '../../model/socket.js';
import { holdersCell, localCell, remoteCell } from '../columns.js';
import { paint, type Paint } from '../sink.js';
import { jsonText } from '../safe-text.js';
import { socketJson } from '../table.js';

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

// `list -x`: the Unix domain socket table, and its JSON. Paths and abstract
// names are chosen by other programs: shown through safeText() (an abstract
// name holds NUL bytes more often than not: they show as \x00).
import type { UnixSocket } from '../model/unix.js';
import { msg } from '../explain/i18n.js';
import { holdersParts } from './columns.js';
import { jsonText, safeText } from './safe-text.js';
import { clip, displayWidth, padDisplay, padDisplayStart, paint, type RenderOptions, type Sink } from './sink.js';

/** The address cell: the path, @name for an abstract name, * for an unnamed socket. */
export function unixAddress(s: UnixSocket): string {
  if (s.path !== undefined) return safeText(s.path);
  if (s.abstract !== undefined) return '@' + safeText(s.abstract);
  return '*';
}

/** The peer: the other end's address when it has one, else its inode; * when not connected. */
function peerCell(s: UnixSocket, byInode: ReadonlyMap<number, UnixSocket>): string {
  if (s.peer === undefined) return '*';
  const p = byInode.get(s.peer);
  const name = p ? unixAddress(p) : '*';
  return name === '*' ? `*${s.peer}` : `${name} (${s.peer})`;
}

const stateOf = (s: UnixSocket): string => s.state;

export async function renderUnixTable(sockets: readonly UnixSocket[], sink: Sink, opts: RenderOptions): Promise<void> {
  const L = opts.lang;
  const byInode = new Map(sockets.map((s) => [s.inode, s]));
  const headers = ['view.col.unix.type', 'view.col.state', 'view.col.recvq', 'view.col.sendq', 'view.col.unix.address', 'view.col.unix.peer', 'view.col.unix.inode', 'view.col.holders']
    .map((k) => msg(L, k as 'view.col.state'));
  const rows = sockets.map((s) => [s.type, stateOf(s), String(s.recvQ), s.state === 'LISTEN' ? String(s.backlog ?? '?') : String(s.sendQ),
    unixAddress(s), peerCell(s, byInode), String(s.inode), holdersParts(s, L).join(', ')]);
  const right = new Set([2, 3, 6]);
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]!))));
  // On a terminal the address and peer columns give way first (cut with …), never the numbers or holders' pids.
  if (!opts.wide && opts.width !== undefined) {
    const fixed = widths.reduce((a, w, i) => a + (i === 4 || i === 5 || i === 7 ? 0 : w + 2), 0);
    const room = Math.max(20, opts.width - fixed - Math.min(widths[7]!, 30));
    const addr = Math.min(widths[4]!, Math.max(12, Math.floor(room * 0.6)));
    widths[4] = addr;
    widths[5] = Math.min(widths[5]!, Math.max(8, room - addr));
  }
  const line = (cells: string[]): string => cells.map((c, i) => {
    if (i === cells.length - 1) return c;
    const cut = displayWidth(c) > widths[i]! ? clip(c, widths[i]!) : c;
    return right.has(i) ? padDisplayStart(cut, widths[i]!) : padDisplay(cut, widths[i]!);
  }).join('  ');
  await sink.line(paint(opts.color, 'bold', line(headers)));
  for (const r of rows) {
    const p = sink.line(line(r));
    if (p) await p;
  }
  await sink.flush();
}

/** The JSON object of a Unix socket (docs/json.md, "Unix sockets"): fixed key order, optional keys only when known. */
export function unixJson(s: UnixSocket): object {
  const o: Record<string, unknown> = { protocol: 'unix', type: s.type, state: s.state };
  if (s.path !== undefined) o['path'] = s.path;
  if (s.abstract !== undefined) o['abstract'] = s.abstract;
  o['inode'] = s.inode;
  if (s.peer !== undefined) o['peer'] = s.peer;
  o['recvQ'] = s.recvQ;
  o['sendQ'] = s.sendQ;
  if (s.backlog !== undefined) o['backlog'] = s.backlog;
  if (s.uid !== undefined) o['uid'] = s.uid;
  o['holders'] = s.holders;
  if (s.unheldReason !== undefined) o['unheldReason'] = s.unheldReason;
  return o;
}

export async function renderUnixJson(sockets: readonly UnixSocket[], sink: Sink, ndjson: boolean): Promise<void> {
  if (!ndjson) await sink.write('[');
  for (let i = 0; i < sockets.length; i++) {
    const text = jsonText(unixJson(sockets[i]!));
    const p = ndjson ? sink.line(text) : sink.write((i === 0 ? '\n' : ',\n') + text);
    if (p) await p;
  }
  if (!ndjson) await sink.write(sockets.length ? '\n]\n' : ']\n');
  await sink.flush();
}

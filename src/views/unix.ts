// `list -x`: the Unix domain socket table, and its JSON. Paths and abstract
// names are chosen by other programs: shown through safeText() (an abstract
// name holds NUL bytes more often than not: they show as \x00).
import type { UnixSocket } from '../model/unix.js';
import { msg } from '../explain/i18n.js';
import { holdersParts } from './columns.js';
import { jsonText, safeText } from './safe-text.js';
import { clip, displayWidth, padDisplay, padDisplayStart, paint, type RenderOptions, type Sink } from './sink.js';
import { flowLastCell } from './table.js';

/** The address cell: the path, @name for an abstract name, * for an unnamed socket. */
export function unixAddress(s: UnixSocket): string {
  if (s.path !== undefined) return safeText(s.path);
  if (s.abstract !== undefined) return '@' + safeText(s.abstract);
  return '*';
}

/** The peer: the other end's inode, then its address when it has one; * when not connected. */
function peerCell(s: UnixSocket, byInode: ReadonlyMap<number, UnixSocket>): string {
  if (s.peer === undefined) return '*';
  const p = byInode.get(s.peer);
  const name = p ? unixAddress(p) : '*';
  return name === '*' ? String(s.peer) : `${s.peer} ${name}`;
}

/**
 * The holders, then those of the other end after ↔: "nginx ↔ php-fpm" reads as
 * who talks to whom, with the path in the Address column.
 */
function holderParts(s: UnixSocket, byInode: ReadonlyMap<number, UnixSocket>, lang: RenderOptions['lang']): string[] {
  const own = holdersParts(s, lang);
  const p = s.peer !== undefined ? byInode.get(s.peer) : undefined;
  if (!p || p.holders.length === 0) return own;
  const theirs = holdersParts(p, lang);
  return [...own, `↔ ${theirs[0]!}`, ...theirs.slice(1)];
}

const stateOf = (s: UnixSocket): string => s.state;

/**
 * The Unix socket table. `all` are every socket known (for the peer cell: a
 * peer may not be among the rows shown, e.g. with --pid).
 */
export async function renderUnixTable(sockets: readonly UnixSocket[], sink: Sink, opts: RenderOptions, all: readonly UnixSocket[] = sockets): Promise<void> {
  const L = opts.lang;
  const byInode = new Map(all.map((s) => [s.inode, s]));
  const headers = ['view.col.unix.type', 'view.col.state', 'view.col.recvq', 'view.col.sendq', 'view.col.unix.address', 'view.col.unix.peer', 'view.col.unix.inode', 'view.col.holders']
    .map((k) => msg(L, k as 'view.col.state'));
  // "?" where the source does not tell (/proc/net/unix has no queues), never a made-up 0.
  const rows = sockets.map((s) => [s.type, stateOf(s), String(s.recvQ ?? '?'), s.state === 'LISTEN' ? String(s.backlog ?? '?') : String(s.sendQ ?? '?'),
    unixAddress(s), peerCell(s, byInode), String(s.inode), holderParts(s, byInode, L).join(', ')]);
  const right = new Set([2, 3, 6]);
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]!))));
  const gap = 2;
  const last = headers.length - 1;
  // On a terminal the address and peer columns give way (cut with …), and the
  // holders flow onto further lines: a pid, a name or a number is never cut.
  if (!opts.wide && opts.width !== undefined) {
    const fixed = widths.reduce((a, w, i) => a + (i === 4 || i === 5 || i === last ? 0 : w + gap), 0) + 2 * gap;
    const room = Math.max(10, opts.width - fixed - Math.min(widths[last]!, 20));
    if (widths[4]! + widths[5]! > room) {
      const addr = Math.max(5, Math.min(widths[4]!, Math.ceil(room * 0.55)));
      widths[4] = addr;
      widths[5] = Math.max(5, Math.min(widths[5]!, room - addr));
    }
  }
  const lead = (cells: readonly string[]): string => cells.slice(0, last).map((c, i) => {
    const cut = displayWidth(c) > widths[i]! ? clip(c, widths[i]!) : c;
    return right.has(i) ? padDisplayStart(cut, widths[i]!) : padDisplay(cut, widths[i]!);
  }).join(' '.repeat(gap)) + ' '.repeat(gap);
  const leadWidth = widths.slice(0, last).reduce((a, w) => a + w + gap, 0);
  const emit = async (cells: readonly string[], parts: readonly string[], bold = false): Promise<void> => {
    const head = lead(cells);
    const lines = opts.wide || opts.width === undefined ? [head + parts.join(', ')] : flowLastCell(head, parts, leadWidth, opts.width);
    for (const l of lines) {
      const p = sink.line(bold ? paint(opts.color, 'bold', l) : l);
      if (p) await p;
    }
  };
  await emit(headers, [headers[last]!], true);
  for (let k = 0; k < rows.length; k++) await emit(rows[k]!, holderParts(sockets[k]!, byInode, L));
  await sink.flush();
}

/** The JSON object of a Unix socket (docs/json.md, "Unix sockets"): fixed key order, optional keys only when known. */
export function unixJson(s: UnixSocket): object {
  const o: Record<string, unknown> = { protocol: 'unix', type: s.type, state: s.state };
  if (s.path !== undefined) o['path'] = s.path;
  if (s.abstract !== undefined) o['abstract'] = s.abstract;
  o['inode'] = s.inode;
  if (s.peer !== undefined) o['peer'] = s.peer;
  if (s.recvQ !== undefined) o['recvQ'] = s.recvQ;
  if (s.sendQ !== undefined) o['sendQ'] = s.sendQ;
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

// The live view's screen as lines of text, from the state alone. Only the rows
// that fit on the screen are formatted, whatever the number of sockets.
import { msg, type Lang, type MessageKey } from '../../explain/i18n.js';
import type { Holder, Socket, SocketState } from '../../model/socket.js';
import { safeText } from '../safe-text.js';
import { formatEndpoint } from '../../model/socket.js';
import { COLUMNS, holderName, remoteCell, shortBytes, stateStyle, unheldText, type CellOptions } from '../columns.js';
import { displayWidth, paint, type Paint } from '../sink.js';
import { confirmText } from './keys.js';
import {
  filtering, listenerRows, markOf, processRows, rates, selectedSocket, trafficRows, visibleSockets, VIEWS,
  type Mark, type TuiState, type ViewName,
} from './state.js';

export interface DrawOptions {
  width: number;
  height: number;
  now: number;
  lang: Lang;
  color: boolean;
  numeric: boolean;
  /** This host's ephemeral port range, whose ports are never given service names. */
  ephemeral?: readonly [number, number];
  /** One sentence about a socket, for the detail pane (explain/row.ts), when available. */
  explain?: (s: Socket) => string | undefined;
}

const MARK_CHAR: Record<Mark, string> = { new: '+', changed: '*', closed: '-' };
const MARK_PAINT: Record<Mark, Paint> = { new: 'green', changed: 'yellow', closed: 'red' };
const SGR: Record<Paint, string> = { red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36', dim: '2', bold: '1' };

/** Cut or pad text to exactly `width` terminal columns. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  let w = 0;
  let out = '';
  for (const ch of text) {
    const cw = displayWidth(ch);
    if (w + cw > width) {
      // Leave room for the ellipsis.
      while (out.length && w > width - 1) {
        const last = [...out].pop()!;
        out = out.slice(0, out.length - last.length);
        w -= displayWidth(last);
      }
      return out + '…' + ' '.repeat(Math.max(0, width - w - 1));
    }
    out += ch;
    w += cw;
  }
  return out + ' '.repeat(width - w);
}

function cell(text: string, width: number, align: 'left' | 'right'): string {
  const w = displayWidth(text);
  if (w > width) return fit(text, width);
  return align === 'right' ? ' '.repeat(width - w) + text : text + ' '.repeat(width - w);
}

/** A row of `width` columns, painted as a whole: selection reverses, a mark colours. */
function row(text: string, width: number, o: DrawOptions, mark?: Mark, selected = false, base?: Paint): string {
  const body = fit(text, width);
  if (!o.color) return body;
  const codes: string[] = [];
  if (mark) codes.push(SGR[MARK_PAINT[mark]]);
  else if (base) codes.push(SGR[base]);
  if (selected) codes.push('7');
  return codes.length ? `\x1b[${codes.join(';')}m${body}\x1b[0m` : body;
}

const VIEW_KEY: Record<ViewName, MessageKey> = {
  sockets: 'watch.view.sockets', processes: 'watch.view.processes', listeners: 'watch.view.listeners', traffic: 'traffic.view',
};
const STATE_LIST: SocketState[] = ['LISTEN', 'UNCONN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'CLOSE'];

/** Items joined by `sep` while they fit in `width` (by visible width, colour codes kept); a dropped item leaves "…". */
function fitItems(items: readonly string[], width: number, sep = '  '): string {
  let out = '';
  let w = 0;
  for (let i = 0; i < items.length; i++) {
    const iw = visibleWidth(items[i]!);
    const add = (out ? sep.length : 0) + iw;
    const tail = i < items.length - 1 ? sep.length + 1 : 0;
    if (w + add + tail > width && (w + add > width || i < items.length - 1)) {
      // Room for what is left? Else say that something was left out.
      return w + (out ? sep.length : 0) + 1 <= width ? out + (out ? sep : '') + '…' : out;
    }
    out += (out ? sep : '') + items[i];
    w += add;
  }
  return out;
}

function visibleWidth(text: string): number {
  return displayWidth(text.replace(/\x1b\[[0-9;]*m/g, ''));
}

/** State counts of what the view shows: every socket, or only those the toggles and `/` let through (closed rows left out). */
function shownCounts(st: TuiState): { counts: Partial<Record<SocketState, number>>; n: number; total: number } {
  const total = st.snapshot?.sockets.length ?? 0;
  if (!filtering(st)) return { counts: st.counts, n: total, total };
  const visible = visibleSockets(st);
  if (st.shownCounts?.of === visible && st.shownCounts.ghosts === st.ghosts.size) return { counts: st.shownCounts.counts, n: st.shownCounts.n, total };
  const ghosts = new Set<Socket>();
  for (const g of st.ghosts.values()) ghosts.add(g.socket);
  const counts: Partial<Record<SocketState, number>> = {};
  let n = 0;
  for (const s of visible) {
    if (ghosts.size && ghosts.has(s)) continue;
    counts[s.state] = (counts[s.state] ?? 0) + 1;
    n++;
  }
  st.shownCounts = { of: visible, ghosts: st.ghosts.size, counts, n };
  return { counts, n, total };
}

function headerLines(st: TuiState, o: DrawOptions): string[] {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  const tabs = VIEWS.map((v, i) => {
    const label = `${i + 1} ${t(VIEW_KEY[v])}`;
    return v === st.view ? (o.color ? `\x1b[7m ${label} \x1b[0m` : `[${label}]`) : ` ${label} `;
  }).join(' ');
  const r = rates(st, o.now);
  const shown = shownCounts(st);
  // Whole items in order of importance: what is counted first, the cost of a tick last.
  const bits = [
    t('watch.title'), tabs,
    shown.n === shown.total ? t('watch.header.sockets', { n: shown.total }) : t('watch.header.sockets-filtered', { n: shown.n, total: shown.total }),
  ];
  if (st.paused) bits.push(t('watch.header.paused'));
  bits.push(t('watch.header.rates', { opened: r.opened.toFixed(1), closed: r.closed.toFixed(1) }));
  if (st.cost) bits.push(t('watch.header.cost', { ms: Math.round(st.cost.wallMs), cpu: Math.round(st.cost.cpuMs) }));
  const counts = STATE_LIST.filter((s) => shown.counts[s]).map((s) => {
    const text = `${s} ${shown.counts[s]}`;
    const style = stateStyle(s);
    return o.color && style ? paint(true, style, text) : text;
  });
  const tg = st.toggles;
  const flags: string[] = [];
  if (tg.tcp) flags.push('-t');
  if (tg.udp) flags.push('-u');
  if (tg.listening) flags.push('-l');
  if (tg.all) flags.push('-a');
  const right = [
    // Cut to half the line at most (marked): a long filter (watch --pid a,b,c,...) must not push the counts off.
    st.text ? cutMiddle(t('watch.header.filter', { text: safeText(st.text.text) }), Math.max(16, Math.floor(o.width / 2))) : '',
    flags.length ? t('watch.header.toggles', { flags: flags.join(' ') }) : '',
    t('watch.header.sort', { key: st.sort[st.view]!, dir: st.descending[st.view] ? '↓' : '↑' }),
  ].filter(Boolean);
  // The filter and sort come before the state counts when the line is short: they say what the counts are of.
  const line1 = o.width >= 100 || !right.length
    ? fitItems([...(counts.length ? counts : [t('watch.header.none')]), ...right], o.width)
    : fitItems([...right, ...(counts.length ? counts : [t('watch.header.none')])], o.width);
  return [fitAnsi(fitItems(bits, o.width), o.width), fitAnsi(line1, o.width)];
}

/** Fit a line that may hold colour codes: cut by visible width, keep the codes. */
function fitAnsi(text: string, width: number): string {
  let w = 0;
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\x1b') {
      const m = /^\x1b\[[0-9;]*m/.exec(text.slice(i));
      if (m) { out += m[0]; i += m[0].length; continue; }
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    const cw = displayWidth(ch);
    if (w + cw > width) break;
    out += ch;
    w += cw;
    i += ch.length;
  }
  return out + ' '.repeat(Math.max(0, width - w)) + (out.includes('\x1b') ? '\x1b[0m' : '');
}

// ------------------------------------------------------------------ fitting
//
// A row never loses a number or its process silently. When the terminal is too
// narrow, what matters least goes first, step by step, until the row fits:
//   1. the gaps between columns (2 → 1);
//   2. the fd of each holder ("12700/nginx fd 6" → "12700/nginx");
//   3. further holders become a count ("12700/nginx +3");
//   4. long state names as ss writes them (ESTABLISHED → ESTAB);
//   5. the middle of long addresses and of process names, marked with "…"
//      (the port and the pid stay whole).
// Queue lengths, ports and pids are never cut; each column is as wide as its
// widest visible cell.

const SHORT_STATE: Partial<Record<SocketState, string>> = {
  ESTABLISHED: 'ESTAB', SYN_SENT: 'SYN-SENT', SYN_RECV: 'SYN-RECV', FIN_WAIT1: 'FIN-WAIT-1', FIN_WAIT2: 'FIN-WAIT-2',
  TIME_WAIT: 'TIME-WAIT', CLOSE_WAIT: 'CLOSE-WAIT', LAST_ACK: 'LAST-ACK',
};

/** Cut the middle of text to `width` columns with a visible "…", keeping the end (a port, a pid) whole. */
export function cutMiddle(text: string, width: number, keepEnd = 0): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return '…';
  const chars = [...text];
  const tail = chars.slice(chars.length - keepEnd);
  const tailW = displayWidth(tail.join(''));
  if (tailW + 1 > width) return fit(text, width).trimEnd();
  let head = '';
  let w = 0;
  for (const ch of chars.slice(0, chars.length - keepEnd)) {
    const cw = displayWidth(ch);
    if (w + cw + 1 + tailW > width) break;
    head += ch;
    w += cw;
  }
  return head + '…' + tail.join('');
}

/** An endpoint cut in its address part only: the port stays whole. */
function cutEndpoint(text: string, width: number): string {
  const colon = text.lastIndexOf(':');
  return cutMiddle(text, width, colon >= 0 ? text.length - colon : 0);
}

/** A holder as "pid/name", its name escaped (it comes from another process) and cut to `nameWidth` if given. */
function holderShort(h: Holder, nameWidth?: number): string {
  const name = holderName(h.name);
  return `${h.pid}/${nameWidth !== undefined ? cutMiddle(name, Math.max(1, nameWidth)) : name}`;
}

/** The PID/Program cell at a level of detail (0 = every holder with its fd). */
function holdersAt(s: Socket, level: number, lang: Lang, nameWidth?: number): string {
  if (s.holders.length === 0) return msg(lang, 'view.unheld', { reason: unheldText(s.unheldReason ?? 'unknown', lang) });
  if (level === 0) {
    return s.holders.map((h) => (h.fd === undefined ? holderShort(h) : msg(lang, 'view.holder', { pid: h.pid, name: holderName(h.name), fd: h.fd }))).join(', ');
  }
  const pids: Holder[] = [];
  for (const h of s.holders) if (!pids.some((x) => x.pid === h.pid)) pids.push(h);
  if (level === 1) return pids.map((h) => holderShort(h)).join(', ');
  return holderShort(pids[0]!, nameWidth) + (pids.length > 1 ? ` +${pids.length - 1}` : '');
}

/** Whole items joined by spaces while they fit, then "+N" for the rest (never half an item). */
export function fitList(items: readonly string[], width: number, sep = ' '): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const next = out ? out + sep + items[i] : items[i]!;
    const rest = items.length - i - 1;
    const more = rest ? `${sep}+${rest}` : '';
    if (displayWidth(next + more) > width) return out ? `${out}${sep}+${items.length - i}` : `+${items.length}`;
    out = next;
  }
  return out;
}

/** Lines of at most `width` columns, broken at spaces where possible: nothing is cut. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const w = Math.max(4, width);
  const out: string[] = [];
  let line = '';
  let lw = 0;
  const push = (): void => { out.push(line); line = indent; lw = displayWidth(indent); };
  for (const word of text.split(/(?<= )/)) {
    const ww = displayWidth(word);
    if (lw + ww - (word.endsWith(' ') ? 1 : 0) <= w) { line += word; lw += ww; continue; }
    if (lw > displayWidth(indent)) push();
    // A word longer than a line is broken where it must be.
    let rest = word;
    while (displayWidth(rest) > w - lw) {
      let head = '';
      let hw = 0;
      for (const ch of rest) { const cw = displayWidth(ch); if (lw + hw + cw > w) break; head += ch; hw += cw; }
      if (!head) break;
      line += head;
      rest = rest.slice(head.length);
      push();
    }
    line += rest;
    lw += displayWidth(rest);
  }
  if (line.trim() || !out.length) out.push(line);
  return out.map((l) => l.trimEnd());
}

// ------------------------------------------------------------------ views

interface Body {
  header: string;
  rows: string[];
}

function socketsBody(st: TuiState, o: DrawOptions, rowsRoom: number): Body {
  const rows = visibleSockets(st);
  const start = st.scroll.sockets;
  const shown = rows.slice(start, start + rowsRoom);
  const co: CellOptions = { numeric: o.numeric, lang: o.lang, ephemeral: o.ephemeral };
  const cols = COLUMNS;
  const headers = cols.map((c) => msg(o.lang, c.header));
  // proto, local, remote, state, recvq, sendq (holders apart)
  const base = shown.map((s) => [cols[0]!.text(s, co), cols[1]!.text(s, co), cols[2]!.text(s, co), s.state, String(s.recvQ), String(s.backlog ?? s.sendQ)]);
  const widthOf = (i: number, cells: string[][]): number => Math.max(displayWidth(headers[i]!), ...cells.map((r) => displayWidth(r[i]!)));
  const room = o.width - 2; // the mark and its space
  let gap = 2;
  let level = 0;
  let cells = base;
  let widths: number[] = [];
  let holders: string[] = [];
  const fixed = (): number => widths.reduce((a, w) => a + w + gap, 0);
  // Steps 1-4, then 5 (cut addresses and names) if still needed.
  for (const [g, lv, short] of [[2, 0, false], [1, 0, false], [1, 1, false], [1, 2, false], [1, 2, true]] as const) {
    gap = g;
    level = lv;
    cells = short ? base.map((r) => r.map((x, i) => (i === 3 ? SHORT_STATE[x as SocketState] ?? x : x))) : base;
    widths = [0, 1, 2, 3, 4, 5].map((i) => widthOf(i, cells));
    holders = shown.map((s) => holdersAt(s, level, o.lang));
    const need = Math.max(displayWidth(headers[6]!), ...holders.map(displayWidth));
    if (fixed() + need <= room) break;
  }
  if (fixed() + Math.max(...holders.map(displayWidth), 0) > room) {
    // Step 5: the holders column keeps the pid, "/" and a few letters of the name (and "+N");
    // addresses give up their middle, long (IPv6) ones first, the port always stays.
    const minHolder = Math.max(displayWidth(headers[6]!) > 11 ? 11 : displayWidth(headers[6]!), ...shown.map((s) => {
      if (!s.holders.length) return 8;
      const pids = new Set(s.holders.map((h) => h.pid)).size;
      return String(s.holders[0]!.pid).length + 1 + Math.min(4, displayWidth(holderName(s.holders[0]!.name))) + (pids > 1 ? ` +${pids - 1}`.length : 0);
    }));
    let over = fixed() + minHolder - room;
    const v4 = (i: number): number => Math.max(10, ...shown.filter((x) => x.family === 'ipv4').map((x) => displayWidth(cells[shown.indexOf(x)]![i]!)));
    for (const [i, min] of [[2, v4(2)], [1, v4(1)], [2, 10], [1, 10]] as const) {
      if (over <= 0) break;
      const cut = Math.min(over, Math.max(0, widths[i]! - min));
      widths[i] = widths[i]! - cut;
      over -= cut;
    }
    cells = cells.map((r) => r.map((x, i) => (i === 1 || i === 2 ? cutEndpoint(x, widths[i]!) : x)));
    const hw = room - fixed();
    holders = shown.map((s) => {
      const full = holdersAt(s, 2, o.lang);
      if (displayWidth(full) <= hw || !s.holders.length) return full;
      const fixedPart = displayWidth(full) - displayWidth(holderName(s.holders[0]!.name));
      return holdersAt(s, 2, o.lang, hw - fixedPart);
    });
  }
  const hdr = headers.slice(0, 6).map((h, i) => (i === 3 && cells !== base && displayWidth(h) > widths[3]! ? cutMiddle(h, widths[3]!) : h));
  const line = (c: string[], h: string, mark: string): string =>
    mark + ' ' + c.map((x, i) => cell(x, widths[i]!, cols[i]!.align) + ' '.repeat(gap)).join('') + h;
  const out: string[] = [];
  for (let i = 0; i < shown.length; i++) {
    const s = shown[i]!;
    const m = markOf(st, s, o.now);
    out.push(row(line(cells[i]!, holders[i]!, m ? MARK_CHAR[m] : ' '), o.width, o, m, start + i === st.selected.sockets,
      m ? undefined : s.state === 'TIME_WAIT' ? 'dim' : undefined));
  }
  return { header: line(hdr, headers[6]!, ' '), rows: out };
}

function statesItems(states: Partial<Record<SocketState, number>>): string[] {
  return STATE_LIST.filter((s) => states[s]).map((s) => `${s} ${states[s]}`);
}

function statesText(states: Partial<Record<SocketState, number>>): string {
  return statesItems(states).join(', ');
}

function processesBody(st: TuiState, o: DrawOptions, rowsRoom: number): Body {
  const t = (k: MessageKey): string => msg(o.lang, k);
  const rows = processRows(st);
  const start = st.scroll.processes;
  const shown = rows.slice(start, start + rowsRoom);
  // PID, Process, User, Sockets, Recv-Q, Send-Q, Accept-Q: whole; then Listening and States as whole items.
  const heads = [t('watch.col.pid'), t('watch.col.process'), t('watch.col.user'), t('watch.col.sockets'), 'Recv-Q', 'Send-Q', t('watch.col.acceptq'),
    t('watch.col.listening'), t('watch.col.states')];
  const align: ('left' | 'right')[] = ['right', 'left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'];
  const fixedCells = shown.map((r) => [String(r.pid), safeText(r.name), safeText(r.user), String(r.sockets), String(r.recvQ), String(r.sendQ), String(r.acceptQ)]);
  // A name or user longer than 20 columns shows its middle cut ("…"); the detail pane has it whole.
  let widths = [0, 1, 2, 3, 4, 5, 6].map((i) => Math.max(displayWidth(heads[i]!), ...fixedCells.map((c) => Math.min(i === 1 || i === 2 ? 20 : Infinity, displayWidth(c[i]!)))));
  const room = o.width - 2;
  let gap = 2;
  // Columns shown: the user is what gives way first when the lists need room.
  let cols = [0, 1, 2, 3, 4, 5, 6];
  const used = (): number => cols.reduce((a, i) => a + widths[i]! + gap, 0);
  const listenWant = Math.max(displayWidth(heads[7]!), Math.min(24, ...shown.map((r) => displayWidth(r.listening.join(' ') || '-'))));
  if (used() + listenWant + 16 > room) gap = 1;
  if (used() + listenWant + gap + 16 > room) cols = cols.filter((i) => i !== 2);
  // Names give up their middle (never the pid) when the numbers need the room.
  const over = used() + Math.min(listenWant, 12) + gap + 12 - room;
  if (over > 0) widths[1] = Math.max(Math.min(widths[1]!, 6), widths[1]! - over);
  widths = widths.map((w, i) => (i === 1 || i === 2 ? Math.max(1, w) : w));
  const listenW = Math.max(1, Math.min(listenWant, room - used() - gap - 12));
  const line = (c: string[], listening: string, states: string): string => '  ' +
    cols.map((i) => cell(i === 1 || i === 2 ? cutMiddle(c[i]!, widths[i]!) : c[i]!, widths[i]!, align[i]!) + ' '.repeat(gap)).join('') +
    cell(listening, listenW, 'left') + ' '.repeat(gap) + states;
  const statesW = Math.max(4, room - used() - listenW - gap);
  const out = shown.map((r, i) => row(line(fixedCells[i]!, fitList(r.listening.length ? r.listening : ['-'], listenW), fitList(statesItems(r.states), statesW, ', ')),
    o.width, o, undefined, start + i === st.selected.processes));
  return { header: line(heads.slice(0, 7).map((h, i) => (i === 1 || i === 2 ? cutMiddle(h, widths[i]!) : h)), cutMiddle(heads[7]!, listenW), heads[8]!), rows: out };
}

function fillBar(fill: number | undefined, s: Socket, bar: boolean): string {
  if (s.protocol === 'udp') return `${s.recvQ} B`;
  if (fill === undefined) return `${s.recvQ}/?`;
  if (!bar) return `${s.recvQ}/${s.backlog}`;
  const n = Math.max(0, Math.min(8, Math.round(fill * 8)));
  return `[${'#'.repeat(n)}${'.'.repeat(8 - n)}] ${s.recvQ}/${s.backlog}`;
}

function listenersBody(st: TuiState, o: DrawOptions, rowsRoom: number): Body {
  const t = (k: MessageKey): string => msg(o.lang, k);
  const rows = listenerRows(st);
  const start = st.scroll.listeners;
  const shown = rows.slice(start, start + rowsRoom);
  const co: CellOptions = { numeric: o.numeric, lang: o.lang, ephemeral: o.ephemeral };
  const heads = [msg(o.lang, 'view.col.proto'), msg(o.lang, 'view.col.local'), t('watch.col.scope'), t('watch.col.accept'), msg(o.lang, 'view.col.holders')];
  const room = o.width - 2;
  let gap = 2;
  let bar = true;
  let level = 1;
  let cells: string[][] = [];
  let widths: number[] = [];
  let holders: string[] = [];
  for (const [g, b, lv] of [[2, true, 1], [1, true, 1], [1, true, 2], [1, false, 2]] as const) {
    gap = g; bar = b; level = lv;
    cells = shown.map((r) => [COLUMNS[0]!.text(r.socket, co), COLUMNS[1]!.text(r.socket, co), msg(o.lang, `scope.${r.scope}`), fillBar(r.fill, r.socket, bar)]);
    widths = [0, 1, 2, 3].map((i) => Math.max(i === 3 && !bar ? 6 : Math.min(displayWidth(heads[i]!), i === 3 ? 12 : 99), ...cells.map((c) => displayWidth(c[i]!))));
    holders = shown.map((r) => holdersAt(r.socket, level, o.lang));
    if (widths.reduce((a, w) => a + w + gap, 0) + Math.max(8, ...holders.map(displayWidth)) <= room) break;
  }
  // Still too wide: the scope words give up their middle, then the holders' names (never the pid).
  let used = widths.reduce((a, w) => a + w + gap, 0);
  const over = used + Math.max(8, ...holders.map(displayWidth)) - room;
  if (over > 0) { widths[2] = Math.max(4, widths[2]! - over); used = widths.reduce((a, w) => a + w + gap, 0); }
  // Room to spare: the queue column's header is shown whole instead of cut to its cells.
  const spare = room - used - Math.max(8, ...holders.map(displayWidth));
  const headW = displayWidth(heads[3]!);
  if (headW > widths[3]! && spare >= headW - widths[3]!) { used += headW - widths[3]!; widths[3] = headW; }
  const hw = room - used;
  holders = shown.map((r, i) => {
    const h = holders[i]!;
    if (displayWidth(h) <= hw || !r.socket.holders.length) return h;
    const full = holdersAt(r.socket, 2, o.lang);
    return holdersAt(r.socket, 2, o.lang, hw - (displayWidth(full) - displayWidth(holderName(r.socket.holders[0]!.name))));
  });
  const line = (c: string[], h: string, mark: string): string =>
    mark + ' ' + c.map((x, i) => cell(i === 2 ? cutMiddle(x, widths[i]!) : x, widths[i]!, 'left') + ' '.repeat(gap)).join('') + h;
  const out = shown.map((r, i) => {
    const s = r.socket;
    const m = markOf(st, s, o.now);
    const full = r.fill !== undefined && r.fill >= 1;
    return row(line(cells[i]!, holders[i]!, m ? MARK_CHAR[m] : ' '), o.width, o, m, start + i === st.selected.listeners, full ? 'red' : undefined);
  });
  return { header: line(heads.slice(0, 4).map((h, i) => cutMiddle(h, widths[i]!)), heads[4]!, ' '), rows: out };
}

/** Bytes (per second) in a few characters: 2.0M, 195K, 0. */
const bytes = (n: number): string => shortBytes(Math.round(n));

/**
 * The Traffic view: totals, the busiest processes (up to a third of the
 * room), then the connections by rate (the cursor moves over these), the UDP
 * line and what polling cannot see. Like nethogs and bandwhich, from the
 * kernel's tcp_info byte counters instead of captured packets.
 */
function trafficBody(st: TuiState, o: DrawOptions, room: number): Body {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  if (st.snapshot && st.snapshot.source !== 'netlink') {
    st.pageRows = 1;
    return { header: t('traffic.no-counters', { source: st.snapshot.source }), rows: [] };
  }
  const tr = trafficRows(st);
  if (!tr) {
    st.pageRows = Math.max(1, room - 1);
    return { header: t('traffic.starting'), rows: wrap(t('traffic.blind'), o.width).map((l) => row(l, o.width, o, undefined, false, 'dim')) };
  }
  const tt = tr.of.totals;
  // Filtered: the sums of what is shown (closed connections that left the list are not in them).
  const header = tr.shown
    ? t('traffic.totals-shown', { send: bytes(tr.shown.sendRate), recv: bytes(tr.shown.recvRate), sent: bytes(tr.shown.sent), received: bytes(tr.shown.received) })
    : t('traffic.totals', {
      send: bytes(tt.sendRate), recv: bytes(tt.recvRate), sent: bytes(tt.sent), received: bytes(tt.received),
      closed: tt.closed, closedSent: bytes(tt.closedSent), closedReceived: bytes(tt.closedReceived),
    });
  const tail = [
    ...wrap(t('traffic.udp', { n: tr.udp.n, queued: tr.udp.queued, drops: tr.udp.drops }), o.width),
    ...wrap(tr.of.atClose && !tr.of.atClose.heard ? t('traffic.blind-polling', { reason: safeText(tr.of.atClose.reason ?? '?') }) : t('traffic.blind'), o.width),
  ].map((l) => row(l, o.width, o, undefined, false, 'dim'));
  const out: string[] = [];
  const numHeads = [t('traffic.col.send'), t('traffic.col.recv'), t('traffic.col.sent'), t('traffic.col.received')];
  const nums = (x: { sendRate: number; recvRate: number; sent: number; received: number }): string[] => [bytes(x.sendRate), bytes(x.recvRate), bytes(x.sent), bytes(x.received)];
  const widthsOf = (heads: string[], cells: string[][]): number[] => heads.map((h, i) => Math.max(displayWidth(h), ...cells.map((c) => displayWidth(c[i]!))));
  const line = (c: string[], w: number[], align: ('left' | 'right')[], rest: string): string =>
    '  ' + c.map((x, i) => cell(x, w[i]!, align[i]!) + '  ').join('') + rest;
  // Processes.
  const procRoom = Math.max(1, Math.min(tr.processes.length, Math.floor((room - tail.length - 4) / 3)));
  const procs = tr.processes.slice(0, procRoom);
  const pHeads = [t('watch.col.pid'), ...numHeads, t('traffic.col.conns')];
  const pCells = procs.map((r) => [String(r.pid), ...nums(r), String(r.sockets)]);
  const pW = widthsOf(pHeads, pCells);
  const pAlign: ('left' | 'right')[] = ['right', 'right', 'right', 'right', 'right', 'right'];
  out.push(row(`${t('traffic.part.processes')} (${tr.processes.length})`, o.width, o, undefined, false, 'bold'));
  out.push(row(line(pHeads, pW, pAlign, t('watch.col.process')), o.width, o, undefined, false, 'dim'));
  if (!procs.length) out.push(row('  ' + t('traffic.idle'), o.width, o));
  procs.forEach((r, i) => out.push(row(line(pCells[i]!, pW, pAlign, safeText(r.name) + (r.group !== undefined ? ` [${safeText(r.group)}]` : '')), o.width, o)));
  // Connections.
  const co: CellOptions = { numeric: o.numeric, lang: o.lang, ephemeral: o.ephemeral };
  out.push(row(`${t('traffic.part.connections')} (${tr.connections.length})`, o.width, o, undefined, false, 'bold'));
  const connRoom = Math.max(1, room - out.length - 1 - tail.length);
  st.pageRows = connRoom;
  const start = st.scroll.traffic;
  const shown = tr.connections.slice(start, start + connRoom);
  const cHeads = [msg(o.lang, 'view.col.proto'), msg(o.lang, 'view.col.local'), msg(o.lang, 'view.col.remote'), ...numHeads];
  const cCells = shown.map((x) => [COLUMNS[0]!.text(x.socket, co), COLUMNS[1]!.text(x.socket, co), COLUMNS[2]!.text(x.socket, co), ...nums(x)]);
  const cW = widthsOf(cHeads, cCells);
  const cAlign: ('left' | 'right')[] = ['left', 'left', 'left', 'right', 'right', 'right', 'right'];
  out.push(row(line(cHeads, cW, cAlign, msg(o.lang, 'view.col.holders')), o.width, o, undefined, false, 'dim'));
  shown.forEach((x, i) => {
    const m = markOf(st, x.socket, o.now);
    out.push(row(line(cCells[i]!, cW, cAlign, holdersAt(x.socket, 1, o.lang)), o.width, o, m, start + i === st.selected.traffic));
  });
  while (out.length < room - tail.length) out.push(' '.repeat(o.width));
  return { header, rows: out.concat(tail) };
}

/** The detail pane's text, as logical lines (wrapped to the width by the caller). */
function detailLines(st: TuiState, o: DrawOptions): string[] {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  const s = st.view === 'processes' ? undefined : selectedSocket(st);
  if (st.view === 'processes') {
    const r = processRows(st)[st.selected.processes];
    if (!r) return [t('watch.detail.none')];
    return [
      `${t('watch.col.pid')} ${r.pid}  ${safeText(r.name)}  ${t('watch.col.user')} ${safeText(r.user)}`,
      `${t('watch.col.listening')}: ${r.listening.join(' ') || '-'}`,
      `${t('watch.col.states')}: ${statesText(r.states) || '-'}`,
      t('watch.detail.queues', { recvq: r.recvQ, sendq: r.sendQ, accept: r.acceptQ }) + `  ${t('watch.col.sockets')} ${r.sockets}`,
      `${t('watch.detail.command')}: ${safeText(r.command)}`,
    ];
  }
  if (!s) return [t('watch.detail.none')];
  const lines = [
    `${s.protocol}/${s.family}  ${formatEndpoint(s.localAddress, s.localPort)} → ${remoteCell(s, { numeric: true, lang: o.lang })}  ${s.state}`,
    `Recv-Q ${s.recvQ}  Send-Q ${s.sendQ}${s.backlog !== undefined ? `  ${t('watch.detail.backlog')} ${s.backlog}` : ''}  inode ${s.inode}  uid ${s.uid}` +
      (s.interface !== undefined ? `  ${t('watch.detail.interface')} ${s.interface}` : '') +
      (s.timer ? `  ${t('watch.detail.timer', { kind: s.timer.kind, ms: s.timer.expiresMs, n: s.timer.retransmits })}` : ''),
  ];
  const why = o.explain?.(s);
  if (why) lines.push(why);
  if (s.holders.length === 0) lines.push(`${t('watch.detail.holders')}: ${unheldText(s.unheldReason ?? 'unknown', o.lang)}`);
  else {
    lines.push(`${t('watch.detail.holders')} (${s.holders.length}):`);
    for (const h of s.holders) {
      lines.push(`  ${h.fd === undefined ? holderShort(h) : msg(o.lang, 'view.holder', { pid: h.pid, name: safeText(h.name ?? '?'), fd: h.fd })}  ${safeText(h.user ?? '')}  ${safeText(h.command ?? '')}`);
    }
  }
  return lines;
}

/** The list `k` shows when several processes hold the socket. */
function chooseLines(st: TuiState, o: DrawOptions, room: number): string[] {
  if (st.mode.kind !== 'choose') return [];
  const m = st.mode;
  const lines = wrap(msg(o.lang, 'watch.kill.choose', { local: formatEndpoint(m.socket.localAddress, m.socket.localPort), n: m.holders.length }), o.width);
  lines.push('');
  const holders = new Map(m.socket.holders.map((h) => [h.pid, h]));
  const entries = m.holders.map((x, i) => {
    const h = holders.get(x.pid);
    const width = String(m.holders.length).length;
    const text = `${String(i + 1).padStart(width)}  ${x.pid}/${safeText(x.name)}  ${safeText(h?.user ?? '')}  ${safeText(h?.command ?? '')}`;
    return row(text, o.width, o, undefined, i === m.at);
  });
  entries.push(row(`a  ${msg(o.lang, 'watch.kill.choose-all', { n: m.holders.length })}`, o.width, o, undefined, m.at === m.holders.length));
  // More holders than lines: the list scrolls with the cursor.
  const fits = Math.max(1, room - lines.length);
  const from = Math.max(0, Math.min(m.at - fits + 1, entries.length - fits));
  return lines.concat(entries.slice(from, from + fits));
}

function helpLines(o: DrawOptions): string[] {
  const keys: MessageKey[] = ['watch.help.move', 'watch.help.views', 'watch.help.sort', 'watch.help.filter', 'watch.help.filter2',
    'traffic.help', 'watch.help.toggles', 'watch.help.pause', 'watch.help.detail', 'watch.help.kill', 'watch.help.destroy', 'watch.help.input', 'watch.help.marks', 'watch.help.quit'];
  return [msg(o.lang, 'watch.help.title'), '', ...keys.map((k) => '  ' + msg(o.lang, k))];
}

/** The whole screen: exactly `height` lines of `width` columns. */
export function draw(st: TuiState, o: DrawOptions): string[] {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  const lines = headerLines(st, o);
  // Status or prompt, then the help line. A long status or question is wrapped, never cut:
  // it takes the help line's place and up to two more.
  let status = '';
  let tone: Paint | undefined;
  if (st.mode.kind === 'filter') status = t('watch.filter.prompt', { text: safeText(st.mode.text) }) + '█';
  else if (st.mode.kind === 'confirm') { status = confirmText(st, (k, p) => msg(o.lang, k, p))!; tone = 'yellow'; }
  else if (st.status && st.status.until > o.now) {
    status = st.status.text;
    tone = st.status.tone === 'error' ? 'red' : st.status.tone === 'ok' ? 'green' : undefined;
  } else if (!st.snapshot) status = t('watch.loading');
  const statusLines = st.mode.kind === 'filter' ? [status] : wrap(status, o.width);
  const footer: string[] = statusLines.length > 1
    ? statusLines.slice(0, Math.max(2, Math.min(3, o.height - 4))).map((l) => row(l, o.width, o, undefined, false, tone))
    : [row(status, o.width, o, undefined, false, tone), row(displayWidth(t('watch.help.line')) <= o.width ? t('watch.help.line') : t('watch.help.short'), o.width, o, undefined, false, 'dim')];
  if (st.mode.kind === 'help' || st.mode.kind === 'choose') {
    const room = o.height - lines.length - footer.length;
    const text = st.mode.kind === 'help' ? helpLines(o).flatMap((l) => wrap(l, o.width, '      ')) : chooseLines(st, o, room);
    for (let i = 0; i < room; i++) lines.push(text[i] !== undefined && text[i]!.includes('\x1b') ? text[i]! : row(text[i] ?? '', o.width, o));
    return withFooter(lines, footer, o.height);
  }
  let detail: string[] = [];
  if (st.detail) {
    // Wrapped, not cut; the pane takes at most what leaves the selected row visible.
    const wrapped = detailLines(st, o).flatMap((l) => wrap(l, o.width, '    '));
    const most = Math.max(3, o.height - lines.length - footer.length - 3);
    detail = ['─'.repeat(Math.max(0, o.width)), ...wrapped];
    if (detail.length > most) detail = [...detail.slice(0, most - 1), fit(`… (+${detail.length - most + 1})`, o.width)];
  }
  const room = Math.max(1, o.height - lines.length - 1 - footer.length - detail.length);
  st.pageRows = room;
  const body = st.view === 'sockets' ? socketsBody(st, o, room) : st.view === 'processes' ? processesBody(st, o, room)
    : st.view === 'traffic' ? trafficBody(st, o, room) : listenersBody(st, o, room);
  lines.push(o.color ? `\x1b[1m${fit(body.header, o.width)}\x1b[0m` : fit(body.header, o.width));
  for (let i = 0; i < room; i++) lines.push(body.rows[i] ?? (i === 0 && st.snapshot ? fit(t('watch.empty'), o.width) : ' '.repeat(o.width)));
  for (const d of detail) lines.push(fit(d, o.width));
  return withFooter(lines, footer, o.height);
}

/**
 * Exactly `height` lines, the footer kept whole when the terminal is too short
 * for everything: it holds the question of k and x, which the view takes as
 * drawn (so a `y` may answer it) once a frame is out. Rows give way first.
 */
function withFooter(lines: string[], footer: string[], height: number): string[] {
  if (lines.length + footer.length <= height) return lines.concat(footer);
  return lines.slice(0, Math.max(0, height - footer.length)).concat(footer).slice(0, height);
}

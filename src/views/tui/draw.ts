// The live view's screen as lines of text, from the state alone. Only the rows
// that fit on the screen are formatted, whatever the number of sockets.
import { msg, type Lang, type MessageKey } from '../../explain/i18n.js';
import type { Socket, SocketState } from '../../model/socket.js';
import { formatEndpoint } from '../../model/socket.js';
import { COLUMNS, holderText, remoteCell, stateStyle, unheldText, type CellOptions } from '../columns.js';
import { displayWidth, paint, type Paint } from '../sink.js';
import { confirmText } from './keys.js';
import {
  listenerRows, markOf, processRows, rates, selectedSocket, visibleSockets, VIEWS,
  type Mark, type TuiState, type ViewName,
} from './state.js';

export interface DrawOptions {
  width: number;
  height: number;
  now: number;
  lang: Lang;
  color: boolean;
  numeric: boolean;
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

const VIEW_KEY: Record<ViewName, MessageKey> = { sockets: 'watch.view.sockets', processes: 'watch.view.processes', listeners: 'watch.view.listeners' };
const STATE_LIST: SocketState[] = ['LISTEN', 'UNCONN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'CLOSE'];

function headerLines(st: TuiState, o: DrawOptions): string[] {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  const tabs = VIEWS.map((v, i) => {
    const label = `${i + 1} ${t(VIEW_KEY[v])}`;
    return v === st.view ? (o.color ? `\x1b[7m ${label} \x1b[0m` : `[${label}]`) : ` ${label} `;
  }).join(' ');
  const r = rates(st, o.now);
  const total = st.snapshot?.sockets.length ?? 0;
  const bits = [
    t('watch.header.sockets', { n: total }),
    t('watch.header.rates', { opened: r.opened.toFixed(1), closed: r.closed.toFixed(1) }),
  ];
  if (st.cost) bits.push(t('watch.header.cost', { ms: Math.round(st.cost.wallMs), cpu: Math.round(st.cost.cpuMs) }));
  if (st.paused) bits.push(t('watch.header.paused'));
  const line0 = `${t('watch.title')}  ${tabs}  ${bits.join('  ')}`;
  const counts = STATE_LIST.filter((s) => st.counts[s]).map((s) => {
    const text = `${s} ${st.counts[s]}`;
    const style = stateStyle(s);
    return o.color && style ? paint(true, style, text) : text;
  }).join('  ');
  const tg = st.toggles;
  const shown: string[] = [];
  if (tg.tcp) shown.push('-t');
  if (tg.udp) shown.push('-u');
  if (tg.listening) shown.push('-l');
  if (tg.all) shown.push('-a');
  const right = [
    t('watch.header.sort', { key: st.sort[st.view]!, dir: st.descending[st.view] ? '↓' : '↑' }),
    shown.length ? t('watch.header.toggles', { flags: shown.join(' ') }) : '',
    st.text ? t('watch.header.filter', { text: st.text.text }) : '',
  ].filter(Boolean).join('  ');
  return [fitAnsi(line0, o.width), fitAnsi(`${counts || t('watch.header.none')}   ${right}`, o.width)];
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

// ------------------------------------------------------------------ views

interface Body {
  header: string;
  rows: string[];
}

function socketsBody(st: TuiState, o: DrawOptions, rowsRoom: number): Body {
  const rows = visibleSockets(st);
  const start = st.scroll.sockets;
  const shown = rows.slice(start, start + rowsRoom);
  const co: CellOptions = { numeric: o.numeric, lang: o.lang };
  const cols = COLUMNS;
  const headers = cols.map((c) => msg(o.lang, c.header));
  const mins = [5, 21, 21, 11, 6, 6, 10];
  const texts = shown.map((s) => cols.map((c) => c.text(s, co)));
  const widths = cols.map((_, i) => Math.max(mins[i] ?? 4, displayWidth(headers[i]!), ...texts.map((r) => displayWidth(r[i]!))));
  const last = cols.length - 1;
  const line = (cells: string[], mark: string): string =>
    mark + ' ' + cells.map((x, i) => (i === last ? x : cell(x, widths[i]!, cols[i]!.align))).join('  ');
  const out: string[] = [];
  for (let i = 0; i < shown.length; i++) {
    const s = shown[i]!;
    const m = markOf(st, s, o.now);
    out.push(row(line(texts[i]!, m ? MARK_CHAR[m] : ' '), o.width, o, m, start + i === st.selected.sockets,
      m ? undefined : s.state === 'TIME_WAIT' ? 'dim' : undefined));
  }
  return { header: line(headers, ' '), rows: out };
}

function statesText(states: Partial<Record<SocketState, number>>): string {
  return STATE_LIST.filter((s) => states[s]).map((s) => `${s} ${states[s]}`).join(', ');
}

function processesBody(st: TuiState, o: DrawOptions, rowsRoom: number): Body {
  const t = (k: MessageKey): string => msg(o.lang, k);
  const rows = processRows(st);
  const start = st.scroll.processes;
  const widths = [7, 15, 9, 7, 8, 8, 22];
  const heads = [t('watch.col.pid'), t('watch.col.process'), t('watch.col.user'), t('watch.col.sockets'), 'Recv-Q', 'Send-Q',
    t('watch.col.listening'), t('watch.col.states')];
  const align: ('left' | 'right')[] = ['right', 'left', 'left', 'right', 'right', 'right', 'left', 'left'];
  const line = (cells: string[]): string => '  ' + cells.map((x, i) => (i < widths.length ? cell(x, widths[i]!, align[i]!) : x)).join('  ');
  const out = rows.slice(start, start + rowsRoom).map((r, i) => row(line([String(r.pid), r.name, r.user, String(r.sockets),
    String(r.recvQ), String(r.sendQ), r.listening.join(' ') || '-', statesText(r.states)]), o.width, o, undefined, start + i === st.selected.processes));
  return { header: line(heads), rows: out };
}

function fillBar(fill: number | undefined, s: Socket): string {
  if (s.protocol === 'udp') return `${s.recvQ} B`;
  if (fill === undefined) return `${s.recvQ}/?`;
  const n = Math.max(0, Math.min(8, Math.round(fill * 8)));
  return `[${'#'.repeat(n)}${'.'.repeat(8 - n)}] ${s.recvQ}/${s.backlog}`;
}

function listenersBody(st: TuiState, o: DrawOptions, rowsRoom: number): Body {
  const t = (k: MessageKey): string => msg(o.lang, k);
  const rows = listenerRows(st);
  const start = st.scroll.listeners;
  const co: CellOptions = { numeric: o.numeric, lang: o.lang };
  const widths = [5, 24, 16, 22];
  const heads = [msg(o.lang, 'view.col.proto'), msg(o.lang, 'view.col.local'), t('watch.col.scope'), t('watch.col.accept'), msg(o.lang, 'view.col.holders')];
  const line = (cells: string[], mark: string): string => mark + ' ' + cells.map((x, i) => (i < widths.length ? cell(x, widths[i]!, 'left') : x)).join('  ');
  const out = rows.slice(start, start + rowsRoom).map((r, i) => {
    const s = r.socket;
    const m = markOf(st, s, o.now);
    const full = r.fill !== undefined && r.fill >= 1;
    return row(line([COLUMNS[0]!.text(s, co), COLUMNS[1]!.text(s, co), msg(o.lang, `scope.${r.scope}`), fillBar(r.fill, s),
      COLUMNS[6]!.text(s, co)], m ? MARK_CHAR[m] : ' '), o.width, o, m, start + i === st.selected.listeners, full ? 'red' : undefined);
  });
  return { header: line(heads, ' '), rows: out };
}

function detailLines(st: TuiState, o: DrawOptions): string[] {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  const s = st.view === 'processes' ? undefined : selectedSocket(st);
  if (st.view === 'processes') {
    const r = processRows(st)[st.selected.processes];
    if (!r) return [t('watch.detail.none')];
    return [
      `${t('watch.col.pid')} ${r.pid}  ${r.name}  ${t('watch.col.user')} ${r.user}`,
      `${t('watch.detail.command')}: ${r.command}`,
      `${t('watch.col.listening')}: ${r.listening.join(' ') || '-'}`,
      `${t('watch.col.states')}: ${statesText(r.states) || '-'}`,
      `Recv-Q ${r.recvQ}  Send-Q ${r.sendQ}  ${t('watch.col.sockets')} ${r.sockets}`,
    ];
  }
  if (!s) return [t('watch.detail.none')];
  const lines = [
    `${s.protocol}/${s.family}  ${formatEndpoint(s.localAddress, s.localPort)} → ${remoteCell(s, { numeric: true, lang: o.lang })}  ${s.state}`,
    `Recv-Q ${s.recvQ}  Send-Q ${s.sendQ}${s.backlog !== undefined ? `  ${t('watch.detail.backlog')} ${s.backlog}` : ''}  inode ${s.inode}  uid ${s.uid}` +
      (s.interface !== undefined ? `  ${t('watch.detail.interface')} ${s.interface}` : '') +
      (s.timer ? `  ${t('watch.detail.timer', { kind: s.timer.kind, ms: s.timer.expiresMs, n: s.timer.retransmits })}` : ''),
  ];
  if (s.holders.length === 0) lines.push(`${t('watch.detail.holders')}: ${unheldText(s.unheldReason ?? 'unknown', o.lang)}`);
  else {
    lines.push(`${t('watch.detail.holders')} (${s.holders.length}):`);
    for (const h of s.holders) lines.push(`  ${holderText(h, o.lang)}  ${h.user ?? ''}  ${h.command ?? ''}`);
  }
  const why = o.explain?.(s);
  if (why) lines.push(why);
  return lines;
}

function helpLines(o: DrawOptions): string[] {
  const keys: MessageKey[] = ['watch.help.move', 'watch.help.views', 'watch.help.sort', 'watch.help.filter', 'watch.help.filter2',
    'watch.help.toggles', 'watch.help.pause', 'watch.help.detail', 'watch.help.kill', 'watch.help.destroy', 'watch.help.marks', 'watch.help.quit'];
  return [msg(o.lang, 'watch.help.title'), '', ...keys.map((k) => '  ' + msg(o.lang, k))];
}

/** The whole screen: exactly `height` lines of `width` columns. */
export function draw(st: TuiState, o: DrawOptions): string[] {
  const t = (k: MessageKey, p?: Record<string, string | number>): string => msg(o.lang, k, p);
  const lines = headerLines(st, o);
  const footer: string[] = [];
  // Status or prompt, then the help line.
  let status = '';
  let tone: Paint | undefined;
  if (st.mode.kind === 'filter') status = t('watch.filter.prompt', { text: st.mode.text }) + '█';
  else if (st.mode.kind === 'confirm') { status = confirmText(st, (k, p) => msg(o.lang, k, p))!; tone = 'yellow'; }
  else if (st.status && st.status.until > o.now) {
    status = st.status.text;
    tone = st.status.tone === 'error' ? 'red' : st.status.tone === 'ok' ? 'green' : undefined;
  } else if (!st.snapshot) status = t('watch.loading');
  footer.push(row(status, o.width, o, undefined, false, tone));
  footer.push(row(t('watch.help.line'), o.width, o, undefined, false, 'dim'));
  let detail: string[] = [];
  if (st.mode.kind === 'help') {
    const help = helpLines(o);
    const room = o.height - lines.length - footer.length;
    for (let i = 0; i < room; i++) lines.push(row(help[i] ?? '', o.width, o));
    return lines.concat(footer);
  }
  if (st.detail) detail = ['─'.repeat(Math.max(0, o.width)), ...detailLines(st, o)].slice(0, Math.max(3, Math.floor(o.height / 3)));
  const room = Math.max(1, o.height - lines.length - 1 - footer.length - detail.length);
  st.pageRows = room;
  const body = st.view === 'sockets' ? socketsBody(st, o, room) : st.view === 'processes' ? processesBody(st, o, room) : listenersBody(st, o, room);
  lines.push(o.color ? `\x1b[1m${fit(body.header, o.width)}\x1b[0m` : fit(body.header, o.width));
  for (let i = 0; i < room; i++) lines.push(body.rows[i] ?? (i === 0 && st.snapshot ? fit(t('watch.empty'), o.width) : ' '.repeat(o.width)));
  for (const d of detail) lines.push(fit(d, o.width));
  return lines.concat(footer).slice(0, o.height);
}

// The socket table as text, JSON, NDJSON and CSV. Every renderer streams row by
// row into a Sink; the text table makes one extra pass to measure column widths.
import type { Holder, Socket } from '../model/socket.js';
import { COLUMNS, stateStyle, type CellOptions, type Column } from './columns.js';
import { displayWidth, padDisplay, padDisplayStart, paint, splitColumns, wrap, type RenderOptions, type Sink } from './sink.js';
import { csvPart, jsonText } from './safe-text.js';
import { msg } from '../explain/i18n.js';

/** How a table is laid out; a narrow terminal gives up what matters least first. */
interface Layout {
  cell: CellOptions;
  shortHeaders: boolean;
  gap: number;
}

/**
 * The layouts to try on a terminal of `width` columns, in order: as asked;
 * shorter headers; one space between columns; ESTAB for ESTABLISHED; port
 * numbers instead of service names. Never given up: a number, a pid or a
 * process name (the last column breaks over lines instead, see renderTable).
 */
function layouts(opts: RenderOptions): Layout[] {
  const base: CellOptions = { numeric: opts.numeric, lang: opts.lang, ephemeral: opts.ephemeral };
  const out: Layout[] = [{ cell: base, shortHeaders: false, gap: 2 }];
  if (opts.width === undefined) return out;
  out.push({ cell: base, shortHeaders: true, gap: 2 });
  out.push({ cell: base, shortHeaders: true, gap: 1 });
  out.push({ cell: { ...base, shortStates: true }, shortHeaders: true, gap: 1 });
  if (!opts.numeric) out.push({ cell: { ...base, shortStates: true, numeric: true }, shortHeaders: true, gap: 1 });
  return out;
}

/** Room the last column should have before we stop giving things up: its widest part, within reason. */
const LAST_WANTED = 24;

const NO_LINES: string[] = [];
const SPACES = Array.from({ length: 65 }, (_, n) => ' '.repeat(n));

/** n spaces (none for n <= 0), without a new string for the common widths. */
function spaces(n: number): string {
  return n <= 0 ? '' : n < SPACES.length ? SPACES[n]! : ' '.repeat(n);
}

/** Widths counted per column up to this; wider cells count here. */
const HIST_MAX = 128;

/**
 * Column widths of a layout over all rows (one pass), how many cells have
 * each width (to find the few outliers, such as one long IPv6 address), and
 * the width of the widest part of the last column.
 */
function measure(sockets: readonly Socket[], columns: readonly Column[], l: Layout, headers: readonly string[], fit: boolean):
  { widths: number[]; hist: Uint32Array[]; lastPart: number } {
  const last = columns.length - 1;
  const widths = headers.map(() => 0);
  const hist = headers.slice(0, last).map(() => new Uint32Array(fit ? HIST_MAX + 1 : 0));
  // Only a terminal needs the histogram and the last column's parts: a pipe's pass stays as cheap as it was.
  let lastPart = fit ? 0 : LAST_WANTED;
  const lastCol = columns[last]!;
  for (const s of sockets) {
    for (let i = 0; i < last; i++) {
      const w = displayWidth(columns[i]!.text(s, l.cell));
      if (fit) hist[i]![Math.min(w, HIST_MAX)]!++;
      if (w > widths[i]!) widths[i] = w;
    }
    if (lastPart < LAST_WANTED) {
      for (const part of lastCol.parts ? lastCol.parts(s, l.cell) : [lastCol.text(s, l.cell)]) {
        const w = displayWidth(part);
        if (w > lastPart) lastPart = w;
      }
    }
  }
  return { widths, hist, lastPart: Math.min(lastPart, LAST_WANTED) };
}

/** The width that a share `q` of a column's cells fit in (never below `floor`, its header). */
function quantile(hist: Uint32Array, total: number, q: number, floor: number): number {
  let seen = 0;
  for (let w = 0; w <= HIST_MAX; w++) {
    seen += hist[w]!;
    if (seen >= total * q) return Math.max(w, floor);
  }
  return HIST_MAX;
}

/**
 * Lay the parts of the last cell out after `lead` (the row's other cells,
 * `firstWidth` columns wide), in the column that starts at `leadWidth`: as
 * many parts per line as fit, the next ones on lines of their own under the
 * column; a part too wide for the column starts a line at `indent` instead,
 * and a part wider than the whole terminal is broken over lines: nothing is cut.
 */
export function flowLastCell(lead: string, parts: readonly string[], leadWidth: number, width: number, indent = '    ', sep = ', ',
  firstWidth = leadWidth): string[] {
  // The separator ends a part ("," or Chinese "、"); its space, if any, begins the next.
  const mark = sep.trimEnd();
  const space = sep.length > mark.length ? 1 : 0;
  const lines: string[] = [];
  const room = width - leadWidth;
  const pad = ' '.repeat(Math.max(leadWidth, 0));
  let line = lead;
  let avail = width - firstWidth; // room left for the last cell on the current line
  let used = 0; // columns of the last cell used on the current line
  let hasText = lead.trim() !== '';
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]! + (k < parts.length - 1 ? mark : '');
    const w = displayWidth(part);
    const need = used > 0 ? space + w : w;
    if (used + need <= avail) {
      line += (used > 0 && space ? ' ' : '') + part;
      used += need;
      hasText = true;
      continue;
    }
    // A new line: under the column if the part fits there, else indented (cut only if wider than the terminal).
    if (hasText) lines.push(line.trimEnd());
    if (w <= room) {
      line = pad + part;
      avail = room;
      used = w;
    } else {
      // Wider than the terminal: broken over indented lines, never cut (it may be a process name).
      const pieces = splitColumns(part, Math.max(width - indent.length, 1));
      for (const piece of pieces.slice(0, -1)) lines.push(indent + piece);
      line = indent + pieces[pieces.length - 1]!;
      avail = width - indent.length;
      used = displayWidth(pieces[pieces.length - 1]!);
    }
    hasText = true;
  }
  if (hasText) lines.push(line.trimEnd());
  return lines;
}

/** A row's first cells laid out: finished lines, and the line the last column continues. */
export interface PlacedCells {
  done: string[];
  text: string;
  /** Columns taken by `text`. */
  width: number;
}

/**
 * Lay out a row's first cells, each at its column when it can be: a cell wider
 * than its column pushes the next ones right until a shorter cell takes the
 * slack back, and a cell that would cross the terminal's edge starts a new
 * line at its own column (or as far right as it fits). Nothing is cut.
 */
export function placeCells(cells: readonly string[], widths: readonly number[], right: readonly boolean[], gap: number, width: number,
  indent = '', paint1?: (i: number, cell: string) => string): PlacedCells {
  const done: string[] = [];
  let line = indent;
  let pos = indent.length;
  let start = indent.length;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    const w = displayWidth(cell);
    const end = start + widths[i]!;
    let before = right[i] ? Math.max(0, end - pos - w) : Math.max(0, start - pos);
    if (pos > indent.length && pos + before + w > width) {
      done.push(line.trimEnd());
      line = '';
      pos = 0;
      before = Math.max(0, Math.min(right[i] ? end - w : start, width - w));
    }
    const after = Math.max(0, end - (pos + before + w));
    line += spaces(before) + (paint1 ? paint1(i, cell) : cell) + spaces(after + gap);
    pos += before + w + after + gap;
    start = end + gap;
  }
  return { done, text: line, width: pos };
}

/** The first `n` cells, each padded to its column (right-aligned where `right`), each followed by the gap. */
export function padCells(cells: readonly string[], n: number, widths: readonly number[], right: readonly boolean[], gapText: string,
  paint1?: (i: number, cell: string) => string): string {
  let line = '';
  for (let i = 0; i < n; i++) {
    const cell = paint1 ? paint1(i, cells[i]!) : cells[i]!;
    const pad = spaces(widths[i]! - displayWidth(cells[i]!));
    line += (right[i] ? pad + cell : cell + pad) + gapText;
  }
  return line;
}

/**
 * Render sockets as an aligned table. On a terminal the table fits its width:
 * it first gives up what matters least (see layouts()), then lets the rare
 * long cell (one IPv6 address among IPv4 ones) push its row right instead of
 * widening every row, and breaks the last column (PID/Program) over lines
 * rather than cutting a pid or a name.
 */
export async function renderTable(sockets: readonly Socket[], sink: Sink, opts: RenderOptions,
  columns: readonly Column[] = COLUMNS, explain?: (s: Socket) => string): Promise<void> {
  const last = columns.length - 1;
  const fitWidth = opts.wide ? undefined : opts.width;
  const candidates = layouts({ ...opts, width: fitWidth });
  let layout = candidates[0]!;
  let headers: string[] = [];
  let widths: number[] = [];
  const fixedOf = (ws: number[], gap: number): number => ws.slice(0, last).reduce((a, b) => a + b + gap, 0);
  // Layouts that differ only in headers or spacing share one pass over the rows.
  const passes = new Map<CellOptions, ReturnType<typeof measure>>();
  for (const l of candidates) {
    layout = l;
    headers = columns.map((c) => msg(opts.lang, l.shortHeaders && c.shortHeader ? c.shortHeader : c.header));
    let m = passes.get(l.cell);
    if (!m) passes.set(l.cell, m = measure(sockets, columns, l, headers, fitWidth !== undefined));
    widths = m.widths.map((w, i) => Math.max(w, displayWidth(headers[i]!)));
    const want = Math.max(m.lastPart, displayWidth(headers[last]!));
    if (fitWidth === undefined || fixedOf(widths, l.gap) + want <= fitWidth) break;
    if (l === candidates[candidates.length - 1]) {
      // Still too wide: size the address columns for most rows (90%, else 75%);
      // the few longer cells push the rest of their own row right, or onto a second line.
      // If even that does not fit, every row keeps its columns and its holders go on the next line.
      const full = widths;
      const hist = m.hist;
      for (const q of [0.9, 0.75]) {
        const capped = full.map((w, i) => (i < last && columns[i]!.align === 'left' ? Math.min(w, quantile(hist[i]!, sockets.length, q, displayWidth(headers[i]!))) : w));
        if (fixedOf(capped, l.gap) + want <= fitWidth) { widths = capped; break; }
      }
    }
  }
  const gapW = layout.gap;
  const right = columns.map((c) => c.align === 'right');
  const gapText = spaces(gapW);
  const lead = (cells: string[], paint1?: (i: number, cell: string) => string): PlacedCells => {
    if (fitWidth === undefined) {
      // A pipe: every cell padded to its column, nothing to fit (the 100k-row path: no extra work).
      return { done: NO_LINES, text: padCells(cells, last, widths, right, gapText, paint1), width: 0 };
    }
    return placeCells(cells.length > last ? cells.slice(0, last) : cells, widths, right, gapW, fitWidth, '', paint1);
  };
  const leadWidth = fixedOf(widths, gapW);
  const top = lead(headers);
  for (const l of top.done) await sink.line(paint(opts.color, 'bold', l));
  const headerLines = fitWidth === undefined ? [(top.text + headers[last]!).trimEnd()]
    : flowLastCell(top.text, [headers[last]!], leadWidth, fitWidth, '    ', ', ', top.width);
  for (const l of headerLines) await sink.line(paint(opts.color, 'bold', l));
  const stateCol = columns.findIndex((c) => c.id === 'state');
  const lastCol = columns[last]!;
  for (const s of sockets) {
    const cells: string[] = [];
    for (let i = 0; i < last; i++) cells.push(columns[i]!.text(s, layout.cell));
    const st = opts.color && stateCol >= 0 ? stateStyle(s.state) : undefined;
    const head = lead(cells, st ? (i, cell) => (i === stateCol ? paint(true, st, cell) : cell) : undefined);
    for (const l of head.done) await sink.line(l);
    if (fitWidth === undefined) {
      const p = sink.line((head.text + lastCol.text(s, layout.cell)).trimEnd());
      if (p) await p;
    } else {
      const parts = lastCol.parts ? lastCol.parts(s, layout.cell) : [lastCol.text(s, layout.cell)];
      for (const l of flowLastCell(head.text, parts, leadWidth, fitWidth, '    ', ', ', head.width)) {
        const p = sink.line(l);
        if (p) await p;
      }
    }
    if (explain) {
      // The explanation sits under its row, indented, wrapped to the terminal.
      for (const l of wrap('↳ ' + explain(s), opts.width, '      ')) await sink.line(paint(opts.color, 'dim', l));
    }
  }
  await sink.flush();
}

/** The v1 JSON object of a socket (docs/json.md): fixed key order, optional keys only when known. */
export function toJson(s: Socket): object {
  const o: Record<string, unknown> = {
    protocol: s.protocol,
    family: s.family,
    localAddress: s.localAddress,
    localPort: s.localPort,
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    state: s.state,
    recvQ: s.recvQ,
    sendQ: s.sendQ,
  };
  if (s.backlog !== undefined) o['backlog'] = s.backlog;
  o['inode'] = s.inode;
  o['uid'] = s.uid;
  if (s.absent !== undefined) o['absent'] = s.absent;
  if (s.interface !== undefined) o['interface'] = s.interface;
  if (s.v6only !== undefined) o['v6only'] = s.v6only;
  if (s.timer !== undefined) o['timer'] = s.timer;
  if (s.memory !== undefined) o['memory'] = s.memory;
  if (s.tcp !== undefined) o['tcp'] = s.tcp;
  if (s.netns !== undefined) o['netns'] = s.netns;
  o['holders'] = s.holders;
  if (s.published !== undefined) o['published'] = s.published;
  if (s.unheldReason !== undefined) o['unheldReason'] = s.unheldReason;
  return o;
}

/**
 * The v1 JSON text of a socket, built from known fields: same keys, order and
 * values as JSON.stringify(toJson(s)) (bar jsonText's escapes), without an intermediate object per
 * socket. Addresses, states and numbers need no escaping; names and command
 * lines go through jsonText() once per process (cached in `procCache`).
 */
export function socketJson(s: Socket, procCache: Map<number, string>): string {
  let out = `{"protocol":"${s.protocol}","family":"${s.family}","localAddress":"${s.localAddress}","localPort":${s.localPort},` +
    `"remoteAddress":"${s.remoteAddress}","remotePort":${s.remotePort},"state":"${s.state}","recvQ":${s.recvQ},"sendQ":${s.sendQ},`;
  if (s.backlog !== undefined) out += `"backlog":${s.backlog},`;
  out += `"inode":${s.inode},"uid":${s.uid},`;
  if (s.absent !== undefined) out += `"absent":${JSON.stringify(s.absent)},`;
  if (s.interface !== undefined) out += `"interface":${s.interface},`;
  if (s.v6only !== undefined) out += `"v6only":${s.v6only},`;
  if (s.timer !== undefined) out += `"timer":${JSON.stringify(s.timer)},`;
  if (s.memory !== undefined) out += `"memory":${JSON.stringify(s.memory)},`;
  // The congestion name is kernel text kept to printable ASCII: JSON.stringify is enough.
  if (s.tcp !== undefined) out += `"tcp":${JSON.stringify(s.tcp)},`;
  if (s.netns !== undefined) out += netnsJson(s.netns);
  out += '"holders":[';
  for (let i = 0; i < s.holders.length; i++) {
    const h = s.holders[i]!;
    let rest = procCache.get(h.pid);
    if (rest === undefined) procCache.set(h.pid, rest = holderJsonRest(h));
    out += `${i ? ',' : ''}{"pid":${h.pid}${h.fd === undefined ? '' : `,"fd":${h.fd}`}${rest}`;
  }
  out += ']';
  // Container names are the runtime's text: escaped as names are.
  if (s.published !== undefined) out += `,"published":${jsonText(s.published)}`;
  if (s.unheldReason !== undefined) out += `,"unheldReason":"${s.unheldReason}"`;
  return out + '}';
}

/** A holder's JSON after its "fd": the same for every fd of a process (",\"name\":...}" or "}"). */
export function holderJsonRest(h: Holder): string {
  const { pid: _p, fd: _f, ...info } = h;
  const rest = jsonText(info).slice(1);
  return rest === '}' ? '}' : ',' + rest;
}

/** `"netns":{...},` once per namespace object (its sockets share it); the name is a file name from the system: escaped. */
const NETNS_JSON = new WeakMap<object, string>();
export function netnsJson(n: NonNullable<Socket['netns']>): string {
  let t = NETNS_JSON.get(n);
  if (t === undefined) NETNS_JSON.set(n, t = `"netns":${jsonText(n)},`);
  return t;
}

/** A JSON array, one socket per line, written as it goes. */
export async function renderJson(sockets: readonly Socket[], sink: Sink): Promise<void> {
  const cache = new Map<number, string>();
  await sink.write('[');
  for (let i = 0; i < sockets.length; i++) {
    const p = sink.write((i === 0 ? '\n' : ',\n') + socketJson(sockets[i]!, cache));
    if (p) await p;
  }
  await sink.write(sockets.length ? '\n]\n' : ']\n');
  await sink.flush();
}

/** One JSON object per line. */
export async function renderNdjson(sockets: readonly Socket[], sink: Sink): Promise<void> {
  const cache = new Map<number, string>();
  for (const s of sockets) {
    const p = sink.line(socketJson(s, cache));
    if (p) await p;
  }
  await sink.flush();
}

const CSV_HEADER = ['protocol', 'family', 'localAddress', 'localPort', 'remoteAddress', 'remotePort', 'state',
  'recvQ', 'sendQ', 'backlog', 'inode', 'uid', 'pids', 'fds', 'programs', 'users', 'unheldReason'];

/** RFC 4180 quoting: only when a field holds a comma, quote or line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * CSV with a header row; several holders are joined with ';' within a field.
 * Our own fields (numbers, states, numeric addresses) need only RFC 4180
 * quoting; text from other processes goes through csvPart(), one holder at a time.
 */
export async function renderCsv(sockets: readonly Socket[], sink: Sink): Promise<void> {
  await sink.line(CSV_HEADER.join(','));
  for (const s of sockets) {
    const h = s.holders;
    const row = [s.protocol, s.family, s.localAddress, String(s.localPort), s.remoteAddress, String(s.remotePort), s.state,
      String(s.recvQ), String(s.sendQ), s.backlog === undefined ? '' : String(s.backlog), String(s.inode), String(s.uid),
      h.map((x) => x.pid).join(';'), h.map((x) => x.fd).join(';')].map(csvField);
    // Names and users come from other processes: formula-neutralised and escaped.
    // Each holder's own, so that the second name is as neutral as the first.
    row.push(csvField(h.map((x) => csvPart(x.name ?? '')).join(';')), csvField(h.map((x) => csvPart(x.user ?? '')).join(';')), s.unheldReason ?? '');
    const p = sink.line(row.join(','));
    if (p) await p;
  }
  await sink.flush();
}

// The socket table as text, JSON, NDJSON and CSV. Every renderer streams row by
// row into a Sink; the text table makes one extra pass to measure column widths.
import type { Socket } from '../model/socket.js';
import { COLUMNS, stateStyle, type Column } from './columns.js';
import { clip, displayWidth, paint, wrap, type RenderOptions, type Sink } from './sink.js';
import { msg } from '../explain/i18n.js';

/** Render sockets as an aligned table; on a terminal the last column is cut to fit. */
export async function renderTable(sockets: readonly Socket[], sink: Sink, opts: RenderOptions,
  columns: readonly Column[] = COLUMNS, explain?: (s: Socket) => string): Promise<void> {
  const headers = columns.map((c) => msg(opts.lang, c.header));
  const widths = headers.map((h) => displayWidth(h));
  const last = columns.length - 1;
  for (const s of sockets) {
    for (let i = 0; i < last; i++) {
      const w = columns[i]!.text(s, opts).length;
      if (w > widths[i]!) widths[i] = w;
    }
  }
  const fixed = widths.slice(0, last).reduce((a, b) => a + b + 2, 0);
  const lastWidth = opts.width !== undefined ? Math.max(opts.width - fixed, 8) : undefined;
  const pad = (text: string, i: number): string => {
    if (i === last) return lastWidth !== undefined ? clip(text, lastWidth) : text;
    // Headers may be Chinese (two columns per character); data cells are ASCII.
    const room = widths[i]! - displayWidth(text) + text.length;
    return columns[i]!.align === 'right' ? text.padStart(room) : text.padEnd(room);
  };
  await sink.line(paint(opts.color, 'bold', headers.map((h, i) => pad(h, i)).join('  ').trimEnd()));
  const stateCol = columns.findIndex((c) => c.id === 'state');
  for (const s of sockets) {
    let line = '';
    for (let i = 0; i <= last; i++) {
      let cell = pad(columns[i]!.text(s, opts), i);
      if (i === stateCol && opts.color) {
        const st = stateStyle(s.state);
        if (st) cell = paint(true, st, cell);
      }
      line += i === 0 ? cell : '  ' + cell;
    }
    const p = sink.line(line.trimEnd());
    if (p) await p;
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
  if (s.interface !== undefined) o['interface'] = s.interface;
  if (s.v6only !== undefined) o['v6only'] = s.v6only;
  if (s.timer !== undefined) o['timer'] = s.timer;
  if (s.memory !== undefined) o['memory'] = s.memory;
  o['holders'] = s.holders;
  if (s.unheldReason !== undefined) o['unheldReason'] = s.unheldReason;
  return o;
}

/**
 * The v1 JSON text of a socket, built from known fields: same keys, order and
 * values as JSON.stringify(toJson(s)), without an intermediate object per
 * socket. Addresses, states and numbers need no escaping; names and command
 * lines go through JSON.stringify once per process (cached in `procCache`).
 */
export function socketJson(s: Socket, procCache: Map<number, string>): string {
  let out = `{"protocol":"${s.protocol}","family":"${s.family}","localAddress":"${s.localAddress}","localPort":${s.localPort},` +
    `"remoteAddress":"${s.remoteAddress}","remotePort":${s.remotePort},"state":"${s.state}","recvQ":${s.recvQ},"sendQ":${s.sendQ},`;
  if (s.backlog !== undefined) out += `"backlog":${s.backlog},`;
  out += `"inode":${s.inode},"uid":${s.uid},`;
  if (s.interface !== undefined) out += `"interface":${s.interface},`;
  if (s.v6only !== undefined) out += `"v6only":${s.v6only},`;
  if (s.timer !== undefined) out += `"timer":${JSON.stringify(s.timer)},`;
  if (s.memory !== undefined) out += `"memory":${JSON.stringify(s.memory)},`;
  out += '"holders":[';
  for (let i = 0; i < s.holders.length; i++) {
    const h = s.holders[i]!;
    let rest = procCache.get(h.pid);
    if (rest === undefined) {
      // Everything after "fd" is the same for every fd of a process.
      const { pid: _p, fd: _f, ...info } = h;
      rest = JSON.stringify(info).slice(1);
      rest = rest === '}' ? '}' : ',' + rest;
      procCache.set(h.pid, rest);
    }
    out += `${i ? ',' : ''}{"pid":${h.pid}${h.fd === undefined ? '' : `,"fd":${h.fd}`}${rest}`;
  }
  out += ']';
  if (s.unheldReason !== undefined) out += `,"unheldReason":"${s.unheldReason}"`;
  return out + '}';
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

/** CSV with a header row; several holders are joined with ';' within a field. */
export async function renderCsv(sockets: readonly Socket[], sink: Sink): Promise<void> {
  await sink.line(CSV_HEADER.join(','));
  for (const s of sockets) {
    const h = s.holders;
    const row = [s.protocol, s.family, s.localAddress, String(s.localPort), s.remoteAddress, String(s.remotePort), s.state,
      String(s.recvQ), String(s.sendQ), s.backlog === undefined ? '' : String(s.backlog), String(s.inode), String(s.uid),
      h.map((x) => x.pid).join(';'), h.map((x) => x.fd).join(';'), h.map((x) => x.name ?? '').join(';'),
      h.map((x) => x.user ?? '').join(';'), s.unheldReason ?? ''];
    const p = sink.line(row.map(csvField).join(','));
    if (p) await p;
  }
  await sink.flush();
}

// Where views write: a chunked, back-pressured text sink, so that rendering a
// 100k-row table never holds the whole text in memory. The CLI builds one over
// process.stdout; tests build one over an array.
import type { Writable } from 'node:stream';
import type { Lang } from '../explain/i18n.js';

export interface RenderOptions {
  /** Paint with ANSI colours (a TTY and no NO_COLOR). */
  color: boolean;
  /** Fit lines to this many columns; undefined means never truncate (a pipe). */
  width?: number;
  /** Print port numbers, not service names. */
  numeric: boolean;
  /** Language of every word that is not data. */
  lang: Lang;
}

export class Sink {
  private buf = '';
  constructor(private readonly out: { write(s: string): boolean; once?(ev: 'drain', fn: () => void): unknown },
    private readonly limit = 1 << 16) {}

  static of(stream: Writable): Sink {
    return new Sink(stream as unknown as { write(s: string): boolean; once(ev: 'drain', fn: () => void): unknown });
  }

  /** Append text; returns a promise only when the buffer was handed on and the stream asked us to wait. */
  write(s: string): Promise<void> | undefined {
    this.buf += s;
    if (this.buf.length < this.limit) return undefined;
    return this.flush();
  }

  line(s: string): Promise<void> | undefined {
    return this.write(s + '\n');
  }

  flush(): Promise<void> | undefined {
    if (this.buf === '') return undefined;
    const chunk = this.buf;
    this.buf = '';
    if (this.out.write(chunk) || !this.out.once) return undefined;
    return new Promise((resolve) => this.out.once!('drain', resolve));
  }
}

/** A sink that collects text in memory, for tests and small outputs. */
export function memorySink(): { sink: Sink; text(): string } {
  const parts: string[] = [];
  const sink = new Sink({ write: (s) => { parts.push(s); return true; } });
  return { sink, text: () => { sink.flush(); return parts.join(''); } };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Paint = keyof typeof CODES;

export function paint(on: boolean, style: Paint, text: string): string {
  return on ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

/**
 * Columns a string takes on a terminal: CJK ideographs, fullwidth forms and
 * the like take two (East Asian Wide, UAX #11), everything else one.
 */
export function displayWidth(text: string): number {
  // Nearly every cell is ASCII: check that first, without iterating code points.
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) { ascii = false; break; }
  }
  if (ascii) return text.length;
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x20000 && c <= 0x3fffd) ? 2 : 1;
  }
  return w;
}

/** Pad `text` with spaces to `width` terminal columns. */
export function padDisplay(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Cut `text` to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  if (max <= 0) return '';
  return text.length <= max ? text : max === 1 ? '…' : text.slice(0, max - 1) + '…';
}

/**
 * Wrap a paragraph to `width` terminal columns, each line starting with
 * `indent`. Breaks at spaces, and between any two CJK characters (Chinese
 * has no spaces); undefined width means one line.
 */
export function wrap(text: string, width: number | undefined, indent = ''): string[] {
  if (width === undefined || width <= indent.length + 10) return [indent + text];
  const room = width - displayWidth(indent);
  const lines: string[] = [];
  let line = '';
  let lineW = 0;
  // Tokens: a run of non-space non-CJK characters, a single CJK character, or spaces.
  const tokens = text.match(/[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+/g) ?? [];
  for (const tok of tokens) {
    const w = displayWidth(tok);
    if (/^\s+$/.test(tok)) {
      if (lineW > 0 && lineW + 1 <= room) { line += ' '; lineW += 1; }
      continue;
    }
    if (lineW + w > room && lineW > 0) {
      lines.push(indent + line.trimEnd());
      line = '';
      lineW = 0;
    }
    line += tok;
    lineW += w;
  }
  if (line.trim() !== '') lines.push(indent + line.trimEnd());
  return lines.length ? lines : [indent];
}

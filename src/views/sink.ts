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
  /** --wide: nothing is cut to the width (command lines shown whole); paragraphs still wrap. */
  wide?: boolean;
  /** Print port numbers, not service names. */
  numeric: boolean;
  /** This host's ephemeral port range, whose ports are never given service names. */
  ephemeral?: readonly [number, number];
  /** Language of every word that is not data. */
  lang: Lang;
}

export class Sink {
  private buf = '';
  constructor(private readonly out: { write(s: string | Uint8Array, done?: (e?: Error | null) => void): boolean; once?(ev: 'drain', fn: () => void): unknown },
    private readonly limit = 1 << 16) {}

  static of(stream: Writable): Sink {
    return new Sink(stream as unknown as { write(s: string | Uint8Array, done?: (e?: Error | null) => void): boolean; once(ev: 'drain', fn: () => void): unknown });
  }

  /** Append text; returns a promise only when the buffer was handed on and the stream asked us to wait. */
  write(s: string): Promise<void> | undefined {
    this.buf += s;
    if (this.buf.length < this.limit) return undefined;
    return this.flush();
  }

  /**
   * Append text already encoded as UTF-8 (the native table's chunks): what was
   * buffered goes out first. Resolves once the stream is done with `b`, so the
   * caller may fill it again.
   */
  async bytes(b: Uint8Array): Promise<void> {
    const p = this.flush();
    if (p) await p;
    if (b.length === 0) return;
    // A failed write is the stream's 'error' (the CLI ends there): the buffer is free either way.
    await new Promise<void>((resolve) => { this.out.write(b, () => resolve()); });
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
  const sink = new Sink({ write: (s, done) => { parts.push(typeof s === 'string' ? s : Buffer.from(s).toString('utf8')); done?.(); return true; } });
  return { sink, text: () => { sink.flush(); return parts.join(''); } };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Paint = keyof typeof CODES;

export function paint(on: boolean, style: Paint, text: string): string {
  return on ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

// Zero columns: combining marks (they sit on the character before), and the
// invisible format characters that safeText() lets through (ZWJ, ZWNBSP…).
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200d\u2060-\u2064\ufeff]$/u;
// Two columns: emoji drawn as pictures by default (UTS #51 Emoji_Presentation).
const EMOJI_WIDE = /^\p{Emoji_Presentation}$/u;

/** Columns one code point takes on a terminal: 0, 1 or 2. */
export function codePointWidth(c: number): number {
  if (c < 0x300) return 1;
  if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) || (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x20000 && c <= 0x3fffd)) return 2;
  const ch = String.fromCodePoint(c);
  if (ZERO_WIDTH.test(ch)) return 0;
  return EMOJI_WIDE.test(ch) ? 2 : 1;
}

/**
 * Columns a string takes on a terminal: CJK ideographs, fullwidth forms and
 * emoji take two (East Asian Wide, UAX #11; Emoji_Presentation), combining
 * marks none, everything else one.
 */
export function displayWidth(text: string): number {
  // Nearly every cell is ASCII: check that first, without iterating code points.
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) { ascii = false; break; }
  }
  if (ascii) return text.length;
  let w = 0;
  for (const ch of text) w += codePointWidth(ch.codePointAt(0)!);
  return w;
}

/** Pad `text` with spaces to `width` terminal columns. */
export function padDisplay(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Pad `text` on the left with spaces to `width` terminal columns. */
export function padDisplayStart(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : ' '.repeat(width - w) + text;
}

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/**
 * Length in UTF-16 units of the piece of text at `i` that must never be cut:
 * one escape written by safeText() (\\ \t \n \r \xNN \u{…}), a surrogate
 * pair, or one code unit.
 */
function unitLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x5c) {
    const n = text.charCodeAt(i + 1);
    if (n === 0x5c || n === 0x74 || n === 0x6e || n === 0x72) return 2;
    if (n === 0x78 && isHex(text.charCodeAt(i + 2)) && isHex(text.charCodeAt(i + 3))) return 4;
    if (n === 0x75 && text.charCodeAt(i + 2) === 0x7b) {
      const end = text.indexOf('}', i + 3);
      if (end > 0 && end - i <= 11) return end - i + 1;
    }
    return 1;
  }
  if (c >= 0xd800 && c <= 0xdbff) {
    const n = text.charCodeAt(i + 1);
    if (n >= 0xdc00 && n <= 0xdfff) return 2;
  }
  return 1;
}

/** Columns of the unit of `len` code units at `i` (see unitLength). */
function unitWidth(text: string, i: number, len: number): number {
  if (len === 1) return codePointWidth(text.charCodeAt(i));
  return len === 2 && text.charCodeAt(i) !== 0x5c ? codePointWidth(text.codePointAt(i)!) : len;
}

/**
 * Split `text` into pieces of at most `max` terminal columns, for text that
 * must be shown whole on a narrow terminal (a process name): never inside an
 * escape written by safeText(), a surrogate pair, or before a combining mark.
 */
export function splitColumns(text: string, max: number): string[] {
  const out: string[] = [];
  let from = 0;
  let w = 0;
  for (let i = 0; i < text.length;) {
    const len = unitLength(text, i);
    const cw = unitWidth(text, i, len);
    if (w + cw > max && i > from) {
      out.push(text.slice(from, i));
      from = i;
      w = 0;
    }
    w += cw;
    i += len;
  }
  if (from < text.length || out.length === 0) out.push(text.slice(from));
  return out;
}

/**
 * Cut `text` to `max` terminal columns, ending with a visible "…" when cut.
 * Never splits an escape written by safeText(), a surrogate pair, or a
 * character from its combining marks; stops reading as soon as it has cut,
 * so a 170 KB command line costs no more than a short one.
 */
export function clip(text: string, max: number): string {
  if (max <= 0) return '';
  let w = 0;
  let cut = -1;
  for (let i = 0; i < text.length;) {
    const len = unitLength(text, i);
    const cw = unitWidth(text, i, len);
    if (cut < 0 && w + cw > max - 1) cut = i;
    w += cw;
    if (w > max) return text.slice(0, cut) + '…';
    i += len;
  }
  return text;
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

// Pasted output of other tools → sockscope Sockets, row by row, for `sockscope explain --input`.
// Detects which tool printed the text (Windows netstat in English, German or Chinese;
// Linux net-tools netstat; iproute2 ss; macOS netstat; lsof) and hands it to that
// tool's parser. Every parser is pure: text in, rows out. Example input line:
//   TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4
import type { ParsedPaste, PastedRow, UnreadableLine } from './common.js';
import { splitLines } from './common.js';
import { decodeBytes, nonTextRatio, normalizeText } from './decode.js';
import type { Encoding } from './decode.js';
import { LINUX_NETSTAT_HEADER, LINUX_NETSTAT_ROW, parseLinuxNetstat } from './linux-netstat.js';
import { LSOF_HEADER, LSOF_ROW, parseLsof } from './lsof.js';
import { MACOS_HEADER, MACOS_ROW, parseMacosNetstat } from './macos-netstat.js';
import { SS_HEADER, SS_ROW, parseSs } from './ss.js';
import { WINDOWS_HEADER, WINDOWS_ROW, parseWindowsNetstat } from './windows-netstat.js';

export type { PastedRow, UnreadableLine } from './common.js';
export { parseWindowsNetstat } from './windows-netstat.js';
export { parseLinuxNetstat } from './linux-netstat.js';
export { parseSs } from './ss.js';
export { parseMacosNetstat } from './macos-netstat.js';
export { parseLsof } from './lsof.js';

export type PasteFormat = 'windows-netstat' | 'linux-netstat' | 'ss' | 'macos-netstat' | 'lsof';
export type PastePlatform = 'windows' | 'linux' | 'macos';

export interface PasteResult {
  format: PasteFormat;
  platform: PastePlatform;
  rows: PastedRow[];
  /** Lines that are not blank, a header or known chatter, and could not be read. */
  unreadable: UnreadableLine[];
  /**
   * Machine-readable note ids, for the explainer to turn into sentences:
   * 'no-queues' (the format shows no Recv-Q/Send-Q: they are 0 here),
   * 'no-pids' (no process column), 'windows-pid-4' (a row is held by PID 4, the kernel:
   * HTTP.sys / SMB), 'windows-pid-0' (rows charged to PID 0, the idle pseudo-process:
   * no holder, kernel-kept), 'windows-b' (executable/service lines were read),
   * 'windows-owner-unavailable', 'one-holder-per-socket' (Linux netstat -p names one
   * process per socket), 'merged-lines' (lsof lines of one socket merged),
   * 'dual-stack', 'address-may-be-truncated', 'names-not-numeric',
   * 'protocol-guessed' (ss without Netid), 'pid-column-guessed' (macOS without header),
   * 'not-all-processes-identified', 'no-process-info', 'skipped-other-sections',
   * 'skipped-other-protocols', 'skipped-detail-lines', 'no-tcp-state',
   * 'encoding-utf-16le' / 'encoding-utf-16be' / 'encoding-gbk' / 'encoding-latin1'.
   */
  notes: string[];
}

/**
 * At most this many lines are explained (ss output of a million sockets is past
 * the 64 MiB input cap anyway): each line becomes a row or an "unreadable" entry,
 * so a file of 30 million one-letter lines would otherwise cost gigabytes.
 */
export const MAX_PASTED_LINES = 1_000_000;
export const TOO_MANY_LINES = `the input has more than ${MAX_PASTED_LINES} lines`;

/** Lines as splitLines() counts them (CRLF, LF or CR), without building them. */
function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  if (text.includes('\r')) {
    for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) if (text.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

/** Input that cannot be explained at all: empty, binary, or no line of any known format. */
export class PasteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasteError';
  }
}

const FORMATS: readonly { format: PasteFormat; header: RegExp; row: RegExp }[] = [
  { format: 'ss', header: SS_HEADER, row: SS_ROW },
  { format: 'linux-netstat', header: LINUX_NETSTAT_HEADER, row: LINUX_NETSTAT_ROW },
  { format: 'windows-netstat', header: WINDOWS_HEADER, row: WINDOWS_ROW },
  { format: 'macos-netstat', header: MACOS_HEADER, row: MACOS_ROW },
  { format: 'lsof', header: LSOF_HEADER, row: LSOF_ROW },
];

/** Bytes or text → text, with the encoding it was read in. */
function toText(input: string | Uint8Array): { text: string; encoding?: Encoding } {
  if (typeof input === 'string') return { text: normalizeText(input) };
  const d = decodeBytes(input);
  return { text: normalizeText(d.text), encoding: d.encoding };
}

function score(lines: readonly string[]): Map<PasteFormat, number> {
  const scores = new Map<PasteFormat, number>();
  for (const raw of lines) {
    if (raw.length > 4000) continue;
    const line = raw.replace(/\t/g, ' ');
    for (const f of FORMATS) {
      let s = 0;
      // A header says more than any one row; macOS and Linux netstat headers differ only by "(state)".
      if (f.header.test(line) && !(f.format === 'linux-netstat' && MACOS_HEADER.test(line))) s = 5;
      else if (f.row.test(line)) s = 1;
      if (s > 0) scores.set(f.format, (scores.get(f.format) ?? 0) + s);
    }
  }
  return scores;
}

/** Which tool printed this text; undefined when no line looks like any of them. */
export function detectFormat(input: string | Uint8Array): PasteFormat | undefined {
  const { text } = toText(input);
  let best: PasteFormat | undefined;
  let bestScore = 0;
  for (const [format, s] of score(splitLines(text))) {
    if (s > bestScore) { best = format; bestScore = s; }
  }
  return best;
}

/**
 * Parse pasted output of netstat / ss / lsof (string, or the bytes of a file: UTF-8,
 * UTF-16LE/BE with or without BOM, GBK, Latin-1). Throws PasteError when the input is
 * empty, binary, or has no line of any known format.
 */
export function parsePasted(input: string | Uint8Array): PasteResult {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new PasteError('input must be text or bytes');
  const { text, encoding } = toText(input);
  if (text.trim() === '') throw new PasteError('the input is empty: paste the output of netstat, ss or lsof');
  if (countLines(text) > MAX_PASTED_LINES) throw new PasteError(TOO_MANY_LINES);
  const { ratio, nul } = nonTextRatio(text);
  if (nul || ratio > 0.1) throw new PasteError('the input looks binary, not the text output of netstat, ss or lsof');
  const format = detectFormat(text);
  if (format === undefined) {
    throw new PasteError('no line could be read as output of netstat (Windows, Linux, macOS), ss or lsof');
  }
  let parsed: ParsedPaste;
  let platform: PastePlatform;
  switch (format) {
    case 'windows-netstat': parsed = parseWindowsNetstat(text); platform = 'windows'; break;
    case 'linux-netstat': parsed = parseLinuxNetstat(text); platform = 'linux'; break;
    case 'ss': parsed = parseSs(text); platform = 'linux'; break;
    case 'macos-netstat': parsed = parseMacosNetstat(text); platform = 'macos'; break;
    case 'lsof': { const r = parseLsof(text); parsed = r; platform = r.platform; break; }
  }
  const notes = [...parsed.notes];
  if (encoding !== undefined && encoding !== 'utf-8') notes.push(`encoding-${encoding}`);
  return { format, platform, rows: parsed.rows, unreadable: parsed.unreadable, notes };
}


// The one escaper: every piece of text that comes from another process (names,
// command lines, user names, paths, pasted lines) passes through safeText()
// before it reaches a terminal or any human-readable output. JSON and NDJSON
// keep the exact text (JSON escapes it itself); CSV uses csvSafe().
//
// Why: any local user can name a process (prctl(PR_SET_NAME), exec -a, argv)
// with terminal control sequences. Printed raw, "\e[2J\e]0;PWNED\a" clears the
// screen and retitles the terminal, "\e]52;c;...\a" writes the clipboard, and a
// "\n" forges a whole row. Bidirectional overrides (U+202E …) reorder what the
// reader sees. lsof prints such bytes visibly; so do we.
//
// The escapes, chosen so that the output is ASCII for every escaped character
// and can be read back unambiguously:
//   \t \n \r          tab, line feed, carriage return
//   \xNN              any other C0 control, DEL, and a byte that was not valid
//                     UTF-8 (decoded as U+DC80..U+DCFF by decodeProcBytes())
//   \u{HHHH}          C1 controls (U+0080..U+009F), bidi controls, line and
//                     paragraph separators, invisible characters that make one
//                     name look like another (zero width space, BOM, ...), any
//                     other lone surrogate
//   \\                a backslash that would otherwise read as the start of one
//                     of the escapes above (so "C:\temp" shows as "C:\\temp",
//                     while "C:\Users" stays as it is)

/** Characters that never reach a terminal as themselves. Linear, no backtracking. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff\\]/;

/**
 * Besides controls and bidi controls: the invisible characters that would let
 * one name pass for another ("ss\u200bhd" looks like "sshd"): soft hyphen,
 * Mongolian vowel separator, zero width space, word joiner and the invisible
 * operators, and the BOM / zero width no-break space. Zero width (non-)joiners
 * (U+200C, U+200D) stay: Persian, Indic scripts and emoji sequences need them.
 */
function needsEscape(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xad || c === 0x061c || c === 0x180e || c === 0x200b ||
    c === 0x200e || c === 0x200f || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** After a backslash, these characters would make it read as an escape. */
function startsEscape(c: number): boolean {
  return c === 0x74 /* t */ || c === 0x6e /* n */ || c === 0x72 /* r */ || c === 0x78 /* x */ || c === 0x75 /* u */ || c === 0x5c /* \ */;
}

/**
 * Text from another process, made safe and visible for a terminal or any
 * human-readable output: control characters, bidi controls and undecodable
 * bytes become escapes (see the table above). ASCII-clean text comes back as
 * the same string, so the common case costs one regex test.
 */
export function safeText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x5c) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1;
      if (next >= 0 && (startsEscape(next) || needsEscape(next) || (next >= 0xd800 && next <= 0xdfff))) rep = '\\\\';
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; } // a well-formed pair: an astral character
      rep = `\\u{${c.toString(16)}}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      // A low surrogate on its own: U+DC80..U+DCFF stands for a byte that was not UTF-8.
      rep = c >= 0xdc80 && c <= 0xdcff ? `\\x${hex2(c - 0xdc00)}` : `\\u{${c.toString(16)}}`;
    } else if (needsEscape(c)) {
      rep = c === 9 ? '\\t' : c === 10 ? '\\n' : c === 13 ? '\\r' : c < 0x80 ? `\\x${hex2(c)}` : `\\u{${c.toString(16)}}`;
    }
    if (rep !== undefined) {
      out += text.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/** True when safeText() would change nothing: the text can go to a terminal as it is. */
export function isSafeText(text: string): boolean {
  return safeText(text) === text;
}

/**
 * A CSV cell (RFC 4180 quoting) that a spreadsheet will not run as a formula
 * (OWASP "CSV Injection"): a cell beginning with = + - @ tab or carriage
 * return gets a leading apostrophe; control characters are escaped as in the
 * table. Numbers we write ourselves (a negative never occurs) pass untouched.
 */
export function csvSafe(value: string): string {
  const v = csvPart(value);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * One value of a list that CSV joins with ';' (the holders of a shared socket),
 * not yet quoted: escaped and formula-neutralised like a cell, because a
 * spreadsheet whose list separator is ';' (German, French Excel) splits there;
 * a ';' of the value itself is written \x3b so it cannot start a cell either.
 */
export function csvPart(value: string): string {
  let v = safeText(value);
  if (v.includes(';')) v = v.replace(/;/g, '\\x3b');
  // Checked on the raw value: tab and CR become "\t" "\r" above, but the
  // rule is about what the cell began with.
  const first = value.charCodeAt(0);
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x09 || first === 0x0d) v = "'" + v;
  return v;
}

/**
 * What JSON.stringify leaves raw but a terminal may act on or reorder: DEL, C1
 * controls (U+009B is CSI to an xterm), bidi controls, line and paragraph
 * separators, and the invisible characters safeText shows (so that a name
 * passing for another is visible in JSON too). `list --json` is often read on a terminal.
 */
const JSON_RAW = /[\x7f-\x9f\xad\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const JSON_RAW_ALL = new RegExp(JSON_RAW.source, 'g');

/**
 * JSON.stringify, with the characters above written as \uXXXX escapes: the
 * same value to any JSON parser (the text stays exact), never control on a
 * terminal. The common case costs one regex test.
 */
export function jsonText(value: unknown): string {
  const s = JSON.stringify(value);
  return JSON_RAW.test(s) ? s.replace(JSON_RAW_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : s;
}

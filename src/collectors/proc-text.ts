// Bytes that other processes wrote (/proc/<pid>/comm, cmdline, the passwd
// file, fd link targets) → a JS string, without losing or merging anything.
//
// Linux names are bytes, usually UTF-8 ("café-srv", "服务器") but not always.
// Valid UTF-8 decodes as UTF-8. Each byte that is not part of a valid UTF-8
// sequence becomes the lone surrogate U+DC00+byte (U+DC80..U+DCFF), as
// Python's "surrogateescape" does (PEP 383): two different byte strings never
// decode to the same string, JSON.stringify writes such a byte as "\udcNN",
// and safeText() (views/safe-text.ts) shows it as "\xNN".
import { isUtf8 } from 'node:buffer';

/** Decode bytes as UTF-8, keeping each invalid byte as U+DC00+byte (see above). */
export function decodeProcBytes(buf: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i]! > 0x7f) { ascii = false; break; }
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (ascii) return b.toString('latin1');
  // isUtf8() rejects what a fatal TextDecoder rejects (overlongs, surrogates, past U+10FFFF), without
  // building a decoder (about a millisecond at the start of every command that reads a name).
  return isUtf8(b) ? b.toString('utf8') : decodeEscaped(buf);
}

/** The slow path: walk the bytes, validating each sequence (no overlongs, no surrogates, ≤ U+10FFFF). */
function decodeEscaped(b: Uint8Array): string {
  const parts: string[] = [];
  let codes: number[] = [];
  const push = (c: number): void => {
    codes.push(c);
    if (codes.length >= 4096) { parts.push(String.fromCharCode(...codes)); codes = []; }
  };
  let i = 0;
  while (i < b.length) {
    const x = b[i]!;
    if (x < 0x80) { push(x); i++; continue; }
    let need = 0;
    let min = 0;
    let cp = 0;
    if (x >= 0xc2 && x <= 0xdf) { need = 1; min = 0x80; cp = x & 0x1f; }
    else if (x >= 0xe0 && x <= 0xef) { need = 2; min = 0x800; cp = x & 0x0f; }
    else if (x >= 0xf0 && x <= 0xf4) { need = 3; min = 0x10000; cp = x & 0x07; }
    let ok = need > 0 && i + need < b.length;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const y = b[i + k];
        if (y === undefined || (y & 0xc0) !== 0x80) { ok = false; break; }
        cp = (cp << 6) | (y & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) { push(0xdc00 + x); i++; continue; }
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      push(0xd800 + (v >> 10));
      push(0xdc00 + (v & 0x3ff));
    } else {
      push(cp);
    }
    i += need + 1;
  }
  if (codes.length) parts.push(String.fromCharCode(...codes));
  return parts.join('');
}

/** The bytes a decoded string came from (the inverse of decodeProcBytes). */
export function encodeProcText(text: string): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) {
      parts.push(Buffer.from(text.slice(from, i), 'utf8'), Buffer.from([c - 0xdc00]));
      from = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

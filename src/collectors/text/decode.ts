// Bytes of a pasted or redirected file → text. Windows `netstat > file` from PowerShell 5
// writes UTF-16LE with a BOM (FF FE); cmd.exe writes the console code page (GBK on
// Chinese Windows, cp850 on German, where "ABHÖREN" has the byte 0x99 for Ö).
// Example: FF FE 0D 00 0A 00 41 00 63 00 74 00 ... = "\r\nAct..."

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gbk' | 'latin1';

export interface Decoded { text: string; encoding: Encoding }

/** True when most odd (or even, for big-endian) bytes of the start are NUL and the others are not. */
function nulInterleaved(buf: Uint8Array, zeroAt: 0 | 1): boolean {
  const n = Math.min(buf.length, 4096) & ~1;
  if (n < 4) return false;
  let zeros = 0;
  let other = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i + zeroAt] === 0) zeros++;
    if (buf[i + 1 - zeroAt] !== 0) other++;
  }
  return zeros >= 0.9 * (n / 2) && other >= 0.5 * (n / 2);
}

function swap16(buf: Uint8Array): Buffer {
  const out = Buffer.alloc(buf.length & ~1);
  for (let i = 0; i + 1 < buf.length; i += 2) { out[i] = buf[i + 1]!; out[i + 1] = buf[i]!; }
  return out;
}

/** Decode input bytes, guessing the encoding as described above. */
export function decodeBytes(buf: Uint8Array): Decoded {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { text: b.subarray(2).toString('utf16le'), encoding: 'utf-16le' };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { text: swap16(b.subarray(2)).toString('utf16le'), encoding: 'utf-16be' };
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { text: b.subarray(3).toString('utf8'), encoding: 'utf-8' };
  if (nulInterleaved(b, 1)) return { text: b.toString('utf16le'), encoding: 'utf-16le' };
  if (nulInterleaved(b, 0)) return { text: swap16(b).toString('utf16le'), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: a console code page. GBK only if it then reads as Chinese netstat.
    try {
      const gbk = new TextDecoder('gbk').decode(b);
      if (/活动连接|协议\s+本地地址|无法获取所有权信息/.test(gbk)) return { text: gbk, encoding: 'gbk' };
    } catch { /* no ICU data for GBK: fall through */ }
    return { text: b.toString('latin1'), encoding: 'latin1' };
  }
}

/** Text given as a string: drop a BOM, and undo UTF-16 read as 8-bit text (NUL after every character). */
export function normalizeText(s: string): string {
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const n = Math.min(s.length, 4096);
  if (n >= 4) {
    let nul = 0;
    for (let i = 1; i < n; i += 2) if (s.charCodeAt(i) === 0) nul++;
    if (nul >= 0.9 * Math.floor(n / 2)) s = s.replace(/\u0000/g, '');
    if (s.startsWith('\u00ff\u00fe')) s = s.slice(2);
  }
  return s;
}

/** Share of characters that are not text: NUL and other control characters, U+FFFD. */
export function nonTextRatio(s: string): { ratio: number; nul: boolean } {
  let bad = 0;
  let nul = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) { nul = true; bad++; }
    else if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 11) || c === 0x7f || c === 0xfffd) bad++;
  }
  return { ratio: s.length === 0 ? 0 : bad / s.length, nul };
}

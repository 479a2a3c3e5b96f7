import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvSafe, safeText } from '../../src/views/safe-text.js';
import { decodeProcBytes, encodeProcText } from '../../src/collectors/proc-text.js';

/** Read an escaped string back: the inverse of safeText, to prove it is unambiguous. */
function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) { out += s[i]; continue; }
    const n = s[i + 1]!;
    if (n === '\\') { out += '\\'; i++; }
    else if (n === 't') { out += '\t'; i++; }
    else if (n === 'n') { out += '\n'; i++; }
    else if (n === 'r') { out += '\r'; i++; }
    else if (n === 'x' && /^[0-9a-f]{2}/.test(s.slice(i + 2))) {
      const v = parseInt(s.slice(i + 2, i + 4), 16);
      out += String.fromCharCode(v < 0x80 ? v : 0xdc00 + v); i += 3;
    } else if (n === 'u' && /^\{[0-9a-f]+\}/.test(s.slice(i + 2))) {
      const end = s.indexOf('}', i);
      out += String.fromCharCode(parseInt(s.slice(i + 3, end), 16)); i = end;
    } else out += '\\';
  }
  return out;
}

const HOSTILE = [
  '\x1b[2J\x1b]0;PWNED\x07', '\x1b]52;c;ZXZpbA==\x07', '\x1b[1A\x1b[2K', 'a\nb', 'tab\there', 'cr\rx',
  '\u202eevil\u202c', '\u2066iso\u2069', '\x7f\x85\x9b', 'C:\\temp\\x1b', '\\', '\\\\', 'end\\', '\\\x1b',
  '\udc80\udcff', 'caf\u00e9', '服务器', '😀', '\ud83d', 'x\\u{41}',
];

test('safeText leaves no control, bidi or lone surrogate character, and reads back exactly', () => {
  for (const s of HOSTILE) {
    const e = safeText(s);
    assert.doesNotMatch(e, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, JSON.stringify(s));
    assert.equal(unescape(e), s, `${JSON.stringify(s)} -> ${JSON.stringify(e)}`);
  }
  // Distinct inputs stay distinct.
  const outs = HOSTILE.map(safeText);
  assert.equal(new Set(outs).size, outs.length);
  assert.equal(safeText('nginx: worker'), 'nginx: worker');
  assert.equal(safeText('\x1b[2J'), '\\x1b[2J');
  assert.equal(safeText('a\nb'), 'a\\nb');
  assert.equal(safeText('\u202e'), '\\u{202e}');
  assert.equal(safeText('\udcff'), '\\xff');
  assert.equal(safeText('C:\\Users\\me'), 'C:\\Users\\me');
  assert.equal(safeText('服务器 😀'), '服务器 😀');
  // Invisible characters that would make one name pass for another are shown.
  assert.equal(safeText('ss\u200bhd'), 'ss\\u{200b}hd');
  assert.equal(safeText('\ufeffnginx\u2060'), '\\u{feff}nginx\\u{2060}');
  assert.equal(safeText('pass\u00adwd'), 'pass\\u{ad}wd');
  // Joiners stay: emoji sequences and scripts that need them.
  assert.equal(safeText('👩\u200d💻'), '👩\u200d💻');
});

test('csvSafe neutralises formulas and escapes controls', () => {
  assert.equal(csvSafe('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  for (const p of ['+1', '-1', '@SUM(A1)', '\tx', '\rx']) assert.ok(csvSafe(p).replace(/^"/, '').startsWith("'"), p);
  assert.equal(csvSafe('nginx'), 'nginx');
  assert.equal(csvSafe('a,b'), '"a,b"');
  assert.equal(csvSafe('a\nb'), 'a\\nb');
});

test('decodeProcBytes: UTF-8 decoded, invalid bytes kept one for one', () => {
  assert.equal(decodeProcBytes(Buffer.from('café-srv', 'utf8')), 'café-srv');
  assert.equal(decodeProcBytes(Buffer.from('服务器', 'utf8')), '服务器');
  assert.equal(decodeProcBytes(Buffer.from('😀', 'utf8')), '😀');
  const bad = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2d, 0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe6, 0x9c]);
  const s = decodeProcBytes(bad);
  assert.equal(safeText(s), 'caf\\xe9-\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe6\\x9c');
  assert.deepEqual(encodeProcText(s), bad);
  // latin1 "café" and UTF-8 "café" are different bytes and stay different strings.
  assert.notEqual(decodeProcBytes(Buffer.from('café', 'latin1')), decodeProcBytes(Buffer.from('café', 'utf8')));
  // Round trip on random bytes.
  let seed = 7;
  for (let n = 0; n < 300; n++) {
    const len = n % 40;
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) { seed = (seed * 1103515245 + 12345) >>> 0; b[i] = seed >>> 24; }
    assert.deepEqual(encodeProcText(decodeProcBytes(b)), b);
  }
});

// Input that cannot be explained at all gives PasteError with a clear one-line message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasteError, parsePasted } from '../../src/collectors/text/index.js';

function rejects(input: string | Buffer, pattern: RegExp): void {
  assert.throws(() => parsePasted(input), (e: unknown) => {
    assert.ok(e instanceof PasteError, `PasteError, not ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.match(e.message, pattern);
    return true;
  });
}

test('empty and whitespace-only input', () => {
  rejects('', /empty/);
  rejects(Buffer.alloc(0), /empty/);
  rejects(' \r\n\t\n  \n', /empty/);
  rejects('\ufeff\r\n', /empty/);
  rejects(Buffer.from([0xff, 0xfe]), /empty/);
});

test('binary input: NUL bytes, control characters', () => {
  rejects(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3e, 0x00]), /binary/);
  rejects(Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 32)), /binary/);
  rejects('tcp 0 0 1.2.3.4:5 6.7.8.9:10 LISTEN\u0000\u0001\u0002', /binary/);
});

test('text of no known format', () => {
  rejects('hello\nworld\n', /no line could be read/);
  rejects('Proto  something else\nfoo bar baz', /no line could be read/);
});

test('a header alone is a valid, empty table, not an error', () => {
  const r = parsePasted('\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n');
  assert.equal(r.format, 'windows-netstat');
  assert.deepEqual([r.rows, r.unreadable], [[], []]);
});

// Every recorded or written fixture parses to its .expected.json, and obeys the row contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat, parsePasted } from '../../src/collectors/text/index.js';
import { TEXT_FIXTURES, allFixtures, assertContract, fixture, plain } from './helpers.js';

const PLATFORM: Record<string, string[]> = {
  'windows-netstat': ['windows'], 'linux-netstat': ['linux'], ss: ['linux'], 'macos-netstat': ['macos'], lsof: ['linux', 'macos'],
};

test('there are fixtures of every format', () => {
  const dirs = new Set(allFixtures().map((f) => f.dir));
  assert.deepEqual([...dirs].sort(), ['linux-netstat', 'lsof', 'macos-netstat', 'ss', 'windows-netstat']);
  assert.ok(allFixtures().length >= 30, `only ${allFixtures().length} fixtures`);
});

for (const { dir, scenario } of allFixtures()) {
  test(`${dir}/${scenario}: format, platform, rows and unreadable lines as expected`, () => {
    const bytes = fixture(dir, `${scenario}.txt`);
    const expectedPath = join(TEXT_FIXTURES, dir, `${scenario}.expected.json`);
    assert.ok(existsSync(expectedPath), `missing ${scenario}.expected.json`);
    const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as { format: string; platform: string; rows: unknown[] };
    const r = parsePasted(bytes);
    assert.equal(r.format, dir, 'format detected from the text');
    assert.equal(detectFormat(bytes), dir);
    assert.ok(PLATFORM[dir]!.includes(r.platform), `platform ${r.platform}`);
    assert.ok(r.rows.length > 0, 'some rows');
    assert.deepEqual(plain(r), expected);
    // Lines in the input: every encoding used here writes one 0x0A byte per newline.
    const lines = bytes.filter((b) => b === 0x0a).length + 1;
    assertContract(r, lines, `${dir}/${scenario}`);
  });
}

// Fixture access and the rules every parsed row must obey, shared by the text-parser tests.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalAddress } from '../../src/model/address.js';
import { isHostName } from '../../src/collectors/text/common.js';
import { SOCKET_STATES } from '../../src/model/socket.js';
import type { PasteResult } from '../../src/collectors/text/index.js';
import { FIXTURES } from '../helpers.js';

export const TEXT_FIXTURES = join(FIXTURES, 'text');

/** Bytes of test/fixtures/text/<dir>/<name>. */
export function fixture(dir: string, name: string): Buffer {
  return readFileSync(join(TEXT_FIXTURES, dir, name));
}

/** Every (dir, scenario) pair that has a .txt fixture. */
export function allFixtures(): { dir: string; scenario: string }[] {
  const out: { dir: string; scenario: string }[] = [];
  for (const dir of readdirSync(TEXT_FIXTURES).sort()) {
    let files: string[];
    try { files = readdirSync(join(TEXT_FIXTURES, dir)); } catch { continue; }
    for (const f of files.sort()) if (f.endsWith('.txt')) out.push({ dir, scenario: f.slice(0, -4) });
  }
  return out;
}

/** Plain JSON of a result: what the fixture's .expected.json holds. */
export function plain(r: PasteResult): unknown {
  return JSON.parse(JSON.stringify(r));
}

/** The contract every row of every format keeps. */
export function assertContract(r: PasteResult, lineCount: number, where: string): void {
  let prev = 0;
  for (const row of r.rows) {
    const s = row.socket;
    const at = `${where} line ${row.line}`;
    assert.ok(row.line > prev && row.line <= lineCount, `${at}: line numbers rise and stay in the input`);
    prev = row.line;
    assert.ok(SOCKET_STATES.includes(s.state), `${at}: state ${s.state}`);
    if (s.protocol === 'udp') assert.ok(s.state === 'UNCONN' || s.state === 'ESTABLISHED', `${at}: UDP state`);
    for (const [a, isName] of [[s.localAddress, row.localIsName], [s.remoteAddress, row.remoteIsName]] as const) {
      assert.ok(!a.includes('%'), `${at}: zone stripped`);
      if (isName) {
        // Output without -n: a host name kept as printed, never something that reads as an address.
        assert.ok(isHostName(a), `${at}: ${a} is a host name`);
        continue;
      }
      if (a.endsWith('…')) {
        // An address the tool cut short: kept as printed, marked, never passed off as exact.
        assert.equal(row.truncated, true, `${at}: ${a} is marked truncated`);
        assert.equal(canonicalAddress(a.slice(0, -1)), undefined, `${at}: ${a} would not read as an address`);
        continue;
      }
      assert.equal(canonicalAddress(a), a, `${at}: ${a} is canonical`);
      assert.equal(a.includes(':'), s.family === 'ipv6', `${at}: ${a} fits family ${s.family}`);
    }
    for (const p of [s.localPort, s.remotePort]) assert.ok(Number.isInteger(p) && p >= 0 && p <= 65535, `${at}: port ${p}`);
    assert.ok(s.recvQ >= 0 && s.sendQ >= 0 && s.inode >= 0 && s.uid >= 0, `${at}: counters`);
    assert.equal(s.holders.length === 0, s.unheldReason !== undefined, `${at}: unheldReason exactly when no holder`);
    for (const h of s.holders) {
      assert.ok(Number.isInteger(h.pid) && h.pid > 0, `${at}: holder pid ${h.pid}`);
      if (h.fd !== undefined) assert.ok(Number.isInteger(h.fd) && h.fd >= 0, `${at}: fd`);
    }
  }
  for (const u of r.unreadable) assert.ok(u.line >= 1 && u.line <= lineCount, `${where}: unreadable line ${u.line}`);
}

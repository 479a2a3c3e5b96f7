// The Unix socket table on a narrow terminal: addresses give way, holders flow
// onto further lines, and nothing is wider than the terminal or cut mid-pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UnixSocket } from '../../src/model/unix.js';
import { memorySink, displayWidth } from '../../src/views/sink.js';
import { renderUnixTable, unixAddress } from '../../src/views/unix.js';

const holders = (n: number): UnixSocket['holders'] => Array.from({ length: n }, (_, i) => ({ pid: 40000 + i, fd: 3 + i, name: `worker-${i}` }));

const SOCKETS: UnixSocket[] = [
  { protocol: 'unix', type: 'stream', state: 'LISTEN', path: '/run/a/very/long/directory/name/that/goes/on/and/on/service.sock', inode: 7001, recvQ: 0, sendQ: 0, backlog: 128, holders: holders(6) },
  { protocol: 'unix', type: 'stream', state: 'ESTABLISHED', path: '/run/a/very/long/directory/name/that/goes/on/and/on/service.sock', inode: 7002, peer: 7003, recvQ: 5, sendQ: 0, holders: holders(1) },
  { protocol: 'unix', type: 'stream', state: 'ESTABLISHED', inode: 7003, peer: 7002, recvQ: 0, sendQ: 0, holders: [{ pid: 555, fd: 9, name: 'client' }] },
  { protocol: 'unix', type: 'dgram', state: 'UNCONN', abstract: 'name\u0000with\u001b[2Jescape', inode: 7004, recvQ: 0, sendQ: 0, holders: [], unheldReason: 'unknown' },
];

for (const width of [60, 80, 120]) {
  test(`list -x table at ${width} columns: every line fits, every holder whole`, async () => {
    const m = memorySink();
    await renderUnixTable(SOCKETS, m.sink, { color: false, width, lang: 'en', numeric: true, wide: false });
    const text = m.text();
    for (const line of text.trimEnd().split('\n')) assert.ok(displayWidth(line) <= width, `${displayWidth(line)} > ${width}: ${line}`);
    for (const h of SOCKETS[0]!.holders) assert.ok(text.includes(`${h.pid}/${h.name} fd ${h.fd}`), `holder ${h.pid} whole`);
    assert.ok(!text.includes('\u001b'), 'the abstract name is escaped');
    assert.ok(/\s7003\s/.test(text), 'the peer column names the other end');
    assert.ok(text.includes('↔ 555/client fd 9'), 'the holders cell names who is at the other end');
  });
}

test('addresses: a path as is, an abstract name with @ and escapes, * for none', () => {
  assert.equal(unixAddress(SOCKETS[0]!), '/run/a/very/long/directory/name/that/goes/on/and/on/service.sock');
  assert.equal(unixAddress(SOCKETS[3]!), '@name\\x00with\\x1b[2Jescape');
  assert.equal(unixAddress(SOCKETS[2]!), '*');
});

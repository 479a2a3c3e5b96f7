// The native one-shot table (native/fast.cc through collectors/fast) against the
// TypeScript reference on recorded sock_diag dumps: codec.ts decodes, linux.ts
// says why unheld sockets are unheld, model/sort.ts orders, views/table.ts
// writes. Both are given the same recorded replies and the same fd scan; the
// bytes written must be the same for every format, sort key and filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FastTable, fastNative } from '../../src/collectors/fast/one-shot.js';
import { decodeDumpChunk } from '../../src/collectors/sockdiag/codec.js';
import { listenersByPort, unheldReason } from '../../src/collectors/linux.js';
import { holderOf } from '../../src/collectors/procfs/process-info.js';
import { matchesTable, type Filter } from '../../src/model/filter.js';
import type { Family, Holder, Protocol, RawSocket, Socket } from '../../src/model/socket.js';
import { SORT_KEYS, sortSockets, type SortKey } from '../../src/model/sort.js';
import { renderJson, renderNdjson, renderTable } from '../../src/views/table.js';
import { writeFastJson, writeFastTable } from '../../src/views/fast.js';
import { memorySink, type RenderOptions } from '../../src/views/sink.js';
import type { ProcessInfo } from '../../src/collectors/collector.js';
import { FIXTURES } from '../helpers.js';

const SEQ = 7; // the fixtures were recorded with seq 7

interface Dump { bytes: Uint8Array; protocol: Protocol; family: Family; seq: number }

const SETS: Record<string, [string, Protocol, Family][]> = {
  backlog: [['tcp4.bin', 'tcp', 'ipv4']],
  'dualstack-udp': [['tcp6.bin', 'tcp', 'ipv6'], ['udp4.bin', 'udp', 'ipv4'], ['udp6.bin', 'udp', 'ipv6']],
  'tcp-info': [['tcp4.bin', 'tcp', 'ipv4']],
};

function dumps(set: string): Dump[] {
  return SETS[set]!.map(([file, protocol, family]) => ({ bytes: readFileSync(join(FIXTURES, 'netlink', set, file)), protocol, family, seq: SEQ }));
}

// Two processes with text a terminal and JSON must not take as it is.
const INFO = new Map<number, ProcessInfo>([
  [4242, { name: 'web\x1b[31m', command: 'web --flag "x" \\ y', user: 'root', uid: 0 }],
  [4243, { name: 'w,orker 中', command: 'worker', user: '1000', uid: 1000, container: { runtime: 'docker', id: 'ab'.repeat(32), name: 'c1' }, unit: 'a.service' }],
]);

/** A recorded fd scan for these sockets: a third unheld, a third held once, a third held twice. */
function scanFor(raw: readonly RawSocket[]): Uint32Array {
  const t: number[] = [];
  raw.forEach((s, i) => {
    if (s.inode === 0 || i % 3 === 0) return;
    t.push(s.inode, 4242, 10 + i);
    if (i % 3 === 2) t.push(s.inode, 4243, 5);
  });
  return Uint32Array.from(t);
}

/** The reference: the TypeScript codec and the collector's join, without the fields the fast road never asks for. */
function reference(ds: readonly Dump[], scan: Uint32Array, filter: Filter): Socket[] {
  const raw: RawSocket[] = [];
  for (const d of ds) {
    const r = decodeDumpChunk(d.bytes, d.protocol, d.seq, raw);
    assert.equal(r.errno, undefined);
  }
  const byInode = new Map<number, { pid: number; fd: number }[]>();
  for (let i = 0; i < scan.length; i += 3) {
    const l = byInode.get(scan[i]!) ?? [];
    l.push({ pid: scan[i + 1]!, fd: scan[i + 2]! });
    byInode.set(scan[i]!, l);
  }
  for (const l of byInode.values()) l.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  const listeners = listenersByPort(raw);
  const out: Socket[] = [];
  for (const r of raw) {
    if (!matchesTable(filter, r)) continue;
    const s = { ...r, tcp: undefined, memory: undefined } as Socket;
    const refs = r.inode !== 0 ? byInode.get(r.inode) : undefined;
    if (refs) {
      s.holders = refs.map((x) => holderOf(x.pid, x.fd, INFO.get(x.pid)!));
      s.unheldReason = undefined;
    } else {
      s.holders = [];
      s.unheldReason = unheldReason(r, listeners, { unreadable: [], exited: [] });
    }
    out.push(s);
  }
  return out;
}

const HOLDERS = new Map<number, Holder>([...INFO].map(([pid, info]) => [pid, holderOf(pid, 0, info)]));

function fast(ds: readonly Dump[], scan: Uint32Array, filter: Filter, sort: SortKey): FastTable {
  const t = FastTable.replay(ds, scan, HOLDERS, filter, sort);
  assert.ok(t, 'the native table answers');
  return t;
}

const PIPE: RenderOptions = { color: false, numeric: false, lang: 'en', ephemeral: [32768, 60999] };

test('the addon has the native table (CI builds it)', () => {
  assert.ok(fastNative(), 'native/fast.cc is built into the addon');
});

for (const set of Object.keys(SETS)) {
  test(`${set}: JSON, NDJSON and the table are the reference's bytes, for every sort key`, async () => {
    const ds = dumps(set);
    const all: RawSocket[] = [];
    for (const d of ds) decodeDumpChunk(d.bytes, d.protocol, d.seq, all);
    assert.ok(all.length >= 3, `${set} holds sockets (${all.length})`);
    const scan = scanFor(all);
    for (const key of SORT_KEYS.filter((k) => k !== 'process')) {
      const want = sortSockets(reference(ds, scan, { all: true }), key);
      const a = memorySink();
      await renderJson(want, a.sink);
      const b = memorySink();
      await writeFastJson(fast(ds, scan, { all: true }, key), b.sink, false);
      assert.equal(b.text(), a.text(), `${set} JSON sorted by ${key}`);
    }
    const want = sortSockets(reference(ds, scan, { all: true }), 'proto');
    const a = memorySink();
    await renderNdjson(want, a.sink);
    const b = memorySink();
    await writeFastJson(fast(ds, scan, { all: true }, 'proto'), b.sink, true);
    assert.equal(b.text(), a.text(), 'NDJSON');
    for (const opts of [PIPE, { ...PIPE, lang: 'zh-CN' as const }, { ...PIPE, numeric: true }]) {
      const c = memorySink();
      await renderTable(want, c.sink, opts);
      const d = memorySink();
      assert.ok(await writeFastTable(fast(ds, scan, { all: true }, 'proto'), d.sink, opts));
      assert.equal(d.text(), c.text(), `table ${opts.lang}${opts.numeric ? ' -n' : ''}`);
    }
  });
}

test('filters: states, listening, ports and families are matchesTable()', async () => {
  const ds = [...dumps('backlog'), ...dumps('dualstack-udp')];
  const all: RawSocket[] = [];
  for (const d of ds) decodeDumpChunk(d.bytes, d.protocol, d.seq, all);
  const scan = scanFor(all);
  const filters: Filter[] = [{}, { listening: true }, { states: ['ESTABLISHED', 'SYN_SENT'] }, { ports: [19090] }, { families: ['ipv6'], all: true },
    { protocols: ['udp'], all: true }, { ports: [19293, 19090], listening: true }];
  for (const f of filters) {
    const want = sortSockets(reference(ds, scan, f), 'state');
    const a = memorySink();
    await renderJson(want, a.sink);
    const t = fast(ds, scan, f, 'state');
    assert.equal(t.rows, want.length, `rows of ${JSON.stringify(f)}`);
    const b = memorySink();
    await writeFastJson(t, b.sink, false);
    assert.equal(b.text(), a.text(), JSON.stringify(f));
  }
  // Unaccepted connections are said so, and counted.
  const t = fast(ds, scan, { all: true }, 'proto');
  assert.equal(t.reasons.get('not-accepted'), 3, 'the three queued connections of the backlog dump');
});

test('a cut dump: the same records and the same count of malformed messages as the codec', async () => {
  const [d] = dumps('backlog');
  const cut = d!.bytes.subarray(0, d!.bytes.length - 40);
  const raw: RawSocket[] = [];
  const r = decodeDumpChunk(cut, 'tcp', SEQ, raw);
  assert.ok(r.malformed > 0);
  const t = fast([{ ...d!, bytes: cut }], new Uint32Array(0), { all: true }, 'proto');
  assert.equal(t.rows, raw.length);
  assert.deepEqual(t.issues.filter((i) => i.kind === 'parse-error').map((i) => i.detail), [`${r.malformed} malformed messages`]);
});

test('a row longer than the output buffer (a 3 MB command line) is written whole', async () => {
  const ds = dumps('backlog');
  const all: RawSocket[] = [];
  for (const d of ds) decodeDumpChunk(d.bytes, d.protocol, d.seq, all);
  const scan = scanFor(all);
  const big: ProcessInfo = { name: 'big', command: 'x'.repeat(3 << 20), user: 'root', uid: 0 };
  const saved = INFO.get(4242)!;
  INFO.set(4242, big);
  HOLDERS.set(4242, holderOf(4242, 0, big));
  try {
    const want = sortSockets(reference(ds, scan, { all: true }), 'proto');
    const a = memorySink();
    await renderJson(want, a.sink);
    const b = memorySink();
    await writeFastJson(fast(ds, scan, { all: true }, 'proto'), b.sink, false);
    assert.ok(a.text().length > 6 << 20);
    assert.equal(b.text(), a.text());
  } finally {
    INFO.set(4242, saved);
    HOLDERS.set(4242, holderOf(4242, 0, saved));
  }
});

test('replies to the old TCP request (type TCPDIAG_GETSOCK, both families in one dump) decode as the new ones', async () => {
  const ds = [...dumps('backlog'), ...dumps('dualstack-udp').filter((d) => d.protocol === 'tcp')];
  const all: RawSocket[] = [];
  for (const d of ds) decodeDumpChunk(d.bytes, d.protocol, d.seq, all);
  const scan = scanFor(all);
  const old = ds.map((d) => {
    const b = Buffer.from(d.bytes);
    for (let off = 0; off + 16 <= b.length;) {
      const len = b.readUInt32LE(off);
      if (len < 16 || off + len > b.length) break;
      if (b.readUInt16LE(off + 4) === 20) b.writeUInt16LE(18, off + 4);
      off += (len + 3) & ~3;
    }
    return { ...d, bytes: b };
  });
  const a = memorySink();
  await writeFastJson(fast(ds, scan, { all: true }, 'proto'), a.sink, false);
  const b = memorySink();
  await writeFastJson(fast(old, scan, { all: true }, 'proto'), b.sink, false);
  assert.ok(a.text().split('\n').length > 8);
  assert.equal(b.text(), a.text());
});

test('20,000 rows (written on two threads, several chunks): the same bytes as the reference', async () => {
  // One recorded listener record cloned with other ports and inodes, and the dump's end.
  const [d] = dumps('backlog');
  const b = Buffer.from(d!.bytes);
  let off = 0;
  let rec: Buffer | undefined;
  let done: Buffer | undefined;
  while (off + 16 <= b.length) {
    const len = b.readUInt32LE(off);
    const type = b.readUInt16LE(off + 4);
    if (type === 20 && !rec) rec = b.subarray(off, off + len);
    if (type === 3) done = b.subarray(off, off + len);
    off += (len + 3) & ~3;
  }
  assert.ok(rec && done);
  const n = 20_000;
  const size = (rec.length + 3) & ~3;
  const big = Buffer.alloc(size * n + done.length);
  for (let i = 0; i < n; i++) {
    rec.copy(big, i * size);
    big.writeUInt16BE(10_000 + (i % 50_000), i * size + 16 + 4); // sport
    big.writeUInt32LE(1_000_000 + i, i * size + 16 + 68); // inode
    big[i * size + 16 + 1] = i % 3 === 0 ? 10 : 1; // LISTEN or ESTABLISHED
  }
  done.copy(big, size * n);
  const ds: Dump[] = [{ bytes: big, protocol: 'tcp', family: 'ipv4', seq: SEQ }];
  const all: RawSocket[] = [];
  decodeDumpChunk(big, 'tcp', SEQ, all);
  assert.equal(all.length, n);
  const scan = scanFor(all);
  const want = sortSockets(reference(ds, scan, { all: true }), 'port');
  const a = memorySink();
  await renderJson(want, a.sink);
  const bj = memorySink();
  await writeFastJson(fast(ds, scan, { all: true }, 'port'), bj.sink, false);
  assert.equal(bj.text(), a.text(), 'JSON');
  const c = memorySink();
  await renderTable(want, c.sink, PIPE);
  const dt = memorySink();
  assert.ok(await writeFastTable(fast(ds, scan, { all: true }, 'port'), dt.sink, PIPE));
  assert.ok(c.text().length > 1 << 20, 'more than one chunk');
  assert.equal(dt.text(), c.text(), 'table');
});

// Traffic counters in the live table: with `counters`, tcp_info's bytes_acked
// and bytes_received (and UDP's drops) are read on every record, while the
// socket objects are reused exactly as without them (their bytes changing
// does not make a socket "changed"). Without `counters`, the request asks for
// no attribute at all, as before. Replies are built here, record by record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveSockDiag, type LiveChannel } from '../../src/collectors/sockdiag/live-table.js';

interface Rec { inode: number; cookie: number; sport: number; acked?: bigint; received?: bigint; infoBytes?: number; drops?: number; protocol?: 'tcp' | 'udp' }

/** nlmsghdr + inet_diag_msg (ESTABLISHED, 127.0.0.1) + INET_DIAG_INFO of `infoBytes` bytes, or SKMEMINFO for UDP. */
function message(r: Rec, seq: number): Buffer {
  const infoLen = r.acked !== undefined ? (r.infoBytes ?? 232) : 0;
  const memLen = r.drops !== undefined ? 36 : 0;
  const attrs = (infoLen ? 4 + infoLen : 0) + (memLen ? 4 + memLen : 0);
  const b = Buffer.alloc(16 + 72 + attrs);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt32LE(seq, 8);
  const p = 16;
  b[p] = 2;
  b[p + 1] = 1;
  b.writeUInt16BE(r.sport, p + 4);
  b.writeUInt16BE(40000, p + 6);
  Buffer.from([127, 0, 0, 1]).copy(b, p + 8);
  Buffer.from([127, 0, 0, 1]).copy(b, p + 24);
  b.writeUInt32LE(r.cookie, p + 44);
  b.writeUInt32LE(r.inode, p + 68);
  let a = p + 72;
  if (infoLen) {
    b.writeUInt16LE(4 + infoLen, a);
    b.writeUInt16LE(2, a + 2);
    if (infoLen >= 136) {
      b.writeBigUInt64LE(r.acked!, a + 4 + 120);
      b.writeBigUInt64LE(r.received!, a + 4 + 128);
    }
    a += 4 + infoLen;
  }
  if (memLen) {
    b.writeUInt16LE(4 + memLen, a);
    b.writeUInt16LE(7, a + 2);
    b.writeUInt32LE(r.drops!, a + 4 + 32);
  }
  return b;
}

function done(seq: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(20, 0);
  b.writeUInt16LE(3, 4);
  b.writeUInt32LE(seq, 8);
  return b;
}

function fake(): { channel: () => LiveChannel; set(r: Rec[]): void; exts: number[] } {
  let current: Rec[] = [];
  const exts: number[] = [];
  const channel: LiveChannel = {
    request: async (req, onChunk) => {
      const seq = Buffer.from(req.buffer, req.byteOffset, req.byteLength).readUInt32LE(8);
      exts.push(req[18]!);
      const proto = req[17] === 6 ? 'tcp' : 'udp';
      const recs = req[16] === 2 ? current.filter((r) => (r.protocol ?? 'tcp') === proto) : [];
      onChunk(Buffer.concat([...recs.map((r) => message(r, seq)), done(seq)]));
    },
    close: () => undefined,
  };
  return { channel: () => channel, set: (r) => { current = r; }, exts };
}

test('counters: bytes read on every read while the socket object is reused; none asked without them', async () => {
  const f = fake();
  const t = new LiveSockDiag(f.channel, null);
  const big = 2n ** 40n + 7n; // past 32 bits: both halves are read
  f.set([{ inode: 11, cookie: 5, sport: 5000, acked: 1000n, received: 10n }, { inode: 12, cookie: 6, sport: 5001, acked: big, received: 0n, infoBytes: 104 }]);
  const one = await t.read({ protocols: ['tcp'], families: ['ipv4'], counters: true });
  assert.equal(f.exts.at(-1), 1 << 1, 'tcp_info alone is asked for');
  assert.deepEqual(one.counters?.acked, [1000, NaN], 'a 104-byte struct (Linux < 4.1) has no byte counters');
  assert.deepEqual(one.counters?.received, [10, NaN]);
  assert.deepEqual(one.counters?.cookie, [5, 6]);
  f.set([{ inode: 11, cookie: 5, sport: 5000, acked: big, received: 99n }, { inode: 12, cookie: 6, sport: 5001, acked: big, received: 0n, infoBytes: 104 }]);
  const two = await t.read({ protocols: ['tcp'], families: ['ipv4'], counters: true });
  assert.equal(two.sockets[0], one.sockets[0], 'same object: only its counters moved');
  assert.equal(two.decoded, 0);
  assert.equal(two.sockets[0]!.tcp, undefined, 'no stale tcp_info is left on a reused object');
  assert.deepEqual(two.counters?.acked, [Number(big), NaN]);
  assert.deepEqual(two.counters?.received, [99, NaN]);
  // Without counters: no attribute asked for, no arrays.
  const three = await t.read({ protocols: ['tcp'], families: ['ipv4'] });
  assert.equal(f.exts.at(-1), 0);
  assert.equal(three.counters, undefined);
  assert.equal(three.sockets[0], one.sockets[0]);
});

test('counters: UDP drops from the memory record', async () => {
  const f = fake();
  const t = new LiveSockDiag(f.channel, null);
  f.set([{ protocol: 'udp', inode: 21, cookie: 9, sport: 5353, drops: 17 }]);
  const r = await t.read({ protocols: ['udp'], families: ['ipv4'], counters: true });
  assert.equal(f.exts.at(-1), 1 << 6, 'SKMEMINFO is asked for');
  assert.deepEqual(r.counters?.drops, [17]);
  assert.deepEqual(r.counters?.acked, [NaN]);
});

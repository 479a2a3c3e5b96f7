// The live table asks a kernel for TCP of both families in one dump (the old
// TCPDIAG_GETSOCK request, answered with AF_UNSPEC: one walk of the TCP hash
// instead of two). Its records come in hash order, both families mixed; the
// read must list exactly what the two per-family dumps list, in the same order,
// with the traffic counters index for index, and a kernel that refuses the old
// request must still be read (per family, and not asked the old way again).
// Replies are built here, record by record, and handed through the channel seam.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveSockDiag, type LiveChannel, type LiveTableRead } from '../../src/collectors/sockdiag/live-table.js';

interface Rec { family: 2 | 10; inode: number; cookie: number; sport: number; acked?: number }

/** nlmsghdr (of type `type`) + inet_diag_msg (ESTABLISHED, loopback) + INET_DIAG_INFO when `acked` is set. */
function message(r: Rec, seq: number, type: number): Buffer {
  const info = r.acked !== undefined ? 4 + 232 : 0;
  const b = Buffer.alloc(16 + 72 + info);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt32LE(seq, 8);
  const p = 16;
  b[p] = r.family;
  b[p + 1] = 1;
  b.writeUInt16BE(r.sport, p + 4);
  b.writeUInt16BE(40000, p + 6);
  if (r.family === 2) {
    Buffer.from([127, 0, 0, 1]).copy(b, p + 8);
    Buffer.from([127, 0, 0, 1]).copy(b, p + 24);
  } else {
    b[p + 8 + 15] = 1;
    b[p + 24 + 15] = 1;
  }
  b.writeUInt32LE(r.cookie, p + 44);
  b.writeUInt32LE(r.inode, p + 68);
  if (info) {
    b.writeUInt16LE(info, p + 72);
    b.writeUInt16LE(2, p + 74);
    b.writeBigUInt64LE(BigInt(r.acked!), p + 76 + 120);
  }
  return b;
}

function done(seq: number, errno = 0): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(20, 0);
  b.writeUInt16LE(errno ? 2 : 3, 4);
  b.writeUInt32LE(seq, 8);
  b.writeInt32LE(errno, 16);
  return b;
}

/**
 * A kernel: v2 requests (type 20) answered per family; the old request (type
 * 18, family 0) answered with both families mixed, in `records` order, unless
 * `refuseCompat` (then EINVAL). Records are split over datagrams of three.
 */
function kernel(records: Rec[], { compat = true, refuseCompat = false } = {}): { channel: () => LiveChannel; asked: number[] } {
  const asked: number[] = [];
  const channel: LiveChannel = {
    compatTcp: compat,
    request: async (req, onChunk) => {
      const b = Buffer.from(req.buffer, req.byteOffset, req.byteLength);
      const type = b.readUInt16LE(4);
      const seq = b.readUInt32LE(8);
      asked.push(type);
      if (type === 18 && refuseCompat) {
        onChunk(done(seq, -22));
        return;
      }
      const family = b[16];
      const protocol = type === 18 ? 6 : b[17];
      const recs = protocol !== 6 ? [] : type === 18 ? records : records.filter((r) => r.family === family);
      const msgs = [...recs.map((r) => message(r, seq, type)), done(seq)];
      for (let i = 0; i < msgs.length; i += 3) if (onChunk(Buffer.concat(msgs.slice(i, i + 3)))) return;
    },
    close: () => undefined,
  };
  return { channel: () => channel, asked };
}

const MIXED: Rec[] = [
  { family: 10, inode: 101, cookie: 1, sport: 6001, acked: 600 },
  { family: 2, inode: 201, cookie: 2, sport: 5001, acked: 500 },
  { family: 2, inode: 202, cookie: 3, sport: 5002, acked: 501 },
  { family: 10, inode: 102, cookie: 4, sport: 6002, acked: 601 },
  { family: 2, inode: 0, cookie: 5, sport: 5003, acked: 502 },
  { family: 10, inode: 0, cookie: 6, sport: 6003, acked: 602 },
  { family: 2, inode: 203, cookie: 7, sport: 5004, acked: 503 },
];

const rows = (r: LiveTableRead): string[] => r.sockets.map((s) => `${s.family} ${s.localAddress}:${s.localPort} ${s.inode}`);
const OPTS = { protocols: ['tcp', 'udp'] as const, families: ['ipv4', 'ipv6'] as const };

test('compat dump: the same records, in the same order, as one dump per family; counters index for index', async () => {
  const compat = kernel(MIXED);
  const perFamily = kernel(MIXED, { compat: false });
  const a = new LiveSockDiag(compat.channel, null);
  const b = new LiveSockDiag(perFamily.channel, null);
  const ra = await a.read({ ...OPTS, counters: true });
  const rb = await b.read({ ...OPTS, counters: true });
  assert.deepEqual(compat.asked.filter((t) => t === 18).length, 1, 'TCP asked once, the old way');
  assert.deepEqual(perFamily.asked.filter((t) => t === 18).length, 0);
  assert.deepEqual(rows(ra), rows(rb));
  assert.deepEqual(rows(ra).map((r) => r.split(' ')[0]), ['ipv4', 'ipv4', 'ipv4', 'ipv4', 'ipv6', 'ipv6', 'ipv6']);
  assert.deepEqual(ra.counters?.acked, rb.counters?.acked);
  assert.deepEqual(ra.counters?.cookie, rb.counters?.cookie);
  assert.deepEqual(ra.counters?.acked, [500, 501, 502, 503, 600, 601, 602]);
  assert.equal(ra.decoded, 7);
  // Read again: every record is last read's object, in the same places.
  const again = await a.read({ ...OPTS, counters: true });
  assert.equal(again.decoded, 0);
  for (let i = 0; i < again.sockets.length; i++) assert.equal(again.sockets[i], ra.sockets[i]);
  assert.deepEqual(again.gone, []);
});

test('compat dump: a socket that closes is gone, one that opens is decoded', async () => {
  let records = MIXED;
  const asked: number[] = [];
  const k = (): LiveChannel => kernel(records).channel();
  const t = new LiveSockDiag(() => ({ compatTcp: true, request: (req, on) => { asked.push(1); return k().request(req, on); }, close: () => undefined }), null);
  await t.read(OPTS);
  records = [...MIXED.filter((r) => r.inode !== 102), { family: 10, inode: 103, cookie: 8, sport: 6004 }];
  const r = await t.read(OPTS);
  assert.deepEqual(r.gone, [102]);
  assert.equal(r.decoded, 1);
  assert.ok(r.sockets.some((s) => s.inode === 103 && s.family === 'ipv6'));
});

test('compat dump refused: the table is read per family, and the old request is not made again', async () => {
  const k = kernel(MIXED, { refuseCompat: true });
  const t = new LiveSockDiag(k.channel, null);
  const one = await t.read(OPTS);
  assert.deepEqual(rows(one), rows(await new LiveSockDiag(kernel(MIXED, { compat: false }).channel, null).read(OPTS)));
  assert.deepEqual(one.issues, []);
  assert.deepEqual(one.refused, []);
  await t.read(OPTS);
  assert.equal(k.asked.filter((x) => x === 18).length, 1);
});

test('compat dump: not made for one family alone', async () => {
  const k = kernel(MIXED);
  const r = await new LiveSockDiag(k.channel, null).read({ protocols: ['tcp'], families: ['ipv6'] });
  assert.deepEqual(k.asked, [20]);
  assert.deepEqual(r.sockets.map((s) => s.inode), [101, 102, 0]);
});

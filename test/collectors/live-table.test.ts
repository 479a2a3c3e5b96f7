// The live table (watch's socket table) reuses last read's object for a
// socket whose record did not change. Sockets without an inode (TIME_WAIT, a
// connection not yet accepted) used to be keyed by a 32-bit hash of part of
// the 4-tuple, and a socket with an inode was told unchanged by that hash too:
// two tuples with the same hash came back as one socket twice, and a socket
// that moved to a colliding tuple kept its old addresses. Keys are now the
// full tuple (with the socket's cookie), compared word for word.
//
// Replies are built here, record by record, and handed to the table through
// its channel seam: the collisions are constructed, not waited for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveSockDiag, tupleHash, type LiveChannel } from '../../src/collectors/sockdiag/live-table.js';
import type { RawSocket } from '../../src/model/socket.js';

interface Rec {
  family: 2 | 10;
  state: number;
  sport: number;
  dport: number;
  /** 16 bytes each (IPv4 in the first 4). */
  src: number[];
  dst: number[];
  ifindex?: number;
  cookie: number;
  inode: number;
  rq?: number;
  wq?: number;
}

const TCP_ESTABLISHED = 1;
const TCP_TIME_WAIT = 6;

function v4(a: string): number[] {
  return [...a.split('.').map(Number), ...new Array(12).fill(0)];
}

/** One SOCK_DIAG_BY_FAMILY message (nlmsghdr + inet_diag_msg) with sequence `seq`. */
function message(r: Rec, seq: number): Buffer {
  const b = Buffer.alloc(16 + 72);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt32LE(seq, 8);
  const p = 16;
  b[p] = r.family;
  b[p + 1] = r.state;
  b.writeUInt16BE(r.sport, p + 4);
  b.writeUInt16BE(r.dport, p + 6);
  Buffer.from(r.src).copy(b, p + 8);
  Buffer.from(r.dst).copy(b, p + 24);
  b.writeUInt32LE(r.ifindex ?? 0, p + 40);
  b.writeUInt32LE(r.cookie, p + 44);
  b.writeUInt32LE(r.rq ?? 0, p + 56);
  b.writeUInt32LE(r.wq ?? 0, p + 60);
  b.writeUInt32LE(r.inode, p + 68);
  return b;
}

function done(seq: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(20, 0);
  b.writeUInt16LE(3, 4);
  b.writeUInt32LE(seq, 8);
  return b;
}

/** A channel whose every dump answers with `current` (the records of the asked family). */
function fakeChannel(): { channel: () => LiveChannel; set(records: Rec[]): void } {
  let current: Rec[] = [];
  const channel: LiveChannel = {
    request: async (req, onChunk) => {
      const seq = Buffer.from(req.buffer, req.byteOffset, req.byteLength).readUInt32LE(8);
      const family = req[16];
      const chunk = Buffer.concat([...current.filter((r) => r.family === family).map((r) => message(r, seq)), done(seq)]);
      onChunk(chunk);
    },
    close: () => undefined,
  };
  return { channel: () => channel, set: (records) => { current = records; } };
}

async function read(t: LiveSockDiag, family: 'ipv4' | 'ipv6'): Promise<RawSocket[]> {
  return (await t.read({ protocols: ['tcp'], families: [family] })).sockets;
}

// The key the table used before: FNV-1a over the ports word, the first and
// last word of each address and the interface.
function formerHash(r: Rec): number {
  const b = message(r, 0);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const p = 16;
  let h = 0x811c9dc5 ^ r.family;
  for (const o of [4, 8, 20, 24, 36, 40]) h = Math.imul(h ^ dv.getUint32(p + o, true), 16777619);
  return h;
}

/** Two IPv4 TIME_WAIT tuples on loopback whose former hashes are equal (birthday search, bounded). */
function formerCollision(): [Rec, Rec] {
  const seen = new Map<number, Rec>();
  for (let i = 0; i < 4_000_000; i++) {
    const r: Rec = {
      family: 2, state: TCP_TIME_WAIT, sport: 1024 + (i % 60000), dport: 5000, src: v4(`127.${(i / 60000) & 255}.${i & 255}.1`),
      dst: v4('127.0.0.1'), cookie: 0, inode: 0,
    };
    const h = formerHash(r);
    const o = seen.get(h);
    if (o && (o.sport !== r.sport || o.src.join() !== r.src.join())) return [o, { ...r, cookie: 1 }];
    seen.set(h, r);
  }
  throw new Error('no collision found');
}

const key = (s: RawSocket): string => `${s.localAddress}:${s.localPort}>${s.remoteAddress}:${s.remotePort}`;
const keyOf = (r: Rec, family: 'ipv4' | 'ipv6'): string => {
  const addr = (a: number[]): string => family === 'ipv4' ? a.slice(0, 4).join('.')
    : Array.from({ length: 8 }, (_, i) => ((a[2 * i]! << 8) | a[2 * i + 1]!).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  return `${addr(r.src)}:${r.sport}>${addr(r.dst)}:${r.dport}`;
};

test('two TIME_WAIT sockets whose former hashes collide are two sockets, read after read', async () => {
  const [a, b] = formerCollision();
  assert.equal(formerHash(a), formerHash(b), 'the constructed tuples collide under the former key');
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  fake.set([a, b]);
  for (let round = 0; round < 3; round++) {
    const got = await read(t, 'ipv4');
    assert.equal(got.length, 2);
    assert.notEqual(got[0], got[1], `round ${round}: one object returned twice`);
    assert.deepEqual(got.map(key), [keyOf(a, 'ipv4'), keyOf(b, 'ipv4')], `round ${round}`);
  }
  // Each goes on alone as itself.
  fake.set([b]);
  assert.deepEqual((await read(t, 'ipv4')).map(key), [keyOf(b, 'ipv4')]);
  fake.set([a]);
  assert.deepEqual((await read(t, 'ipv4')).map(key), [keyOf(a, 'ipv4')]);
});

test('IPv6 tuples that differ only in the middle of an address are two sockets', async () => {
  // 2001:db8:0:1::1 and 2001:db8:0:2::1: the former key skipped address words 1 and 2.
  const addr = (n: number): number[] => [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, n, 0, 0, 0, 0, 0, 0, 0, 1];
  const a: Rec = { family: 10, state: TCP_TIME_WAIT, sport: 40000, dport: 443, src: addr(1), dst: addr(9), cookie: 7, inode: 0 };
  const b: Rec = { ...a, src: addr(2), cookie: 8 };
  assert.equal(formerHash(a), formerHash(b));
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  fake.set([a, b]);
  for (let round = 0; round < 2; round++) {
    const got = await read(t, 'ipv6');
    assert.notEqual(got[0], got[1]);
    assert.deepEqual(got.map((s) => s.localAddress), ['2001:db8:0:1::1', '2001:db8:0:2::1'], `round ${round}`);
  }
});

test('a socket that keeps its inode and moves to a colliding tuple is read anew', async () => {
  const [a, b] = formerCollision();
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  fake.set([{ ...a, state: TCP_ESTABLISHED, inode: 5000, cookie: 3 }]);
  const first = await read(t, 'ipv4');
  fake.set([{ ...b, state: TCP_ESTABLISHED, inode: 5000, cookie: 3 }]);
  const second = await read(t, 'ipv4');
  assert.deepEqual(second.map(key), [keyOf(b, 'ipv4')]);
  assert.notEqual(second[0], first[0]);
});

test('an unchanged record is last read\'s object; a changed one is not', async () => {
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  const tw: Rec = { family: 2, state: TCP_TIME_WAIT, sport: 41000, dport: 80, src: v4('127.0.0.1'), dst: v4('127.0.0.2'), cookie: 11, inode: 0 };
  const est: Rec = { family: 2, state: TCP_ESTABLISHED, sport: 41001, dport: 80, src: v4('127.0.0.1'), dst: v4('127.0.0.2'), cookie: 12, inode: 777 };
  fake.set([tw, est]);
  const r1 = await t.read({ protocols: ['tcp'], families: ['ipv4'] });
  assert.equal(r1.decoded, 2);
  const r2 = await t.read({ protocols: ['tcp'], families: ['ipv4'] });
  assert.equal(r2.decoded, 0);
  assert.equal(r2.sockets[0], r1.sockets[0]);
  assert.equal(r2.sockets[1], r1.sockets[1]);
  // Same tuple, another socket (a new cookie): not last read's object.
  fake.set([{ ...tw, cookie: 99 }, { ...est, rq: 5 }]);
  const r3 = await t.read({ protocols: ['tcp'], families: ['ipv4'] });
  assert.equal(r3.decoded, 2);
  assert.notEqual(r3.sockets[0], r1.sockets[0]);
  assert.equal(r3.sockets[1]!.recvQ, 5);
  assert.deepEqual(t.cookieOf(777), [12, 0]);
  assert.deepEqual(t.cookieOfSocket(r3.sockets[0]!), [99, 0]);
  fake.set([]);
  assert.deepEqual((await t.read({ protocols: ['tcp'], families: ['ipv4'] })).gone, [777]);
});

test('sockets in one bucket of the table (colliding tupleHash) stay apart', async () => {
  // Search a collision of the table's own bucket hash (bounded birthday search).
  const seen = new Map<number, Rec>();
  let pair: [Rec, Rec] | undefined;
  for (let i = 0; i < 4_000_000 && !pair; i++) {
    const r: Rec = {
      family: 2, state: TCP_TIME_WAIT, sport: 1024 + (i % 60000), dport: 6000, src: v4(`127.${(i / 60000) & 255}.${i & 255}.3`),
      dst: v4('127.0.0.1'), cookie: i, inode: 0,
    };
    const b = message(r, 0);
    const h = tupleHash(new DataView(b.buffer, b.byteOffset, b.length), 16, 2, 'tcp');
    const o = seen.get(h);
    if (o) pair = [o, r];
    seen.set(h, r);
  }
  assert.ok(pair, 'a collision was found');
  const [a, b] = pair;
  const third: Rec = { ...a, sport: a.sport === 2000 ? 2001 : 2000, cookie: 1 << 30 };
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  fake.set([a, b, third]);
  const first = await read(t, 'ipv4');
  assert.deepEqual(first.map(key), [keyOf(a, 'ipv4'), keyOf(b, 'ipv4'), keyOf(third, 'ipv4')]);
  const second = await t.read({ protocols: ['tcp'], families: ['ipv4'] });
  assert.equal(second.decoded, 0, 'every one found again in its bucket');
  assert.deepEqual(second.sockets, first);
  assert.equal(new Set(second.sockets).size, 3);
  // One leaves the bucket: the other stays itself.
  fake.set([b]);
  const third2 = await t.read({ protocols: ['tcp'], families: ['ipv4'] });
  assert.equal(third2.decoded, 0);
  assert.equal(third2.sockets[0], first[1]);
});

test('the same socket listed twice in one dump (a dump is not atomic) is one socket', async () => {
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  const est: Rec = { family: 2, state: TCP_ESTABLISHED, sport: 41001, dport: 80, src: v4('127.0.0.1'), dst: v4('127.0.0.2'), cookie: 12, inode: 777 };
  const tw: Rec = { family: 2, state: TCP_TIME_WAIT, sport: 41002, dport: 80, src: v4('127.0.0.1'), dst: v4('127.0.0.2'), cookie: 13, inode: 0 };
  for (let round = 0; round < 3; round++) {
    // The second time with other queues, as if read a moment later: still the same socket.
    fake.set([est, tw, { ...est, rq: round }, tw]);
    const got = await read(t, 'ipv4');
    assert.equal(got.length, 2, `round ${round}: ${got.map(key)}`);
    assert.deepEqual(got.map((s) => s.inode), [777, 0]);
  }
  // Two sockets with one inode but different cookies cannot both be live; a
  // TIME_WAIT and a new connection on one tuple can: both are kept.
  fake.set([tw, { ...tw, state: TCP_ESTABLISHED, cookie: 14 }]);
  assert.equal((await read(t, 'ipv4')).length, 2);
});

test('cookieOfSocket: a row without an inode, or a copy of it, names its socket', async () => {
  const fake = fakeChannel();
  const t = new LiveSockDiag(fake.channel);
  const tw: Rec = { family: 2, state: TCP_TIME_WAIT, sport: 41002, dport: 80, src: v4('127.0.0.1'), dst: v4('127.0.0.2'), cookie: 0xdead, inode: 0 };
  const other: Rec = { ...tw, sport: 41003, cookie: 0xbeef };
  fake.set([tw, other]);
  const [a, b] = await read(t, 'ipv4');
  assert.deepEqual(t.cookieOfSocket(a!), [0xdead, 0]);
  assert.deepEqual(t.cookieOfSocket({ ...b! }), [0xbeef, 0]);
  assert.equal(t.cookieOfSocket({ ...a!, localPort: 1 }), undefined);
});

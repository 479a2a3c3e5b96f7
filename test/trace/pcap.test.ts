// Recorded captures decode to the expected ladder, without a network. The
// files under test/fixtures/pcap/ were written by a plain `tcpdump -w` beside
// `sockscope trace` in test/live/trace.test.ts (SOCKSCOPE_RECORD_PCAP=1): a
// handshake, data and a close (EN10MB, µs); SYN retransmissions to a full
// accept queue (`-i any`: LINUX_SLL2); a zero window with probes (ns
// timestamps); an abortive close (RST). The other byte order and link types
// are made here from them, byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';
import { decodeFrame, PcapError, PcapReader, readPcap, type PacketRecord } from '../../src/trace/pcap.js';
import { PacketTracker, renderLadder, StateTracker, type TracePacket, type TraceState } from '../../src/trace/ladder.js';
import { msg } from '../../src/explain/i18n.js';
import type { Socket } from '../../src/model/socket.js';

const file = (name: string): Buffer => readFileSync(join(FIXTURES, 'pcap', name));
const track = (ps: readonly PacketRecord[]): TracePacket[] => { const tr = new PacketTracker(); return ps.map((p) => tr.add(p)); };
/** "→ SYN 0 - 0" : direction (from the first sender's view), flags, seq, ack, length, marks. */
const shape = (ps: readonly TracePacket[]): string[] => {
  const client = ps[0]!.from.port;
  return ps.map((p) => `${p.from.port === client ? '→' : '←'} ${[...p.flags].sort().join(',')} ${p.seq} ${p.ack ?? '-'} ${p.length}${p.marks ? ' ' + p.marks.join(',') : ''}`);
};
const t = (k: Parameters<typeof msg>[1], p?: Parameters<typeof msg>[2]): string => msg('en', k, p);

const HANDSHAKE = [
  '→ SYN 0 - 0', '← ACK,SYN 0 1 0', '→ ACK 1 1 0',
  '→ ACK,PSH 1 1 5', '← ACK 1 6 0',
  '← ACK,PSH 1 6 2', '→ ACK 6 3 0',
  '→ ACK,FIN 6 3 0', '← ACK 3 7 0', '← ACK,FIN 3 7 0', '→ ACK 7 4 0',
];

test('a handshake, data and a close (EN10MB, µs) decode to the expected packets', () => {
  const { header, packets } = readPcap(file('handshake-data-close.pcap'));
  assert.deepEqual(header, { littleEndian: true, nanoseconds: false, snaplen: 120, linktype: 1 });
  const ps = track(packets);
  assert.deepEqual(shape(ps), HANDSHAKE);
  assert.ok(ps.every((p) => p.protocol === 'tcp' && p.from.address === '127.0.0.1' && p.to.address === '127.0.0.1'));
  assert.equal(packets[0]!.mss, 65495, 'the SYN\'s MSS option');
  assert.ok(packets[0]!.wscale !== undefined && packets[0]!.wscale >= 0, 'the SYN\'s window scale option');
  // Windows after the handshake are scaled by the SYNs' shift: 64 << 10 = 65536 as tcpdump showed raw "win 64".
  assert.equal(packets[2]!.window * 2 ** packets[0]!.wscale!, ps[2]!.window);
  assert.ok(ps.slice(2).every((p) => p.window >= 1024), 'scaled');
  // Headers only: a record carries no payload field at all.
  const allowed = new Set(['at', 'protocol', 'family', 'src', 'sport', 'dst', 'dport', 'flags', 'seq', 'ack', 'window', 'length', 'mss', 'wscale']);
  for (const p of packets) for (const k of Object.keys(p)) assert.ok(allowed.has(k), `unexpected field ${k}`);
});

test('the ladder of the recorded handshake: columns, arrows, numbers', () => {
  const ps = track(readPcap(file('handshake-data-close.pcap')).packets);
  const lines = renderLadder(ps, { t, color: false });
  const client = ps[0]!.from.port;
  const server = ps[0]!.to.port;
  assert.equal(lines[0], 'Columns (one per endpoint):');
  assert.match(lines[1]!, new RegExp(`^  :${client} +127\\.0\\.0\\.1:${client}$`));
  assert.match(lines[2]!, new RegExp(`^  :${server} +127\\.0\\.0\\.1:${server}$`));
  const rows = lines.filter((l) => /^ +\d+\.\d{3}  /.test(l)).map((l) => l.replace(/^ +\d+\.\d{3}  /, ''));
  assert.deepEqual(rows, [
    '│───────▶│         SYN seq 0 win 65495 len 0',
    '│◀───────│         SYN-ACK seq 0 ack 1 win 65483 len 0',
    '│───────▶│         ACK seq 1 ack 1 win 65536 len 0',
    '│───────▶│         PSH-ACK seq 1:6 ack 1 win 65536 len 5',
    '│◀───────│         ACK seq 1 ack 6 win 65536 len 0',
    '│◀───────│         PSH-ACK seq 1:3 ack 6 win 65536 len 2',
    '│───────▶│         ACK seq 6 ack 3 win 65536 len 0',
    '│───────▶│         FIN-ACK seq 6 ack 3 win 65536 len 0',
    '│◀───────│         ACK seq 3 ack 7 win 65536 len 0',
    '│◀───────│         FIN-ACK seq 3 ack 7 win 65536 len 0',
    '│───────▶│         ACK seq 7 ack 4 win 65536 len 0',
  ]);
  assert.ok(!lines.some((l) => l.startsWith('[')), 'no marks, no explanations');
});

test('SYNs to a full queue (LINUX_SLL2 from -i any): retransmitted, never answered', () => {
  const { header, packets } = readPcap(file('full-queue-syn-retransmit.pcap'));
  assert.equal(header.linktype, 276);
  const ps = track(packets);
  const answered = new Set(ps.filter((p) => p.flags.includes('SYN') && p.flags.includes('ACK')).map((p) => p.to.port));
  assert.equal(answered.size, 2, 'backlog 1: two handshakes completed by the kernel');
  const unanswered = ps.filter((p) => p.flags.length === 1 && p.flags[0] === 'SYN' && !answered.has(p.from.port));
  assert.ok(unanswered.length >= 4);
  const retrans = unanswered.filter((p) => p.marks?.includes('retransmission'));
  assert.equal(retrans.length, unanswered.length - new Set(unanswered.map((p) => p.from.port)).size, 'every SYN after a client\'s first is marked');
  assert.ok(retrans.every((p) => p.seq === 0));
  const lines = renderLadder(ps, { t, color: false });
  assert.ok(lines.some((l) => /SYN seq 0 win 65495 len 0 \[retransmission\]$/.test(l)));
  assert.ok(lines.some((l) => l.startsWith('[retransmission] the sender sent this sequence range')));
});

test('a zero window and the sender\'s probes (nanosecond pcap)', () => {
  const { header, packets } = readPcap(file('zero-window-probe.pcap'));
  assert.equal(header.nanoseconds, true);
  // Times keep their sub-millisecond part and increase.
  assert.ok(packets.every((p, i) => i === 0 || p.at >= packets[i - 1]!.at));
  assert.ok(packets.some((p) => p.at % 1 !== 0));
  const ps = track(packets);
  const receiver = ps[0]!.to.port;
  const zero = ps.filter((p) => p.marks?.includes('zero-window'));
  assert.ok(zero.length >= 1 && zero.every((p) => p.from.port === receiver && p.window === 0));
  const probes = ps.filter((p) => p.marks?.includes('window-probe'));
  assert.ok(probes.length >= 1);
  // A Linux probe repeats the last acknowledged byte: seq = the receiver's ack - 1, no data.
  const acked = zero[0]!.ack!;
  assert.ok(probes.every((p) => p.to.port === receiver && p.length === 0 && p.seq === acked - 1), JSON.stringify(probes));
  assert.ok(!probes.some((p) => p.marks?.includes('retransmission')), 'a probe is not a retransmission');
});

test('an abortive close: RST, marked as a reset, and no FIN', () => {
  const ps = track(readPcap(file('abortive-close-rst.pcap')).packets);
  assert.deepEqual(shape(ps), ['→ SYN 0 - 0', '← ACK,SYN 0 1 0', '→ ACK 1 1 0', '→ ACK,RST 1 1 0 reset']);
  const lines = renderLadder(ps, { t: (k, p) => msg('zh-CN', k, p), color: false });
  assert.ok(lines.some((l) => /RST-ACK seq 1 ack 1 .*\[复位\]/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('[复位] RST 立即结束连接')));
});

// --- Other byte orders and link types, made from the recorded EN10MB file ---

interface Rec { sec: number; frac: number; frame: Buffer }

function records(buf: Buffer): Rec[] {
  const out: Rec[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const incl = buf.readUInt32LE(off + 8);
    out.push({ sec: buf.readUInt32LE(off), frac: buf.readUInt32LE(off + 4), frame: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return out;
}

function write(recs: readonly Rec[], linktype: number, be: boolean, frame: (f: Buffer) => Buffer): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const u32 = (b: Buffer, v: number, o: number): void => { if (be) b.writeUInt32BE(v, o); else b.writeUInt32LE(v, o); };
  const u16 = (b: Buffer, v: number, o: number): void => { if (be) b.writeUInt16BE(v, o); else b.writeUInt16LE(v, o); };
  u32(h, 0xa1b2c3d4, 0); u16(h, 2, 4); u16(h, 4, 6); u32(h, 0, 8); u32(h, 0, 12); u32(h, 120, 16); u32(h, linktype, 20);
  parts.push(h);
  for (const r of recs) {
    const f = frame(r.frame);
    const rh = Buffer.alloc(16);
    u32(rh, r.sec, 0); u32(rh, r.frac, 4); u32(rh, f.length, 8); u32(rh, f.length + 40, 12);
    parts.push(rh, f);
  }
  return Buffer.concat(parts);
}

test('both byte orders and every link type tcpdump writes on Linux give the same packets', () => {
  const orig = file('handshake-data-close.pcap');
  const recs = records(orig);
  const want = readPcap(orig).packets;
  const ip = (f: Buffer): Buffer => f.subarray(14);
  const cases: [string, Buffer][] = [
    ['big-endian EN10MB', write(recs, 1, true, (f) => f)],
    ['DLT_NULL (AF_INET in host order)', write(recs, 0, false, (f) => Buffer.concat([Buffer.from([2, 0, 0, 0]), ip(f)]))],
    ['DLT_NULL big-endian', write(recs, 0, true, (f) => Buffer.concat([Buffer.from([0, 0, 0, 2]), ip(f)]))],
    ['RAW (101)', write(recs, 101, false, ip)],
    ['LINUX_SLL (113)', write(recs, 113, false, (f) => { const s = Buffer.alloc(16); s.writeUInt16BE(0x0800, 14); return Buffer.concat([s, ip(f)]); })],
    ['802.1Q tagged EN10MB', write(recs, 1, false, (f) => Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x05]), f.subarray(12)]))],
  ];
  for (const [name, bytes] of cases) {
    const got = readPcap(bytes);
    assert.deepEqual(got.packets, want, name);
  }
});

test('the reader takes a stream in chunks of any size, and keeps at most one partial record', () => {
  const bytes = file('zero-window-probe.pcap');
  const whole = readPcap(bytes).packets;
  for (const size of [1, 7, 16, 100]) {
    const r = new PcapReader();
    const got: PacketRecord[] = [];
    for (let i = 0; i < bytes.length; i += size) got.push(...r.push(bytes.subarray(i, i + size)));
    assert.deepEqual(got, whole, `chunks of ${size}`);
  }
});

test('bounded and strict: a record larger than the snapshot length, a foreign magic', () => {
  const bytes = Buffer.from(file('abortive-close-rst.pcap'));
  bytes.writeUInt32LE(100_000, 24 + 8); // the first record claims 100 kB
  assert.throws(() => readPcap(bytes), PcapError);
  assert.throws(() => readPcap(Buffer.from('not a pcap file at all, no', 'ascii')), /not a pcap stream/);
  assert.throws(() => readPcap(Buffer.alloc(10)), /shorter than a pcap header/);
  // Frames that are not TCP/UDP, or cut short, are skipped rather than misread.
  assert.equal(decodeFrame(Buffer.from([0x08, 0x06]), 1, 0), undefined);
  assert.equal(decodeFrame(Buffer.alloc(30), 1, 0), undefined);
});

// --- States beside the arrows ---

function sock(over: Partial<Socket>): Socket {
  return { protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: 0, state: 'ESTABLISHED',
    recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [], ...over };
}

test('state changes are written beside the last packet before the look that saw them, or on a row of their own', () => {
  const ps = track(readPcap(file('handshake-data-close.pcap')).packets);
  const c = ps[0]!.from.port;
  const s = ps[0]!.to.port;
  const st = new StateTracker();
  const t0 = ps[0]!.at;
  st.baseline([sock({ localPort: c, remotePort: s, state: 'SYN_SENT', holders: [{ pid: 1234, fd: 3, name: 'client' }] }),
    sock({ localPort: s, remotePort: 0, remoteAddress: '0.0.0.0', state: 'LISTEN', holders: [{ pid: 1200, fd: 3, name: 'server' }] })], t0 - 1);
  const events: (TracePacket | TraceState)[] = [...ps];
  // A look just after the handshake: the client ESTABLISHED, the server's side not accepted yet.
  events.push(...st.look([
    sock({ localPort: c, remotePort: s, state: 'ESTABLISHED', holders: [{ pid: 1234, fd: 3, name: 'client' }] }),
    sock({ localPort: s, remotePort: c, inode: 0, unheldReason: 'not-accepted' }),
    sock({ localPort: s, remotePort: 0, remoteAddress: '0.0.0.0', state: 'LISTEN', holders: [{ pid: 1200, fd: 3, name: 'server' }] }),
  ], (ps[2]!.at + ps[3]!.at) / 2));
  // A look that sees nothing new, then accept(): no packet in between, a row of its own.
  const same = [
    sock({ localPort: c, remotePort: s, state: 'ESTABLISHED', holders: [{ pid: 1234, fd: 3, name: 'client' }] }),
    sock({ localPort: s, remotePort: c, inode: 0, unheldReason: 'not-accepted' }),
    sock({ localPort: s, remotePort: 0, remoteAddress: '0.0.0.0', state: 'LISTEN', holders: [{ pid: 1200, fd: 3, name: 'server' }] }),
  ];
  assert.deepEqual(st.look(same, ps[4]!.at + 50), []);
  events.push(...st.look([
    sock({ localPort: c, remotePort: s, state: 'ESTABLISHED', holders: [{ pid: 1234, fd: 3, name: 'client' }] }),
    sock({ localPort: s, remotePort: c, inode: 7, holders: [{ pid: 1200, fd: 5, name: 'server' }] }),
    sock({ localPort: s, remotePort: 0, remoteAddress: '0.0.0.0', state: 'LISTEN', holders: [{ pid: 1200, fd: 3, name: 'server' }] }),
  ], ps[4]!.at + 100));
  const lines = renderLadder(events, { t, color: false, start: t0 });
  const ack = lines.find((l) => /ACK seq 1 ack 1 win/.test(l))!;
  assert.match(ack, new RegExp(`ACK seq 1 ack 1 win 65536 len 0  :${c}↔:${s} SYN_SENT → ESTABLISHED$`));
  const under = lines[lines.indexOf(ack) + 1]!;
  assert.match(under, new RegExp(`^ +│ +│ +:${s}↔:${c} appears: ESTABLISHED not accepted yet$`));
  const alone = lines.find((l) => l.includes('→ held by'))!;
  assert.match(alone, new RegExp(`^ +0\\.1\\d\\d  │ +│ +:${s}↔:${c} not accepted yet → held by pid 1200 fd 5$`));
  assert.match(lines[1]!, /client \(pid 1234\)/, 'the legend names the holders');
});

test('names from other processes are escaped in the ladder', () => {
  const ps = track(readPcap(file('abortive-close-rst.pcap')).packets);
  const st = new StateTracker();
  st.baseline([], ps[0]!.at - 1);
  const ev = st.look([sock({ localPort: ps[0]!.from.port, remotePort: ps[0]!.to.port, holders: [{ pid: 9, fd: 3, name: 'evil\x1b[2J\nrow' }] })], ps[2]!.at + 0.1);
  const text = renderLadder([...ps, ...ev], { t, color: false }).join('\n');
  assert.ok(!text.includes('\x1b'), 'no raw escape');
  assert.match(text, /evil\\x1b\[2J\\nrow/);
});

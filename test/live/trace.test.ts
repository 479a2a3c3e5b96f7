// sockscope trace on loopback, with sockets these tests create on ports the
// kernel picks: the packets of a handshake, data and a close with the states
// beside them; SYN retransmissions to a full accept queue; a zero window and
// the sender's probes when the receiver does not read; RST on an abortive
// close (SO_LINGER 0). Each scenario is also captured by a plain tcpdump -w
// next to the CLI, and that file must decode (pcap.ts) to the same packets:
// with SOCKSCOPE_RECORD_PCAP=1 those files become test/fixtures/pcap/*.pcap,
// which test/trace/pcap.test.ts decodes without a network.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AS_NOBODY, BIN, REPO_ROOT, runCli, startPython, type Child } from './helpers.js';
import { readPcap } from '../../src/trace/pcap.js';
import { PacketTracker, type TraceEvent, type TracePacket, type TraceState } from '../../src/trace/ladder.js';

interface Running {
  proc: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

function spawnTracked(t: TestContext, argv: string[]): Running {
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const r: Running = { proc, out: '', err: '', exited: new Promise((res) => proc.on('close', (code) => res(code))) };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { r.out += d; });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { r.err += d; });
  // Whatever happens, neither the CLI nor tcpdump outlives the test (bounded: 60 s).
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  t.after(async () => { clearTimeout(timer); proc.kill('SIGKILL'); await r.exited; });
  return r;
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw tcpdump writing the same port's packets to a file, beside the CLI. */
async function rawCapture(t: TestContext, port: number, file: string, extra: string[] = []): Promise<Running> {
  const iface = extra.includes('any') ? [] : ['-i', 'lo'];
  const r = spawnTracked(t, ['tcpdump', ...iface, '-U', '-s', '120', ...extra, '-w', file, `tcp port ${port}`]);
  await until('tcpdump listening', () => /listening on/.test(r.err), 10_000);
  return r;
}

/**
 * Start `sockscope trace <port> <args>` and wait until it captures; then `go`
 * lets the scenario run. Resolves with the CLI's output once it has ended.
 */
async function traceWhile(t: TestContext, port: number, args: string[], go: () => Promise<void> | void,
  raw?: { file: string; extra?: string[] }): Promise<{ code: number | null; out: string; err: string; events: TraceEvent[]; rawPackets?: TracePacket[] }> {
  const dump = raw ? await rawCapture(t, port, raw.file, raw.extra) : undefined;
  const cli = spawnTracked(t, [process.execPath, BIN, 'trace', String(port), ...args]);
  await until(`sockscope trace capturing (stderr: ${cli.err})`, () => /Capturing/.test(cli.err) || cli.proc.exitCode !== null, 15_000);
  await go();
  const code = await cli.exited;
  let rawPackets: TracePacket[] | undefined;
  if (dump) {
    dump.proc.kill('SIGINT');
    await dump.exited;
    const tracker = new PacketTracker();
    rawPackets = readPcap(readFileSync(raw!.file)).packets.map((p) => tracker.add(p));
    if (process.env['SOCKSCOPE_RECORD_PCAP'] === '1') copyFileSync(raw!.file, join(REPO_ROOT, 'test', 'fixtures', 'pcap', raw!.file.split('/').pop()!));
  }
  const events = args.includes('--json') ? cli.out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TraceEvent) : [];
  return { code, out: cli.out, err: cli.err, events, rawPackets };
}

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-trace-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const packetsOf = (events: readonly TraceEvent[]): TracePacket[] => events.filter((e): e is TracePacket => e.type === 'packet');
const statesOf = (events: readonly TraceEvent[]): TraceState[] => events.filter((e): e is TraceState => e.type === 'state');
const word = (p: TracePacket): string => [...p.flags].sort().join(',');

// A server on a free port, and a client it lets go on our word: connect, send
// 5 bytes, read 2, close; the server accepts, reads, answers, and closes later.
const CONVERSATION = `
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(4)
emit(port=srv.getsockname()[1])
sys.stdin.readline()
c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), timeout=5)
a, _ = srv.accept()
c.sendall(b'hello'); a.recv(16)
time.sleep(0.3)
a.sendall(b'ok'); c.recv(16)
time.sleep(0.3)
c.close()
time.sleep(0.4)
a.close()
emit(done=True)
hold()
`;

async function conversation(t: TestContext, args: string[], raw?: { file: string; extra?: string[] }) {
  const py = startPython(t, 'conversation', CONVERSATION);
  const { port } = (await py.message('port')) as { port: number };
  const r = await traceWhile(t, port, args, () => { py.proc.stdin!.write('go\n'); }, raw);
  return { ...r, port, py };
}

test('trace: a handshake, data and a close give SYN, SYN-ACK, ACK … FIN, ACK, FIN, ACK, with the states beside', async (t) => {
  const dir = tmp(t);
  const { code, err, events, port, rawPackets } = await conversation(t, ['--json', '--duration', '3'], { file: join(dir, 'handshake-data-close.pcap') });
  assert.equal(code, 0, err);
  const ps = packetsOf(events);
  assert.deepEqual(ps.slice(0, 3).map(word), ['SYN', 'ACK,SYN', 'ACK'], JSON.stringify(ps.slice(0, 3)));
  const client = ps[0]!.from.port;
  // Numbers relative to each side's start: the client's SYN is seq 0, its first data byte seq 1.
  assert.equal(ps[0]!.seq, 0);
  assert.equal(ps[1]!.ack, 1);
  const data = ps.find((p) => p.from.port === client && p.length === 5);
  assert.ok(data, 'the client\'s 5 bytes');
  assert.equal(data.seq, 1);
  assert.ok(data.flags.includes('PSH'));
  const answer = ps.find((p) => p.from.port === port && p.length === 2);
  assert.ok(answer && answer.seq === 1 && answer.ack === 6, JSON.stringify(answer));
  // The close: the client's FIN first, then the server's, each acknowledged.
  const fins = ps.filter((p) => p.flags.includes('FIN'));
  assert.deepEqual(fins.map((p) => p.from.port), [client, port]);
  assert.equal(fins[0]!.seq, 6);
  const last = ps[ps.length - 1]!;
  assert.equal(last.from.port, client);
  assert.equal(last.ack, fins[1]!.seq + 1, 'the client acknowledges the server\'s FIN');
  assert.ok(ps.every((p) => !p.marks), `no marks in a clean conversation: ${JSON.stringify(ps.filter((p) => p.marks))}`);
  // The states the collector saw: the client's socket ESTABLISHED, then TIME_WAIT (it closed first).
  const clientStates = statesOf(events).filter((s) => s.local.port === client).map((s) => s.to?.state ?? 'gone');
  assert.ok(clientStates.includes('ESTABLISHED'), clientStates.join(' '));
  assert.equal(clientStates[clientStates.length - 1], 'TIME_WAIT', clientStates.join(' '));
  const serverConn = statesOf(events).filter((s) => s.local.port === port && s.remote.port === client).map((s) => s.to?.state ?? 'gone');
  assert.ok(serverConn.includes('CLOSE_WAIT'), `the server side waited in CLOSE_WAIT: ${serverConn.join(' ')}`);
  // A state event follows the packet that caused it: the client's TIME_WAIT after the server's FIN.
  const tw = statesOf(events).find((s) => s.local.port === client && s.to?.state === 'TIME_WAIT')!;
  assert.ok(tw.at >= fins[1]!.at, 'TIME_WAIT seen after the second FIN');
  // A plain tcpdump -w of the same conversation decodes to the same packets.
  assert.deepEqual(rawPackets!.map((p) => `${word(p)} ${p.seq} ${p.ack ?? '-'} ${p.length}`), ps.map((p) => `${word(p)} ${p.seq} ${p.ack ?? '-'} ${p.length}`));
});

test('trace: the ladder as text puts the states beside the arrows', async (t) => {
  const { code, out, err, port } = await conversation(t, ['--duration', '3']);
  assert.equal(code, 0, err);
  assert.match(out, /Columns \(one per endpoint\):/);
  assert.match(out, new RegExp(`^  :${port} +127\\.0\\.0\\.1:${port} +python3 \\(pid \\d+\\)`, 'm'));
  const lines = out.split('\n');
  const syn = lines.findIndex((l) => /│─+▶│ +SYN seq 0 win \d+ len 0/.test(l));
  assert.ok(syn >= 0, out);
  assert.match(lines[syn + 1]!, /│◀─+│ +SYN-ACK seq 0 ack 1 win \d+ len 0/);
  assert.match(out, /PSH-ACK seq 1:6 ack 1 win \d+ len 5/);
  assert.match(out, /FIN-ACK seq 6 ack 3/);
  // A state change written on a packet's row, beside its arrow.
  assert.match(out, /│ +(ACK|FIN-ACK|PSH-ACK) seq .*  :\d+↔:\d+ .*(ESTABLISHED|TIME_WAIT|CLOSE_WAIT)/);
  assert.match(out, /:\d+↔:\d+ (FIN_WAIT2|ESTABLISHED|CLOSE_WAIT)( → \w+)* → TIME_WAIT|:\d+↔:\d+ .*TIME_WAIT/);
  assert.match(err, /packet\(s\) and \d+ state change\(s\)/);
});

test('trace: SYNs to a full accept queue are retransmitted', async (t) => {
  const dir = tmp(t);
  const py = startPython(t, 'full queue', `
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
emit(port=srv.getsockname()[1])
sys.stdin.readline()
cs = []
for i in range(4):
    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', srv.getsockname()[1])); cs.append(c)
    time.sleep(0.05)
hold()
`);
  const { port } = (await py.message('port')) as { port: number };
  const r = await traceWhile(t, port, ['--json', '--duration', '3.5'], () => { py.proc.stdin!.write('go\n'); }, { file: join(dir, 'full-queue-syn-retransmit.pcap'), extra: ['-i', 'any'] });
  assert.equal(r.code, 0, r.err);
  const ps = packetsOf(r.events);
  const synAcks = new Set(ps.filter((p) => word(p) === 'ACK,SYN').map((p) => p.to.port));
  assert.equal(synAcks.size, 2, 'backlog 1 queues two connections (backlog + 1)');
  const retrans = ps.filter((p) => word(p) === 'SYN' && p.marks?.includes('retransmission'));
  assert.ok(retrans.length >= 1, `a retransmitted SYN: ${ps.map((p) => `${p.from.port}>${p.to.port} ${word(p)} ${p.marks ?? ''}`).join('; ')}`);
  for (const p of retrans) assert.equal(p.seq, 0, 'the same SYN again');
  const waiting = statesOf(r.events).filter((s) => s.to?.state === 'SYN_SENT');
  assert.ok(waiting.length >= 1, 'the collector saw a client waiting in SYN_SENT');
  assert.ok(r.rawPackets!.filter((p) => p.marks?.includes('retransmission')).length >= 1);
});

test('trace: a receiver that does not read advertises a zero window, and the sender probes', async (t) => {
  const dir = tmp(t);
  const py = startPython(t, 'no reader', `
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
srv.bind(('127.0.0.1', 0)); srv.listen(1)
emit(port=srv.getsockname()[1])
sys.stdin.readline()
c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), timeout=5)
a, _ = srv.accept()
c.setblocking(False)
sent = 0
for i in range(2000):
    try:
        sent += c.send(b'x' * 4096)
    except BlockingIOError:
        break
emit(sent=sent)
hold()
`);
  const { port } = (await py.message('port')) as { port: number };
  const r = await traceWhile(t, port, ['--json', '--duration', '2.5'], () => { py.proc.stdin!.write('go\n'); },
    { file: join(dir, 'zero-window-probe.pcap'), extra: ['--time-stamp-precision=nano'] });
  assert.equal(r.code, 0, r.err);
  const ps = packetsOf(r.events);
  const zero = ps.filter((p) => p.from.port === port && p.marks?.includes('zero-window'));
  assert.ok(zero.length >= 1, 'the receiver\'s window closed');
  assert.ok(zero.every((p) => p.window === 0));
  const probes = ps.filter((p) => p.to.port === port && p.marks?.includes('window-probe'));
  assert.ok(probes.length >= 1, `the sender probed: ${ps.slice(-6).map((p) => `${p.from.port}>${p.to.port} ${word(p)} seq ${p.seq} len ${p.length} win ${p.window} ${p.marks ?? ''}`).join('; ')}`);
  assert.ok(probes.every((p) => p.length <= 1));
  assert.ok(r.rawPackets!.some((p) => p.marks?.includes('window-probe')), 'the nanosecond pcap decodes the same way');
});

test('trace: an abortive close (SO_LINGER 0) sends RST, marked and explained', async (t) => {
  const dir = tmp(t);
  const py = startPython(t, 'abort', `
import struct
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
emit(port=srv.getsockname()[1])
sys.stdin.readline()
c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), timeout=5)
a, _ = srv.accept()
time.sleep(0.2)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
c.close()
hold()
`);
  const { port } = (await py.message('port')) as { port: number };
  const r = await traceWhile(t, port, ['--duration', '2'], () => { py.proc.stdin!.write('go\n'); }, { file: join(dir, 'abortive-close-rst.pcap') });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /│─+▶│ +RST(-ACK)? seq 1 .*\[reset\]/, r.out);
  assert.match(r.out, /^\[reset\] RST ends a connection at once/m);
  assert.doesNotMatch(r.out, /│ +FIN/, 'no FIN exchange');
  const rst = r.rawPackets!.find((p) => p.flags.includes('RST'));
  assert.ok(rst && rst.to.port === port && rst.marks?.includes('reset'));
});

test('trace: UDP datagrams over IPv6, by endpoint', async (t) => {
  const py = startPython(t, 'udp6', `
srv = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); srv.bind(('::1', 0))
emit(port=srv.getsockname()[1])
sys.stdin.readline()
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
c.sendto(b'hello', ('::1', srv.getsockname()[1]))
data, peer = srv.recvfrom(64)
srv.sendto(b'ok', peer)
c.recvfrom(64)
hold()
`);
  const { port } = (await py.message('port')) as { port: number };
  const r = await runUdp(t, port, () => { py.proc.stdin!.write('go\n'); });
  assert.equal(r.code, 0, r.err);
  const ps = packetsOf(r.events);
  assert.deepEqual(ps.map((p) => `${p.protocol} ${p.from.address} ${p.to.port === port ? '→' : '←'} ${p.length}`), ['udp ::1 → 5', 'udp ::1 ← 2']);
  assert.ok(ps.every((p) => p.flags.length === 0 && !p.marks));
});

/** trace -u [::1]:PORT --json while `go` runs. */
async function runUdp(t: TestContext, port: number, go: () => void) {
  const cli = spawnTracked(t, [process.execPath, BIN, 'trace', `[::1]:${port}`, '-u', '--json', '--duration', '2']);
  await until(`sockscope trace capturing (stderr: ${cli.err})`, () => /Capturing/.test(cli.err) || cli.proc.exitCode !== null, 15_000);
  go();
  const code = await cli.exited;
  return { code, err: cli.err, events: cli.out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TraceEvent) };
}

test('trace: without root or CAP_NET_RAW it says why and exits non-zero', async () => {
  const r = await runCli(['trace', '9', '--duration', '1'], { prefix: AS_NOBODY, timeoutMs: 30_000 });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^sockscope: cannot capture packets: capturing needs root or the CAP_NET_RAW capability/m);
  // tcpdump's own words, as the kernel gave them to it.
  assert.match(r.stderr, /tcpdump said: .*(permission|not permitted)/i);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  const zh = await runCli(['--lang', 'zh-CN', 'trace', '9', '--duration', '1'], { prefix: AS_NOBODY, timeoutMs: 30_000 });
  assert.equal(zh.code, 3);
  assert.match(zh.stderr, /抓包需要 root 或 CAP_NET_RAW/);
});

test('trace: --count stops the capture at N packets, --duration at its time', async (t) => {
  const py: Child = startPython(t, 'chatter', `
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(4)
emit(port=srv.getsockname()[1])
sys.stdin.readline()
c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), timeout=5)
a, _ = srv.accept()
for i in range(200):
    c.sendall(b'x'); a.recv(1); time.sleep(0.05)
hold()
`);
  const { port } = (await py.message('port')) as { port: number };
  const t0 = Date.now();
  const r = await traceWhile(t, port, ['--json', '--count', '4', '--duration', '30'], () => { py.proc.stdin!.write('go\n'); });
  assert.equal(r.code, 0, r.err);
  assert.ok(Date.now() - t0 < 15_000, 'ended long before its 30 s');
  assert.equal(packetsOf(r.events).length, 4);
  assert.match(r.err, /the packet limit \(--count\) was reached/);

  const t1 = Date.now();
  const quiet = await runCli(['trace', '9', '--duration', '0.5'], { timeoutMs: 20_000 });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.ok(Date.now() - t1 < 10_000);
  assert.match(quiet.stdout, /No packet of :9 was seen/);
  assert.match(quiet.stderr, /the time limit \(--duration\) was reached/);
});

test('trace: usage errors are one line and exit 2; --help shows usage', async () => {
  for (const args of [['trace', '--help'], ['help', 'trace']]) {
    const h = await runCli(args);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: sockscope trace PORT/m);
    assert.match(h.stdout, /needs root \(or CAP_NET_RAW\) and tcpdump/);
  }
  const main = await runCli(['--help']);
  assert.match(main.stdout, /^  trace <port> +the packets of a port/m);
  for (const [args, re] of [
    [['trace'], /needs something to follow/],
    [['trace', 'abc'], /'abc' is not a port/],
    [['trace', '70000'], /'70000' is not a port/],
    [['trace', '1', '2', '3'], /trace takes a port/],
    [['trace', '80', '--pid', '1'], /either --pid or a port/],
    [['trace', '80', '--count', '0'], /invalid --count '0'/],
    [['trace', '80', '--duration', 'x'], /invalid --duration 'x'/],
    [['trace', '80', '--interface', 'a b'], /invalid --interface 'a b'/],
  ] as [string[], RegExp][]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

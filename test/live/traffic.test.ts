// watch --events --json --traffic on known traffic: a sender throttled to
// ~2 MB/s on one connection and ~200 KB/s on another, over loopback, to a
// receiver in another process. The real rate of each interval is taken from
// the sender's own log (bytes handed to the kernel, with timestamps), not
// from the nominal target, so a busy machine slows both sides alike. Checked:
// per-socket and per-process rates within ±10% of it, and totals equal to
// the bytes sent, exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, REPO_ROOT, eventually, startPython } from './helpers.js';

const RECEIVER = `
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(8)
emit(port=srv.getsockname()[1])
def drain(c):
    while c.recv(1 << 20):
        pass
for _ in range(2):
    c, _ = srv.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
hold()
`;

// Waits for a line on stdin, then sends on two connections at fixed rates
// (a token bucket each) for SECONDS, logging (ms, bytes) every ~20 ms.
const SENDER = `
port, seconds = int(sys.argv[1]), float(sys.argv[2])
rates = [2_000_000, 200_000]
sys.stdin.readline()
conns = [socket.create_connection(('127.0.0.1', port)) for _ in rates]
emit(clients=[c.getsockname()[1] for c in conns])
logs = [[] for _ in rates]
sent = [0 for _ in rates]
def run(i):
    c, r = conns[i], rates[i]
    t0 = time.time()
    last = 0
    while True:
        now = time.time()
        if now - t0 >= seconds:
            break
        want = int(r * (now - t0)) - sent[i]
        if want > 0:
            n = min(want, 65536)
            c.sendall(b'x' * n)
            sent[i] += n
        if now - last >= 0.02:
            logs[i].append((time.time() * 1000, sent[i]))
            last = now
        time.sleep(0.002)
    logs[i].append((time.time() * 1000, sent[i]))
ts = [threading.Thread(target=run, args=(i,)) for i in range(len(rates))]
for t in ts: t.start()
for t in ts: t.join()
emit(done=True, sent=sent, logs=logs)
hold()
`;

interface Sums { sendRate: number; recvRate: number; sent: number; received: number }
interface TrafficEvent {
  time: string; event: string; intervalMs: number; totals: Sums;
  processes: (Sums & { pid: number })[];
  sockets: (Sums & { socket: { localPort: number; remotePort: number } })[];
}

/** Bytes the sender had handed over at time `ms`, from its log (linear between entries). */
function bytesAt(log: [number, number][], ms: number): number {
  if (ms <= log[0]![0]) return log[0]![1];
  for (let i = 1; i < log.length; i++) {
    const [t1, b1] = log[i]!;
    const [t0, b0] = log[i - 1]!;
    if (ms <= t1) return b0 + ((b1 - b0) * (ms - t0)) / Math.max(1e-9, t1 - t0);
  }
  return log[log.length - 1]![1];
}

test('watch --traffic: rates per socket and per process within ±10% of a throttled sender, totals exact', async (t) => {
  const receiver = startPython(t, 'receiver', RECEIVER);
  const port = (await receiver.message('port'))['port'] as number;
  const seconds = 5;
  const sender = startPython(t, 'sender', SENDER, [String(port), String(seconds)]);

  const watch = spawn(process.execPath, [BIN, 'watch', '--events', '--json', '--traffic', '--port', String(port), '--interval', '1', '--duration', String(seconds + 5)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  t.after(() => watch.kill('SIGKILL'));
  let out = '';
  let err = '';
  watch.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  watch.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const ended = new Promise<number | null>((resolve) => watch.on('close', (code) => resolve(code)));
  // The first look is taken (its line is on stderr) before the connections open: their whole bytes are counted.
  await eventually('watch has taken its first look', () => assert.match(err, /Watching \d+ sockets/), { timeoutMs: 10_000 });
  sender.proc.stdin!.write('go\n');
  const clients = (await sender.message('clients'))['clients'] as number[];
  const done = await sender.message('done', (seconds + 10) * 1000);
  const code = await ended;
  assert.equal(code, 0, err);

  const sent = done['sent'] as number[];
  const logs = done['logs'] as [number, number][][];
  const events = out.trim().split('\n').map((l) => JSON.parse(l) as { event: string }).filter((e) => e.event === 'traffic') as TrafficEvent[];
  assert.ok(events.length >= seconds + 2, `one traffic event per look: ${events.length}`);
  const senderPid = sender.pid;
  const receiverPid = receiver.pid;
  let checked = 0;
  for (const e of events) {
    const end = Date.parse(e.time);
    const start = end - e.intervalMs;
    // Intervals that lie wholly inside the sending, with a margin for the start of the threads.
    if (start < logs[0]![0]![0] + 100 || end > logs[0]![logs[0]!.length - 1]![0] - 50) continue;
    let total = 0;
    for (let i = 0; i < clients.length; i++) {
      const real = ((bytesAt(logs[i]!, end) - bytesAt(logs[i]!, start)) * 1000) / e.intervalMs;
      total += real;
      const mine = e.sockets.find((x) => x.socket.localPort === clients[i])!;
      const theirs = e.sockets.find((x) => x.socket.remotePort === clients[i] && x.socket.localPort === port)!;
      assert.ok(mine && theirs, `both ends of connection ${i} in ${JSON.stringify(e.sockets.map((x) => x.socket))}`);
      assert.ok(Math.abs(mine.sendRate - real) <= 0.1 * real, `conn ${i}: sender's end sends ${mine.sendRate} B/s, really ${real.toFixed(0)} (${e.time})`);
      assert.ok(Math.abs(theirs.recvRate - real) <= 0.1 * real, `conn ${i}: receiver's end gets ${theirs.recvRate} B/s, really ${real.toFixed(0)}`);
    }
    const sp = e.processes.find((p) => p.pid === senderPid)!;
    const rp = e.processes.find((p) => p.pid === receiverPid)!;
    assert.ok(Math.abs(sp.sendRate - total) <= 0.1 * total, `sender process sends ${sp.sendRate} B/s, really ${total.toFixed(0)}`);
    assert.ok(Math.abs(rp.recvRate - total) <= 0.1 * total, `receiver process gets ${rp.recvRate} B/s, really ${total.toFixed(0)}`);
    assert.ok(sp.recvRate < 0.01 * total, 'the sender receives (almost) nothing');
    checked++;
  }
  assert.ok(checked >= 2, `at least two whole intervals inside the sending (${checked})`);
  // After the sending: totals are the bytes sent, exactly (the SYN's byte left out). An event lists
  // the sockets that moved bytes in its interval: each end's last appearance has its final total.
  const lastOf = (pick: (x: TrafficEvent['sockets'][number]) => boolean) => events.flatMap((e) => e.sockets.filter(pick)).at(-1);
  for (let i = 0; i < clients.length; i++) {
    assert.equal(lastOf((x) => x.socket.localPort === clients[i])?.sent, sent[i], `connection ${i} total sent`);
    assert.equal(lastOf((x) => x.socket.remotePort === clients[i] && x.socket.localPort === port)?.received, sent[i], `connection ${i} total received`);
  }
  const last = events[events.length - 1]!;
  assert.deepEqual(last.sockets, [], 'nothing moves after the sending');
  const all = sent.reduce((a, b) => a + b, 0);
  assert.equal(last.processes.find((p) => p.pid === senderPid)!.sent, all);
  assert.equal(last.processes.find((p) => p.pid === receiverPid)!.received, all);
  assert.equal(last.totals.sent, all);
  assert.equal(last.totals.received, all);
  assert.ok(sent[0]! > 8 * sent[1]!, `the two rates differ as asked: ${sent}`);
});

// Connections that close between two looks: one seen idle by a look, then
// sending 100000 bytes and closing before the next; three that open, send
// 50000 bytes and close between two looks. Polling alone sees none of those
// bytes; the kernel's destroy events (any user may hear them) give each
// connection's last counters.
const RECEIVER_MANY = `
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(16)
emit(port=srv.getsockname()[1])
def drain(c):
    while c.recv(1 << 20):
        pass
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
`;

const CLOSER = `
port = int(sys.argv[1])
long = socket.create_connection(('127.0.0.1', port))
emit(long=long.getsockname()[1])
sys.stdin.readline()
long.sendall(b'L' * 100000)
long.close()
for _ in range(3):
    c = socket.create_connection(('127.0.0.1', port))
    c.sendall(b'S' * 50000)
    c.close()
    time.sleep(0.05)
emit(done=True)
hold()
`;

test('watch --traffic: connections closing between two looks are counted to their last byte (destroy events)', async (t) => {
  const receiver = startPython(t, 'receiver', RECEIVER_MANY);
  const port = (await receiver.message('port'))['port'] as number;
  const closer = startPython(t, 'closer', CLOSER, [String(port)]);
  await closer.message('long');
  const watch = spawn(process.execPath, [BIN, 'watch', '--events', '--json', '--traffic', '--port', String(port), '--interval', '2', '--duration', '9'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  t.after(() => watch.kill('SIGKILL'));
  let out = '';
  let err = '';
  watch.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  watch.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const ended = new Promise<number | null>((resolve) => watch.on('close', (code) => resolve(code)));
  await eventually('watch has taken its first look', () => assert.match(err, /Watching \d+ sockets/), { timeoutMs: 10_000 });
  // Right after a look (the first traffic event comes with the second look): a whole interval to close in.
  await eventually('the second look', () => assert.match(out, /"event":"traffic"/), { timeoutMs: 10_000 });
  closer.proc.stdin!.write('go\n');
  await closer.message('done');
  assert.equal(await ended, 0, err);
  const events = out.trim().split('\n').map((l) => JSON.parse(l) as TrafficEvent & { atClose?: { heard: boolean; lost: number }; totals: Sums & { closed: number } })
    .filter((e) => e.event === 'traffic');
  const last = events.at(-1)!;
  t.diagnostic(`last traffic event: totals ${JSON.stringify(last.totals)}, atClose ${JSON.stringify(last.atClose)}`);
  assert.deepEqual(last.atClose, { heard: true, lost: 0 }, 'destroy events heard (lost > 0: the kernel dropped notices under machine-wide churn)');
  // 100000 + 3 x 50000 bytes, each way; a closed connection's counters hold its FIN as one more byte.
  const all = 250_000;
  assert.ok(last.totals.sent >= all && last.totals.sent <= all + 8, `sent ${last.totals.sent}`);
  assert.ok(last.totals.received >= all && last.totals.received <= all + 8, `received ${last.totals.received}`);
  assert.ok(last.totals.closed >= 8, `both ends of four connections closed: ${last.totals.closed}`);
  // The long connection was seen held by the closer: its 100000 bytes stay the closer's.
  const mine = last.processes.find((p) => p.pid === closer.pid);
  assert.ok(mine && mine.sent >= 100_000 && mine.sent <= 100_002, `the closer process sent ${mine?.sent}`);
  // In the interval it closed in, its rate carried those bytes, and the event marked it closed.
  const closing = events.flatMap((e) => e.sockets as (TrafficEvent['sockets'][number] & { closed?: boolean })[]).filter((x) => x.closed);
  assert.ok(closing.length >= 1, 'sockets marked closed');
});

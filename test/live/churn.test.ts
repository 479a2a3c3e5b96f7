// Under churn the table must stay true. For ~20 s a client makes a few
// hundred loopback connections a second to a server that accepts them in
// bursts (so some wait in the accept queue first) and closes them soon after;
// both run as uid 65534, so no unreadable process (pid 1 refuses /proc/1/fd
// even to root on some machines) can share their uid. Meanwhile: listSockets()
// in a loop, `list -a --json` now and then, and `watch --events --json`.
// Counted on the test's own port only:
//  - a socket of ours called `permission-denied` although its uid matches no
//    unreadable process (the old rule called every unowned socket so, as
//    soon as any process was unreadable);
//  - the same socket twice in one snapshot;
//  - an accepted connection reported as `opened` + `closed` in one refresh
//    instead of `accepted`.
// Every one must be zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { listSockets, type Socket } from '../../src/index.js';
import { BIN, REPO_ROOT, describe, runCli, startPython, unreadableUids } from './helpers.js';

const NOBODY = 65534;
const SECONDS = 20;
const RATE = 300;

const DROP = `
os.setgid(${NOBODY})
os.setuid(${NOBODY})
import random, threading, sys
threading.Thread(target=hold, daemon=True).start()
`;

// Accept whatever is queued every 30 ms; close each connection 50-300 ms later.
const SERVER = DROP + `
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(4096)
srv.setblocking(False)
emit(port=srv.getsockname()[1], uid=os.getuid())
held = []
accepted = 0
while True:
    time.sleep(0.03)
    now = time.time()
    while True:
        try:
            c, _ = srv.accept()
        except (BlockingIOError, InterruptedError):
            break
        accepted += 1
        held.append((now + 0.05 + random.random() * 0.25, c))
    keep = []
    for d, c in held:
        if d <= now:
            c.close()
        else:
            keep.append((d, c))
    held = keep
`;

// RATE connections a second for SECONDS; each closed 50-350 ms after it was opened
// (half with SO_LINGER {1, 0}: an RST, no TIME_WAIT left behind).
const CLIENT = DROP + `
port, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
import struct
conns = []
n = 0
t0 = time.time()
while time.time() - t0 < seconds:
    target = int((time.time() - t0) * rate)
    while n < target:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(('127.0.0.1', port))
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            c.close()
            n += 1
            continue
        if n % 2:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        conns.append((time.time() + 0.05 + random.random() * 0.3, c))
        n += 1
    now = time.time()
    keep = []
    for d, c in conns:
        if d <= now:
            c.close()
        else:
            keep.append((d, c))
    conns = keep
    time.sleep(0.005)
for d, c in conns:
    c.close()
emit(done=n)
`;


interface Tally {
  snapshots: number;
  rows: number;
  wrongDenied: string[];
  duplicates: string[];
}

function check(sockets: readonly Pick<Socket, 'protocol' | 'family' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'state' | 'inode' | 'uid' | 'holders' | 'unheldReason' | 'recvQ' | 'sendQ'>[],
  port: number, denyUids: ReadonlySet<number>, t: Tally): void {
  t.snapshots++;
  const seen = new Set<string>();
  for (const s of sockets) {
    if (s.protocol !== 'tcp' || s.localAddress !== '127.0.0.1' || (s.localPort !== port && s.remotePort !== port)) continue;
    t.rows++;
    if (s.unheldReason === 'permission-denied' && !denyUids.has(s.uid)) t.wrongDenied.push(describe(s as Socket));
    const key = `${s.family} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${s.inode}${s.inode === 0 ? ` ${s.state}` : ''}`;
    if (seen.has(key)) t.duplicates.push(describe(s as Socket));
    seen.add(key);
  }
}

interface Ev { time: string; event: string; socket: Socket }

test(`churn: ${RATE} connections/s for ${SECONDS} s while listing and watching: no wrong permission-denied, no duplicate, no open+close for an accept`,
  { timeout: 90_000 }, async (t) => {
    assert.equal(process.getuid?.(), 0, 'the churn scene runs as uid 65534 and needs root to start it');
    const denyUids = unreadableUids();
    assert.ok(!denyUids.has(NOBODY), 'no unreadable process runs as 65534 (else the check would say nothing)');
    const server = startPython(t, 'churn server', SERVER);
    const { port, uid } = (await server.message('port')) as { port: number; uid: number };
    assert.equal(uid, NOBODY);

    // The event stream, from before the churn starts.
    const watch = spawn(process.execPath, [BIN, 'watch', '--events', '--json', '--interval', '0.2', '--port', String(port), '--duration', String(SECONDS + 3)],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Ev[] = [];
    let buf = '';
    let watchErr = '';
    watch.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as Ev);
        buf = buf.slice(nl + 1);
      }
    });
    watch.stderr.setEncoding('utf8').on('data', (d: string) => { watchErr += d; });
    const watchExit = new Promise<number | null>((r) => watch.on('close', (code) => r(code)));
    t.after(() => { watch.kill('SIGKILL'); });
    for (let i = 0; i < 200 && !/Watching/.test(watchErr); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(watchErr, /Watching/);

    const client = startPython(t, 'churn client', CLIENT, [String(port), String(RATE), String(SECONDS)]);
    const lib: Tally = { snapshots: 0, rows: 0, wrongDenied: [], duplicates: [] };
    const cli: Tally = { snapshots: 0, rows: 0, wrongDenied: [], duplicates: [] };
    const started = Date.now();
    const cliRuns: Promise<void>[] = [];
    let lastCli = 0;
    // Bounded: at most 2000 listings, and never past the churn's end (+1 s).
    for (let i = 0; i < 2000 && Date.now() - started < SECONDS * 1000 + 1000; i++) {
      if (Date.now() - lastCli > 3000 && cliRuns.length < 8) {
        lastCli = Date.now();
        cliRuns.push(runCli(['list', '-a', '--json'], { timeoutMs: 20_000 }).then((r) => {
          assert.equal(r.code, 0, r.stderr);
          check(JSON.parse(r.stdout) as Socket[], port, denyUids, cli);
        }));
      }
      const snap = await listSockets(i % 2 ? { filter: { all: true } } : { filter: { all: true, ports: [port] } });
      check(snap.sockets, port, denyUids, lib);
    }
    await Promise.all(cliRuns);
    const { done } = (await client.message('done', 15_000)) as { done: number };
    const code = await watchExit;
    assert.equal(code, 0, watchErr);

    // Unfolded acceptances: in one refresh (one time stamp), the server side of a
    // tuple opened with an inode and closed as a queued connection (inode 0).
    const byTime = new Map<string, Ev[]>();
    for (const e of events) {
      const l = byTime.get(e.time);
      if (l) l.push(e);
      else byTime.set(e.time, [e]);
    }
    const pairs: string[] = [];
    const tuple = (s: Socket): string => `${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort}`;
    for (const group of byTime.values()) {
      const opened = new Set(group.filter((e) => e.event === 'opened' && e.socket.localPort === port && e.socket.remotePort !== 0 && e.socket.inode !== 0).map((e) => tuple(e.socket)));
      for (const e of group) {
        if (e.event === 'closed' && e.socket.inode === 0 && e.socket.localPort === port && ['ESTABLISHED', 'CLOSE_WAIT', 'SYN_RECV'].includes(e.socket.state) &&
          opened.has(tuple(e.socket))) pairs.push(`${e.time} ${tuple(e.socket)}`);
      }
    }
    const accepted = events.filter((e) => e.event === 'accepted' && e.socket.localPort === port).length;
    const ownEvents = events.filter((e) => e.socket.localPort === port || e.socket.remotePort === port).length;
    const ownWrong = events.filter((e) => (e.socket.localPort === port || e.socket.remotePort === port) &&
      e.socket.unheldReason === 'permission-denied' && !denyUids.has(e.socket.uid)).map((e) => `${e.event} ${describe(e.socket)}`);
    t.diagnostic(`${done} connections in ${SECONDS} s; listSockets: ${lib.snapshots} snapshots, ${lib.rows} rows of ours; ` +
      `list -a --json: ${cli.snapshots} runs, ${cli.rows} rows; watch: ${ownEvents} events of ours, ${accepted} accepted`);

    assert.ok(done >= RATE * SECONDS * 0.8, `the churn ran (${done} connections)`);
    assert.ok(lib.snapshots >= 10 && cli.snapshots >= 3 && lib.rows > 0, 'listed repeatedly under churn');
    assert.deepEqual(lib.wrongDenied.slice(0, 5), [], `listSockets: ${lib.wrongDenied.length} wrong permission-denied`);
    assert.deepEqual(cli.wrongDenied.slice(0, 5), [], `list -a --json: ${cli.wrongDenied.length} wrong permission-denied`);
    assert.deepEqual(ownWrong.slice(0, 5), [], `watch: ${ownWrong.length} wrong permission-denied`);
    assert.deepEqual(lib.duplicates.slice(0, 5), [], `listSockets: ${lib.duplicates.length} duplicates`);
    assert.deepEqual(cli.duplicates.slice(0, 5), [], `list -a --json: ${cli.duplicates.length} duplicates`);
    assert.deepEqual(pairs.slice(0, 5), [], `watch: ${pairs.length} accepted connections reported as opened + closed`);
    assert.ok(accepted > 0, 'the stream saw connections leave the accept queue');
  });

// What list -i reads inside a connection, against ss on the same sockets:
// tcp_info (ss -ti: rtt, rto, mss, cwnd, window scales, options, bytes),
// socket memory (ss -tm: skmem r, rb, t, tb, d) and the timer (ss -to: a
// keepalive the program enabled, with its remaining time). The connection is
// idle when both look, so the numbers do not move between the two reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { eventually, runCli, startPython } from './helpers.js';

const SCENE = `
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(1)
port = srv.getsockname()[1]
c = socket.create_connection(('127.0.0.1', port))
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 600)
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 200000)
a, _ = srv.accept()
c.sendall(b'q' * 70000)
got = 0
while got < 70000:
    got += len(a.recv(65536))
a.sendall(b'r' * 1234)
n = 0
while n < 1234:
    n += len(c.recv(65536))
emit(port=port, client=c.getsockname()[1])
hold()
`;

interface J {
  localPort: number; state: string;
  timer?: { kind: string; expiresMs: number; retransmits: number };
  memory?: { rmemAlloc: number; rcvbuf: number; wmemAlloc: number; sndbuf: number; drops: number };
  tcp?: { rttMs: number; rttVarMs: number; rtoMs: number; mss: number; cwnd: number; ssthresh?: number; sndWscale?: number; rcvWscale?: number;
    sack: boolean; timestamps: boolean; bytesSent?: number; bytesAcked?: number; bytesReceived?: number; totalRetrans: number; minRttMs?: number };
}

test('list -i against ss -tmoi on the same idle connection: tcp_info, memory and the keepalive timer', async (t) => {
  const scene = startPython(t, 'scene', SCENE);
  const m = await scene.message('port');
  const port = m['port'] as number;
  const client = m['client'] as number;
  await eventually('the same numbers as ss', async () => {
    const r = await runCli(['list', '-i', '--port', String(port), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const ss = spawnSync('ss', ['-tmoinH', `sport = :${client}`], { encoding: 'utf8' }).stdout.replace(/\n\s+/g, ' ');
    const mine = (JSON.parse(r.stdout) as J[]).find((x) => x.localPort === client)!;
    const num = (re: RegExp): number => Number(re.exec(ss)?.[1]);
    // ss -to: timer:(keepalive,599sec,0), or 9min59sec: in whole seconds.
    const tm = /timer:\(keepalive,(?:(\d+)min)?(\d+)(?:\.\d+)?sec,(\d+)\)/.exec(ss);
    assert.ok(tm, `ss shows the keepalive timer: ${ss}`);
    assert.equal(mine.timer?.kind, 'keepalive');
    assert.equal(mine.timer?.retransmits, Number(tm[3]));
    const ssSeconds = Number(tm[1] ?? 0) * 60 + Number(tm[2]);
    assert.ok(Math.abs(mine.timer!.expiresMs / 1000 - ssSeconds) <= 2, `keepalive in ${mine.timer!.expiresMs} ms, ss says ${ssSeconds} s`);
    assert.ok(mine.timer!.expiresMs > 590_000 && mine.timer!.expiresMs <= 600_000, 'TCP_KEEPIDLE 600 s');
    // ss -tm: skmem:(r0,rb...,t0,tb...,f..,w..,o..,bl..,d0)
    assert.equal(mine.memory?.rmemAlloc, num(/skmem:\(r(\d+)/));
    assert.equal(mine.memory?.rcvbuf, num(/,rb(\d+)/));
    assert.equal(mine.memory?.wmemAlloc, num(/,t(\d+)/));
    assert.equal(mine.memory?.sndbuf, num(/,tb(\d+)/));
    assert.equal(mine.memory?.drops, num(/,d(\d+)\)/));
    assert.equal(mine.memory?.rcvbuf, 400000, 'SO_RCVBUF 200000, doubled by the kernel');
    // ss -ti.
    const tcp = mine.tcp!;
    assert.equal(tcp.rttMs, num(/ rtt:([\d.]+)\//));
    assert.equal(tcp.rttVarMs, num(/ rtt:[\d.]+\/([\d.]+)/));
    assert.equal(tcp.rtoMs, num(/ rto:([\d.]+)/));
    assert.equal(tcp.mss, num(/ mss:(\d+)/));
    assert.equal(tcp.cwnd, num(/ cwnd:(\d+)/));
    assert.equal(tcp.sndWscale, num(/ wscale:(\d+),/));
    assert.equal(tcp.rcvWscale, num(/ wscale:\d+,(\d+)/));
    assert.equal(tcp.sack, / sack /.test(ss));
    assert.equal(tcp.timestamps, / ts /.test(ss));
    assert.equal(tcp.ssthresh, / ssthresh:/.test(ss) ? num(/ ssthresh:(\d+)/) : undefined);
    assert.equal(tcp.minRttMs, num(/ minrtt:([\d.]+)/));
    assert.equal(tcp.bytesSent, num(/ bytes_sent:(\d+)/));
    assert.equal(tcp.bytesAcked, num(/ bytes_acked:(\d+)/));
    assert.equal(tcp.bytesReceived, num(/ bytes_received:(\d+)/));
    assert.equal(tcp.bytesSent, 70000);
    assert.equal(tcp.bytesReceived, 1234);
    assert.equal(tcp.totalRetrans, / retrans:\d+\/(\d+)/.test(ss) ? num(/ retrans:\d+\/(\d+)/) : 0);
  }, { timeoutMs: 8000, intervalMs: 300 });
});

// list -i on a real connection: what the kernel tracks inside it (tcp_info),
// the same numbers ss -tin prints, in the table and in JSON.
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
a, _ = srv.accept()
c.sendall(b'x' * 300000)
got = 0
while got < 300000:
    got += len(a.recv(65536))
a.sendall(b'y' * 4321)
n = 0
while n < 4321:
    n += len(c.recv(65536))
emit(port=port, client=c.getsockname()[1])
hold()
`;

interface JsonTcp { localPort: number; remotePort: number; state: string; tcp?: { bytesSent?: number; bytesAcked?: number; bytesReceived?: number; mss: number; congestion?: string } }

test('list -i: bytes, mss and algorithm of a live connection as ss -tin reports them; a listener has none', async (t) => {
  const scene = startPython(t, 'scene', SCENE);
  const m = await scene.message('port');
  const port = m['port'] as number;
  const client = m['client'] as number;
  await eventually('the numbers agree with ss', async () => {
    const r = await runCli(['list', '-i', '--port', String(port), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as JsonTcp[];
    const ss = spawnSync('ss', ['-tinH', `sport = :${client}`], { encoding: 'utf8' }).stdout;
    const info = ss.split('\n')[1] ?? '';
    const field = (name: string): number => Number(new RegExp(`(?:^|\\s)${name}:(\\d+)`).exec(info)?.[1]);
    const mine = rows.find((x) => x.localPort === client)!;
    assert.equal(mine.tcp?.bytesSent, field('bytes_sent'));
    assert.equal(mine.tcp?.bytesAcked, field('bytes_acked'));
    assert.equal(mine.tcp?.bytesReceived, 4321);
    assert.equal(mine.tcp?.bytesReceived, field('bytes_received'));
    assert.equal(mine.tcp?.mss, field('mss'));
    assert.equal(mine.tcp?.congestion, info.trim().split(/\s+/)[0]);
    assert.ok((mine.tcp?.bytesAcked ?? 0) >= 300000);
    const server = rows.find((x) => x.localPort === port && x.state === 'ESTABLISHED')!;
    assert.equal(server.tcp?.bytesReceived, 300000);
    assert.equal(rows.find((x) => x.state === 'LISTEN')!.tcp, undefined);
  }, { timeoutMs: 8000, intervalMs: 300 });
  // The table: the columns, the connection's received bytes, "-" on the listener.
  const table = await runCli(['list', '-i', '-n', '--port', String(port)]);
  assert.equal(table.code, 0, table.stderr);
  const head = table.stdout.split('\n')[0]!;
  for (const col of ['RTT ms', 'Cwnd', 'Retr', 'Sent', 'Recv', 'CC']) assert.ok(head.includes(col), head);
  const row = table.stdout.split('\n').find((l) => l.includes(`127.0.0.1:${port} `) && l.includes('ESTABLISHED'))!;
  assert.match(row, /\s293K\s/); // 300000 bytes received
  assert.match(table.stdout.split('\n').find((l) => l.includes('LISTEN'))!, /\s-\s+-\s+-\s+-\s+-\s+-\s/);
  // --explain says it in words: the server side received all 300000 bytes and sent 4321.
  const ex = await runCli(['list', '-i', '-e', '-n', '--port', String(port)]);
  assert.match(ex.stdout, /4321 bytes sent and 300000 received since it opened, round trip [\d.]+ ms/);
  const zh = await runCli(['--lang', 'zh-CN', 'list', '-i', '-e', '-n', '--port', String(port)]);
  assert.match(zh.stdout, /已发送 4321 字节、接收 300000 字节/);
  // Without netlink there is no tcp_info, and the note says why.
  const proc = await runCli(['--source', 'proc', 'list', '-i', '--port', String(port)]);
  assert.match(proc.stderr, /-i needs the kernel's netlink sock_diag; this table came from proc/);
});

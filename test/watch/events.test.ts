// `watch --events --json` on a scripted sequence of loopback sockets made by
// this test: a listener opens, a connection opens (both ends), the server
// closes its end (the client goes to CLOSE_WAIT), the client closes, the
// listener closes. The stream must report them in that order.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import { BIN, REPO_ROOT, eventually } from '../live/helpers.js';

interface Ev { time: string; event: string; from?: string; socket: { localPort: number; remotePort: number; state: string; inode: number; holders: { pid: number }[] } }

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('the event stream reports opens, state changes and closes in order (--json)', async (t) => {
  const port = await freePort();
  const proc = spawn(process.execPath, [BIN, 'watch', '--json', '--interval', '0.2', '--port', String(port), '--duration', '60'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Ev[] = [];
  let stderr = '';
  let buf = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)) as Ev);
      buf = buf.slice(nl + 1);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  let client: net.Socket | undefined;
  t.after(async () => {
    client?.destroy();
    for (const a of accepted) a.destroy();
    server.close();
    proc.kill('SIGKILL');
  });
  const waitFor = (what: string, pred: (e: Ev) => boolean): Promise<Ev> =>
    eventually(what, () => {
      const e = events.find(pred);
      if (!e) throw new Error(`events so far: ${JSON.stringify(events.map((x) => [x.event, x.socket.localPort, x.socket.state]))}; stderr: ${stderr}`);
      return e;
    }, { timeoutMs: 5000, intervalMs: 50 });

  await eventually('watching', () => assert.match(stderr, /Watching/), { timeoutMs: 10_000 });
  server.on('connection', (s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  await waitFor('listener opened', (e) => e.event === 'opened' && e.socket.state === 'LISTEN');
  // Half-open allowed: node would otherwise close its end at once on the server's FIN.
  client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  client.on('error', () => undefined);
  await new Promise<void>((r) => client!.on('connect', () => r()));
  const cport = client.localPort!;
  await waitFor('client side opened', (e) => e.event === 'opened' && e.socket.localPort === cport && e.socket.state === 'ESTABLISHED');
  await waitFor('server side opened', (e) => e.event === 'opened' && e.socket.localPort === port && e.socket.remotePort === cport);
  await eventually('accepted', () => assert.equal(accepted.length, 1));
  accepted[0]!.destroy(); // the server closes: FIN to the client
  const cw = await waitFor('client went to CLOSE_WAIT', (e) => e.event === 'state-changed' && e.socket.localPort === cport && e.socket.state === 'CLOSE_WAIT');
  assert.equal(cw.from, 'ESTABLISHED');
  assert.ok(cw.socket.holders.some((h) => h.pid === process.pid), 'the holder is this test process');
  client.destroy();
  await waitFor('client side closed', (e) => e.event === 'closed' && e.socket.localPort === cport);
  await new Promise<void>((r) => server.close(() => r()));
  await waitFor('listener closed', (e) => e.event === 'closed' && e.socket.state === 'LISTEN');

  const idx = (pred: (e: Ev) => boolean): number => events.findIndex(pred);
  const seq = [
    idx((e) => e.event === 'opened' && e.socket.state === 'LISTEN'),
    idx((e) => e.event === 'opened' && e.socket.localPort === cport),
    idx((e) => e.event === 'state-changed' && e.socket.state === 'CLOSE_WAIT'),
    idx((e) => e.event === 'closed' && e.socket.localPort === cport),
    idx((e) => e.event === 'closed' && e.socket.state === 'LISTEN'),
  ];
  assert.deepEqual([...seq].sort((a, b) => a - b), seq, `in order: ${JSON.stringify(events.map((x) => [x.event, x.socket.localPort, x.socket.state]))}`);
  for (const e of events) {
    assert.ok(!Number.isNaN(Date.parse(e.time)), 'every event has a timestamp');
    assert.ok(e.socket.localPort === port || e.socket.remotePort === port, 'the --port filter holds');
  }
  proc.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM ends the stream cleanly');
});

test('--count stops the stream after N events, and human lines are the default', async (t) => {
  const port = await freePort();
  const proc = spawn(process.execPath, [BIN, 'watch', '--events', '-n', '--interval', '0.2', '--port', String(port), '--count', '1', '--duration', '30'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const server = net.createServer();
  t.after(() => { server.close(); proc.kill('SIGKILL'); });
  await eventually('watching', () => assert.match(stderr, /Watching/), { timeoutMs: 10_000 });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  assert.equal(await exited, 0);
  assert.match(out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} opened\\s+tcp\\s+127\\.0\\.0\\.1:${port} ⇄ 0\\.0\\.0\\.0:\\*\\s+LISTEN\\s+${process.pid}/node fd \\d+\\n$`));
});

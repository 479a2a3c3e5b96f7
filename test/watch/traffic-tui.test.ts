// The Traffic view in a real terminal (tmux): key 4 switches to it, the
// processes and connections of a throttled sender (~2 MB/s and ~200 KB/s to
// a receiver in another process) are listed by rate with totals, s and r
// re-sort them, 1 goes back; --traffic starts on it, in Chinese too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPython } from '../live/helpers.js';
import { Tmux, tmux } from './tmux.js';

const RECEIVER = `
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(8)
emit(port=srv.getsockname()[1])
def drain(c):
    while c.recv(1 << 20):
        pass
while True:
    c, _ = srv.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
`;

const SENDER = `
port = int(sys.argv[1])
rates = [2_000_000, 200_000]
conns = [socket.create_connection(('127.0.0.1', port)) for _ in rates]
emit(clients=[c.getsockname()[1] for c in conns])
def run(c, r):
    t0 = time.time(); sent = 0
    while time.time() - t0 < 60:
        want = int(r * (time.time() - t0)) - sent
        if want > 0:
            c.sendall(b'x' * min(want, 65536)); sent += min(want, 65536)
        time.sleep(0.005)
for c, r in zip(conns, rates):
    threading.Thread(target=run, args=(c, r), daemon=True).start()
hold()
`;

async function scene(t: Parameters<typeof tmux>[0]): Promise<{ port: number; fast: number; slow: number; sender: number; receiver: number }> {
  const receiver = startPython(t, 'receiver', RECEIVER);
  const port = (await receiver.message('port'))['port'] as number;
  const sender = startPython(t, 'sender', SENDER, [String(port)]);
  const [fast, slow] = (await sender.message('clients'))['clients'] as [number, number];
  return { port, fast, slow, sender: sender.pid, receiver: receiver.pid };
}

/** The column cells of a row (connections: proto, local, remote, send/s, recv/s, sent, received, holder). */
const cells = (line: string | undefined): string[] => (line ?? '').trim().split(/\s+/);
/** The connection row with this local (and remote) endpoint, as cells; [] when not shown. */
const conn = (screen: string, local: string, remote?: string): string[] =>
  screen.split('\n').map(cells).find((c) => c[0] === 'tcp' && c[1] === local && (remote === undefined || c[2] === remote)) ?? [];
const connRows = (screen: string): string[][] => screen.split('\n').map(cells).filter((c) => c[0] === 'tcp');

test('Traffic view: key 4, processes and connections by rate with totals, sort keys, back with 1', async (t) => {
  const sc = await scene(t);
  const x = tmux(t);
  x.start(Tmux.watchLine(`--interval 0.5 -n --port ${sc.port}`));
  await x.until('the Sockets view is up', (s) => s.includes('1 Sockets') && s.includes(`127.0.0.1:${sc.fast} `));
  assert.ok(!x.capture().includes('Connections by rate'));
  x.keys('4');
  const fastEnd = `127.0.0.1:${sc.fast}`;
  const slowEnd = `127.0.0.1:${sc.slow}`;
  const server = `127.0.0.1:${sc.port}`;
  // Rates come from the second look after the switch: the fast client on top, in M/s; the slow one in K/s.
  let screen = await x.until('both client ends with rates, busiest first', (s) => {
    const rows = connRows(s);
    const f = rows.findIndex((c) => c[1] === fastEnd);
    const l = rows.findIndex((c) => c[1] === slowEnd);
    // The two ends of the fast connection (its client sends, its server end receives) come before the slow one's.
    const ofFast = (c: string[] | undefined): boolean => c !== undefined && (c[1] === fastEnd || c[2] === fastEnd);
    return f >= 0 && l > f && /M$/.test(rows[f]![3]!) && /K$/.test(rows[l]![3]!) && ofFast(rows[0]) && ofFast(rows[1]);
  }, { timeoutMs: 10_000 });
  assert.match(screen, /\[4 Traffic\]|4 Traffic/);
  // --port became the `/` filter: the sums are of what it shows (both ends of both connections: as much in as out).
  assert.match(screen, /Shown ↑ [\d.]+[KM]\/s ↓ [\d.]+[KM]\/s · since start ↑ [\d.]+[KM] ↓ [\d.]+[KM]/);
  assert.match(screen, /Processes by rate \(2\)/);
  assert.match(screen, /Connections by rate \(4\)/, 'both ends of both connections');
  assert.match(screen, /UDP: the kernel keeps no byte counters per UDP socket/);
  // Processes: the sender sends, the receiver receives; each row names its pid.
  const senderRow = cells(screen.split('\n').find((l) => new RegExp(`^\\s+${sc.sender}\\s`).test(l)));
  const receiverRow = cells(screen.split('\n').find((l) => new RegExp(`^\\s+${sc.receiver}\\s`).test(l)));
  assert.match(senderRow[1] ?? '', /M$/, `sender sends in M/s: ${senderRow}`);
  assert.equal(senderRow[2], '0');
  assert.equal(receiverRow[1], '0');
  assert.match(receiverRow[2] ?? '', /M$/, `receiver gets in M/s: ${receiverRow}`);
  assert.equal(senderRow[5], '2', 'two connections');
  // The server end of the fast connection receives what the client sends.
  assert.match(conn(screen, server, fastEnd)[4] ?? '', /M$/);
  assert.match(conn(screen, fastEnd)[3] ?? '', /M$/);
  assert.match(conn(screen, slowEnd)[3] ?? '', /K$/);

  // s: by send rate, r: ascending: the receiving (server) ends come first, the fast client last.
  x.keys('s');
  await x.until('sorted by send', (s) => s.includes('sort: send ↓'));
  x.keys('r');
  screen = await x.until('ascending by send', (s) => {
    const rows = connRows(s);
    return s.includes('sort: send ↑') && rows.length === 4 && rows[3]![1] === fastEnd;
  });
  const rows = connRows(screen);
  assert.deepEqual(rows.slice(0, 2).map((c) => c[1]), [server, server], 'the receiving ends send nothing: first');
  // The cursor moves over the connections: k offers to end the selected row's holder (Escape cancels).
  x.keys('End');
  x.keys('k');
  await x.until('k asks about the sender', (s) => s.includes(`${sc.sender}`) && /SIGTERM|terminate|Send SIGTERM/i.test(s));
  x.keys('n');
  // Back to the Sockets view: no traffic table.
  x.keys('1');
  await x.until('the Sockets view again', (s) => !s.includes('Connections by rate') && s.includes(`${fastEnd} `));
  x.keys('q');
  await x.until('exited cleanly', (s) => s.includes('WATCH-EXIT 0'));
});

test('watch --traffic starts on the Traffic view; in Chinese too', async (t) => {
  const sc = await scene(t);
  const x = tmux(t);
  x.start(Tmux.watchLine(`--lang zh-CN --traffic --interval 0.5 -n --port ${sc.port}`.replace('watch --lang zh-CN', '--lang zh-CN watch')));
  const screen = await x.until('the Traffic view in Chinese, with rates', (s) =>
    s.includes('连接（按速率）') && /M$/.test(conn(s, `127.0.0.1:${sc.fast}`)[3] ?? ''), { timeoutMs: 10_000 });
  assert.match(screen, /显示部分 ↑/);
  assert.match(screen, /进程（按速率）/);
  assert.match(screen, /UDP：内核不为 UDP 套接字记录字节数/);
});

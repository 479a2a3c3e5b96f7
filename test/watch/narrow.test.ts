// The live view at 80x12 (tmux -x 80 -y 12) on a real scene with numbers that
// need room: a connection with 813 unread bytes, one with a large Send-Q
// (the receiver reads nothing), a connection waiting in the accept queue. Every
// row keeps Recv-Q, Send-Q and its process whole; numbers are never cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAll, eventually, socketsOnPort, startPython } from '../live/helpers.js';
import type { Socket } from '../../src/model/socket.js';
import { Tmux, tmux } from './tmux.js';

const SCENE = `
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(5)
P = srv.getsockname()[1]
a = socket.create_connection(('127.0.0.1', P))
sa, _ = srv.accept()
a.sendall(b'x' * 813)                      # 813 bytes nobody reads
b = socket.socket()
b.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
b.connect(('127.0.0.1', P))
sb, _ = srv.accept()
b.setblocking(False)
sent = 0
try:
    while sent < 20000000:
        sent += b.send(b'y' * 65536)
except BlockingIOError:
    pass                                   # the receiver's window is full: the rest stays in b's Send-Q
c = socket.create_connection(('127.0.0.1', P))   # never accepted: waits in the accept queue
emit(port=P, pid=os.getpid())
hold()
`;

test('at 80x12 every row keeps its queues and its process whole', async (t) => {
  const child = startPython(t, 'narrow-scene', SCENE);
  const { port, pid } = (await child.message('port')) as { port: number; pid: number };
  const x = tmux(t);
  x.start(Tmux.watchLine(`--interval 0.5 -n --port ${port}`), {}, { x: 80, y: 12 });
  const check = async (): Promise<string> => {
    const screen = x.capture();
    const { sockets } = await socketsOnPort(port);
    const ours = sockets.filter((s) => s.protocol === 'tcp' && s.localAddress === '127.0.0.1');
    if (ours.length < 7) throw new Error(`scene not complete:${describeAll(ours)}`);
    if (!ours.some((s) => s.sendQ > 10_000)) throw new Error(`no big Send-Q yet:${describeAll(ours)}`);
    const lines = screen.split('\n');
    for (const l of lines) assert.ok([...l].length <= 80, `line wider than 80: ${l}`);
    assert.match(lines[2] ?? '', /Recv-Q\s+Send-Q\s+PID\/Program/, 'the column headers are whole');
    for (const s of ours.filter((s) => s.state !== 'LISTEN')) {
      const row = lines.find((l) => new RegExp(`\\s${s.localAddress}:${s.localPort}\\s+${s.remoteAddress}:${s.remotePort}\\s`).test(l));
      if (!row) {
        // Seven sockets and a listener in seven rows: the one that does not fit is below; all that are shown are checked.
        continue;
      }
      checkRow(row, s, pid);
    }
    const listener = ours.find((s) => s.state === 'LISTEN')!;
    const lrow = lines.find((l) => l.includes(`127.0.0.1:${port} `) && l.includes('LISTEN'));
    assert.ok(lrow, `the listener row:\n${screen}`);
    checkRow(lrow, listener, pid);
    assert.doesNotMatch(screen, /\d…/, 'no number cut with an ellipsis');
    return screen;
  };
  const screen = await eventually('the scene drawn at 80x12', check, { timeoutMs: 10_000, intervalMs: 300 });
  t.diagnostic(`\n${screen}`);
  // The two rows that carry the numbers of the issue are on screen.
  assert.match(screen, /\s813\s/, 'Recv-Q 813 whole');
});

function checkRow(row: string, s: Socket, pid: number): void {
  const tokens = row.trim().split(/\s+/);
  const sendQ = String(s.backlog ?? s.sendQ);
  assert.ok(tokens.includes(String(s.recvQ)), `Recv-Q ${s.recvQ} whole in: ${row}`);
  assert.ok(tokens.includes(sendQ), `Send-Q ${sendQ} whole in: ${row}`);
  if (s.holders.length) assert.match(row, new RegExp(`\\s${pid}/\\S`), `the process in: ${row}`);
  else assert.match(row, /- \(/, `why there is no holder, in: ${row}`);
}

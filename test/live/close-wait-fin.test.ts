// CLOSE_WAIT with Recv-Q 1 (issue 9 §8): that 1 is the peer's FIN, not a byte
// of data. Real sockets on 127.0.0.1: a server that never reads, clients that
// close after sending nothing or 5 bytes, and one whose FIN the server reads.
// ss is asked at the same moment, so the numbers are the kernel's, not ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { eventually, runCli, startPython } from './helpers.js';

const SCRIPT = `
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(8)
port = srv.getsockname()[1]
kept = []
def pair(data, read_eof):
    c = socket.create_connection(('127.0.0.1', port), timeout=5)
    a, _ = srv.accept()
    if data:
        c.sendall(data)
    local = c.getsockname()[1]
    c.close()
    if read_eof:
        a.settimeout(5)
        while a.recv(100):
            pass
    kept.append(a)
    return local
emit(port=port, empty=pair(b'', False), data=pair(b'hello', False), eof=pair(b'', True))
hold()
`;

function ssRecvQ(port: number, peer: number): number | undefined {
  const out = execFileSync('ss', ['-tanH', `( sport = :${port} and dport = :${peer} )`], { encoding: 'utf8', timeout: 10_000 });
  const m = /^CLOSE-WAIT\s+(\d+)/m.exec(out);
  return m ? Number(m[1]) : undefined;
}

test('CLOSE_WAIT: Recv-Q counts the peer\'s FIN, and --explain says so in both languages', async (t) => {
  const child = startPython(t, 'close-wait scene', SCRIPT);
  const m = await child.message('port');
  const port = m['port'] as number;
  const [empty, data, eof] = [m['empty'], m['data'], m['eof']] as [number, number, number];
  await eventually('CLOSE_WAIT rows', async () => {
    // The kernel's own count, via ss: FIN only = 1, 5 bytes + FIN = 6, FIN read = 0.
    assert.equal(ssRecvQ(port, empty), 1);
    assert.equal(ssRecvQ(port, data), 6);
    assert.equal(ssRecvQ(port, eof), 0);
    const r = await runCli(['list', '-t', '--state', 'close-wait', '--port', String(port), '--explain', '-n']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const noteOf = (peer: number): string => {
      const i = lines.findIndex((l) => l.includes(`127.0.0.1:${peer} `) && l.includes('CLOSE_WAIT'));
      assert.ok(i >= 0, `row for peer ${peer}:\n${r.stdout}`);
      return lines.slice(i + 1).find((l) => l.trim().startsWith('↳'))!;
    };
    const e = noteOf(empty);
    assert.match(e, /Recv-Q 1 is the peer's FIN, not data/);
    assert.doesNotMatch(e, /byte\(s\) received/);
    assert.match(noteOf(data), /5 byte\(s\) received but not yet read by the program, then the peer's FIN/);
    const done = noteOf(eof);
    assert.doesNotMatch(done, /FIN, not data|byte\(s\) received/);
    const zh = await runCli(['--lang', 'zh-CN', 'list', '-t', '--state', 'close-wait', '--port', String(port), '--explain', '-n']);
    assert.match(zh.stdout, /Recv-Q 为 1 是对端的 FIN，不是数据/);
    assert.match(zh.stdout, /收到 5 字节数据但程序尚未读取，其后是对端的 FIN/);
  });
});

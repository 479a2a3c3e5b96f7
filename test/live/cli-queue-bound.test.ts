// Issue 9 §8 on live sockets: `port N` warns of a full accept queue as
// `list -e` does; a TCP socket bound but not listening (CLOSE with a local
// port) is a bound socket holding the port, neither inbound nor outbound;
// with --source proc a listener's backlog is "?" with a note, never 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAll, eventually, runCli, socketsOnPort, startPython } from './helpers.js';

const SCRIPT = `
b = socket.socket(); b.bind(('127.0.0.1', 0))
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
port = l.getsockname()[1]
cs = []
for i in range(3):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    cs.append(c)
emit(bound=b.getsockname()[1], bfd=b.fileno(), listen=port, lfd=l.fileno())
hold()
`;

/** The lines of the section that starts with `title` (up to the next blank line). */
function section(text: string, title: RegExp): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => title.test(l));
  if (at < 0) return '';
  const end = lines.findIndex((l, i) => i > at && l.trim() === '');
  return lines.slice(at, end < 0 ? undefined : end).join('\n');
}

test('port: full accept queue warned; bound-not-listening socket shown as such; unknown backlog is ?', async (t) => {
  const child = startPython(t, 'queue and bound', SCRIPT);
  const m = await child.message('listen');
  const bound = m['bound'] as number;
  const listen = m['listen'] as number;
  const pid = child.pid;
  // Backlog 1: two completed connections make the queue 2/1, which the kernel counts as full.
  await eventually('accept queue 2/1', async () => {
    const { sockets } = await socketsOnPort(listen, { protocols: ['tcp'] });
    const l = sockets.find((s) => s.state === 'LISTEN' && s.localPort === listen);
    assert.equal(l?.recvQ, 2, describeAll(sockets));
    assert.equal(l?.backlog, 1, describeAll(sockets));
  }, { timeoutMs: 10_000 });

  const full = await runCli(['port', String(listen), '--source', 'netlink']);
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, new RegExp(`${pid}/python\\S* fd ${m['lfd']}\\s+accept queue 2/1 FULL`), full.stdout);
  const zh = await runCli(['port', String(listen), '--source', 'netlink', '--lang', 'zh-CN']);
  assert.match(zh.stdout, /全连接队列 2\/1 已满/, zh.stdout);
  const e = await runCli(['list', '-tl', '--port', String(listen), '-e', '--source', 'netlink']);
  assert.match(e.stdout, /accept queue FULL \(2 > backlog 1\)/, 'the same judgement as list -e');

  // /proc/net cannot see the backlog: "?" and a note, never 0, and no verdict on fullness.
  const proc = await runCli(['port', String(listen), '--source', 'proc']);
  assert.match(proc.stdout, /accept queue 2\/\?/, proc.stdout);
  assert.doesNotMatch(proc.stdout, /FULL/);
  assert.match(proc.stderr, /does not show listen backlogs/, proc.stderr);
  const list = await runCli(['list', '-tl', '-n', '--port', String(listen), '--source', 'proc']);
  assert.match(list.stdout, new RegExp(`127\\.0\\.0\\.1:${listen}\\s+0\\.0\\.0\\.0:\\*\\s+LISTEN\\s+2\\s+\\?\\s+${pid}/`), list.stdout);
  assert.match(list.stderr, /does not show listen backlogs/, list.stderr);
  const nl = await runCli(['list', '-tl', '--port', String(listen), '--source', 'netlink']);
  assert.match(nl.stdout, /LISTEN\s+2\s+1\s/, nl.stdout);
  assert.doesNotMatch(nl.stderr, /backlogs/, 'netlink knows the backlog: no note');

  // The bound socket holds its port: "bound", not inbound or outbound.
  const b = await runCli(['port', String(bound), '-n']);
  assert.equal(b.code, 0, `a bound port is in use: ${b.stdout}${b.stderr}`);
  assert.match(b.stdout, /0 listening, 1 bound \(not listening\), 0 inbound, 0 outbound/, b.stdout);
  assert.match(section(b.stdout, /^Bound, not listening$/), new RegExp(`127\\.0\\.0\\.1:${bound}\\s+this host only\\s+${pid}/python\\S* fd ${m['bfd']}`), b.stdout);
  assert.doesNotMatch(b.stdout, /Connections to port/);

  const be = await runCli(['list', '-t', '--port', String(bound), '-e', '-n']);
  assert.match(be.stdout, new RegExp(`Bound to 127\\.0\\.0\\.1:${bound} \\(this host only\\) but not listening`), be.stdout);
  assert.doesNotMatch(be.stdout, /Client side/, 'a bound socket is no client');

  const o = await runCli(['-t', '-n']);
  assert.equal(o.code, 0, o.stderr);
  const boundSection = section(o.stdout, /^Bound, not listening \(\d+\)$/);
  assert.match(boundSection, new RegExp(`python\\S*\\s+${pid}\\s+tcp\\s+${bound}\\s+this host only \\(127\\.0\\.0\\.1\\)`), o.stdout);
  assert.doesNotMatch(section(o.stdout, /^Outbound \(\d+\)$/), new RegExp(`\\s${pid}\\s+tcp\\s+0\\.0\\.0\\.0:0`), 'not an outbound connection to 0.0.0.0:0');
});

test('a bound-not-listening socket is found by every view that asks for state CLOSE: list --state close, pid N, port N', async (t) => {
  // The kernel dumps bound-only sockets (reported as CLOSE) only when the request's
  // state mask names them (TCP_BOUND_INACTIVE, Linux 6.8+); a mask without it left
  // them out of every narrowed query, while the full dump (overview) showed them.
  const child = startPython(t, 'bound only', `
b = socket.socket(); b.bind(('127.0.0.1', 0))
emit(bound=b.getsockname()[1], bfd=b.fileno())
hold()
`);
  const m = await child.message('bound');
  const bound = m['bound'] as number;
  const row = new RegExp(`127\\.0\\.0\\.1:${bound}\\s+0\\.0\\.0\\.0:\\*\\s+CLOSE\\s`);
  await eventually('bound socket visible in the full dump', async () => {
    const all = await runCli(['list', '-t', '-n', '--port', String(bound), '--source', 'netlink']);
    assert.match(all.stdout, row, all.stdout);
  });
  for (const args of [['list', '-t', '-n', '--state', 'close'], ['list', '-t', '-n', '--state', 'close', '--port', String(bound)],
    ['pid', String(child.pid), '-n'], ['list', '-n', '--pid', String(child.pid), '--state', 'close,listen']]) {
    const r = await runCli([...args, '--source', 'netlink']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, row, `${args.join(' ')}:\n${r.stdout}`);
  }
});

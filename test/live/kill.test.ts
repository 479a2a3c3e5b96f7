// sockscope kill on real processes: a forked server sharing one listener, a
// process that ignores SIGTERM, the exact port match, UDP, a pid, the refusals,
// the question on a terminal, and a pid the kernel gave to another process
// between the question and the signal (a real reuse, in a pid namespace).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, eventually, python, runCli, socketsOnPort, startPython, type Child } from './helpers.js';
import { tmux } from '../watch/tmux.js';
import { SERVER_PY, makeNetns, pythonIn } from './netns-scene.js';

/** A listener on a kernel-chosen loopback port that forks `children` processes sharing it. */
const FORKED_SERVER = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen(8)
kids = []
for i in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        time.sleep(120)
        os._exit(0)
    kids.append(pid)
emit(port=s.getsockname()[1], kids=kids)
hold()
`;

/** A TCP listener on a kernel-chosen port that ignores SIGTERM. */
const STUBBORN = `
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(4)
emit(port=s.getsockname()[1])
hold()
`;

function alive(pid: number): boolean {
  const r = spawnSync('sh', ['-c', `test -d /proc/${pid} && ! grep -q '^State:.*Z' /proc/${pid}/status`]);
  return r.status === 0;
}

async function start(t: TestContext, label: string, script: string, args: string[] = []): Promise<{ child: Child; port: number; msg: Record<string, unknown> }> {
  const child = startPython(t, label, script, args);
  const msg = await child.message('port');
  return { child, port: msg['port'] as number, msg };
}

test('kill :PORT names every process of a forked server, signals each, and exits 0 once the port is free', async (t) => {
  const { child, port, msg } = await start(t, 'forked server', FORKED_SERVER, ['2']);
  const kids = msg['kids'] as number[];
  const r = await runCli(['kill', `:${port}`, '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`Port ${port} is held by 3 process\\(es\\)`));
  for (const pid of [child.pid, ...kids]) {
    assert.match(r.stdout, new RegExp(`Sent SIGTERM to ${pid} \\(python3\\)`));
    await eventually(`pid ${pid} gone`, () => assert.ok(!alive(pid)), { timeoutMs: 5000 });
  }
  assert.match(r.stdout, new RegExp(`Port ${port} is free now`));
  assert.deepEqual((await socketsOnPort(port)).sockets.filter((s) => s.localPort === port && s.state === 'LISTEN'), []);
});

test('kill offers SIGKILL when SIGTERM is ignored; --yes takes the offer', async (t) => {
  const { child, port } = await start(t, 'stubborn', STUBBORN);
  const r = await runCli(['kill', `:${port}`, '--yes', '--wait', '1']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`Still running after 1 s: ${child.pid}`));
  assert.match(r.stdout, new RegExp(`Sent SIGKILL to ${child.pid}`));
  await eventually('stubborn gone', () => assert.ok(!alive(child.pid)), { timeoutMs: 5000 });
});

test('--signal KILL goes straight to SIGKILL; a pid can be the target', async (t) => {
  const { child } = await start(t, 'stubborn', STUBBORN);
  const r = await runCli(['kill', String(child.pid), '--signal', '9', '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`Sent SIGKILL to ${child.pid}`));
  assert.match(r.stdout, new RegExp(`Process ${child.pid} is gone`));
});

test('the port match is exact and local: a client connected to the port is not a holder of it', async (t) => {
  const { child: server, port } = await start(t, 'server', STUBBORN);
  const client = startPython(t, 'client', `
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
emit(local=c.getsockname()[1])
hold()
`, [String(port)]);
  await client.message('local');
  const r = await runCli(['kill', `:${port}`, '--dry-run']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`Port ${port} is held by 1 process`));
  assert.match(r.stdout, new RegExp(`^  ${server.pid} `, 'm'));
  assert.doesNotMatch(r.stdout, new RegExp(`^  ${client.pid} `, 'm'));
  assert.match(r.stdout, /Dry run: SIGTERM would be sent to 1 process\(es\); nothing was sent/);
  assert.ok(alive(server.pid) && alive(client.pid), 'a dry run signals nothing');
  // `port N` ends with the exact command.
  const held = await runCli(['port', String(port)]);
  assert.equal(held.stdout.trim().split('\n').pop(), `To free it: sockscope kill :${port}`);
});

test('kill :PORT/udp stops the UDP holder only', async (t) => {
  const both = startPython(t, 'tcp+udp', `
# A UDP port whose number is free for TCP too (other programs share this loopback).
for attempt in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(('127.0.0.1', 0))
    port = u.getsockname()[1]
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(('127.0.0.1', port))
        probe.close()
        break
    except OSError:
        probe.close()
        u.close()
emit(port=port)
hold()
`);
  const port = (await both.message('port'))['port'] as number;
  const tcp = startPython(t, 'tcp on the same number', `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(1)
emit(ok=1)
hold()
`, [String(port)]);
  await tcp.message('ok');
  const r = await runCli(['kill', `:${port}/udp`, '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await eventually('udp holder gone', () => assert.ok(!alive(both.pid)), { timeoutMs: 5000 });
  assert.ok(alive(tcp.pid), 'the TCP listener on the same number is untouched');
});

test('refusals: no terminal and no --yes, a bad target or signal, init — one line, exit 2, nothing signalled', async (t) => {
  const { child, port } = await start(t, 'stubborn', STUBBORN);
  for (const args of [['kill', `:${port}`], ['kill', 'abc'], ['kill', `:${port}`, '--signal', 'NOPE', '--yes'], ['kill', '1', '--yes'], ['kill', `:${port}`, '--wait', '-1', '--yes']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.ok(alive(child.pid));
  // Nothing on a free port: said, exit 1.
  const free = await runCli(['kill', ':1', '--yes']);
  assert.equal(free.code, 1);
  assert.match(free.stdout, /Port 1 is free/);
});

test('on a terminal it asks once: no leaves the process alone, yes stops it', async (t) => {
  const { child, port } = await start(t, 'server', FORKED_SERVER, ['0']);
  const tm = tmux(t);
  const run = `${process.execPath} ${BIN} kill :${port}`;
  tm.start(`${run}; echo EXIT1=$?; ${run}; echo EXIT2=$?; sleep 60`);
  await tm.until('the question', (s) => s.includes('Send SIGTERM to 1 process(es)? [y/N]'));
  tm.type('n');
  tm.keys('Enter');
  await tm.until('the answer', (s) => s.includes('EXIT1='));
  assert.match(tm.capture(), /Nothing was sent\.\s+EXIT1=1/);
  assert.ok(alive(child.pid));
  await tm.until('the question again', (s) => (s.match(/\[y\/N\]/g) ?? []).length >= 2);
  tm.type('y');
  tm.keys('Enter');
  await tm.until('done', (s) => s.includes('EXIT2='), { timeoutMs: 15_000 });
  assert.match(tm.capture(), /EXIT2=0/);
  await eventually('server gone', () => assert.ok(!alive(child.pid)), { timeoutMs: 5000 });
});

// The driver runs as pid 1 of a new pid namespace (unshare --pid --fork
// --mount-proc), where it can hand a pid out again on purpose: it starts a
// listener, runs `sockscope kill :PORT` on a pty, and while the question is on
// screen stops the listener and, through ns_last_pid, starts another process
// with the same pid on the same port. Answering yes must not signal it.
const REUSE_DRIVER = String.raw`
import json, os, pty, select, subprocess, sys, time
node, bin, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
LISTEN = "import socket, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', %d))\ns.listen(4)\nprint('up', flush=True)\ntime.sleep(60)\n" % port
def listener():
    p = subprocess.Popen([sys.executable, '-c', LISTEN], stdout=subprocess.PIPE)
    return p
a = listener()
a.stdout.readline()
pid, fd = pty.fork()
if pid == 0:
    os.execv(node, [node, bin, 'kill', ':%d' % port])
def read_until(needle, seconds):
    out = b''
    end = time.time() + seconds
    while needle not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out
screen = read_until(b'[y/N]', 30)
target = a.pid
a.kill(); a.wait()
b = None
for attempt in range(20):
    with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
        f.write(str(target - 1))
    b = listener()
    if b.pid == target:
        break
    b.kill(); b.wait(); b = None
if b is not None:
    b.stdout.readline()
os.write(fd, b'y\n')
screen += read_until(b'\x00never', 20)
_, status = os.waitpid(pid, 0)
result = {'target': target, 'reused': b is not None, 'screen': screen.decode('utf-8', 'replace'),
          'exit': os.waitstatus_to_exitcode(status), 'b_alive': b is not None and b.poll() is None}
if b is not None:
    b.kill(); b.wait()
print(json.dumps(result))
`;

test('a pid reused between the question and the answer is never signalled', async () => {
  // A free port for the scene, then the driver in its own pid namespace.
  const probe = spawnSync(python(), ['-c', "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"], { encoding: 'utf8' });
  const port = Number(probe.stdout.trim());
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', python(), '-c', REUSE_DRIVER, process.execPath, BIN, String(port)],
    { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { target: number; reused: boolean; screen: string; exit: number; b_alive: boolean };
  assert.ok(res.reused, `the namespace gave pid ${res.target} out again: ${r.stdout}`);
  assert.match(res.screen, new RegExp(`Not signalled: pid ${res.target} \\(python3\\) is now another process`));
  assert.doesNotMatch(res.screen, /Sent SIGTERM/);
  assert.ok(res.b_alive, 'the process that now has the pid is alive');
  assert.equal(res.exit, 5, res.screen);
  assert.match(res.screen, new RegExp(`Port ${port} is still held`));
});

test('kill :PORT frees the port of its own network namespace: the same port in another namespace is left alone, unless --netns names it', async (t) => {
  const ns = makeNetns(t, 'k');
  const srv = pythonIn(t, ns, 'server in a namespace', SERVER_PY, ['0']);
  const port = (await srv.message('port'))['port'] as number;
  // Nothing holds the port here: a container's own port is not this host's.
  const here = await runCli(['kill', `:${port}`, '--yes']);
  assert.equal(here.code, 1, here.stdout + here.stderr);
  assert.match(here.stdout, new RegExp(`Port ${port} is free`));
  assert.doesNotMatch(here.stdout, /Sent SIG/);
  assert.ok(alive(srv.pid), 'the process in the other namespace was not signalled');
  const bad = await runCli(['kill', `:${port}`, '--yes', '--netns', 'no-such-namespace-here']);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.ok(alive(srv.pid));
  const there = await runCli(['kill', `:${port}`, '--yes', '--netns', ns]);
  assert.equal(there.code, 0, there.stdout + there.stderr);
  assert.match(there.stdout, new RegExp(`Sent SIGTERM to ${srv.pid} \\(python3\\)`));
  await eventually('the namespace\'s server gone', () => assert.ok(!alive(srv.pid)), { timeoutMs: 5000 });
});

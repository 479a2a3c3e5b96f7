// Issue 9 §1 on real processes: python3 processes named with escape
// sequences of every family (prctl(PR_SET_NAME)), with crafted command lines
// (os.execv with raw bytes: OSC 52, CSI erase, newline, bidi overrides,
// invalid UTF-8, a formula, a 200 KB command line), each holding a listening
// socket on 127.0.0.1 on a port the kernel picked free. Every output format,
// on a pipe and on a real terminal (a pty of 80 columns): no raw control
// character reaches stdout or stderr, and JSON keeps the text exact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from '../../src/index.js';
import { BIN, Child, REPO_ROOT, eventually, python, runCli, socketsOnPort } from './helpers.js';
import { RAW_CONTROL } from '../hostile.js';
import { displayWidth } from '../../src/views/sink.js';

/** Stage 1 re-executes python with the crafted argv (bytes, so invalid UTF-8 too); 200 KB come as four 50 KB arguments (one argument may hold at most 128 KB). */
const STAGE1 = `
import os, sys, json
argv = [bytes.fromhex(h) for h in json.loads(os.environ['HOSTILE_ARGV'])]
big = int(os.environ.get('HOSTILE_BIG', '0'))
argv += [(b'\\x1b[2J' + b'B' * 49990 + b'\\x1b]52;c;QQ==\\x07')[:50000] for _ in range(big // 50000)]
os.execv(sys.executable, [argv[0], b'-c', os.environ['HOSTILE_SCRIPT'].encode()] + argv[1:])
`;

/** Stage 2: rename ourselves, listen on a free loopback port, say which, hold until stdin closes. */
const STAGE2 = `
import ctypes, json, os, signal, socket, sys
signal.alarm(120)
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(bytes.fromhex(os.environ['HOSTILE_NAME'])), 0, 0, 0)
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(8)
sys.stdout.write(json.dumps({'port': l.getsockname()[1], 'fd': l.fileno()}) + '\\n'); sys.stdout.flush()
try:
    sys.stdin.read()
except Exception:
    pass
os._exit(0)
`;

interface Spec {
  /** comm, at most 15 bytes. */
  name: Buffer;
  argv: Buffer[];
  big?: number;
}

const b = (s: string, enc: BufferEncoding = 'latin1'): Buffer => Buffer.from(s, enc);

/** Names whose bytes are ASCII: today's collector reads them exactly, so JSON must give them back exactly. */
const ASCII_SPECS: Spec[] = [
  { name: b('\x1b[2J\x1b]0;PWN\x07'), argv: [b('\x1b]52;c;ZXZpbA==\x07'), b('--erase=\x1b[1A\x1b[2K'), b('\nforged row\t1')], big: 200_000 },
  { name: b('\x1b]52;c;ZXZp\x07'), argv: [b('osc52'), b('\x1b]52;c;ZXZpbA==\x1b\\')] },
  { name: b('\x1b[1A\x1b[2Kforge'), argv: [b('erase'), b('\x1b[1A\x1b[2K')] },
  { name: b('evil\nrow'), argv: [b('nl\nrow'), b('x')] },
  { name: b('tab\there\r'), argv: [b('tab\there'), b('\r')] },
  { name: b('=cmd|calc!A0'), argv: [b('=cmd|\' /C calc\'!A0'), b('+1'), b('@SUM(1)')] },
  { name: b('\x1bP1$r\x1b\\q'), argv: [b('dcs'), b('\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\')] },
];

/** Names that are not ASCII: exact in JSON only once /proc is decoded as UTF-8 (the collect branch). */
const UNICODE_SPECS: Spec[] = [
  { name: b('\u202eevil\u2066x', 'utf8'), argv: [b('\u202ebidi\u2069', 'utf8'), b('\u2066iso', 'utf8')] },
  { name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x9b, 0x85]), argv: [Buffer.from([0xff, 0x9b, 0x32, 0x4a]), b('c1')] },
  { name: b('服务器', 'utf8'), argv: [b('服务器', 'utf8'), b('--名字=值', 'utf8')] },
  { name: b('😀srv', 'utf8'), argv: [b('😀srv', 'utf8'), b('e\u0301', 'utf8')] },
  { name: b('café-srv', 'utf8'), argv: [b('café-srv', 'utf8')] },
];

const BIG_ARG = ('\x1b[2J' + 'B'.repeat(49_990) + '\x1b]52;c;QQ==\x07').slice(0, 50_000);

/** The command line the collector reads: argv[0], -c, the script, the rest, the big arguments (decoded as latin1 today). */
function commandLine(spec: Spec, decode: (b: Buffer) => string = (x) => x.toString('latin1')): string {
  const big: string[] = Array(Math.floor((spec.big ?? 0) / 50_000)).fill(BIG_ARG);
  return [decode(spec.argv[0]!), '-c', STAGE2, ...spec.argv.slice(1).map(decode), ...big].join(' ');
}

interface Started { spec: Spec; child: Child; port: number; fd: number }

function startHostile(t: TestContext, spec: Spec): Child {
  const proc = spawn(python(), ['-c', STAGE1], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env, PYTHONUNBUFFERED: '1', HOSTILE_SCRIPT: STAGE2, HOSTILE_NAME: spec.name.toString('hex'),
      HOSTILE_ARGV: JSON.stringify(spec.argv.map((a) => a.toString('hex'))), HOSTILE_BIG: String(spec.big ?? 0),
    },
  });
  const c = new Child(proc, `hostile ${JSON.stringify(spec.name.toString('latin1'))}`);
  t.after(() => c.stop());
  return c;
}

async function startAll(t: TestContext, specs: Spec[]): Promise<Started[]> {
  const children = specs.map((spec) => ({ spec, child: startHostile(t, spec) }));
  const out: Started[] = [];
  for (const { spec, child } of children) {
    const m = await child.message('port', 20_000);
    out.push({ spec, child, port: m['port'] as number, fd: m['fd'] as number });
  }
  // Wait until the kernel shows every listener with its holder.
  await eventually('listeners visible', async () => {
    for (const s of out) {
      const { sockets } = await socketsOnPort(s.port, { protocols: ['tcp'] });
      assert.ok(sockets.some((x) => x.state === 'LISTEN' && x.holders.some((h) => h.pid === s.child.pid)), `port ${s.port}`);
    }
  }, { timeoutMs: 15_000 });
  return out;
}

/** A pty of `cols` columns around a command: what a terminal would receive, byte for byte. */
const PTY = `
import fcntl, os, pty, select, signal, struct, sys, termios, time
cols = int(sys.argv[1])
errpath = sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', 40, cols, 0, 0))
    # stderr apart, to a file: the terminal's width is checked on stdout alone.
    os.dup2(os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    os.execv(sys.argv[3], sys.argv[3:])
out = bytearray()
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(bytes(out))
sys.exit(os.waitstatus_to_exitcode(st))
`;

interface Raw { code: number | null; out: Buffer; err: Buffer }

function run(argv: string[], env: NodeJS.ProcessEnv = {}, color = false): Promise<Raw> {
  const full = { ...process.env, ...env };
  if (color) delete full['NO_COLOR'];
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: full });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, out: Buffer.concat(out), err: Buffer.concat(err) }); });
  });
}

let errDir: string | undefined;

/** sockscope on a pipe, or with stdout on a pty of 80 columns (stderr then goes to a file, returned as `err`). */
async function sockscope(args: string[], terminal: boolean, color = false): Promise<Raw> {
  const env: NodeJS.ProcessEnv = color ? { TERM: 'xterm' } : { NO_COLOR: '1' };
  const cmd = [process.execPath, BIN, ...args];
  if (!terminal) return run(cmd, env);
  errDir ??= mkdtempSync(join(tmpdir(), 'sockscope-pty-'));
  const errPath = join(errDir, 'stderr');
  const r = await run([python(), '-c', PTY, '80', errPath, ...cmd], env, color);
  return { ...r, err: readFileSync(errPath) };
}
process.on('exit', () => { if (errDir) rmSync(errDir, { recursive: true, force: true }); });

const fatal = new TextDecoder('utf-8', { fatal: true });

/** The bytes are UTF-8 and carry no control but line ends (and, when coloured, our own SGR codes). */
function assertClean(bytes: Buffer, what: string, terminal: boolean): string {
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    assert.fail(`${what}: output is not valid UTF-8 (a raw byte of a name got through)`);
  }
  // A pty turns \n into \r\n; our own colours are SGR codes: both are ours, not a name's.
  const plain = (terminal ? text.replace(/\r\n/g, '\n') : text).replace(/\x1b\[(?:0|1|2|3[1-6])m/g, '');
  const m = RAW_CONTROL.exec(plain);
  assert.equal(m, null, `${what}: raw ${JSON.stringify(m?.[0])}: ${JSON.stringify(plain.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 40))}`);
  return plain;
}

test('hostile process names and command lines on real processes: every format, pipe and terminal, no raw control', { timeout: 240_000 }, async (t) => {
  const all = await startAll(t, [...ASCII_SPECS, ...UNICODE_SPECS]);
  const pids = all.map((s) => s.child.pid).join(',');
  const first = all[0]!;
  const commands: string[][] = [
    ['list', '-t', '--pid', pids], ['list', '-t', '--pid', pids, '-e'], ['list', '-t', '--pid', pids, '--csv'],
    ['list', '-t', '--pid', pids, '--source', 'proc'], ['-t'], ['list', '-t', '--pid', pids, '-W'],
    ...all.flatMap((s) => [['port', String(s.port)], ['pid', String(s.child.pid)]]),
    ['process', first.spec.name.toString('latin1')], ['process', '\x1b]0;no such\x07'],
  ];
  for (const terminal of [false, true]) {
    for (const args of commands) {
      const r = await sockscope(args, terminal);
      const what = `${args.join(' ').slice(0, 60)} (${terminal ? 'terminal' : 'pipe'})`;
      const out = assertClean(r.out, `${what} stdout`, terminal);
      assertClean(r.err, `${what} stderr`, false);
      assert.ok(r.code === 0 || (args[0] === 'process' && r.code === 1), `${what}: exit ${r.code}: ${out.slice(0, 300)}`);
      if (terminal && !args.includes('--csv') && !args.includes('-W')) {
        // Nothing is wider than the terminal; the 200 KB command line does not flood it.
        for (const line of out.split('\n')) assert.ok(displayWidth(line) <= 80, `${what}: ${displayWidth(line)} columns: ${line.slice(0, 100)}`);
        assert.ok(out.length < 40_000, `${what}: ${out.length} characters on an 80-column terminal`);
      }
      if (args[0] === 'list' && !args.includes('--csv')) {
        // Every holder's pid and fd is there, whole.
        for (const s of all) assert.match(out, new RegExp(`\\b${s.child.pid}/\\S.* fd ${s.fd}\\b`), `${what}: pid ${s.child.pid}`);
      }
    }
  }
  // Colours on a terminal: only our own SGR codes, never a name's escape.
  for (const args of [['list', '-t', '--pid', pids], ['pid', String(first.child.pid)], ['port', String(first.port)]]) {
    const r = await sockscope(args, true, true);
    assertClean(r.out, `${args.join(' ')} (colour terminal)`, true);
  }
  // The 200 KB command line: cut on a terminal, whole on a pipe and with --wide.
  const term = assertClean((await sockscope(['pid', String(first.child.pid)], true)).out, 'pid', true);
  assert.match(term, /…/);
  const pipe = await sockscope(['pid', String(first.child.pid)], false);
  assert.ok(pipe.out.includes(Buffer.from('B'.repeat(49_990))), 'a pipe gets the whole command line');
  const wide = await sockscope(['pid', String(first.child.pid), '-W'], true);
  assert.ok(wide.out.includes(Buffer.from('B'.repeat(49_990))), '--wide shows the whole command line on a terminal');

  // JSON and NDJSON: the ASCII names exactly as the processes set them.
  for (const fmt of ['--json', '--ndjson']) {
    const r = await runCli(['list', '-t', '--pid', pids, fmt]);
    assert.equal(r.code, 0, r.stderr);
    const sockets: Socket[] = fmt === '--json' ? JSON.parse(r.stdout) as Socket[] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Socket);
    for (const s of ASCII_SPECS.map((spec) => all.find((x) => x.spec === spec)!)) {
      const h = sockets.flatMap((x) => x.holders).find((x) => x.pid === s.child.pid);
      assert.equal(h?.name, s.spec.name.toString('latin1'), `${fmt}: name of ${s.child.pid}`);
      assert.equal(h?.command, commandLine(s.spec), `${fmt}: command line of ${s.child.pid}`);
    }
  }
});

// Needs /proc decoded as UTF-8 (decodeProcBytes in process-info.ts): read as latin1, these names come out as mojibake.
test('hostile Unicode names survive exactly in JSON, and `process <non-ASCII name>` finds them', {
  timeout: 120_000,
}, async (t) => {
  const all = await startAll(t, UNICODE_SPECS);
  const pids = all.map((s) => s.child.pid).join(',');
  const r = await runCli(['list', '-t', '--pid', pids, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const sockets = JSON.parse(r.stdout) as Socket[];
  const { decodeProcBytes } = await import('../../src/collectors/proc-text.js');
  for (const s of all) {
    const h = sockets.flatMap((x) => x.holders).find((x) => x.pid === s.child.pid);
    assert.equal(h?.name, decodeProcBytes(s.spec.name), `name of ${s.child.pid}`);
    assert.equal(h?.command, commandLine(s.spec, decodeProcBytes), `command of ${s.child.pid}`);
  }
  for (const name of ['服务器', '😀srv', 'café-srv']) {
    const p = await runCli(['process', name, '--json']);
    assert.equal(p.code, 0, `process ${name}: ${p.stderr}`);
    const found = new Set((JSON.parse(p.stdout) as Socket[]).flatMap((x) => x.holders.map((h) => h.pid)));
    const want = all.find((s) => decodeProcBytes(s.spec.name) === name)!.child.pid;
    assert.ok(found.has(want), `process ${name} finds pid ${want}`);
  }
});

// Shared helpers of the live tests: real sockets on loopback, made by child
// processes we spawn (each in its own process group, killed on cleanup), and
// bounded polling of listSockets() until the kernel has settled.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { listSockets, type ListOptions, type Snapshot, type Socket } from '../../src/index.js';
import { readProcessUids } from '../../src/collectors/procfs/holders.js';

/** Root of the repository (this file runs from dist/test/live/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI entry point. */
export const BIN = fileURLToPath(new URL('../../../bin/sockscope.js', import.meta.url));

let pythonPath: string | undefined;

/**
 * The real python3 executable (not a pyenv shim or wrapper script), so that the
 * pid we spawn is the pid that holds the sockets and its comm is python's.
 */
export function python(): string {
  if (pythonPath) return pythonPath;
  pythonPath = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 20_000 }).trim();
  if (!pythonPath) throw new Error('python3 is needed by the live tests and was not found');
  return pythonPath;
}

/**
 * Prepended to every child script: a watchdog (SIGALRM ends the process even if
 * every cleanup of ours failed), emit() to report JSON lines on stdout, and
 * hold() to keep the sockets open until our end of stdin closes.
 */
export const PRELUDE = `
import json, os, select, signal, socket, sys, time, threading
signal.alarm(int(os.environ.get('LIVE_TTL', '120')))
def emit(**kw):
    sys.stdout.write(json.dumps(kw) + '\\n')
    sys.stdout.flush()
def hold():
    try:
        sys.stdin.read()
    except Exception:
        pass
    os._exit(0)
`;

/** Every child still alive, killed at exit as a last resort. */
const live = new Set<Child>();
process.on('exit', () => {
  for (const c of live) c.killGroup();
});

export interface Message {
  [key: string]: unknown;
}

/** A child process (and its process group) running a script. */
export class Child {
  readonly messages: Message[] = [];
  private out = '';
  private err = '';
  private exited: Promise<void>;
  private done = false;
  exitCode: number | null = null;

  constructor(readonly proc: ChildProcess, readonly label: string) {
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code) => {
        this.done = true;
        this.exitCode = code;
        live.delete(this);
        resolve();
      });
      proc.on('error', () => {
        this.done = true;
        live.delete(this);
        resolve();
      });
    });
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      this.out += d;
      let nl: number;
      while ((nl = this.out.indexOf('\n')) >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        if (line.trim() === '') continue;
        try {
          this.messages.push(JSON.parse(line) as Message);
        } catch {
          this.messages.push({ text: line });
        }
      }
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => { this.err = (this.err + d).slice(-4000); });
    live.add(this);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get stderr(): string {
    return this.err;
  }

  /** The first message with this key, waiting for it up to timeoutMs. */
  async message(key: string, timeoutMs = 10_000): Promise<Message> {
    return eventually(`${this.label}: message '${key}'`, () => {
      const m = this.messages.find((x) => key in x);
      if (m) return m;
      if (this.done) throw new Error(`${this.label} exited (code ${this.exitCode}) before saying '${key}'; stderr: ${this.err}`);
      throw new Error(`${this.label} has not said '${key}' yet; got ${JSON.stringify(this.messages)}; stderr: ${this.err}`);
    }, { timeoutMs, intervalMs: 20 });
  }

  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /** Kill the whole process group and wait (bounded) for the child to be reaped. */
  async stop(): Promise<void> {
    this.proc.stdin?.destroy();
    this.killGroup();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
    this.proc.stdout?.destroy();
    this.proc.stderr?.destroy();
  }
}

/**
 * Run a python3 script (after PRELUDE) in a new process group; it is killed
 * when the test ends, passed or failed. `args` become sys.argv[1:].
 */
export function startPython(t: TestContext, label: string, script: string, args: readonly string[] = []): Child {
  const proc = spawn(python(), ['-c', PRELUDE + script, ...args], {
    detached: true, // its own process group, so a forked grandchild dies with it
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const c = new Child(proc, label);
  t.after(() => c.stop());
  return c;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Call `fn` until it returns without throwing, at most for timeoutMs (and
 * never more than timeoutMs/intervalMs + 1 tries); then rethrow its last error.
 * Use it to wait for the kernel to settle instead of sleeping a fixed time.
 */
export async function eventually<T>(what: string, fn: () => T | Promise<T>,
  { timeoutMs = 8000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxTries = Math.ceil(timeoutMs / intervalMs) + 1;
  let last: unknown;
  for (let i = 0; i < maxTries; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  if (last instanceof Error) {
    last.message = `${what}: not so after ${timeoutMs} ms: ${last.message}`;
    throw last;
  }
  throw new Error(`${what}: not so after ${timeoutMs} ms: ${String(last)}`);
}

/**
 * Addresses the tests' own sockets use. Other programs on the machine may use
 * the same port number on another loopback address (127.0.0.10:P), or as a TCP
 * port when ours is UDP: socketsOnPort() leaves those out.
 */
const OUR_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::']);

/**
 * The tests' sockets on this port: local port `port` on one of our addresses,
 * or remote port `port` at one of them (TIME_WAIT included).
 */
export async function socketsOnPort(port: number, opts: Omit<ListOptions, 'filter'> = {}):
  Promise<{ snap: Snapshot; sockets: Socket[] }> {
  const { protocols, ...rest } = opts;
  const snap = await listSockets({ ...rest, filter: { all: true, ports: [port], ...(protocols ? { protocols } : {}) } });
  const sockets = snap.sockets.filter((s) =>
    (s.localPort === port && OUR_ADDRESSES.has(s.localAddress)) || (s.remotePort === port && OUR_ADDRESSES.has(s.remoteAddress)));
  return { snap, sockets };
}

/** A compact one-line description of a socket, for assertion messages. */
export function describe(s: Socket): string {
  const h = s.holders.length ? s.holders.map((x) => `${x.pid}/fd${x.fd}`).join(',') : `-(${s.unheldReason})`;
  return `${s.protocol}/${s.family} ${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort} ${s.state} ` +
    `rq=${s.recvQ} sq=${s.sendQ}${s.backlog !== undefined ? ` bl=${s.backlog}` : ''} ino=${s.inode} ${h}`;
}

export function describeAll(list: readonly Socket[]): string {
  return list.length ? '\n  ' + list.map(describe).join('\n  ') : ' (none)';
}

/** Sorted "pid:fd" texts of a socket's holders. */
export function holderPairs(s: Socket): string[] {
  return s.holders.map((h) => `${h.pid}:${h.fd}`).sort();
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the sockscope CLI from the repository root; `prefix` runs it through
 * another program (setpriv). Killed after timeoutMs.
 */
export function runCli(args: readonly string[], { prefix = [], timeoutMs = 30_000, env = {} }:
  { prefix?: readonly string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const argv = [...prefix, process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Paths the CLI must be able to read (and directories to traverse) to run at all. */
export function cliFiles(): string[] {
  return [BIN, fileURLToPath(new URL('../../src/cli/main.js', import.meta.url)), fileURLToPath(new URL('../../src/index.js', import.meta.url)),
    `${REPO_ROOT}node_modules/netlink/package.json`];
}

/**
 * Uids of every process whose fd table this process cannot read (what the scan
 * calls unreadable): the only owners that may make a socket `permission-denied`.
 * A process whose uids cannot be read either adds -1 (no socket has it).
 */
export function unreadableUids(): Set<number> {
  const out = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      for (const fd of readdirSync(`/proc/${name}/fd`)) readlinkSync(`/proc/${name}/fd/${fd}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') for (const u of readProcessUids('/proc', [Number(name)]) ?? [-1]) out.add(u);
    }
  }
  return out;
}

/** The unprivileged user the permission tests run sockscope as, and the prefix that does it. */
export const NOBODY = 65534;
export const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

/** A python helper (see startPython) that listens on a free loopback port and says which, with its fd. */
export const LISTENER_PY = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(4)
emit(port=s.getsockname()[1], fd=s.fileno())
hold()
`;

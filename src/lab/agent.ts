// The lab's child processes. Each actor of an experiment (server, client, ...)
// is a python3 process running AGENT below: it reads one JSON request per line
// on stdin, runs the request's Python code in one persistent namespace and
// answers with one JSON line. Python gives exact control of the socket calls
// the experiments need (listen(backlog) without accept, SO_RCVBUF, fork,
// SCM_RIGHTS), and each actor is a real, separate process that sockscope's
// collector sees as a holder.
//
// Nothing may outlive the lab:
// - every agent runs in its own process group (detached), so a kill of the
//   group also ends what it forked;
// - an agent exits when its stdin closes, i.e. when the lab process is gone,
//   however it died;
// - a watchdog (SIGALRM) ends an agent that has heard nothing from the lab for
//   TTL seconds; the lab pings every few seconds while it waits for a person;
// - on the way out an agent closes its sockets with SO_LINGER {1, 0}, so its
//   connections end with RST and leave no TIME_WAIT behind, and kills and
//   reaps every process it forked (an orphan would be left to pid 1, which in
//   a container may never reap it);
// - the lab kills every group it started on every exit path (AgentPool.stopAll)
//   and, as a last resort, synchronously in process.on('exit').
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { CAPS, readBounded } from '../collectors/bounded-read.js';

export const AGENT = String.raw`
import ctypes, errno, json, os, select, signal, socket, struct, sys, threading, time
TTL = int(os.environ.get('SOCKSCOPE_LAB_TTL', '30'))

def set_name(name):
    # prctl(PR_SET_NAME): the name sockscope shows as the holder's program.
    try:
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)
    except Exception:
        pass

def abort_all():
    # Close every socket with SO_LINGER {1, 0}: RST, no TIME_WAIT left behind.
    for name in os.listdir('/proc/self/fd'):
        try:
            fd = int(name)
            if not os.readlink('/proc/self/fd/%d' % fd).startswith('socket:'):
                continue
            s = socket.socket(fileno=fd)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            except OSError:
                pass
            s.close()
        except Exception:
            pass

# Every process this agent forks is killed and reaped by it before it exits:
# an orphan would go to pid 1, which in a container may never reap it, and the
# lab must not return while anything it started still exists.
_forked = []
_real_fork = os.fork
def _fork():
    pid = _real_fork()
    if pid == 0:
        del _forked[:]  # a child's list is its own, not its parent's
    else:
        _forked.append(pid)
    return pid
os.fork = _fork

def reap_forked():
    for pid in _forked:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.time() + 3
    for pid in _forked:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done or time.time() > deadline:
                break
            time.sleep(0.01)
    del _forked[:]

def leave(code):
    abort_all()
    reap_forked()
    os._exit(code)

def _die(*_):
    leave(124)

signal.signal(signal.SIGALRM, _die)
signal.signal(signal.SIGTERM, _die)
signal.alarm(TTL)
set_name(os.environ.get('SOCKSCOPE_LAB_ROLE', 'lab-agent'))

def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if isinstance(e, OSError) and e.errno else type(e).__name__

def bg(fn, *a):
    t = threading.Thread(target=fn, args=a, daemon=True)
    t.start()
    return t

def wait_writable(s, timeout):
    _, w, _ = select.select([], [s], [], timeout)
    return bool(w)

def watch_parent():
    # For a forked process: return when the process that forked us is gone.
    ppid = os.getppid()
    while os.getppid() == ppid:
        time.sleep(0.2)

_lock = threading.Lock()
def _send(obj):
    data = (json.dumps(obj) + '\n').encode()
    with _lock:
        while data:
            n = os.write(1, data)
            data = data[n:]

while True:
    line = sys.stdin.readline()
    if not line:
        break
    signal.alarm(TTL)
    try:
        req = json.loads(line)
    except ValueError:
        continue
    if 'id' not in req:
        continue
    result = {}
    globals()['reply'] = result.update
    globals()['args'] = req.get('args') or {}
    try:
        exec(req['code'], globals())
        _send({'id': req['id'], 'ok': True, 'result': result})
    except BaseException as e:
        _send({'id': req['id'], 'ok': False, 'error': '%s: %s' % (err_name(e), e)})
    if req.get('exit'):
        break
leave(0)
`;

let pythonPath: string | undefined;

/** The real python3 executable, so the pid we spawn is the pid that holds the sockets. */
export function python(): string {
  if (pythonPath) return pythonPath;
  try {
    pythonPath = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch {
    pythonPath = '';
  }
  if (!pythonPath) throw new Error('sockscope lab needs python3 (it plays the servers and clients); install it and retry');
  return pythonPath;
}

/** How an agent ended, when it did. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Thrown when an agent answers a request with a Python exception. */
export class AgentError extends Error {
  constructor(readonly role: string, message: string) {
    super(`${role}: ${message}`);
    this.name = 'AgentError';
  }
}

/** One actor: a python3 process in its own process group. */
export class Agent {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private out = '';
  private err = '';
  private readonly exited: Promise<ExitInfo>;
  exit?: ExitInfo;
  /** Set once the lab itself asked this agent to go. */
  stopping = false;

  constructor(readonly role: string, readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => {
      const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exit) return;
        this.exit = { code, signal };
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new AgentError(role, `exited (${signal ?? `code ${code}`}) before answering${this.err ? `; stderr: ${this.stderrTail()}` : ''}`));
        }
        this.pending.clear();
        resolve(this.exit);
      };
      proc.on('exit', ended);
      // A process that could not be started never exits.
      proc.on('error', () => ended(null, null));
    });
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => this.onData(d));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => { this.err = (this.err + d).slice(-2000); });
    // A write to an agent that just died must not crash the lab.
    proc.stdin!.on('error', () => undefined);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The last line or two the agent wrote to stderr. */
  stderrTail(): string {
    return this.err.trim().split('\n').slice(-2).join(' | ');
  }

  private onData(d: string): void {
    this.out += d;
    let nl: number;
    while ((nl = this.out.indexOf('\n')) >= 0) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      let msg: { id?: number; ok?: boolean; result?: Record<string, unknown>; error?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!p) continue;
      this.pending.delete(msg.id!);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result ?? {});
      else p.reject(new AgentError(this.role, msg.error ?? 'failed'));
    }
  }

  /**
   * Run Python code in the agent; `args` is visible there as `args`, and
   * `reply(key=value)` fills the answer. Rejects on a Python exception, on the
   * agent's exit and after timeoutMs (the per-request watchdog).
   */
  run(code: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    if (this.exit) return Promise.reject(new AgentError(this.role, `has exited (${this.exit.signal ?? `code ${this.exit.code}`})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentError(this.role, `did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.proc.stdin!.write(JSON.stringify({ id, code, args }) + '\n');
    });
  }

  /** Keep the agent's watchdog from firing while the lab waits for a person. */
  ping(): void {
    if (!this.exit) this.proc.stdin!.write('{"ping":1}\n');
  }

  /** Signal the whole process group (the agent and whatever it forked). */
  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: nobody left in the group.
    }
  }

  /** Wait for the agent's exit, at most ms; true if it exited. */
  async waitExit(ms: number): Promise<boolean> {
    if (this.exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
    clearTimeout(timer);
    return done;
  }

  /**
   * Stop: ask the agent to abort its sockets (RST, no TIME_WAIT) and exit, then
   * kill its process group whatever it answered.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.exit) {
      try {
        this.proc.stdin!.write(JSON.stringify({ id: 0, code: 'pass', exit: true }) + '\n');
      } catch {
        // stdin already closed
      }
      await this.waitExit(1500);
    }
    this.killGroup('SIGKILL');
    this.proc.stdin!.destroy();
    await this.waitExit(3000);
    this.proc.stdout!.destroy();
    this.proc.stderr!.destroy();
  }
}

/** Every agent alive in this process, for the synchronous last-resort kill. */
const everyAgent = new Set<Agent>();
let exitHookInstalled = false;

/** The agents of one lab run. */
export class AgentPool {
  readonly agents: Agent[] = [];
  private pinger?: NodeJS.Timeout;
  private closed = false;

  constructor(readonly labId: string, private readonly ttlSeconds = 30) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const a of everyAgent) a.killGroup('SIGKILL');
      });
    }
  }

  /** Start an agent named `role` (its process name, at most 15 characters). */
  async start(role: string): Promise<Agent> {
    if (this.closed) throw new Error('the lab is stopping');
    const proc = spawn(python(), ['-c', AGENT], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1',
        SOCKSCOPE_LAB_ID: this.labId, SOCKSCOPE_LAB_ROLE: role, SOCKSCOPE_LAB_TTL: String(this.ttlSeconds),
      },
    });
    // Known to the pool before it has even started, so that a stop meanwhile kills it too.
    const agent = new Agent(role, proc);
    this.agents.push(agent);
    everyAgent.add(agent);
    proc.on('exit', () => everyAgent.delete(agent));
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', reject);
    });
    if (!this.pinger) {
      this.pinger = setInterval(() => { for (const a of this.agents) a.ping(); }, Math.max(1000, (this.ttlSeconds * 1000) / 4));
      this.pinger.unref();
    }
    // Wait for the interpreter to be ready (and named) before the first step uses it.
    await agent.run('reply(pid=os.getpid())', {}, 15_000);
    return agent;
  }

  /** An agent that exited while nobody asked it to: a crash. */
  crashed(): Agent | undefined {
    return this.agents.find((a) => a.exit && !a.stopping);
  }

  /** Pids of every agent started (their groups may include forked children). */
  pids(): number[] {
    return this.agents.map((a) => a.proc.pid).filter((p): p is number => p !== undefined);
  }

  /** Stop every agent and kill every group; bounded in time. */
  async stopAll(): Promise<void> {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
    await Promise.all(this.agents.map((a) => a.stop()));
    // Groups whose leader is gone may still hold a forked member.
    for (const a of this.agents) a.killGroup('SIGKILL');
  }
}

/**
 * Members of these process groups that are still running (zombies aside),
 * read from /proc/<pid>/stat: what a cleanup check looks for.
 */
export function liveGroupMembers(pgids: readonly number[], procRoot = '/proc'): number[] {
  const want = new Set(pgids);
  const out: number[] = [];
  if (!want.size) return out;
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readBounded(`${procRoot}/${name}/stat`, CAPS.status).bytes.toString('latin1');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (want.has(Number(fields[2])) && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

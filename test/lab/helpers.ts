// Shared helpers of the lab tests: run the real CLI, find every process a run
// started (by the SOCKSCOPE_LAB_ID it puts into each child's environment), and
// check that nothing of a run is left running or bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { listSockets, type Socket } from '../../src/index.js';
import { isLabSocket } from '../../src/lab/observe.js';
import { BIN, ROOT } from '../helpers.js';

/** A fresh lab id for one run. */
export function labId(): string {
  return `test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Pids of live processes whose environment carries SOCKSCOPE_LAB_ID=id. */
export function processesOf(id: string): number[] {
  const needle = `SOCKSCOPE_LAB_ID=${id}\0`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if ((readFileSync(`/proc/${name}/environ`, 'latin1') + '\0').includes(needle)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Ports that appear as loopback endpoints in the lab's tables. */
export function portsIn(text: string): number[] {
  const ports = new Set<number>();
  for (const m of text.matchAll(/(?:127\.0\.0\.[12]|\[::1\]):(\d{1,5})\b/g)) ports.add(Number(m[1]));
  return [...ports].sort((a, b) => a - b);
}

/**
 * Sockets of run `id` still on these ports at loopback addresses, other than
 * kernel-only TIME_WAIT: held by one of the run's processes, or by nobody.
 * (Another program on the machine may use the same port number, say for UDP:
 * its sockets, held by its own processes, are not ours.)
 */
export async function leftoverSockets(id: string, ports: readonly number[]): Promise<Socket[]> {
  if (!ports.length) return [];
  const set = new Set(ports);
  const ours = new Set(processesOf(id));
  const snap = await listSockets({ filter: { all: true, ports: [...ports] } });
  return snap.sockets.filter((s) => isLabSocket(s, set) && !(s.state === 'TIME_WAIT' && s.holders.length === 0) &&
    (s.holders.length === 0 || s.holders.some((h) => ours.has(h.pid))));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait (bounded) until nothing of run `id` runs and nothing stays on `ports`; returns what is left. */
export async function leftovers(id: string, ports: readonly number[], ms = 4000): Promise<{ pids: number[]; sockets: Socket[] }> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100; i++) {
    const pids = processesOf(id);
    const sockets = await leftoverSockets(id, ports);
    if ((!pids.length && !sockets.length) || Date.now() > deadline) return { pids, sockets };
    await sleep(100);
  }
  return { pids: processesOf(id), sockets: await leftoverSockets(id, ports) };
}

/** Kill whatever a failed test left (by pid), so one failure does not spoil the next test. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

export interface Running {
  proc: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Start the real CLI with a lab id; stdin stays open (a pipe we never write to). */
export function startCli(args: readonly string[], id: string, env: Record<string, string> = {}): Running {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', SOCKSCOPE_LAB_ID: id, ...env },
  });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<number | string>((resolve) => proc.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return { proc, out: () => out, err: () => err, exited };
}

/** Wait (bounded) until `cond` holds. */
export async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < Math.ceil(ms / 50) + 1; i++) {
    if (cond()) return;
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  if (!cond()) throw new Error(`${what}: not within ${ms} ms`);
}

/** Resolve with the exit, or kill the process and throw after ms. */
export async function exitWithin(r: Running, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const res = await Promise.race([r.exited, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); })]);
  clearTimeout(timer);
  if (res === 'timeout') {
    r.proc.kill('SIGKILL');
    throw new Error(`the lab did not exit within ${ms} ms; output:\n${r.out()}\n${r.err()}`);
  }
  return res;
}

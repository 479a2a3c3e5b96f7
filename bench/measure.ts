// Run one command and measure it: wall time here (monotonic clock around the
// spawn), CPU time (user + sys) and peak RSS from GNU time's wait4 rusage of
// the measured child. stdout goes to a pipe that we drain; stderr is kept short.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface RunResult {
  argv: string[];
  wallMs: number;
  /** user + sys of the child, from GNU time (10 ms resolution). */
  cpuMs?: number;
  userMs?: number;
  sysMs?: number;
  /** Peak resident set size of the child, KiB. */
  maxRssKiB?: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdoutBytes: number;
  stdoutLines: number;
  /** The whole stdout, when asked for. */
  stdout?: string;
  stderr: string;
}

let workDir: string | undefined;

function timeFile(): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'sockscope-bench-'));
  return join(workDir, 'time.txt');
}

export function cleanupMeasure(): void {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

/** True when GNU time is there and understands -f/-o. */
export function haveGnuTime(): boolean {
  const r = spawnSync(GNU_TIME, ['-f', '%e %U %S %M', '-o', '/dev/null', 'true']);
  return r.status === 0;
}

export function run(argv: string[], opts: { keepStdout?: boolean; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const out = timeFile();
  rmSync(out, { force: true });
  return new Promise((resolve) => {
    const t0 = performance.now();
    // Own process group, so a timeout kills GNU time and the command together.
    const child = spawn(GNU_TIME, ['-f', '%e %U %S %M', '-o', out, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: opts.env ?? process.env,
    });
    let bytes = 0;
    let lines = 0;
    const chunks: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (b: Buffer) => {
      bytes += b.length;
      let i = -1;
      while ((i = b.indexOf(10, i + 1)) !== -1) lines++;
      if (opts.keepStdout) chunks.push(b);
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < 4000) stderr += b.toString('utf8');
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, opts.timeoutMs);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      const r: RunResult = {
        argv, wallMs, exitCode: code, signal, timedOut, stdoutBytes: bytes, stdoutLines: lines, stderr: stderr.trim(),
      };
      if (opts.keepStdout) r.stdout = Buffer.concat(chunks).toString('utf8');
      try {
        // GNU time prefixes "Command exited with non-zero status N" when needed: the numbers are the last line.
        const last = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
        const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(last);
        if (m) {
          r.userMs = Number(m[2]) * 1000;
          r.sysMs = Number(m[3]) * 1000;
          r.cpuMs = r.userMs + r.sysMs;
          r.maxRssKiB = Number(m[4]);
        }
        // GNU time's own exit status is the command's.
      } catch { /* killed before GNU time wrote it */ }
      resolve(r);
    });
  });
}

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}

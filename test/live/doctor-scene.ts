// Scenes for doctor's live tests: a network namespace of the test's own (so
// that nothing else on this machine's loopback pollutes what doctor sees:
// this machine's pid 1 listens on 0.0.0.0:2024 with fds even root cannot
// read), python3 actors started inside it, and the CLI run inside it. Every
// namespace is deleted and every actor killed when the test ends, passed or
// failed; every wait is bounded.
import { execFileSync, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { Finding } from '../../src/doctor/types.js';
import { Child, eventually, python, runCli, type CliResult, PRELUDE } from './helpers.js';

let seq = 0;

/** Run `ip ARGS` (bounded); throws with its stderr on failure. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh network namespace with loopback up, deleted after the test. */
export function netns(t: TestContext): string {
  const name = `sockscope-dr-${process.pid}-${++seq}`;
  ip('netns', 'add', name);
  t.after(() => {
    try {
      ip('netns', 'del', name);
    } catch {
      // Already gone.
    }
  });
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

/** Run a command inside the namespace (bounded), e.g. sysctl or ss. */
export function inNs(ns: string, ...cmd: string[]): string {
  return ip('netns', 'exec', ns, ...cmd);
}

// Every actor starts with the live tests' PRELUDE: a watchdog (LIVE_TTL), emit() for JSON lines, hold() until stdin closes.

/**
 * A python3 actor inside the namespace, in its own process group (killed with
 * the test). `prefix` runs it through another program first (prlimit).
 * `ip netns exec` execs its command, so the pid is python's own.
 */
export function actor(t: TestContext, ns: string, label: string, script: string, prefix: readonly string[] = []): Child {
  const proc = spawn('ip', ['netns', 'exec', ns, ...prefix, python(), '-c', PRELUDE + script], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const c = new Child(proc, label);
  t.after(() => c.stop());
  return c;
}

/** The CLI inside the namespace. */
export function cliIn(ns: string, args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return runCli(args, { prefix: ['ip', 'netns', 'exec', ns], timeoutMs });
}

export interface DoctorJson {
  version: number;
  healthy: boolean;
  samples: number;
  spanMs: number;
  findings: (Omit<Finding, 'sockets'> & { sockets: unknown[]; text: { evidence: string; why: string; todo: string } })[];
  skipped: { check: string; reason: string; text: string }[];
  thresholds: Record<string, number>;
}

/** `doctor --json ARGS` inside the namespace, parsed; its exit code and stderr beside. */
export async function doctorIn(ns: string, args: readonly string[] = []): Promise<{ report: DoctorJson; code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const r = await cliIn(ns, ['doctor', '--json', ...args]);
  const ms = Date.now() - t0;
  let report: DoctorJson;
  try {
    report = JSON.parse(r.stdout) as DoctorJson;
  } catch {
    throw new Error(`doctor --json gave no JSON (exit ${r.code}): ${r.stdout.slice(0, 400)} / ${r.stderr.slice(0, 400)}`);
  }
  return { report, code: r.code, stderr: r.stderr, ms };
}

/** Findings of one kind, for assertions; the report's kinds for messages. */
export function ofKind(report: DoctorJson, kind: string): DoctorJson['findings'] {
  return report.findings.filter((f) => f.kind === kind);
}

export function kindsOf(report: DoctorJson): string {
  return JSON.stringify(report.findings.map((f) => `${f.kind}:${f.severity} ${JSON.stringify(f.subject)} ${JSON.stringify(f.evidence)}`), null, 1);
}

/** Wait (bounded) until the output of `ss ARGS` inside the namespace matches `re` (or passes the test). */
export async function waitSs(ns: string, args: readonly string[], re: RegExp | ((out: string) => boolean), what: string, timeoutMs = 10_000): Promise<string> {
  return eventually(what, () => {
    const out = inNs(ns, 'ss', ...args);
    if (typeof re === 'function' ? !re(out) : !re.test(out)) throw new Error(`ss ${args.join(' ')}:\n${out}`);
    return out;
  }, { timeoutMs, intervalMs: 100 });
}

// sockscope kill :PORT | PID — free a port, or stop a process, the careful way.
// The kill-port tools match ":3000" as a substring, signal whatever pid they
// read a moment ago and call it done. Here: the port match is exact (local
// port, TCP and UDP); every process that holds it is named (a forked server
// has several) and the question is asked once; each pid's start time is
// checked again right before each signal, so a pid the kernel gave to another
// process meanwhile is never hit; SIGTERM first, SIGKILL only when offered and
// accepted; and the answer is 0 only when the port is really free afterwards
// (or the process gone), with what still holds it otherwise.
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { currentPlatform, defaultContext, processInfo } from '../../index.js';
import { systemExec } from '../../collectors/exec.js';
import { readPidState } from '../../collectors/procfs/process-info.js';
import { sameProcess } from '../../views/tui/state.js';
import { msg, type Lang } from '../../explain/i18n.js';
import type { Protocol, Socket } from '../../model/socket.js';
import { formatEndpoint } from '../../model/socket.js';
import { commandText, holderText, nameText, unheldText } from '../../views/columns.js';
import { safeText } from '../../views/safe-text.js';
import { UsageError, parseArgs, parsePort } from '../args.js';
import { note, query, reportMissingNetns, type Io } from '../common.js';
import { isNetnsToken } from '../../collectors/netns/select.js';

/** Exit status when the port is still held, or the process still runs, afterwards. */
export const EXIT_STILL_HELD = 5;

export type KillTarget = { kind: 'port'; port: number; protocol?: Protocol } | { kind: 'pid'; pid: number };

/** ":3000", ":53/udp", "3000/tcp" → a port; "1234" → a pid. */
export function parseKillTarget(text: string): KillTarget {
  const port = /^:?(\d+)\/(tcp|udp)$/i.exec(text) ?? /^:(\d+)$/.exec(text);
  if (port) {
    const t: KillTarget = { kind: 'port', port: parsePort(port[1]!) };
    if (port[2]) t.protocol = port[2].toLowerCase() as Protocol;
    return t;
  }
  if (/^\d{1,10}$/.test(text)) {
    const pid = Number(text);
    if (pid >= 1 && pid <= 4194304) return { kind: 'pid', pid };
  }
  throw new UsageError('err.kill-target', { text });
}

/** "TERM", "sigterm", "SIGKILL", "9" → the signal's name; anything else is a usage error. */
export function parseSignal(text: string): NodeJS.Signals {
  const sigs = constants.signals as Record<string, number>;
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    const name = Object.keys(sigs).find((k) => sigs[k] === n);
    if (name) return name as NodeJS.Signals;
  } else {
    const up = text.toUpperCase();
    const name = up.startsWith('SIG') ? up : `SIG${up}`;
    if (name in sigs) return name as NodeJS.Signals;
  }
  throw new UsageError('err.kill-signal', { text });
}

/** One process to signal, as it was when it was named. */
interface Target {
  pid: number;
  name?: string;
  command?: string;
  user?: string;
  /** Start time (ticks since boot): the pid's identity on Linux. */
  startTicks?: number;
  /** Start time (ms since the epoch) where there is no /proc (ps lstart, Win32_Process CreationDate). */
  startedAt?: number;
  /** What it holds on the port (port mode). */
  sockets: Socket[];
}

/** What the pid is now: the same process, gone (or a zombie), another process, or unknown. */
export function identity(pid: number, startTicks: number | undefined, procRoot?: string): 'same' | 'gone' | 'reused' | 'unknown' {
  const now = readPidState(procRoot ?? '/proc', pid);
  return sameProcess(startTicks, now && !now.zombie ? now : undefined);
}

/**
 * identity() where there is no /proc: the start time the platform's collector
 * gives (macOS ps lstart, Windows Win32_Process CreationDate), compared with
 * the one read when the process was named.
 */
async function identityElsewhere(pid: number, startedAt: number | undefined): Promise<'same' | 'gone' | 'reused' | 'unknown'> {
  const now = await processInfo(pid);
  if (!now) return 'gone';
  if (startedAt === undefined || now.startedAt === undefined) return 'unknown';
  return now.startedAt === startedAt ? 'same' : 'reused';
}

/**
 * Windows has no signals: taskkill asks a process to close (WM_CLOSE to its
 * windows) or, with /F, ends it (TerminateProcess). So TERM is taskkill and
 * KILL is taskkill /F; any other signal is refused up front.
 */
async function taskkill(pid: number, force: boolean): Promise<{ ok: boolean; detail: string }> {
  const exec = defaultContext().exec ?? systemExec(30_000);
  const args = ['/PID', String(pid)];
  if (force) args.push('/F');
  try {
    const r = await exec('taskkill', args);
    // taskkill's own words (ERROR: ... Reason: ...), in the display language, on one line.
    const said = r.stdout.toString('utf8').trim().split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join(' ').replace(/\.$/, '');
    return { ok: r.code === 0, detail: said || `exit status ${r.code}` };
  } catch (e) {
    return { ok: false, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(question, resolve);
      // End of input (Ctrl-D) is a no.
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One socket a target holds, with that process's own fds on it. */
function socketText(s: Socket, pid: number): string {
  const proto = s.family === 'ipv6' ? `${s.protocol}6` : s.protocol;
  const fds = s.holders.filter((h) => h.pid === pid && h.fd !== undefined).map((h) => h.fd).join(',');
  return `${proto} ${formatEndpoint(s.localAddress, s.localPort)}${s.remotePort ? ' ↔ ' + formatEndpoint(s.remoteAddress, s.remotePort) : ''} ${s.state}${fds ? ` (fd ${fds})` : ''}`;
}

export async function killCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'signal', short: 's', value: true }, { name: 'yes', short: 'y' }, { name: 'dry-run' },
    { name: 'wait', value: true }, { name: 'help', short: 'h' }, { name: 'netns', value: true, repeat: true },
  ]);
  const L: Lang = io.global.lang;
  if (p.flags.has('help')) {
    await io.stdout.line(msg(L, 'help.kill'));
    return 0;
  }
  if (p.positionals.length !== 1) throw new UsageError('err.kill-args');
  const target = parseKillTarget(p.positionals[0]!);
  const signal = parseSignal(p.values.get('signal')?.[0] ?? 'TERM');
  const platform = currentPlatform();
  if (platform === 'win32' && signal !== 'SIGTERM' && signal !== 'SIGKILL') throw new UsageError('err.kill-signal-windows', { signal });
  /** What the pid is now: Linux reads /proc/PID/stat; elsewhere the collector's start time. */
  const whoIs = async (t: Target): Promise<'same' | 'gone' | 'reused' | 'unknown'> =>
    platform === 'linux' ? identity(t.pid, t.startTicks, procRoot) : identityElsewhere(t.pid, t.startedAt);
  const waitText = p.values.get('wait')?.[0] ?? '5';
  const waitS = /^\d+(\.\d+)?$/.test(waitText) ? Number(waitText) : NaN;
  if (!(waitS >= 0 && waitS <= 600)) throw new UsageError('err.kill-wait', { text: waitText });
  const yes = p.flags.has('yes');
  const dryRun = p.flags.has('dry-run');
  const interactive = process.stdin.isTTY === true;
  if (!yes && !dryRun && !interactive) throw new UsageError('err.kill-not-tty');
  const procRoot = io.global.procRoot;
  const out = io.stdout;
  // A port is a port of one network namespace: :8080 in a container's namespace does not
  // hold the host's 8080. Ours (`self`) unless --netns names others (as list's --netns).
  const netnsTokens = p.values.get('netns')?.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  for (const t of netnsTokens ?? []) if (!isNetnsToken(t)) throw new UsageError('netns.err.token', { text: t });
  const netns = netnsTokens?.length ? [...new Set(netnsTokens)] : platform === 'linux' && io.global.source !== 'lsof' ? ['self'] : undefined;
  if (netnsTokens?.length && reportMissingNetns(io, { netns })) return 1;

  /** The sockets on the port now (local port, exact), with their holders. */
  const onPort = async (port: number, protocol?: Protocol): Promise<Socket[]> => {
    const snap = await query(io, { filter: { ports: [port], all: true, protocols: protocol ? [protocol] : undefined, netns } });
    return snap.sockets.filter((s) => s.localPort === port);
  };

  // ---- who
  const targets = new Map<number, Target>();
  const add = async (pid: number, s?: Socket): Promise<void> => {
    let t = targets.get(pid);
    if (!t) {
      const info = await processInfo(pid, { procRoot });
      t = { pid, name: info?.name, command: info?.command, user: info?.user, startTicks: info?.startTicks, startedAt: info?.startedAt, sockets: [] };
      targets.set(pid, t);
    }
    if (s && !t.sockets.includes(s)) t.sockets.push(s);
  };
  let portLabel = '';
  if (target.kind === 'port') {
    portLabel = target.protocol ? `${target.port}/${target.protocol}` : String(target.port);
    const sockets = await onPort(target.port, target.protocol);
    for (const s of sockets) for (const h of s.holders) await add(h.pid, s);
    if (targets.size === 0) {
      // Nothing to signal: free, only kernel-kept sockets, or holders we cannot see.
      // Only what the kernel alone keeps (TIME_WAIT, a connection not yet accepted) means nothing to stop;
      // anything else without a visible holder is held by a process we cannot see or name.
      const hidden = sockets.filter((s) => s.unheldReason !== 'kernel' && s.unheldReason !== 'not-accepted');
      if (hidden.length) {
        note(io, msg(L, 'kill.port-hidden', { port: portLabel, n: hidden.length, reason: unheldText(hidden[0]!.unheldReason!, L) }));
        return EXIT_STILL_HELD;
      }
      const kernel = sockets.length;
      await out.line(kernel ? msg(L, 'kill.port-kernel-only', { port: portLabel, n: kernel }) : msg(L, 'kill.port-free', { port: portLabel }));
      await out.flush();
      return 1;
    }
  } else {
    if (target.pid === 1 || target.pid === process.pid || target.pid === process.ppid) throw new UsageError('err.kill-refuse-pid', { pid: target.pid });
    if (platform === 'win32' && target.pid === 4) throw new UsageError('err.kill-windows-system', { pid: 4 });
    const info = await processInfo(target.pid, { procRoot });
    if (!info) {
      await out.line(msg(L, 'kill.no-such-pid', { pid: target.pid }));
      await out.flush();
      return 1;
    }
    if (info.tgid !== undefined && info.tgid !== target.pid) throw new UsageError('err.kill-thread', { pid: target.pid, tgid: info.tgid });
    await add(target.pid);
    const snap = await query(io, { filter: { pids: [target.pid], all: true } });
    for (const s of snap.sockets) await add(target.pid, s);
  }
  for (const pid of targets.keys()) {
    if (pid === 1 || pid === process.pid) throw new UsageError('err.kill-refuse-pid', { pid });
    // PID 4 is the Windows kernel (HTTP.sys, SMB serve from it), 0 the idle pseudo-process: never a target.
    if (platform === 'win32' && (pid === 4 || pid === 0)) throw new UsageError('err.kill-windows-system', { pid });
  }

  // ---- say who, once
  const list = [...targets.values()];
  await out.line(target.kind === 'port'
    ? msg(L, 'kill.port-held', { port: portLabel, n: list.length })
    : msg(L, 'kill.pid-is', { pid: target.kind === 'pid' ? target.pid : 0 }));
  for (const t of list) {
    await out.line(`  ${t.pid}  ${nameText(t.name)}${t.user !== undefined ? `  (${safeText(t.user)})` : ''}${t.command ? '  ' + commandText(t.command, io.global.width === undefined ? undefined : Math.max(20, io.global.width - 30)) : ''}`);
    for (const s of t.sockets.slice(0, 5)) await out.line(`      ${socketText(s, t.pid)}`);
    if (t.sockets.length > 5) await out.line(`      ${msg(L, 'kill.more-sockets', { n: t.sockets.length - 5 })}`);
  }
  if (dryRun) {
    await out.line(msg(L, 'kill.dry-run', { signal, n: list.length }));
    await out.flush();
    return 0;
  }
  await out.flush();
  if (!yes && !(await ask(msg(L, 'kill.confirm', { signal, n: list.length }) + ' '))) {
    await out.line(msg(L, 'kill.cancelled'));
    await out.flush();
    return 1;
  }

  // ---- signal, each pid checked right before
  const send = async (sig: NodeJS.Signals, who: Target[]): Promise<Target[]> => {
    const sent: Target[] = [];
    for (const t of who) {
      const v = await whoIs(t);
      if (v === 'gone') { await out.line(msg(L, 'kill.already-gone', { pid: t.pid })); continue; }
      if (v === 'reused') { note(io, msg(L, 'kill.reused', { pid: t.pid, name: nameText(t.name) })); continue; }
      if (v === 'unknown') { note(io, msg(L, 'kill.unknown-start', { pid: t.pid })); continue; }
      if (platform === 'win32') {
        const r = await taskkill(t.pid, sig === 'SIGKILL');
        if (r.ok) {
          sent.push(t);
          await out.line(msg(L, 'kill.sent', { signal: sig === 'SIGKILL' ? 'taskkill /F' : 'taskkill', pid: t.pid, name: nameText(t.name) }));
        } else {
          note(io, msg(L, 'kill.failed', { pid: t.pid, code: safeText(r.detail) }));
          // Console programs and services ignore a polite close: say so, SIGKILL (taskkill /F) is offered next.
          if (sig !== 'SIGKILL') sent.push(t);
        }
        continue;
      }
      try {
        process.kill(t.pid, sig);
        sent.push(t);
        await out.line(msg(L, 'kill.sent', { signal: sig, pid: t.pid, name: nameText(t.name) }));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        if (code === 'ESRCH') await out.line(msg(L, 'kill.already-gone', { pid: t.pid }));
        else note(io, msg(L, 'kill.failed', { pid: t.pid, code }));
      }
    }
    await out.flush();
    return sent;
  };
  /** Wait (bounded) for the signalled processes to go; the ones still there. */
  const waitGone = async (who: Target[]): Promise<Target[]> => {
    const until = Date.now() + waitS * 1000;
    let alive = who;
    for (;;) {
      const still: Target[] = [];
      for (const t of alive) if (await whoIs(t) === 'same') still.push(t);
      alive = still;
      if (alive.length === 0 || Date.now() >= until) return alive;
      // Elsewhere each look runs a program (ps, PowerShell): look less often.
      await sleep(platform === 'linux' ? 100 : 500);
    }
  };

  let alive = await waitGone(await send(signal, list));
  if (alive.length && signal !== 'SIGKILL') {
    await out.line(msg(L, 'kill.still-running', { pids: alive.map((t) => t.pid).join(', '), seconds: waitS }));
    await out.flush();
    if (yes || (interactive && await ask(msg(L, 'kill.escalate', { n: alive.length }) + ' '))) {
      alive = await waitGone(await send('SIGKILL', alive));
    }
  }

  // ---- the answer: is it really free (or gone) now?
  if (target.kind === 'pid') {
    const left = await whoIs(targets.get(target.pid)!) === 'same';
    await out.line(left ? msg(L, 'kill.pid-still-running', { pid: target.pid }) : msg(L, 'kill.pid-gone', { pid: target.pid }));
    await out.flush();
    return left ? EXIT_STILL_HELD : 0;
  }
  // A port is free once no process holds a socket on it and nothing listens or
  // is bound there; TIME_WAIT and other sockets only the kernel keeps remain a
  // while and do not stop a server with SO_REUSEADDR from binding it.
  const isHeld = (s: Socket): boolean => s.holders.length > 0 || s.state === 'LISTEN' || s.state === 'UNCONN';
  let after = await onPort(target.port, target.protocol);
  let held = after.filter(isHeld);
  // A threaded process counts as gone once its leader is a zombie, while its last
  // thread may still be closing the files: give the kernel a moment (at most 1 s)
  // before calling the port held.
  for (let i = 0; i < 10 && held.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await onPort(target.port, target.protocol);
    held = after.filter(isHeld);
  }
  if (held.length) {
    const holders = [...new Set(held.flatMap((s) => s.holders.map((h) => holderText(h, L))))];
    await out.line(msg(L, 'kill.port-still-held', { port: portLabel, holders: holders.join(', ') || msg(L, 'kill.unseen-holder') }));
    await out.flush();
    return EXIT_STILL_HELD;
  }
  await out.line(after.length ? msg(L, 'kill.port-freed-kernel', { port: portLabel, n: after.length }) : msg(L, 'kill.port-freed', { port: portLabel }));
  await out.flush();
  return 0;
}

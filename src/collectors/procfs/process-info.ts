// Name, command line and owner of a process, read once per process that
// actually holds a shown socket. Example inputs:
//   /proc/3977/comm     "node\n"
//   /proc/3977/cmdline  "node\0server.js\0"
//   /proc/3977/status   "...\nUid:\t1000\t1000\t1000\t1000\n..."
//   /etc/passwd         "root:x:0:0:root:/root:/bin/bash"
import { readFileSync } from 'node:fs';

export interface ProcessInfo {
  name?: string;
  command?: string;
  uid?: number;
  user?: string;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat): tells a reused pid apart. */
  startTicks?: number;
}

/** Parse /etc/passwd text into uid -> name. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    const uid = Number(parts[2]);
    if (parts.length >= 3 && parts[0] && Number.isInteger(uid) && !users.has(uid)) users.set(uid, parts[0]);
  }
  return users;
}

/** The real uid from the text of /proc/PID/status. */
export function parseStatusUid(text: string): number | undefined {
  const i = text.indexOf('\nUid:');
  if (i < 0) return undefined;
  const m = /^\s*(\d+)/.exec(text.slice(i + 5, i + 40));
  return m ? Number(m[1]) : undefined;
}

/** Start time (ticks since boot) from the text of /proc/PID/stat; the name may hold spaces and parens. */
export function parseStatStart(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // Fields after the name start at field 3 (state); starttime is field 22.
  const rest = text.slice(close + 2).split(' ');
  const v = Number(rest[22 - 3]);
  return Number.isFinite(v) ? v : undefined;
}

/** Join a NUL-separated cmdline into one line; empty for kernel threads. */
export function formatCmdline(raw: string): string {
  let s = raw;
  if (s.endsWith('\0')) s = s.slice(0, -1);
  return s.split('\0').join(' ');
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Reads and caches process details for one scan. */
export class ProcessTable {
  private readonly cache = new Map<number, ProcessInfo>();
  private users: Map<number, string> | undefined;

  constructor(private readonly procRoot: string, private readonly passwdPath: string) {}

  userName(uid: number): string {
    if (!this.users) {
      const text = tryRead(this.passwdPath);
      this.users = text ? parsePasswd(text) : new Map();
    }
    return this.users.get(uid) ?? String(uid);
  }

  get(pid: number): ProcessInfo {
    let info = this.cache.get(pid);
    if (info) return info;
    info = {};
    const base = `${this.procRoot}/${pid}`;
    const comm = tryRead(`${base}/comm`);
    if (comm !== undefined) info.name = comm.replace(/\n$/, '');
    const cmd = tryRead(`${base}/cmdline`);
    if (cmd !== undefined) {
      const line = formatCmdline(cmd);
      // Kernel threads have an empty cmdline; ps shows their name in brackets.
      info.command = line !== '' ? line : info.name !== undefined ? `[${info.name}]` : '';
    }
    const status = tryRead(`${base}/status`);
    const uid = status !== undefined ? parseStatusUid(status) : undefined;
    if (uid !== undefined) {
      info.uid = uid;
      info.user = this.userName(uid);
    }
    const stat = tryRead(`${base}/stat`);
    if (stat !== undefined) {
      const st = parseStatStart(stat);
      if (st !== undefined) info.startTicks = st;
    }
    this.cache.set(pid, info);
    return info;
  }
}

/** Details of one process, or undefined when no such process is visible. */
export function lookupProcess(procRoot: string, passwdPath: string, pid: number): ProcessInfo | undefined {
  const info = new ProcessTable(procRoot, passwdPath).get(pid);
  return info.name === undefined && info.command === undefined && info.uid === undefined ? undefined : info;
}

/**
 * Pids of processes named `name` (comm, case-insensitive); when none has that
 * name, those whose command line contains it (as `pgrep -f`). `exclude` keeps
 * ourselves (and the npx that started us) out of the command-line match.
 */
export function findProcesses(procRoot: string, name: string, pids: readonly number[], exclude: readonly number[]): number[] {
  const want = name.toLowerCase();
  const byName: number[] = [];
  const byCommand: number[] = [];
  for (const pid of pids) {
    if (exclude.includes(pid)) continue;
    const comm = tryRead(`${procRoot}/${pid}/comm`);
    if (comm === undefined) continue;
    if (comm.replace(/\n$/, '').toLowerCase() === want) {
      byName.push(pid);
      continue;
    }
    if (byName.length) continue;
    const cmd = tryRead(`${procRoot}/${pid}/cmdline`);
    if (cmd !== undefined && formatCmdline(cmd).toLowerCase().includes(want)) byCommand.push(pid);
  }
  return byName.length ? byName : byCommand;
}

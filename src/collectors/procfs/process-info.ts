// Name, command line and owner of a process, read once per process that
// actually holds a shown socket. Example inputs:
//   /proc/3977/comm     "node\n"
//   /proc/3977/cmdline  "node\0server.js\0"
//   /proc/3977/status   "...\nUid:\t1000\t1000\t1000\t1000\n..."
//   /etc/passwd         "root:x:0:0:root:/root:/bin/bash"
// Names are bytes: comm, cmdline and passwd are decoded as UTF-8 with every
// invalid byte kept (decodeProcBytes), so "café-srv" and "服务器" read as written.
// Every read is bounded (collectors/bounded-read.ts): a recorded tree whose
// cmdline is 300 MB or whose comm is a symlink to /dev/zero costs at most the cap.
import { existsSync, readdirSync } from 'node:fs';
import type { ScanIssue } from '../../model/snapshot.js';
import type { ContainerRef, Holder } from '../../model/socket.js';
import { CAPS, capText, readBounded } from '../bounded-read.js';
import { OwnerResolver } from '../netns/cgroup.js';
import { decodeProcBytes } from '../proc-text.js';

export interface ProcessInfo {
  name?: string;
  command?: string;
  uid?: number;
  user?: string;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat): tells a reused pid apart. */
  startTicks?: number;
  /**
   * The process this id belongs to (Tgid in /proc/PID/status). Another number
   * means PID is a thread: /proc/<tid> is readable by path though never listed.
   */
  tgid?: number;
  /** The container it runs in, from /proc/PID/cgroup (named from the runtime's records when they are readable). */
  container?: ContainerRef;
  /** Its systemd unit, from /proc/PID/cgroup. */
  unit?: string;
}

/** uid_t is 32 bits; (uid_t)-1 is "no uid". */
const MAX_UID = 0xfffffffe;

/** Parse /etc/passwd text into uid -> name. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    const uid = parts.length >= 3 && /^\d{1,10}$/.test(parts[2]!) ? Number(parts[2]) : NaN;
    if (parts[0] && uid <= MAX_UID && !users.has(uid)) users.set(uid, parts[0]);
  }
  return users;
}

/** The real uid from the text of /proc/PID/status; undefined when absent or out of range. */
export function parseStatusUid(text: string): number | undefined {
  const i = text.indexOf('\nUid:');
  if (i < 0) return undefined;
  const m = /^[ \t]*(\d{1,10})(?:\s|$)/.exec(text.slice(i + 5, i + 40));
  const uid = m ? Number(m[1]) : NaN;
  return uid <= MAX_UID ? uid : undefined;
}

/** The thread group id (the process) from the text of /proc/PID/status; undefined when absent or out of range. */
export function parseStatusTgid(text: string): number | undefined {
  const i = text.indexOf('Tgid:');
  if (i < 0 || (i > 0 && text[i - 1] !== '\n')) return undefined;
  const m = /^[ \t]*(\d{1,10})(?:\s|$)/.exec(text.slice(i + 5, i + 40));
  const v = m ? Number(m[1]) : NaN;
  return v <= 4194304 ? v : undefined;
}

/** Start time (ticks since boot) from the text of /proc/PID/stat; the name may hold spaces and parens. */
export function parseStatStart(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // Fields after the name start at field 3 (state); starttime is field 22.
  const rest = text.slice(close + 2).split(' ');
  const f = rest[22 - 3];
  const v = f !== undefined && /^\d{1,16}$/.test(f) ? Number(f) : NaN;
  return Number.isSafeInteger(v) ? v : undefined;
}

/**
 * What /proc/PID/stat says of a pid's life, from one bounded read: whether it
 * is a zombie (exited, only its parent's wait() missing) and its start time,
 * which tells a reused pid apart. Undefined when there is no such process.
 */
export function readPidState(procRoot: string, pid: number): { zombie: boolean; startTicks?: number } | undefined {
  let text: string;
  try {
    text = readBounded(`${procRoot}/${pid}/stat`, CAPS.status).bytes.toString('latin1');
  } catch {
    return undefined;
  }
  const state = text[text.lastIndexOf(')') + 2];
  return { zombie: state === 'Z' || state === 'X', startTicks: parseStatStart(text) };
}

/** Join a NUL-separated cmdline into one line; empty for kernel threads. */
export function formatCmdline(raw: string): string {
  let s = raw;
  if (s.endsWith('\0')) s = s.slice(0, -1);
  return s.split('\0').join(' ');
}

/** Read failures that say nothing about the tree: the process went away, or is not ours to read. */
const ORDINARY = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM']);

/**
 * A bounded read of a small file of the proc tree, decoded by `decode`; undefined
 * when it cannot be read. Anything but an ordinary failure (a symlink loop, a
 * device, a directory, EIO) and a file past its cap become issues.
 */
function readText(path: string, cap: number, issues: ScanIssue[] | undefined, decode: (b: Buffer) => string):
  { text: string; truncated: boolean } | undefined {
  try {
    const r = readBounded(path, cap);
    if (r.truncated) issues?.push({ kind: 'truncated', subject: path, detail: capText(cap) });
    return { text: decode(r.bytes), truncated: r.truncated };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (!ORDINARY.has(code)) issues?.push({ kind: 'source-error', subject: path, detail: code });
    return undefined;
  }
}

const latin1 = (b: Buffer): string => b.toString('latin1');

/** The name in /proc/PID/comm (without its newline), decoded; undefined when unreadable. */
function readComm(base: string, issues?: ScanIssue[]): string | undefined {
  const r = readText(`${base}/comm`, CAPS.comm, issues, decodeProcBytes);
  if (!r) return undefined;
  const name = r.text.endsWith('\n') ? r.text.slice(0, -1) : r.text;
  return r.truncated ? name + '\u2026' : name;
}

/** /proc/PID/cmdline joined with spaces, decoded; a cut one ends with "…"; undefined when unreadable. */
function readCmdline(base: string, issues?: ScanIssue[]): string | undefined {
  const r = readText(`${base}/cmdline`, CAPS.cmdline, issues, decodeProcBytes);
  if (!r) return undefined;
  const line = formatCmdline(r.text);
  return r.truncated ? line + '\u2026' : line;
}

/** The holder record of one (pid, fd) from what is known of the process: the table's and the live tracker's. */
export function holderOf(pid: number, fd: number, p: ProcessInfo): Holder {
  const h: Holder = { pid, fd };
  if (p.name !== undefined) h.name = p.name;
  if (p.command !== undefined) h.command = p.command;
  if (p.user !== undefined) h.user = p.user;
  if (p.uid !== undefined) h.uid = p.uid;
  if (p.container !== undefined) h.container = p.container;
  if (p.unit !== undefined) h.unit = p.unit;
  return h;
}

/** Reads and caches process details for one scan. */
export class ProcessTable {
  private readonly cache = new Map<number, ProcessInfo>();
  private users: Map<number, string> | undefined;
  private owners: OwnerResolver | undefined;
  /** What could not be read as it should (symlink loops, devices, files past their cap). */
  readonly issues: ScanIssue[] = [];

  /** `owners`: a resolver to share (the netns reader names a namespace's container with the same one). */
  /** `readStart`: false when no caller needs ProcessInfo.startTicks (one read of /proc/PID/stat fewer per process). */
  constructor(private readonly procRoot: string, private readonly passwdPath: string, owners?: OwnerResolver, private readonly readStart = true) {
    this.owners = owners;
  }

  /** The unit and container resolver of this table (one per scan: state files read once). */
  get ownerResolver(): OwnerResolver {
    return (this.owners ??= new OwnerResolver(this.procRoot));
  }

  userName(uid: number): string {
    if (!this.users) {
      const r = readText(this.passwdPath, CAPS.passwd, this.issues, decodeProcBytes);
      // A cut file ends mid-line: keep whole lines only (the cut is an issue already).
      const text = r ? (r.truncated ? r.text.slice(0, r.text.lastIndexOf('\n') + 1) : r.text) : undefined;
      this.users = text ? parsePasswd(text) : new Map();
    }
    return this.users.get(uid) ?? String(uid);
  }

  /** The holder record of one (pid, fd): the process's name, command line and user, when readable. */
  holder(pid: number, fd: number): Holder {
    return holderOf(pid, fd, this.get(pid));
  }

  get(pid: number): ProcessInfo {
    let info = this.cache.get(pid);
    if (info) return info;
    info = {};
    const base = `${this.procRoot}/${pid}`;
    const comm = readComm(base, this.issues);
    if (comm !== undefined) info.name = comm;
    const cmd = readCmdline(base, this.issues);
    if (cmd !== undefined) {
      // Kernel threads have an empty cmdline; ps shows their name in brackets.
      info.command = cmd !== '' ? cmd : info.name !== undefined ? `[${info.name}]` : '';
    }
    const status = readText(`${base}/status`, CAPS.status, this.issues, latin1);
    const uid = status !== undefined ? parseStatusUid(status.text) : undefined;
    const tgid = status !== undefined ? parseStatusTgid(status.text) : undefined;
    if (tgid !== undefined) info.tgid = tgid;
    if (uid !== undefined) {
      info.uid = uid;
      info.user = this.userName(uid);
    } else if (status !== undefined && status.text.includes('\nUid:')) {
      this.issues.push({ kind: 'parse-error', subject: `${base}/status`, detail: 'Uid', reason: 'out-of-range' });
    }
    const stat = this.readStart ? readText(`${base}/stat`, CAPS.status, this.issues, latin1) : undefined;
    if (stat !== undefined) {
      const st = parseStatStart(stat.text);
      if (st !== undefined) info.startTicks = st;
    }
    // One bounded read of /proc/PID/cgroup; containers are named once per scan.
    const owner = this.ownerResolver.ownerOf(pid);
    if (owner.container) info.container = owner.container;
    if (owner.unit !== undefined) info.unit = owner.unit;
    this.cache.set(pid, info);
    return info;
  }
}

/**
 * Details of one process, or undefined when no such process is visible. A process
 * whose files are all closed to us (hidepid=noaccess) is visible: its details are empty.
 */
export function lookupProcess(procRoot: string, passwdPath: string, pid: number): ProcessInfo | undefined {
  const info = new ProcessTable(procRoot, passwdPath).get(pid);
  if (info.name !== undefined || info.command !== undefined || info.uid !== undefined) return info;
  return existsSync(`${procRoot}/${pid}`) ? info : undefined;
}

/** Case-folded, composed form of a name, so "CAFÉ", "café" and "cafe\u0301" compare equal. */
export function foldName(text: string): string {
  return text.normalize('NFC').toLowerCase();
}

/**
 * Pids of processes named `name` (comm, case-insensitive, any script); when none
 * has that name, those whose command line contains it (as `pgrep -f`). `exclude`
 * keeps ourselves (and the npx that started us) out of the command-line match.
 */
export function findProcesses(procRoot: string, name: string, pids: readonly number[], exclude: readonly number[]): number[] {
  const want = foldName(name);
  const byName: number[] = [];
  const byCommand: number[] = [];
  for (const pid of pids) {
    if (exclude.includes(pid)) continue;
    const base = `${procRoot}/${pid}`;
    const comm = readComm(base);
    if (comm === undefined) continue;
    if (foldName(comm) === want) {
      byName.push(pid);
      continue;
    }
    if (byName.length) continue;
    const cmd = readCmdline(base);
    if (cmd !== undefined && foldName(cmd).includes(want)) byCommand.push(pid);
  }
  return byName.length ? byName : byCommand;
}

/** Largest pid Linux hands out (PID_MAX_LIMIT, include/linux/threads.h). */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;

/**
 * Entries of a recorded proc root that look like pids but are out of range
 * (a directory "100000000000000000000"): they are skipped by the scan, and said.
 */
export function oddPidEntries(procRoot: string): ScanIssue[] {
  const out: ScanIssue[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    if (name.length > 7 || Number(name) > PID_MAX_LIMIT || Number(name) < 1) {
      out.push({ kind: 'parse-error', subject: `${procRoot}/${name}`, detail: name.slice(0, 40), reason: 'out-of-range' });
    }
  }
  return out;
}

// The Windows collector, from what every Windows ships (no admin rights, no
// install): `netstat -ano` for the sockets and their owning pid, read by the
// same parser as pasted output (any display language, OEM code page or
// UTF-16), and `tasklist /fo csv /nh` for the process names. Example lines:
//   TCP    127.0.0.1:65001        0.0.0.0:0              LISTENING       5124
//   "nvcontainer.exe","5124","Services","0","37,828 K"
// tasklist lists every process in ~0.1 s; PowerShell (Get-CimInstance
// Win32_Process) takes about a second to start, so it is asked only for one
// process's details (`pid`, `process`, `kill`): command line, parent and start
// time, which tasklist does not give.
// What Windows does not tell this way is absent, never invented: file
// descriptors (Windows has handles, and netstat names none), queues, listen
// backlogs, the socket's owner uid and inode. PID 4 is the kernel ("System":
// HTTP.sys and SMB listen there) and PID 0 the idle pseudo-process that
// TIME_WAIT rows are charged to (no holder, kernel-kept).
import type { Collector, CollectOptions, CollectorContext, ProcessInfo } from './collector.js';
import type { Exec } from './exec.js';
import { systemExec } from './exec.js';
import type { AbsentField, ScanIssue, Snapshot } from '../model/snapshot.js';
import type { RawSocket, Socket } from '../model/socket.js';
import { decodeBytes, normalizeText } from './text/decode.js';
import { parseWindowsNetstat } from './text/windows-netstat.js';
import { foldName } from './procfs/process-info.js';

/** What this source never gives (docs/platforms.md). */
export const WINDOWS_ABSENT: AbsentField[] = ['fd', 'uid', 'inode', 'queues', 'backlog'];

/** Bytes of a Windows program's output → text (console code page, UTF-8 or UTF-16). */
function text(b: Buffer): string {
  return normalizeText(decodeBytes(b).text);
}

/** One CSV line of tasklist into its fields; undefined when it is not one ("INFO: ...", in the display language). */
export function splitCsvLine(line: string): string[] | undefined {
  if (!line.startsWith('"')) return undefined;
  const fields: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '"') return undefined;
    let v = '';
    i++;
    for (;;) {
      const q = line.indexOf('"', i);
      if (q < 0) return undefined;
      v += line.slice(i, q);
      if (line[q + 1] === '"') { v += '"'; i = q + 2; continue; }
      i = q + 1;
      break;
    }
    fields.push(v);
    if (i === line.length) break;
    if (line[i] !== ',') return undefined;
    i++;
  }
  return fields;
}

/**
 * `tasklist /fo csv /nh` → pid → image name. The memory column holds the
 * locale's thousands separator (`"1,234 K"`, `"84 496 K"`), inside the quotes;
 * with no process to list tasklist prints one localized INFO line instead.
 */
export function parseTasklistCsv(out: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const raw of out.split(/\r?\n|\r/)) {
    const f = splitCsvLine(raw.trim());
    if (!f || f.length < 2 || !/^\d{1,10}$/.test(f[1]!)) continue;
    names.set(Number(f[1]), f[0]!);
  }
  return names;
}

/** PowerShell 5.1 writes a DateTime as "\/Date(ms)\/", PowerShell 7 as ISO 8601: either → ms since the epoch. */
export function parseCimDate(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/.exec(v);
  if (m) return Number(m[1]);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(v)) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/**
 * The JSON of `Get-CimInstance Win32_Process ... | Select-Object
 * ProcessId,Name,CommandLine,ParentProcessId,CreationDate | ConvertTo-Json -Compress`
 * (one object, or an array when several match) → the process with that pid.
 * CommandLine is null for processes of other users without elevation: then absent.
 */
export function parseCimProcess(out: string, pid: number): ProcessInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(out.trim() === '' ? 'null' : out);
  } catch {
    return undefined;
  }
  const list = Array.isArray(v) ? v : [v];
  for (const o of list) {
    if (typeof o !== 'object' || o === null) continue;
    const r = o as Record<string, unknown>;
    if (r['ProcessId'] !== pid) continue;
    const info: ProcessInfo = {};
    if (typeof r['Name'] === 'string') info.name = r['Name'];
    if (typeof r['CommandLine'] === 'string' && r['CommandLine'] !== '') info.command = r['CommandLine'];
    if (typeof r['ParentProcessId'] === 'number') info.ppid = r['ParentProcessId'];
    const started = parseCimDate(r['CreationDate']);
    if (started !== undefined) info.startedAt = started;
    return info;
  }
  return undefined;
}

/** The PowerShell arguments that print one process as JSON (pid is a checked integer: nothing else reaches the script). */
export function cimArgs(pid: number): string[] {
  if (!Number.isSafeInteger(pid) || pid < 0) throw new RangeError(`not a pid: ${pid}`);
  return ['-NoProfile', '-NonInteractive', '-Command',
    // UTF-8 out, or non-ASCII command lines come through the console code page mangled.
    `[Console]::OutputEncoding=[Text.Encoding]::UTF8; Get-CimInstance Win32_Process -Filter "ProcessId=${pid}" | ` +
    'Select-Object ProcessId,Name,CommandLine,ParentProcessId,CreationDate | ConvertTo-Json -Compress'];
}

export class WindowsCollector implements Collector {
  readonly name = 'windows';
  private readonly exec: Exec;

  constructor(private readonly ctx: CollectorContext) {
    this.exec = ctx.exec ?? systemExec();
  }

  /** pid → image name, or the reason there is none. */
  private async names(): Promise<Map<number, string> | ScanIssue> {
    try {
      const r = await this.exec('tasklist', ['/fo', 'csv', '/nh']);
      return parseTasklistCsv(text(r.stdout));
    } catch (e) {
      return { kind: 'tool-error', subject: 'tasklist /fo csv /nh', detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  }

  async collect(opts: CollectOptions = {}): Promise<Snapshot> {
    const takenAt = this.ctx.now();
    const issues: ScanIssue[] = [];
    const [ns, names] = await Promise.all([this.exec('netstat', ['-ano']), opts.holders === false ? undefined : this.names()]);
    if (ns.code !== 0) throw new Error(`netstat -ano failed (exit status ${ns.code})`);
    const parsed = parseWindowsNetstat(text(ns.stdout));
    for (const u of parsed.unreadable) issues.push({ kind: 'parse-error', subject: `netstat -ano:${u.line}`, detail: u.text.trim().slice(0, 120), reason: u.reason ?? 'malformed' });
    if (names && !(names instanceof Map)) issues.push(names);
    const keep = (s: RawSocket): boolean =>
      (!opts.protocols || opts.protocols.includes(s.protocol)) &&
      (!opts.families || opts.families.includes(s.family)) &&
      (!opts.select || opts.select(s));
    const sockets: Socket[] = [];
    const unnamed = new Set<number>();
    for (const row of parsed.rows) {
      const s = row.socket;
      if (!keep(s)) continue;
      if (opts.pids && !s.holders.some((h) => opts.pids!.includes(h.pid))) continue;
      if (opts.holders === false) {
        s.holders = [];
        s.unheldReason = 'unknown';
      } else if (names instanceof Map) {
        for (const h of s.holders) {
          const n = names.get(h.pid);
          if (n !== undefined) h.name = n;
          // Gone between netstat and tasklist: its pid stays, its name is unknown.
          else if (h.pid !== 4) unnamed.add(h.pid);
        }
      }
      sockets.push(s);
    }
    if (unnamed.size) {
      issues.push({ kind: 'process-exited', subject: 'tasklist', detail: [...unnamed].join(', ') });
    }
    return {
      takenAt, source: 'windows-netstat', backlogKnown: false, privileged: false,
      sockets, unreadableProcesses: 0, issues, absent: [...WINDOWS_ABSENT],
    };
  }

  async processInfo(pid: number): Promise<ProcessInfo | undefined> {
    // The two the kernel owns: no process behind them to ask about.
    if (pid === 4) return { name: 'System' };
    if (pid === 0) return { name: 'System Idle Process' };
    try {
      const r = await this.exec('powershell.exe', cimArgs(pid));
      const info = parseCimProcess(text(r.stdout), pid);
      if (info) return info;
      if (r.code === 0) return undefined;
    } catch {
      // No PowerShell (or blocked by policy): tasklist still names the process.
    }
    const names = await this.names();
    if (!(names instanceof Map)) return undefined;
    const name = names.get(pid);
    return name === undefined ? undefined : { name };
  }

  async findProcesses(name: string, exclude: readonly number[]): Promise<number[]> {
    const names = await this.names();
    if (!(names instanceof Map)) throw new Error(`tasklist could not run: ${names.detail}`);
    // "node" finds node.exe, as people type it.
    const want = foldName(name);
    const out: number[] = [];
    for (const [pid, n] of names) {
      if (exclude.includes(pid)) continue;
      const f = foldName(n);
      if (f === want || f === `${want}.exe`) out.push(pid);
    }
    return out;
  }
}

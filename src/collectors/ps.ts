// Process details from ps(1), for the collectors of platforms without /proc
// (macOS, the BSDs; lsof anywhere). The keywords used (pid, ppid, uid, user,
// lstart, comm, args) are POSIX or common to BSD and procps ps, so the same
// reader is tested live on Linux. Example output of
//   ps -p 1234 -o pid=,ppid=,uid=,user=,lstart=,comm=
//   " 1234     1   501 ouyang   Sun Nov 29 13:50:30 2026 /usr/local/bin/node"
// comm (macOS: the executable's path) and args may hold spaces, so each is
// asked for last, in its own call: nothing after it to mistake it for.
import type { Exec } from './exec.js';
import type { ProcessInfo } from './collector.js';
import { foldName } from './procfs/process-info.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Sun Nov 29 13:50:30 2026" (ps lstart, local time) → ms since the epoch; undefined in another form (a localized ps). */
export function parseLstart(text: string): number | undefined {
  const m = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  const t = new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** One line of `ps -o pid=,ppid=,uid=,user=,lstart=,comm=`; undefined when it is not one. */
export function parsePsInfoLine(line: string): (ProcessInfo & { pid: number }) | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+(\d{1,10})\s+(\S+)\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s(.*)$/.exec(line);
  if (!m) return undefined;
  const info: ProcessInfo & { pid: number } = { pid: Number(m[1]), ppid: Number(m[2]), uid: Number(m[3]), user: m[4]! };
  const started = parseLstart(m[5]!);
  if (started !== undefined) info.startedAt = started;
  const comm = m[6]!.trim();
  // macOS prints the executable's path; the name is its last part.
  if (comm !== '') info.name = comm.includes('/') ? comm.slice(comm.lastIndexOf('/') + 1) : comm;
  return info;
}

/**
 * `pid` as ps sees it: details, or undefined when there is no such process.
 * Rejects when ps cannot run at all (the caller then says so).
 */
export async function psProcessInfo(exec: Exec, pid: number): Promise<ProcessInfo | undefined> {
  const r = await exec('ps', ['-p', String(pid), '-o', 'pid=,ppid=,uid=,user=,lstart=,comm=']);
  const line = r.stdout.toString('utf8').split('\n').find((l) => l.trim() !== '');
  const info = line === undefined ? undefined : parsePsInfoLine(line);
  if (!info || info.pid !== pid) return undefined;
  const a = await exec('ps', ['-p', String(pid), '-o', 'args=']);
  const args = a.stdout.toString('utf8').split('\n').find((l) => l.trim() !== '');
  if (args !== undefined) info.command = args.trim();
  const { pid: _pid, ...rest } = info;
  return rest;
}

/** Lines of `ps -A -o pid=,X=` → [pid, X]. */
export function parsePsList(text: string): [number, string][] {
  const out: [number, string][] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d{1,10})\s(.*)$/.exec(line);
    if (m) out.push([Number(m[1]), m[2]!.trim()]);
  }
  return out;
}

/** Pids whose name is `name` (case-insensitive), else whose command line contains it, as ps lists them. */
export async function psFindProcesses(exec: Exec, name: string, exclude: readonly number[]): Promise<number[]> {
  const want = foldName(name);
  const base = (c: string): string => (c.includes('/') ? c.slice(c.lastIndexOf('/') + 1) : c);
  const names = parsePsList((await exec('ps', ['-A', '-o', 'pid=,comm='])).stdout.toString('utf8'));
  const byName = names.filter(([pid, c]) => !exclude.includes(pid) && foldName(base(c)) === want).map(([pid]) => pid);
  if (byName.length) return byName;
  const cmds = parsePsList((await exec('ps', ['-A', '-o', 'pid=,args='])).stdout.toString('utf8'));
  return cmds.filter(([pid, c]) => !exclude.includes(pid) && foldName(c).includes(want)).map(([pid]) => pid);
}

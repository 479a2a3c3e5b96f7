// Is the proc file system we read mounted with `hidepid`? Then other users'
// processes are not merely unreadable: they are absent from the listing
// (hidepid=2 / invisible) or their directories are closed (1 / noaccess), so a
// socket they hold looks ownerless and `pid N` would wrongly say "no process".
// See Documentation/filesystems/proc.rst, "Mount options". The options are per
// mount since Linux 5.8 and appear among the super options of mountinfo, e.g.
//   25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw,hidepid=invisible,gid=27
import { realpathSync } from 'node:fs';
import { CAPS, readBounded } from '../bounded-read.js';

export interface Hidepid {
  /** The option as the kernel prints it: "hidepid=2", "hidepid=invisible", ... */
  option: string;
  /** Whether it hides anything from us (not root, not in the exempt gid, not "off"). */
  hides: boolean;
}

/** mountinfo escapes blanks and backslashes in paths as octal (\040, \011, \012, \134). */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The proc mount at `mountPoint` in mountinfo text: its hidepid and gid options,
 * or undefined when no proc file system is mounted there.
 */
export function procMountOptions(mountinfo: string, mountPoint: string): { hidepid?: string; gid?: number } | undefined {
  let found: { hidepid?: string; gid?: number } | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const before = line.slice(0, sep).split(' ');
    const after = line.slice(sep + 3).split(' ');
    if (before.length < 6 || after[0] !== 'proc' || unescapeMountPath(before[4]!) !== mountPoint) continue;
    // The last mount on a point is the one visible: keep looking.
    const opts: { hidepid?: string; gid?: number } = {};
    for (const o of (after[2] ?? '').split(',')) {
      if (o.startsWith('hidepid=')) opts.hidepid = o.slice(8);
      else if (/^gid=\d{1,10}$/.test(o)) opts.gid = Number(o.slice(4));
    }
    found = opts;
  }
  return found;
}

/**
 * hidepid of the proc file system at `procRoot`, read from `<procRoot>/self/mountinfo`
 * (our own mount table, whichever proc mount we read it through). Undefined when
 * it is not a proc mount (a recorded tree) or has no hidepid.
 */
export function detectHidepid(procRoot: string, euid: number, groups: readonly number[] = ownGroups()): Hidepid | undefined {
  let mountPoint: string;
  let text: string;
  try {
    mountPoint = realpathSync(procRoot);
    text = readBounded(`${procRoot}/self/mountinfo`, CAPS.counters).bytes.toString('utf8');
  } catch {
    return undefined;
  }
  const opts = procMountOptions(text, mountPoint);
  if (!opts?.hidepid) return undefined;
  const off = opts.hidepid === '0' || opts.hidepid === 'off';
  // Root passes the kernel's ptrace check; members of the gid= group are exempt.
  const exempt = euid === 0 || (opts.gid !== undefined && groups.includes(opts.gid));
  return { option: `hidepid=${opts.hidepid}`, hides: !off && !exempt };
}

function ownGroups(): number[] {
  const groups = typeof process.getgroups === 'function' ? process.getgroups() : [];
  const egid = typeof process.getegid === 'function' ? process.getegid() : undefined;
  return egid === undefined ? groups : [...groups, egid];
}

/**
 * Whether a pid that `procRoot` does not show exists anyway: signal 0 checks for
 * existence without sending anything, and EPERM means "exists, not yours".
 * Only meaningful when procRoot is a proc mount of our own pid namespace.
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

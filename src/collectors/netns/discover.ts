// Which network namespaces the machine has, and which processes live in each.
// Sources, all read-only:
//  - /proc/<pid>/ns/net of every visible process: a symlink whose text names the
//    namespace by the inode of its nsfs file, e.g. "net:[4026532301]";
//  - bind mounts that keep a namespace alive without a process: `ip netns add`
//    (/run/netns/NAME, also seen as /var/run/netns), Docker (/run/docker/netns/<id>),
//    rootless Podman (/run/user/<uid>/netns/netns-<uuid>). stat() of such a file
//    gives the namespace's inode; statfs() tells it is nsfs (NSFS_MAGIC), so a
//    stale empty file left by a crash is no namespace.
// The host's namespace is pid 1's; when pid 1's link cannot be read (an init
// hardened against inspection, or no root), ours stands in for it.
// See namespaces(7), network_namespaces(7), ip-netns(8).
import { lstatSync, readdirSync, readlinkSync, statSync, statfsSync } from 'node:fs';
import { listPids } from '../procfs/holders.js';

/** statfs(2) f_type of the nsfs file system (include/uapi/linux/magic.h). */
const NSFS_MAGIC = 0x6e736673;

/** Directories where namespaces are kept alive by bind mounts, and who keeps them. */
export const NETNS_DIRS: readonly { dir: string; source: NetnsNameSource }[] = [
  { dir: '/run/netns', source: 'ip-netns' },
  { dir: '/var/run/netns', source: 'ip-netns' },
  { dir: '/run/docker/netns', source: 'docker' },
  { dir: '/var/run/docker/netns', source: 'docker' },
  // rootless Podman, one directory per user: /run/user/<uid>/netns
  { dir: '/run/user/*/netns', source: 'podman' },
];

/** Who named a namespace. */
export type NetnsNameSource = 'ip-netns' | 'docker' | 'podman';

/** One namespace found. */
export interface FoundNetns {
  inode: number;
  /** Its name where a bind mount names it (the mount's file name). */
  name?: string;
  nameSource?: NetnsNameSource;
  /** A bind mount of it (a path that setns(2) can open without a process). */
  mount?: string;
  /** Visible processes in it, in pid order. */
  pids: number[];
  /** The namespace of pid 1 (or ours when pid 1's is unreadable). */
  host: boolean;
}

export interface NetnsDiscovery {
  /** Every namespace found, the host's first, then by inode. */
  namespaces: FoundNetns[];
  /** The inode of the host's namespace, when known. */
  host?: number;
  /** The inode of our own namespace, when known (the one our netlink sockets see). */
  own?: number;
  /** pid -> namespace inode, for every process whose link could be read. */
  byPid: Map<number, number>;
  /** Processes whose link could not be read (EACCES: an init or another user's process without root). */
  unreadable: number;
}

export interface DiscoverOptions {
  /** Bind-mount directories to look in (default NETNS_DIRS); `*` matches one path component. */
  dirs?: readonly { dir: string; source: NetnsNameSource }[];
  /** Pids to look at (default: every pid under the proc root). */
  pids?: readonly number[];
}

/** Most namespaces taken from bind-mount directories, and entries read per directory: bounded whatever a directory holds. */
const MAX_MOUNT_ENTRIES = 4096;

/** "net:[4026532301]" -> 4026532301; undefined for anything else. */
export function parseNsLink(text: string): number | undefined {
  const m = /^net:\[(\d{1,10})\]$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 && n <= 0xffffffff ? n : undefined;
}

function nsLink(path: string): number | undefined {
  try {
    return parseNsLink(readlinkSync(path));
  } catch {
    return undefined;
  }
}

/**
 * The namespace a bind-mount file holds: the inode of an nsfs file. In a
 * recorded tree (not the live /proc) a symlink whose text is "net:[N]" stands
 * for it, as in /proc/<pid>/ns: a recorded tree cannot hold a mount. On the
 * live machine such symlinks are ignored: anyone may create one in a directory
 * they own (/run/user/<uid>), and a name is only believed from a real mount.
 */
function mountInode(path: string, recorded: boolean): number | undefined {
  try {
    const l = lstatSync(path);
    if (l.isSymbolicLink()) return recorded ? nsLink(path) : undefined;
    if (recorded) return undefined;
    if (statfsSync(path).type !== NSFS_MAGIC) return undefined;
    const ino = statSync(path).ino;
    return ino > 0 ? ino : undefined;
  } catch {
    return undefined;
  }
}

/** The directories `pattern` names ("*" is one component), bounded. */
function expand(pattern: string): string[] {
  const star = pattern.indexOf('*');
  if (star < 0) return [pattern];
  const parent = pattern.slice(0, star).replace(/\/$/, '') || '/';
  const rest = pattern.slice(star + 1);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names.slice(0, MAX_MOUNT_ENTRIES).filter((n) => !n.startsWith('.')).map((n) => `${parent}/${n}${rest}`);
}

/** Recorded trees keep their mount directories beside the proc tree: root/run/netns for /run/netns. */
export function recordedDirs(root: string): { dir: string; source: NetnsNameSource }[] {
  return NETNS_DIRS.map((d) => ({ dir: root + d.dir, source: d.source }));
}

/**
 * Every network namespace visible from here. Never throws: what cannot be read
 * is left out (and counted, for processes).
 */
export function discoverNetns(procRoot: string, opts: DiscoverOptions = {}): NetnsDiscovery {
  const recorded = procRoot !== '/proc';
  const byPid = new Map<number, number>();
  const found = new Map<number, FoundNetns>();
  let unreadable = 0;
  let pids: readonly number[];
  try {
    pids = opts.pids ?? listPids(procRoot);
  } catch {
    pids = [];
  }
  for (const pid of pids) {
    const ino = nsLink(`${procRoot}/${pid}/ns/net`);
    if (ino === undefined) {
      unreadable++;
      continue;
    }
    byPid.set(pid, ino);
    let ns = found.get(ino);
    if (!ns) found.set(ino, ns = { inode: ino, pids: [], host: false });
    ns.pids.push(pid);
  }
  // A recorded tree keeps its mount directories inside it (tree/run/netns).
  const dirs = opts.dirs ?? (recorded ? recordedDirs(procRoot) : NETNS_DIRS);
  let mounts = 0;
  for (const { dir, source } of dirs) {
    for (const d of expand(dir)) {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        continue;
      }
      names.sort();
      for (const name of names.slice(0, MAX_MOUNT_ENTRIES)) {
        if (mounts >= MAX_MOUNT_ENTRIES) break;
        const path = `${d}/${name}`;
        const ino = mountInode(path, recorded);
        if (ino === undefined) continue;
        mounts++;
        let ns = found.get(ino);
        if (!ns) found.set(ino, ns = { inode: ino, pids: [], host: false });
        // The first name wins (ip netns before a runtime's); the same file seen
        // again through /var/run (a symlink to /run) changes nothing.
        if (ns.name === undefined) {
          ns.name = name;
          ns.nameSource = source;
        }
        ns.mount ??= path;
      }
    }
  }
  const own = nsLink(`${procRoot}/self/ns/net`) ?? (recorded ? undefined : nsLink('/proc/self/ns/net'));
  const host = nsLink(`${procRoot}/1/ns/net`) ?? own;
  if (host !== undefined) {
    let ns = found.get(host);
    if (!ns) found.set(host, ns = { inode: host, pids: [], host: true });
    ns.host = true;
  }
  const namespaces = [...found.values()].sort((a, b) => Number(b.host) - Number(a.host) || a.inode - b.inode);
  for (const ns of namespaces) ns.pids.sort((a, b) => a - b);
  return { namespaces, host, own, byPid, unreadable };
}

/**
 * Whether we run in the initial PID namespace, and so see every process of the
 * machine: its inode is fixed by the kernel (PROC_PID_INIT_INO, 0xEFFFFFFC in
 * include/linux/proc_ns.h). Undefined when our own link cannot be read.
 */
export function inInitialPidNamespace(procRoot = '/proc'): boolean | undefined {
  try {
    const m = /^pid:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/self/ns/pid`));
    return m ? Number(m[1]) === 0xeffffffc : undefined;
  } catch {
    return undefined;
  }
}

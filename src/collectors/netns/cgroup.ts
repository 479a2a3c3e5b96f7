// Who runs a process: its systemd unit and its container, read from
// /proc/PID/cgroup. Example inputs (one line per hierarchy, "id:controllers:path"):
//   cgroup v2:     0::/system.slice/docker-3f9a…c1.scope
//   cgroup v1:     4:memory:/docker/3f9a…c1
//   hybrid (v1 + systemd's own hierarchy + an empty v2 one):
//                  9:name=systemd:/libpod_parent/libpod-b635…21
//                  0::/libpod_parent/libpod-b635…21
// The layouts the runtimes use (their documentation and the paths they create):
//   systemd                    /system.slice/nginx.service, /user.slice/user-1000.slice/session-3.scope,
//                              /user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.service
//   Docker                     /system.slice/docker-<64 hex>.scope (systemd driver), /docker/<64 hex> (cgroupfs)
//   containerd / nerdctl       /system.slice/cri-containerd-<id>.scope, nerdctl-<id>.scope, /containerd/<id>
//   Podman                     /machine.slice/libpod-<64 hex>.scope, /libpod_parent/libpod-<64 hex>;
//                              libpod-conmon-<id>.scope and /libpod_parent/conmon hold conmon, the
//                              container's monitor, which runs on the host and is not the container
//   Kubernetes                 /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with _>.slice/
//                              cri-containerd-<id>.scope (or crio-<id>.scope, docker-<id>.scope);
//                              /kubepods/burstable/pod<uid>/<64 hex> (cgroupfs driver)
//   LXC                        /lxc.payload.<name> (LXC 4+), /lxc/<name>; lxc.monitor.<name> is the monitor
//   systemd-nspawn             /machine.slice/machine-<name>.scope (name escaped as systemd does: "-" is \x2d)
// The deepest container segment wins (a container inside a container is the
// inner one), and the deepest .service/.scope segment is the unit.
//
// OwnerResolver adds names from what the machine already keeps (runtimes.ts),
// read-only and bounded, and caches per pid and per container: a scan reads
// /proc/PID/cgroup once per holding process and each runtime's state once.
import type { ContainerRef, ContainerRuntime } from '../../model/socket.js';
import { readBounded } from '../bounded-read.js';
import { decodeProcBytes } from '../proc-text.js';
import { RuntimeState, defaultRuntimeRoots, type RuntimeRoots } from './runtimes.js';

export type { RuntimeRoots } from './runtimes.js';

export interface CgroupOwner {
  /** The systemd unit (deepest .service or .scope) the process runs in, when it is not the container's own scope. */
  unit?: string;
  /** The container, by the id in the path; no name (names come from OwnerResolver). */
  container?: ContainerRef;
  /** The cgroup path the answer came from (the systemd or unified hierarchy's when nothing was found). */
  path: string;
}

/** /proc/PID/cgroup is a line per hierarchy: 13 lines, a few hundred bytes. A recorded tree can hold anything. */
export const CGROUP_CAP = 64 * 1024;

const HEX64 = '[0-9a-f]{64}';
// Container ids containerd accepts (identifiers.Validate): letters, digits, "._-", up to 76 characters.
const CTRD_ID = '[A-Za-z0-9][A-Za-z0-9_.-]{0,75}';
/** A segment that is a container's own cgroup: runtime, id. Anchored, linear. */
const SCOPES: readonly { re: RegExp; runtime: ContainerRuntime }[] = [
  { re: new RegExp(`^docker-(${HEX64})\\.scope$`), runtime: 'docker' },
  { re: new RegExp(`^libpod-(${HEX64})(?:\\.scope)?$`), runtime: 'podman' },
  { re: new RegExp(`^crio-(${HEX64})\\.scope$`), runtime: 'kubernetes' },
  { re: new RegExp(`^cri-containerd-(${CTRD_ID})\\.scope$`), runtime: 'containerd' },
  { re: new RegExp(`^nerdctl-(${CTRD_ID})\\.scope$`), runtime: 'containerd' },
];
const HEX64_ONLY = new RegExp(`^${HEX64}$`);
const CTRD_ONLY = new RegExp(`^${CTRD_ID}$`);
/** Pod segment: systemd driver writes the uid with "_" for "-". */
const POD_SLICE = /^kubepods(?:-[a-z]+)?-pod([0-9a-f_]{8,64})\.slice$/;
const POD_DIR = /^pod([0-9a-f-]{8,64})$/;
/** Monitors that run beside a container, on the host side: not the container. */
const MONITOR = /^(?:libpod-conmon-|crio-conmon-)|^lxc\.monitor/;
/** A unit that holds processes; slices only group. */
const UNIT = /\.(?:service|scope)$/;

/** systemd's escaping of unit names ("\x2d" for "-" inside a name): undo it for display. */
function unescapeUnit(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

interface Found {
  container?: ContainerRef;
  /** Index of the container's segment, to tell whether the unit is its own scope. */
  at: number;
  unit?: string;
  unitAt: number;
}

/** Read one cgroup path ("/a/b/c") for a container and a unit. */
function readPath(path: string): Found {
  const segs = path.split('/');
  const found: Found = { at: -1, unitAt: -1 };
  let pod: ContainerRef['pod'] | undefined;
  let kube = false;
  let kubeAt = -1;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg === '' || seg.length > 300) continue;
    if (!kube && (seg === 'kubepods' || seg.startsWith('kubepods.') || seg.startsWith('kubepods-'))) {
      kube = true;
      kubeAt = i;
    }
    const podMatch = POD_SLICE.exec(seg) ?? (kube ? POD_DIR.exec(seg) : null);
    if (podMatch) {
      pod = { uid: podMatch[1]!.replace(/_/g, '-') };
      continue;
    }
    if (UNIT.test(seg) && !MONITOR.test(seg)) {
      found.unit = seg;
      found.unitAt = i;
    }
    if (MONITOR.test(seg)) continue;
    const c = containerOf(seg, segs[i - 1], kube);
    if (c) {
      found.container = c;
      found.at = i;
      if (kube && pod) found.container.pod = { ...pod };
    }
  }
  // cri-o serves only the kubelet: its containers are pods' even when no kubepods
  // segment is visible (a nested or renamed hierarchy).
  // A container above the kubepods segment (a kind node's own container) stays what it is.
  if (found.container && ((kube && found.at > kubeAt) || /^crio-/.test(segs[found.at]!))) found.container.runtime = 'kubernetes';
  return found;
}

/** The container a single segment names (given its parent segment), if any. */
function containerOf(seg: string, parent: string | undefined, kube: boolean): ContainerRef | undefined {
  for (const { re, runtime } of SCOPES) {
    const m = re.exec(seg);
    if (m) return { runtime, id: m[1]! };
  }
  // cgroupfs layouts: the id is the whole segment, the parent says whose.
  if (parent === 'docker' && HEX64_ONLY.test(seg)) return { runtime: 'docker', id: seg };
  if (parent === 'containerd' && CTRD_ONLY.test(seg)) return { runtime: 'containerd', id: seg };
  if (kube && parent !== undefined && POD_DIR.test(parent) && HEX64_ONLY.test(seg)) return { runtime: 'kubernetes', id: seg };
  if (seg.startsWith('lxc.payload.') && seg.length > 12) return { runtime: 'lxc', id: seg.slice(12), name: seg.slice(12) };
  if (parent === 'lxc' && seg !== '' && !seg.startsWith('lxc.')) return { runtime: 'lxc', id: seg, name: seg };
  const machine = /^machine-(.+)\.scope$/.exec(seg);
  if (machine) {
    const name = unescapeUnit(machine[1]!);
    // libvirt names its machines "qemu-N-vm" (a virtual machine: its sockets are
    // the qemu process's, on the host) and "lxc-N-name" (a container).
    if (name.startsWith('qemu-')) return undefined;
    if (name.startsWith('lxc-')) return { runtime: 'lxc', id: name, name: name.replace(/^lxc-\d+-/, '') };
    return { runtime: 'nspawn', id: name, name };
  }
  return undefined;
}

/**
 * The unit and container of a process from the text of its /proc/PID/cgroup
 * (v1, v2 or hybrid). Pure; never throws. The container has no name yet
 * (except LXC and nspawn, whose id is the name).
 */
export function parseCgroup(text: string): CgroupOwner {
  let systemdPath: string | undefined;
  let unifiedPath: string | undefined;
  const others: string[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (!path.startsWith('/')) continue;
    if (controllers === 'name=systemd') systemdPath = path;
    else if (controllers === '' && line.slice(0, a) === '0') unifiedPath = path;
    else others.push(path);
  }
  // systemd's hierarchy names units; on a v1 machine without systemd the
  // controllers' paths are all there is (docker's cgroupfs driver).
  const order = [systemdPath, unifiedPath, ...others].filter((p): p is string => p !== undefined);
  let container: ContainerRef | undefined;
  let containerPath: string | undefined;
  let unit: string | undefined;
  let unitPath: string | undefined;
  for (const path of order) {
    const f = readPath(path);
    if (!container && f.container) {
      container = f.container;
      containerPath = path;
      // The container's own scope (docker-<id>.scope) says nothing more as a unit.
      if (f.unit && f.unitAt !== f.at) {
        unit = f.unit;
        unitPath = path;
      }
    }
    if (!unit && !container && f.unit) {
      unit = f.unit;
      unitPath = path;
    }
    if (container) break;
  }
  const out: CgroupOwner = { path: containerPath ?? unitPath ?? systemdPath ?? unifiedPath ?? others[0] ?? '' };
  if (unit !== undefined) out.unit = unit;
  if (container) out.container = container;
  return out;
}

/** What OwnerResolver tells about one process. */
export interface Owner {
  unit?: string;
  container?: ContainerRef;
}

const NONE: Owner = Object.freeze({});

/**
 * Units and containers of processes, named from the runtimes' own records.
 * One bounded read of /proc/PID/cgroup per pid, each container looked up once;
 * every failure is an answer with less in it, never an exception.
 */
export class OwnerResolver {
  private readonly byPid = new Map<number, Owner>();
  private readonly byContainer = new Map<string, ContainerRef>();
  private readonly state: RuntimeState;

  constructor(private readonly procRoot: string, roots?: RuntimeRoots) {
    this.state = new RuntimeState(roots ?? defaultRuntimeRoots(procRoot));
  }

  ownerOf(pid: number): Owner {
    const cached = this.byPid.get(pid);
    if (cached) return cached;
    let owner = NONE;
    try {
      const r = readBounded(`${this.procRoot}/${pid}/cgroup`, CGROUP_CAP);
      // A cut file ends mid-line: keep whole lines.
      let text = decodeProcBytes(r.bytes);
      if (r.truncated) text = text.slice(0, text.lastIndexOf('\n') + 1);
      const parsed = parseCgroup(text);
      if (parsed.unit !== undefined || parsed.container) {
        owner = {};
        if (parsed.unit !== undefined) owner.unit = parsed.unit;
        if (parsed.container) owner.container = this.named(parsed.container);
      }
    } catch {
      // Gone, hidden (hidepid) or not a regular file: nothing known.
    }
    this.byPid.set(pid, owner);
    return owner;
  }

  /** The container with its name (and pod), one ContainerRef shared by every process of it. */
  container(ref: ContainerRef): ContainerRef {
    return this.named(ref);
  }

  private named(ref: ContainerRef): ContainerRef {
    const key = `${ref.runtime}:${ref.id}`;
    const known = this.byContainer.get(key);
    if (known) return known;
    let out = ref;
    try {
      out = this.state.name(ref);
    } catch {
      // A state file that would not parse: the id alone.
    }
    this.byContainer.set(key, out);
    return out;
  }
}


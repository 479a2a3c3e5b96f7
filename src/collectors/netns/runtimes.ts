// Container names from what the runtimes already keep on disk, read-only: no
// daemon is asked, nothing is written, every read is bounded. Example inputs:
//   /var/lib/docker/containers/<id>/config.v2.json          {"ID":"3f9a…","Name":"/web-1",…}
//   /var/lib/containers/storage/overlay-containers/containers.json
//                                                            [{"id":"b635…","names":["web-1"],…}]
//   ~/.local/share/containers/storage/overlay-containers/containers.json   (rootless podman)
//   /var/lib/containers/storage/libpod/bolt_state.db        podman's database; each container's
//                                                            config is a JSON value in it, with
//                                                            "newPortMappings":[{"host_port":8080,…}]
//   /run/containerd/io.containerd.runtime.v2.task/<ns>/<id>/config.json
//                                                            OCI spec; CRI and nerdctl put names in
//                                                            "annotations": io.kubernetes.cri.container-name,
//                                                            io.kubernetes.cri.sandbox-name/-namespace/-uid,
//                                                            nerdctl/name
//   /run/containers/storage/overlay-containers/<id>/userdata/config.json
//                                                            cri-o's spec; io.kubernetes.container.name,
//                                                            io.kubernetes.pod.name/.namespace/.uid
//   /var/log/containers/<pod>_<namespace>_<container>-<id>.log   kubelet's links, by container id
//   /var/log/pods/<namespace>_<pod>_<uid>/<container>/0.log     kubelet's logs, by pod uid
// Most of these are root's to read: without them a container keeps its id and
// no name, which is what the tool then says.
import { readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ContainerRef } from '../../model/socket.js';
import { readBounded } from '../bounded-read.js';
import { decodeProcBytes } from '../proc-text.js';

/** Where the runtimes keep their records; each list is tried in order. */
export interface RuntimeRoots {
  /** Docker data roots (holding containers/<id>/config.v2.json). */
  docker: readonly string[];
  /** Podman (containers/storage) graph roots, rootful and rootless. */
  podman: readonly string[];
  /** containerd's runtime v2 task directories (<ns>/<id>/config.json). */
  containerdTasks: readonly string[];
  /** cri-o's run roots (overlay-containers/<id>/userdata/config.json). */
  crio: readonly string[];
  /** kubelet's /var/log/containers and /var/log/pods. */
  kubeContainerLogs: readonly string[];
  kubePodLogs: readonly string[];
}

/** A container's config or state file: tens of KB; a recorded tree can hold anything. */
const CONFIG_CAP = 4 * 1024 * 1024;
/** containers.json and podman's database grow with the number of containers. */
const STORE_CAP = 64 * 1024 * 1024;
/** Bytes of Docker configs read in all when every container must be looked at (by address, by host port). */
const DOCKER_SCAN_BUDGET = 64 * 1024 * 1024;
/** Entries read from one directory listing (homes, namespaces, log links). */
const LIST_CAP = 10_000;

const EMPTY: RuntimeRoots = { docker: [], podman: [], containerdTasks: [], crio: [], kubeContainerLogs: [], kubePodLogs: [] };

/** Names in a directory, at most LIST_CAP of them; none when it cannot be read. */
function list(dir: string): string[] {
  try {
    const names = readdirSync(dir);
    return names.length > LIST_CAP ? names.slice(0, LIST_CAP) : names;
  } catch {
    return [];
  }
}

/**
 * The roots for a proc root: the machine's own for /proc; for a recorded tree
 * "<dir>/proc", the same paths under <dir> (so a tree holds its state files, and
 * `--proc-root /host/proc` reads a mounted host's); none for any other root.
 */
export function defaultRuntimeRoots(procRoot: string): RuntimeRoots {
  const p = procRoot.replace(/\/+$/, '');
  let base: string;
  if (p === '/proc') base = '';
  else if (basename(p) === 'proc') base = dirname(p) === '/' ? '' : dirname(p);
  else return EMPTY;
  const homes = [`${base}/root`, ...list(`${base}/home`).map((h) => `${base}/home/${h}`)];
  return {
    // Rootless dockerd keeps its data root in the user's home.
    docker: [`${base}/var/lib/docker`, ...homes.map((h) => `${h}/.local/share/docker`)],
    podman: [`${base}/var/lib/containers/storage`, ...homes.map((h) => `${h}/.local/share/containers/storage`)],
    containerdTasks: [`${base}/run/containerd/io.containerd.runtime.v2.task`],
    crio: [`${base}/run/containers/storage`, `${base}/var/lib/containers/storage`],
    kubeContainerLogs: [`${base}/var/log/containers`],
    kubePodLogs: [`${base}/var/log/pods`],
  };
}

/** A bounded file as text (and whether it was cut); undefined when unreadable. */
function readText(path: string, cap: number): { text: string; truncated: boolean } | undefined {
  try {
    const r = readBounded(path, cap);
    return { text: decodeProcBytes(r.bytes), truncated: r.truncated };
  } catch {
    return undefined;
  }
}

/** JSON of a whole (not cut) bounded file; undefined when unreadable, cut or not JSON. */
function readJson(path: string, cap: number): unknown {
  const r = readText(path, cap);
  if (!r || r.truncated) return undefined;
  try {
    return JSON.parse(r.text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v.length <= 512 ? v : undefined);

/** Ids are path segments here: refuse anything that could walk out of a directory. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** A port a container publishes on the host, as its runtime recorded it. */
export interface PortMapping {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/** Docker-in-Kubernetes (dockershim) names: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>. */
export function parseDockershimName(name: string): { container: string; pod: string; namespace: string; uid: string } | undefined {
  const m = /^k8s_([^_]+)_([^_]+)_([^_]+)_([^_]+)_\d+$/.exec(name);
  return m ? { container: m[1]!, pod: m[2]!, namespace: m[3]!, uid: m[4]! } : undefined;
}

/** kubelet's /var/log/containers link name: <pod>_<namespace>_<container>-<64 hex>.log. */
export function parseContainerLogName(file: string): { pod: string; namespace: string; container: string; id: string } | undefined {
  const m = /^([^_]+)_([^_]+)_(.+)-([0-9a-f]{64})\.log$/.exec(file);
  return m ? { pod: m[1]!, namespace: m[2]!, container: m[3]!, id: m[4]! } : undefined;
}

/** kubelet's /var/log/pods directory name: <namespace>_<pod>_<uid>. */
export function parsePodLogDir(dir: string): { namespace: string; pod: string; uid: string } | undefined {
  const m = /^([^_]+)_([^_]+)_([0-9a-f-]{8,64})$/.exec(dir);
  return m ? { namespace: m[1]!, pod: m[2]!, uid: m[3]! } : undefined;
}

/**
 * Podman's port mappings from its database bytes (bolt_state.db): each
 * container's config is one JSON object stored whole; this finds every
 * "newPortMappings" array and the "id" of the object around it. Pure.
 */
export function parsePodmanPorts(db: string): Map<string, PortMapping[]> {
  const out = new Map<string, PortMapping[]>();
  const KEY = '"newPortMappings":';
  let from = 0;
  for (let n = 0; n < 100_000; n++) {
    const at = db.indexOf(KEY, from);
    if (at < 0) break;
    from = at + KEY.length;
    const end = db.indexOf(']', from);
    if (end < 0 || end - from > 1024 * 1024) continue;
    let maps: unknown;
    try {
      maps = JSON.parse(db.slice(from, end + 1));
    } catch {
      continue;
    }
    if (!Array.isArray(maps)) continue;
    // The container's own "id" is a top-level key of the same object, before or
    // after: take the nearest 64-hex "id" on either side within the record.
    const id = nearestId(db, at);
    if (!id) continue;
    const list: PortMapping[] = [];
    for (const m of maps) {
      if (!isObject(m)) continue;
      const hostPort = m['host_port'];
      const containerPort = m['container_port'];
      const range = typeof m['range'] === 'number' && m['range'] >= 1 && m['range'] <= 65535 ? m['range'] : 1;
      if (typeof hostPort !== 'number' || typeof containerPort !== 'number') continue;
      for (const proto of String(m['protocol'] ?? 'tcp').split(',')) {
        if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') continue;
        for (let i = 0; i < range; i++) {
          const pm: PortMapping = { hostPort: hostPort + i, containerPort: containerPort + i, protocol: proto };
          const ip = str(m['host_ip']);
          if (ip) pm.hostIp = ip;
          list.push(pm);
        }
      }
    }
    out.set(id, list);
  }
  return out;
}

/** A byte that cannot be inside a JSON text: the edge of a database record. */
const isEdge = (c: number): boolean => c <= 8;
/** How far a record reaches each way from its port mappings (configs are tens of KB). */
const RECORD_REACH = 256 * 1024;

/** The top-level "id" of the JSON record around offset `at`: the first one between the record's edges. */
function nearestId(db: string, at: number): string | undefined {
  let lo = at;
  const minLo = Math.max(0, at - RECORD_REACH);
  while (lo > minLo && !isEdge(db.charCodeAt(lo - 1))) lo--;
  let hi = at;
  const maxHi = Math.min(db.length, at + RECORD_REACH);
  while (hi < maxHi && !isEdge(db.charCodeAt(hi))) hi++;
  // The record's own "id" is its first: nested objects (the OCI spec) carry no 64-hex "id".
  const m = /"id":"([0-9a-f]{64})"/.exec(db.slice(lo, hi));
  return m?.[1];
}

interface Annotated { name?: string; pod?: string; namespace?: string; uid?: string }

/** Names in an OCI spec's annotations (CRI, cri-o, nerdctl). */
function fromAnnotations(spec: unknown): Annotated | undefined {
  if (!isObject(spec) || !isObject(spec['annotations'])) return undefined;
  const a = spec['annotations'];
  const out: Annotated = {};
  const name = str(a['io.kubernetes.cri.container-name']) ?? str(a['io.kubernetes.container.name']) ?? str(a['nerdctl/name']);
  const pod = str(a['io.kubernetes.cri.sandbox-name']) ?? str(a['io.kubernetes.pod.name']);
  const namespace = str(a['io.kubernetes.cri.sandbox-namespace']) ?? str(a['io.kubernetes.pod.namespace']);
  const uid = str(a['io.kubernetes.cri.sandbox-uid']) ?? str(a['io.kubernetes.pod.uid']);
  if (name) out.name = name;
  if (pod) out.pod = pod;
  if (namespace) out.namespace = namespace;
  if (uid) out.uid = uid;
  return Object.keys(out).length ? out : undefined;
}

/** The runtimes' records, each file read at most once per instance. */
export class RuntimeState {
  private podmanNames: Map<string, string> | undefined;
  private podmanPortMap: Map<string, PortMapping[]> | undefined;
  private containerLogs: Map<string, { pod: string; namespace: string; container: string }> | undefined;
  private podLogs: Map<string, { namespace: string; pod: string; dir: string }> | undefined;
  private ctrdNamespaces: string[] | undefined;
  private dockerAddresses: Map<string, ContainerRef> | undefined;
  private dockerAll: { id: string; config: Record<string, unknown> }[] | undefined;
  private dockerPorts: { container: ContainerRef; hostIp?: string; hostPort: number; containerPort: number; protocol: string }[] | undefined;

  constructor(private readonly roots: RuntimeRoots) {}

  /** `ref` with the name (and pod) its runtime recorded; `ref` itself when none is found. */
  name(ref: ContainerRef): ContainerRef {
    if (ref.name !== undefined || !SAFE_ID.test(ref.id)) return ref;
    switch (ref.runtime) {
      case 'docker': return this.docker(ref) ?? ref;
      case 'podman': return this.podman(ref) ?? ref;
      case 'containerd': return this.containerd(ref) ?? ref;
      case 'kubernetes': return this.kubernetes(ref);
      default: return ref;
    }
  }

  /** Host ports podman recorded for a container (its database, root's to read). */
  podmanPorts(id: string): PortMapping[] | undefined {
    if (!this.podmanPortMap) {
      this.podmanPortMap = new Map();
      for (const root of this.roots.podman) {
        let text: string;
        try {
          // Bytes as latin1: the JSON looked for is ASCII, a binary database needs no UTF-8 decoding, and it stays fast.
          text = readBounded(`${root}/libpod/bolt_state.db`, STORE_CAP).bytes.toString('latin1');
        } catch {
          continue;
        }
        for (const [k, v] of parsePodmanPorts(text)) if (!this.podmanPortMap.has(k)) this.podmanPortMap.set(k, v);
      }
    }
    return this.podmanPortMap.get(id);
  }

  /** The podman container that recorded host port `port` (rootful or rootless), with the port inside. */
  podmanByHostPort(port: number, protocol: string): { id: string; containerPort: number } | undefined {
    this.podmanPorts('');
    for (const [id, maps] of this.podmanPortMap!) {
      const m = maps.find((x) => x.hostPort === port && x.protocol === protocol);
      if (m) return { id, containerPort: m.containerPort };
    }
    return undefined;
  }

  /** The Docker container that has address `ip` on one of its networks (config.v2.json NetworkSettings). */
  dockerByAddress(ip: string): ContainerRef | undefined {
    if (!this.dockerAddresses) {
      this.dockerAddresses = new Map();
      for (const { id, config: j } of this.dockerConfigs()) {
        if (!isObject(j['NetworkSettings'])) continue;
        const nets = j['NetworkSettings']['Networks'];
        if (!isObject(nets)) continue;
        const name = str(j['Name'])?.replace(/^\//, '');
        const ref: ContainerRef = name ? { runtime: 'docker', id, name } : { runtime: 'docker', id };
        for (const n of Object.values(nets)) {
          if (!isObject(n)) continue;
          for (const k of ['IPAddress', 'GlobalIPv6Address']) {
            const a = str(n[k]);
            if (a && !this.dockerAddresses.has(a)) this.dockerAddresses.set(a, ref);
          }
        }
      }
    }
    return this.dockerAddresses.get(ip);
  }

  /**
   * Every Docker container's config.v2.json (parsed once, shared by the lookups
   * by address and by host port), within DOCKER_SCAN_BUDGET bytes in all.
   */
  private dockerConfigs(): { id: string; config: Record<string, unknown> }[] {
    if (this.dockerAll) return this.dockerAll;
    this.dockerAll = [];
    let budget = DOCKER_SCAN_BUDGET;
    for (const root of this.roots.docker) {
      for (const id of list(`${root}/containers`)) {
        if (!SAFE_ID.test(id) || budget <= 0) continue;
        const r = readText(`${root}/containers/${id}/config.v2.json`, Math.min(CONFIG_CAP, budget));
        if (!r) continue;
        budget -= r.text.length;
        if (r.truncated) continue;
        try {
          const j = JSON.parse(r.text) as unknown;
          if (isObject(j)) this.dockerAll.push({ id, config: j });
        } catch {
          // half-written: skipped
        }
      }
    }
    return this.dockerAll;
  }

  /**
   * Host ports Docker says its running containers publish (config.v2.json
   * NetworkSettings.Ports: {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}).
   * With the userland proxy off, NAT rules alone carry them: no host socket exists.
   */
  dockerPublished(): { container: ContainerRef; hostIp?: string; hostPort: number; containerPort: number; protocol: string }[] {
    if (this.dockerPorts) return this.dockerPorts;
    this.dockerPorts = [];
    for (const { id, config: j } of this.dockerConfigs()) {
      if (!isObject(j['State']) || j['State']['Running'] !== true || !isObject(j['NetworkSettings'])) continue;
      const ports = j['NetworkSettings']['Ports'];
      if (!isObject(ports)) continue;
      const name = str(j['Name'])?.replace(/^\//, '');
      const container: ContainerRef = name ? { runtime: 'docker', id, name } : { runtime: 'docker', id };
      for (const [key, binds] of Object.entries(ports)) {
        const m = /^(\d{1,5})\/(tcp|udp|sctp)$/.exec(key);
        if (!m || !Array.isArray(binds)) continue;
        for (const b of binds) {
          if (!isObject(b)) continue;
          const hp = str(b['HostPort']);
          if (!hp || !/^\d{1,5}$/.test(hp) || Number(hp) > 65535) continue;
          const e: { container: ContainerRef; hostIp?: string; hostPort: number; containerPort: number; protocol: string } =
            { container, hostPort: Number(hp), containerPort: Number(m[1]), protocol: m[2]! };
          const ip = str(b['HostIp']);
          if (ip) e.hostIp = ip;
          this.dockerPorts.push(e);
        }
      }
    }
    return this.dockerPorts;
  }

  private docker(ref: ContainerRef): ContainerRef | undefined {
    for (const root of this.roots.docker) {
      const name = this.dockerName(root, ref.id);
      if (name) return { ...ref, name };
    }
    return undefined;
  }

  private dockerName(root: string, id: string): string | undefined {
    const r = readText(`${root}/containers/${id}/config.v2.json`, CONFIG_CAP);
    if (!r) return undefined;
    let name: string | undefined;
    if (!r.truncated) {
      try {
        const j = JSON.parse(r.text) as unknown;
        if (isObject(j)) name = str(j['Name']);
      } catch {
        // fall through to the pattern below
      }
    }
    // A cut or odd file: the top-level "Name" is the one that starts with "/".
    name ??= /"Name":"(\/[^"\\]{1,255})"/.exec(r.text)?.[1];
    return name?.replace(/^\//, '');
  }

  private podman(ref: ContainerRef): ContainerRef | undefined {
    if (!this.podmanNames) {
      this.podmanNames = new Map();
      for (const root of this.roots.podman) {
        const j = readJson(`${root}/overlay-containers/containers.json`, STORE_CAP);
        if (!Array.isArray(j)) continue;
        for (const c of j) {
          if (!isObject(c)) continue;
          const id = str(c['id']);
          const names = c['names'];
          const name = Array.isArray(names) ? str(names[0]) : undefined;
          if (id && name && !this.podmanNames.has(id)) this.podmanNames.set(id, name);
        }
      }
    }
    const name = this.podmanNames.get(ref.id);
    return name ? { ...ref, name } : undefined;
  }

  private containerd(ref: ContainerRef): ContainerRef | undefined {
    const a = this.containerdSpec(ref.id);
    if (!a?.name) return undefined;
    const out: ContainerRef = { ...ref, name: a.name };
    return out;
  }

  /** Annotations of a containerd task's spec, in whichever namespace it runs (k8s.io, moby, default…). */
  private containerdSpec(id: string): Annotated | undefined {
    for (const root of this.roots.containerdTasks) {
      this.ctrdNamespaces ??= list(root);
      for (const ns of this.ctrdNamespaces) {
        const a = fromAnnotations(readJson(`${root}/${ns}/${id}/config.json`, CONFIG_CAP));
        if (a) return a;
      }
    }
    return undefined;
  }

  private kubernetes(ref: ContainerRef): ContainerRef {
    const out: ContainerRef = { ...ref };
    if (ref.pod) out.pod = { ...ref.pod };
    const apply = (a: Annotated | undefined): void => {
      if (!a) return;
      if (a.name && out.name === undefined) out.name = a.name;
      const uid = out.pod?.uid ?? a.uid;
      if (uid === undefined) return;
      out.pod ??= { uid };
      if (a.pod && out.pod.name === undefined) out.pod.name = a.pod;
      if (a.namespace && out.pod.namespace === undefined) out.pod.namespace = a.namespace;
    };
    apply(this.containerdSpec(ref.id));
    if (out.name === undefined) {
      for (const root of this.roots.crio) {
        apply(fromAnnotations(readJson(`${root}/overlay-containers/${ref.id}/userdata/config.json`, CONFIG_CAP)));
        if (out.name !== undefined) break;
      }
    }
    if (out.name === undefined) {
      for (const root of this.roots.docker) {
        const k = parseDockershimName(this.dockerName(root, ref.id) ?? '');
        if (k) apply({ name: k.container, pod: k.pod, namespace: k.namespace, uid: k.uid });
      }
    }
    if (out.name === undefined) {
      const l = this.containerLog(ref.id);
      if (l) apply({ name: l.container, pod: l.pod, namespace: l.namespace });
    }
    if (out.pod && (out.pod.name === undefined || out.name === undefined)) {
      const p = this.podLog(out.pod.uid);
      if (p) {
        out.pod.name ??= p.pod;
        out.pod.namespace ??= p.namespace;
        if (out.name === undefined) {
          // One container directory in the pod's logs: that is this container.
          const dirs = list(p.dir);
          if (dirs.length === 1) out.name = dirs[0]!;
        }
      }
    }
    return out;
  }

  private containerLog(id: string): { pod: string; namespace: string; container: string } | undefined {
    if (!this.containerLogs) {
      this.containerLogs = new Map();
      for (const root of this.roots.kubeContainerLogs) {
        for (const f of list(root)) {
          const p = parseContainerLogName(f);
          if (p && !this.containerLogs.has(p.id)) this.containerLogs.set(p.id, p);
        }
      }
    }
    return this.containerLogs.get(id);
  }

  private podLog(uid: string): { namespace: string; pod: string; dir: string } | undefined {
    if (!this.podLogs) {
      this.podLogs = new Map();
      for (const root of this.roots.kubePodLogs) {
        for (const d of list(root)) {
          const p = parsePodLogDir(d);
          if (p && !this.podLogs.has(p.uid)) this.podLogs.set(p.uid, { namespace: p.namespace, pod: p.pod, dir: `${root}/${d}` });
        }
      }
    }
    return this.podLogs.get(uid);
  }
}

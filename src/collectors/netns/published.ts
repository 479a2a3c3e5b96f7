// Ports a container publishes on the host, seen from the host listener that
// holds them. Example holder command lines:
//   docker-proxy:  /usr/bin/docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port 8080
//                      -container-ip 172.17.0.2 -container-port 80
//                  (it accepts on the host port and copies each connection to the container)
//   conmon:        /usr/bin/conmon --api-version 1 -c b635…21 -u b635…21 -r /usr/bin/runc
//                      -b /var/lib/containers/storage/overlay-containers/b635…21/userdata … -n web-1 …
//                  (podman opens the published ports and hands them to conmon, which only
//                  keeps them bound so that nothing else takes them; netavark's or CNI's NAT
//                  rules carry the traffic to the container)
//   rootlessport:  rootlessport  (rootless podman's forwarder: its mapping comes on a pipe,
//                  so the container is found by the host port in podman's records)
// The container port comes from the command line (docker-proxy) or podman's
// database (runtimes.ts); when neither is readable it stays unknown.
import type { ContainerRef, PublishedPort, Socket } from '../../model/socket.js';
import { OwnerResolver } from './cgroup.js';
import { RuntimeState, defaultRuntimeRoots, type RuntimeRoots } from './runtimes.js';

/** What docker-proxy's command line says; undefined when it is not one. Pure. */
export function parseDockerProxy(command: string): { protocol?: string; hostIp?: string; hostPort?: number; containerIp?: string; containerPort?: number } | undefined {
  const args = command.split(' ');
  if (!/(?:^|\/)docker-proxy$/.test(args[0] ?? '')) return undefined;
  const out: { protocol?: string; hostIp?: string; hostPort?: number; containerIp?: string; containerPort?: number } = {};
  for (let i = 1; i < args.length - 1; i++) {
    const v = args[i + 1]!;
    const port = /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? Number(v) : undefined;
    switch (args[i]) {
      case '-proto': out.protocol = v; break;
      case '-host-ip': out.hostIp = v; break;
      case '-host-port': if (port !== undefined) out.hostPort = port; break;
      case '-container-ip': out.containerIp = v; break;
      case '-container-port': if (port !== undefined) out.containerPort = port; break;
      default: continue;
    }
    i++;
  }
  return out;
}

/** The container conmon watches, from its command line (-c id, -n name). Pure. */
export function parseConmon(command: string): { id: string; name?: string } | undefined {
  const args = command.split(' ');
  if (!/(?:^|\/)conmon$/.test(args[0] ?? '')) return undefined;
  let id: string | undefined;
  let name: string | undefined;
  for (let i = 1; i < args.length - 1; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--cid') id = args[++i];
    else if (a === '-n' || a === '--name') name = args[++i];
  }
  if (!id || !/^[0-9a-f]{64}$/.test(id)) return undefined;
  return name ? { id, name } : { id };
}

type Via = PublishedPort['via'];

/** Which kind of forwarder a holder is, by its process name or command line. */
export function viaOf(name: string | undefined, command: string | undefined): Via | undefined {
  const argv0 = command?.split(' ', 1)[0] ?? '';
  if (name === 'docker-proxy' || /(?:^|\/)docker-proxy$/.test(argv0)) return 'docker-proxy';
  if (name === 'rootlessport' || /(?:^|\/)rootlessport$/.test(argv0)) return 'rootlessport';
  if (name === 'conmon' || /(?:^|\/)conmon$/.test(argv0)) return 'conmon';
  return undefined;
}

/**
 * Mark every host listener a container forwarder holds with what it publishes
 * (Socket.published). Reads only the runtimes' records, once, and only when
 * such a listener exists; the holders' command lines are already in the snapshot.
 */
export function annotatePublished(sockets: Socket[], procRoot: string, roots?: RuntimeRoots): void {
  let state: RuntimeState | undefined;
  let owners: OwnerResolver | undefined;
  const st = (): RuntimeState => (state ??= new RuntimeState(roots ?? defaultRuntimeRoots(procRoot)));
  const named = (ref: ContainerRef): ContainerRef => (owners ??= new OwnerResolver(procRoot, roots)).container(ref);
  for (const s of sockets) {
    if (s.holders.length === 0) continue;
    if (!(s.protocol === 'tcp' ? s.state === 'LISTEN' : s.state === 'UNCONN')) continue;
    for (const h of s.holders) {
      const via = viaOf(h.name, h.command);
      if (!via) continue;
      const p: PublishedPort = { via };
      if (via === 'docker-proxy') {
        const d = parseDockerProxy(h.command ?? '');
        if (d?.containerIp) {
          p.containerAddress = d.containerIp;
          const c = st().dockerByAddress(d.containerIp);
          if (c) p.container = c;
        }
        if (d?.containerPort !== undefined) p.containerPort = d.containerPort;
      } else {
        const c = via === 'conmon' ? parseConmon(h.command ?? '') : undefined;
        const byPort = st().podmanByHostPort(s.localPort, s.protocol);
        const id = c?.id ?? byPort?.id;
        if (id) {
          const ref = named({ runtime: 'podman', id });
          p.container = ref.name === undefined && c?.name ? { ...ref, name: c.name } : ref;
        }
        if (byPort && (!c || byPort.id === c.id)) p.containerPort = byPort.containerPort;
      }
      // A process that is merely named conmon, with nothing to show for it, is not taken for podman's.
      if (via === 'conmon' && !p.container) continue;
      s.published = p;
      break;
    }
  }
}

/** A host port a running container publishes by NAT rules alone, as its runtime recorded it. */
export interface NatPublished {
  container: ContainerRef;
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

/**
 * Containers that publish host port `port` (of `protocol`, when given) while no
 * host socket holds it: Docker with the userland proxy off, where NAT rules
 * alone carry the traffic. From Docker's records (root's to read); the caller
 * asks only when the host has no listener on the port.
 */
export function natPublished(procRoot: string, port: number, protocol?: string, roots?: RuntimeRoots): NatPublished[] {
  try {
    const st = new RuntimeState(roots ?? defaultRuntimeRoots(procRoot));
    // One entry per container and port inside: Docker records 0.0.0.0 and :: bindings apart.
    const seen = new Set<string>();
    return st.dockerPublished().filter((p) => {
      if (p.hostPort !== port || (protocol !== undefined && p.protocol !== protocol)) return false;
      const key = `${p.container.id}|${p.protocol}|${p.containerPort}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  } catch {
    return [];
  }
}

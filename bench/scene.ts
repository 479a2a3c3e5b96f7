// Socket scenes on loopback, built from helper processes (bench/helper.ts) that
// the bench starts and stops itself. A scene is static once built: every
// connection is accepted and idle, so sockscope and ss must count the same.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface SceneSpec {
  name: string;
  /** What it stands for, for the report. */
  title: string;
  /** Connections to make to each listener (one listener per entry). The first one is the busy port. */
  listeners: number[];
  udpUnconnected: number;
  udpConnected: number;
}

export const SCENES: Record<string, SceneSpec> = {
  small: { name: 'small', title: 'developer laptop (~1k sockets)', listeners: [200, 100, 50, 30, 20], udpUnconnected: 150, udpConnected: 50 },
  large: { name: 'large', title: 'busy server (~100k TCP sockets)', listeners: [50_000, 50, 50, 50, 50], udpUnconnected: 2000, udpConnected: 1000 },
};

export const HOST = '127.0.0.1';

interface Helper {
  role: 'acceptor' | 'client' | 'udp';
  child: ChildProcess;
  pid: number;
  messages: { ev: string; [k: string]: unknown }[];
  waiters: { ev: string; resolve: (m: { ev: string; [k: string]: unknown }) => void }[];
}

export interface Scene {
  spec: SceneSpec;
  listenerPorts: number[];
  busyPort: number;
  freePort: number;
  udpPorts: Set<number>;
  helperPids: Set<number>;
  /** TCP sockets of the scene: listeners plus both ends of each connection. */
  expectedTcp: number;
  expectedUdp: number;
  buildMs: number;
  processes: { acceptors: number; clients: number; udp: number; fdQuota: number; sourceAddresses: string[] };
}

const HELPER = new URL('./helper.js', import.meta.url).pathname;
const live = new Set<Helper>();

/** The open-files limit a helper gets after raising its soft limit as far as it may. */
export function helperFdLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 1024;
}

/** Size of the ephemeral port range (per source address). */
export function ephemeralRange(): number {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return hi! - lo! + 1;
  } catch {
    return 28232;
  }
}

function readSysctl(path: string): number | undefined {
  try { return Number(readFileSync(path, 'utf8').trim()); } catch { return undefined; }
}

function startHelper(role: Helper['role']): Promise<Helper> {
  // Through sh so the helper may raise its own open-files limit (as root with
  // CAP_SYS_RESOURCE up to fs.nr_open; otherwise soft up to the hard limit).
  const child = spawn('sh', ['-c', 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
    process.execPath, HELPER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const h: Helper = { role, child, pid: child.pid ?? -1, messages: [], waiters: [] };
  live.add(h);
  child.on('message', (m: { ev: string; [k: string]: unknown }) => {
    if (m.ev === 'error') process.stderr.write(`bench: helper ${h.pid} (${role}): ${String(m['detail'])}\n`);
    const i = h.waiters.findIndex((w) => w.ev === m.ev);
    if (i >= 0) h.waiters.splice(i, 1)[0]!.resolve(m);
    else h.messages.push(m);
  });
  child.on('exit', () => live.delete(h));
  return waitFor(h, 'hello', 15_000).then((m) => {
    h.pid = Number(m['pid']);
    return h;
  });
}

function waitFor(h: Helper, ev: string, timeoutMs: number): Promise<{ ev: string; [k: string]: unknown }> {
  const i = h.messages.findIndex((m) => m.ev === ev);
  if (i >= 0) return Promise.resolve(h.messages.splice(i, 1)[0]!);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`helper ${h.pid} (${h.role}): no '${ev}' within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, sig: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`helper ${h.pid} (${h.role}) exited (${code ?? sig}) while waiting for '${ev}'`));
    };
    h.child.once('exit', onExit);
    h.waiters.push({ ev, resolve: (m) => { clearTimeout(timer); h.child.removeListener('exit', onExit); resolve(m); } });
  });
}

function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    // Connections only start after the bench closed its own copy, so it never accepts any.
    s.listen({ host: HOST, port, backlog: 4096 }, () => resolve(s));
  });
}

/** The first port of the ephemeral range. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768;
  }
}

let nextCandidate = 0;

/**
 * Listen on a port below the ephemeral range: then no client socket (bound to
 * an ephemeral port on another 127.0.0.x) or UDP socket can share its number,
 * and `port N` has an exact expected answer. Port 0 when there is no room.
 */
async function listen(): Promise<net.Server> {
  const lo = ephemeralLow();
  const first = Math.max(1024, lo - 12_000);
  const span = lo - first;
  if (span >= 100) {
    if (nextCandidate === 0) nextCandidate = first + Math.floor(Math.random() * span);
    for (let tries = 0; tries < 2000; tries++) {
      const port = first + ((nextCandidate++ - first) % span);
      try {
        return await listenOn(port);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
      }
    }
  }
  return listenOn(0);
}

async function freePort(): Promise<number> {
  const s = await listen();
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

/** Build a scene; throws (after tearing down what it started) when it cannot be built in time. */
export async function buildScene(spec: SceneSpec, timeoutMs = 180_000): Promise<Scene> {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  const left = (): number => Math.max(1000, deadline - performance.now());
  const total = spec.listeners.reduce((a, b) => a + b, 0);
  const fdLimit = helperFdLimit();
  // Keep a margin for node's own descriptors and the IPC channel.
  const fdQuota = Math.max(64, Math.min(15_000, fdLimit - 300));
  const range = ephemeralRange();
  const perClient = fdQuota;
  const nClients = Math.max(1, Math.ceil(total / perClient));
  // bind(127.0.0.x, 0) draws from the ephemeral range of that address: use a small part of it.
  const perAddress = Math.max(100, Math.min(4000, Math.floor(range * 0.15)));
  const nAddresses = Math.ceil(total / perAddress);
  if (nAddresses > 240) throw new Error(`scene ${spec.name} needs ${nAddresses} source addresses of 127.0.0.0/8 (ephemeral range ${range}); too many`);
  const nAcceptors = total <= fdQuota ? 1 : Math.ceil(total / fdQuota) + 1;
  const somaxconn = readSysctl('/proc/sys/net/core/somaxconn');
  log(`scene ${spec.name}: ${spec.listeners.length} listeners, ${total} connections, ${spec.udpUnconnected + spec.udpConnected} UDP; ` +
    `fd limit ${fdLimit} -> ${fdQuota} per process, ${nAcceptors} acceptor(s), ${nClients} client(s), ${nAddresses} source address(es), ephemeral range ${range}, somaxconn ${somaxconn ?? '?'}`);

  try {
    const [acceptors, clients, udpHelper] = await Promise.all([
      Promise.all(Array.from({ length: nAcceptors }, () => startHelper('acceptor'))),
      Promise.all(Array.from({ length: nClients }, () => startHelper('client'))),
      spec.udpUnconnected + spec.udpConnected > 0 ? startHelper('udp') : Promise.resolve(undefined),
    ]);
    for (const a of acceptors) a.child.send({ cmd: 'acceptor', quota: fdQuota });
    await Promise.all(acceptors.map((a) => waitFor(a, 'ready', left())));

    // Listeners: created here, shared with every acceptor, then our copy closed.
    const listenerPorts: number[] = [];
    for (let i = 0; i < spec.listeners.length; i++) {
      const server = await listen();
      const port = (server.address() as net.AddressInfo).port;
      listenerPorts.push(port);
      for (const a of acceptors) {
        await new Promise<void>((resolve, reject) => a.child.send({ cmd: 'listener', port }, server, (e) => (e ? reject(e) : resolve())));
        await waitFor(a, 'listener-ok', left());
      }
      await new Promise<void>((r) => server.close(() => r()));
    }

    // Connections: clients fill up in order, each task from one 127.0.0.x source
    // address. bind(addr, 0) slows down badly once a good part of the ephemeral
    // range is taken on that address (a linear search in the kernel), so each
    // source address carries at most `perAddress` connections.
    const plan: { host: string; port: number; count: number; localAddress: string }[][] = clients.map(() => []);
    let c = 0;
    let clientRoom = perClient;
    let a = 0;
    let addrRoom = perAddress;
    spec.listeners.forEach((n, i) => {
      let rest = n;
      while (rest > 0) {
        const take = Math.min(rest, clientRoom, addrRoom);
        plan[c]!.push({ host: HOST, port: listenerPorts[i]!, count: take, localAddress: `127.0.0.${10 + a}` });
        rest -= take;
        clientRoom -= take;
        addrRoom -= take;
        if (clientRoom === 0) { c++; clientRoom = perClient; }
        if (addrRoom === 0) { a++; addrRoom = perAddress; }
      }
    });
    const sourceAddresses = [...new Set(plan.flat().map((t) => t.localAddress))];
    const tc = performance.now();
    clients.forEach((cl, i) => cl.child.send({ cmd: 'connect', tasks: plan[i], concurrency: 200 }));
    let udpPorts = new Set<number>();
    if (udpHelper) udpHelper.child.send({ cmd: 'udp', host: HOST, unconnected: spec.udpUnconnected, connected: spec.udpConnected });
    const results = await Promise.all(clients.map((cl) => waitFor(cl, 'connected', left())));
    const failed = results.reduce((a, r) => a + Number(r['failed']), 0);
    if (failed > 0) throw new Error(`${failed} of ${total} connections failed: ${results.flatMap((r) => r['errors'] as string[]).slice(0, 3).join('; ')}`);
    log(`scene ${spec.name}: ${total} connections in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
    if (udpHelper) udpPorts = new Set((await waitFor(udpHelper, 'udp-ready', left()))['ports'] as number[]);

    // Wait until every connection has been accepted (no socket left in an accept queue).
    for (;;) {
      for (const a of acceptors) a.child.send({ cmd: 'status' });
      const st = await Promise.all(acceptors.map((a) => waitFor(a, 'status', left())));
      const got = st.reduce((s, m) => s + Number(m['accepted']), 0);
      if (got === total) break;
      if (got > total) throw new Error(`acceptors accepted ${got} connections, expected ${total}`);
      if (performance.now() > deadline) throw new Error(`only ${got} of ${total} connections accepted in time`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const scene: Scene = {
      spec,
      listenerPorts,
      busyPort: listenerPorts[0]!,
      freePort: await freePort(),
      udpPorts,
      helperPids: new Set([...acceptors, ...clients, ...(udpHelper ? [udpHelper] : [])].map((h) => h.pid)),
      expectedTcp: spec.listeners.length + 2 * total,
      expectedUdp: spec.udpUnconnected + spec.udpConnected,
      buildMs: performance.now() - t0,
      processes: { acceptors: nAcceptors, clients: nClients, udp: udpHelper ? 1 : 0, fdQuota, sourceAddresses },
    };
    log(`scene ${spec.name}: built in ${(scene.buildMs / 1000).toFixed(1)} s; busy port ${scene.busyPort}, free port ${scene.freePort}`);
    return scene;
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Stop every helper: ask nicely (RST close, no TIME_WAIT), then SIGKILL what is left. */
export async function stopAll(graceMs = 10_000): Promise<void> {
  const hs = [...live];
  if (hs.length === 0) return;
  const exited = hs.map((h) => new Promise<void>((r) => {
    if (h.child.exitCode !== null || h.child.signalCode !== null) r();
    else h.child.once('exit', () => r());
  }));
  for (const h of hs) {
    try { h.child.send({ cmd: 'stop' }); } catch { /* channel gone */ }
  }
  const timer = setTimeout(() => killAllNow(), graceMs);
  await Promise.all(exited);
  clearTimeout(timer);
}

/** Synchronous last resort (exit handlers): SIGKILL every helper still alive. */
export function killAllNow(): void {
  for (const h of live) {
    try { process.kill(h.pid, 'SIGKILL'); } catch { /* gone */ }
    try { h.child.kill('SIGKILL'); } catch { /* gone */ }
  }
}

export function liveHelpers(): number {
  return live.size;
}

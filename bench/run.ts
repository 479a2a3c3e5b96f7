// `npm run bench`: sockscope against the floor (../shared/bench/floor.c, the job
// in plain C), ss, netstat, lsof, psutil and systeminformation on static
// loopback socket scenes the bench builds itself, then a markdown report in
// docs/benchmarks.md with PASS/MISS for the performance targets.
//
//   node dist/bench/run.js [--scene small|large|all] [--reps N] [--warmup N]
//                          [--large-conns N] [--timeout SECONDS] [--skip id,id]
//                          [--profile] [--out FILE | --no-write] [--hold]
// --skip takes command ids (sc-json, sc-table-all, floor, floor-c, psutil, lsof-tcp, ...) and
// also watch, traffic, web, exporter and netns (the long-running commands' costs).
// The same settings as environment variables: BENCH_SCENE, BENCH_REPS,
// BENCH_WARMUP, BENCH_LARGE_CONNS, BENCH_TIMEOUT, BENCH_SKIP, BENCH_PROFILE=1, BENCH_OUT;
// BENCH_FLOOR_SRC: floor.c elsewhere than ../shared/bench/floor.c.
//
// Needs Linux, GNU time (/usr/bin/time, Debian package `time`) and the peers
// (iproute2's ss, net-tools' netstat, lsof, gcc for the floor, python3 with
// psutil: Debian package python3-psutil); a missing peer is reported, not fatal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GNU_TIME, cleanupMeasure, haveGnuTime, median, run, type RunResult } from './measure.js';
import { scrapeCost, type ScrapeCost } from './fleet.js';
import { netnsCost, webCost, webPaint, type NetnsCost, type PaintCost, type WebCost } from './live-costs.js';
import { HOST, SCENES, buildScene, killAllNow, stopAll, type Scene, type SceneSpec } from './scene.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'sockscope.js');
const SI_PEER = fileURLToPath(new URL('./si-peer.js', import.meta.url));
// Not compiled: read from the source tree (dist/bench holds only the compiled TypeScript).
const PSUTIL_PEER = join(ROOT, 'bench', 'psutil-peer.py');
// CI and clones keep ../shared beside the project; BENCH_FLOOR_SRC points elsewhere.
const FLOOR_SRC = process.env['BENCH_FLOOR_SRC'] || join(ROOT, '..', 'shared', 'bench', 'floor.c');

// ---------------------------------------------------------------- peers found at start

/** The peers that need finding or building before the scenes. */
interface Peers {
  si: boolean;
  /** The floor binary, built from FLOOR_SRC into a temporary directory for this run. */
  floor?: string;
  /** A python3 that imports psutil. */
  python?: string;
  psutilVersion?: string;
  gccVersion?: string;
}

let floorDir: string | undefined;

function cleanupFloor(): void {
  if (floorDir) rmSync(floorDir, { recursive: true, force: true });
  floorDir = undefined;
}

/** Build the floor once per run; a missing gcc or floor.c leaves it out (with a note), never fails the run. */
function buildFloor(notes: string[]): { bin?: string; gcc?: string } {
  if (spawnSync('sh', ['-c', 'command -v gcc']).status !== 0) {
    notes.push('floor: gcc is not installed (Debian package gcc), so the floor was not built: its rows and the ratios to it are missing.');
    return {};
  }
  const gcc = firstLine(['gcc', '--version']);
  if (!existsSync(FLOOR_SRC)) {
    notes.push(`floor: ${FLOOR_SRC} not found (the bench expects ../shared beside the project): its rows and the ratios to it are missing.`);
    return { gcc };
  }
  floorDir = mkdtempSync(join(os.tmpdir(), 'sockscope-floor-'));
  const bin = join(floorDir, 'floor');
  const r = spawnSync('gcc', ['-O2', '-pthread', '-o', bin, FLOOR_SRC], { encoding: 'utf8' });
  if (r.status !== 0) {
    const lines = (r.stderr || r.error?.message || '').split('\n');
    const why = (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '').trim().slice(0, 200);
    notes.push(`floor: \`gcc -O2 -pthread\` failed (${why}): its rows and the ratios to it are missing.`);
    cleanupFloor();
    return { gcc };
  }
  log(`floor: built ${bin} from ${FLOOR_SRC}`);
  return { bin, gcc };
}

/** The first python3 that imports psutil: the one on PATH, then Debian's (python3-psutil installs for /usr/bin/python3). */
function findPsutil(): { python?: string; version?: string } {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, [PSUTIL_PEER, '--probe'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
  }
  return {};
}

// ---------------------------------------------------------------- options

interface Options {
  scenes: SceneSpec[];
  reps: number;
  warmup: number;
  timeoutMs: number;
  skip: Set<string>;
  profile: boolean;
  /** Build the scenes, print their ports and keep them until SIGINT (for profiling by hand). */
  hold: boolean;
  out?: string;
}

function parseOptions(argv: string[]): Options {
  const env = process.env;
  const get = (flag: string, envName: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i >= 0) {
      const v = argv[i + 1];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    }
    const eq = argv.find((a) => a.startsWith(flag + '='));
    return eq ? eq.slice(flag.length + 1) : env[envName];
  };
  const int = (v: string | undefined, d: number, what: string): number => {
    if (v === undefined || v === '') return d;
    if (!/^\d+$/.test(v)) throw new Error(`${what}: expected a whole number, got '${v}'`);
    return Number(v);
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 17)
      .map((l) => l.slice(3)).join('\n') + '\n');
    process.exit(0);
  }
  const sceneArg = (get('--scene', 'BENCH_SCENE') ?? 'all').toLowerCase();
  const names = sceneArg === 'all' ? Object.keys(SCENES) : sceneArg.split(',');
  const largeConns = get('--large-conns', 'BENCH_LARGE_CONNS');
  const scenes = names.map((n) => {
    const s = SCENES[n === '100k' ? 'large' : n === '1k' ? 'small' : n];
    if (!s) throw new Error(`unknown scene '${n}' (small, large, all)`);
    if (s.name === 'large' && largeConns !== undefined) {
      return { ...s, listeners: [int(largeConns, 50_000, '--large-conns'), ...s.listeners.slice(1)] };
    }
    return s;
  });
  const outArg = get('--out', 'BENCH_OUT');
  return {
    scenes,
    reps: Math.max(1, int(get('--reps', 'BENCH_REPS'), 5, '--reps')),
    warmup: int(get('--warmup', 'BENCH_WARMUP'), 1, '--warmup'),
    timeoutMs: int(get('--timeout', 'BENCH_TIMEOUT'), 300, '--timeout') * 1000,
    skip: new Set((get('--skip', 'BENCH_SKIP') ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    profile: argv.includes('--profile') || env['BENCH_PROFILE'] === '1',
    hold: argv.includes('--hold'),
    out: argv.includes('--no-write') ? undefined : outArg ?? join(ROOT, 'docs', 'benchmarks.md'),
  };
}

// ---------------------------------------------------------------- socket counting

interface Endpoint { addr: string; port: number }

function splitEndpoint(text: string): Endpoint {
  const i = text.lastIndexOf(':');
  let addr = text.slice(0, i);
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1);
  const p = text.slice(i + 1);
  return { addr, port: p === '*' ? 0 : Number(p) };
}

function isSceneTcp(scene: Scene, l: Endpoint, r: Endpoint): boolean {
  const ports = scene.listenerPorts;
  return (l.addr === HOST && ports.includes(l.port)) || (r.addr === HOST && ports.includes(r.port));
}

interface SsCount { total: number; scene: number; timeWait: number; sceneUdp: number; otherTimeWait: number }

/** Count the rows of `ss -tan` / `ss -tuan` output (header skipped). */
function countSs(scene: Scene, text: string, withNetid = false): SsCount {
  const c: SsCount = { total: 0, scene: 0, timeWait: 0, sceneUdp: 0, otherTimeWait: 0 };
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const f = line.split(/\s+/);
    const off = withNetid ? 1 : 0;
    const netid = withNetid ? f[0] : 'tcp';
    const state = f[off]!;
    const l = splitEndpoint(f[off + 3]!);
    const r = splitEndpoint(f[off + 4]!);
    c.total++;
    if (state === 'TIME-WAIT') c.timeWait++;
    if (netid === 'tcp' && isSceneTcp(scene, l, r)) c.scene++;
    else if (state === 'TIME-WAIT') c.otherTimeWait++;
    if (netid === 'udp' && l.addr === HOST && scene.udpPorts.has(l.port)) c.sceneUdp++;
  }
  return c;
}

interface JsonSocket {
  protocol: string; localAddress: string; localPort: number; remoteAddress: string; remotePort: number; state: string;
  holders: { pid: number }[];
}

/** Check a v1 JSON list answer (sockscope's, or the floor's: the same keys minus netns): every scene socket, each held by a scene helper. */
function verifyJsonList(r: RunResult, scene: Scene): string | undefined {
  let arr: JsonSocket[];
  try { arr = JSON.parse(r.stdout!) as JsonSocket[]; } catch (e) { return `invalid JSON: ${(e as Error).message}`; }
  let sceneN = 0;
  let unheld = 0;
  for (const s of arr) {
    if (s.protocol !== 'tcp') return `non-TCP socket in -t output: ${s.protocol}`;
    if (!isSceneTcp(scene, { addr: s.localAddress, port: s.localPort }, { addr: s.remoteAddress, port: s.remotePort })) continue;
    sceneN++;
    if (!s.holders.some((h) => scene.helperPids.has(h.pid))) unheld++;
  }
  (r as RunResult & { count?: number }).count = arr.length;
  if (sceneN !== scene.expectedTcp) return `found ${sceneN} scene TCP sockets, expected ${scene.expectedTcp}`;
  if (unheld > 0) return `${unheld} scene sockets without their helper process as holder`;
  return undefined;
}

/** Check a sockscope table: `want` rows held by a scene helper (no scene socket is in TIME_WAIT). */
function verifyTable(r: RunResult, scene: Scene, want: number): string | undefined {
  const lines = r.stdout!.split('\n');
  let held = 0;
  const re = /(\d+)\/\S* fd \d+/g;
  for (let i = 1; i < lines.length; i++) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(lines[i]!)) !== null) {
      if (scene.helperPids.has(Number(m[1]))) { held++; break; }
    }
  }
  return held === want ? undefined : `${held} table rows held by scene processes, expected ${want}`;
}

/** Check psutil's answer (one JSON object per line, one pid per socket): every scene socket, each with a scene helper's pid. */
function verifyPsutil(r: RunResult, scene: Scene): string | undefined {
  let sceneN = 0;
  let unheld = 0;
  let n = 0;
  for (const line of r.stdout!.split('\n')) {
    if (line === '') continue;
    let c: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number; pid: number | null };
    try { c = JSON.parse(line) as typeof c; } catch (e) { return `invalid JSON line: ${(e as Error).message}`; }
    n++;
    if (!isSceneTcp(scene, { addr: c.localAddress, port: c.localPort }, { addr: c.remoteAddress, port: c.remotePort })) continue;
    sceneN++;
    if (c.pid === null || !scene.helperPids.has(c.pid)) unheld++;
  }
  (r as RunResult & { count?: number }).count = n;
  if (sceneN !== scene.expectedTcp) return `found ${sceneN} scene TCP sockets, expected ${scene.expectedTcp}`;
  if (unheld > 0) return `${unheld} scene sockets without a helper process's pid`;
  return undefined;
}

/** Answers that list every TCP socket: their count is checked against `ss -tan` of the same repetition. */
const FULL_LISTS = new Set(['sc-json', 'floor', 'floor-c']);

// ---------------------------------------------------------------- commands

interface Cmd {
  id: string;
  label: string;
  argv: string[];
  sockscope: boolean;
  /** The sockscope command this peer is compared with. */
  vs?: string;
  keep?: boolean;
  /** Exit codes that mean success. */
  okCodes: number[];
  /** Verify a sockscope answer; returns a problem, or undefined when right. */
  verify?: (r: RunResult, scene: Scene) => string | undefined;
}

function commands(scene: Scene, peers: Peers, skip: Set<string>): Cmd[] {
  const node = process.execPath;
  const sc = (...args: string[]): string[] => [node, BIN, ...args];
  const busy = scene.busyPort;
  const free = scene.freePort;
  const conns0 = scene.spec.listeners[0]!;
  const list: Cmd[] = [
    {
      id: 'sc-json', label: 'sockscope list -t -a --json', argv: sc('list', '-t', '-a', '--json'), sockscope: true, keep: true, okCodes: [0],
      verify: verifyJsonList,
    },
    {
      // Rows held by a helper: every scene socket, TCP and UDP.
      id: 'sc-table', label: 'sockscope list', argv: sc('list'), sockscope: true, keep: true, okCodes: [0],
      verify: (r) => verifyTable(r, scene, scene.expectedTcp + scene.expectedUdp),
    },
    {
      // The JSON job as a table: every TCP socket, listeners and connections.
      id: 'sc-table-all', label: 'sockscope list -t -a', argv: sc('list', '-t', '-a'), sockscope: true, keep: true, okCodes: [0],
      verify: (r) => verifyTable(r, scene, scene.expectedTcp),
    },
    {
      id: 'sc-port-busy', label: `sockscope port <busy>`, argv: sc('port', String(busy)), sockscope: true, keep: true, okCodes: [0],
      verify: (r) => {
        const m = /(\d+) listening, (\d+) inbound, (\d+) outbound/.exec(r.stdout!.split('\n')[0] ?? '');
        if (!m) return `unexpected first line: ${r.stdout!.split('\n')[0]}`;
        const got = `${m[1]}/${m[2]}/${m[3]}`;
        const want = `1/${conns0}/${conns0}`;
        return got === want ? undefined : `listening/inbound/outbound ${got}, expected ${want}`;
      },
    },
    {
      id: 'sc-port-free', label: 'sockscope port <free>', argv: sc('port', String(free)), sockscope: true, keep: true, okCodes: [1],
      verify: (r) => (/: free\b/.test(r.stdout!) ? undefined : `port ${free} not reported free: stdout '${r.stdout!.slice(0, 200)}' stderr '${r.stderr.slice(0, 300)}'`),
    },
    {
      // The same table with struct tcp_info per connection (list -i): what -i costs.
      id: 'sc-info', label: 'sockscope list -t -a -i --json', argv: sc('list', '-t', '-a', '-i', '--json'), sockscope: true, keep: true, okCodes: [0],
      verify: (r) => {
        let arr: (JsonSocket & { tcp?: { bytesAcked?: number } })[];
        try { arr = JSON.parse(r.stdout!) as typeof arr; } catch (e) { return `invalid JSON: ${(e as Error).message}`; }
        const conns = arr.filter((s) => s.state === 'ESTABLISHED' && isSceneTcp(scene, { addr: s.localAddress, port: s.localPort }, { addr: s.remoteAddress, port: s.remotePort }));
        const without = conns.filter((s) => s.tcp === undefined).length;
        return without === 0 && conns.length > 0 ? undefined : `${without} of ${conns.length} scene connections without tcp_info`;
      },
    },
    {
      // Two looks one second apart (doctor's default): the wall time includes that second.
      id: 'sc-doctor', label: 'sockscope doctor --json', argv: sc('doctor', '--json'), sockscope: true, keep: true, okCodes: [0, 1],
      verify: (r) => {
        try {
          const rep = JSON.parse(r.stdout!) as { findings?: unknown; samples?: unknown };
          if (!Array.isArray(rep.findings)) return 'no findings array in the JSON answer';
          if (rep.samples !== 2) return `took ${String(rep.samples)} samples, expected 2`;
          return undefined;
        } catch (e) { return `invalid JSON: ${(e as Error).message}`; }
      },
    },
    { id: 'ss-tan', label: 'ss -tan', argv: ['ss', '-tan'], sockscope: false, vs: 'sc-json', keep: true, okCodes: [0] },
    { id: 'ss-tanp', label: 'ss -tanp', argv: ['ss', '-tanp'], sockscope: false, vs: 'sc-json', okCodes: [0] },
    { id: 'netstat', label: 'netstat -tanp', argv: ['netstat', '-tanp'], sockscope: false, vs: 'sc-json', okCodes: [0] },
    { id: 'lsof-tcp', label: 'lsof -nP -iTCP', argv: ['lsof', '-nP', '-iTCP'], sockscope: false, vs: 'sc-json', okCodes: [0] },
    { id: 'lsof-busy', label: 'lsof -nP -i :<busy>', argv: ['lsof', '-nP', `-i:${busy}`], sockscope: false, vs: 'sc-port-busy', okCodes: [0] },
    { id: 'lsof-free', label: 'lsof -nP -i :<free>', argv: ['lsof', '-nP', `-i:${free}`], sockscope: false, vs: 'sc-port-free', okCodes: [1] },
    { id: 'ss-sport', label: "ss -tanp 'sport = :<busy>'", argv: ['ss', '-tanp', `sport = :${busy}`], sockscope: false, vs: 'sc-port-busy', okCodes: [0] },
  ];
  // Reference: what any Node CLI pays before doing anything.
  list.push({ id: 'node', label: 'node -e 0 (Node start-up, reference)', argv: [node, '-e', '0'], sockscope: false, okCodes: [0] });
  if (peers.si) {
    list.push({ id: 'si', label: 'systeminformation networkConnections()', argv: [node, SI_PEER], sockscope: false, vs: 'sc-json', okCodes: [0] });
  }
  if (peers.python) {
    list.push({ id: 'psutil', label: "psutil net_connections(kind='tcp')", argv: [peers.python, PSUTIL_PEER], sockscope: false, vs: 'sc-json', keep: true, okCodes: [0],
      verify: verifyPsutil });
  }
  if (peers.floor) {
    // The job done as directly as Linux allows (C): what "close to the limit" is measured against.
    list.push({ id: 'floor', label: 'floor (C)', argv: [peers.floor], sockscope: false, vs: 'sc-json', keep: true, okCodes: [0], verify: verifyJsonList });
    list.push({ id: 'floor-c', label: 'floor -c (C, one compat dump)', argv: [peers.floor, '-c'], sockscope: false, vs: 'sc-json', keep: true, okCodes: [0], verify: verifyJsonList });
  }
  return list.filter((c) => !skip.has(c.id));
}

// ---------------------------------------------------------------- measuring a scene

interface Stat {
  cmd: Cmd;
  walls: number[];
  cpus: number[];
  rss: number[];
  lines: number[];
  problems: string[];
  failedRuns: number;
  timeouts: number;
}

/** The live view's cost per refresh, from `watch --events` with SOCKSCOPE_WATCH_COST_LOG=1. */
interface WatchCost { ticks: number; medianCpuMs: number; p90CpuMs: number; maxCpuMs: number; firstCpuMs: number; rssFirstMB: number; rssLastMB: number; sockets: number }

interface SceneResult {
  scene: Scene;
  watch?: WatchCost;
  /** `watch --events --traffic`: the same ticks with tcp_info byte counters and rates. */
  traffic?: WatchCost;
  web?: WebCost;
  paint?: PaintCost;
  scrape?: ScrapeCost;
  stats: Map<string, Stat>;
  counts: { rep: number; sockscope?: number; floor?: number; ss?: number; ssScene?: number }[];
  profile?: ProfileRow[];
  leftovers?: number;
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

/** Check the scene is what we built, with ss, before measuring anything. */
function checkSceneWithSs(scene: Scene): void {
  const r = spawnSync('ss', ['-tuan'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ss -tuan failed: ${r.stderr}`);
  const c = countSs(scene, r.stdout, true);
  if (c.scene !== scene.expectedTcp || c.sceneUdp !== scene.expectedUdp) {
    throw new Error(`scene ${scene.spec.name} is not as built: ss sees ${c.scene} TCP / ${c.sceneUdp} UDP scene sockets, expected ${scene.expectedTcp} / ${scene.expectedUdp}`);
  }
  log(`scene ${scene.spec.name}: ss confirms ${c.scene} TCP + ${c.sceneUdp} UDP scene sockets (${c.total} sockets in all)`);
}

async function measureScene(scene: Scene, opts: Options, peers: Peers): Promise<SceneResult> {
  const cmds = commands(scene, peers, opts.skip);
  const stats = new Map<string, Stat>(cmds.map((c) => [c.id, { cmd: c, walls: [], cpus: [], rss: [], lines: [], problems: [], failedRuns: 0, timeouts: 0 }]));
  const result: SceneResult = { scene, stats, counts: [] };
  const runOne = (c: Cmd): Promise<RunResult> => run(c.argv, { keepStdout: c.keep, timeoutMs: opts.timeoutMs });

  for (let w = 0; w < opts.warmup; w++) {
    for (const c of cmds) {
      const r = await runOne(c);
      log(`warm-up ${c.label}: ${r.wallMs.toFixed(0)} ms${r.timedOut ? ' (timed out)' : ''}`);
    }
  }
  for (let rep = 0; rep < opts.reps; rep++) {
    // Alternate the commands within each repetition, starting one further each time.
    const order = cmds.map((_, i) => cmds[(i + rep) % cmds.length]!);
    const runs = new Map<string, RunResult>();
    for (const c of order) {
      const r = await runOne(c);
      runs.set(c.id, r);
    }
    // Check each answer, then keep the numbers of the right ones.
    const ssRun = runs.get('ss-tan');
    const ssCount = ssRun?.stdout !== undefined ? countSs(scene, ssRun.stdout) : undefined;
    const countRow: SceneResult['counts'][number] = { rep: rep + 1, ss: ssCount?.total, ssScene: ssCount?.scene };
    for (const c of cmds) {
      const r = runs.get(c.id)!;
      const st = stats.get(c.id)!;
      let problem: string | undefined;
      if (r.timedOut) {
        st.timeouts++;
        problem = `timed out after ${opts.timeoutMs / 1000} s`;
      } else if (r.exitCode === null || !c.okCodes.includes(r.exitCode)) {
        problem = `exit ${r.exitCode ?? r.signal}: ${r.stderr.split('\n')[0]?.slice(0, 160) ?? ''}`;
      } else if (r.stderr !== '' && c.sockscope && /error|exception|at .*:\d+:\d+/i.test(r.stderr)) {
        problem = `stderr: ${r.stderr.slice(0, 300)}`;
      } else if (c.verify) {
        problem = c.verify(r, scene);
      }
      if (!problem && FULL_LISTS.has(c.id)) {
        const n = (r as RunResult & { count?: number }).count!;
        if (c.id === 'sc-json') countRow.sockscope = n;
        else if (c.id === 'floor') countRow.floor = n;
        if (!ssCount) problem = undefined; // ss skipped: the scene check above still applies
        else if (ssCount.scene !== scene.expectedTcp) problem = `ss -tan saw ${ssCount.scene} scene sockets, expected ${scene.expectedTcp}`;
        // Only sockets outside the scene may churn between the two runs (other programs on
        // the machine): up to 20, plus the TIME_WAIT sockets of others, which expire by themselves.
        else if (Math.abs(n - ssCount.total) > 20 + ssCount.otherTimeWait) {
          problem = `${c.label} found ${n} TCP sockets, ss -tan ${ssCount.total} (${ssCount.otherTimeWait} others in TIME_WAIT)`;
        }
      }
      if (problem) {
        st.failedRuns++;
        st.problems.push(`rep ${rep + 1}: ${problem}`);
        log(`${c.label}: PROBLEM ${problem}`);
        continue;
      }
      st.walls.push(r.wallMs);
      if (r.cpuMs !== undefined) st.cpus.push(r.cpuMs);
      if (r.maxRssKiB !== undefined) st.rss.push(r.maxRssKiB);
      st.lines.push(r.stdoutLines);
    }
    result.counts.push(countRow);
    log(`scene ${scene.spec.name}: rep ${rep + 1}/${opts.reps}: ` +
      cmds.map((c) => `${c.id} ${runs.get(c.id)!.wallMs.toFixed(0)}`).join(', ') + ' ms');
  }
  if (opts.profile) result.profile = await profileSockscope(['list', '-t', '-a', '--json'], opts.timeoutMs);
  if (!opts.skip.has('watch')) result.watch = watchCost(scene.spec.name === 'large' ? 40 : 10);
  if (!opts.skip.has('traffic')) result.traffic = watchCost(scene.spec.name === 'large' ? 20 : 10, ['--traffic']);
  if (!opts.skip.has('web')) {
    try {
      result.web = await webCost(BIN, scene.spec.name === 'large' ? 20 : 10, log);
      if (result.web) log(`web: first rows ${result.web.firstRowsMs.toFixed(0)} ms, look ${result.web.lookCpuMs.toFixed(0)} ms CPU, server ${result.web.serverCpuMs.toFixed(1)} ms CPU per look`);
    } catch (e) {
      log(`web: ${(e as Error).message}`);
    }
    result.paint = await webPaint(BIN, 3, log);
    if (result.paint) log(`web paint: map ${result.paint.mapMs.toFixed(0)} ms, table ${result.paint.tableMs.toFixed(0)} ms`);
  }
  if (!opts.skip.has('exporter')) {
    try {
      result.scrape = await scrapeCost(BIN, 10, log);
    } catch (e) {
      log(`exporter: ${(e as Error).message}`);
    }
  }
  return result;
}

/**
 * Run the live collector for `seconds` (one tick a second) and read the cost of
 * each tick. The first tick does the full fd scan; the others refresh holders
 * incrementally, which is what the live view pays every second.
 */
function watchCost(seconds: number, extra: string[] = []): WatchCost | undefined {
  const r = spawnSync(process.execPath, [BIN, 'watch', '--events', ...extra, '--interval', '1', '--duration', String(seconds)],
    { encoding: 'utf8', env: { ...process.env, SOCKSCOPE_WATCH_COST_LOG: '1' }, maxBuffer: 1 << 28, timeout: (seconds + 60) * 1000 });
  const ticks = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { cpuMs: number; rss: number; sockets: number });
  if (ticks.length < 3) {
    log(`watch cost: only ${ticks.length} ticks (${r.stderr.slice(0, 200)})`);
    return undefined;
  }
  const rest = ticks.slice(1).map((t) => t.cpuMs).sort((a, b) => a - b);
  const third = Math.max(1, Math.floor(ticks.length / 3));
  const avgRss = (xs: { rss: number }[]): number => xs.reduce((a, b) => a + b.rss, 0) / xs.length / (1 << 20);
  const w: WatchCost = {
    ticks: ticks.length, firstCpuMs: ticks[0]!.cpuMs, medianCpuMs: median(rest)!, p90CpuMs: rest[Math.floor(rest.length * 0.9)]!,
    maxCpuMs: rest[rest.length - 1]!, rssFirstMB: avgRss(ticks.slice(1, 1 + third)), rssLastMB: avgRss(ticks.slice(-third)), sockets: ticks.at(-1)!.sockets,
  };
  log(`watch${extra.length ? ' ' + extra.join(' ') : ''} cost: ${w.ticks} ticks, median ${w.medianCpuMs.toFixed(0)} ms CPU, p90 ${w.p90CpuMs.toFixed(0)}, first ${w.firstCpuMs.toFixed(0)}; RSS ${w.rssFirstMB.toFixed(0)} -> ${w.rssLastMB.toFixed(0)} MB`);
  return w;
}

// ---------------------------------------------------------------- CPU profile

export interface ProfileRow { fn: string; where: string; selfMs: number; pct: number }

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

async function profileSockscope(args: string[], timeoutMs: number): Promise<ProfileRow[]> {
  const dir = mkdtempSync(join(os.tmpdir(), 'sockscope-prof-'));
  try {
    await run([process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, ...args], { timeoutMs });
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) return [];
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map<string, { fn: string; where: string; us: number }>();
    let total = 0;
    prof.samples.forEach((id, i) => {
      const dt = prof.timeDeltas[i] ?? 0;
      total += dt;
      const n = byId.get(id);
      if (!n) return;
      const cf = n.callFrame;
      const where = cf.url ? `${cf.url.replace('file://' + ROOT, '').replace(/^node:/, 'node:')}:${cf.lineNumber + 1}` : '';
      const key = `${cf.functionName}@${where}`;
      const e = self.get(key) ?? { fn: cf.functionName || '(anonymous)', where, us: 0 };
      e.us += dt;
      self.set(key, e);
    });
    return [...self.values()].sort((a, b) => b.us - a.us).slice(0, 15)
      .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, pct: total ? (100 * e.us) / total : 0 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

function firstLine(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'not found';
}

function machine(peers: Peers): Record<string, string> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let siVersion = 'not installed';
  try {
    siVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'systeminformation', 'package.json'), 'utf8')) as { version: string }).version;
  } catch { /* not installed */ }
  const lsofV = spawnSync('lsof', ['-v'], { encoding: 'utf8' });
  return {
    CPU: model,
    Cores: String(os.cpus().length),
    RAM: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    Kernel: `${os.type()} ${os.release()}`,
    Node: process.version,
    Date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    sockscope: firstLine([process.execPath, BIN, '--version']),
    ss: firstLine(['ss', '-V']),
    netstat: firstLine(['netstat', '--version']),
    lsof: /revision:\s*(\S+)/.exec(`${lsofV.stdout ?? ''}${lsofV.stderr ?? ''}`)?.[1] ?? 'not found',
    systeminformation: siVersion,
    psutil: peers.psutilVersion ? `${peers.psutilVersion} (${firstLine([peers.python!, '--version'])}, ${peers.python})` : 'not installed',
    'floor (C)': peers.floor ? `${process.env['BENCH_FLOOR_SRC'] || '../shared/bench/floor.c'} built with \`gcc -O2 -pthread\` (${peers.gccVersion ?? 'gcc'})` : 'not built',
    'Open-files limit': firstLine(['sh', '-c', 'ulimit -n']),
    'sockscope commit': `${firstLine(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'])}${spawnSync('git', ['-C', ROOT, 'diff', '--quiet', 'HEAD', '--', 'src']).status === 1 ? ' (src modified)' : ''}`,
    'Native fd scan': existsSync(join(ROOT, 'build', 'Release', 'sockscope_scan.node')) && process.env['SOCKSCOPE_NATIVE'] !== '0' ? 'built (build/Release/sockscope_scan.node)' : 'not built (JavaScript scan)',
    'Load average at start': os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

const ms = (x: number | undefined): string => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mb = (kib: number | undefined): string => (kib === undefined ? '–' : (kib / 1024).toFixed(1));

interface Target { what: string; measured: string; pass: boolean | undefined }

function ratio(res: SceneResult | undefined, peer: string, sc: string): { r?: number; peer?: number; sc?: number } {
  if (!res) return {};
  const p = res.stats.get(peer);
  const s = res.stats.get(sc);
  const pm = p ? median(p.walls) : undefined;
  const sm = s ? median(s.walls) : undefined;
  // A timed-out peer is at least as slow as the timeout: count it as such.
  const pw = pm ?? (p && p.timeouts > 0 ? Infinity : undefined);
  return { r: pw !== undefined && sm ? pw / sm : undefined, peer: pw, sc: sm };
}

function targets(results: SceneResult[]): Target[] {
  const large = results.find((r) => r.scene.spec.name === 'large');
  const small = results.find((r) => r.scene.spec.name === 'small');
  const out: Target[] = [];
  const speed = (res: SceneResult | undefined, scene: string, peer: string, sc: string, need: number, label: string): void => {
    const { r, peer: p, sc: s } = ratio(res, peer, sc);
    out.push({
      what: `${scene}: ${label} ≥ ${need}× faster`,
      measured: r === undefined ? (res ? 'no valid measurement' : 'scene not run') : `${ms(s)} ms vs ${p === Infinity ? 'timeout' : ms(p) + ' ms'} = ${r === Infinity ? '∞' : r.toFixed(2)}×`,
      pass: r === undefined ? undefined : r >= need,
    });
  };
  // Issue 15: how close to the floor (the same job in C, same run, same scene).
  const vsRef = (res: SceneResult | undefined, scene: string, sc: string, ref: string, max: number, label: string, refLabel: string): void => {
    const s = res?.stats.get(sc);
    const f = res?.stats.get(ref);
    const sm = s ? median(s.walls) : undefined;
    const fm = f ? median(f.walls) : undefined;
    const r = sm !== undefined && fm ? sm / fm : undefined;
    const sc2 = s ? median(s.cpus) : undefined;
    const fc = f ? median(f.cpus) : undefined;
    const cpu = sc2 !== undefined && fc ? `; CPU ${ms(sc2)} ms vs ${ms(fc)} ms = ${(sc2 / fc).toFixed(2)}×` : '';
    const why = !res ? 'scene not run' : !f ? `${refLabel.replace(/`/g, '')} not measured` : 'no valid measurement';
    out.push({
      what: `${scene}: ${label} ≤ ${max}× ${refLabel} (median wall)`,
      measured: r === undefined ? why : `${ms(sm)} ms vs ${ms(fm)} ms = ${r.toFixed(2)}×${cpu}`,
      pass: r === undefined ? undefined : r <= max,
    });
  };
  vsRef(large, 'large', 'sc-json', 'floor', 1.5, '`sockscope list -t -a --json`', 'the floor');
  vsRef(large, 'large', 'sc-table-all', 'floor', 1.7, '`sockscope list -t -a` (table)', 'the floor');
  speed(large, 'large', 'ss-tanp', 'sc-json', 6, '`sockscope list -t -a --json` vs `ss -tanp`');
  speed(large, 'large', 'lsof-tcp', 'sc-json', 2.5, '`sockscope list -t -a --json` vs `lsof -nP -iTCP`');
  const j = large?.stats.get('sc-json');
  const rss = j && j.rss.length ? Math.max(...j.rss) : undefined;
  const f = large?.stats.get('floor');
  const frss = f && f.rss.length ? Math.max(...f.rss) : undefined;
  out.push({ what: 'large: `sockscope list -t -a --json` peak RSS ≤ 80 MB', measured: rss === undefined ? (large ? 'no valid measurement' : 'scene not run') : `${mb(rss)} MB (max of runs${frss !== undefined ? `; the floor ${mb(frss)} MB` : ''})`, pass: rss === undefined ? undefined : rss / 1024 <= 80 });
  for (const res of [large, small]) {
    const name = res?.scene.spec.name ?? (res === large ? 'large' : 'small');
    // Issue 15 sets 5× on the large scene; the small scene keeps the older 3×.
    speed(res, name, 'lsof-busy', 'sc-port-busy', name === 'large' ? 5 : 3, '`sockscope port <busy>` vs `lsof -nP -i :<busy>`');
    speed(res, name, 'lsof-free', 'sc-port-free', 3, '`sockscope port <free>` vs `lsof -nP -i :<free>`');
  }
  const wc = large?.watch;
  out.push({ what: 'large: one `watch` refresh tick ≤ 150 CPU ms (median of the ticks after the first)', measured: wc ? `${wc.medianCpuMs.toFixed(0)} ms (p90 ${wc.p90CpuMs.toFixed(0)}, max ${wc.maxCpuMs.toFixed(0)}, first tick ${wc.firstCpuMs.toFixed(0)}; ${wc.ticks} ticks, ${wc.sockets} sockets)` : 'not measured', pass: wc ? wc.medianCpuMs <= 150 : undefined });
  const tc = large?.traffic;
  out.push({ what: 'large: one `watch --traffic` tick (rates from tcp_info) ≤ 2× the plain tick\'s CPU', measured: tc && wc ? `${tc.medianCpuMs.toFixed(0)} ms vs ${wc.medianCpuMs.toFixed(0)} ms (p90 ${tc.p90CpuMs.toFixed(0)})` : 'not measured', pass: tc && wc ? tc.medianCpuMs <= 2 * wc.medianCpuMs : undefined });
  for (const res of [small, large]) {
    const w = res?.web;
    const name = res?.scene.spec.name ?? (res === large ? 'large' : 'small');
    out.push({ what: `${name}: \`sockscope web\` server work per look (ids, timeline, map, sorted rows, broadcast) ≤ 20% of the look itself`, measured: w ? `${w.serverCpuMs.toFixed(1)} ms vs look ${w.lookCpuMs.toFixed(0)} ms (max ${w.maxServerCpuMs.toFixed(1)}; first rows after ${(w.firstRowsMs / 1000).toFixed(2)} s; ${(w.streamBytesPerLook / 1024).toFixed(1)} KB streamed per look)` : 'not measured', pass: w ? w.serverCpuMs <= 0.2 * w.lookCpuMs : undefined });
  }
  const sc = large?.scrape;
  out.push({
    what: 'large: exporter series ≤ the bound it announces for its limits (docs/metrics.md)',
    measured: sc ? `${sc.series} series, bound ${sc.bound ?? '?'}; scrape median ${ms(sc.medianWallMs)} ms wall, ${ms(sc.medianCpuMs)} ms CPU` : 'not measured',
    pass: sc && sc.bound !== undefined ? sc.series <= sc.bound : undefined,
  });
  out.push({ what: 'large: no memory growth while watching (RSS, last third of ticks ≤ first third + 10%)', measured: wc ? `${wc.rssFirstMB.toFixed(0)} MB → ${wc.rssLastMB.toFixed(0)} MB` : 'not measured', pass: wc ? wc.rssLastMB <= wc.rssFirstMB * 1.1 : undefined });
  const t = small?.stats.get('sc-table');
  const tm = t ? median(t.walls) : undefined;
  out.push({ what: 'small: `sockscope list` (table to a pipe) ≤ 120 ms median wall', measured: tm === undefined ? (small ? 'no valid measurement' : 'scene not run') : `${ms(tm)} ms`, pass: tm === undefined ? undefined : tm <= 120 });
  vsRef(small, 'small', 'sc-table', 'node', 1.4, '`sockscope list` (table to a pipe)', '`node -e 0`');
  return out;
}

/**
 * Every command of a scene beside the floor (`floor`, two dumps): its median wall and
 * CPU and its peak RSS, each also as a multiple of the floor's (lower: closer to the floor).
 */
function floorTable(res: SceneResult, opts: Options): string[] {
  const f = res.stats.get('floor');
  if (!f) return [];
  const fw = median(f.walls);
  const fc = median(f.cpus);
  const frss = f.rss.length ? Math.max(...f.rss) : undefined;
  const x = (v: number | undefined, ref: number | undefined): string => (v !== undefined && ref ? `${(v / ref).toFixed(2)}×` : '–');
  const label = (st: Stat): string => {
    const l = st.cmd.label.replace('<busy>', String(res.scene.busyPort)).replace('<free>', String(res.scene.freePort)).replace(/\|/g, '\\|');
    return st.cmd.sockscope ? `**${l}**` : l;
  };
  const rank = (st: Stat): number => (st.cmd.id.startsWith('floor') ? 0 : st.cmd.sockscope ? 1 : 2);
  const rows = [...res.stats.values()].sort((a, b) => rank(a) - rank(b));
  const L = ['', `Against the floor (\`floor\`, the same job in C, measured in the same repetitions): × floor = the command's median (peak RSS: max) ÷ the floor's. ` +
    '`port`, `doctor` (which waits one second between its two looks) and `node -e 0` do other jobs: their multiples say what they cost in floor runs.', '',
    '| Command | Median wall ms | × floor wall | Median CPU ms | × floor CPU | Peak RSS MB | × floor RSS | Valid runs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const st of rows) {
    const w = median(st.walls);
    const c = median(st.cpus);
    const rss = st.rss.length ? Math.max(...st.rss) : undefined;
    L.push(`| ${label(st)} | ${st.walls.length ? ms(w) : st.timeouts ? 'timeout' : 'WRONG/failed'} | ${x(w, fw)} | ${ms(c)} | ${x(c, fc)} | ${mb(rss)} | ${x(rss, frss)} | ${st.walls.length}/${opts.reps} |`);
  }
  return L;
}

function report(results: SceneResult[], opts: Options, info: Record<string, string>, notes: string[]): { md: string; tgts: Target[] } {
  const L: string[] = [];
  L.push('# sockscope benchmarks', '');
  L.push('Generated by `npm run bench` (bench/run.ts). Each scene is built on loopback by helper processes the bench starts and stops;',
    'it is static while measured (every connection accepted and idle), so every sockscope answer is checked against `ss -tan` and the',
    'known scene before its time counts: a fast wrong answer is not a result. Commands run alternately, after a warm-up, with stdout to a pipe',
    'drained by the bench. Wall time is measured by the bench around the spawn; CPU (user+sys, 10 ms resolution) and peak RSS come',
    'from GNU time (`/usr/bin/time -f "%e %U %S %M"`). Ratio = peer median wall / sockscope median wall (higher: sockscope faster).',
    'The floor is `../shared/bench/floor.c`, sockscope\'s core job (every TCP socket with its holders, the same v1 JSON) done in C as directly',
    'as Linux allows, built with `gcc -O2 -pthread` at the start of each run and measured (and checked) in the same repetitions as everything else;',
    '`floor -c` asks for both families in one compat dump. "× floor" = command / floor (lower: closer to the floor).', '');
  L.push(`Repetitions: ${opts.reps} measured (${opts.warmup} warm-up) per command and scene.`, '');
  L.push('## Machine', '', '| | |', '|---|---|');
  for (const [k, v] of Object.entries(info)) L.push(`| ${k} | ${v.replace(/\|/g, '\\|')} |`);
  L.push('');
  L.push('## Scenes', '', '| Scene | TCP sockets (scene) | UDP sockets (scene) | Listeners | Connections | Busy port conns | Helper processes | Build time |', '|---|---:|---:|---:|---:|---:|---|---:|');
  for (const { scene } of results) {
    const conns = scene.spec.listeners.reduce((a, b) => a + b, 0);
    const p = scene.processes;
    L.push(`| ${scene.spec.name}: ${scene.spec.title} | ${scene.expectedTcp} | ${scene.expectedUdp} | ${scene.spec.listeners.length} | ${conns} | ${scene.spec.listeners[0]} | ${p.acceptors} acceptor(s), ${p.clients} client(s) from ${p.sourceAddresses.length > 2 ? `${p.sourceAddresses[0]}–${p.sourceAddresses[p.sourceAddresses.length - 1]} (${p.sourceAddresses.length} addresses)` : p.sourceAddresses.join(', ')}, ${p.udp} UDP (≤ ${p.fdQuota} fds each) | ${(scene.buildMs / 1000).toFixed(1)} s |`);
  }
  L.push('');
  const tgts = targets(results);
  L.push('## Targets', '', '| Target | Measured | Result |', '|---|---|---|');
  for (const t of tgts) L.push(`| ${t.what} | ${t.measured} | ${t.pass === undefined ? 'n/a' : t.pass ? '**PASS**' : '**MISS**'} |`);
  L.push('');
  for (const res of results) {
    const { scene } = res;
    L.push(`## Scene ${scene.spec.name}: ${scene.spec.title}`, '');
    L.push(`Busy port ${scene.busyPort} (listener + ${scene.spec.listeners[0]} connections), free port ${scene.freePort}. ` +
      `Socket counts per repetition (sockscope \`list -t -a --json\` / ${res.stats.has('floor') ? 'floor / ' : ''}\`ss -tan\` total, scene part of ss): ` +
      res.counts.map((c) => `${c.sockscope ?? '?'}/${res.stats.has('floor') ? `${c.floor ?? '?'}/` : ''}${c.ss ?? '?'} (${c.ssScene ?? '?'})`).join(', ') + '.', '');
    L.push('| Command | Median wall ms | Min–max wall ms | Median CPU ms | Peak RSS MB | Output lines | vs sockscope command | Wall ratio | CPU ratio | Valid runs |',
      '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|');
    for (const st of res.stats.values()) {
      const w = median(st.walls);
      const cpu = median(st.cpus);
      const ref = st.cmd.vs ? res.stats.get(st.cmd.vs) : undefined;
      const rw = ref ? median(ref.walls) : undefined;
      const rc = ref ? median(ref.cpus) : undefined;
      const label = st.cmd.label.replace('<busy>', String(scene.busyPort)).replace('<free>', String(scene.freePort));
      const wallCell = st.walls.length ? ms(w) : st.timeouts ? `timeout (> ${opts.timeoutMs / 1000} s)` : 'WRONG/failed';
      L.push(`| ${st.cmd.sockscope ? '**' + label + '**' : label.replace(/\|/g, '\\|')} | ${wallCell} | ${st.walls.length ? `${ms(Math.min(...st.walls))}–${ms(Math.max(...st.walls))}` : '–'} | ${ms(cpu)} | ${mb(st.rss.length ? Math.max(...st.rss) : undefined)} | ${median(st.lines) ?? '–'} | ${ref ? ref.cmd.label.replace('<busy>', String(scene.busyPort)).replace('<free>', String(scene.freePort)) : ''} | ${w !== undefined && rw ? (w / rw).toFixed(2) + '×' : ''} | ${cpu !== undefined && rc ? (cpu / rc).toFixed(2) + '×' : ''} | ${st.walls.length}/${opts.reps} |`);
    }
    L.push(...floorTable(res, opts));
    const problems = [...res.stats.values()].flatMap((s) => s.problems.map((p) => `${s.cmd.label}: ${p}`));
    if (problems.length) {
      L.push('', 'Problems (these runs are not counted):', '');
      for (const p of problems) L.push(`- ${p}`);
    }
    if (res.scrape) {
      const x = res.scrape;
      L.push('', `Exporter on this scene (\`sockscope exporter\`, scraped over HTTP once to warm up, then ${x.scrapes} times one second apart; ` +
        'CPU from the exporter\'s /proc/PID/stat):', '',
        '| First scrape ms | Median scrape wall ms | Max wall ms | Median CPU ms per scrape | Max CPU ms | Self-reported ms (last) | Series | Answer KB | RSS MB |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
        `| ${ms(x.firstMs)} | ${ms(x.medianWallMs)} | ${ms(x.maxWallMs)} | ${ms(x.medianCpuMs)} | ${ms(x.maxCpuMs)} | ${ms(x.reportedMs)} | ${x.series} | ${(x.bytes / 1024).toFixed(1)} | ${x.rssMB.toFixed(0)} |`);
    }
    if (res.traffic) {
      const x = res.traffic;
      L.push('', `\`watch --events --traffic\` on this scene (one look a second, tcp_info byte counters and rates for every socket): ${x.ticks} ticks, ` +
        `median ${ms(x.medianCpuMs)} ms CPU per tick (p90 ${ms(x.p90CpuMs)}, max ${ms(x.maxCpuMs)}, first ${ms(x.firstCpuMs)}), RSS ${x.rssFirstMB.toFixed(0)} → ${x.rssLastMB.toFixed(0)} MB.`);
    }
    if (res.web) {
      const x = res.web;
      L.push('', `\`sockscope web\` on this scene (one stream open, ${x.looks} looks): first rows over HTTP ${ms(x.firstRowsMs)} ms after start; ` +
        `per look ${ms(x.lookCpuMs)} ms CPU in watch() and ${ms(x.serverCpuMs)} ms CPU in the server (max ${ms(x.maxServerCpuMs)}); ` +
        `${(x.streamBytesPerLook / 1024).toFixed(1)} KB streamed per look; RSS ${x.rssMB.toFixed(0)} MB; ${x.sockets} sockets.`);
    }
    if (res.paint) {
      L.push('', `The page in headless Chromium (software rendering), ${res.paint.loads} loads with the server already running: the map's first door drawn ` +
        `${ms(res.paint.mapMs)} ms after navigation (median), the table's first rows ${ms(res.paint.tableMs)} ms after switching to it.`);
    }
    if (res.profile?.length) {
      L.push('', `CPU profile of \`sockscope list -t -a --json\` on this scene (\`node --cpu-prof\`, top self time):`, '',
        '| Function | Where | Self ms | Self % |', '|---|---|---:|---:|');
      for (const p of res.profile) L.push(`| ${p.fn} | ${p.where} | ${p.selfMs.toFixed(1)} | ${p.pct.toFixed(1)} |`);
    }
    L.push('');
  }
  if (notes.length) {
    L.push('## Notes', '');
    for (const n of notes) L.push(`- ${n}`);
    L.push('');
  }
  return { md: L.join('\n'), tgts };
}

// ---------------------------------------------------------------- main

function leftovers(scene: Scene): number {
  const r = spawnSync('ss', ['-tuan'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) return -1;
  const c = countSs(scene, r.stdout, true);
  return c.scene + c.sceneUdp;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (process.platform !== 'linux') throw new Error('the benchmark needs Linux');
  if (!haveGnuTime()) throw new Error(`GNU time (${GNU_TIME}) is missing: install the Debian package 'time'`);
  if (!existsSync(BIN)) throw new Error(`${BIN} not found`);
  const notes: string[] = [];
  for (const tool of ['ss', 'netstat', 'lsof']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      notes.push(`${tool} is not installed: its rows are missing.`);
      for (const id of tool === 'ss' ? ['ss-tan', 'ss-tanp', 'ss-sport'] : tool === 'lsof' ? ['lsof-tcp', 'lsof-busy', 'lsof-free'] : ['netstat']) opts.skip.add(id);
    }
  }
  const siProbe = spawnSync(process.execPath, [SI_PEER, '--probe'], { encoding: 'utf8' });
  const peers: Peers = { si: siProbe.status === 0 };
  if (!peers.si) notes.push('systeminformation: not installed (add it as a devDependency to measure `networkConnections()`).');
  if (!opts.skip.has('psutil')) {
    const ps = findPsutil();
    peers.python = ps.python;
    peers.psutilVersion = ps.version;
    if (!ps.python) notes.push('psutil: no python3 here imports it (Debian package python3-psutil): its row is missing.');
  }
  if (!(opts.skip.has('floor') && opts.skip.has('floor-c'))) {
    const f = buildFloor(notes);
    peers.floor = f.bin;
    peers.gccVersion = f.gcc;
  }
  if (process.geteuid?.() !== 0) notes.push('Not run as root: sockscope, ss -p, netstat -p and lsof only see this user\'s processes.');

  const info = machine(peers);
  const results: SceneResult[] = [];
  for (const spec of opts.scenes) {
    const scene = await buildScene(spec);
    try {
      checkSceneWithSs(scene);
      if (opts.hold) {
        process.stdout.write(`scene ${spec.name} ready: busy port ${scene.busyPort}, free port ${scene.freePort}, ` +
          `helper pids ${[...scene.helperPids].join(' ')}; Ctrl-C (SIGINT) tears it down\n`);
        await new Promise(() => { /* until a signal */ });
      }
      results.push(await measureScene(scene, opts, peers));
    } finally {
      await stopAll();
      await new Promise((r) => setTimeout(r, 300));
      const left = leftovers(scene);
      if (left !== 0) {
        notes.push(`scene ${spec.name}: ${left} scene sockets still present right after teardown.`);
        log(`scene ${spec.name}: ${left} sockets left after teardown`);
      } else {
        log(`scene ${spec.name}: torn down, no socket left on its ports`);
      }
      const r = results.find((x) => x.scene === scene);
      if (r) r.leftovers = left;
    }
  }

  let netns: NetnsCost | undefined;
  if (!opts.skip.has('netns') && process.geteuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0) {
    netns = netnsCost(50, 1000, 3, log);
    if (!netns) notes.push('namespaces: the 50-namespace scene could not be measured (see the log).');
  }
  if (netns) {
    notes.push('Reading network namespaces (scripts/netns-scene.mjs: 50 namespaces made with `ip netns add`, one process in each holding ~1k loopback sockets, '
      + 'then the same processes all in the host namespace as the baseline; `sockscope list -a --json`, median of 3): ' + netns.lines.map((l) => `\`${l.replace(/\s+/g, ' ')}\``).join('; ') + '.');
  }
  info['Load average at end'] = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  for (const r of results) {
    const other = Math.max(...r.counts.map((c) => (c.ss ?? 0) - (c.ssScene ?? 0)));
    if (other > r.scene.expectedTcp * 0.1) {
      notes.push(`scene ${r.scene.spec.name}: up to ${other} TCP sockets outside the scene were present (other programs); every tool had to read them too.`);
    }
  }
  const { md, tgts } = report(results, opts, info, notes);
  if (opts.out) {
    writeFileSync(opts.out, md + '\n');
    log(`wrote ${opts.out}`);
  }
  process.stdout.write('\n' + md + '\n\n');
  for (const t of tgts) process.stdout.write(`${t.pass === undefined ? 'N/A ' : t.pass ? 'PASS' : 'MISS'}  ${t.what.replace(/`/g, '')}: ${t.measured}\n`);
  return 0;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (stopping) { killAllNow(); process.exit(130); }
    stopping = true;
    log(`${sig}: stopping the helper processes`);
    void stopAll(3000).finally(() => { cleanupMeasure(); cleanupFloor(); process.exit(130); });
  });
}
process.on('exit', () => { killAllNow(); cleanupMeasure(); cleanupFloor(); });

main().then((code) => { process.exitCode = code; }, async (e: Error) => {
  log(`failed: ${e.message}`);
  await stopAll(3000);
  process.exitCode = 1;
});

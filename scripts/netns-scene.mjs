#!/usr/bin/env node
// The cost of reading N network namespaces: makes N namespaces (ip netns add
// sc-bench-<random>-<i>), each with one python process holding ~1k sockets on
// loopback inside it (a listener on port 8080 — the same port in every
// namespace —, 499 connections to it, both ends, and a UDP socket), then times
// `sockscope list -a --json` over every namespace, over the host's alone
// (--netns host), and with the native addon disabled (SOCKSCOPE_NATIVE=0: each
// namespace read from /proc/<pid>/net of its process). Removes everything it
// made, also on failure or Ctrl-C. Root only (ip netns).
//
//   node scripts/netns-scene.mjs [namespaces=50] [socketsPerNamespace=1000] [runs=5] [layout=netns|host]
//
// layout host is the baseline: the same processes and sockets, all in the host
// namespace (each process on its own port, 21000 + i, on 127.0.0.1), so that the
// difference is the cost of the namespaces themselves.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 50);
const PER = Number(process.argv[3] ?? 1000);
const RUNS = Number(process.argv[4] ?? 5);
const LAYOUT = process.argv[5] ?? 'netns';
const BIN = fileURLToPath(new URL('../bin/sockscope.js', import.meta.url));
const tag = randomBytes(3).toString('hex');
const names = Array.from({ length: N }, (_, i) => `sc-bench-${tag}-${i}`);
const children = [];

const HOLDER = `
import socket, sys, os, signal, resource
signal.alarm(3600)
n = int(sys.argv[1])
port = int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', port)); l.listen(4096)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port))
keep = []
for _ in range((n - 2) // 2):
    c = socket.create_connection(('127.0.0.1', port)); a, _ = l.accept(); keep += [c, a]
print('ready', flush=True)
sys.stdin.read()
`;

function cleanup() {
  for (const c of children) {
    try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  children.length = 0;
  if (LAYOUT === 'netns') for (const n of names) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('exit', cleanup);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(label, args, env = {}) {
  const walls = [];
  const cpus = [];
  const rss = [];
  let count = 0;
  const gnuTime = existsSync('/usr/bin/time');
  for (let i = 0; i < RUNS; i++) {
    const argv = gnuTime ? ['/usr/bin/time', '-f', '%U %S %M', process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, maxBuffer: 1 << 30, encoding: 'utf8' });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stderr}`);
    if (gnuTime) {
      // CPU time (user + system) says more than wall time on a shared, loaded machine.
      const [u, sy, m] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
      cpus.push((u + sy) * 1000);
      rss.push(m / 1024);
    }
    count = JSON.parse(r.stdout).length;
  }
  console.log(`${label.padEnd(44)} ${String(count).padStart(7)} sockets  median ${median(walls).toFixed(0).padStart(6)} ms` +
    (rss.length ? `  cpu ${median(cpus).toFixed(0).padStart(5)} ms  max RSS ${median(rss).toFixed(0)} MB` : '') + `  (runs: ${walls.map((w) => w.toFixed(0)).join(', ')})`);
}

async function main() {
  if (process.geteuid?.() !== 0) throw new Error('run as root (ip netns add)');
  console.log(LAYOUT === 'netns' ? `making ${N} namespaces x ~${PER} sockets ...` : `baseline: ${N} processes x ~${PER} sockets, all in the host namespace ...`);
  if (LAYOUT === 'netns') {
    for (const n of names) {
      execFileSync('ip', ['netns', 'add', n]);
      execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
  } else {
    names.length = 0;
    for (let i = 0; i < N; i++) names.push(`host-${i}`);
  }
  await Promise.all(names.map((n, i) => new Promise((resolve, reject) => {
    const argv = LAYOUT === 'netns' ? ['ip', 'netns', 'exec', n, 'python3', '-c', HOLDER, String(PER), '8080'] : ['python3', '-c', HOLDER, String(PER), String(21000 + i)];
    const c = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(c);
    let out = '';
    c.stdout.on('data', (d) => { out += d; if (out.includes('ready')) resolve(); });
    c.on('exit', (code) => reject(new Error(`holder in ${n} exited (${code})`)));
  })));
  console.log(`node ${process.version}, ${RUNS} runs each`);
  time('list -a --json (every namespace)', ['list', '-a', '--json']);
  time('list -a --json --netns host', ['list', '-a', '--json', '--netns', 'host']);
  time('list -a --json, SOCKSCOPE_NATIVE=0 (/proc)', ['list', '-a', '--json'], { SOCKSCOPE_NATIVE: '0' });
  if (LAYOUT === 'netns') time('port 8080 --json (every namespace)', ['port', '8080', '--json']);
}

main().then(() => cleanup(), (e) => { console.error(e.message); cleanup(); process.exitCode = 1; });

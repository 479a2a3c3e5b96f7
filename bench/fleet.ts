// What the exporter costs on a scene: a `sockscope exporter` process is started
// on a free loopback port, scraped once to warm up (its first look scans every
// process's fds), then scraped `scrapes` times one second apart. Each scrape's
// wall time is measured around the HTTP request; the exporter's CPU per scrape
// comes from its /proc/PID/stat (utime + stime) before and after; the series
// count is the number of sample lines in the answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface ScrapeCost {
  scrapes: number;
  firstMs: number;
  medianWallMs: number;
  maxWallMs: number;
  medianCpuMs: number;
  maxCpuMs: number;
  /** Sample lines in the last answer. */
  series: number;
  /** The exporter's own account (sockscope_scrape_duration_seconds), last scrape, ms. */
  reportedMs?: number;
  rssMB: number;
  bytes: number;
  /** The worst-case series count the exporter announces for its limits (docs/metrics.md). */
  bound?: number;
}

const TICK_MS = 1000 / 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name, which sits in parentheses and may hold spaces.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

function rssMB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Start the exporter, scrape it, stop it. Throws with the exporter's stderr when it does not come up. */
export async function scrapeCost(bin: string, scrapes: number, log: (m: string) => void): Promise<ScrapeCost> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [bin, 'exporter', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 4000) stderr += c.toString('utf8'); });
  try {
    const pid = child.pid!;
    // Wait (bounded) for the port to answer.
    const t0 = performance.now();
    let first: { status: number; body: string } | undefined;
    for (let i = 0; i < 600 && !first; i++) {
      if (child.exitCode !== null) throw new Error(`exporter exited ${child.exitCode}: ${stderr.trim()}`);
      try { first = await get(port, 120_000); } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    if (!first || first.status !== 200) throw new Error(`exporter did not answer on 127.0.0.1:${port}: ${stderr.trim()}`);
    const firstMs = performance.now() - t0;
    const walls: number[] = [];
    const cpus: number[] = [];
    let last = first;
    for (let i = 0; i < scrapes; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const c0 = cpuMs(pid);
      const w0 = performance.now();
      last = await get(port, 120_000);
      walls.push(performance.now() - w0);
      cpus.push(cpuMs(pid) - c0);
      if (last.status !== 200) throw new Error(`scrape ${i + 1}: HTTP ${last.status}`);
    }
    const lines = last.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const reported = /^sockscope_scrape_duration_seconds(?:\{[^}]*\})? (\S+)$/m.exec(last.body);
    const r: ScrapeCost = {
      scrapes, firstMs, medianWallMs: median(walls), maxWallMs: Math.max(...walls), medianCpuMs: median(cpus), maxCpuMs: Math.max(...cpus),
      series: lines.length, reportedMs: reported ? Number(reported[1]) * 1000 : undefined, rssMB: rssMB(pid), bytes: Buffer.byteLength(last.body),
      bound: /\((\d+) series at most/.test(stderr) ? Number(/\((\d+) series at most/.exec(stderr)![1]) : undefined,
    };
    log(`exporter: first scrape ${firstMs.toFixed(0)} ms, then median ${r.medianWallMs.toFixed(0)} ms wall / ${r.medianCpuMs.toFixed(0)} ms CPU over ${scrapes}, ${r.series} series, RSS ${r.rssMB.toFixed(0)} MB`);
    return r;
  } finally {
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
    });
  }
}

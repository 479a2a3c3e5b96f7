// A real container, end to end: Debian's podman runs busybox httpd (from an
// image imported here from busybox-static; no registry is needed) with
// -p 127.0.0.1:P:8080. The host port is held by conmon (podman keeps it bound
// while netavark's NAT rules carry the traffic), httpd listens in the
// container's own network namespace, in a libpod-<id> cgroup. sockscope must
// name the container (name, id, runtime) on both: the socket inside, through
// its holder, and the host port, through what it is kept for.
//
// runc, not the default crun (which refuses this kind of host's hybrid cgroups);
// the ulimits keep podman from asking for more than a CI box grants.
// .ci/run installs podman, runc and busybox-static; a missing one fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers.js';
import { watch } from '../../src/index.js';

interface JsonHolder { pid: number; name?: string; container?: { runtime: string; id: string; name?: string }; unit?: string }
interface JsonSocket {
  protocol: string; localAddress: string; localPort: number; state: string; recvQ: number;
  netns?: { inode: number; host?: boolean }; holders: JsonHolder[];
  published?: { via: string; container?: { runtime: string; id: string; name?: string }; containerPort?: number };
}

const TIMEOUT = 120_000;
const podman = (...args: string[]): string => execFileSync('podman', args, { encoding: 'utf8', timeout: TIMEOUT, stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Whether an ELF file has no program interpreter (PT_INTERP): a static binary runs in an empty image. */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * A port no socket of the host uses now, on any address or protocol, below the
 * ephemeral range (other tests' ports, picked by the kernel, are inside it): so
 * that `port P` is about this container's port alone.
 */
async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const used = execFileSync('ss', ['-tuanH', `sport = :${port}`], { encoding: 'utf8', timeout: 10_000 }).trim();
    if (used !== '') continue;
    // And the kernel agrees it can be bound now.
    const srv = createServer();
    const ok = await new Promise<boolean>((resolve) => { srv.once('error', () => resolve(false)); srv.listen(port, '127.0.0.1', () => resolve(true)); });
    if (!ok) continue;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return port;
  }
  throw new Error('no free port found in 20000-29999 after 50 tries');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One HTTP GET, bounded in time: the status code, or the error. */
function get(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(String(e.message)));
    req.end();
  });
}

test('podman container end to end: the httpd socket inside and the host port conmon keeps, both named', { timeout: 300_000 }, async (t) => {
  const busybox = realpathSync(execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8', timeout: 10_000 }).trim());
  assert.ok(isStaticElf(busybox), `${busybox} is not a static binary: install Debian's busybox-static`);
  const tag = `sockscope-test-${process.pid}-${Date.now().toString(36)}`;
  const image = `localhost/${tag}:1`;
  const dir = mkdtempSync(join(tmpdir(), 'ssc-podman-'));
  let created = false;
  t.after(() => {
    // Also on failure: the container, the image, the directory. Each step bounded; one failing does not stop the next.
    if (created) try { podman('rm', '-f', '-t', '0', tag); } catch { /* already gone */ }
    try { podman('rmi', '-f', image); } catch { /* never imported */ }
    rmSync(dir, { recursive: true, force: true });
  });

  mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
  copyFileSync(busybox, join(dir, 'root', 'bin', 'busybox'));
  execFileSync('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'image.tar'), '.'], { timeout: TIMEOUT });
  podman('import', '-q', join(dir, 'image.tar'), image);

  // A port the kernel just gave us may be taken again before podman binds it: try a few.
  let port = 0;
  for (let attempt = 0; attempt < 3 && !created; attempt++) {
    port = await freePort();
    try {
      podman('run', '-d', '--name', tag, '--runtime', 'runc', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096',
        '-p', `127.0.0.1:${port}:8080`, image, '/bin/busybox', 'httpd', '-f', '-p', '8080');
      created = true;
    } catch (e) {
      try { podman('rm', '-f', '-t', '0', tag); } catch { /* not created */ }
      if (attempt === 2) throw e;
    }
  }
  const id = podman('inspect', '-f', '{{.Id}}', tag);
  const httpdPid = Number(podman('inspect', '-f', '{{.State.Pid}}', tag));
  const conmonPid = Number(podman('inspect', '-f', '{{.State.ConmonPid}}', tag));
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.ok(httpdPid > 1 && conmonPid > 1);
  const innerNs = Number(/net:\[(\d+)\]/.exec(readlinkSync(`/proc/${httpdPid}/ns/net`))![1]);

  // Wait (bounded) until httpd listens inside and conmon holds the host port.
  let sockets: JsonSocket[] = [];
  for (let i = 0; i < 40; i++) {
    const r = runCli(['list', '-tl', '--json', '--container', tag]);
    assert.equal(r.code, 0, r.err);
    sockets = JSON.parse(r.out) as JsonSocket[];
    if (sockets.some((s) => s.localPort === 8080) && sockets.some((s) => s.localPort === port)) break;
    await sleep(250);
  }
  const want = { runtime: 'podman', id, name: tag };

  // Inside: httpd's listener, in the container's namespace, its holder named by container.
  const inner = sockets.find((s) => s.localPort === 8080 && s.holders.some((h) => h.pid === httpdPid));
  assert.ok(inner, `httpd's listener inside the container: ${JSON.stringify(sockets)}`);
  assert.equal(inner.netns?.inode, innerNs);
  assert.notEqual(inner.netns?.host, true);
  assert.deepEqual(inner.holders.find((h) => h.pid === httpdPid)!.container, want);

  // On the host: 127.0.0.1:P held by conmon, kept for the container, leading to its port 8080.
  const host = sockets.find((s) => s.localPort === port && s.localAddress === '127.0.0.1');
  assert.ok(host, `the host port ${port}: ${JSON.stringify(sockets)}`);
  assert.equal(host.netns?.host, true);
  const keeper = host.holders.find((h) => h.pid === conmonPid);
  assert.ok(keeper, `held by conmon pid ${conmonPid}: ${JSON.stringify(host.holders)}`);
  assert.equal(keeper.name, 'conmon');
  assert.equal(keeper.container, undefined, 'conmon runs on the host, beside the container');
  assert.deepEqual(host.published, { via: 'conmon', container: want, containerPort: 8080 });
  assert.equal(sockets.length, 2, `--container ${tag} keeps only the container's sockets: ${JSON.stringify(sockets)}`);

  // Traffic to the host port reaches httpd through NAT; conmon's socket accepts nothing.
  const status = await get(port);
  assert.equal(typeof status, 'number', `GET 127.0.0.1:${port}: ${status}`);
  const after = JSON.parse(runCli(['list', '-tl', '--json', '--port', String(port)]).out) as JsonSocket[];
  assert.equal(after.find((s) => s.localAddress === '127.0.0.1')?.recvQ, 0);

  // port P: the sentence under conmon's listener names the container and where the port leads.
  const p = runCli(['port', String(port), '-W']);
  assert.equal(p.code, 0, p.err);
  assert.ok(p.out.includes(`conmon holds this port only to keep it reserved for container ${tag} (podman ${id.slice(0, 12)}): NAT rules send the traffic to port 8080 inside it`), p.out);

  // port 8080 in the container's namespace: answered by the container, with its namespace.
  const inside = runCli(['port', '8080', '--netns', `pid:${httpdPid}`]);
  assert.equal(inside.code, 0, inside.err);
  assert.ok(inside.out.includes(`used in container ${tag} (netns ${innerNs}) by busybox pid ${httpdPid}`), inside.out);

  assert.ok(p.out.includes(`to free it, stop the container (podman stop ${tag})`), p.out);
  assert.ok(!p.out.includes('sockscope kill'), 'killing conmon is not how the port is freed');

  // pid <httpd>: its socket, in its namespace, with the CONTAINER column.
  const pj = runCli(['pid', String(httpdPid), '--json']);
  assert.equal(pj.code, 0, pj.err);
  const mine = JSON.parse(pj.out) as JsonSocket[];
  assert.ok(mine.some((s) => s.localPort === 8080 && s.holders.some((h) => h.pid === httpdPid && h.container?.id === id && h.container.name === tag)), pj.out);
  const pt = runCli(['pid', String(httpdPid), '-W']);
  assert.ok(pt.out.split('\n')[0]!.endsWith(`in container ${tag} (podman ${id.slice(0, 12)})`), pt.out);
  assert.match(pt.out, /CONTAINER/);
  assert.match(pt.out, new RegExp(`LISTEN .* ${tag}`));

  // list -e: the row sentences.
  const le = runCli(['list', '-tl', '-e', '-W', '--container', tag]);
  assert.ok(le.out.includes(`runs in container ${tag} (podman ${id.slice(0, 12)})`), le.out);
  assert.ok(le.out.includes(`\u2192${tag}:8080`), le.out);

  // The live view's tracker (library watch(), live collector): the same container on httpd's holder, filtered by it.
  const stop = new AbortController();
  let seen: JsonHolder | undefined;
  for await (const u of watch({ filter: { listening: true, containers: [tag] }, intervalSeconds: 0.2, durationSeconds: 20, signal: stop.signal })) {
    seen = u.sockets.flatMap((s) => s.holders).find((h) => h.pid === httpdPid);
    if (seen) break;
  }
  stop.abort();
  assert.deepEqual(seen?.container, want, 'watch(): httpd\'s holder carries its container');

  // The overview groups them under the container.
  const ov = runCli(['--container', tag, '-W']);
  assert.equal(ov.code, 0, ov.err);
  const lines = ov.out.split('\n');
  const head = lines.findIndex((l) => l === `  In container ${tag} (podman ${id.slice(0, 12)})`);
  assert.ok(head > 0, ov.out);
  assert.match(lines[head + 1]!, new RegExp(`^  busybox +${httpdPid} +tcp +8080`));
  assert.match(lines[head + 2]!, new RegExp(`^  conmon +${conmonPid} +tcp +${port} .*\u2192 ${tag}:8080$`));
});

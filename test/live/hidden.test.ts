// Processes we may not see (issue 9 §5). Run as nobody:
//  - with /proc mounted hidepid=2, another user's processes are not listed at all:
//    their sockets must say "hidden: no permission" with a note naming hidepid, and
//    `pid N` must not say "no process with pid N" for a process that exists;
//  - on a normal /proc, `pid N --json` on root's process says on stderr that its fds
//    could not be read, exactly as the table form does, with the same exit status.
// The hidepid mount lives in a private mount namespace (unshare -m) that dies with
// each command; the mount point is removed at the end.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from '../../src/index.js';
import { AS_NOBODY, describeAll, eventually, LISTENER_PY, NOBODY, runCli, socketsOnPort, startPython } from './helpers.js';

function usable(t: TestContext, tools: string[]): boolean {
  // Never skipped into green: CI runs as root and .ci/run installs util-linux.
  assert.equal(process.getuid?.(), 0, 'needs root, to start a root-owned process and switch to nobody');
  for (const tool of tools) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      assert.fail(`${tool} (util-linux) is needed: .ci/run installs it`);
    }
  }
  void t;
  return true;
}

async function rootListener(t: TestContext): Promise<{ pid: number; port: number }> {
  const server = startPython(t, 'root listener', LISTENER_PY);
  const { port } = (await server.message('port')) as { port: number };
  await eventually('listener visible', async () => {
    const { sockets } = await socketsOnPort(port, { protocols: ['tcp'], families: ['ipv4'] });
    assert.equal(sockets.length, 1, describeAll(sockets));
  });
  return { pid: server.pid, port };
}

test('hidepid=2: hidden owners are said to be hidden, and pid N is not "no process"', async (t) => {
  if (!usable(t, ['setpriv', 'unshare'])) return;
  const { pid, port } = await rootListener(t);
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-hidepid-'));
  chmodSync(dir, 0o755);
  t.after(() => rmdirSync(dir));
  // unshare -m: a private mount namespace; the proc mount is gone when it exits (umount too, to be sure).
  const inHidepid = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
    'd=$1; shift; mount -t proc -o hidepid=2 proc "$d" || exit 97; "$@"; rc=$?; umount "$d"; exit $rc', 'sh', dir, ...AS_NOBODY];

  const list = await runCli(['--proc-root', dir, 'list', '-t', '--json'], { prefix: inHidepid });
  assert.equal(list.code, 0, list.stderr);
  const mine = (JSON.parse(list.stdout) as Socket[]).filter((s) => s.localPort === port && s.localAddress === '127.0.0.1');
  assert.equal(mine.length, 1, describeAll(mine));
  assert.deepEqual(mine[0]!.holders, []);
  assert.equal(mine[0]!.unheldReason, 'permission-denied', 'hidden from us, not "owner unknown"');
  const note = list.stderr.split('\n').filter((l) => /mounted with hidepid=(2|invisible)/.test(l));
  assert.equal(note.length, 1, `one note naming hidepid:\n${list.stderr}`);
  assert.match(note[0]!, /run as root/);

  for (const args of [['pid', String(pid)], ['pid', String(pid), '--json']]) {
    const r = await runCli(['--proc-root', dir, ...args], { prefix: inHidepid });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /no process with pid/, r.stderr);
    assert.match(r.stderr, new RegExp(`pid ${pid} exists but .* does not show it: /proc is mounted with hidepid=(2|invisible)`), r.stderr);
    assert.equal(r.stdout, '', 'nothing on stdout');
  }
  const zh = await runCli(['--proc-root', dir, '--lang', 'zh-CN', 'pid', String(pid)], { prefix: inHidepid });
  assert.match(zh.stderr, new RegExp(`pid ${pid} 存在`), zh.stderr);
  // A name search that finds nothing says that other users' processes were not searched.
  const none = await runCli(['--proc-root', dir, 'process', `sockscope-nobody-runs-${process.pid}`], { prefix: inHidepid });
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /no running process is named/);
  assert.match(none.stderr, /mounted with hidepid=(2|invisible), which hides other users' processes: run as root/, none.stderr);
});

test('pid N as nobody on root\'s process: the same answer and exit status in every format', async (t) => {
  if (!usable(t, ['setpriv'])) return;
  const { pid } = await rootListener(t);
  const said = new RegExp(`^sockscope: cannot read the file descriptors of pid ${pid}: permission denied — run as root`, 'm');
  const codes: (number | null)[] = [];
  for (const format of [[], ['--json'], ['--ndjson'], ['--csv']]) {
    const r = await runCli(['pid', String(pid), ...format], { prefix: AS_NOBODY });
    codes.push(r.code);
    assert.match(r.stderr, said, `pid ${pid} ${format.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, new RegExp(`"pid":${pid}`), 'no socket of it is claimed');
  }
  assert.deepEqual(codes, [1, 1, 1, 1], 'one exit status for one answer');
});

test('list --pid N, port P --pid N and watch --pid N as nobody on root\'s process: say its fds could not be read, never an empty answer alone', async (t) => {
  if (!usable(t, ['setpriv'])) return;
  const { pid, port } = await rootListener(t);
  const said = new RegExp(`^sockscope: cannot read the file descriptors of pid ${pid}: permission denied — run as root`, 'm');
  for (const args of [['list', '--pid', String(pid)], ['list', '--pid', String(pid), '--json'], ['port', String(port), '--pid', String(pid)],
    ['watch', '--pid', String(pid), '--events', '--duration', '1']]) {
    const r = await runCli(args, { prefix: AS_NOBODY });
    assert.match(r.stderr, said, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /free/, 'the port is not called free');
  }
});

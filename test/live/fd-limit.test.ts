// With a low open-file limit (RLIMIT_NOFILE) the holder scan must still find
// every holder, or say it could not: never lose one silently. The scene: 100
// sleeping processes, then a listener in a process with a higher pid (the scan
// goes in pid order), and the CLI run under `prlimit --nofile=64`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from '../../src/index.js';
import { REPO_ROOT, runCli, startPython } from './helpers.js';

const SCRIPT = `
sleepers = []
for i in range(100):
    pid = os.fork()
    if pid == 0:
        signal.alarm(120)
        hold()
    sleepers.append(pid)
pid = os.fork()
if pid == 0:
    signal.alarm(120)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    s.listen(4)
    emit(port=s.getsockname()[1], fd=s.fileno(), holder=os.getpid(), lowest=min(sleepers))
    hold()
hold()
`;

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const NATIVE_BUILT = existsSync(`${REPO_ROOT}build/Release/sockscope_scan.node`);

for (const native of [false, true]) {
  const name = `fd limit: holders found under prlimit --nofile=64 (${native ? 'native' : 'JavaScript'} scan)`;
  test(name, async (t) => {
    assert.ok(hasPrlimit(), 'prlimit (util-linux) is needed: .ci/run installs it');
    if (native) assert.ok(NATIVE_BUILT, 'the native scan is built (npm install builds it)');
    const child = startPython(t, 'fd-limit scene', SCRIPT);
    const m = await child.message('port', 20_000);
    const port = m['port'] as number;
    const r = await runCli(['port', String(port), '--json'], {
      prefix: ['prlimit', '--nofile=64:64'],
      env: { SOCKSCOPE_NATIVE: native ? '1' : '0' },
    });
    assert.equal(r.code, 0, r.stderr);
    const sockets = (JSON.parse(r.stdout) as Socket[]).filter((s) => s.state === 'LISTEN' && s.localAddress === '127.0.0.1');
    assert.equal(sockets.length, 1, r.stdout);
    assert.deepEqual(sockets[0]!.holders.map((h) => [h.pid, h.fd]), [[m['holder'], m['fd']]],
      `the listener's holder (pid ${m['holder']}, sleepers from pid ${m['lowest']}):\n${r.stdout}${r.stderr}`);
  });
}

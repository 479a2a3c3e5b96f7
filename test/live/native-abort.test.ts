// Code that runs after a native callback must never take the process down
// with std::terminate. `sockscope list > /dev/full` used to end with
// "terminate called after throwing an instance of 'Napi::Error'" and exit 134:
// the netlink addon calls JavaScript from a libuv poll callback through
// node-addon-api with C++ exceptions, and the whole rest of the command ran in
// that callback's scope (the request promise settled there), so the ENOSPC of
// the output write turned into an uncaught C++ exception. What the CLI prints
// for the write error is its own business; here: no abort, whatever path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BIN, REPO_ROOT } from './helpers.js';

function runTo(path: string, args: readonly string[], env: Record<string, string> = {}): { status: number | null; signal: string | null; stderr: string } {
  const fd = openSync(path, 'w');
  try {
    const r = spawnSync(process.execPath, args, {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', fd, 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env },
    });
    return { status: r.status, signal: r.signal, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

function assertNoAbort(r: { status: number | null; signal: string | null; stderr: string }, what: string): void {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}; stderr: ${r.stderr}`);
  assert.notEqual(r.status, 134, `${what}: exit 134 (abort); stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /terminate called|Napi::Error/, what);
}

for (const native of ['1', '0']) {
  for (const args of [['list'], ['list', '-a', '--json'], ['list', '-a', '--source', 'netlink']]) {
    test(`sockscope ${args.join(' ')} > /dev/full (native scan ${native === '1' ? 'on' : 'off'}): no abort, a non-zero exit`, () => {
      const r = runTo('/dev/full', [BIN, ...args], { SOCKSCOPE_NATIVE: native });
      assertNoAbort(r, args.join(' '));
      assert.notEqual(r.status, 0, `a failed write is not a success; stderr: ${r.stderr}`);
    });
  }
}

// The same at the library level, for every native completion we use: an
// exception thrown by the code that awaited a netlink request or a native
// scan is an ordinary uncaught JavaScript exception (exit 1 with its message).
const dist = (p: string): string => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));
const CASES: Record<string, string> = {
  'netlink request (readSockDiag)': `
    const { readSockDiag } = await import(${JSON.stringify(dist('collectors/sockdiag/table.js'))});
    await readSockDiag({ protocols: ['tcp'], families: ['ipv4'] });
    process.nextTick(() => { throw new Error('thrown-after-await'); });`,
  'netlink request (live table)': `
    const { LiveSockDiag } = await import(${JSON.stringify(dist('collectors/sockdiag/live-table.js'))});
    const t = new LiveSockDiag();
    await t.read({ protocols: ['tcp'], families: ['ipv4'] });
    process.nextTick(() => { throw new Error('thrown-after-await'); });`,
  'native fd scan': `
    const { startScan } = await import(${JSON.stringify(dist('collectors/procfs/holders.js'))});
    await startScan('/proc').read();
    process.nextTick(() => { throw new Error('thrown-after-await'); });`,
};
for (const [name, body] of Object.entries(CASES)) {
  test(`an exception after awaiting a ${name} is a JavaScript exception, not an abort`, () => {
    const r = runTo('/dev/null', ['--input-type=module', '-e', body]);
    assertNoAbort(r, name);
    assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
    assert.match(r.stderr, /thrown-after-await/);
  });
}

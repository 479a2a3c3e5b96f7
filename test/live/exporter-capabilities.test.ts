// The shipped systemd unit (docs/prometheus/sockscope-exporter.service) runs
// the exporter as an unprivileged user with CAP_SYS_PTRACE and
// CAP_DAC_READ_SEARCH and says why: listing another user's /proc/PID/fd needs
// the second, reading its links the first. Checked here the way the unit
// runs it: the exporter as nobody with those ambient capabilities names the
// process of a root listener; with either one alone, or none, it cannot, and
// counts the listener under process "(none)".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { AS_NOBODY, BIN, Child, REPO_ROOT, eventually, startPython } from './helpers.js';

// A root listener with a name of its own (comm), so that its series is ours.
const NAMED_LISTENER = `
import ctypes
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(8)
emit(port=s.getsockname()[1])
hold()
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The process label of the listener on `port` in the exporter's /metrics, as nobody with `caps`. */
async function processLabelAsNobody(t: TestContext, caps: readonly string[], port: number): Promise<string> {
  const listen = await freePort();
  const capArgs = caps.length ? [`--inh-caps=${caps.map((c) => `+${c}`).join(',')}`, `--ambient-caps=${caps.map((c) => `+${c}`).join(',')}`] : [];
  const argv = [...AS_NOBODY, ...capArgs, process.execPath, BIN, 'exporter', '--listen', `127.0.0.1:${listen}`];
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const exporter = new Child(proc, `exporter as nobody (${caps.join(' ') || 'no capabilities'})`);
  try {
    return await eventually(`${exporter.label} shows the listener on ${port}`, async () => {
      assert.equal(exporter.exitCode, null, `${exporter.label} exited (${exporter.exitCode}): ${exporter.stderr}`);
      const res = await fetch(`http://127.0.0.1:${listen}/metrics`, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      const line = text.split('\n').find((l) => l.startsWith('sockscope_listener_accept_queue{') && l.includes(`port="${port}"`));
      assert.ok(line, `no sockscope_listener_accept_queue series for port ${port}`);
      const m = /process="([^"]*)"/.exec(line);
      assert.ok(m, line);
      return m[1]!;
    }, { timeoutMs: 20_000, intervalMs: 250 });
  } finally {
    await exporter.stop();
  }
}

test('exporter capabilities: as nobody it names a root listener\'s process with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH, and not with either alone', { timeout: 120_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'needs root, to start a root-owned listener and switch to nobody');
  const name = `sscap${randomBytes(3).toString('hex')}`;
  const server = startPython(t, 'root listener', NAMED_LISTENER, [name]);
  const port = (await server.message('port')) ['port'] as number;

  assert.equal(await processLabelAsNobody(t, ['sys_ptrace', 'dac_read_search'], port), name, 'both capabilities: the holder is named');
  assert.equal(await processLabelAsNobody(t, ['sys_ptrace'], port), '(none)', 'CAP_SYS_PTRACE alone cannot list the fd directory');
  assert.equal(await processLabelAsNobody(t, ['dac_read_search'], port), '(none)', 'CAP_DAC_READ_SEARCH alone cannot read the fd links');
  assert.equal(await processLabelAsNobody(t, [], port), '(none)', 'no capability: hidden');
});

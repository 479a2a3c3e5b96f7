// The BSD path (the lsof collector, ps for process details, start times from
// ps lstart for kill) run live on this machine: lsof and ps are the same
// programs here, so the replay seam lets them run for real ("run": true)
// with the platform set to FreeBSD. Real processes on loopback ports the
// kernel picks; each cleaned up by startPython's t.after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, runCli, startPython } from '../live/helpers.js';

const LISTENER = `
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(4)
emit(port=s.getsockname()[1])
hold()
`;

function bsdEnv(t: import('node:test').TestContext): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-bsd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'exec.json'), JSON.stringify({ 'sockscope-replay': 1, commands: [
    { argv: ['lsof', '*'], run: true }, { argv: ['ps', '*'], run: true },
  ] }));
  return { SOCKSCOPE_PLATFORM: 'freebsd', SOCKSCOPE_EXEC_REPLAY: dir };
}

test('as on FreeBSD: port and pid through lsof and ps, with fd, name and command line', async (t) => {
  const env = bsdEnv(t);
  const child = startPython(t, 'listener', LISTENER);
  const port = (await child.message('port'))['port'] as number;
  const p = await runCli(['--no-color', '--lang', 'en', 'port', String(port), '--json'], { env });
  assert.equal(p.code, 0, p.stderr);
  const rows = JSON.parse(p.stdout) as Array<{ state: string; holders: Array<{ pid: number; fd?: number; name?: string }> }>;
  assert.deepEqual(rows.map((s) => [s.state, s.holders.map((h) => [h.pid, h.name, typeof h.fd])]), [['LISTEN', [[child.pid, 'python3', 'number']]]]);
  assert.match(p.stderr, /Test seam on: the output of freebsd tools/);
  const pid = await runCli(['--no-color', '--lang', 'en', 'pid', String(child.pid)], { env });
  assert.equal(pid.code, 0, pid.stderr);
  assert.match(pid.stdout, new RegExp(`^PID ${child.pid} {2}python3`, 'm'));
  assert.match(pid.stdout, /python3? .*-c/);
  assert.match(pid.stdout, new RegExp(`127\\.0\\.0\\.1:${port}`));
});

test('as on FreeBSD: kill :PORT checks the start time through ps, signals, and sees the port free through lsof', async (t) => {
  const env = bsdEnv(t);
  const child = startPython(t, 'listener', LISTENER);
  const port = (await child.message('port'))['port'] as number;
  const r = await runCli(['--no-color', '--lang', 'en', 'kill', `:${port}`, '--yes'], { env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`Sent SIGTERM to ${child.pid} \\(python3\\)`));
  assert.match(r.stdout, new RegExp(`Port ${port} is free now`));
  await eventually('listener gone', () => assert.equal(child.proc.exitCode !== null || child.proc.signalCode !== null, true), { timeoutMs: 5000 });
});

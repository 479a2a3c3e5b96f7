// Run as an ordinary user, sockscope cannot read root's fd tables: a root
// process's listener must be shown without holders ('permission-denied'),
// never with a wrong owner, and stderr must say so once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { AS_NOBODY, cliFiles, describeAll, eventually, holderPairs, LISTENER_PY, NOBODY, runCli, socketsOnPort, startPython } from './helpers.js';
import type { Socket } from '../../src/index.js';

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

test('unprivileged: a root listener is permission-denied, never misattributed', async (t) => {
  assert.equal(process.getuid?.(), 0, 'needs root, to start a root-owned listener and switch to nobody');
  assert.ok(hasSetpriv(), 'setpriv (util-linux) is needed: .ci/run installs it');
  // nobody must be able to read the CLI, dist/ and node_modules, or the test says nothing.
  const probe = `const fs=require('fs');const bad=[];for(const p of ${JSON.stringify(cliFiles())}){try{fs.accessSync(p,fs.constants.R_OK)}catch(e){bad.push(p+' ('+e.code+')')}}` +
    `if(bad.length){console.error(bad.join('\\n'));process.exit(1)}`;
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e', probe], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    assert.fail(`user nobody (uid ${NOBODY}) cannot read sockscope's files, so it cannot run the CLI; ` +
      `make the repository, dist/ and node_modules world-readable (and the directories above them traversable):\n${err}`);
  }

  const server = startPython(t, 'root listener', LISTENER_PY);
  const { port, fd } = (await server.message('port')) as { port: number; fd: number };
  // As root we see the true holder: what nobody must not contradict.
  await eventually('root sees the holder', async () => {
    const { sockets } = await socketsOnPort(port, { protocols: ['tcp'], families: ['ipv4'] });
    assert.equal(sockets.length, 1, describeAll(sockets));
    assert.deepEqual(holderPairs(sockets[0]!), [`${server.pid}:${fd}`], describeAll(sockets));
  }, { timeoutMs: 5000 });

  const r = await runCli(['list', '--json'], { prefix: AS_NOBODY });
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
  const sockets = JSON.parse(r.stdout) as Socket[];
  const mine = sockets.filter((s) => s.localPort === port && s.localAddress === '127.0.0.1' && s.state === 'LISTEN' && s.protocol === 'tcp');
  assert.equal(mine.length, 1, `the root listener on ${port}:${describeAll(sockets.filter((s) => s.localPort === port))}`);
  const l = mine[0]!;
  assert.equal(l.uid, 0, 'the socket table still says root owns it');
  assert.deepEqual(l.holders, [], 'no holder can be seen as nobody');
  assert.equal(l.unheldReason, 'permission-denied');
  // Never a wrong owner: everything nobody can attribute is nobody's own.
  for (const s of sockets) {
    for (const h of s.holders) {
      assert.equal(h.uid, NOBODY, `a holder that is not nobody's own process: ${JSON.stringify(s)}`);
      assert.notEqual(h.pid, server.pid, `the root server attributed: ${JSON.stringify(s)}`);
    }
  }

  const notes = r.stderr.split('\n').filter((line) => /process\(es\) did not let us read/.test(line));
  assert.equal(notes.length, 1, `said exactly once on stderr:\n${r.stderr}`);
  const n = Number(/(\d+) process\(es\)/.exec(notes[0]!)?.[1]);
  assert.ok(Number.isInteger(n) && n >= 1, `a count of unreadable processes: ${notes[0]}`);
  assert.match(notes[0]!, /run as root/, 'an unprivileged run is told to use root');

  // The port view tells the same story.
  const p = await runCli(['port', String(port)], { prefix: AS_NOBODY });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /hidden: no permission/, p.stdout);
  assert.doesNotMatch(p.stdout, new RegExp(`\\b${server.pid}/`), p.stdout);
  assert.equal(p.stderr.split('\n').filter((line) => /did not let us read/.test(line)).length, 1, p.stderr);
});

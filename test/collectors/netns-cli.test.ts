// The CLI over the recorded namespaces tree (test/fixtures/proc/netns): --netns,
// the NETNS column, port per namespace, the note for a namespace that could not
// be read; and a tree without namespaces looks as it always did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Socket } from '../../src/model/socket.js';
import { FIXTURES, runCli } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'netns');
const cli = (args: string[]) => runCli(['--proc-root', tree, ...args], { SOCKSCOPE_PASSWD: join(tree, 'passwd'), NO_COLOR: '1', LANG: 'C' });

test('--netns picks namespaces; a bad token is a usage error, an unknown one exit 1', () => {
  const blue = cli(['list', '-a', '--json', '--netns', 'blue']);
  assert.equal(blue.code, 0, blue.err);
  const sockets = JSON.parse(blue.out) as Socket[];
  assert.ok(sockets.length === 4 && sockets.every((s) => s.netns?.name === 'blue'), blue.out);
  const bad = cli(['list', '--netns', 'a/b']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split('\n').length, 1, bad.err);
  assert.match(bad.err, /invalid --netns value 'a\/b'/);
  const unknown = cli(['list', '--netns', 'green']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no network namespace 'green'/);
  const lsof = cli(['--source', 'lsof', 'list', '--netns', 'blue']);
  assert.equal(lsof.code, 2);
  assert.match(lsof.err, /--netns needs --source auto, netlink or proc/);
  const old = join(FIXTURES, 'proc', 'dualstack-udp');
  const legacy = runCli(['--proc-root', old, 'list', '--netns', 'host', '--json'], { SOCKSCOPE_PASSWD: join(old, 'passwd') });
  assert.equal(legacy.code, 0, 'a tree without namespaces is all host');
  assert.ok((JSON.parse(legacy.out) as Socket[]).length > 0);
  const zh = runCli(['--proc-root', tree, '--lang', 'zh-CN', 'list', '--netns', 'green'], { SOCKSCOPE_PASSWD: join(tree, 'passwd') });
  assert.match(zh.err, /没有网络命名空间“green”/);
});

test('NETNS column with the namespace names; the unread namespace said once', () => {
  const r = cli(['list', '-a']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /Send-Q\s+NETNS\s+(CONTAINER\s+)?PID\/Program/);
  assert.ok(lines.some((l) => /0\.0\.0\.0:http-alt .*LISTEN .* host +(- +)?100\/python3 fd 3/.test(l)), r.out);
  assert.ok(lines.some((l) => /0\.0\.0\.0:http-alt .*LISTEN .* blue +(- +)?200\/python3 fd 3, 201\/nginx fd 5/.test(l)), r.out);
  assert.match(r.err, /1 network namespace\(s\) could not be read.*0123abcd \(4026532600\).*none of its processes is visible to us/s);
});

test('port N per namespace: used in both, each with its holders', () => {
  const r = cli(['port', '8080']);
  assert.equal(r.code, 0, r.err);
  const first = r.out.split('\n')[0]!;
  assert.match(first, /^Port 8080\b.*: used in the host namespace by python3 pid 100; used in network namespace blue \(4026532500\) by python3 pid 200, nginx pid 201, python3 pid 100\.$/);
  assert.match(r.out, /\nIn the host namespace:\n/);
  assert.match(r.out, /\nIn network namespace blue \(4026532500\):\n/);
  const host = cli(['port', '8081', '--netns', 'host']);
  assert.equal(host.code, 0);
  assert.doesNotMatch(host.out, /blue/);
  const onlyBlue = cli(['port', '8081', '--netns', 'blue']);
  assert.equal(onlyBlue.code, 0, 'blue has a connection from local port 8081');
});

test('a tree without namespace links: no NETNS column, no netns in JSON', () => {
  const old = join(FIXTURES, 'proc', 'dualstack-udp');
  const r = runCli(['--proc-root', old, 'list', '-a'], { SOCKSCOPE_PASSWD: join(old, 'passwd'), NO_COLOR: '1' });
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /NETNS/);
  const j = runCli(['--proc-root', old, 'list', '-a', '--json'], { SOCKSCOPE_PASSWD: join(old, 'passwd') });
  assert.doesNotMatch(j.out, /"netns"/);
});

test('a namespace name is text from the system: escaped in the table, the port answer and the note; JSON keeps it exact', async () => {
  const { cpSync, mkdtempSync, rmSync, symlinkSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sc-netns-'));
  try {
    const copy = join(dir, 'tree');
    cpSync(tree, copy, { recursive: true, verbatimSymlinks: true });
    // Named through /run/netns (read before the runtime's directories): this name wins.
    const evil = '\x1b[2Jevil\nx';
    symlinkSync('net:[4026532600]', join(copy, 'run', 'netns', evil));
    symlinkSync('net:[4026532500]', join(copy, 'run', 'netns', 'aaa\x07bell'));
    const run = (args: string[]) => runCli(['--proc-root', copy, ...args], { SOCKSCOPE_PASSWD: join(copy, 'passwd'), NO_COLOR: '1' });
    const table = run(['list', '-a']);
    assert.equal(table.code, 0, table.err);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(table.out + table.err), 'no control character reaches the terminal');
    assert.match(table.out, /aaa\\x07bell/);
    assert.match(table.err, /\\x1b\[2Jevil\\nx \(4026532600\)/);
    const port = run(['port', '8080']);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(port.out), port.out);
    assert.match(port.out, /network namespace aaa\\x07bell \(4026532500\)/);
    const json = JSON.parse(run(['list', '-a', '--json']).out) as Socket[];
    assert.ok(json.some((s) => s.netns?.name === 'aaa\x07bell'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The CLI's output on a recorded /proc tree: stable input, exact expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, runCli, type CliResult } from '../helpers.js';

const tree = join(FIXTURES, 'proc', 'dualstack-udp');

function run(args: string[]): CliResult {
  return runCli(['--proc-root', tree, ...args], { SOCKSCOPE_PASSWD: join(tree, 'passwd') });
}

test('list --json: schema v1 keys, in order, for every socket', () => {
  const r = run(['list', '--json']);
  assert.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as Record<string, unknown>[];
  assert.equal(rows.length, 9);
  for (const row of rows) {
    const keys = Object.keys(row);
    assert.deepEqual(keys.slice(0, 9), ['protocol', 'family', 'localAddress', 'localPort', 'remoteAddress', 'remotePort', 'state', 'recvQ', 'sendQ']);
    assert.ok(Array.isArray(row['holders']));
    assert.equal('unheldReason' in row, (row['holders'] as unknown[]).length === 0);
  }
  const shared = rows.find((x) => x['inode'] === 7679)!;
  assert.deepEqual((shared['holders'] as { pid: number }[]).map((h) => h.pid), [4242, 4243]);
});

test('ndjson and csv carry the same sockets as json', () => {
  const json = JSON.parse(run(['list', '--json']).out) as { inode: number }[];
  const nd = run(['list', '--ndjson']).out.trim().split('\n').map((l) => JSON.parse(l) as { inode: number });
  assert.deepEqual(nd.map((x) => x.inode), json.map((x) => x.inode));
  const csv = run(['list', '--csv']).out.trim().split('\n');
  assert.equal(csv[0], 'protocol,family,localAddress,localPort,remoteAddress,remotePort,state,recvQ,sendQ,backlog,inode,uid,pids,fds,programs,users,unheldReason');
  assert.equal(csv.length, json.length + 1);
  assert.ok(csv.some((l) => l.includes(',7679,0,4242;4243,3;5,python3;python3,root;alice,')));
});

test('list table: filters, numeric ports, never a blank owner, no colour on a pipe', () => {
  const r = run(['list', '-tl', '-n']);
  assert.equal(r.code, 0);
  const lines = r.out.trim().split('\n');
  assert.match(lines[0]!, /^Proto\s+Local Address\s+Foreign Address\s+State\s+Recv-Q\s+Send-Q\s+PID\/Program$/);
  assert.equal(lines.length, 3, r.out);
  assert.ok(lines.some((l) => /tcp6\s+\[::\]:19191\s+\[::\]:\*\s+LISTEN .*4242\/python3 fd 3, 4243\/python3 fd 5/.test(l)));
  assert.ok(lines.some((l) => /0\.0\.0\.0:2024 .*- \(process exited\)/.test(l)));
  assert.doesNotMatch(r.out, /\x1b\[/);
  // UDP listeners only with -ul; state filter with aliases.
  assert.equal(run(['list', '-ul']).out.trim().split('\n').length, 3);
  const est = run(['list', '--state', 'established,time-wait', '-4', '-n']).out;
  assert.ok(est.includes('127.0.0.1:32806') && !est.includes('LISTEN'));
  // --sort by remote port orders rows.
  const sorted = JSON.parse(run(['list', '--json', '--sort', 'rport', '-t']).out) as { remotePort: number }[];
  assert.deepEqual(sorted.map((s) => s.remotePort), [...sorted.map((s) => s.remotePort)].sort((a, b) => a - b));
});

test('service names unless -n', () => {
  const named = run(['list', '-u']).out;
  const numeric = run(['list', '-u', '-n']).out;
  assert.ok(numeric.includes('127.0.0.1:19292'));
  assert.equal(named.split('\n').length, numeric.split('\n').length);
});

test('port: exact match, sections, exit codes', () => {
  const used = run(['port', '19191']);
  assert.equal(used.code, 0);
  // Service names come from IANA's registry, as in `explain`: 19191 is registered.
  assert.match(used.out, /Port 19191 \(usually opsec-uaa\): in use — 1 listening, 2 inbound, 2 outbound/);
  assert.match(used.out, /all interfaces/);
  const json = JSON.parse(run(['port', '19191', '--json']).out) as { localPort: number; remotePort: number }[];
  assert.equal(json.length, 5);
  for (const s of json) assert.ok(s.localPort === 19191 || s.remotePort === 19191);
  // 1919 is a prefix of 19191 and must not match.
  const prefix = run(['port', '1919']);
  assert.equal(prefix.code, 1);
  assert.match(prefix.out, /free/);
  assert.equal(run(['port', '19292/tcp']).code, 1, 'the UDP port is not a TCP port');
  assert.equal(run(['port', '19292/udp']).code, 0);
});

test('pid and process: fds of that process, sharing named', () => {
  const r = run(['pid', '4243', '-n']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /PID 4243 {2}python3 {2}user alice/);
  assert.match(r.out, /^FD\s+Proto/m);
  assert.match(r.out, /^\s*5\s+tcp6\s+\[::\]:19191 .*4242\/python3 fd 3/m);
  const p = run(['process', 'ds.py', '--json']);
  assert.equal(p.code, 0);
  assert.equal((JSON.parse(p.out) as unknown[]).length, 8);
});

test('overview: listeners by process with bind scope, outbound, totals', () => {
  const r = run([]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Listening \(4\)/);
  assert.match(r.out, /python3\s+4242,4243\s+tcp\s+19191 \(opsec-uaa\)\s+all interfaces \(::\)\s+0\/\?\s+2 ESTABLISHED/);
  assert.match(r.out, /python3\s+4242\s+udp\s+19292\s+this host only \(127\.0\.0\.1\)/);
  assert.match(r.out, /Outbound \(3\)/);
  assert.match(r.out, /python3\s+4242\s+udp\s+127\.0\.0\.1:19292\s+1 ESTABLISHED/);
  assert.match(r.out, /Total: 9 sockets — listening 2 TCP, 2 UDP; 5 ESTABLISHED \(source: proc\)/);
});

// The real captures in ../shared/corpus/pasted/ (other people's netstat, ss and
// lsof output from Windows, Linux, macOS, FreeBSD and BusyBox machines) are each
// read with the number of TCP/UDP rows its manifest gives, and keep the row contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parsePasted, parseLinuxNetstat, parseLsof, parseMacosNetstat, parseWindowsNetstat } from '../../src/collectors/text/index.js';
import { markEndpoint } from '../../src/cli/commands/explain-input.js';
import { ROOT, runCli } from '../helpers.js';
import { assertContract } from './helpers.js';

const CORPUS = resolve(ROOT, '..', 'shared', 'corpus', 'pasted');

function manifest(): Record<string, number> {
  // CI has the corpus next to the project: its absence is a failure, not a skip.
  assert.ok(existsSync(join(CORPUS, 'manifest.json')), `the corpus is missing: ${CORPUS}`);
  return JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Record<string, number>;
}

const files = manifest();

test('the corpus holds the 43 captures the manifest lists', () => {
  assert.equal(Object.keys(files).length, 43);
  for (const f of Object.keys(files)) assert.ok(existsSync(join(CORPUS, f)), f);
});

for (const [file, expected] of Object.entries(files)) {
  test(`corpus ${file}: ${expected} rows`, () => {
    const bytes = readFileSync(join(CORPUS, file));
    const r = parsePasted(bytes);
    assert.equal(r.rows.length, expected, `rows read; unreadable: ${r.unreadable.slice(0, 3).map((u) => `${u.line} ${u.reason}`).join(', ')}`);
    // Lines as the parsers number them (CRLF, LF or CR; UTF-16 has two bytes per newline).
    const text = bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.toString('utf16le') : bytes.toString('latin1');
    assertContract(r, text.split(/\r\n|\n|\r/).length, file);
  });
}

const read = (f: string): ReturnType<typeof parsePasted> => parsePasted(readFileSync(join(CORPUS, f)));

test('output taken without -n: services become ports again, host names stay as printed', () => {
  const r = read('linux-netstat/jc-centos77-netstat-sudo-aeep.txt');
  const smtp = r.rows.find((x) => x.socket.localPort === 25 && x.socket.family === 'ipv4')!;
  assert.deepEqual([smtp.socket.localAddress, smtp.localIsName, smtp.localService, smtp.socket.state], ['localhost', true, 'smtp', 'LISTEN']);
  const dhcp = r.rows.find((x) => x.localService === 'bootpc')!;
  assert.deepEqual([dhcp.socket.protocol, dhcp.socket.localPort, dhcp.socket.localAddress], ['udp', 68, '0.0.0.0']);
  assert.ok(r.notes.includes('names-not-numeric'));
  // Windows: "api:1032" is a host named api, port 1032.
  const w = read('windows-netstat/jc-win10-netstat-names.txt');
  assert.ok(w.rows.some((x) => x.socket.remoteAddress === 'api' && x.remoteIsName && x.socket.remotePort === 1032));
  assert.equal(w.unreadable.length, 0);
});

test('ss: a link-local address with its interface after the bracket keeps the interface', () => {
  const r = read('ss/jc-generic-ss-wide.txt');
  const ntp = r.rows.find((x) => x.socket.localAddress === 'fe80::9cc5:aeff:fec5:34ae')!;
  assert.deepEqual([ntp.localZone, ntp.socket.localPort], ['eth0', 123]);
  assert.equal(markEndpoint('[fe80::9cc5:aeff:fec5:34ae]:123', ntp.localZone, undefined), '[fe80::9cc5:aeff:fec5:34ae%eth0]:123');
  assert.equal(markEndpoint('127.0.0.53:53', 'lo', undefined), '127.0.0.53%lo:53');
  // The zone is the other machine's text: a terminal escape in it is shown, not sent.
  assert.equal(markEndpoint('[fe80::1]:546', 'x\u001b[2Jy', undefined), '[fe80::1%x\\x1b[2Jy]:546');
});

test('macOS netstat: cut IPv6 hosts, cut service names and cut ports are marked, never passed off as exact', () => {
  const r = read('macos-netstat/jc-osx10146-netstat.txt');
  const cut = r.rows.find((x) => x.socket.localAddress === 'fe80::aede:48ff:…')!;
  assert.equal(cut.truncated, true);
  const afp = r.rows.find((x) => x.remoteService === 'afpovertcp')!;
  assert.deepEqual([afp.socket.remotePort, afp.truncated], [548, true]);
  assert.ok(r.notes.includes('service-name-completed'));
  // netstat -An: the socket's kernel address first, 18-character address columns.
  const a = read('other/jc-osx10146-netstat-An.txt');
  assert.equal(a.format, 'macos-netstat');
  assert.ok(a.notes.includes('pcb-addresses') && a.notes.includes('port-may-be-truncated'));
  const first = a.rows[0]!;
  assert.deepEqual([first.socket.localAddress, first.socket.localPort, first.localPortCut, first.remotePortCut], ['192.168.1.221', 5486, true, undefined]);
  assert.equal(markEndpoint('192.168.1.221:5486', undefined, true), '192.168.1.221:5486…');
});

test('plain lsof: other open files are skipped and noted, not reported unreadable', () => {
  const r = read('lsof/jc-centos77-lsof-sudo.txt');
  assert.equal(r.unreadable.length, 0, r.unreadable.slice(0, 2).map((u) => u.text).join(' | '));
  assert.ok(r.notes.includes('skipped-other-files'));
  const ssh = r.rows.find((x) => x.localService === 'ssh' && x.socket.remoteAddress === '192.168.71.1')!;
  // Two sshd processes hold that one connection: one row, two holders.
  assert.deepEqual(ssh.socket.holders.map((h) => h.pid).sort(), [4314, 4318]);
  assert.deepEqual([ssh.socket.localAddress, ssh.localIsName], ['localhost.localdomain', true]);
});

test('headers in other languages and FreeBSD\'s Unix section are not unreadable lines', () => {
  assert.equal(read('windows-netstat/es-utf16-senarifa-netstat-ano.txt').unreadable.length, 0);
  assert.equal(read('other/jc-freebsd12-netstat-an.txt').unreadable.length, 0);
});

test('UDP with a foreign address is ESTABLISHED and without one UNCONN, in every format', () => {
  const w = parseWindowsNetstat('  Proto  Local Address          Foreign Address        State           PID\n  UDP    10.0.0.2:5000          10.0.0.9:53                            77\n  UDP    0.0.0.0:5353           *:*                                    78\n');
  const l = parseLinuxNetstat('Proto Recv-Q Send-Q Local Address           Foreign Address         State\nudp        0      0 10.0.0.2:5000           10.0.0.9:53             ESTABLISHED\nudp        0      0 0.0.0.0:5353            0.0.0.0:*\n');
  const m = parseMacosNetstat('Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)\nudp4       0      0  10.0.0.2.5000          10.0.0.9.53\nudp4       0      0  *.5353                 *.*\n');
  const o = parseLsof('COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\ndig 77 root 3u IPv4 1 0t0 UDP 10.0.0.2:5000->10.0.0.9:53\nmdns 78 root 3u IPv4 2 0t0 UDP *:5353\n');
  for (const [name, r] of [['windows', w], ['linux', l], ['macos', m], ['lsof', o]] as const) {
    assert.deepEqual(r.rows.map((x) => x.socket.state), ['ESTABLISHED', 'UNCONN'], name);
  }
});

test('explain --input FILE --json prints every row as a v1 socket, with what the paste said about it', () => {
  const file = join(CORPUS, 'linux-netstat/jc-centos77-netstat-sudo-aeep.txt');
  const r = runCli(['explain', '--input', file, '--json']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { format: string; rows: { line: number; localService?: string; socket: Record<string, unknown> }[]; unreadable: unknown[]; notes: string[] };
  assert.equal(out.format, 'linux-netstat');
  assert.equal(out.rows.length, files['linux-netstat/jc-centos77-netstat-sudo-aeep.txt']);
  const keys = ['protocol', 'family', 'localAddress', 'localPort', 'remoteAddress', 'remotePort', 'state', 'recvQ', 'sendQ'];
  for (const row of out.rows) assert.deepEqual(Object.keys(row.socket).slice(0, keys.length), keys);
  assert.ok(out.rows.some((x) => x.localService === 'ssh' && x.socket['localPort'] === 22));
  assert.ok(out.notes.includes('names-not-numeric'));
  // Without --input there is nothing to print as JSON: one line, exit 2.
  const bad = runCli(['explain', '--json']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split("\n").length, 1, bad.err);
});

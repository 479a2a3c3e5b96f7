// Doctor's report on a terminal and as JSON, over findings from synthetic
// samples: rows worst first with evidence, why and what to do under each;
// lines within the terminal's width; a process name with terminal control in
// it shown escaped (never acted on) in the table and kept exact in JSON;
// both languages; the skipped checks in words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, skippedChecks } from '../../src/doctor/diagnose.js';
import { doctorJson, renderDoctorTable, skippedNotes, summaryLine } from '../../src/doctor/render.js';
import { DEFAULT_THRESHOLDS } from '../../src/doctor/thresholds.js';
import { findingText } from '../../src/doctor/text.js';
import { FINDING_KINDS, type DoctorReport, type DoctorSample } from '../../src/doctor/types.js';
import type { HostFacts } from '../../src/explain/ports.js';
import type { Socket } from '../../src/model/socket.js';
import { displayWidth, memorySink } from '../../src/views/sink.js';

const EVIL = 'evil\x1b]0;PWNED\x07\x1b[2J\u202e';
const HOST: HostFacts = { ephemeral: [40000, 40019], unprivilegedStart: 1024, somaxconn: 4096 };

function sock(over: Partial<Socket>): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 7100, remoteAddress: '0.0.0.0', remotePort: 0,
    state: 'LISTEN', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [{ pid: 4242, fd: 3, name: EVIL, command: `${EVIL} --serve` }], ...over,
  };
}

/** A scene with one finding of every kind that one look can show, plus growth over two. */
function report(): DoctorReport {
  const listener = sock({ recvQ: 3, backlog: 2, inode: 10 });
  const cw = (p: number): Socket => sock({ state: 'CLOSE_WAIT', remoteAddress: '127.0.0.1', remotePort: p, inode: 100 + p });
  const first: DoctorSample = { at: 0, sockets: [listener, cw(1), cw(2)], counters: new Map([['ListenOverflows', 1]]) };
  const last: DoctorSample = {
    at: 2000,
    sockets: [listener, cw(1), cw(2), cw(3), sock({ localAddress: '0.0.0.0', localPort: 31337, inode: 11, backlog: 128 }),
      sock({ state: 'SYN_SENT', localPort: 40001, remoteAddress: '10.9.9.2', remotePort: 80, inode: 12, timer: { kind: 'retransmit', expiresMs: 500, retransmits: 2 } })],
    counters: new Map([['ListenOverflows', 9]]),
    fds: new Map([[4242, { open: 63, limit: 64 }]]),
    fdErrors: new Map([[1, 'EACCES']]),
  };
  const samples = [first, last];
  return { findings: diagnose(samples, HOST), samples: 2, spanMs: 2000, host: HOST, thresholds: { ...DEFAULT_THRESHOLDS }, skipped: skippedChecks(samples, HOST) };
}

test('the table: worst first, evidence, why and what to do under each row, the name escaped', async () => {
  const r = report();
  assert.deepEqual(r.findings.map((f) => f.kind),
    ['accept-queue-full', 'fd-limit', 'close-wait', 'risky-port', 'syn-sent', 'exposed'], 'critical first, then in the kinds\' order');
  const { sink, text } = memorySink();
  await renderDoctorTable(r, sink, { lang: 'en', color: false, width: 80 });
  const out = text();
  assert.ok(!out.includes('\x1b') && !out.includes('\x07') && !out.includes('\u202e'), 'no terminal control from the process name');
  assert.ok(out.includes('4242/evil\\x1b]0;PWNED\\x07\\x1b[2J\\u{202e}'), out);
  for (const line of out.split('\n')) assert.ok(displayWidth(line) <= 80, `wider than 80: ${JSON.stringify(line)}`);
  const lines = out.split('\n');
  assert.equal(lines[0], 'Findings: 6 (critical 2, warning 3, info 1); looks: 2 over 2 s.');
  assert.match(lines[2]!, /^Severity\s+Finding\s+Where\s+Process$/);
  // The long (escaped) name does not fit beside the row: it goes under its column, whole.
  assert.match(lines[3]!, /^CRITICAL\s+accept-queue-full\s+tcp 127\.0\.0\.1:7100$/);
  assert.match(lines[4]!, /^\s+4242\/evil\\x1b/);
  assert.match(out, /Evidence: queue 3 \(at most 3\) of backlog 2; full from 1 × backlog;\s+ListenOverflows \+8 in 2 s \(critical from \+1\)\n/);
  assert.match(out, /Why: Connections to this listener complete faster/);
  assert.match(out, /Do: +Make the program call accept\(\) sooner/);
  assert.match(out, /somaxconn,\s+which caps it \(4096 here\)/);
  assert.match(out, /Watch out: 31337 is the default port\s+of known backdoors or trojans \(Back Orifice\)/);
  assert.match(out, /tcp 127\.0\.0\.1:7100 from\s+127\.0\.0\.1/, 'a CLOSE_WAIT pile on a listening port: the port and the peer');
  assert.match(out, /tcp to 10\.9\.9\.2:80/);
  // Every finding's sentences come from the catalog (no key left as text).
  assert.ok(!/doctor\.[a-z-]+\.(why|todo)/.test(out), out);
});

test('on a pipe: one line per row and per sentence, nothing cut', async () => {
  const { sink, text } = memorySink();
  await renderDoctorTable(report(), sink, { lang: 'en', color: false });
  const out = text();
  assert.match(out, /\n {4}Why: This process has almost as many files open as its RLIMIT_NOFILE allows\. At the limit, accept\(\), socket\(\) and open\(\) fail with EMFILE \("Too many open files"\)\.\n/);
  assert.match(out, /63 of 64 fds open \(98\.4%; warning from 80%, critical from 95%\)/);
});

test('in Chinese: the same findings, the words translated, kinds and numbers as they are', async () => {
  const { sink, text } = memorySink();
  await renderDoctorTable(report(), sink, { lang: 'zh-CN', color: false, width: 80 });
  const out = text();
  assert.match(out, /^共 6 项发现（严重 2，警告 3，提示 1）；2 秒内查看了 2 次。/);
  assert.match(out, /严重\s+accept-queue-full/);
  assert.match(out, /原因：/);
  assert.match(out, /建议：/);
  for (const line of out.split('\n')) assert.ok(displayWidth(line) <= 80, `wider than 80: ${line}`);
  for (const f of report().findings) {
    const t = findingText(f, 'zh-CN', HOST);
    assert.match(t.why + t.todo, /[\u4e00-\u9fff]/, f.kind);
  }
});

test('no finding: one line that says so', async () => {
  const r: DoctorReport = { findings: [], samples: 2, spanMs: 1004, host: HOST, thresholds: { ...DEFAULT_THRESHOLDS }, skipped: [] };
  const { sink, text } = memorySink();
  await renderDoctorTable(r, sink, { lang: 'en', color: true, width: 80 });
  assert.equal(text(), '\x1b[1mNo problem found; looks: 2 over 1 s.\x1b[0m\n');
  assert.equal(summaryLine(r, 'zh-CN'), '没有发现问题；1 秒内查看了 2 次。');
});

test('JSON: the exact name, the evidence, the sentences, the skipped checks with their reasons', () => {
  const r = report();
  const text = doctorJson(r, 'en');
  assert.ok(!text.includes('\x1b') && !text.includes('\u202e'), 'JSON escapes control and bidi characters');
  const j = JSON.parse(text) as { version: number; healthy: boolean; findings: { kind: string; severity: string; subject: { processes?: { name: string }[] }; evidence: Record<string, unknown>; sockets: { localPort: number }[]; text: { why: string } }[]; skipped: { check: string; reason: string; params?: unknown; text: string }[] };
  assert.equal(j.version, 1);
  assert.equal(j.healthy, false);
  assert.equal(j.findings[0]!.kind, 'accept-queue-full');
  assert.equal(j.findings[0]!.subject.processes![0]!.name, EVIL, 'the name kept exact');
  assert.equal(j.findings[0]!.evidence['listenOverflows'], 8);
  assert.equal(j.findings[0]!.sockets[0]!.localPort, 7100);
  assert.ok(FINDING_KINDS.includes(j.findings[5]!.kind as never));
  assert.deepEqual(j.skipped, [{ check: 'retransmissions', reason: 'counters.retransmissions', text: skippedNotes(r, 'en')[0] },
    { check: 'fd-limit', reason: 'fds-unreadable', params: { n: 1, pids: '1', codes: 'EACCES' }, text: 'fd-limit: the open files or limits of 1 processes could not be read (EACCES): pids 1.' }]);
  assert.match(j.skipped[0]!.text, /RetransSegs and OutSegs/);
});

test('thousands of findings of one kind: the first 20 in the table, then a count; JSON keeps them all', async () => {
  const cw = (i: number): Socket => sock({ state: 'CLOSE_WAIT', localPort: 40000 + (i % 20), remoteAddress: `10.1.${i >> 8}.${i & 255}`, remotePort: 5432, inode: 1000 + i,
    holders: [{ pid: 5000 + i, fd: 3, name: 'app' }] });
  const many = Array.from({ length: 30 }, (_, i) => cw(i));
  const samples: DoctorSample[] = [{ at: 0, sockets: many, counters: new Map() }, { at: 1000, sockets: many, counters: new Map() }];
  const r: DoctorReport = { findings: diagnose(samples, HOST), samples: 2, spanMs: 1000, host: HOST, thresholds: { ...DEFAULT_THRESHOLDS }, skipped: [] };
  assert.equal(r.findings.length, 30);
  const { sink, text } = memorySink();
  await renderDoctorTable(r, sink, { lang: 'en', color: false });
  const out = text();
  assert.equal((out.match(/^info {6}close-wait/gm) ?? []).length, 20);
  assert.match(out, /\n… and 10 more close-wait findings \(info\): --json lists them all\.\n$/);
  assert.equal((JSON.parse(doctorJson(r, 'en')) as { findings: unknown[] }).findings.length, 30);
});

// diagnose() over synthetic samples: each finding appears when its scene is
// there, with the evidence and the thresholds it was judged by, stays away
// when the scene is healthy, and the checks that need time say so from one look.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_THRESHOLDS, diagnose, middleSockets, skippedChecks } from '../../src/doctor/diagnose.js';
import { FINDING_KINDS, type DoctorSample, type Finding } from '../../src/doctor/types.js';
import type { HostFacts } from '../../src/explain/ports.js';
import type { Socket } from '../../src/model/socket.js';

const HOST: HostFacts = { ephemeral: [40000, 40019], unprivilegedStart: 1024, somaxconn: 4096 };

let inode = 5000;
function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '0.0.0.0', remotePort: 0,
    state: 'LISTEN', recvQ: 0, sendQ: 0, inode: inode++, uid: 0, holders: [{ pid: 10, fd: 3, name: 'srv', command: 'srv --port 5000', user: 'root' }], ...over,
  };
}

const listener = (over: Partial<Socket> = {}): Socket => sock({ backlog: 128, ...over });
const conn = (over: Partial<Socket> = {}): Socket => sock({ state: 'ESTABLISHED', localPort: 40001, remoteAddress: '127.0.0.1', remotePort: 5000, ...over });

function sample(at: number, sockets: Socket[], counters: Record<string, number> = {}, fds?: DoctorSample['fds']): DoctorSample {
  const s: DoctorSample = { at, sockets, counters: new Map(Object.entries(counters)) };
  if (fds) s.fds = fds;
  return s;
}

const kinds = (fs: Finding[]): string[] => fs.map((f) => `${f.kind}:${f.severity}`);
const only = (fs: Finding[], kind: string): Finding[] => fs.filter((f) => f.kind === kind);

test('a healthy scene: a loopback listener, its connection, no queues: no finding', () => {
  const l = listener();
  const client = conn();
  const server = sock({ state: 'ESTABLISHED', localPort: 5000, remoteAddress: '127.0.0.1', remotePort: 40001 });
  const counters = { ListenOverflows: 3, ListenDrops: 3, RetransSegs: 10, OutSegs: 1000 };
  const samples = [sample(0, [l, client, server], counters, new Map([[10, { open: 12, limit: 1024 }]])),
    sample(1000, [l, client, server], { ...counters, OutSegs: 1200 }, new Map([[10, { open: 12, limit: 1024 }]]))];
  assert.deepEqual(diagnose(samples, HOST), []);
  assert.deepEqual(skippedChecks(samples, HOST), []);
});

test('the default thresholds: every documented name, each a number', () => {
  for (const name of ['accept-queue-ratio', 'listen-overflows', 'close-wait-count', 'close-wait-critical', 'close-wait-growth',
    'ephemeral-ratio', 'ephemeral-critical-ratio', 'send-queue-bytes', 'recv-queue-bytes', 'queue-stuck-seconds', 'queue-drain-ratio',
    'syn-sent-seconds', 'syn-sent-retransmits', 'retransmits', 'retrans-segs', 'retrans-ratio', 'fd-ratio', 'fd-critical-ratio']) {
    assert.equal(typeof DEFAULT_THRESHOLDS[name], 'number', name);
  }
  assert.equal(Object.keys(DEFAULT_THRESHOLDS).length, 18);
});

test('accept-queue-full: at its backlog is a warning, critical when ListenOverflows rises; evidence quotes the thresholds', () => {
  const full = listener({ recvQ: 3, backlog: 2, localPort: 8080 });
  const one = diagnose([sample(0, [full])], HOST);
  assert.deepEqual(kinds(one), ['accept-queue-full:warning']);
  assert.equal(one[0]!.evidence['backlog'], 2);
  assert.equal(one[0]!.evidence['queue'], 3);
  assert.equal(one[0]!.evidence['accept-queue-ratio'], 1);
  assert.equal(one[0]!.subject.localPort, 8080);
  assert.deepEqual(one[0]!.subject.processes, [{ pid: 10, name: 'srv', command: 'srv --port 5000', user: 'root' }]);
  const rising = diagnose([sample(0, [full], { ListenOverflows: 10, ListenDrops: 10 }), sample(2000, [full], { ListenOverflows: 22, ListenDrops: 23 })], HOST);
  assert.deepEqual(kinds(rising), ['accept-queue-full:critical']);
  assert.equal(rising[0]!.evidence['listenOverflows'], 12);
  assert.equal(rising[0]!.evidence['listenDrops'], 13);
  assert.equal(rising[0]!.evidence['listen-overflows'], 1);
  assert.equal(rising[0]!.evidence['seconds'], 2);
});

test('accept-queue-full: below the backlog, an empty listen(0) queue, or an unknown backlog: nothing', () => {
  assert.deepEqual(diagnose([sample(0, [listener({ recvQ: 1, backlog: 2 })])], HOST), []);
  assert.deepEqual(diagnose([sample(0, [listener({ recvQ: 0, backlog: 0 })])], HOST), []);
  const unknown = listener({ recvQ: 5 });
  delete unknown.backlog;
  assert.deepEqual(diagnose([sample(0, [unknown])], HOST), []);
  assert.ok(skippedChecks([sample(0, [unknown])], HOST).some((s) => s.check === 'accept-queue-full' && s.reason === 'doctor.skip.backlog-unknown'));
  // A lower ratio makes half a queue count.
  assert.deepEqual(kinds(diagnose([sample(0, [listener({ recvQ: 1, backlog: 2 })])], HOST, { 'accept-queue-ratio': 0.5 })), ['accept-queue-full:warning']);
});

test('accept-queue-full: a queue full in an earlier look counts; overflows with no full queue seen are a warning without a listener', () => {
  const l1 = listener({ recvQ: 2, backlog: 2 });
  const l2 = { ...l1, recvQ: 0 };
  assert.deepEqual(kinds(diagnose([sample(0, [l1]), sample(1000, [l2])], HOST)), ['accept-queue-full:warning']);
  const drained = diagnose([sample(0, [l2], { ListenOverflows: 1 }), sample(1000, [l2], { ListenOverflows: 9 })], HOST);
  assert.deepEqual(kinds(drained), ['accept-queue-full:warning']);
  assert.deepEqual(drained[0]!.subject, {});
  assert.equal(drained[0]!.evidence['listenOverflows'], 8);
  // A counter that went backwards (reset) says nothing.
  assert.deepEqual(diagnose([sample(0, [l2], { ListenOverflows: 9 }), sample(1000, [l2], { ListenOverflows: 1 })], HOST), []);
});

test('close-wait: a growing pile that keeps every old one is a warning, per process and peer', () => {
  const l = listener({ localPort: 7100 });
  const cw = (port: number): Socket => sock({ state: 'CLOSE_WAIT', localPort: 7100, remoteAddress: '127.0.0.1', remotePort: port, inode: 90000 + port });
  const first = [l, cw(41000), cw(41001)];
  const last = [l, cw(41000), cw(41001), cw(41002), cw(41003)];
  const fs = diagnose([sample(0, first), sample(3000, last)], HOST);
  assert.deepEqual(kinds(fs), ['close-wait:warning']);
  const f = fs[0]!;
  assert.equal(f.evidence['closeWait'], 4);
  assert.equal(f.evidence['growth'], 2);
  assert.equal(f.evidence['growing'], true);
  assert.equal(f.evidence['close-wait-count'], 10);
  assert.equal(f.subject.localPort, 7100, 'the server side: the listening port');
  assert.equal(f.subject.remoteAddress, '127.0.0.1');
  assert.equal(f.socketCount, 4);
  assert.equal(f.subject.processes![0]!.pid, 10);
});

test('close-wait: transient ones are nothing, lasting ones are info, many are a warning or critical', () => {
  const l = listener({ localPort: 7100 });
  const cw = (port: number, pid = 10): Socket => sock({ state: 'CLOSE_WAIT', localPort: 7100, remoteAddress: '127.0.0.1', remotePort: port, inode: 90000 + port, holders: [{ pid, fd: 4 }] });
  // The first look's ones were closed, new ones came: a busy healthy server.
  assert.deepEqual(diagnose([sample(0, [l, cw(41000)]), sample(1000, [l, cw(41001), cw(41002)])], HOST), []);
  // One left there the whole check: info.
  assert.deepEqual(kinds(diagnose([sample(0, [l, cw(41000)]), sample(1000, [l, cw(41000)])], HOST)), ['close-wait:info']);
  // One look: only the count can speak.
  assert.deepEqual(diagnose([sample(0, [l, cw(41000)])], HOST), []);
  const many = Array.from({ length: 10 }, (_, i) => cw(41000 + i));
  assert.deepEqual(kinds(diagnose([sample(0, [l, ...many])], HOST)), ['close-wait:warning']);
  const lots = Array.from({ length: 100 }, (_, i) => cw(41000 + i));
  assert.deepEqual(kinds(diagnose([sample(0, [l, ...lots])], HOST)), ['close-wait:critical']);
  // Two processes are two findings.
  const two = [...Array.from({ length: 10 }, (_, i) => cw(41000 + i, 10)), ...Array.from({ length: 10 }, (_, i) => cw(42000 + i, 11))];
  assert.equal(diagnose([sample(0, [l, ...two])], HOST).length, 2);
});

test('ephemeral-ports: sockets toward one destination against the range, TIME_WAIT included', () => {
  const toDb = (i: number, state: Socket['state'] = 'ESTABLISHED'): Socket =>
    conn({ localPort: 40000 + i, remotePort: 5432, state, inode: state === 'TIME_WAIT' ? 0 : 71000 + i, holders: state === 'TIME_WAIT' ? [] : [{ pid: 20, fd: 5 + i, name: 'app' }], unheldReason: state === 'TIME_WAIT' ? 'kernel' : undefined });
  const sockets = [...Array.from({ length: 12 }, (_, i) => toDb(i)), ...Array.from({ length: 4 }, (_, i) => toDb(12 + i, 'TIME_WAIT'))];
  const fs = diagnose([sample(0, sockets)], HOST);
  assert.deepEqual(kinds(fs), ['ephemeral-ports:warning']);
  assert.equal(fs[0]!.evidence['sockets'], 16);
  assert.equal(fs[0]!.evidence['timeWait'], 4);
  assert.equal(fs[0]!.evidence['rangeSize'], 20);
  assert.equal(fs[0]!.evidence['ratio'], 0.8);
  assert.equal(fs[0]!.evidence['ephemeral-ratio'], 0.5);
  assert.equal(fs[0]!.subject.remotePort, 5432);
  assert.equal(fs[0]!.socketCount, 16);
  assert.equal(fs[0]!.sockets.length, 5, 'a few sockets quoted, all counted');
  const crit = diagnose([sample(0, Array.from({ length: 19 }, (_, i) => toDb(i)))], HOST);
  assert.deepEqual(kinds(crit), ['ephemeral-ports:critical']);
  // Under half the range: nothing; without a known range: nothing, and said.
  assert.deepEqual(diagnose([sample(0, sockets.slice(0, 9))], HOST), []);
  assert.deepEqual(diagnose([sample(0, sockets)], {}), []);
  assert.deepEqual(skippedChecks([sample(0, sockets)], {}).filter((s) => s.reason === 'doctor.skip.range-unknown').map((s) => s.check),
    ['ephemeral-ports', 'listener-in-ephemeral-range']);
});

test('ephemeral-ports: the server side of connections to a listener in the range is not counted', () => {
  const l = listener({ localPort: 40019 });
  const clients = Array.from({ length: 15 }, (_, i) => conn({ localPort: 40000 + i, remotePort: 40019 }));
  const servers = Array.from({ length: 15 }, (_, i) => sock({ state: 'ESTABLISHED', localPort: 40019, remoteAddress: '127.0.0.1', remotePort: 40000 + i }));
  const fs = only(diagnose([sample(0, [l, ...clients, ...servers])], HOST), 'ephemeral-ports');
  assert.equal(fs.length, 1);
  assert.equal(fs[0]!.evidence['sockets'], 15);
});

test('listener-in-ephemeral-range, exposed, privileged-port, risky-port: judged per service', () => {
  const inRange = diagnose([sample(0, [listener({ localPort: 40005 })])], HOST);
  assert.deepEqual(kinds(inRange), ['listener-in-ephemeral-range:info']);
  assert.equal(inRange[0]!.evidence['rangeLow'], 40000);
  // Reserved (ip_local_reserved_ports): the kernel never hands it out, nothing can take it.
  assert.deepEqual(diagnose([sample(0, [listener({ localPort: 40005 })])], { ...HOST, reservedPorts: [[40000, 40005]] }), []);
  assert.equal(diagnose([sample(0, [listener({ localPort: 40006 })])], { ...HOST, reservedPorts: [[40000, 40005]] }).length, 1);
  // One service on 0.0.0.0 and :: is one exposure.
  const web = diagnose([sample(0, [listener({ localAddress: '0.0.0.0', localPort: 8080 }), listener({ family: 'ipv6', localAddress: '::', localPort: 8080, v6only: true })])], HOST);
  assert.deepEqual(kinds(web), ['exposed:info']);
  assert.equal(web[0]!.evidence['addresses'], '0.0.0.0 ::');
  assert.equal(web[0]!.socketCount, 2);
  assert.deepEqual(diagnose([sample(0, [listener({ localAddress: '127.0.0.1', localPort: 8080 })])], HOST), []);
  const http = diagnose([sample(0, [listener({ localAddress: '0.0.0.0', localPort: 80 })])], HOST);
  assert.deepEqual(kinds(http).sort(), ['exposed:info', 'privileged-port:info']);
  assert.equal(only(http, 'privileged-port')[0]!.evidence['unprivilegedStart'], 1024);
  assert.deepEqual(kinds(diagnose([sample(0, [listener({ localAddress: '0.0.0.0', localPort: 31337 })])], HOST)), ['risky-port:warning', 'exposed:info']);
  assert.deepEqual(kinds(diagnose([sample(0, [listener({ localAddress: '127.0.0.1', localPort: 31337 })])], HOST)), ['risky-port:warning'], 'a backdoor port even on loopback');
  assert.deepEqual(kinds(diagnose([sample(0, [listener({ localAddress: '127.0.0.1', localPort: 6379 })])], HOST)), ['risky-port:info']);
  const redis = diagnose([sample(0, [listener({ localAddress: '0.0.0.0', localPort: 6379 })])], HOST);
  assert.deepEqual(kinds(redis), ['risky-port:warning', 'exposed:info']);
  assert.equal(redis[0]!.evidence['risk'], 'risk.database');
  assert.equal(redis[0]!.evidence['service'], 'Redis');
  // A UDP client socket on an ephemeral port of 0.0.0.0 is no service; UDP 53 on all interfaces is.
  assert.deepEqual(diagnose([sample(0, [sock({ protocol: 'udp', state: 'UNCONN', localAddress: '0.0.0.0', localPort: 40007 })])], HOST), []);
  assert.deepEqual(kinds(diagnose([sample(0, [sock({ protocol: 'udp', state: 'UNCONN', localAddress: '0.0.0.0', localPort: 53 })])], HOST)).sort(),
    ['exposed:info', 'privileged-port:info']);
  assert.ok(skippedChecks([sample(0, [])], { ephemeral: [1, 2] }).some((s) => s.check === 'privileged-port'));
});

test('send-queue-stuck: bytes that never go down with a peer not taking them; a moving or draining queue is nothing', () => {
  const c = (sendQ: number, timer?: Socket['timer']): Socket => conn({ sendQ, inode: 777, ...(timer ? { timer } : {}) });
  const zw = { kind: 'zero-window-probe' as const, expiresMs: 200, retransmits: 0 };
  const fs = diagnose([sample(0, [c(1000, zw)]), sample(1000, [c(2000, zw)]), sample(2000, [c(2600, zw)])], HOST);
  assert.deepEqual(kinds(fs), ['send-queue-stuck:warning']);
  assert.equal(fs[0]!.evidence['sendQ'], 2600);
  assert.equal(fs[0]!.evidence['sendQAtStart'], 1000);
  assert.equal(fs[0]!.evidence['zeroWindow'], 1);
  assert.equal(fs[0]!.evidence['queue-stuck-seconds'], 0.5);
  assert.deepEqual(kinds(diagnose([sample(0, [c(500)]), sample(1000, [c(500)])], HOST)), ['send-queue-stuck:warning'], 'not one byte acknowledged');
  assert.deepEqual(diagnose([sample(0, [c(500)]), sample(1000, [c(900)])], HOST), [], 'growing, but bytes move and no sign of a stuck peer');
  assert.deepEqual(diagnose([sample(0, [c(900, zw)]), sample(1000, [c(500, zw)])], HOST), [], 'draining');
  assert.deepEqual(kinds(diagnose([sample(0, [c(1000, zw)]), sample(1000, [c(950, zw)])], HOST)), ['send-queue-stuck:warning'], 'creeping down by less than queue-drain-ratio');
  assert.deepEqual(diagnose([sample(0, [c(1000, zw)]), sample(1000, [c(950, zw)])], HOST, { 'queue-drain-ratio': 0.01 }), []);
  assert.deepEqual(diagnose([sample(0, [c(1000, zw)]), sample(500, []), sample(1000, [c(1000, zw)])], HOST), [], 'empty in a look between: it drained');
  assert.deepEqual(diagnose([sample(0, [c(0)]), sample(1000, [c(500)])], HOST), [], 'empty at the start');
  assert.deepEqual(diagnose([sample(0, [c(500, zw)])], HOST), [], 'one look cannot tell');
  assert.deepEqual(diagnose([sample(0, [c(500)]), sample(300, [c(500)])], HOST), [], 'shorter than queue-stuck-seconds');
  assert.ok(skippedChecks([sample(0, [c(500)]), sample(300, [c(500)])], HOST).some((s) => s.check === 'send-queue-stuck' && s.reason === 'doctor.skip.span-short'));
});

test('recv-queue-stuck: data the program leaves unread; a not-accepted connection is not its case', () => {
  const c = (recvQ: number, over: Partial<Socket> = {}): Socket => conn({ recvQ, inode: 778, ...over });
  const fs = diagnose([sample(0, [c(100)]), sample(1500, [c(4000)])], HOST);
  assert.deepEqual(kinds(fs), ['recv-queue-stuck:warning']);
  assert.equal(fs[0]!.evidence['recvQ'], 4000);
  assert.equal(fs[0]!.evidence['recv-queue-bytes'], 1);
  assert.deepEqual(diagnose([sample(0, [c(4000)]), sample(1500, [c(10)])], HOST), []);
  const waiting = (q: number): Socket => c(q, { inode: 0, holders: [], unheldReason: 'not-accepted' });
  assert.deepEqual(diagnose([sample(0, [waiting(100)]), sample(1500, [waiting(100)])], HOST), []);
  assert.deepEqual(kinds(diagnose([sample(0, [c(100)]), sample(1500, [c(100)])], HOST, { 'recv-queue-bytes': 200 })), []);
});

test('syn-sent: a SYN sent again, or a connect pending longer than syn-sent-seconds', () => {
  const syn = (retransmits: number): Socket => conn({ state: 'SYN_SENT', remoteAddress: '10.9.9.2', remotePort: 80, inode: 888, timer: { kind: 'retransmit', expiresMs: 900, retransmits } });
  const one = diagnose([sample(0, [syn(2)])], HOST);
  assert.deepEqual(kinds(one), ['syn-sent:warning'], 'one look is enough when the kernel counts retransmits');
  assert.equal(one[0]!.evidence['maxRetransmits'], 2);
  assert.equal(one[0]!.subject.remoteAddress, '10.9.9.2');
  assert.deepEqual(diagnose([sample(0, [syn(0)])], HOST), []);
  assert.deepEqual(kinds(diagnose([sample(0, [syn(0)]), sample(1200, [syn(0)])], HOST)), ['syn-sent:warning']);
  assert.deepEqual(diagnose([sample(0, [syn(0)]), sample(500, [syn(0)])], HOST), []);
  // Its SYN is one byte of Send-Q that stays: not a stuck send queue as well.
  const synQ = (n: number): Socket => ({ ...syn(n), sendQ: 1 });
  assert.deepEqual(kinds(diagnose([sample(0, [synQ(1)]), sample(2000, [synQ(2)])], HOST)), ['syn-sent:warning']);
});

test('retransmissions: a socket past its retransmits threshold, and the host retransmitting a share of what it sends', () => {
  const r = (n: number): Socket => conn({ remoteAddress: '10.7.7.2', remotePort: 9000, inode: 999, sendQ: 10, timer: { kind: 'retransmit', expiresMs: 3000, retransmits: n } });
  const fs = diagnose([sample(0, [r(4)])], HOST);
  assert.deepEqual(kinds(fs), ['retransmissions:warning']);
  assert.equal(fs[0]!.evidence['maxRetransmits'], 4);
  assert.equal(fs[0]!.evidence['retransmits'], 3);
  assert.deepEqual(diagnose([sample(0, [r(2)])], HOST), []);
  const host = diagnose([sample(0, [], { RetransSegs: 100, OutSegs: 1000 }), sample(1000, [], { RetransSegs: 150, OutSegs: 1100 })], HOST);
  assert.deepEqual(kinds(host), ['retransmissions:warning']);
  assert.equal(host[0]!.evidence['retransSegs'], 50);
  assert.equal(host[0]!.evidence['ratio'], 0.3333, '50 of the 150 segments sent (OutSegs leaves retransmissions out)');
  // Only retransmissions went out (OutSegs did not move): all of it.
  const only = diagnose([sample(0, [], { RetransSegs: 0, OutSegs: 60 }), sample(1000, [], { RetransSegs: 80, OutSegs: 60 })], HOST);
  assert.deepEqual(kinds(only), ['retransmissions:warning']);
  assert.equal(only[0]!.evidence['ratio'], 1);
  assert.deepEqual(diagnose([sample(0, [], { RetransSegs: 100, OutSegs: 1000 }), sample(1000, [], { RetransSegs: 105, OutSegs: 1100 })], HOST), []);
});

test('fd-limit: open fds against RLIMIT_NOFILE, named from the socket scan', () => {
  const s = sock({ holders: [{ pid: 42, fd: 3, name: 'hog', user: 'app' }] });
  const at = (open: number): DoctorSample => sample(0, [s], {}, new Map([[42, { open, limit: 64 }]]));
  const fs = diagnose([at(60)], HOST);
  assert.deepEqual(kinds(fs), ['fd-limit:warning']);
  assert.deepEqual(fs[0]!.subject.processes, [{ pid: 42, name: 'hog', user: 'app' }]);
  assert.equal(fs[0]!.evidence['open'], 60);
  assert.equal(fs[0]!.evidence['limit'], 64);
  assert.equal(fs[0]!.evidence['fd-ratio'], 0.8);
  assert.deepEqual(kinds(diagnose([at(62)], HOST)), ['fd-limit:critical']);
  assert.deepEqual(diagnose([at(10)], HOST), []);
  const errs = sample(0, [s], {}, new Map());
  errs.fdErrors = new Map([[1, 'EACCES']]);
  const sk = skippedChecks([errs], HOST).filter((x) => x.check === 'fd-limit');
  assert.deepEqual(sk, [{ check: 'fd-limit', reason: 'doctor.skip.fds-unreadable', params: { n: 1, pids: '1', codes: 'EACCES' } }]);
  assert.deepEqual(skippedChecks([sample(0, [s])], HOST).filter((x) => x.check === 'fd-limit').map((x) => x.reason), ['doctor.skip.fds-not-read']);
});

test('one look: the checks that need two say so, each with its own reason', () => {
  const sk = skippedChecks([sample(0, [], { ListenOverflows: 1 }, new Map())], HOST);
  assert.deepEqual(sk.map((s) => s.check), ['accept-queue-full', 'close-wait', 'send-queue-stuck', 'recv-queue-stuck', 'retransmissions']);
  assert.ok(sk.every((s) => s.reason === `doctor.skip.one-sample.${s.check}`));
  // Two looks without counters: the counter parts say the counters were unreadable.
  const sk2 = skippedChecks([sample(0, [], {}, new Map()), sample(1000, [], {}, new Map())], HOST);
  assert.deepEqual(sk2.map((s) => s.reason), ['doctor.skip.counters.accept-queue-full', 'doctor.skip.counters.retransmissions']);
});

test('findings come worst first, every kind is a known kind, and the samples are left as they were', () => {
  const s0 = [listener({ localAddress: '0.0.0.0', localPort: 8080 }), listener({ recvQ: 5, backlog: 4, localPort: 9000 })];
  const copy = JSON.stringify(s0);
  const fs = diagnose([sample(0, s0, {}, new Map([[10, { open: 63, limit: 64 }]]))], HOST);
  assert.deepEqual(kinds(fs), ['fd-limit:critical', 'accept-queue-full:warning', 'exposed:info']);
  for (const f of fs) assert.ok(FINDING_KINDS.includes(f.kind));
  assert.equal(JSON.stringify(s0), copy);
  assert.deepEqual(diagnose([], HOST), []);
});

test('middleSockets: the middle looks thinned to what diagnose reads give the same findings', () => {
  const l = listener({ localPort: 7100 });
  const full = listener({ localPort: 7200, recvQ: 3, backlog: 2 });
  const cw = (p: number): Socket => sock({ state: 'CLOSE_WAIT', localPort: 7100, remoteAddress: '127.0.0.1', remotePort: p, inode: 9000 + p });
  const syn = conn({ state: 'SYN_SENT', remoteAddress: '10.9.9.2', remotePort: 80, inode: 8888 });
  const q = conn({ recvQ: 50, sendQ: 70, inode: 8889, timer: { kind: 'zero-window-probe', expiresMs: 100, retransmits: 0 } });
  const looks = [
    [l, { ...full, recvQ: 0 }, cw(1), syn, q],
    [l, full, cw(1), cw(2), syn, q, conn({ inode: 1 }), sock({ localAddress: '0.0.0.0', localPort: 8080 })],
    [l, { ...full, recvQ: 1 }, cw(1), cw(2), cw(3), syn, q],
  ];
  const samples = looks.map((s, i) => sample(i * 1000, s));
  const thin = samples.map((s, i) => (i > 0 && i < samples.length - 1 ? { ...s, sockets: middleSockets(s.sockets) } : s));
  assert.ok(thin[1]!.sockets.length < samples[1]!.sockets.length);
  const all = diagnose(samples, HOST);
  assert.deepEqual(kinds(all).sort(), ['accept-queue-full:warning', 'close-wait:warning', 'recv-queue-stuck:warning', 'send-queue-stuck:warning', 'syn-sent:warning']);
  assert.deepEqual(diagnose(thin, HOST), all);
});

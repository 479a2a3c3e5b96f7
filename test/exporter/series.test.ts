// The exporter's metric builder (src/exporter/series.ts), pure: the values of
// a synthetic scene, the top-N cuts and their `other` series, hostile process
// names made safe label values, and the cardinality bound on a 100k scene.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from '../../src/model/socket.js';
import type { Finding } from '../../src/doctor/types.js';
import {
  DEFAULT_LIMITS, buildSeries, processLabel, seriesCount, worstCaseSeries,
  type ExporterLimits, type MetricFamily, type MetricName, type SeriesInput,
} from '../../src/exporter/series.js';
import { MetricsRegistry } from '../../src/exporter/registry.js';
import { RAW_CONTROL } from '../hostile.js';

let inode = 1000;
function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '0.0.0.0', remotePort: 0,
    state: 'LISTEN', recvQ: 0, sendQ: 0, inode: inode++, uid: 0, holders: [{ pid: 10, fd: 3, name: 'srv' }], ...over,
  };
}

function conn(local: string, lport: number, remote: string, rport: number, over: Partial<Socket> = {}): Socket {
  return sock({ localAddress: local, localPort: lport, remoteAddress: remote, remotePort: rport, state: 'ESTABLISHED', ...over });
}

function input(sockets: Socket[], over: Partial<SeriesInput> = {}): SeriesInput {
  return {
    sockets, backlogKnown: true, counters: new Map([['ListenOverflows', 12], ['ListenDrops', 15]]),
    host: { ephemeral: [32768, 60999] }, scrapeSeconds: 0.25, scrapeCpuSeconds: 0.125, scanErrors: 2, unreadableProcesses: 3, ...over,
  };
}

/** The series of one metric as "label=value,... value" lines, sorted (order-free comparisons). */
function lines(families: MetricFamily[], name: MetricName): string[] {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `metric ${name} is built`);
  return f.series.map((s) => `${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',')} ${s.value}`).sort();
}

function value(families: MetricFamily[], name: MetricName, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name)!;
  return f.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
    Object.keys(s.labels).length === Object.keys(labels).length)?.value;
}

function finding(kind: Finding['kind'], severity: Finding['severity']): Finding {
  return { kind, severity, subject: {}, evidence: {}, sockets: [], socketCount: 1 };
}

test('a synthetic scene: sockets by state, listeners, processes, counters, ephemeral ports, findings, costs', () => {
  const web = [{ pid: 200, fd: 5, name: 'web' }];
  const sockets = [
    // A loopback listener on 8080 that is full (queue 3 over backlog 2), and its
    // SO_REUSEPORT sibling with room: the series shows the full one.
    sock({ localPort: 8080, recvQ: 3, backlog: 2, holders: web }),
    sock({ localPort: 8080, recvQ: 0, backlog: 2, holders: [{ pid: 201, fd: 5, name: 'web' }] }),
    // sshd on every interface, IPv4 and IPv6: one series (same labels).
    sock({ localAddress: '0.0.0.0', localPort: 22, backlog: 128, holders: [{ pid: 1, fd: 3, name: 'sshd' }] }),
    sock({ family: 'ipv6', localAddress: '::', localPort: 22, backlog: 128, holders: [{ pid: 1, fd: 4, name: 'sshd' }] }),
    // One specific address, held by two processes (the lower pid names it).
    sock({ localAddress: '10.1.2.3', localPort: 9000, backlog: 64, holders: [{ pid: 300, fd: 3, name: 'child' }, { pid: 299, fd: 3, name: 'parent' }] }),
    // Accepted connections on 8080 (local port 8080 is a listener's: never ephemeral, even in range).
    conn('127.0.0.1', 8080, '127.0.0.1', 40001, { holders: web }),
    // Outbound: three to the database (one in TIME_WAIT, unheld), one to a web server, one UDP.
    conn('10.0.0.1', 40001, '10.0.0.5', 5432, { holders: web }),
    conn('10.0.0.1', 40002, '10.0.0.5', 5432, { holders: web }),
    conn('10.0.0.1', 40003, '10.0.0.5', 5432, { state: 'TIME_WAIT', holders: [], unheldReason: 'kernel' }),
    conn('10.0.0.1', 40004, '93.184.216.34', 443, { state: 'CLOSE_WAIT', holders: [{ pid: 400, fd: 9, name: 'curl' }] }),
    // A local port below the range: not ephemeral.
    conn('10.0.0.1', 1023, '10.0.0.9', 514),
    sock({ protocol: 'udp', localAddress: '0.0.0.0', localPort: 53, state: 'UNCONN', holders: [{ pid: 500, fd: 6, name: 'dnsd' }] }),
    sock({ protocol: 'udp', localAddress: '10.0.0.1', localPort: 45000, remoteAddress: '10.0.0.53', remotePort: 53, state: 'ESTABLISHED', holders: [{ pid: 500, fd: 7, name: 'dnsd' }] }),
  ];
  const findings = [finding('accept-queue-full', 'critical'), finding('close-wait', 'warning'), finding('close-wait', 'warning')];
  const f = buildSeries(input(sockets, { findings }));

  assert.equal(value(f, 'sockscope_sockets', { protocol: 'tcp', state: 'LISTEN' }), 5);
  assert.equal(value(f, 'sockscope_sockets', { protocol: 'tcp', state: 'ESTABLISHED' }), 4);
  assert.equal(value(f, 'sockscope_sockets', { protocol: 'tcp', state: 'TIME_WAIT' }), 1);
  assert.equal(value(f, 'sockscope_sockets', { protocol: 'tcp', state: 'SYN_SENT' }), 0, 'every TCP state is exported, 0 when none');
  assert.equal(value(f, 'sockscope_sockets', { protocol: 'udp', state: 'UNCONN' }), 1);
  assert.equal(value(f, 'sockscope_sockets', { protocol: 'udp', state: 'ESTABLISHED' }), 1);
  assert.equal(value(f, 'sockscope_sockets', { protocol: 'udp', state: 'LISTEN' }), undefined, 'no UDP LISTEN series');

  assert.deepEqual(lines(f, 'sockscope_listener_accept_queue'), [
    'protocol=tcp,port=22,bind_scope=all,process=sshd 0',
    'protocol=tcp,port=8080,bind_scope=loopback,process=web 3',
    'protocol=tcp,port=9000,bind_scope=address,process=parent 0',
  ]);
  assert.deepEqual(lines(f, 'sockscope_listener_backlog'), [
    'protocol=tcp,port=22,bind_scope=all,process=sshd 128',
    'protocol=tcp,port=8080,bind_scope=loopback,process=web 2',
    'protocol=tcp,port=9000,bind_scope=address,process=parent 64',
  ]);
  assert.deepEqual(lines(f, 'sockscope_process_sockets'), [
    'process=(none),state=TIME_WAIT 1',
    'process=child,state=LISTEN 1',
    'process=curl,state=CLOSE_WAIT 1',
    'process=dnsd,state=ESTABLISHED 1',
    'process=dnsd,state=UNCONN 1',
    'process=parent,state=LISTEN 1',
    'process=srv,state=ESTABLISHED 1',
    'process=sshd,state=LISTEN 2',
    'process=web,state=ESTABLISHED 3',
    'process=web,state=LISTEN 2',
  ]);
  assert.equal(value(f, 'sockscope_tcp_listen_overflows_total'), 12);
  assert.equal(value(f, 'sockscope_tcp_listen_drops_total'), 15);
  assert.deepEqual(lines(f, 'sockscope_ephemeral_ports_used'), [
    'local_address=10.0.0.1,remote_address=10.0.0.5,remote_port=5432 3',
    'local_address=10.0.0.1,remote_address=93.184.216.34,remote_port=443 1',
  ], 'TCP only, TIME_WAIT included, not the server side of 8080, not port 1023');
  assert.equal(value(f, 'sockscope_ephemeral_port_range_size'), 60999 - 32768 + 1);
  assert.equal(value(f, 'sockscope_doctor_findings', { finding: 'accept-queue-full', severity: 'critical' }), 1);
  assert.equal(value(f, 'sockscope_doctor_findings', { finding: 'close-wait', severity: 'warning' }), 2);
  assert.equal(value(f, 'sockscope_doctor_findings', { finding: 'fd-limit', severity: 'info' }), 0);
  assert.equal(lines(f, 'sockscope_doctor_findings').length, 36, 'every kind x severity, always');
  assert.equal(value(f, 'sockscope_scrape_duration_seconds'), 0.25);
  assert.equal(value(f, 'sockscope_scrape_cpu_seconds'), 0.125);
  assert.equal(value(f, 'sockscope_scan_errors_total'), 2);
  assert.equal(value(f, 'sockscope_unreadable_processes'), 3);
  assert.deepEqual(lines(f, 'sockscope_series_folded'), [
    'metric=sockscope_ephemeral_ports_used 0', 'metric=sockscope_listener_accept_queue 0',
    'metric=sockscope_listener_backlog 0', 'metric=sockscope_process_sockets 0',
  ]);
});

test('unknowns stay absent: no backlogs from /proc/net, no counters, no range, no diagnosis', () => {
  const f = buildSeries(input([sock({ recvQ: 1 })], {
    backlogKnown: false, counters: new Map(), host: {}, findings: undefined,
  }));
  assert.deepEqual(lines(f, 'sockscope_listener_accept_queue'), ['protocol=tcp,port=5000,bind_scope=loopback,process=srv 1']);
  assert.deepEqual(lines(f, 'sockscope_listener_backlog'), [], 'a backlog the source cannot see is not 0');
  assert.deepEqual(lines(f, 'sockscope_tcp_listen_overflows_total'), []);
  assert.deepEqual(lines(f, 'sockscope_tcp_listen_drops_total'), []);
  assert.deepEqual(lines(f, 'sockscope_ephemeral_ports_used'), []);
  assert.deepEqual(lines(f, 'sockscope_ephemeral_port_range_size'), []);
  assert.deepEqual(lines(f, 'sockscope_doctor_findings'), []);
  // A forged counter below zero is no count.
  const g = buildSeries(input([], { counters: new Map([['ListenOverflows', -5]]) }));
  assert.deepEqual(lines(g, 'sockscope_tcp_listen_overflows_total'), []);
});

test('top-N cuts: the rest folded into one `other` series, counted in sockscope_series_folded', () => {
  const sockets: Socket[] = [];
  // Process names with 5, 4, 3, 2, 1 established sockets; top 2 kept.
  const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
  names.forEach((name, i) => {
    for (let k = 0; k < 5 - i; k++) sockets.push(conn('10.0.0.1', 1000 + i * 10 + k, '10.9.9.9', 80, { holders: [{ pid: 100 + i, fd: 3 + k, name }] }));
  });
  // Listeners: 4, queues 0, 0, 5 (backlog 10) and 7 (backlog 7, full); top 1 kept: the full one first.
  sockets.push(sock({ localPort: 7001, backlog: 100, holders: [{ pid: 1, fd: 3, name: 'a' }] }));
  sockets.push(sock({ localPort: 7002, backlog: 100, holders: [{ pid: 2, fd: 3, name: 'b' }] }));
  sockets.push(sock({ localPort: 7003, recvQ: 5, backlog: 10, holders: [{ pid: 3, fd: 3, name: 'c' }] }));
  sockets.push(sock({ localPort: 7004, recvQ: 7, backlog: 7, holders: [{ pid: 4, fd: 3, name: 'd' }] }));
  // Destinations: 3 to db:5432, 2 to cache:6379, 1 each to three others; top 1 kept.
  const dest = [['10.0.0.5', 5432, 3], ['10.0.0.6', 6379, 2], ['10.0.0.7', 80, 1], ['10.0.0.8', 80, 1], ['10.0.0.9', 80, 1]] as const;
  let port = 40000;
  for (const [addr, rport, n] of dest) for (let k = 0; k < n; k++) sockets.push(conn('10.0.0.1', port++, addr, rport, { holders: [] , unheldReason: 'kernel', state: 'TIME_WAIT' }));
  const limits: ExporterLimits = { topProcesses: 2, topListeners: 1, topDestinations: 1 };
  const f = buildSeries(input(sockets), limits);

  assert.deepEqual(lines(f, 'sockscope_process_sockets'), [
    'process=(none),state=TIME_WAIT 8',
    'process=alpha,state=ESTABLISHED 5',
    'process=bravo,state=ESTABLISHED 4',
    // charlie 3 + delta 2 + echo 1, and the listeners' a b c d (1 each)
    'process=other,state=ESTABLISHED 6',
    'process=other,state=LISTEN 4',
  ]);
  assert.deepEqual(lines(f, 'sockscope_listener_accept_queue'), [
    'protocol=tcp,port=7004,bind_scope=loopback,process=d 7',
    'protocol=tcp,port=other,bind_scope=other,process=other 5',
  ], 'the full listener is kept; `other` shows the fullest of the folded ones');
  assert.deepEqual(lines(f, 'sockscope_listener_backlog'), [
    'protocol=tcp,port=7004,bind_scope=loopback,process=d 7',
    'protocol=tcp,port=other,bind_scope=other,process=other 10',
  ]);
  assert.deepEqual(lines(f, 'sockscope_ephemeral_ports_used'), [
    'local_address=10.0.0.1,remote_address=10.0.0.5,remote_port=5432 3',
    'local_address=other,remote_address=other,remote_port=other 5',
  ]);
  assert.equal(value(f, 'sockscope_series_folded', { metric: 'sockscope_process_sockets' }), 3 + 4, 'charlie delta echo a b c d');
  assert.equal(value(f, 'sockscope_series_folded', { metric: 'sockscope_listener_accept_queue' }), 3);
  assert.equal(value(f, 'sockscope_series_folded', { metric: 'sockscope_listener_backlog' }), 3);
  assert.equal(value(f, 'sockscope_series_folded', { metric: 'sockscope_ephemeral_ports_used' }), 4);

  // A cut of 0 folds everything: still bounded, still honest.
  const z = buildSeries(input(sockets), { topProcesses: 0, topListeners: 0, topDestinations: 0 });
  assert.deepEqual(lines(z, 'sockscope_listener_accept_queue'), ['protocol=tcp,port=other,bind_scope=other,process=other 7']);
  assert.deepEqual(lines(z, 'sockscope_ephemeral_ports_used'), ['local_address=other,remote_address=other,remote_port=other 8']);
});

const HOSTILE_NAMES = [
  '\x1b[2J\x1b]0;PWNED\x07', 'a\nsockscope_up 1', 'x"} 1\nfake{a="', '\u202eevil\u202c', 'bad\udc80\udcffbytes',
  'lone\ud800', 'zero\u200bwidth', 'back\\slash', 'other', '(none)', '(unknown)', '服务器', '',
];

test('hostile process names: escaped by safeText, valid UTF-8, never a bucket, never a forged line', async () => {
  const sockets = HOSTILE_NAMES.map((name, i) => sock({ localPort: 6000 + i, holders: [{ pid: 1000 + i, fd: 3, name }] }));
  sockets.push(sock({ localPort: 6999, holders: [{ pid: 2000, fd: 3 }] })); // a name that could not be read
  const f = buildSeries(input(sockets));
  const procs = f.find((x) => x.name === 'sockscope_process_sockets')!.series.map((s) => s.labels['process']!);
  const listenerProcs = f.find((x) => x.name === 'sockscope_listener_accept_queue')!.series.map((s) => s.labels['process']!);
  for (const v of [...procs, ...listenerProcs]) {
    assert.doesNotMatch(v, RAW_CONTROL, `no control character in ${JSON.stringify(v)}`);
    assert.doesNotMatch(v, /\n/, JSON.stringify(v));
    assert.ok(Buffer.from(v, 'utf8').toString('utf8') === v, `valid UTF-8 (no lone surrogate): ${JSON.stringify(v)}`);
  }
  assert.ok(procs.includes('\\x1b[2J\\x1b]0;PWNED\\x07'), procs.join(' | '));
  assert.ok(procs.includes('bad\\x80\\xffbytes'), 'undecodable bytes as \\xNN');
  assert.ok(procs.includes('\\u{202e}evil\\u{202c}'), 'bidi controls visible');
  assert.ok(procs.includes('服务器'), 'real text unchanged');
  assert.ok(procs.includes('other (process name)') && procs.includes('(none) (process name)') && procs.includes('(unknown) (process name)'),
    `a process named like a bucket is told apart: ${procs.join(' | ')}`);
  assert.ok(!procs.includes('other') && !procs.includes('(none)'), 'no bucket here: nothing was folded, every socket is held');
  assert.ok(procs.includes('(unknown)'), 'a holder whose name was unreadable');
  assert.equal(processLabel('other'), 'other (process name)');
  assert.ok(procs.includes('(empty process name)'), 'an empty name is not an empty label (Prometheus drops those)');
  assert.ok(!procs.includes(''));

  // Through prom-client: exactly one line per series, whatever the names hold.
  const reg = new MetricsRegistry((n) => `help of ${n}`);
  reg.update(f);
  const text = await reg.render();
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(samples.length, seriesCount(f), 'no forged or broken line');
  for (const l of samples) assert.match(l, /^sockscope_[a-z_]+(\{([a-z_]+="([^"\\\n]|\\["\\n])*",?)*\})? -?[0-9.e+-]+$/, l);
  assert.ok(!samples.some((l) => l.startsWith('sockscope_up') || l.startsWith('fake')));
});

/**
 * 100,000 sockets with 100,000 distinct ports and peers and thousands of
 * process names: the worst a machine could throw at the labels.
 */
function hugeScene(): Socket[] {
  const sockets: Socket[] = [];
  const NAMES = 5000;
  for (let i = 0; i < 100_000; i++) {
    const name = `proc-${i % NAMES}`;
    const holders = [{ pid: 10_000 + (i % NAMES), fd: 3 + i, name }];
    const peer = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    if (i % 5 === 0) {
      // 20,000 listeners on distinct ports (and addresses), some with queues
      sockets.push(sock({ localAddress: i % 10 === 0 ? '0.0.0.0' : peer, localPort: 1 + (i % 65535), recvQ: i % 7, backlog: 5, holders }));
    } else {
      const state = (['ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'SYN_SENT'] as const)[i % 4]!;
      sockets.push(conn('192.168.0.1', 32768 + (i % 28000), peer, 1024 + (i % 60000),
        { state, protocol: i % 3 === 0 ? 'udp' : 'tcp', holders: state === 'TIME_WAIT' ? [] : holders }));
    }
  }
  return sockets;
}

test('cardinality: 100,000 sockets, 100,000 peers, 5,000 process names stay within the documented bound', async () => {
  const sockets = hugeScene();
  const findings = Array.from({ length: 5000 }, (_, i) => finding(i % 2 ? 'close-wait' : 'exposed', i % 3 ? 'warning' : 'info'));
  for (const limits of [DEFAULT_LIMITS, { topProcesses: 5, topListeners: 7, topDestinations: 3 }, { topProcesses: 500, topListeners: 2000, topDestinations: 100 }]) {
    const t0 = performance.now();
    const f = buildSeries(input(sockets, { findings }), limits);
    const ms = performance.now() - t0;
    const n = seriesCount(f);
    const bound = worstCaseSeries(limits);
    assert.ok(n <= bound, `${n} series over the bound ${bound} at ${JSON.stringify(limits)}`);
    // The scene does hit every cut (otherwise the bound proves nothing).
    for (const s of f.find((x) => x.name === 'sockscope_series_folded')!.series) assert.ok(s.value > 0, `cut applied: ${s.labels['metric']}`);
    const listeners = f.find((x) => x.name === 'sockscope_listener_accept_queue')!.series.length;
    assert.equal(listeners, limits.topListeners + 1, 'top L listeners and `other`');
    assert.equal(f.find((x) => x.name === 'sockscope_ephemeral_ports_used')!.series.length, limits.topDestinations + 1);
    const names = new Set(f.find((x) => x.name === 'sockscope_process_sockets')!.series.map((s) => s.labels['process']));
    assert.equal(names.size, limits.topProcesses + 2, 'top P names, `(none)` and `other`');
    console.log(`# 100k scene at ${JSON.stringify(limits)}: ${n} series (bound ${bound}), built in ${ms.toFixed(0)} ms`);
    if (limits === DEFAULT_LIMITS) {
      assert.equal(bound, 1108, 'the number docs/metrics.md gives');
      // And through prom-client, as a scrape would write it.
      const reg = new MetricsRegistry((x) => x);
      reg.update(f);
      const r0 = performance.now();
      const text = await reg.render();
      const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      assert.equal(lines, n);
      console.log(`# rendered ${lines} series, ${text.length} bytes, in ${(performance.now() - r0).toFixed(0)} ms`);
    }
  }
});

test('the bound formula: 2L + 12P + D + 98', () => {
  for (const l of [DEFAULT_LIMITS, { topProcesses: 0, topListeners: 0, topDestinations: 0 }, { topProcesses: 7, topListeners: 3, topDestinations: 11 }]) {
    assert.equal(worstCaseSeries(l), 2 * l.topListeners + 12 * l.topProcesses + l.topDestinations + 98);
  }
});

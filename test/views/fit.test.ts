// Issue 9 §10: at 80 columns every table fits, and nothing that carries a
// number or a process is cut: the table gives up words, spacing and service
// names first, then breaks the holder list over lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from '../../src/views/table.js';
import { renderOverview, summarize, totalsLine } from '../../src/views/overview.js';
import { COLUMNS, holderText } from '../../src/views/columns.js';
import { displayWidth, memorySink } from '../../src/views/sink.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Socket } from '../../src/model/socket.js';
import type { Lang } from '../../src/explain/i18n.js';
import { formatEndpoint } from '../../src/model/socket.js';

const sock = (over: Partial<Socket>): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '192.168.100.23', localPort: 40000, remoteAddress: '140.82.112.3', remotePort: 443,
  state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [{ pid: 12700, fd: 3, name: 'python3' }], ...over,
});

/** A machine as a new user meets it: listeners, a forked server, many clients, an IPv6 peer, big queues, TIME_WAIT. */
function scene(): Socket[] {
  const out: Socket[] = [
    sock({ localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', backlog: 511, recvQ: 813,
      holders: [{ pid: 1201, fd: 6, name: 'nginx' }, { pid: 1202, fd: 6, name: 'nginx' }, { pid: 1203, fd: 6, name: 'nginx' }] }),
    sock({ family: 'ipv6', localAddress: '::', localPort: 80, remoteAddress: '::', remotePort: 0, state: 'LISTEN', backlog: 511, holders: [{ pid: 1201, fd: 7, name: 'nginx' }] }),
    sock({ localAddress: '127.0.0.53', localPort: 53, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', backlog: 4096, holders: [{ pid: 612, fd: 14, name: 'systemd-resolve' }] }),
    sock({ protocol: 'udp', localAddress: '127.0.0.53', localPort: 53, remoteAddress: '0.0.0.0', remotePort: 0, state: 'UNCONN', holders: [{ pid: 612, fd: 13, name: 'systemd-resolve' }] }),
    sock({ localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '0.0.0.0', remotePort: 0, state: 'CLOSE', holders: [{ pid: 4194303, fd: 1023, name: 'bound-only-srv' }] }),
    sock({ family: 'ipv6', localAddress: '2a01:4f8:c17:a1b2::1', localPort: 51234, remoteAddress: '2606:4700::6810:84e5', remotePort: 443, recvQ: 4294967, sendQ: 2147483 }),
    sock({ localPort: 80, remotePort: 50001, inode: 0, holders: [], unheldReason: 'not-accepted' }),
  ];
  for (let i = 0; i < 30; i++) {
    out.push(sock({ localPort: 41000 + i, remoteAddress: `10.1.${i}.200`, remotePort: [443, 5432, 6379, 3306][i % 4]!, sendQ: i * 97,
      state: i % 7 === 0 ? 'CLOSE_WAIT' : 'ESTABLISHED', holders: [{ pid: 12700 + (i % 3), fd: 10 + i, name: ['python3', 'node', 'postgres'][i % 3] }] }));
    out.push(sock({ localPort: 80, remoteAddress: `172.16.0.${i}`, remotePort: 50000 + i, holders: [{ pid: 1201 + (i % 3), fd: 20 + i, name: 'nginx' }] }));
    out.push(sock({ localPort: 33000 + i, remotePort: 443, state: 'TIME_WAIT', inode: 0, holders: [], unheldReason: 'kernel' }));
  }
  return out;
}

const snap = (sockets: Socket[]): Snapshot => ({ takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] });

for (const lang of ['en', 'zh-CN'] as Lang[]) {
  test(`list at 80 columns (${lang}): every line fits, every number, pid and name whole`, async () => {
    const sockets = scene();
    const { sink, text } = memorySink();
    await renderTable(sockets, sink, { color: false, numeric: false, width: 80, lang });
    const out = text();
    const lines = out.trimEnd().split('\n');
    for (const line of lines) assert.ok(displayWidth(line) <= 80, `${displayWidth(line)} columns: ${line}`);
    assert.doesNotMatch(out, /…/, 'nothing cut');
    assert.equal(out.split(lang === 'en' ? 'PID/Program' : 'PID/程序').length, 2, `one header:\n${lines[0]}`);
    for (const s of sockets) {
      // The row: its addresses and queues whole, on one line, in order.
      const local = formatEndpoint(s.localAddress, s.localPort);
      const proto = s.family === 'ipv6' ? `${s.protocol}6 ` : `${s.protocol} `;
      const at = lines.findIndex((l) => l.startsWith(proto) && l.includes(local + ' ') && l.includes(formatEndpoint(s.remoteAddress, s.remotePort === 0 ? '*' : s.remotePort)));
      // A row too wide for the terminal goes on with its queues on the next line, at their columns.
      const row = at < 0 ? undefined : lines[at]! + (/^\s+[\d\s]+$/.test(lines[at + 1] ?? '') ? ' ' + lines[at + 1]! : '');
      assert.ok(row, `row of ${local}:\n${out}`);
      assert.match(row, new RegExp(`\\s${s.recvQ}\\s+${s.state === 'LISTEN' ? s.backlog : s.sendQ}(\\s|$)`), row);
      for (const h of s.holders) assert.ok(out.includes(holderText(h, lang)), `${holderText(h, lang)} whole`);
    }
    // The layout gave up service names (numbers are narrower than names like postgresql).
    assert.ok(!out.includes(':postgresql'), 'service names are the first thing given up');
  });

  test(`overview at 80 columns (${lang}): fits, and keeps every connection count`, async () => {
    const s = snap(scene());
    const { sink, text } = memorySink();
    await renderOverview(s, sink, { color: false, numeric: false, width: 80, lang });
    const out = text();
    for (const line of out.split('\n')) assert.ok(displayWidth(line) <= 80, `${displayWidth(line)} columns: ${line}`);
    assert.doesNotMatch(out, /…/, 'nothing cut');
    const flat = out.replace(/\s+/g, ' ');
    const o = summarize(s);
    for (const g of o.listeners) {
      for (const [, n] of Object.entries(g.connections)) assert.match(flat, new RegExp(`\\b${n} (个 )?(ESTABLISHED|ESTAB|CLOSE_WAIT|TIME_WAIT)`));
      if (g.protocol === 'tcp') assert.ok(flat.includes(`${g.queued}/${g.backlog}`), `queue ${g.queued}/${g.backlog}`);
    }
    assert.ok(flat.includes('813/511'), 'the accept queue of port 80, whole');
    assert.match(flat, /bound-only-srv 4194303 tcp 5000/, 'the bound socket in its own section, with its pid');
  });
}

test('pid table at 80 columns: FD and Shared with fit, nothing cut', async () => {
  const sockets = scene().filter((s) => s.holders.some((h) => h.pid === 1201));
  const fd = { ...COLUMNS[0]!, id: 'fd', header: 'view.col.fd' as const, align: 'right' as const, text: (s: Socket) => s.holders.filter((h) => h.pid === 1201).map((h) => h.fd).join(',') };
  const shared = { ...COLUMNS[COLUMNS.length - 1]!, id: 'shared', header: 'view.col.shared' as const,
    text: (s: Socket) => s.holders.filter((h) => h.pid !== 1201).map((h) => holderText(h, 'en')).join(', '),
    parts: (s: Socket) => s.holders.filter((h) => h.pid !== 1201).map((h) => holderText(h, 'en')) };
  const { sink, text } = memorySink();
  await renderTable(sockets, sink, { color: false, numeric: false, width: 80, lang: 'en' }, [fd, ...COLUMNS.slice(0, -1), shared]);
  const out = text();
  for (const line of out.split('\n')) assert.ok(displayWidth(line) <= 80, line);
  assert.doesNotMatch(out, /…/);
  assert.ok(out.includes('1202/nginx fd 6') && out.includes('1203/nginx fd 6'), out);
});

test('a pipe gets one line per row, nothing fitted; --wide on a terminal the same', async () => {
  const sockets = scene();
  for (const o of [{ width: undefined }, { width: 80, wide: true }]) {
    const { sink, text } = memorySink();
    await renderTable(sockets, sink, { color: false, numeric: false, lang: 'en', ...o });
    const lines = text().trimEnd().split('\n');
    assert.equal(lines.length, sockets.length + 1);
    assert.match(lines[0]!, /^Proto\s+Local Address\s+Foreign Address\s+State\s+Recv-Q\s+Send-Q\s+PID\/Program$/);
    assert.ok(lines.some((l) => l.includes('ESTABLISHED')), 'full state names');
  }
});

test('the Chinese totals line uses Chinese punctuation only', () => {
  const s = snap(scene());
  const zh = totalsLine(summarize(s), s, 'zh-CN');
  assert.match(zh, /；\d+ 个 ESTABLISHED、\d+ 个 TIME_WAIT/, zh);
  // No ASCII punctuation between Chinese words (state names and the source are data).
  assert.doesNotMatch(zh.replace(/[A-Z_]+|netlink/g, ''), /[;,:()]/, zh);
  const en = totalsLine(summarize(s), s, 'en');
  assert.match(en, /^Total: \d+ sockets — listening 3 TCP, 1 UDP; \d+ ESTABLISHED, \d+ TIME_WAIT/, en);
});

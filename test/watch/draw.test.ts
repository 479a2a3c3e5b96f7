// The live view's drawing, from the state alone: hostile names never reach the
// screen as control, narrow widths give up what matters least (never a queue,
// a port or a pid), the detail pane and long messages wrap, the header counts
// what the filter shows, and the Processes view keeps accept queues apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lang } from '../../src/explain/i18n.js';
import type { Socket } from '../../src/model/socket.js';
import { draw, fitList, wrap } from '../../src/views/tui/draw.js';
import { handleKey } from '../../src/views/tui/keys.js';
import { parseFilterText } from '../../src/views/tui/filter-text.js';
import { msg } from '../../src/explain/i18n.js';
import { applySnapshot, initialState, processRows, settleSelection, visibleSockets, type TuiState, type ViewName } from '../../src/views/tui/state.js';

const HOSTILE = 'x\x1b[2J\x1b]0;PWNED\x07\x1b]52;c;QUFB\x07\n\r\t\x7f\x9b\u202e\u2066y';

function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 40123, remoteAddress: '127.0.0.1', remotePort: 8080,
    state: 'ESTABLISHED', recvQ: 813, sendQ: 123456, inode: 5, uid: 0,
    holders: [{ pid: 1234567, fd: 12, name: HOSTILE, user: HOSTILE, command: `${HOSTILE} --serve ${HOSTILE}` }], ...over,
  };
}

const SCENE: Socket[] = [
  sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, localPort: 8080, recvQ: 3, sendQ: 0, backlog: 128, inode: 1,
    holders: [{ pid: 100, fd: 3, name: 'srv' }, { pid: 101, fd: 3, name: 'srv' }, { pid: 102, fd: 3, name: HOSTILE }] }),
  sock({ inode: 2 }),
  sock({ family: 'ipv6', localAddress: '2001:db8:1234:5678:9abc:def0:1234:5678', remoteAddress: '2001:db8:1234:5678:9abc:def0:1234:9999',
    localPort: 65535, remotePort: 65534, state: 'CLOSE_WAIT', inode: 3, recvQ: 987654321, sendQ: 4294967295 }),
  sock({ state: 'TIME_WAIT', holders: [], inode: 0, unheldReason: 'kernel', remotePort: 40000, recvQ: 0, sendQ: 0 }),
  sock({ protocol: 'udp', state: 'UNCONN', remoteAddress: '0.0.0.0', remotePort: 0, localPort: 5353, recvQ: 2048, sendQ: 0, inode: 6 }),
];

const WHY = 'This connection is established: both sides can send. Data waits in the receive queue because the program has not read it yet; ' +
  'the peer is a local process on this machine, so nothing left the host.';

function state(sockets = SCENE): TuiState {
  const st = initialState();
  applySnapshot(st, { takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] }, undefined, 0, { wallMs: 12, cpuMs: 9 });
  settleSelection(st);
  return st;
}

function screen(st: TuiState, width: number, height: number, lang: Lang = 'en', color = false): string[] {
  return draw(st, { width, height, now: 1, lang, color, numeric: true, explain: () => WHY });
}

const VIEWS: ViewName[] = ['sockets', 'processes', 'listeners'];

/** Put the cursor on the socket with this inode (sockets view). */
function selectInode(st: TuiState, inode: number): void {
  st.selected.sockets = visibleSockets(st).findIndex((s) => s.inode === inode);
  st.selectedKey = undefined;
  settleSelection(st);
}

test('no control character from a name, user or command line reaches the screen, in any view, pane or prompt', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    for (const [w, h] of [[160, 40], [80, 12]] as const) {
      for (const view of VIEWS) {
        for (const detail of [false, true]) {
          const st = state();
          st.view = view;
          st.detail = detail;
          settleSelection(st);
          for (const l of screen(st, w, h, lang)) {
            assert.doesNotMatch(l, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, `${lang} ${w}x${h} ${view} detail=${detail}: ${JSON.stringify(l)}`);
          }
        }
      }
    }
  }
  // The `k` question and the chooser (three holders, one hostile).
  const st = state();
  selectInode(st, 1);
  const ctx = { now: 1, t: (k: Parameters<typeof msg>[1], p?: Record<string, string | number>) => msg('en', k, p), startTicksOf: () => 1, alone: true };
  handleKey(st, { char: 'k' }, ctx);
  assert.equal(st.mode.kind, 'choose');
  const chooser = screen(st, 80, 12);
  assert.ok(chooser.some((l) => l.includes('102/x\\x1b[2J')), chooser.join('\n'));
  handleKey(st, { char: '3' }, ctx);
  const ask = screen(st, 160, 20);
  assert.ok(ask.some((l) => l.includes('Terminate process 102 (x\\x1b[2J')), ask.join('\n'));
  for (const l of [...chooser, ...ask]) assert.doesNotMatch(l, /[\x00-\x1f\x7f-\x9f\u202e\u2066]/);
});

test('at 80 columns and less every queue, port and pid stays whole; what gives way is marked', () => {
  for (const w of [160, 100, 80, 72]) {
    const st = state();
    const lines = screen(st, w, 12);
    for (const l of lines) assert.ok([...l].length <= w, `${w}: ${l}`);
    const body = lines.slice(3, 8).join('\n');
    for (const s of SCENE) {
      assert.match(body, new RegExp(`\\s${s.recvQ}\\s`), `${w}: Recv-Q ${s.recvQ}\n${body}`);
      assert.match(body, new RegExp(`\\s${s.backlog ?? s.sendQ}\\s`), `${w}: Send-Q ${s.backlog ?? s.sendQ}\n${body}`);
      assert.ok(body.includes(`:${s.localPort}`), `${w}: local port ${s.localPort}`);
    }
    assert.match(body, /\s1234567\//, `${w}: the pid`);
    assert.match(body, /\s100\/srv/, `${w}: the listener's first holder`);
    // A number never loses its end: a token of digits cut with "…" (as "81…") never appears;
    // an address gives up its middle only, the port after "…" whole (as "127.…:8080").
    assert.doesNotMatch(body, /(^|\s)[\d.,:/[\]]*\d…(\s|$)/m, `${w}: no number cut\n${body}`);
    for (const m of body.matchAll(/\S*…\S*/g)) if (/^[\d.[]/.test(m[0]) && !m[0].includes('/')) assert.match(m[0], /…[^:]*:\d+$/, `${w}: ${m[0]} keeps its port`);
    assert.match(lines[2]!, w >= 80 ? /Recv-Q\s+Send-Q\s+PID\/Program/ : /Recv-Q\s+Send-Q\s+PID\//, `${w}: headers whole`);
  }
});

test('the Processes view keeps accept queues (connections) apart from Recv-Q/Send-Q (bytes)', () => {
  const st = state();
  const rows = processRows(st);
  const srv = rows.find((r) => r.pid === 100)!;
  assert.equal(srv.acceptQ, 3, 'the listener\'s queued connections');
  assert.equal(srv.recvQ, 0, 'not added to bytes');
  const big = rows.find((r) => r.pid === 1234567)!;
  assert.equal(big.recvQ, 813 + 987654321 + 2048);
  assert.equal(big.acceptQ, 0);
  st.view = 'processes';
  const lines = screen(st, 120, 12);
  assert.match(lines[2]!, /Recv-Q\s+Send-Q\s+Accept-Q/);
  assert.match(lines.find((l) => /^\s+100\s/.test(l))!, /\s0\s+0\s+3\s+tcp\/8080/);
});

test('the header counts what the filter lets through', () => {
  const st = state();
  let head = screen(st, 160, 12).slice(0, 2).join('\n');
  assert.match(head, /5 sockets/);
  assert.match(head, /ESTABLISHED 1/);
  st.text = parseFilterText('port:8080');
  st.visibleValid = false;
  head = screen(st, 160, 12).slice(0, 2).join('\n');
  assert.match(head, /2 of 5 sockets/);
  assert.match(head, /LISTEN 1\s+ESTABLISHED 1\s/);
  assert.doesNotMatch(head, /CLOSE_WAIT|UNCONN|TIME_WAIT/);
  st.toggles.udp = true;
  st.visibleValid = false;
  head = screen(st, 160, 12).slice(0, 2).join('\n');
  assert.match(head, /0 of 5 sockets/);
});

test('a long filter never pushes the state counts off the header at 80 columns', () => {
  // `watch --pid a,b,c,...` (or a long `/` filter): the filter item is cut with a mark, the counts stay whole.
  const st = state();
  st.text = parseFilterText(Array.from({ length: 12 }, (_, i) => `pid:${1234560 + i}`).join(' ') + ' port:8080');
  st.visibleValid = false;
  for (const lang of ['en', 'zh-CN'] as const) {
    const head = screen(st, 80, 12, lang).slice(0, 2);
    assert.match(head[1]!, /ESTABLISHED 1(\s|$)/, `${lang}: ${head[1]}`);
    assert.match(head[1]!, /…/, `${lang}: the cut filter is marked`);
  }
});

test('the detail pane and long messages wrap instead of being cut', () => {
  const st = state();
  st.detail = true;
  selectInode(st, 2);
  const lines = screen(st, 60, 24);
  const text = lines.join(' ').replace(/\s+/g, ' ');
  for (const word of WHY.split(' ')) assert.ok(text.includes(word), `"${word}" shown`);
  // The refusal of x on a listener: every word on screen at 80 columns.
  const st2 = state();
  selectInode(st2, 1);
  handleKey(st2, { char: 'x' }, { now: 1, t: (k, p) => msg('en', k, p), startTicksOf: () => 1 });
  const sentence = st2.status!.text;
  assert.match(sentence, /listening socket/);
  const shown = screen(st2, 80, 12).join(' ').replace(/\s+/g, ' ');
  for (const word of sentence.split(' ')) assert.ok(shown.includes(word), `"${word}" of the refusal shown`);
});

test('fitList and wrap keep whole items and every character', () => {
  assert.equal(fitList(['tcp/80', 'tcp/443', 'udp/53'], 14), 'tcp/80 +2');
  assert.equal(fitList(['tcp/80', 'tcp/443', 'udp/53'], 30), 'tcp/80 tcp/443 udp/53');
  const long = 'a'.repeat(50) + ' bb ' + '服务器'.repeat(10);
  const lines = wrap(long, 20);
  assert.equal(lines.join('').replace(/\s/g, ''), long.replace(/\s/g, ''));
});

test('the k chooser scrolls with the cursor when more processes hold the socket than fit', () => {
  const many = Array.from({ length: 30 }, (_, i) => ({ pid: 2000 + i, fd: 3, name: 'worker' }));
  const st = state([sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, localPort: 8080, inode: 1, holders: many })]);
  const ctx = { now: 1, t: (k: Parameters<typeof msg>[1], p?: Record<string, string | number>) => msg('en', k, p), startTicksOf: () => 1, alone: true };
  handleKey(st, { char: 'k' }, ctx);
  let lines = screen(st, 80, 12);
  assert.ok(lines.some((l) => l.includes('2000/worker')));
  assert.match(lines.join('\n'), /held by 30 processes/);
  handleKey(st, 'end', ctx);
  lines = screen(st, 80, 12);
  assert.ok(lines.some((l) => l.includes('all 30 processes')), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes('2029/worker')));
  assert.equal(lines.length, 12);
});

test('a question of k or x is on screen however short the terminal (a y may answer it once a frame is drawn)', () => {
  const ctx = { now: 1, t: (k: Parameters<typeof msg>[1], p?: Record<string, string | number>) => msg('en', k, p), startTicksOf: () => 1, alone: true };
  for (const key of ['k', 'x']) {
    for (const [w, h] of [[30, 4], [80, 5], [80, 3], [20, 2], [160, 1]] as const) {
      const st = state();
      selectInode(st, 2);
      handleKey(st, { char: key }, ctx);
      assert.equal(st.mode.kind, 'confirm');
      const lines = screen(st, w, h);
      assert.equal(lines.length, h, `${key} ${w}x${h}: exactly the height`);
      // The first line of the question, as wrapped at this width.
      const first = wrap(key === 'k' ? 'Terminate process 1234567' : 'Close TCP 127.0.0.1:40123', w)[0]!.trim();
      assert.ok(lines.some((l) => l.includes(first)), `${key} ${w}x${h}: the question is drawn:\n${lines.join('\n')}`);
    }
  }
});

test('the Listeners view shows its queue header whole when the terminal has room, and cut with a mark when not', () => {
  const st = state([{ ...SCENE[0]!, holders: [{ pid: 100, fd: 3, name: 'srv' }] }, { ...SCENE[4]!, holders: [{ pid: 100, fd: 4, name: 'srv' }] }]);
  st.view = 'listeners';
  const head = msg('en', 'watch.col.accept');
  const wide = screen(st, 160, 12).join('\n');
  assert.ok(wide.includes(head), wide);
  const narrow = screen(st, 60, 12).join('\n');
  assert.ok(!narrow.includes(head) && narrow.includes('Accep'), narrow);
});

test('Sockets view: NETNS and CONTAINER columns as list shows them, only when a socket lives outside the host namespace', () => {
  const host = { inode: 4026531833, host: true as const };
  const blue = { inode: 4026532301, name: 'blue' };
  const plain = screen(state(SCENE.map((s) => ({ ...s, netns: host }))), 160, 14);
  assert.ok(!plain.some((l) => /NETNS/.test(l)), plain.join('\n'));
  const mixed = [
    sock({ inode: 20, localPort: 8080, state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, netns: blue,
      holders: [{ pid: 4242, fd: 3, name: 'nginx', container: { runtime: 'podman', id: 'c468332fe2531b2f'.padEnd(64, '0'), name: 'web-1' } }] }),
    sock({ inode: 21, netns: host, holders: [{ pid: 77, fd: 4, name: 'curl', unit: 'backup.service' }] }),
  ];
  const lines = screen(state(mixed), 160, 14);
  const header = lines.find((l) => /Proto/.test(l)) ?? '';
  assert.match(header, /NETNS\s+CONTAINER\s+PID\/Program/, lines.join('\n'));
  assert.ok(lines.some((l) => /LISTEN\s+.*\bblue\s+web-1\s+4242\/nginx/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /ESTABLISHED\s+.*\bhost\s+backup\.service\s+77\/curl/.test(l)), lines.join('\n'));
});

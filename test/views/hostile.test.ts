// Issue 9 §1: names, command lines and users come from other processes and
// must never reach a terminal as control. Every view is rendered from a
// Snapshot whose holders carry hostile text; no control character, C1 control
// or bidi override may come out, while JSON and NDJSON keep the exact text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, cpSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCsv, renderJson, renderNdjson, renderTable } from '../../src/views/table.js';
import { renderOverview } from '../../src/views/overview.js';
import { COLUMNS, commandText, holderText } from '../../src/views/columns.js';
import { clip, displayWidth, memorySink, splitColumns, type RenderOptions } from '../../src/views/sink.js';
import { safeText } from '../../src/views/safe-text.js';
import { main } from '../../src/cli/main.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Holder, Socket } from '../../src/model/socket.js';
import type { Lang } from '../../src/explain/i18n.js';
import { FIXTURES } from '../helpers.js';
import { RAW_CONTROL } from '../hostile.js';


/** Names of every family: CSI erase and cursor moves, OSC title and clipboard, newline, tab, bidi, C1, lone surrogates (bytes not UTF-8), a formula. */
const HOSTILE_NAMES = [
  '\x1b[2J\x1b]0;PWNED\x07', '\x1b]52;c;ZXZpbA==\x07', '\x1b[1A\x1b[2Kforge', 'evil\nrow', 'tab\there', 'cr\rname',
  '\u202eevil\u2066x', 'ss\u200bhd\ufeff', '\x9b31m\x85c1', 'bad\udcff\udcfeutf8', '=cmd|\' /C calc\'!A0', '+SUM(A1)', '@x', '-2+3',
  '\x1bP1$r\x1b\\', '\x1b_apc\x1b\\', '\x1b^pm\x1b\\', '\x1bXsos\x1b\\', '\x1bOA', '\x00nul', '\x7fdel',
  // The longest a comm can be, every byte escaped: 60 columns.
  '\x1b'.repeat(15), '\udcff'.repeat(15),
];
const UNICODE_NAMES = ['服务器', '😀srv', 'café-srv', 'e\u0301t\u00e9'];

const BIG = '\x1b[2J' + 'A'.repeat(100_000) + '\x1b]52;c;QQ==\x07' + '服'.repeat(50_000) + '\n\x1b[1A';

function holders(): Holder[] {
  return [...HOSTILE_NAMES, ...UNICODE_NAMES].map((name, i) => ({
    pid: 1000 + i, fd: 3 + i, name, command: i === 0 ? BIG : `${name} --flag=${name}`, user: i % 2 ? name : 'root', uid: i,
  }));
}

function sockets(): Socket[] {
  const hs = holders();
  const out: Socket[] = [];
  hs.forEach((h, i) => {
    out.push({
      protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 20000 + i, remoteAddress: '0.0.0.0', remotePort: 0,
      state: 'LISTEN', recvQ: 0, sendQ: 0, backlog: 128, inode: 100 + i, uid: 0, holders: [h],
    });
    out.push({
      protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 40000 + i, remoteAddress: '127.0.0.1', remotePort: 20000 + i,
      state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 500 + i, uid: 0, holders: [h, hs[(i + 1) % hs.length]!],
    });
  });
  return out;
}

function snapshot(): Snapshot {
  return { takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets: sockets(), unreadableProcesses: 0, issues: [] };
}

function assertSafe(text: string, what: string): void {
  const m = RAW_CONTROL.exec(text);
  assert.equal(m, null, `${what}: raw ${JSON.stringify(m?.[0])} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`);
  // A lone surrogate would be written as U+FFFD: a byte we altered, not one we showed.
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text), `${what}: lone surrogate`);
}

const OPTS: RenderOptions[] = [];
for (const lang of ['en', 'zh-CN'] as Lang[]) {
  for (const width of [undefined, 80, 40]) OPTS.push({ color: false, numeric: false, width, lang });
  OPTS.push({ color: false, numeric: true, width: 80, wide: true, lang });
}

test('table and overview: every hostile name shown escaped, none raw, in every width and language', async () => {
  const snap = snapshot();
  for (const o of OPTS) {
    const what = `${o.lang} width ${o.width}${o.wide ? ' wide' : ''}`;
    const t = memorySink();
    await renderTable(snap.sockets, t.sink, o);
    const table = t.text();
    assertSafe(table, `table ${what}`);
    // Escaped, and whole: "pid/name fd N" of every holder is there (never cut).
    // (On a terminal too narrow for it, a holder goes on over indented lines: join them back.)
    const joined = table.replace(/\n {4}/g, '');
    for (const h of holders()) assert.ok(joined.includes(`${h.pid}/${safeText(h.name!)} fd ${h.fd}`), `${what}: ${JSON.stringify(h.name)} as ${safeText(h.name!)}`);
    assert.doesNotMatch(table, /…/, `${what}: nothing cut`);
    const v = memorySink();
    await renderOverview(snap, v.sink, o);
    const overview = v.text();
    assertSafe(overview, `overview ${what}`);
    if (o.width === 80 && !o.wide) {
      for (const line of [...table.split('\n'), ...overview.split('\n')]) assert.ok(displayWidth(line) <= 80, `${what}: ${line}`);
    }
    for (const h of holders()) assert.ok(overview.includes(safeText(h.name!)), `overview ${what}: ${JSON.stringify(h.name)}`);
    // A newline in a name never forges a row: one line per row and header.
    if (o.width === undefined) assert.equal(table.trimEnd().split('\n').length, snap.sockets.length + 1, 'one line per row');
  }
});

test('every column of the table, and the holder text the live view uses, are safe on their own', () => {
  for (const s of sockets()) {
    for (const c of COLUMNS) assertSafe(c.text(s, { numeric: false, lang: 'en' }), `column ${c.id}`);
    for (const h of s.holders) assertSafe(holderText(h, 'zh-CN'), 'holderText');
  }
});

test('JSON and NDJSON keep the exact text; CSV neutralises formulas and escapes controls', async () => {
  const snap = snapshot();
  const j = memorySink();
  await renderJson(snap.sockets, j.sink);
  const json = JSON.parse(j.text()) as Socket[];
  const n = memorySink();
  await renderNdjson(snap.sockets, n.sink);
  const nd = n.text().trim().split('\n').map((l) => JSON.parse(l) as Socket);
  for (const list of [json, nd]) {
    assert.equal(list.length, snap.sockets.length);
    list.forEach((s, i) => assert.deepEqual(s.holders, snap.sockets[i]!.holders));
  }
  // The JSON text itself holds no raw control (JSON escapes it): not even what JSON.stringify
  // leaves raw (DEL, C1 such as U+009B CSI, bidi overrides, U+2028): `list --json` on a terminal.
  for (const text of [j.text(), n.text()]) assertSafe(text, 'JSON text');
  const c = memorySink();
  await renderCsv(snap.sockets, c.sink);
  const csv = c.text();
  assertSafe(csv, 'csv');
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines.length, snap.sockets.length + 1, 'a newline in a name never forges a CSV row');
  for (const line of lines.slice(1)) {
    // programs and users are the 15th and 16th fields; a quoted field may hold commas.
    const fields = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    for (const f of [fields[14]!, fields[15]!]) assert.ok(!/^[=+\-@\t\r]/.test(f), `formula neutralised: ${f}`);
  }
  assert.ok(csv.includes(`'=cmd|' /C calc'!A0`), csv.slice(0, 400));
});

test('CSV: every holder of a shared socket is neutralised, not only the first (a ;-separated spreadsheet splits them)', async () => {
  const s: Socket = {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN',
    recvQ: 0, sendQ: 0, backlog: 1, inode: 1, uid: 0,
    holders: [{ pid: 1, fd: 3, name: 'nginx', user: 'root' }, { pid: 2, fd: 3, name: '=HYPERLINK("http://x")', user: '@evil' },
      { pid: 3, fd: 3, name: 'a;=1+1', user: 'b;-2' }],
  };
  const c = memorySink();
  await renderCsv([s], c.sink);
  const row = c.text().trim().split('\n')[1]!;
  // Split as a spreadsheet in a locale whose list separator is ';' would (quotes still group).
  const cells = row.match(/("([^"]|"")*"|[^;,]*)([;,]|$)/g)!.map((f) => f.replace(/[;,]$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
  for (const cell of cells) assert.ok(!/^[=+\-@\t\r]/.test(cell), `a cell begins with a formula: ${cell} in ${row}`);
  assert.ok(row.includes(`'=HYPERLINK`) && row.includes(`'@evil`), row);
});

test('a name cannot forge a second holder in the PID/Program cell (table, events, live view)', async () => {
  // comm is 15 bytes: enough for "x fd 3, 1/sshd", which would read as pid 1 (sshd) holding the socket.
  const forged: Socket = {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 22, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN',
    recvQ: 0, sendQ: 0, backlog: 128, inode: 9, uid: 0, holders: [{ pid: 4242, fd: 3, name: 'x fd 3, 1/sshd' }],
  };
  const holderLike = /(^|, )\d+\/\S/g;
  const t = memorySink();
  await renderTable([forged], t.sink, { color: false, numeric: true, width: undefined, lang: 'en' });
  const cell = t.text().trim().split('\n')[1]!.replace(/^.*LISTEN\s+\d+\s+\d+\s+/, '');
  assert.equal(cell.match(holderLike)?.length, 1, `one holder in: ${cell}`);
  assert.ok(cell.startsWith('4242/x fd 3\\x2c 1/sshd fd 3'), cell);
  const { eventLine } = await import('../../src/views/tui/events.js');
  const ev = eventLine({ kind: 'opened', socket: forged }, 0, { lang: 'en', numeric: true, color: false });
  assert.equal(ev.match(/(, | {2})\d+\/\S/g)?.length, 1, ev);
  const { draw } = await import('../../src/views/tui/draw.js');
  const { applySnapshot, initialState, settleSelection } = await import('../../src/views/tui/state.js');
  const st = initialState();
  applySnapshot(st, { takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets: [forged], unreadableProcesses: 0, issues: [] }, undefined, 0, { wallMs: 1, cpuMs: 1 });
  settleSelection(st);
  const row = draw(st, { width: 160, height: 12, now: 1, lang: 'en', color: false, numeric: true, explain: () => '' }).find((l) => l.includes('LISTEN') && l.includes('4242'))!;
  assert.ok(row.includes('4242/x fd 3\\x2c 1/sshd'), row);
});

test('clip and displayWidth: columns, not code units; never split an escape or a pair', () => {
  assert.equal(displayWidth('服务器'), 6);
  assert.equal(displayWidth('😀'), 2);
  assert.equal(displayWidth('e\u0301'), 1, 'a combining mark takes no column');
  assert.equal(displayWidth('abc'), 3);
  assert.equal(clip('服务器服务器', 5), '服务…');
  assert.equal(clip('ab😀cd', 4), 'ab…');
  assert.equal(clip('abe\u0301fgh', 4), 'abe\u0301…', 'the mark stays with its letter');
  const escaped = safeText('ab\x1b[2J\u202e\udcff');
  for (let w = 1; w <= displayWidth(escaped); w++) {
    const c = clip(escaped, w);
    assert.ok(displayWidth(c) <= w, `${c} fits ${w}`);
    const body = c.endsWith('…') ? c.slice(0, -1) : c;
    // Whatever is kept is a prefix made of whole escapes: it ends before a backslash or after a complete one.
    assert.match(body, /^(?:[^\\]|\\x[0-9a-f]{2}|\\u\{[0-9a-f]+\}|\\[\\tnr])*$/, `${escaped} cut at ${w}: ${c}`);
  }
  assert.equal(clip('a😀', 2), 'a…');
  // Broken over lines instead of cut: pieces fit, join back to the whole, escapes and pairs whole.
  for (const w of [1, 2, 3, 5, 8]) {
    const pieces = splitColumns(escaped + '服😀e\u0301', w);
    assert.equal(pieces.join(''), escaped + '服😀e\u0301');
    for (const p of pieces) {
      // A piece fits, or is one escape wider than the room (never split).
      assert.ok(displayWidth(p) <= w || /^(?:\\x[0-9a-f]{2}|\\u\{[0-9a-f]+\}|.)$/u.test(p), `${p} in ${w}`);
      assert.match(p, /^(?:[^\\]|\\x[0-9a-f]{2}|\\u\{[0-9a-f]+\}|\\[\\tnr])*$/u, p);
      assert.ok(!/^[\udc00-\udfff\u0301]/.test(p), `a piece never starts inside a pair or with a mark: ${JSON.stringify(p)}`);
    }
  }
  assert.ok(!/[\ud800-\udbff]…/.test(clip('😀😀😀', 3)));
});

test('a 170 KB command line: cut to the width with a marker on a terminal, whole on a pipe, quickly', () => {
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) commandText(BIG, 70);
  const ms = performance.now() - t0;
  const cut = commandText(BIG, 70);
  assert.ok(displayWidth(cut) <= 70 && cut.endsWith('…'), cut);
  assertSafe(cut, 'cut command');
  assert.ok(ms < 500, `1000 cuts of a ${BIG.length}-character command line took ${ms.toFixed(0)} ms`);
  const whole = commandText(BIG, undefined);
  assert.equal(whole, safeText(BIG));
  assertSafe(whole, 'whole command');
  // A head that fits but is not the whole line still says it was cut.
  assert.ok(commandText('e\u0301'.repeat(1000) + 'tail', 10).endsWith('…'));
});

/** A copy of a recorded /proc tree whose processes have hostile names, command lines and users. */
function hostileTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-hostile-'));
  cpSync(join(FIXTURES, 'proc', 'dualstack-udp'), dir, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(dir, '4242', 'comm'), Buffer.from('\x1b[2J\x1b]0;PWN\x07\n', 'latin1'));
  writeFileSync(join(dir, '4242', 'cmdline'), Buffer.concat([Buffer.from('\x1b]52;c;ZXZpbA==\x07\0--x=\n\x1b[1A\x1b[2K\0', 'latin1'),
    Buffer.from('\u202eevil\u2066 =cmd|calc\0', 'utf8'), Buffer.from([0xff, 0xfe, 0x9b, 0]), Buffer.from('B'.repeat(200_000) + '\0')]));
  writeFileSync(join(dir, '4243', 'comm'), Buffer.from('evil\tn\u202ex\n', 'utf8'));
  writeFileSync(join(dir, '4243', 'cmdline'), Buffer.from('服务器\0😀\0\x1b[31mred\0', 'utf8'));
  writeFileSync(join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\n\x1b]0;user\x07:x:1000:1000::/home/a:/bin/sh\n');
  return dir;
}

async function cli(args: string[], tty: { isTTY: boolean; columns?: number }, tree: string): Promise<{ code: number; out: string; err: string }> {
  const { sink, text } = memorySink();
  const err: string[] = [];
  // The passwd path is read from the process environment by the library.
  const before = process.env['SOCKSCOPE_PASSWD'];
  process.env['SOCKSCOPE_PASSWD'] = join(tree, 'passwd');
  try {
    const code = await main(['--proc-root', tree, ...args], { stdout: sink, stderr: (l) => err.push(l) }, { ...process.env, NO_COLOR: '1' }, tty);
    return { code, out: text(), err: err.join('\n') };
  } finally {
    if (before === undefined) delete process.env['SOCKSCOPE_PASSWD'];
    else process.env['SOCKSCOPE_PASSWD'] = before;
  }
}

test('every command on a recorded tree with hostile names: no raw control on a terminal (80 columns) or a pipe', async (t) => {
  const tree = hostileTree();
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  const commands = [[], ['list'], ['list', '-e'], ['list', '-a', '--csv'], ['port', '19191'], ['port', '19191', '-e'], ['pid', '4242'], ['pid', '4243'],
    ['process', 'python'], ['list', '--process', 'evil'], ['process', '\x1b]0;nope\x07']];
  for (const tty of [{ isTTY: true, columns: 80 }, { isTTY: false }]) {
    for (const args of commands) {
      const r = await cli(args, tty, tree);
      const what = `${args.join(' ')} (${tty.isTTY ? 'terminal' : 'pipe'})`;
      assert.ok(r.code === 0 || r.code === 1, `${what}: exit ${r.code}: ${r.err}`);
      assertSafe(r.out, `${what} stdout`);
      assertSafe(r.err, `${what} stderr`);
      if (tty.isTTY && !args.includes('--csv')) {
        for (const line of r.out.split('\n')) assert.ok(displayWidth(line) <= 80, `${what}: ${displayWidth(line)} columns: ${line.slice(0, 120)}`);
      }
    }
  }
  // The 200 KB command line: cut on a terminal, whole on a pipe and with --wide.
  const term = await cli(['pid', '4242'], { isTTY: true, columns: 80 }, tree);
  assert.ok(term.out.length < 4000, `pid on a terminal: ${term.out.length} characters`);
  assert.match(term.out, /…/);
  const pipe = await cli(['pid', '4242'], { isTTY: false }, tree);
  assert.ok(pipe.out.includes('B'.repeat(200_000)), 'a pipe gets the whole command line');
  const wide = await cli(['pid', '4242', '-W'], { isTTY: true, columns: 80 }, tree);
  assert.ok(wide.out.includes('B'.repeat(200_000)), '--wide shows the whole command line');
  assertSafe(wide.out, 'pid --wide');
  const port = await cli(['port', '19191'], { isTTY: true, columns: 80 }, tree);
  assert.ok(port.out.length < 6000, `port on a terminal: ${port.out.length} characters`);
  // JSON keeps the text exact (here: what the collector read, escapes and all).
  const json = await cli(['list', '--json'], { isTTY: true, columns: 80 }, tree);
  const names = (JSON.parse(json.out) as Socket[]).flatMap((s) => s.holders.map((h) => h.name));
  assert.ok(names.some((n) => n?.includes('\x1b[2J\x1b]0;PWN\x07')), JSON.stringify(names));
});

test('error messages and notes that quote typed, pasted or system text escape it', async (t) => {
  const tree = hostileTree();
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  const cases = [['list', '--state', '\x1b]0;x\x07'], ['port', '\x1b[2J80'], ['list', '--sort', '\x1b]52;c;QQ==\x07'],
    ['process', 'a\nb\x1b[1A'], ['explain', '--input', join(tree, 'no\x1b[2Jsuch')], ['no\x1b]0;cmd\x07']];
  for (const args of cases) {
    const r = await cli(args, { isTTY: true, columns: 80 }, tree);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.ok(r.err.length > 0, `${JSON.stringify(args)}: says why`);
    assertSafe(r.err, `${JSON.stringify(args)} stderr`);
    assertSafe(r.out, `${JSON.stringify(args)} stdout`);
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  }
});

test('explain --input: pasted names and unreadable lines are shown escaped, cut on a terminal', async (t) => {
  const tree = hostileTree();
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  const file = join(tree, 'pasted.txt');
  writeFileSync(file, 'Active Internet connections (servers and established)\n' +
    'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n' +
    'tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      812/\x1b]0;PWN\x07sshd\n' +
    `tcp        0      0 0.0.0.0:80    junk \x1b[2J\x1b]52;c;QQ==\x07 ${'x'.repeat(5000)}\n` +
    'tcp        0      0 127.0.0.1:5432          0.0.0.0:*               LISTEN      900/\u202egres\n');
  for (const tty of [{ isTTY: true, columns: 80 }, { isTTY: false }]) {
    const r = await cli(['explain', '--input', file], tty, tree);
    assert.equal(r.code, 0, r.err);
    assertSafe(r.out, 'explain --input');
    assert.ok(r.out.includes('812/\\x1b]0;PWN\\x07sshd'), r.out);
    assert.ok(r.out.includes('900/\\u{202e}gres'), r.out);
    assert.match(r.out, tty.isTTY ? /Line 4 could not be read \(.*?\)[:：]\n {4}tcp .*junk \\x1b\[2J.*…\n/ : /Line 4 could not be read \(.*?\): tcp .*junk \\x1b\[2J\\x1b\]52;c;QQ==\\x07 x/);
    if (tty.isTTY) for (const line of r.out.split('\n')) assert.ok(displayWidth(line) <= 80, line);
    else assert.ok(r.out.includes('x'.repeat(5000)), 'a pipe gets the pasted line whole');
  }
});

test('watch --events text: every event kind shows hostile names escaped, one line per event; NDJSON keeps them exact', async () => {
  const { eventLine, eventJson } = await import('../../src/views/tui/events.js');
  const socks = sockets();
  const kinds = ['opened', 'closed', 'state-changed', 'holder-changed', 'accepted'] as const;
  let lines = 0;
  for (const [i, s] of socks.entries()) {
    const before = { ...s, state: 'SYN_RECV' as const, holders: [socks[(i + 3) % socks.length]!.holders[0]!] };
    for (const kind of kinds) {
      for (const lang of ['en', 'zh-CN'] as const) {
        const line = eventLine({ kind, socket: s, before }, 0, { lang, numeric: false, color: true });
        const plain = line.replace(/\x1b\[\d+m/g, ''); // our own colours
        assert.doesNotMatch(plain, RAW_CONTROL, `${kind}: ${JSON.stringify(plain)}`);
        assert.ok(!plain.includes('\n'), `${kind}: one line`);
        lines++;
      }
      const jsonText = eventJson({ kind, socket: s, before }, 0, new Map());
      assertSafe(jsonText, `${kind} NDJSON text`);
      const json = JSON.parse(jsonText) as { socket: Socket; previousHolders?: Holder[] };
      if (kind === 'holder-changed') assert.deepEqual(json.previousHolders, before.holders, 'NDJSON keeps the exact previous names');
      assert.deepEqual(json.socket.holders, s.holders, 'NDJSON keeps the exact names');
    }
  }
  assert.ok(lines > 100);
});

test('notes on stderr wrap to the terminal width as the tables do, and stay one line each on a pipe', async (t) => {
  const tree = hostileTree();
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  // A malformed row with a long hostile text: the note quotes it (escaped).
  const tcp = join(tree, 'net', 'tcp');
  const { readFileSync } = await import('node:fs');
  writeFileSync(tcp, readFileSync(tcp, 'latin1') + '   9: ' + 'Z\x1b[2J'.repeat(30) + '\n', 'latin1');
  const term = await cli(['list', '-n'], { isTTY: true, columns: 80 }, tree);
  const noteLines = term.err.split('\n').filter((l) => l !== '');
  assert.ok(noteLines.length >= 2, term.err);
  for (const l of noteLines) {
    assert.ok(displayWidth(l) <= 80, `${displayWidth(l)} columns: ${l}`);
    assert.doesNotMatch(l, RAW_CONTROL);
  }
  const pipe = await cli(['list', '-n'], { isTTY: false }, tree);
  const pipeNotes = pipe.err.split('\n').filter((l) => l !== '');
  assert.ok(pipeNotes.length < noteLines.length, 'on a pipe each note is one line');
  assert.ok(pipeNotes.some((l) => displayWidth(l) > 80), pipe.err);
});

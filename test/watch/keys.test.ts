// The live view's keyboard: only the user drives it. Terminal input is parsed
// as a terminal emits it (every escape family consumed whole, sequences split
// across reads, bracketed paste), and a destructive `y` counts only as a
// keystroke of its own after the question was drawn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msg, type MessageKey } from '../../src/explain/i18n.js';
import type { Socket } from '../../src/model/socket.js';
import { KeyParser, handleKey, parseKeys, type Key, type KeyContext } from '../../src/views/tui/keys.js';
import { applySnapshot, initialState, settleSelection, type Effect, type TuiState } from '../../src/views/tui/state.js';
import { ENTER, LEAVE, Screen } from '../../src/views/tui/screen.js';

/** A terminal's answer to a title query, with the title "ky": it made watch send SIGTERM. */
const INJECTED = '\x1b]lky\x1b\\';

function sock(over: Partial<Socket> = {}): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '127.0.0.1', remotePort: 40000,
    state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1000, uid: 0, holders: [{ pid: 4242, fd: 3, name: 'victim' }], ...over,
  };
}

function stateWith(sockets: Socket[]): TuiState {
  const st = initialState();
  applySnapshot(st, { takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] }, undefined, 0);
  settleSelection(st);
  return st;
}

/** The mode's kind as a plain string (assert.equal would narrow the state's type for the rest of a test). */
function modeOf(st: TuiState): string {
  return st.mode.kind;
}

function ctx(over: Partial<KeyContext> = {}): KeyContext {
  return { now: 1, t: (k: MessageKey, p?: Record<string, string | number>) => msg('en', k, p), startTicksOf: () => 777, alone: true, ...over };
}

/** Feed keys as the view does, marking a question as drawn after each read (the view draws after every read). */
function drive(st: TuiState, reads: { keys: Key[]; alone: boolean }[]): Effect[] {
  const effects: Effect[] = [];
  for (const r of reads) {
    for (const k of r.keys) {
      const e = handleKey(st, k, ctx({ alone: r.alone }));
      if (e) effects.push(e);
    }
    if (st.mode.kind === 'confirm') st.mode.shown = true;
  }
  return effects;
}

test('the injected title report ESC ] l k y ESC \\ sends no signal (the reported SIGTERM)', () => {
  // As the view fed it before: every key of the read, even told that it came alone.
  const st = stateWith([sock()]);
  const effects: Effect[] = [];
  for (const k of parseKeys(INJECTED)) {
    const e = handleKey(st, k, ctx({ alone: true }));
    if (e) effects.push(e);
    if (st.mode.kind === 'confirm') st.mode.shown = true;
  }
  assert.deepEqual(effects, [], 'no kill, no anything');
  assert.equal(modeOf(st), 'normal', 'no question opened either');
  assert.equal(st.toggles.listening, false, 'the l inside the sequence toggled nothing');
  assert.deepEqual(parseKeys(INJECTED), []);
});

test('every escape family is consumed whole and dropped unless it is a known key', () => {
  const cases: [string, string, Key[]][] = [
    ['CSI arrow', '\x1b[A', ['up']],
    ['CSI with a modifier (not ours)', '\x1b[1;5Ck', [{ char: 'k' }]],
    ['CSI private, final y (DECRPM answer)', '\x1b[?2004;1$y', []],
    ['CSI cursor report', '\x1b[12;40R', []],
    ['CSI focus in/out', '\x1b[I\x1b[O', []],
    ['CSI SGR mouse', '\x1b[<0;10;5Mk', [{ char: 'k' }]],
    ['CSI ~ keys', '\x1b[5~\x1b[6~\x1b[1~\x1b[4~\x1b[3~', ['pageup', 'pagedown', 'home', 'end']],
    ['SS3 arrow and F1', '\x1bOA\x1bOP', ['up']],
    ['OSC ended by BEL', '\x1b]0;kyx\x07', []],
    ['OSC ended by ST', '\x1b]52;c;a3k=\x1b\\', []],
    ['OSC with a CSI-looking body', '\x1b]l\x1b[Ay\x1b\\', []],
    ['DCS', '\x1bP1$r0;ky\x1b\\', []],
    ['APC', '\x1b_Gi=1;OKky\x1b\\', []],
    ['PM', '\x1b^kyx\x1b\\', []],
    ['SOS', '\x1bXkyx\x1b\\', []],
    ['8-bit CSI', '\x9bA\x9b?1;2c', ['up']],
    ['8-bit SS3', '\x8fB', ['down']],
    ['8-bit OSC ended by 8-bit ST', '\x9d0;ky\x9c', []],
    ['8-bit DCS, APC, PM, SOS ended by BEL', '\x90ky\x07\x9fky\x07\x9eky\x07\x98ky\x07', []],
    ['nF (charset) sequence', '\x1b(Bk', [{ char: 'k' }]],
    ['Alt+key is not the key', '\x1bk\x1by', []],
    ['escape before a control', '\x1b\x03', ['escape', 'ctrl-c']],
    ['controls other than ours do nothing', '\x00\x01\x1a\x7f', ['backspace']],
    ['bidi controls are not characters', '\u202ek\u2066', [{ char: 'k' }]],
  ];
  for (const [what, input, want] of cases) assert.deepEqual(parseKeys(input), want, what);
});

test('a sequence split across reads, at every byte, is still one sequence', () => {
  const all = [INJECTED, '\x1b[?2004;1$y', '\x1bP1$r0;ky\x1b\\', '\x1b]52;c;a3k=\x07', '\x1b_ky\x1b\\', '\x1b[1;5C'];
  for (const seq of all) {
    const input = seq + 'q';
    for (let i = 1; i < input.length; i++) {
      const p = new KeyParser();
      const keys = [...p.feed(input.slice(0, i)), ...p.feed(input.slice(i))];
      assert.deepEqual(keys, [{ char: 'q' }], `${JSON.stringify(seq)} split at ${i}`);
      assert.equal(p.pending, false);
    }
  }
  // Split into single bytes: the same.
  const p = new KeyParser();
  const keys = [...(INJECTED + 'q')].flatMap((c) => p.feed(c));
  assert.deepEqual(keys, [{ char: 'q' }]);
});

test('a lone ESC is the Escape key only once input is quiet (flush); an unfinished sequence then ends', () => {
  const p = new KeyParser();
  assert.deepEqual(p.feed('\x1b'), []);
  assert.equal(p.pending, true);
  assert.deepEqual(p.flush(), ['escape']);
  assert.deepEqual(p.feed('q'), [{ char: 'q' }]);
  // An OSC that never ends swallows nothing after the quiet time.
  assert.deepEqual(p.feed('\x1b]0;never ends ky'), []);
  assert.deepEqual(p.flush(), []);
  assert.deepEqual(p.feed('q'), [{ char: 'q' }]);
  // A long sequence does not grow memory or produce keys.
  assert.deepEqual(p.feed('\x1b[' + '1;'.repeat(100_000) + 'm' + '\x1b]' + 'k'.repeat(200_000) + '\x07'), []);
});

test('bracketed paste: pasted text is never a command, only filter text with controls stripped', () => {
  const pasted = '\x1b[200~kyx q\r\x1b[2J\x1b]52;c;AAAA\x07\u202eend\x1b[201~';
  const keys = parseKeys(pasted);
  assert.equal(keys.length, 1);
  const k = keys[0]!;
  assert.ok(typeof k === 'object' && 'paste' in k);
  assert.doesNotMatch(k.paste, /[\x00-\x1f\x7f-\x9f\u202e]/, 'no control survives');
  // In the normal view it does nothing, with a socket selected and every command letter inside.
  const st = stateWith([sock()]);
  assert.deepEqual(drive(st, [{ keys, alone: true }]), []);
  assert.equal(modeOf(st), 'normal');
  // After `k`, a paste holding `y` is no answer.
  drive(st, [{ keys: parseKeys('k'), alone: true }]);
  assert.equal(modeOf(st), 'confirm');
  assert.deepEqual(drive(st, [{ keys: parseKeys('\x1b[200~y\x1b[201~'), alone: true }]), []);
  assert.equal(modeOf(st), 'normal');
  // In the filter prompt it is text.
  drive(st, [{ keys: parseKeys('/'), alone: true }]);
  drive(st, [{ keys: parseKeys('\x1b[200~80\n\x1b[31mnginx\x1b[201~'), alone: false }]);
  assert.equal(modeOf(st), 'filter');
  assert.equal((st.mode as { text?: string }).text, '80 [31mnginx');
  // A paste split across reads, its end marker too, is still one paste.
  // (It is taken once input is quiet: bytes in the same burst as its end may still be pasted, see below.)
  const p = new KeyParser();
  const parts = ['\x1b[20', '0~ab', 'c\x1b[20', '1', '~'];
  assert.deepEqual(parts.flatMap((x) => p.feed(x)), []);
  assert.deepEqual(p.flush(), [{ paste: 'abc' }]);
  assert.deepEqual(p.feed('q'), [{ char: 'q' }]);
  // A paste that never ends gives the keyboard back after the quiet time, as text only.
  const p2 = new KeyParser();
  assert.deepEqual(p2.feed('\x1b[200~ky'), []);
  assert.deepEqual(p2.flush(), [{ paste: 'ky' }]);
  assert.deepEqual(p2.feed('q'), [{ char: 'q' }]);
});

test('an end-of-paste marker inside the pasted text ends nothing: the rest of the burst is pasted too', () => {
  // Some terminals (tmux 3.3 among them) pass an ESC in pasted text through, so a
  // copied text can hold CSI 201~ and, after it, what it wants run as keys. The
  // terminal writes a paste in one burst: bytes that follow an end marker before
  // input goes quiet are still pasted text; only the end marker of the burst ends it.
  for (const tail of ['q', '/abc\r', 'kky', 'x\x1b[201~k']) {
    const p = new KeyParser();
    const keys = p.feed(`\x1b[200~zz\x1b[201~${tail}\x1b[201~`);
    assert.deepEqual(keys, [], `${JSON.stringify(tail)}: no key`);
    const pasted = p.flush();
    assert.equal(pasted.length, 1, JSON.stringify(pasted));
    assert.ok(typeof pasted[0] === 'object' && 'paste' in pasted[0]!, JSON.stringify(pasted));
    assert.equal(p.pending, false);
    assert.deepEqual(p.feed('q'), [{ char: 'q' }], 'the keyboard is back once input was quiet');
  }
  // The same burst split over reads (a long paste arrives 4095 bytes at a time).
  const p = new KeyParser();
  const input = `\x1b[200~${'z'.repeat(5000)}\x1b[201~ky\x1b[201~`;
  const keys = [input.slice(0, 4095), input.slice(4095, 5010), input.slice(5010)].flatMap((x) => p.feed(x));
  assert.deepEqual(keys, []);
  assert.equal(p.flush().length, 1);
  // In the view: nothing is asked, nothing quits.
  const st = stateWith([sock()]);
  const effects = drive(st, [{ keys: parseKeys('\x1b[200~zz\x1b[201~q'), alone: false }, { keys: parseKeys('\x1b[200~\x1b[201~k'), alone: false }, { keys: parseKeys('y'), alone: true }]);
  assert.deepEqual(effects, []);
  assert.equal(modeOf(st), 'normal');
});

test('a destructive y counts only as its own keystroke after the question was drawn', () => {
  // k then y in one read (typed ahead, or injected): no signal.
  let st = stateWith([sock()]);
  assert.deepEqual(drive(st, [{ keys: parseKeys('ky'), alone: false }]), []);
  assert.equal(modeOf(st), 'normal');
  assert.match(st.status?.text ?? '', /key press of its own/);
  // y alone, but before the question was drawn: no signal.
  st = stateWith([sock()]);
  handleKey(st, { char: 'k' }, ctx());
  assert.equal(handleKey(st, { char: 'y' }, ctx({ alone: true })), undefined);
  // y as part of a longer read after the question: no signal.
  st = stateWith([sock()]);
  drive(st, [{ keys: parseKeys('k'), alone: true }]);
  assert.deepEqual(drive(st, [{ keys: parseKeys('yy'), alone: false }]), []);
  // k, drawn, then y on its own: the signal, to the pid on screen with its start time.
  st = stateWith([sock()]);
  const effects = drive(st, [{ keys: parseKeys('k'), alone: true }, { keys: parseKeys('y'), alone: true }]);
  assert.equal(effects.length, 1);
  const e = effects[0]!;
  assert.ok(e.kind === 'kill');
  assert.deepEqual(e.targets, [{ pid: 4242, name: 'victim', startTicks: 777 }]);
  assert.equal(e.signal, 'SIGTERM');
});

test('k on a closed socket (its red row stays a moment) is refused: its pid may already be another process', () => {
  // Seen live: a listener's process was killed, its pid taken by another process that
  // holds a socket of its own; `k` on the red row of the closed listener asked about
  // that pid with the new process's start time, and `y` terminated the new process.
  const s = sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, holders: [{ pid: 4242, fd: 3, name: 'old' }] });
  const st = stateWith([s]);
  const snap = { takenAt: 1000, source: 'netlink' as const, backlogKnown: true, privileged: true, sockets: [], unreadableProcesses: 0, issues: [] };
  applySnapshot(st, snap, { opened: [], closed: [s], changed: [] }, 1000);
  settleSelection(st);
  // The closed row is what the cursor is on.
  assert.equal(st.ghosts.size, 1);
  const effects: Effect[] = [];
  for (const r of ['k', 'y']) {
    // The collector knows pid 4242 now with the start time of the process that took the pid.
    const e = handleKey(st, parseKeys(r)[0]!, ctx({ now: 1001, startTicksOf: (pid) => (pid === 4242 ? 999_999 : undefined) }));
    if (e) effects.push(e);
    if (st.mode.kind === 'confirm') st.mode.shown = true;
  }
  assert.deepEqual(effects, [], 'nothing is signalled');
  assert.equal(modeOf(st), 'normal');
  assert.match(st.status?.text ?? '', /closed/);
});

test('x on a listener is refused with what it would do and what to do instead; x names the socket by its cookie', () => {
  const st = stateWith([sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0 })]);
  assert.deepEqual(drive(st, [{ keys: parseKeys('x'), alone: true }, { keys: parseKeys('y'), alone: true }]), []);
  assert.equal(modeOf(st), 'normal');
  assert.match(st.status!.text, /listening socket.*running without its listener.*press k/);
  const tw = sock({ state: 'TIME_WAIT', inode: 0, holders: [] });
  const st2 = stateWith([tw]);
  const effects: Effect[] = [];
  for (const r of ['x', 'y']) {
    const e = handleKey(st2, parseKeys(r)[0]!, ctx({ cookieOf: (s) => (s === tw ? [0x2a1f, 7] : undefined) }));
    if (e) effects.push(e);
    if (st2.mode.kind === 'confirm') st2.mode.shown = true;
  }
  assert.equal(effects.length, 1);
  assert.deepEqual(effects[0], { kind: 'destroy', socket: tw, cookie: [0x2a1f, 7] });
});

test('k on a socket several processes hold names them all and lets the user pick one or all', () => {
  const shared = sock({ state: 'LISTEN', holders: [{ pid: 100, fd: 3, name: 'srv' }, { pid: 100, fd: 9, name: 'srv' }, { pid: 101, fd: 3, name: 'srv' }, { pid: 102, fd: 3, name: 'srv' }] });
  let st = stateWith([shared]);
  drive(st, [{ keys: parseKeys('k'), alone: true }]);
  assert.equal(modeOf(st), 'choose');
  assert.deepEqual(st.mode.kind === 'choose' ? st.mode.holders.map((h) => h.pid) : [], [100, 101, 102], 'each process once');
  // `2` picks the second; then the question; then y.
  let effects = drive(st, [{ keys: parseKeys('2'), alone: true }, { keys: parseKeys('y'), alone: true }]);
  assert.equal(effects.length, 1);
  assert.deepEqual(effects[0]!.kind === 'kill' ? effects[0]!.targets.map((x) => x.pid) : [], [101]);
  // `a` picks all.
  st = stateWith([shared]);
  effects = drive(st, [{ keys: parseKeys('k'), alone: true }, { keys: parseKeys('a'), alone: true }, { keys: parseKeys('y'), alone: true }]);
  assert.deepEqual(effects[0]!.kind === 'kill' ? effects[0]!.targets.map((x) => x.pid) : [], [100, 101, 102]);
  assert.equal(effects[0]!.kind === 'kill' ? effects[0]!.socket : undefined, shared);
  // Arrows and Enter: down twice, Enter picks the third.
  st = stateWith([shared]);
  effects = drive(st, [{ keys: parseKeys('k'), alone: true }, { keys: ['down'], alone: true }, { keys: ['down'], alone: true },
    { keys: ['enter'], alone: true }, { keys: parseKeys('y'), alone: true }]);
  assert.deepEqual(effects[0]!.kind === 'kill' ? effects[0]!.targets.map((x) => x.pid) : [], [102]);
  // Esc cancels; an injected sequence cannot pick.
  st = stateWith([shared]);
  drive(st, [{ keys: parseKeys('k'), alone: true }, { keys: parseKeys('\x1b]a1\x1b\\'), alone: false }]);
  assert.equal(modeOf(st), 'choose');
  drive(st, [{ keys: ['escape'], alone: true }]);
  assert.equal(modeOf(st), 'normal');
});

test('the view turns bracketed paste on when it takes the screen and off when it gives it back', () => {
  assert.ok(ENTER.includes('\x1b[?2004h'));
  assert.ok(LEAVE.includes('\x1b[?2004l'));
  const out: string[] = [];
  const sc = new Screen((s) => out.push(s));
  sc.enter();
  sc.leave();
  sc.leave(); // twice (an exit handler after q): restored once
  assert.equal(out.join('').split('\x1b[?2004h').length - 1, 1);
  assert.equal(out.join('').split('\x1b[?2004l').length - 1, 1);
  assert.ok(out.join('').lastIndexOf('\x1b[?2004l') > out.join('').lastIndexOf('\x1b[?2004h'));
});

// Keys of the live view: bytes from a raw-mode terminal into named keys, and
// each key into a change of state (state.ts) plus, maybe, an effect for the
// caller to carry out. Pure: no terminal, no OS.
// Safety rules kept here (README "Safety"): no control sequence and no pasted
// text is ever a command; a destructive action (k, x) asks first, and its `y`
// counts only as a keystroke read on its own after the question was drawn.
//   "\x1b[A" up  "\x1b[B" down  "\x1b[5~" PgUp  "\x1b[6~" PgDn
//   "\x1b[H" "\x1b[1~" "\x1bOH" Home   "\x1b[F" "\x1b[4~" "\x1bOF" End
import type { Translate } from '../../explain/i18n.js';
import { socketKey } from '../../model/diff.js';
import { formatEndpoint, type Socket } from '../../model/socket.js';
import { safeText } from '../safe-text.js';
import { FilterTextError, parseFilterText } from './filter-text.js';
import {
  VIEWS, refilter, resort, rowCount, selectedSocket, setStatus, settleSelection, sortKeysOf, processRows,
  type Effect, type KillTarget, type TuiState, type ViewName,
} from './state.js';

export type Key =
  | 'up' | 'down' | 'left' | 'right' | 'pageup' | 'pagedown' | 'home' | 'end'
  | 'enter' | 'escape' | 'backspace' | 'tab' | 'ctrl-c'
  | { char: string }
  /** Text pasted by the user (bracketed paste): never a command. Controls already removed. */
  | { paste: string };

// Input is parsed as a terminal emits it (ECMA-48; the VT500 state diagram of
// vt100.net/emu/dec_ansi_parser), because the same bytes arrive from the user's
// keyboard and from the terminal itself: answers to queries (a title report is
// ESC ] l <title> ESC \), focus and mouse reports, pasted text. Every control
// sequence is consumed whole and dropped unless it is a key we know, so no
// byte inside a sequence ever becomes a keystroke. The state lives between
// reads: a sequence split across two reads is still one sequence.
//   CSI  ESC [ (or U+009B)  parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
//   SS3  ESC O (or U+008F)  one final character
//   OSC  ESC ] (U+009D), DCS ESC P (U+0090), SOS ESC X (U+0098), PM ESC ^ (U+009E),
//   APC  ESC _ (U+009F): a string up to ST (ESC \ or U+009C) or BEL
//   ESC + intermediates + final (nF, e.g. ESC ( B), ESC + one character (Alt+key): dropped
//   bracketed paste: CSI 200~ text CSI 201~ (enabled with CSI ?2004h)

const CSI_KEYS: Record<string, Key> = {
  A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end',
};
const TILDE_KEYS: Record<string, Key> = {
  '1': 'home', '7': 'home', '4': 'end', '8': 'end', '5': 'pageup', '6': 'pagedown',
};
const SS3_KEYS: Record<string, Key> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };

const PASTE_END = '\x1b[201~';
/** Longest CSI kept (parameters beyond are still consumed, just not kept). */
const MAX_CSI = 32;
/** Longest paste kept: the filter prompt needs no more. */
export const MAX_PASTE = 4096;

type State = 'ground' | 'esc' | 'esc-inter' | 'csi' | 'ss3' | 'string' | 'string-esc' | 'paste' | 'paste-end';

/** Remove what must never reach the screen or the filter from pasted text: C0/C1 controls, DEL, bidi controls. */
export function stripControls(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '');
}

/** A stateful parser of terminal input: feed() each read, flush() when input has been quiet for a moment. */
export class KeyParser {
  private state: State = 'ground';
  private csi = '';
  private paste = '';
  /** In paste: the part of PASTE_END matched so far. */
  private pasteEnd = '';

  /** Whether an incomplete sequence is pending (the caller then calls flush() after a short quiet time). */
  get pending(): boolean {
    return this.state !== 'ground';
  }

  feed(data: string): Key[] {
    const keys: Key[] = [];
    for (const ch of data) this.step(ch, keys);
    return keys;
  }

  /**
   * Input went quiet: a lone ESC was the Escape key; a paste (ended, or one that
   * never ended) is handed over, as text that goes nowhere but the filter. Any
   * other sequence still open is dropped, so the keyboard comes back.
   */
  flush(): Key[] {
    const keys: Key[] = [];
    if (this.state === 'esc') keys.push('escape');
    else if (this.state === 'paste' || this.state === 'paste-end') this.endPaste(keys);
    this.state = 'ground';
    this.csi = '';
    return keys;
  }

  private endPaste(keys: Key[]): void {
    const text = stripControls(this.paste);
    this.paste = '';
    this.pasteEnd = '';
    if (text) keys.push({ paste: text });
  }

  private step(ch: string, keys: Key[]): void {
    const c = ch.codePointAt(0)!;
    switch (this.state) {
      case 'paste': {
        if (this.pasteEnd || c === 0x1b) {
          const next = this.pasteEnd + ch;
          if (PASTE_END.startsWith(next)) {
            this.pasteEnd = next;
            // The end of the paste, unless more of the same burst follows (see 'paste-end').
            if (next === PASTE_END) {
              this.state = 'paste-end';
              this.pasteEnd = '';
            }
            return;
          }
          // Not the end after all: what was held back is pasted text (its ESC is stripped later).
          this.addPaste(this.pasteEnd);
          this.pasteEnd = '';
          if (c === 0x1b) { this.pasteEnd = ch; return; }
        }
        this.addPaste(ch);
        return;
      }
      case 'paste-end':
        // Bytes right behind an end marker, before input went quiet (flush), are
        // still the paste: a terminal writes a paste in one burst, and some (tmux
        // 3.3) let an ESC in the pasted text through, so a copied text could hold
        // CSI 201~ followed by keys. That marker ended nothing; it is dropped.
        this.state = 'paste';
        this.step(ch, keys);
        return;
      case 'string':
        // OSC, DCS, SOS, PM, APC: everything up to ST or BEL is dropped.
        if (c === 0x07 || c === 0x9c) this.state = 'ground';
        else if (c === 0x1b) this.state = 'string-esc';
        return;
      case 'string-esc':
        // ESC \ is ST. Any other ESC inside the string stays part of it (a terminal would end the
        // string there; we drop more rather than less, and flush() ends a string that never ends).
        if (ch === '\\') this.state = 'ground';
        else if (c !== 0x1b) this.state = 'string';
        return;
      case 'esc':
        this.escape(ch, c, keys);
        return;
      case 'esc-inter':
        if (c >= 0x20 && c <= 0x2f) return;
        if (c >= 0x30 && c <= 0x7e) { this.state = 'ground'; return; }
        this.state = 'ground';
        this.step(ch, keys);
        return;
      case 'ss3':
        this.state = 'ground';
        if (c >= 0x20 && c <= 0x7e) {
          const k = SS3_KEYS[ch];
          if (k) keys.push(k);
          return;
        }
        this.step(ch, keys);
        return;
      case 'csi':
        if (c >= 0x30 && c <= 0x3f || c >= 0x20 && c <= 0x2f) {
          if (this.csi.length < MAX_CSI) this.csi += ch;
          return;
        }
        if (c >= 0x40 && c <= 0x7e) {
          const params = this.csi;
          this.state = 'ground';
          this.csi = '';
          this.csiDone(params, ch, keys);
          return;
        }
        // A byte that cannot be in a CSI: the sequence is broken. ESC starts a new one; anything else is dropped with it.
        this.state = 'ground';
        this.csi = '';
        if (c === 0x1b || c >= 0x80 && c <= 0x9f) this.step(ch, keys);
        return;
      case 'ground':
        this.ground(ch, c, keys);
        return;
    }
  }

  private addPaste(text: string): void {
    if (this.paste.length < MAX_PASTE) this.paste = (this.paste + text).slice(0, MAX_PASTE);
  }

  private csiDone(params: string, final: string, keys: Key[]): void {
    if (final === '~') {
      if (params === '200') { this.state = 'paste'; this.paste = ''; this.pasteEnd = ''; return; }
      const k = TILDE_KEYS[params];
      if (k) keys.push(k);
      return;
    }
    // Arrows and Home/End without a modifier; with one (ESC [ 1 ; 5 C is Ctrl+Right) the key is not ours.
    const k = CSI_KEYS[final];
    if (k && (params === '' || params === '1')) keys.push(k);
  }

  private escape(ch: string, c: number, keys: Key[]): void {
    this.state = 'ground';
    switch (ch) {
      case '[': this.state = 'csi'; this.csi = ''; return;
      case 'O': this.state = 'ss3'; return;
      case ']': case 'P': case 'X': case '^': case '_': this.state = 'string'; return;
    }
    if (c >= 0x20 && c <= 0x2f) { this.state = 'esc-inter'; return; }
    if (c >= 0x30 && c <= 0x7e) return; // ESC + one character: Alt+key or a two-byte control, dropped
    if (c === 0x1b) { keys.push('escape'); this.state = 'esc'; return; }
    // ESC before a control (or anything else): the Escape key, then that input as itself.
    keys.push('escape');
    this.step(ch, keys);
  }

  private ground(ch: string, c: number, keys: Key[]): void {
    if (c === 0x1b) { this.state = 'esc'; return; }
    if (c >= 0x80 && c <= 0x9f) {
      // 8-bit controls (C1), as a terminal may send them.
      if (c === 0x9b) { this.state = 'csi'; this.csi = ''; }
      else if (c === 0x8f) this.state = 'ss3';
      else if (c === 0x9d || c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) this.state = 'string';
      return;
    }
    if (c === 0x0d || c === 0x0a) keys.push('enter');
    else if (c === 0x7f || c === 0x08) keys.push('backspace');
    else if (c === 0x09) keys.push('tab');
    else if (c === 0x03) keys.push('ctrl-c');
    else if (c >= 0x20 && !(c >= 0x2028 && c <= 0x2029) && !(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069)) keys.push({ char: ch });
  }
}

/** Split one complete piece of terminal input into keys (a lone ESC at the end is the Escape key). */
export function parseKeys(data: string): Key[] {
  const p = new KeyParser();
  return [...p.feed(data), ...p.flush()];
}

export interface KeyContext {
  now: number;
  t: Translate;
  /** Start time of a holder pid as seen when its fds were read. */
  startTicksOf(pid: number): number | undefined;
  /** The kernel's cookie of a socket as read with it (undefined when the source has none, e.g. /proc). */
  cookieOf?(s: Socket): [number, number] | undefined;
  /** True when this key was the whole of one read from the terminal (a keystroke on its own). */
  alone?: boolean;
}

/** Longest filter text kept (typed or pasted). */
export const MAX_FILTER = 256;

function move(st: TuiState, by: number | 'home' | 'end'): void {
  const n = rowCount(st);
  const v = st.view;
  if (by === 'home') st.selected[v] = 0;
  else if (by === 'end') st.selected[v] = Math.max(0, n - 1);
  else st.selected[v] = Math.max(0, Math.min(n - 1, st.selected[v] + by));
  st.selectedKey = undefined;
  settleSelection(st);
}

/** Every process holding a socket, once each (a process may hold it on several fds). */
export function killTargets(s: Socket, startTicksOf: (pid: number) => number | undefined): KillTarget[] {
  const out: KillTarget[] = [];
  for (const h of s.holders) {
    if (out.some((x) => x.pid === h.pid)) continue;
    out.push({ pid: h.pid, name: h.name ?? '?', startTicks: startTicksOf(h.pid) });
  }
  return out;
}

/** Switch views. The Traffic view's counters are read only while it shows: entering it asks for a look now (the baseline). */
function showView(st: TuiState, view: ViewName): Effect | undefined {
  const was = st.view;
  st.view = view;
  settleSelection(st);
  return view === 'traffic' && was !== 'traffic' ? { kind: 'refresh' } : undefined;
}

/** Apply one key; returns what the caller must do, if anything. */
export function handleKey(st: TuiState, key: Key, ctx: KeyContext): Effect | undefined {
  const { t, now } = ctx;
  const mode = st.mode;
  const paste = typeof key === 'object' && 'paste' in key ? key.paste : undefined;
  const ch = typeof key === 'object' && 'char' in key ? key.char : undefined;
  if (key === 'ctrl-c') return { kind: 'quit' };

  if (mode.kind === 'filter') {
    if (key === 'enter') {
      try {
        st.text = mode.text.trim() ? parseFilterText(mode.text) : undefined;
        st.mode = { kind: 'normal' };
        st.selected[st.view] = 0;
        refilter(st);
        settleSelection(st);
      } catch (e) {
        const reason = e instanceof FilterTextError ? t(e.key, { text: safeText(e.token) }) : safeText((e as Error).message);
        setStatus(st, t('watch.filter.bad', { reason }), 'error', now);
      }
    } else if (key === 'escape') {
      st.mode = { kind: 'normal' };
    } else if (key === 'backspace') {
      mode.text = [...mode.text].slice(0, -1).join('');
    } else if (ch !== undefined || paste !== undefined) {
      // Pasted text is text here, never a key: controls are gone already (KeyParser), newlines became spaces.
      mode.text = (mode.text + (ch ?? stripControls(paste!))).slice(0, MAX_FILTER);
    }
    return undefined;
  }

  // Pasted text is only ever filter text: anywhere else it is dropped, whatever it holds (and it answers no question).
  if (paste !== undefined) {
    if (mode.kind === 'confirm') {
      st.mode = { kind: 'normal' };
      setStatus(st, t('watch.cancelled'), 'info', now);
    }
    return undefined;
  }

  if (mode.kind === 'help') {
    st.mode = { kind: 'normal' };
    return ch === 'q' ? { kind: 'quit' } : undefined;
  }

  if (mode.kind === 'choose') {
    const n = mode.holders.length;
    let pick: number | undefined;
    if (key === 'up') mode.at = Math.max(0, mode.at - 1);
    else if (key === 'down') mode.at = Math.min(n, mode.at + 1);
    else if (key === 'home') mode.at = 0;
    else if (key === 'end') mode.at = n;
    else if (key === 'enter') pick = mode.at;
    else if (ch === 'a' || ch === 'A') pick = n;
    else if (ch !== undefined && /^[1-9]$/.test(ch) && Number(ch) <= n) pick = Number(ch) - 1;
    else if (key === 'escape' || ch === 'q' || ch === 'n' || ch === 'N') {
      st.mode = { kind: 'normal' };
      setStatus(st, t('watch.cancelled'), 'info', now);
    }
    if (pick !== undefined) {
      const targets = pick >= n ? mode.holders : [mode.holders[pick]!];
      st.mode = { kind: 'confirm', pending: { kind: 'kill', targets, signal: 'SIGTERM', socket: mode.socket } };
    }
    return undefined;
  }

  if (mode.kind === 'confirm') {
    const yes = ch === 'y' || ch === 'Y';
    st.mode = { kind: 'normal' };
    if (!yes) {
      setStatus(st, t('watch.cancelled'), 'info', now);
      return undefined;
    }
    // A `y` that came with other input (a burst, a terminal's answer, a typed-ahead "ky") or
    // before the question was on screen is not the user's answer to it.
    if (!ctx.alone || !mode.shown) {
      setStatus(st, t('watch.confirm.not-alone'), 'error', now);
      return undefined;
    }
    return { ...mode.pending };
  }

  // Normal mode.
  switch (key) {
    case 'up': move(st, -1); return undefined;
    case 'down': move(st, 1); return undefined;
    case 'pageup': move(st, -Math.max(1, st.pageRows - 1)); return undefined;
    case 'pagedown': move(st, Math.max(1, st.pageRows - 1)); return undefined;
    case 'home': move(st, 'home'); return undefined;
    case 'end': move(st, 'end'); return undefined;
    case 'enter': st.detail = !st.detail; return undefined;
    case 'escape': st.detail = false; return undefined;
    case 'tab':
    case 'right':
      return showView(st, VIEWS[(VIEWS.indexOf(st.view) + 1) % VIEWS.length]!);
    case 'left':
      return showView(st, VIEWS[(VIEWS.indexOf(st.view) + VIEWS.length - 1) % VIEWS.length]!);
    case 'backspace':
      return undefined;
  }
  const c = ch ?? '';
  switch (c) {
    case 'q': return { kind: 'quit' };
    case '?': st.mode = { kind: 'help' }; return undefined;
    case '1': case '2': case '3': case '4':
      return showView(st, VIEWS[Number(c) - 1]!);
    case 's': case 'S': case '>': case '<': {
      const keys = sortKeysOf(st.view);
      const at = keys.indexOf(st.sort[st.view]);
      const step = c === 's' || c === '>' ? 1 : keys.length - 1;
      st.sort[st.view] = keys[(at + step) % keys.length]!;
      resort(st);
      settleSelection(st);
      setStatus(st, t('watch.sorted', { key: st.sort[st.view]!, dir: t(st.descending[st.view] ? 'watch.sort.desc' : 'watch.sort.asc') }), 'info', now, 2000);
      return undefined;
    }
    case 'r':
      st.descending[st.view] = !st.descending[st.view];
      resort(st);
      settleSelection(st);
      setStatus(st, t('watch.sorted', { key: st.sort[st.view]!, dir: t(st.descending[st.view] ? 'watch.sort.desc' : 'watch.sort.asc') }), 'info', now, 2000);
      return undefined;
    case '/':
      st.mode = { kind: 'filter', text: st.text?.text ?? '' };
      return undefined;
    case 'c':
      st.text = undefined;
      refilter(st);
      settleSelection(st);
      return undefined;
    case 'p':
      st.paused = !st.paused;
      return undefined;
    case 't': case 'u': case 'l': case 'a': {
      const tg = st.toggles;
      if (c === 't') tg.tcp = !tg.tcp;
      if (c === 'u') tg.udp = !tg.udp;
      if (c === 'l') { tg.listening = !tg.listening; if (tg.listening) tg.all = false; }
      if (c === 'a') { tg.all = !tg.all; if (tg.all) tg.listening = false; }
      refilter(st);
      settleSelection(st);
      // TIME_WAIT is asked of the kernel only with `a`: collect again.
      return c === 'a' ? { kind: 'recollect' } : undefined;
    }
    case 'k': {
      if (st.view === 'processes') {
        const r = processRows(st)[st.selected.processes];
        if (!r) {
          setStatus(st, t('watch.kill.none'), 'error', now);
          return undefined;
        }
        st.mode = { kind: 'confirm', pending: { kind: 'kill', targets: [{ pid: r.pid, name: r.name, startTicks: ctx.startTicksOf(r.pid) }], signal: 'SIGTERM' } };
        return undefined;
      }
      const s = selectedSocket(st);
      // A closed socket's red row shows who held it then; what is known of those pids
      // now (their start time) may be of another process that took the pid since.
      if (s && st.ghosts.get(socketKey(s))?.socket === s) {
        setStatus(st, t('watch.kill.closed', { local: formatEndpoint(s.localAddress, s.localPort) }), 'error', now, 8000);
        return undefined;
      }
      const targets = s ? killTargets(s, ctx.startTicksOf) : [];
      if (!s || !targets.length) {
        setStatus(st, t('watch.kill.none'), 'error', now);
        return undefined;
      }
      // A socket shared by several processes (a forked server): the user picks one or all of them.
      if (targets.length > 1) st.mode = { kind: 'choose', socket: s, holders: targets, at: 0 };
      else st.mode = { kind: 'confirm', pending: { kind: 'kill', targets, signal: 'SIGTERM', socket: s } };
      return undefined;
    }
    case 'x': {
      const s = selectedSocket(st);
      if (!s || s.protocol !== 'tcp') {
        setStatus(st, t('watch.destroy.not-tcp'), 'error', now, 8000);
        return undefined;
      }
      // Destroying a listener leaves the server running with a dead socket: refused, k is the way.
      if (s.state === 'LISTEN') {
        setStatus(st, t('watch.destroy.listener', { local: formatEndpoint(s.localAddress, s.localPort) }), 'error', now, 10000);
        return undefined;
      }
      st.mode = { kind: 'confirm', pending: { kind: 'destroy', socket: s, cookie: ctx.cookieOf?.(s) } };
      return undefined;
    }
  }
  return undefined;
}

/** The question a pending action asks. */
export function confirmText(st: TuiState, t: Translate): string | undefined {
  if (st.mode.kind !== 'confirm') return undefined;
  const p = st.mode.pending;
  if (p.kind === 'kill') {
    if (p.targets.length === 1) {
      const x = p.targets[0]!;
      return t(p.signal === 'SIGKILL' ? 'watch.kill.confirm9' : 'watch.kill.confirm', { pid: x.pid, name: safeText(x.name) });
    }
    return t(p.signal === 'SIGKILL' ? 'watch.kill.confirm9-all' : 'watch.kill.confirm-all', { n: p.targets.length, pids: p.targets.map((x) => x.pid).join(', ') });
  }
  const s = p.socket;
  return t('watch.destroy.confirm', {
    local: formatEndpoint(s.localAddress, s.localPort), remote: formatEndpoint(s.remoteAddress, s.remotePort), state: s.state,
  });
}

// Keys of the live view: bytes from a raw-mode terminal into named keys, and
// each key into a change of state (state.ts) plus, maybe, an effect for the
// caller to carry out. Pure: no terminal, no OS.
//   "\x1b[A" up  "\x1b[B" down  "\x1b[5~" PgUp  "\x1b[6~" PgDn
//   "\x1b[H" "\x1b[1~" "\x1bOH" Home   "\x1b[F" "\x1b[4~" "\x1bOF" End
import type { Translate } from '../../explain/i18n.js';
import { formatEndpoint } from '../../model/socket.js';
import { parseFilterText } from './filter-text.js';
import {
  VIEWS, refilter, resort, rowCount, selectedSocket, setStatus, settleSelection, sortKeysOf, processRows,
  type Effect, type TuiState,
} from './state.js';

export type Key =
  | 'up' | 'down' | 'left' | 'right' | 'pageup' | 'pagedown' | 'home' | 'end'
  | 'enter' | 'escape' | 'backspace' | 'tab' | 'ctrl-c'
  | { char: string };

const SEQUENCES: [string, Key][] = [
  ['\x1b[A', 'up'], ['\x1b[B', 'down'], ['\x1b[C', 'right'], ['\x1b[D', 'left'],
  ['\x1bOA', 'up'], ['\x1bOB', 'down'], ['\x1bOC', 'right'], ['\x1bOD', 'left'],
  ['\x1b[5~', 'pageup'], ['\x1b[6~', 'pagedown'],
  ['\x1b[H', 'home'], ['\x1b[1~', 'home'], ['\x1b[7~', 'home'], ['\x1bOH', 'home'],
  ['\x1b[F', 'end'], ['\x1b[4~', 'end'], ['\x1b[8~', 'end'], ['\x1bOF', 'end'],
];

/** Split terminal input into keys. Unknown escape sequences are dropped whole. */
export function parseKeys(data: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < data.length) {
    const c = data[i]!;
    if (c === '\x1b') {
      const seq = SEQUENCES.find(([s]) => data.startsWith(s, i));
      if (seq) {
        keys.push(seq[1]);
        i += seq[0].length;
        continue;
      }
      if (i + 1 < data.length && (data[i + 1] === '[' || data[i + 1] === 'O')) {
        // Some other CSI/SS3 sequence: skip to its final byte.
        let j = i + 2;
        while (j < data.length && !/[@-~]/.test(data[j]!)) j++;
        i = j + 1;
        continue;
      }
      keys.push('escape');
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') keys.push('enter');
    else if (c === '\x7f' || c === '\b') keys.push('backspace');
    else if (c === '\t') keys.push('tab');
    else if (c === '\x03') keys.push('ctrl-c');
    else if (c >= ' ') keys.push({ char: c });
    i++;
  }
  return keys;
}

export interface KeyContext {
  now: number;
  t: Translate;
  /** Start time of a holder pid as seen when its fds were read. */
  startTicksOf(pid: number): number | undefined;
}

function move(st: TuiState, by: number | 'home' | 'end'): void {
  const n = rowCount(st);
  const v = st.view;
  if (by === 'home') st.selected[v] = 0;
  else if (by === 'end') st.selected[v] = Math.max(0, n - 1);
  else st.selected[v] = Math.max(0, Math.min(n - 1, st.selected[v] + by));
  st.selectedKey = undefined;
  settleSelection(st);
}

/** Apply one key; returns what the caller must do, if anything. */
export function handleKey(st: TuiState, key: Key, ctx: KeyContext): Effect | undefined {
  const { t, now } = ctx;
  const mode = st.mode;
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
        setStatus(st, t('watch.filter.bad', { reason: (e as Error).message }), 'error', now);
      }
    } else if (key === 'escape') {
      st.mode = { kind: 'normal' };
    } else if (key === 'backspace') {
      mode.text = mode.text.slice(0, -1);
    } else if (typeof key === 'object') {
      mode.text += key.char;
    }
    return undefined;
  }

  if (mode.kind === 'help') {
    st.mode = { kind: 'normal' };
    return typeof key === 'object' && key.char === 'q' ? { kind: 'quit' } : undefined;
  }

  if (mode.kind === 'confirm') {
    const yes = typeof key === 'object' && (key.char === 'y' || key.char === 'Y');
    st.mode = { kind: 'normal' };
    if (!yes) {
      setStatus(st, t('watch.cancelled'), 'info', now);
      return undefined;
    }
    const p = mode.pending;
    if (p.kind === 'kill') return { kind: 'kill', pid: p.pid, name: p.name, startTicks: p.startTicks, signal: p.signal };
    return { kind: 'destroy', socket: p.socket };
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
      st.view = VIEWS[(VIEWS.indexOf(st.view) + 1) % VIEWS.length]!;
      settleSelection(st);
      return undefined;
    case 'left':
      st.view = VIEWS[(VIEWS.indexOf(st.view) + VIEWS.length - 1) % VIEWS.length]!;
      settleSelection(st);
      return undefined;
    case 'backspace':
      return undefined;
  }
  const c = key.char;
  switch (c) {
    case 'q': return { kind: 'quit' };
    case '?': st.mode = { kind: 'help' }; return undefined;
    case '1': case '2': case '3':
      st.view = VIEWS[Number(c) - 1]!;
      settleSelection(st);
      return undefined;
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
      let pid: number | undefined;
      let name = '?';
      if (st.view === 'processes') {
        const r = processRows(st)[st.selected.processes];
        if (r) { pid = r.pid; name = r.name; }
      } else {
        const h = selectedSocket(st)?.holders[0];
        if (h) { pid = h.pid; name = h.name ?? '?'; }
      }
      if (pid === undefined) {
        setStatus(st, t('watch.kill.none'), 'error', now);
        return undefined;
      }
      st.mode = { kind: 'confirm', pending: { kind: 'kill', pid, name, startTicks: ctx.startTicksOf(pid), signal: 'SIGTERM' } };
      return undefined;
    }
    case 'x': {
      const s = selectedSocket(st);
      if (!s || s.protocol !== 'tcp') {
        setStatus(st, t('watch.destroy.not-tcp'), 'error', now);
        return undefined;
      }
      st.mode = { kind: 'confirm', pending: { kind: 'destroy', socket: s } };
      return undefined;
    }
  }
  return undefined;
}

/** The question a pending action asks. */
export function confirmText(st: TuiState, t: Translate): string | undefined {
  if (st.mode.kind !== 'confirm') return undefined;
  const p = st.mode.pending;
  if (p.kind === 'kill') return t(p.signal === 'SIGKILL' ? 'watch.kill.confirm9' : 'watch.kill.confirm', { pid: p.pid, name: p.name });
  const s = p.socket;
  return t('watch.destroy.confirm', {
    local: formatEndpoint(s.localAddress, s.localPort), remote: formatEndpoint(s.remoteAddress, s.remotePort), state: s.state,
  });
}

// The page's two actions, with the live view's checks (src/views/tui/state.ts,
// src/cli/commands/watch.ts): a signal goes only to a pid that is still the
// process the page showed (same start time, read again right before the
// signal), and a connection is closed only if the kernel's socket with its
// 4-tuple is still the one on the page (the cookie read with the row,
// src/collectors/sockdiag/destroy.ts). The server refuses both unless it was
// started with --allow-actions; the page asks for a confirmation first.
import { readPidState } from '../collectors/procfs/process-info.js';
import { destroySocket, type DestroyOutcome } from '../collectors/sockdiag/destroy.js';
import { cookieOfSocket } from '../collectors/sockdiag/live-table.js';
import { msg, type Lang, type MessageKey } from '../explain/i18n.js';
import { formatEndpoint, type Socket } from '../model/socket.js';
import { safeText } from '../views/safe-text.js';
import { sameProcess } from '../views/tui/state.js';

export interface ActionResult {
  ok: boolean;
  /** Why, in the page's language (already escaped). */
  message: string;
  /** Machine-readable outcome. */
  outcome: string;
}

export type Signal = 'SIGTERM' | 'SIGKILL';

/**
 * Signal `pid` if it holds one of the sockets the page can see and its start
 * time is still `startTicks`. Our own pid is never a target.
 */
export function killProcess(pid: number, startTicks: number | undefined, signal: Signal, sockets: readonly Socket[],
  procRoot: string, lang: Lang): ActionResult {
  const t = (key: MessageKey, p: Record<string, string | number> = {}): string => msg(lang, key, p);
  const held = sockets.find((s) => s.holders.some((h) => h.pid === pid));
  if (pid === process.pid || !held) return { ok: false, outcome: 'not-shown', message: t('webserver.kill.not-shown', { pid }) };
  const now = readPidState(procRoot, pid);
  const v = sameProcess(startTicks, now && !now.zombie ? now : undefined);
  if (v === 'gone') return { ok: false, outcome: 'gone', message: t('watch.kill.gone', { pid }) };
  if (v === 'reused') return { ok: false, outcome: 'reused', message: t('watch.kill.reused', { pid }) };
  if (v === 'unknown') return { ok: false, outcome: 'unknown-start', message: t('watch.kill.unknown-start', { pid }) };
  const name = held.holders.find((h) => h.pid === pid)?.name ?? '?';
  try {
    process.kill(pid, signal);
  } catch (e) {
    return { ok: false, outcome: 'failed', message: t('watch.kill.failed', { pid, detail: (e as NodeJS.ErrnoException).code ?? String(e) }) };
  }
  return { ok: true, outcome: 'sent', message: t('watch.kill.sent', { pid, name: safeText(name), signal }) };
}

/** Close one TCP connection (SOCK_DESTROY) if it is still the socket the page showed. */
export async function closeSocket(s: Socket, lang: Lang,
  destroy: (s: Socket, cookie: [number, number] | undefined) => Promise<DestroyOutcome> = destroySocket): Promise<ActionResult> {
  const r = await destroy(s, cookieOfSocket(s));
  const where = { local: formatEndpoint(s.localAddress, s.localPort), remote: formatEndpoint(s.remoteAddress, s.remotePort) };
  if (r.ok) return { ok: true, outcome: 'closed', message: msg(lang, 'watch.destroy.ok', where) };
  if (r.reason === 'error') return { ok: false, outcome: 'error', message: msg(lang, 'watch.destroy.error', { detail: safeText(r.detail ?? '?') }) };
  return { ok: false, outcome: r.reason, message: msg(lang, `watch.destroy.${r.reason}` as MessageKey, where) };
}

// A socket as one row of the page's table: the `list` columns' texts (the
// same functions as the terminal table, so both say the same thing) plus the
// numbers the page sorts, filters and acts on. Every text that comes from
// another process has passed safeText(); the page sets it as text, never HTML.
import type { Lang } from '../explain/i18n.js';
import type { Socket } from '../model/socket.js';
import { commandText, holdersCell, localCell, remoteCell, sendQText } from '../views/columns.js';
import { safeText } from '../views/safe-text.js';

export type { Row, RowHolder } from './api.js';
import type { Row, RowHolder } from './api.js';

export interface RowOptions {
  lang: Lang;
  ephemeral?: readonly [number, number];
  /** Start time of a pid as the collector read it (LiveCollector.startTicksOf). */
  startTicksOf?: (pid: number) => number | undefined;
}

/** At most this many holders listed per row (a socket shared by a pre-forked server's 500 workers). */
const MAX_HOLDERS = 32;

export function toRow(id: number, s: Socket, firstSeen: number, o: RowOptions): Row {
  const cell = { numeric: false, lang: o.lang, ephemeral: o.ephemeral };
  const h = s.holders[0];
  const ctr = (x: Socket['holders'][number]): string | undefined =>
    x.container ? safeText(x.container.name ?? x.container.id.slice(0, 12)) : undefined;
  return {
    id,
    protocol: s.family === 'ipv6' ? `${s.protocol}6` : s.protocol,
    local: localCell(s, cell),
    remote: remoteCell(s, cell),
    localPort: s.localPort,
    remotePort: s.remotePort,
    state: s.state,
    recvQ: s.recvQ,
    sendQ: sendQText(s),
    process: holdersCell(s, o.lang),
    pid: h?.pid,
    user: h?.user === undefined ? undefined : safeText(h.user),
    // The host's own namespace is every row's on most machines: named only when it is another one.
    netns: s.netns && !s.netns.host ? safeText(s.netns.name ?? String(s.netns.inode)) : undefined,
    container: h ? ctr(h) : undefined,
    unit: h?.unit === undefined ? undefined : safeText(h.unit),
    holders: s.holders.slice(0, MAX_HOLDERS).map((x) => ({
      pid: x.pid,
      name: x.name === undefined ? '?' : safeText(x.name),
      fd: x.fd,
      user: x.user === undefined ? undefined : safeText(x.user),
      command: x.command === undefined ? undefined : commandText(x.command, 300),
      startTicks: o.startTicksOf?.(x.pid),
      container: ctr(x),
      unit: x.unit === undefined ? undefined : safeText(x.unit),
    })),
    firstSeen,
  };
}

// sockscope list: the full socket table, like `ss -tanup` or `netstat -tunap`.
import { parseArgs, UsageError, type Parsed } from '../args.js';
import { loadModule } from '../load.js';
import { defaultContext } from '../../index.js';
import { matchesHolders } from '../../model/filter.js';
import { msg } from '../../explain/i18n.js';
import { backlogNote } from '../../views/overview.js';
import { COLUMNS, showsNamespaces, withInfoColumns, withNetnsColumn } from '../../views/columns.js';
import { FastTable, fastEligible } from '../../collectors/fast/one-shot.js';
import type { Filter } from '../../model/filter.js';
import type { SortKey } from '../../model/sort.js';
import { writeFastJson, writeFastTable } from '../../views/fast.js';
import { note, FILTER_SPECS, OUTPUT_SPECS, filterFrom, formatFrom, query, renderOptions, reportHidden, reportMissingNetns, reportMissingPids, reportUnreadable, sortFrom, throwIfStarved, writeSockets, type Format, type Io } from '../common.js';

export async function listCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [...FILTER_SPECS, ...OUTPUT_SPECS, { name: 'info', short: 'i' }, { name: 'unix', short: 'x' }]);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.list'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError('err.list-args', { arg: p.positionals[0]! });
  if (p.flags.has('unix')) return listUnix(p, io);
  const filter = filterFrom(p);
  const format = formatFrom(p);
  const sort = sortFrom(p, 'proto');
  if (await reportMissingPids(io, filter)) return 1;
  if (reportMissingNetns(io, filter)) return 1;
  // The default hides TIME_WAIT; ask for it anyway (it costs no holder scan:
  // TIME_WAIT sockets have no inode) so we can say how many were left out.
  const hidesTimeWait = !filter.all && !filter.states && !filter.listening;
  // -i: what the kernel tracks inside each TCP connection (struct tcp_info over netlink).
  const info = p.flags.has('info');
  if (!info && format !== 'csv' && !p.flags.has('explain') && fastEligible(filter, sort, io.global.procRoot, io.global.source)) {
    const code = await fastList(io, p, hidesTimeWait ? { ...filter, all: true } : filter, format, sort, hidesTimeWait);
    if (code !== undefined) return code;
  }
  // With it the socket memory (INET_DIAG_SKMEMINFO: buffers, drops), as ss -m shows it.
  const snap = await query(io, { filter: hidesTimeWait ? { ...filter, all: true } : filter, info, memory: info });
  let sockets = snap.sockets;
  let timeWait = 0;
  if (hidesTimeWait) {
    sockets = sockets.filter((s) => s.state !== 'TIME_WAIT');
    timeWait = snap.sockets.length - sockets.length;
  }
  // NETNS only when some socket lives outside the host's namespace: a plain machine's table is unchanged.
  const base = info ? withInfoColumns() : COLUMNS;
  const columns = showsNamespaces(snap) ? withNetnsColumn(base) : info ? base : undefined;
  await writeSockets(io, sockets, format, p, sort, snap.sockets, columns);
  // The /proc/net tables and lsof carry no tcp_info: say why the columns are empty.
  if (info && snap.source !== 'netlink') note(io, msg(io.global.lang, 'note.info-needs-netlink', { source: snap.source }));
  if (format === 'table' && timeWait > 0) note(io, msg(io.global.lang, 'note.time-wait-hidden', { n: timeWait }));
  const backlog = format === 'table' ? backlogNote(snap, sockets, io.global.lang) : undefined;
  if (backlog) note(io, backlog);
  reportHidden(io, snap);
  // An empty table for --pid N is no answer when N's fds could not be read: say so, as pid N does.
  if (filter.pids) reportUnreadable(io, snap, filter.pids);
  return 0;
}

/**
 * The same answer through the native one-shot table (collectors/fast), where it
 * applies: JSON, NDJSON, or the table on a pipe. Undefined, having written
 * nothing, where it does not: the collector's road then answers.
 */
async function fastList(io: Io, p: Parsed, filter: Filter, format: Format, sort: SortKey, hideTimeWait: boolean): Promise<number | undefined> {
  const ropts = renderOptions(io, p);
  if (format === 'table' && (ropts.color || (ropts.width !== undefined && !ropts.wide))) return undefined;
  const t = FastTable.collect(filter, sort, { hideTimeWait });
  if (!t) return undefined;
  throwIfStarved(t.issues);
  if (format === 'table') {
    if (!await writeFastTable(t, io.stdout, ropts)) return undefined;
    if (t.timeWait > 0) note(io, msg(io.global.lang, 'note.time-wait-hidden', { n: t.timeWait }));
  } else {
    await writeFastJson(t, io.stdout, format === 'ndjson');
  }
  reportHidden(io, t.snapshot(), t.reasons.get('permission-denied') ?? 0);
  return 0;
}

/** Options of `list` that mean nothing for Unix sockets (ports, addresses, TCP internals, the inet sort keys). */
const NOT_FOR_UNIX = ['tcp', 'udp', 'ipv4', 'ipv6', 'port', 'state', 'info', 'sort', 'csv', 'explain', 'numeric'] as const;

/** list -x: every Unix domain socket with its holders (-l: listeners only; --pid, --process as for TCP/UDP). */
async function listUnix(p: Parsed, io: Io): Promise<number> {
  for (const o of NOT_FOR_UNIX) if (p.flags.has(o) || p.values.has(o)) throw new UsageError('err.unix-option', { option: `--${o}` });
  if (io.global.source === 'lsof') throw new UsageError('err.unix-source', { source: io.global.source });
  const filter = filterFrom(p);
  const format = formatFrom(p);
  if (await reportMissingPids(io, filter)) return 1;
  const { collectUnix } = await loadModule<typeof import('../../collectors/unix.js')>(new URL('../../collectors/unix.js', import.meta.url));
  const snap = await collectUnix(defaultContext({ procRoot: io.global.procRoot }), { pids: filter.pids, source: io.global.source });
  let sockets = snap.sockets.filter((s) => matchesHolders(filter, s.holders) && (!filter.listening || s.state === 'LISTEN'));
  // Named sockets first (by path), then by inode: the order of `ss -x` is the kernel's hash order.
  sockets = sockets.sort((a, b) => (unixAddressKey(a) < unixAddressKey(b) ? -1 : unixAddressKey(a) > unixAddressKey(b) ? 1 : a.inode - b.inode));
  const { renderUnixTable, renderUnixJson } = await loadModule<typeof import('../../views/unix.js')>(new URL('../../views/unix.js', import.meta.url));
  if (format === 'table') await renderUnixTable(sockets, io.stdout, renderOptions(io, p), [...snap.sockets, ...snap.peers]);
  else await renderUnixJson(sockets, io.stdout, format === 'ndjson');
  if (snap.unreadableProcesses > 0) note(io, msg(io.global.lang, snap.privileged ? 'note.unix-unreadable-root' : 'note.unix-unreadable', { n: snap.unreadableProcesses }));
  if (snap.source === 'proc') {
    const failed = snap.issues.find((i) => i.kind === 'source-fallback');
    note(io, msg(io.global.lang, 'unix.proc-note', { path: `${defaultContext({ procRoot: io.global.procRoot }).procRoot}/net/unix`,
      why: failed ? msg(io.global.lang, 'unix.proc-why', { detail: failed.detail }) : '' }));
  }
  for (const i of snap.issues) if (i.kind === 'parse-error' || i.kind === 'truncated') note(io, msg(io.global.lang, 'unix.issue', { subject: i.subject, detail: i.detail }));
  return 0;
}

function unixAddressKey(s: { path?: string; abstract?: string }): string {
  return s.path !== undefined ? '0' + s.path : s.abstract !== undefined ? '1' + s.abstract : '2';
}

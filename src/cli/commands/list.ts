// sockscope list: the full socket table, like `ss -tanup` or `netstat -tunap`.
import { parseArgs, UsageError } from '../args.js';
import { msg } from '../../explain/i18n.js';
import { backlogNote } from '../../views/overview.js';
import { withInfoColumns } from '../../views/columns.js';
import { note, FILTER_SPECS, OUTPUT_SPECS, filterFrom, formatFrom, query, reportHidden, reportMissingPids, reportUnreadable, sortFrom, writeSockets, type Io } from '../common.js';

export async function listCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [...FILTER_SPECS, ...OUTPUT_SPECS, { name: 'info', short: 'i' }]);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.list'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError('err.list-args', { arg: p.positionals[0]! });
  const filter = filterFrom(p);
  const format = formatFrom(p);
  const sort = sortFrom(p, 'proto');
  if (reportMissingPids(io, filter)) return 1;
  // The default hides TIME_WAIT; ask for it anyway (it costs no holder scan:
  // TIME_WAIT sockets have no inode) so we can say how many were left out.
  const hidesTimeWait = !filter.all && !filter.states && !filter.listening;
  // -i: what the kernel tracks inside each TCP connection (struct tcp_info over netlink).
  const info = p.flags.has('info');
  const snap = await query(io, { filter: hidesTimeWait ? { ...filter, all: true } : filter, info });
  let sockets = snap.sockets;
  let timeWait = 0;
  if (hidesTimeWait) {
    sockets = sockets.filter((s) => s.state !== 'TIME_WAIT');
    timeWait = snap.sockets.length - sockets.length;
  }
  await writeSockets(io, sockets, format, p, sort, snap.sockets, info ? withInfoColumns() : undefined);
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

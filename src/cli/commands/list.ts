// sockscope list: the full socket table, like `ss -tanup` or `netstat -tunap`.
import { parseArgs, UsageError } from '../args.js';
import { msg } from '../../explain/i18n.js';
import { FILTER_SPECS, OUTPUT_SPECS, filterFrom, formatFrom, query, reportHidden, sortFrom, writeSockets, type Io } from '../common.js';

export const LIST_HELP = `Usage: sockscope list [options]        (alias: ls)

Every TCP and UDP socket with its state, queues and every process and fd that
holds it. By default all sockets except TIME_WAIT are shown (they are kernel
leftovers of closed connections; -a shows them too).

Filters:
  -t, --tcp            TCP only             -u, --udp        UDP only
  -4, --ipv4           IPv4 only            -6, --ipv6       IPv6 only
  -l, --listening      listeners only (TCP LISTEN, unconnected UDP)
  -a, --all            include TIME_WAIT
  --state S[,S]        only these states (LISTEN, ESTABLISHED, TIME_WAIT, ...)
  --port N[,N]         local or remote port N (exact match)
  --pid N[,N]          held by process N
  --process NAME       held by a process named NAME (or whose command line contains it)
Output:
  -n, --numeric        port numbers instead of service names
  -e, --explain        a sentence under each row: its role, state, queues, and why it has no process
  --sort COLUMN        proto, local, remote, state, recvq, sendq, port, rport, pid, process, inode
  --json | --ndjson | --csv   machine-readable output (schema: docs/json.md)

Examples:
  sockscope list -tl                    TCP listeners
  sockscope ls -tn --state established  open TCP connections, numeric ports
  sockscope list --process nginx --json
  sockscope list -a --sort state --csv > sockets.csv
  sockscope --lang zh-CN list -tl --explain`;

export async function listCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [...FILTER_SPECS, ...OUTPUT_SPECS]);
  if (p.flags.has('help')) {
    await io.stdout.line(LIST_HELP);
    return 0;
  }
  if (p.positionals.length) throw new UsageError(`list takes no arguments, got '${p.positionals[0]}' (see sockscope list --help)`);
  const filter = filterFrom(p);
  const format = formatFrom(p);
  const sort = sortFrom(p, 'proto');
  // The default hides TIME_WAIT; ask for it anyway (it costs no holder scan:
  // TIME_WAIT sockets have no inode) so we can say how many were left out.
  const hidesTimeWait = !filter.all && !filter.states && !filter.listening;
  const snap = await query(io, { filter: hidesTimeWait ? { ...filter, all: true } : filter });
  let sockets = snap.sockets;
  let timeWait = 0;
  if (hidesTimeWait) {
    sockets = sockets.filter((s) => s.state !== 'TIME_WAIT');
    timeWait = snap.sockets.length - sockets.length;
  }
  await writeSockets(io, sockets, format, p, sort, snap.sockets);
  if (format === 'table' && timeWait > 0) io.stderr(msg(io.global.lang, 'note.time-wait-hidden', { n: timeWait }));
  reportHidden(io, snap);
  return 0;
}

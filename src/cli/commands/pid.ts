// sockscope pid <PID> and sockscope process <NAME>: every socket a process
// holds, with its fd numbers (what `lsof -p PID -i` shows, for sockets).
import { currentPlatform, defaultContext, findProcessIds, hiddenProcess, hidepidOption, processInfo } from '../../index.js';
import type { Snapshot } from '../../model/snapshot.js';
import { safeText } from '../../views/safe-text.js';
import type { Socket } from '../../model/socket.js';
import type { UnixSocket } from '../../model/unix.js';
import { loadModule } from '../load.js';
import { sortSockets } from '../../model/sort.js';
import { COLUMNS, commandText, holderText, nameText, showsNamespaces, withNetnsColumn, type Column } from '../../views/columns.js';
import { backlogNote } from '../../views/overview.js';
import { paint, type RenderOptions } from '../../views/sink.js';
import { msg, translator } from '../../explain/i18n.js';
import { containerPhrase } from '../../explain/containers.js';
import { renderTable } from '../../views/table.js';
import { UsageError, parseArgs, parsePid } from '../args.js';
import { note, FILTER_SPECS, OUTPUT_SPECS, explainerFor, filterFrom, formatFrom, notAProcess, query, renderOptions, reportHidden, reportMissingNetns, reportUnreadable, sortFrom, writeSockets, type Io } from '../common.js';

const PER_PID_SPECS = [...FILTER_SPECS.filter((s) => s.name !== 'pid' && s.name !== 'process'), ...OUTPUT_SPECS];

export async function pidCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, PER_PID_SPECS);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.pid'));
    return 0;
  }
  if (p.positionals.length !== 1) throw p.positionals.length ? new UsageError('err.pid-args', { args: p.positionals.join(' ') }) : new UsageError('err.pid-needs');
  const pid = parsePid(p.positionals[0]!);
  const info = await processInfo(pid, { procRoot: io.global.procRoot });
  if (!info) {
    // Not in the proc root is not "no such process" when hidepid hides it from us.
    const option = hiddenProcess(pid, { procRoot: io.global.procRoot });
    const root = io.global.procRoot ?? '/proc';
    io.stderr(`sockscope: ${option ? msg(io.global.lang, 'scan.pid-hidden', { pid, root: safeText(root), option }) : msg(io.global.lang, 'err.no-pid', { pid })}`);
    return 1;
  }
  const thread = notAProcess(io, pid, info);
  if (thread) {
    io.stderr(`sockscope: ${thread}`);
    return 1;
  }
  return showProcesses(io, p, [pid]);
}

export async function processCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, PER_PID_SPECS);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.process'));
    return 0;
  }
  if (p.positionals.length !== 1) throw p.positionals.length ? new UsageError('err.process-args', { args: p.positionals.join(' ') }) : new UsageError('err.process-needs');
  const name = p.positionals[0]!;
  // An empty name is a substring of every command line: it would list every process.
  if (name.trim() === '') throw new UsageError('err.process-empty', { text: name });
  const pids = await findProcessIds(name, { procRoot: io.global.procRoot });
  if (!pids.length) {
    io.stderr(`sockscope: ${msg(io.global.lang, 'err.no-process', { name: safeText(name) })}`);
    const option = hidepidOption({ procRoot: io.global.procRoot });
    if (option) note(io, msg(io.global.lang, 'scan.process-hidden', { root: safeText(io.global.procRoot ?? '/proc'), option }));
    return 1;
  }
  return showProcesses(io, p, pids);
}

/** The per-process table: this process's fd first, other holders last. */
function pidColumns(pid: number): Column[] {
  const fd: Column = {
    id: 'fd', header: 'view.col.fd', align: 'right',
    text: (s) => s.holders.filter((h) => h.pid === pid).map((h) => h.fd).join(','),
  };
  const shared: Column = {
    id: 'shared', header: 'view.col.shared', align: 'left',
    text: (s, o) => s.holders.filter((h) => h.pid !== pid).map((h) => holderText(h, o.lang)).join(', '),
    parts: (s, o) => s.holders.filter((h) => h.pid !== pid).map((h) => holderText(h, o.lang)),
  };
  return [fd, ...COLUMNS.filter((c) => c.id !== 'holders'), shared];
}

async function showProcesses(io: Io, p: ReturnType<typeof parseArgs>, pids: number[]): Promise<number> {
  const filter = filterFrom(p);
  // A process's own sockets are all of interest: TIME_WAIT has no holder anyway.
  const format = formatFrom(p);
  const sort = sortFrom(p, 'proto');
  if (reportMissingNetns(io, filter)) return 1;
  // Every namespace is read: a process in a container or an `ip netns exec` shell holds sockets of its own namespace.
  const snap = await query(io, { filter, pids });
  if (format !== 'table') {
    await writeSockets(io, snap.sockets, format, p, sort);
    reportHidden(io, snap);
    reportUnreadable(io, snap, pids);
    return snap.sockets.length ? 0 : 1;
  }
  const ropts = renderOptions(io, p);
  const explain = await explainerFor(io, p, format, snap.sockets);
  // Without a TCP/UDP filter the table also shows the Unix sockets each process holds (JSON: list -x --pid).
  const unix = Object.keys(filter).length === 0 && currentPlatform() === 'linux' ? await unixOf(io, pids) : undefined;
  let first = true;
  for (const pid of pids) {
    const info = await processInfo(pid, { procRoot: io.global.procRoot });
    const mine: Socket[] = snap.sockets.filter((s) => s.holders.some((h) => h.pid === pid));
    if (!first) await io.stdout.line('');
    first = false;
    const L = ropts.lang;
    // Name, user and command line are the process's own text: escaped, and the command line cut to the terminal unless --wide.
    const title = msg(L, 'pid.title', { pid, name: nameText(info?.name) }) + (info?.user ? msg(L, 'pid.user', { user: safeText(info.user) }) : '');
    // Who runs it (its cgroup): the container, else the systemd unit.
    const owner = info?.container ? msg(L, 'containers.pid.container', { container: containerPhrase(info.container, translator(L)) })
      : info?.unit !== undefined ? msg(L, 'containers.pid.unit', { unit: safeText(info.unit) }) : '';
    await io.stdout.line(paint(ropts.color, 'bold', title + owner));
    if (info?.command) await io.stdout.line(paint(ropts.color, 'dim', commandText(info.command, ropts.wide ? undefined : ropts.width)));
    if (snap.issues.some((i) => i.kind === 'permission-denied' && i.subject.endsWith(`/${pid}/fd`))) {
      await io.stdout.line(msg(L, 'pid.unreadable') + (snap.privileged ? '' : msg(L, 'pid.unreadable.sudo')));
      continue;
    }
    if (!mine.length) await io.stdout.line(msg(L, Object.keys(filter).length ? 'pid.none-matching' : 'pid.none'));
    else await renderTable(sortSockets(mine, sort), io.stdout, ropts, showsNamespaces(snap) ? withNetnsColumn(pidColumns(pid)) : pidColumns(pid), explain);
    const ux = unix?.sockets.filter((s) => s.holders.some((h) => h.pid === pid)) ?? [];
    if (ux.length && unix) {
      await io.stdout.line('');
      await io.stdout.line(msg(L, 'pid.unix', { n: ux.length }));
      await unix.render(ux, io.stdout, ropts);
    }
  }
  await io.stdout.flush();
  const backlog = backlogNote(snap, snap.sockets, ropts.lang);
  if (backlog) note(io, backlog);
  if (snap.source === 'windows-netstat' && pids.includes(4)) note(io, msg(ropts.lang, 'paste.note.windows-pid-4'));
  reportUnreadable(io, snap, pids);
  return snap.sockets.length ? 0 : 1;
}


/** The Unix sockets these processes hold, and how to draw them (both loaded only here). */
async function unixOf(io: Io, pids: readonly number[]): Promise<{ sockets: UnixSocket[]; render: (s: UnixSocket[], sink: Io['stdout'], o: RenderOptions) => Promise<void> } | undefined> {
  const { collectUnix } = await loadModule<typeof import('../../collectors/unix.js')>(new URL('../../collectors/unix.js', import.meta.url));
  const { renderUnixTable } = await loadModule<typeof import('../../views/unix.js')>(new URL('../../views/unix.js', import.meta.url));
  let snap;
  try {
    snap = await collectUnix(defaultContext({ procRoot: io.global.procRoot }), { pids });
  } catch {
    // No unix_diag (an old kernel, a recorded tree): the TCP/UDP answer stands alone.
    return undefined;
  }
  const all = [...snap.sockets, ...snap.peers];
  return { sockets: snap.sockets, render: (s, sink, o) => renderUnixTable(s, sink, o, all) };
}

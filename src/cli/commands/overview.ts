// sockscope with no command: the overview a person wants first.
import { renderOverview } from '../../views/overview.js';
import { UsageError, parseArgs } from '../args.js';
import { note, filterFrom, query, renderOptions, scanNotes, type Io } from '../common.js';
import { defaultContext } from '../../index.js';
import { loadModule } from '../load.js';
import { msg } from '../../explain/i18n.js';

const SPECS = [
  { name: 'tcp', short: 't' }, { name: 'udp', short: 'u' },
  { name: 'ipv4', short: '4' }, { name: 'ipv6', short: '6' },
  { name: 'numeric', short: 'n' },
  { name: 'wide', short: 'W' },
  // Only what these containers or units hold (the overview is grouped by them where they exist).
  { name: 'container', value: true, repeat: true }, { name: 'unit', value: true, repeat: true },
];

export async function overviewCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, SPECS);
  if (p.positionals.length) throw new UsageError('err.overview-args', { arg: p.positionals[0]! });
  const filter = filterFrom(p);
  // Listening Unix sockets too, unless the options narrow to TCP/UDP or IP families (a failure is a note, not the end).
  // Their table is read first, so that the one fd scan of the TCP/UDP query finds their holders as well.
  const wantUnix = !filter.protocols && !filter.families && io.global.source !== 'lsof';
  type UnixModule = typeof import('../../collectors/unix.js');
  let unixMod: UnixModule | undefined;
  let unixTable: Awaited<ReturnType<UnixModule['readUnixTable']>> | undefined;
  let unixFailed: Error | undefined;
  const ctx = defaultContext({ procRoot: io.global.procRoot });
  const unixSource = io.global.source === 'lsof' ? undefined : io.global.source;
  if (wantUnix) {
    try {
      unixMod = await loadModule<UnixModule>(new URL('../../collectors/unix.js', import.meta.url));
      unixTable = await unixMod.readUnixTable(ctx, { listening: true, source: unixSource });
    } catch (e) {
      unixFailed = e as Error;
    }
  }
  let scan: import('../../collectors/procfs/holders.js').HolderScan | undefined;
  // Everything, TIME_WAIT included: the connection counts per listener need it.
  const snap = await query(io, {
    filter: { ...filter, all: true },
    alsoInodes: unixTable ? new Set(unixTable.sockets.map((s) => s.inode)) : undefined,
    onHolderScan: unixTable ? (s) => { scan = s; } : undefined,
  });
  let unix: Awaited<ReturnType<UnixModule['collectUnix']>> | undefined;
  if (unixMod && unixTable) {
    try {
      unix = await unixMod.collectUnix(ctx, { listening: true, source: unixSource, table: unixTable, scan });
    } catch (e) {
      unixFailed = e as Error;
    }
  }
  if (unixFailed) {
    // A recorded tree without net/unix recorded no Unix sockets: nothing to say.
    const absent = (unixFailed.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && (io.global.procRoot ?? '/proc') !== '/proc';
    if (!absent) note(io, msg(io.global.lang, 'unix.overview.failed', { detail: unixFailed.message }));
  }
  await renderOverview(snap, io.stdout, renderOptions(io, p), unix?.sockets);
  if (unix?.source === 'proc' && unix.sockets.length) {
    const failed = unix.issues.find((i) => i.kind === 'source-fallback');
    note(io, msg(io.global.lang, 'unix.proc-note', { path: `${defaultContext({ procRoot: io.global.procRoot }).procRoot}/net/unix`,
      why: failed ? msg(io.global.lang, 'unix.proc-why', { detail: failed.detail }) : '' }));
  }
  for (const line of scanNotes(snap, io.global.lang)) note(io, line);
  return 0;
}

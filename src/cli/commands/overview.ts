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
  // Everything, TIME_WAIT included: the connection counts per listener need it.
  const filter = filterFrom(p);
  const snap = await query(io, { filter: { ...filter, all: true } });
  // Listening Unix sockets too, unless the options narrow to TCP/UDP or IP families (a failure is a note, not the end).
  let unix: Awaited<ReturnType<typeof import('../../collectors/unix.js').collectUnix>> | undefined;
  if (!filter.protocols && !filter.families && io.global.source !== 'lsof') {
    try {
      const { collectUnix } = await loadModule<typeof import('../../collectors/unix.js')>(new URL('../../collectors/unix.js', import.meta.url));
      unix = await collectUnix(defaultContext({ procRoot: io.global.procRoot }), { listening: true, source: io.global.source });
    } catch (e) {
      // A recorded tree without net/unix recorded no Unix sockets: nothing to say.
      const absent = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && (io.global.procRoot ?? '/proc') !== '/proc';
      if (!absent) note(io, msg(io.global.lang, 'unix.overview.failed', { detail: (e as Error).message }));
    }
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

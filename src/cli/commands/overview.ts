// sockscope with no command: the overview a person wants first.
import { renderOverview } from '../../views/overview.js';
import { UsageError, parseArgs } from '../args.js';
import { note, filterFrom, query, renderOptions, scanNotes, type Io } from '../common.js';

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
  const snap = await query(io, { filter: { ...filterFrom(p), all: true } });
  await renderOverview(snap, io.stdout, renderOptions(io, p));
  for (const line of scanNotes(snap, io.global.lang)) note(io, line);
  return 0;
}

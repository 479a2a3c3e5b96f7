// PLACEHOLDER, replaced by the watch command's own implementation (work in progress).
import { UsageError } from '../args.js';
import type { Io } from '../common.js';

export const WATCH_HELP = 'Usage: sockscope watch (not built yet)';

export async function watchCommand(_argv: string[], _io: Io): Promise<number> {
  throw new UsageError('sockscope watch is not built yet');
}

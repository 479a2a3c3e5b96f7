// PLACEHOLDER, replaced by the explain command's own implementation (work in progress).
import { UsageError } from '../args.js';
import type { Io } from '../common.js';

export const EXPLAIN_HELP = 'Usage: sockscope explain (not built yet)';

export async function explainCommand(_argv: string[], _io: Io): Promise<number> {
  throw new UsageError('sockscope explain is not built yet');
}

// PLACEHOLDER, replaced by the lab command's own implementation (work in progress).
import { UsageError } from '../args.js';
import type { Io } from '../common.js';

export const LAB_HELP = 'Usage: sockscope lab (not built yet)';

export async function labCommand(_argv: string[], _io: Io): Promise<number> {
  throw new UsageError('sockscope lab is not built yet');
}

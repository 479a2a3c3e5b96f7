// PLACEHOLDER until the pasted-output parsers land (src/collectors/text/).
import { UsageError } from '../args.js';
import type { Io } from '../common.js';

export async function explainPasted(_io: Io, _input: string, _numeric: boolean): Promise<number> {
  throw new UsageError('explain --input is not built yet');
}

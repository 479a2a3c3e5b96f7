// Paths shared by the tests: fixtures live in the source tree, next to test/.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root (tests run from dist/test/, two levels below it). */
export const ROOT = resolve(here, '..', '..');
export const FIXTURES = resolve(ROOT, 'test', 'fixtures');
export const BIN = resolve(ROOT, 'bin', 'sockscope.js');

import { spawnSync } from 'node:child_process';

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Run the real CLI (node bin/sockscope.js) with extra environment; bounded to 30 s. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

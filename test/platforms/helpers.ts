// Shared by the platform tests: run the whole CLI with another platform's
// recorded command output (the replay test seam of src/index.ts).
import { resolve } from 'node:path';
import { FIXTURES, ROOT, runCli, type CliResult } from '../helpers.js';

/** The shared corpus of real captures, read in place (never copied into the project). */
export const CORPUS = resolve(ROOT, '..', 'shared', 'corpus', 'pasted');

/** `sockscope ARGS` as if on `platform`, its tools answered from test/fixtures/<dir>/. */
export function runAs(platform: 'win32' | 'darwin', dir: string, args: readonly string[], env: Record<string, string> = {}): CliResult {
  return runCli(['--no-color', '--lang', 'en', ...args], {
    SOCKSCOPE_PLATFORM: platform, SOCKSCOPE_EXEC_REPLAY: resolve(FIXTURES, dir), SOCKSCOPE_REPLAY_CORPUS: CORPUS, ...env,
  });
}

/** The JSON array a --json run printed. */
export function rows(r: CliResult): Array<Record<string, unknown> & { holders: Array<Record<string, unknown>> }> {
  return JSON.parse(r.out) as Array<Record<string, unknown> & { holders: Array<Record<string, unknown>> }>;
}

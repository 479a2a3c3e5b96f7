// What to say when the open-file limit (ulimit -n) is too low to run. This
// module is loaded before the rest of the CLI (bin/sockscope.js) and imports
// only node:fs and the catalogs, so it is there even when loading the others
// fails for want of a file descriptor.
import { readFileSync } from 'node:fs';
import { coreCatalog, langFromEnv, msg, parseLang, type Lang } from '../explain/i18n.js';

/**
 * The open-file limit we ask for. Measured with `prlimit --nofile=N` on Node
 * 20 (test/cli/low-fd-limit.test.ts): Node itself needs 18 to run a script at
 * all (14 for its own loops and threads, the standard streams, the script);
 * sockscope's commands answer from 19-21, and up to ~26 when the holder scan
 * runs beside the netlink read. 64 leaves room for busier machines.
 */
export const FD_NEEDED = 64;

/** True for "this process has no file descriptor left", said by the error or by one of its causes. */
export function isFdExhausted(e: unknown): boolean {
  for (let c = e, depth = 0; c !== null && typeof c === 'object' && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if ((c as NodeJS.ErrnoException).code === 'EMFILE') return true;
  }
  return false;
}

/** The soft open-file limit from /proc/self/limits; undefined when it cannot be read. */
export function openFileLimit(procRoot = '/proc'): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync(`${procRoot}/self/limits`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The output language from argv and the environment, never throwing (for error messages). */
export function langOf(argv: readonly string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === '--lang' ? argv[i + 1] : a.startsWith('--lang=') ? a.slice(7) : undefined;
    const lang = v === undefined ? undefined : parseLang(v);
    if (lang) return lang;
  }
  return langFromEnv(env);
}

let limitAtStart: number | undefined;

/**
 * Read the catalog of the language in use and the limit now, while a file
 * descriptor is surely free: the sentence about the limit must not need one.
 */
export function preloadCatalog(lang: Lang): void {
  limitAtStart = openFileLimit();
  try {
    coreCatalog(lang); // the err.* keys are in the core (gen-catalogs.mjs)
  } catch {
    // Said later, when msg() reads it again and fails for a reason worth showing.
  }
}

/** The one line that says the limit is too low, and what to raise it to. */
export function fdLimitLine(lang: Lang): string {
  const limit = limitAtStart ?? openFileLimit();
  return `sockscope: ${limit === undefined ? msg(lang, 'err.fd-limit-unknown', { need: FD_NEEDED }) : msg(lang, 'err.fd-limit', { limit, need: FD_NEEDED })}`;
}

// How collectors run the platform's own tools (netstat, tasklist, PowerShell,
// lsof, ps): one injectable function, so that tests replay recorded output
// instead (the way psutil's PROCFS_PATH lets tests read a recorded /proc).
// node:child_process is loaded on the first run, not with the module: it pulls
// in net, dgram and their streams (~2 ms), which a Linux `sockscope list` never uses.

/** Runs a program: argv in, stdout bytes and exit code out (or the error when it could not run). */
export type Exec = (file: string, args: readonly string[]) => Promise<{ stdout: Buffer; code: number | null }>;

/** At most this much output of one program is read. */
const MAX_OUTPUT = 256 * 1024 * 1024;

/**
 * The real programs. Any exit status is handed back (netstat and tasklist say
 * "nothing" with 0, lsof with 1, ps with 1): the collector decides what it
 * means. Rejects when the program cannot run at all (not installed: ENOENT)
 * or runs past `timeoutMs`.
 */
export function systemExec(timeoutMs = 60_000): Exec {
  return async (file, args) => {
    const { execFile } = await import('node:child_process');
    return new Promise((resolve, reject) => execFile(file, [...args], { encoding: 'buffer', maxBuffer: MAX_OUTPUT, timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      if (err) {
        const code = (err as { code?: unknown }).code;
        // A number is the program's exit status: it ran. Anything else (ENOENT, a kill by the timeout) is a failure to run.
        if (typeof code !== 'number' || (err as { killed?: boolean }).killed) return reject(err);
        return resolve({ stdout: stdout as Buffer, code });
      }
      resolve({ stdout: stdout as Buffer, code: 0 });
    }));
  };
}

/**
 * TEST SEAM, not for production: an Exec that answers from recorded output
 * instead of running anything. `dir` holds an exec.json:
 *   { "sockscope-replay": 1,
 *     "commands": [ { "argv": ["netstat", "-ano"], "stdout": "netstat-ano.txt" },
 *                   { "argv": ["powershell.exe", "*"], "stdout": "cim-1234.json" } ] }
 * A "*" as the last argv item matches any further arguments. `"run": true`
 * runs the real program instead (the BSDs' lsof and ps are the same programs
 * as on Linux: that is how their path is tested live here). A stdout path is
 * relative to `dir`, or "corpus:<path>" for a file of the shared corpus of real
 * captures (`corpusRoot`, from SOCKSCOPE_REPLAY_CORPUS). A command that was not
 * recorded fails as a program that is not installed does (ENOENT).
 * Used only when SOCKSCOPE_EXEC_REPLAY names such a directory (src/index.ts);
 * without the "sockscope-replay" marker the directory is refused.
 */
export function replayExec(dir: string, corpusRoot?: string): Exec {
  let table: { argv: string[]; stdout?: string; code?: number; run?: boolean }[] | undefined;
  const load = async (): Promise<NonNullable<typeof table>> => {
    if (table) return table;
    const { readFile } = await import('node:fs/promises');
    const raw = JSON.parse(await readFile(`${dir}/exec.json`, 'utf8')) as Record<string, unknown>;
    if (raw['sockscope-replay'] !== 1 || !Array.isArray(raw['commands'])) {
      throw new Error(`${dir}/exec.json is not a sockscope replay (no "sockscope-replay": 1)`);
    }
    table = raw['commands'] as NonNullable<typeof table>;
    return table;
  };
  const matches = (want: readonly string[], file: string, args: readonly string[]): boolean => {
    const got = [file, ...args];
    const star = want[want.length - 1] === '*';
    const fixed = star ? want.slice(0, -1) : want;
    if (star ? got.length < fixed.length : got.length !== fixed.length) return false;
    return fixed.every((w, i) => w === got[i]);
  };
  return async (file, args) => {
    const entry = (await load()).find((c) => matches(c.argv, file, args));
    if (!entry) {
      const err = new Error(`${file} ${args.join(' ')}: not recorded in ${dir}`) as NodeJS.ErrnoException;
      err.code = 'ENOENT';
      throw err;
    }
    if (entry.run === true) return systemExec()(file, args);
    const { readFile } = await import('node:fs/promises');
    let stdout = Buffer.alloc(0);
    if (entry.stdout !== undefined) {
      const path = entry.stdout.startsWith('corpus:')
        ? `${corpusRoot ?? (() => { throw new Error('SOCKSCOPE_REPLAY_CORPUS is not set'); })()}/${entry.stdout.slice(7)}`
        : `${dir}/${entry.stdout}`;
      stdout = await readFile(path);
    }
    return { stdout, code: entry.code ?? 0 };
  };
}

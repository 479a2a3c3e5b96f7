// How collectors run the platform's own tools (netstat, tasklist, PowerShell,
// lsof, ps): one injectable function, so that tests replay recorded output
// instead (the way psutil's PROCFS_PATH lets tests read a recorded /proc).
import { execFile } from 'node:child_process';

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
  return (file, args) => new Promise((resolve, reject) => {
    execFile(file, [...args], { encoding: 'buffer', maxBuffer: MAX_OUTPUT, timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      if (err) {
        const code = (err as { code?: unknown }).code;
        // A number is the program's exit status: it ran. Anything else (ENOENT, a kill by the timeout) is a failure to run.
        if (typeof code !== 'number' || (err as { killed?: boolean }).killed) return reject(err);
        return resolve({ stdout: stdout as Buffer, code });
      }
      resolve({ stdout: stdout as Buffer, code: 0 });
    });
  });
}

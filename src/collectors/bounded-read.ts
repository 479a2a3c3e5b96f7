// Reading files whose size and type we do not control: /proc/<pid>/{comm,cmdline,
// status,stat}, the /proc/net tables, a recorded tree given with --proc-root, the
// passwd file, and `explain --input`. A recorded tree can hold a 300 MB cmdline, a
// comm that is a symlink to /dev/zero, a FIFO that never ends or a symlink loop;
// readFileSync() would grow without limit (or block) on each of them.
//
// The rules, in one place:
//  - only regular files are read (after following symlinks). /proc pseudo-files are
//    regular files that stat as size 0, so the size is never trusted: every read
//    stops at a byte cap.
//  - the file is opened O_NONBLOCK, so opening a FIFO cannot hang; its type is then
//    checked on the open descriptor (fstat), so a swap after a check cannot fool us.
//  - a file longer than its cap is cut at the cap and said so (`truncated`); the
//    caller records that as an issue, never silently.
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

// The caps (also in docs/json.md, "Limits"):
export const CAPS = {
  /** /proc/PID/comm: the kernel writes at most 64 bytes (TASK_COMM_LEN 16; workqueue names up to 64). */
  comm: 4 * 1024,
  /** /proc/PID/cmdline: argv can reach a few MB (a quarter of the stack limit); 1 MiB shows any real one whole. */
  cmdline: 1024 * 1024,
  /** /proc/PID/status and stat: about 1.5 KB and 300 B on current kernels. */
  status: 64 * 1024,
  /** The passwd file (uid -> user name). */
  passwd: 32 * 1024 * 1024,
  /** One-value files under /proc/sys. */
  sysValue: 4 * 1024,
  /** /proc/net/netstat and /proc/net/snmp: a few KB of counters. */
  counters: 1024 * 1024,
  /**
   * Each /proc/net/{tcp,tcp6,udp,udp6} table, read in chunks as it is parsed: ~150
   * bytes a socket, so 256 MiB is about 1.7 million sockets. A longer table is cut
   * there and a 'truncated' issue is recorded.
   */
  netTable: 256 * 1024 * 1024,
  /** One line of a /proc/net table: real ones are under 200 bytes. */
  netLine: 4 * 1024,
  /** `explain --input`: pasted or redirected tool output. */
  pasted: 64 * 1024 * 1024,
} as const;

/** A cap in words for notes: "1 MiB", "4 KiB", "300 B". */
export function capText(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Error code given when the path is not a regular file (a device, FIFO, socket, directory). */
export const NOT_REGULAR = 'ENOTREG';

export interface BoundedRead {
  bytes: Buffer;
  /** The file went on past the cap: `bytes` is its first `cap` bytes. */
  truncated: boolean;
}

function notRegular(path: string, what: string): NodeJS.ErrnoException {
  const e = new Error(`${path} is not a regular file (${what})`) as NodeJS.ErrnoException;
  e.code = what === 'directory' ? 'EISDIR' : NOT_REGULAR;
  e.path = path;
  return e;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | (fsConstants.O_NOCTTY ?? 0);

/**
 * Open `path` (following symlinks) for reading if it is a regular file; throws an
 * ErrnoException (ENOENT, EACCES, ELOOP, EISDIR, ENOTREG...) otherwise.
 */
function openRegular(path: string): number {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, kindOf(st));
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Read at most `cap` bytes of the regular file `path`. Throws like openSync does
 * (ENOENT, EACCES, ELOOP, ESRCH...) and with EISDIR / ENOTREG for anything that is
 * not a regular file.
 */
export function readBounded(path: string, cap: number): BoundedRead {
  const fd = openRegular(path);
  try {
    // Size 0 (every /proc file) says nothing: start small and grow to the cap.
    let buf = Buffer.allocUnsafe(Math.min(cap + 1, 16 * 1024));
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len > cap) break;
        const bigger = Buffer.allocUnsafe(Math.min(cap + 1, buf.length * 4));
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    const truncated = len > cap;
    return { bytes: buf.subarray(0, Math.min(len, cap)), truncated };
  } finally {
    closeSync(fd);
  }
}

/**
 * Read the regular file `path` in chunks of `chunk` bytes, handing each to
 * `onChunk` (the buffer is reused: copy what you keep), stopping after `cap`
 * bytes. Returns whether the file went on past the cap. Throws as readBounded.
 */
export function readChunks(path: string, cap: number, onChunk: (bytes: Buffer) => void, chunk = 1024 * 1024): { bytes: number; truncated: boolean } {
  const fd = openRegular(path);
  try {
    const buf = Buffer.allocUnsafe(chunk);
    let total = 0;
    for (;;) {
      const want = Math.min(chunk, cap - total);
      if (want <= 0) {
        // At the cap: one more byte tells a file of exactly `cap` bytes from a longer one.
        const n = readSync(fd, buf, 0, 1, null);
        return { bytes: total, truncated: n > 0 };
      }
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) return { bytes: total, truncated: false };
      total += n;
      onChunk(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** Read a stream (stdin, a pipe) to its end or `cap` bytes, whichever comes first. */
export async function readStreamBounded(stream: NodeJS.ReadableStream & { destroy?: () => void }, cap: number): Promise<BoundedRead> {
  const parts: Buffer[] = [];
  let len = 0;
  let truncated = false;
  for await (const piece of stream as AsyncIterable<Buffer | string>) {
    const b = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (len + b.length > cap) {
      parts.push(b.subarray(0, cap - len));
      len = cap;
      truncated = true;
      break;
    }
    parts.push(b);
    len += b.length;
  }
  if (truncated) stream.destroy?.();
  return { bytes: Buffer.concat(parts, len), truncated };
}

/**
 * Bytes of `explain --input FILE` (or stdin for "-"), at most CAPS.pasted (then
 * `truncated`, which the caller refuses). Unlike the proc tree, the user names this
 * file, and a pipe (`--input <(netstat -an)`) or /dev/null is a fair thing to name:
 * anything but a directory is read, and the cap bounds even /dev/zero.
 */
export async function readPastedInput(file: string, cap: number = CAPS.pasted): Promise<BoundedRead> {
  if (file === '-') return readStreamBounded(process.stdin, cap);
  const st = statSync(file);
  if (st.isDirectory()) throw notRegular(file, kindOf(st));
  if (st.isFile()) return readBounded(file, cap);
  const { createReadStream } = await import('node:fs');
  return readStreamBounded(createReadStream(file), cap);
}

// The only code that reads argv, writes to stdout/stderr and sets exit codes.
import { statSync } from 'node:fs';
import { UsageError, didYouMean, nearest } from './args.js';
import type { GlobalOptions, Io } from './common.js';
import { fdLimitLine, isFdExhausted, langOf } from './fd-limit.js';
import { loadModule } from './load.js';
import { Sink } from '../views/sink.js';
import { LANGS, catalog, langFromEnv, msg, parseLang, renderRef, type Lang, type MessageKey, type MsgParam } from '../explain/i18n.js';
import { safeText } from '../views/safe-text.js';

const VERSION = '0.1.0';

const COMMANDS = ['list', 'ls', 'port', 'pid', 'process', 'kill', 'explain', 'lab', 'watch', 'doctor', 'exporter', 'web', 'trace', 'help'] as const;
type Command = (typeof COMMANDS)[number];
/** Commands built on the Linux live collector or on packets: refused in one line on other platforms. */
const LINUX_ONLY: ReadonlySet<Command> = new Set(['watch', 'doctor', 'exporter', 'web', 'trace', 'lab']);

const GLOBAL_VALUE = new Set(['--source', '--proc-root', '--lang']);
const GLOBAL_FLAG = new Set(['--no-color', '--version']);

/** Pull the global options out of argv, wherever they are. */
export function splitGlobal(argv: readonly string[], env: NodeJS.ProcessEnv, tty: { isTTY: boolean; columns?: number }):
  { global: GlobalOptions; rest: string[]; version: boolean } {
  const rest: string[] = [];
  const global: GlobalOptions = {
    source: 'auto', color: tty.isTTY && env['NO_COLOR'] === undefined,
    // A terminal that reports 0 columns (a pty nobody sized) is taken as 80 wide, not as 0.
    width: tty.isTTY ? (tty.columns !== undefined && tty.columns > 0 ? tty.columns : 80) : undefined,
    lang: langFromEnv(env),
  };
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { rest.push(...argv.slice(i)); break; }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (GLOBAL_VALUE.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError('err.needs-value', { name });
      if (name === '--source') {
        if (v !== 'auto' && v !== 'netlink' && v !== 'proc' && v !== 'lsof') throw new UsageError('err.invalid-source', { text: v });
        global.source = v;
      } else if (name === '--lang') {
        const lang = parseLang(v);
        if (!lang) throw new UsageError('err.invalid-lang', { text: v, langs: LANGS.join(' / ') });
        global.lang = lang;
      } else {
        global.procRoot = v;
      }
      continue;
    }
    if (GLOBAL_FLAG.has(a)) {
      if (a === '--no-color') global.color = false;
      else version = true;
      continue;
    }
    rest.push(a);
  }
  return { global, rest, version };
}

/** A command's module, loaded on demand (see load.ts for why not import()). */
function load<T>(specifier: string): Promise<T> {
  return loadModule<T>(new URL(specifier, import.meta.url));
}

async function dispatch(command: Command | undefined, args: string[], io: Io): Promise<number> {
  switch (command) {
    case undefined: return (await load<typeof import('./commands/overview.js')>('./commands/overview.js')).overviewCommand(args, io);
    case 'list':
    case 'ls': return (await load<typeof import('./commands/list.js')>('./commands/list.js')).listCommand(args, io);
    case 'port': return (await load<typeof import('./commands/port.js')>('./commands/port.js')).portCommand(args, io);
    case 'pid': return (await load<typeof import('./commands/pid.js')>('./commands/pid.js')).pidCommand(args, io);
    case 'process': return (await load<typeof import('./commands/pid.js')>('./commands/pid.js')).processCommand(args, io);
    case 'explain': return (await load<typeof import('./commands/explain.js')>('./commands/explain.js')).explainCommand(args, io);
    case 'lab': return (await load<typeof import('./commands/lab.js')>('./commands/lab.js')).labCommand(args, io);
    case 'kill': return (await load<typeof import('./commands/kill.js')>('./commands/kill.js')).killCommand(args, io);
    case 'watch': return (await load<typeof import('./commands/watch.js')>('./commands/watch.js')).watchCommand(args, io);
    case 'doctor': return (await load<typeof import('./commands/doctor.js')>('./commands/doctor.js')).doctorCommand(args, io);
    case 'exporter': return (await load<typeof import('./commands/exporter.js')>('./commands/exporter.js')).exporterCommand(args, io);
    case 'web': return (await load<typeof import('./commands/web.js')>('./commands/web.js')).webCommand(args, io);
    case 'trace': return (await load<typeof import('./commands/trace.js')>('./commands/trace.js')).traceCommand(args, io);
    case 'help': return helpCommand(args, io);
  }
}

/**
 * Refuse a --proc-root (or SOCKSCOPE_PROC_ROOT) that is not a readable
 * directory before any command runs: one line that names the option, the
 * path and the reason, instead of the first file the scan failed to open.
 */
function checkProcRoot(option: string, path: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError('err.proc-root-unreadable', { option, path, reason: errnoRef(code, (e as Error).message) });
  }
  if (!isDir) throw new UsageError('err.proc-root-not-dir', { option, path });
}

/** An errno said in words: the catalog's sentence for common codes, else the system's message. */
function errnoRef(code: string | undefined, message: string): MsgParam {
  const key = `err.errno.${code}` as MessageKey;
  return code !== undefined && key in catalog('en') ? { key } : messageOnce(code, message);
}

/** "ENOENT: no such file…" with the code said once: Node's messages already begin with it. */
function messageOnce(code: string | undefined, message: string): string {
  if (code === undefined || message.includes(code)) return message;
  return `${message} (${code})`;
}

/** The error and its causes, for SOCKSCOPE_DEBUG. */
function stackWithCauses(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    parts.push((depth ? 'Caused by: ' : '') + String((c as Error).stack ?? c));
  }
  return parts.join('\n');
}

/** True for a failed write to our own output (a full disk, /dev/full, a closed pipe). */
function isOutputError(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.syscall === 'write';
}

/** Exit status when the output could not be written (help.main documents it). */
export const EXIT_OUTPUT = 4;

/** The one line said when stdout cannot be written. */
function outputErrorLine(e: NodeJS.ErrnoException, lang: Lang): string {
  return `sockscope: ${renderRef(lang, { key: 'err.write-failed', params: { reason: errnoRef(e.code, e.message) } })}`;
}

/** Resolves once everything written to the stream so far has been handed to the OS (the write callbacks ran). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    // Writes complete in order: this empty write's callback runs after all earlier ones.
    stream.write('', () => resolve());
    stream.once('close', () => resolve());
  });
}

async function helpCommand(args: string[], io: Io): Promise<number> {
  if (args.length > 1) throw new UsageError('err.help-args', { args: args.join(' ') });
  const topic = args[0] === 'ls' ? 'list' : args[0];
  if (topic !== undefined && topic !== 'help' && !(COMMANDS as readonly string[]).includes(topic)) throw unknownCommand(topic);
  if (topic === 'lab') {
    const { EXPERIMENT_NAMES } = await import('../lab/experiments/index.js');
    await io.stdout.line(msg(io.global.lang, 'help.lab', { experiments: EXPERIMENT_NAMES.join(', ') }));
  } else {
    const key = topic === undefined || topic === 'help' ? 'help.main' : (`help.${topic}` as MessageKey);
    await io.stdout.line(msg(io.global.lang, key, { version: VERSION }));
  }
  return 0;
}

function unknownCommand(word: string): UsageError {
  const guess = nearest(word, COMMANDS);
  return new UsageError('err.unknown-command', { word, hint: didYouMean(guess, true) });
}

/** Run the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Omit<Io, 'global'>, env: NodeJS.ProcessEnv,
  tty: { isTTY: boolean; columns?: number }): Promise<number> {
  try {
    const { global, rest, version } = splitGlobal(argv, env, tty);
    const full: Io = { ...io, global };
    // The replay test seam (src/index.ts currentPlatform) is never silent.
    if (env['SOCKSCOPE_EXEC_REPLAY']) full.stderr(`sockscope: ${msg(global.lang, 'platform.replay', { platform: safeText(env['SOCKSCOPE_PLATFORM'] ?? process.platform), dir: safeText(env['SOCKSCOPE_EXEC_REPLAY']) })}`);
    // --version prints the version and nothing else: a word beside it was meant for something.
    if (version && rest.length) throw new UsageError('err.version-args', { args: rest.join(' ') });
    if (version) {
      await full.stdout.line(VERSION);
      await full.stdout.flush();
      return 0;
    }
    // The command, if any, comes first (global options aside): a leading word
    // is a command, a leading option means the overview.
    let command: Command | undefined;
    let args = rest;
    const word = rest[0];
    if (word !== undefined && !word.startsWith('-')) {
      if (!(COMMANDS as readonly string[]).includes(word)) throw unknownCommand(word);
      command = word as Command;
      args = rest.slice(1);
    }
    if (command === undefined && (args.includes('-h') || args.includes('--help'))) {
      await full.stdout.line(msg(global.lang, 'help.main', { version: VERSION }));
      await full.stdout.flush();
      return 0;
    }
    // Help and --version read no /proc: only the commands that do check the tree first.
    if (command !== 'help' && !args.includes('-h') && !args.includes('--help')) {
      if (global.procRoot !== undefined) checkProcRoot('--proc-root', global.procRoot);
      else if (env['SOCKSCOPE_PROC_ROOT']) checkProcRoot('SOCKSCOPE_PROC_ROOT', env['SOCKSCOPE_PROC_ROOT']);
    }
    // These read Linux's kernel directly (the live netlink/proc collector, packets): elsewhere, say so instead of reading a /proc that is not there.
    if (command !== undefined && LINUX_ONLY.has(command) && !args.includes('-h') && !args.includes('--help')) {
      const { currentPlatform } = await load<typeof import('../index.js')>('../index.js');
      const platform = currentPlatform();
      if (platform !== 'linux') {
        full.stderr(`sockscope: ${msg(global.lang, 'platform.linux-only', { command, platform })}`);
        return 3;
      }
    }
    const code = await dispatch(command, args, full);
    await full.stdout.flush();
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      // In the language asked for, even when --lang itself was the mistake (then: the environment's).
      // The message may quote what was typed or pasted (a name, a path): escaped here, once for every
      // usage error (its parameters are passed raw), never terminal control.
      io.stderr(`sockscope: ${safeText(e.render(langOf(argv, env)))}`);
      return 2;
    }
    const lang = langOf(argv, env);
    const err = e as NodeJS.ErrnoException;
    if (env['SOCKSCOPE_DEBUG']) io.stderr(stackWithCauses(e));
    if (isOutputError(e)) {
      if (err.code === 'EPIPE') return 0;
      io.stderr(outputErrorLine(err, lang));
      return EXIT_OUTPUT;
    }
    if (isFdExhausted(e)) {
      io.stderr(fdLimitLine(lang));
      return 3;
    }
    io.stderr(`sockscope: ${safeText(messageOnce(err.code, err.message ?? String(e)))}`);
    return 3;
  }
}

/** The process entry: wire main() to the real streams. */
export async function run(): Promise<void> {
  const stdout = Sink.of(process.stdout);
  const argv = process.argv.slice(2);
  // A write to stdout that fails ends the program at once, whatever it was
  // doing: EPIPE (e.g. `sockscope list | head`) quietly, like other CLI tools;
  // anything else (a full disk, /dev/full) with one line and exit 4, never a
  // stack trace, never a throw from inside a native callback.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') {
      try {
        process.stderr.write(outputErrorLine(e, langOf(argv, process.env)) + '\n');
      } catch {
        // stderr is gone too: the exit status still says it.
      }
    }
    process.exit(e.code === 'EPIPE' ? 0 : EXIT_OUTPUT);
  });
  // Errors on stderr itself (2>/dev/full) are not worth dying for: the exit status says what matters.
  process.stderr.on('error', () => undefined);
  const code = await main(argv, { stdout, stderr: (l) => process.stderr.write(l + '\n') }, process.env,
    { isTTY: process.stdout.isTTY === true, columns: process.stdout.columns });
  // Exit now rather than when the event loop drains: a holder scan started
  // early and then not needed (a free port) must not delay the answer. But
  // only once stdout and stderr have taken everything written: to a pipe whose
  // reader is slower than us (a pager, a busy pipeline) Node writes
  // asynchronously, and an exit while output is still queued drops its end.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

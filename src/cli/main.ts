// The only code that reads argv, writes to stdout/stderr and sets exit codes.
import { UsageError, didYouMean, nearest } from './args.js';
import type { GlobalOptions, Io } from './common.js';
import { Sink } from '../views/sink.js';
import { safeText } from '../views/safe-text.js';
import { LANGS, langFromEnv, msg, parseLang, type Lang, type MessageKey } from '../explain/i18n.js';

const VERSION = '0.1.0';

const COMMANDS = ['list', 'ls', 'port', 'pid', 'process', 'explain', 'lab', 'watch', 'help'] as const;
type Command = (typeof COMMANDS)[number];

const GLOBAL_VALUE = new Set(['--source', '--proc-root', '--lang']);
const GLOBAL_FLAG = new Set(['--no-color', '--version']);

/** Pull the global options out of argv, wherever they are. */
export function splitGlobal(argv: readonly string[], env: NodeJS.ProcessEnv, tty: { isTTY: boolean; columns?: number }):
  { global: GlobalOptions; rest: string[]; version: boolean } {
  const rest: string[] = [];
  const global: GlobalOptions = {
    source: 'auto', color: tty.isTTY && env['NO_COLOR'] === undefined, width: tty.isTTY ? tty.columns ?? 80 : undefined,
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
        if (v !== 'auto' && v !== 'netlink' && v !== 'proc') throw new UsageError('err.invalid-source', { text: v });
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

async function dispatch(command: Command | undefined, args: string[], io: Io): Promise<number> {
  switch (command) {
    case undefined: return (await import('./commands/overview.js')).overviewCommand(args, io);
    case 'list':
    case 'ls': return (await import('./commands/list.js')).listCommand(args, io);
    case 'port': return (await import('./commands/port.js')).portCommand(args, io);
    case 'pid': return (await import('./commands/pid.js')).pidCommand(args, io);
    case 'process': return (await import('./commands/pid.js')).processCommand(args, io);
    case 'explain': return (await import('./commands/explain.js')).explainCommand(args, io);
    case 'lab': return (await import('./commands/lab.js')).labCommand(args, io);
    case 'watch': return (await import('./commands/watch.js')).watchCommand(args, io);
    case 'help': return helpCommand(args, io);
  }
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

/** The output language from argv and the environment, never throwing (for error messages). */
function langOf(argv: readonly string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === '--lang' ? argv[i + 1] : a.startsWith('--lang=') ? a.slice(7) : undefined;
    const lang = v === undefined ? undefined : parseLang(v);
    if (lang) return lang;
  }
  return langFromEnv(env);
}

/** Run the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Omit<Io, 'global'>, env: NodeJS.ProcessEnv,
  tty: { isTTY: boolean; columns?: number }): Promise<number> {
  try {
    const { global, rest, version } = splitGlobal(argv, env, tty);
    const full: Io = { ...io, global };
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
    const code = await dispatch(command, args, full);
    await full.stdout.flush();
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      // In the language asked for, even when --lang itself was the mistake (then: the environment's).
      // The message may quote what was typed or pasted (a name, a path): escaped, never terminal control.
      io.stderr(`sockscope: ${safeText(e.render(langOf(argv, env)))}`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    io.stderr(`sockscope: ${safeText(`${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`)}`);
    if (env['SOCKSCOPE_DEBUG']) io.stderr(String(err.stack));
    return 3;
  }
}

/** The process entry: wire main() to the real streams. */
export async function run(): Promise<void> {
  const stdout = Sink.of(process.stdout);
  // EPIPE (e.g. `sockscope list | head`) ends the program quietly, like other CLI tools.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const code = await main(process.argv.slice(2), { stdout, stderr: (l) => process.stderr.write(l + '\n') }, process.env,
    { isTTY: process.stdout.isTTY === true, columns: process.stdout.columns });
  // Exit now rather than when the event loop drains: a holder scan started
  // early and then not needed (a free port) must not delay the answer. Writes
  // to pipes, files and terminals are synchronous on Linux, so nothing is lost.
  process.exit(code);
}

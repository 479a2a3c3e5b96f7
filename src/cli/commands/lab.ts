// sockscope lab: re-run the seed documents' socket experiments on this machine,
// each a script of steps played by real child processes and watched through
// sockscope's own collector. The experiments live in src/lab/.
import { didYouMean, parseArgs, nearest, UsageError } from '../args.js';
import type { Io } from '../common.js';
import { msg } from '../../explain/i18n.js';
import { EXPERIMENTS, EXPERIMENT_NAMES, experiment } from '../../lab/experiments/index.js';
import { runLab } from '../../lab/runner.js';

/** Lines typed on stdin, one Enter at a time; false once input has ended. */
function enterReader(stdin: NodeJS.ReadStream): { wait(): Promise<boolean>; close(): void } {
  let buffered = 0;
  let ended = false;
  let waiter: ((more: boolean) => void) | undefined;
  const onData = (d: Buffer | string): void => {
    for (const ch of d.toString()) if (ch === '\n') buffered++;
    if (waiter && buffered > 0) { buffered--; const w = waiter; waiter = undefined; w(true); }
  };
  const onEnd = (): void => {
    ended = true;
    if (waiter) { const w = waiter; waiter = undefined; w(false); }
  };
  let started = false;
  return {
    wait() {
      if (!started) {
        started = true;
        stdin.on('data', onData);
        stdin.on('end', onEnd);
        stdin.on('error', onEnd);
        stdin.resume();
      }
      if (buffered > 0) { buffered--; return Promise.resolve(true); }
      if (ended) return Promise.resolve(false);
      return new Promise((resolve) => { waiter = resolve; });
    },
    close() {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      if (started) stdin.pause();
      // Let the process end even though stdin is still open.
      (stdin as unknown as { unref?: () => void }).unref?.();
    },
  };
}

export async function labCommand(argv: string[], io: Io): Promise<number> {
  if (io.global.source === 'lsof') throw new UsageError('err.source-lsof-live');
  const p = parseArgs(argv, [{ name: 'auto' }, { name: 'packets' }, { name: 'no-packets' }, { name: 'help', short: 'h' }]);
  const L = io.global.lang;
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.lab', { experiments: EXPERIMENT_NAMES.join(', ') }));
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError('err.lab-args', { args: p.positionals.join(' ') });
  const name = p.positionals[0];
  if (name === undefined) {
    if (p.flags.has('auto')) throw new UsageError('err.lab-auto');
    await io.stdout.line(msg(L, 'lab.list.header'));
    const w = Math.max(...EXPERIMENT_NAMES.map((n) => n.length));
    for (const e of EXPERIMENTS) await io.stdout.line(`  ${e.name.padEnd(w)}  ${msg(L, e.make().summary)}`);
    await io.stdout.line('');
    await io.stdout.line(msg(L, 'lab.list.footer'));
    return 0;
  }
  const exp = experiment(name);
  if (!exp) {
    const guess = nearest(name, EXPERIMENT_NAMES);
    throw new UsageError('err.unknown-experiment', { name, hint: didYouMean(guess, true), names: EXPERIMENT_NAMES.join(', ') });
  }

  const auto = p.flags.has('auto');
  if (p.flags.has('packets') && p.flags.has('no-packets')) throw new UsageError('err.lab-packets-both');
  // Undefined: the experiment's default (backlog, close and buffers show their packets when allowed).
  const packets = p.flags.has('packets') ? true : p.flags.has('no-packets') ? false : undefined;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const input = auto ? undefined : enterReader(process.stdin);
  try {
    const result = await runLab(exp, {
      lang: L, sink: io.stdout, color: io.global.color, width: io.global.width, auto,
      waitForEnter: input ? () => input.wait() : undefined,
      signal: controller.signal,
      source: io.global.source, procRoot: io.global.procRoot,
      labId: process.env['SOCKSCOPE_LAB_ID'] || undefined,
      packets,
    });
    await io.stdout.flush();
    if (result.aborted) return 130;
    if (!result.ok) {
      for (const f of result.failures) {
        io.stderr(`sockscope lab ${exp.name}: ${msg(L, 'lab.result.failure', { ...f })}`);
      }
      if (result.stopped) io.stderr(`sockscope lab ${exp.name}: ${msg(L, 'lab.result.stopped', result.stopped)}`);
    }
    return result.ok ? 0 : 1;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    input?.close();
  }
}

// sockscope web: this machine's sockets as a live page in the browser. Loaded
// only when the command runs (and with it the server, the map and the lab):
// no other command pays for them at start-up.
import { spawn } from 'node:child_process';
import { parseArgs, UsageError, secondsOption } from '../args.js';
import { listenReason, type Io } from '../common.js';
import { msg, type Lang } from '../../explain/i18n.js';
import { safeText } from '../../views/safe-text.js';
import { parseWebListen } from '../../web/listen.js';
import { isPublicHost, urlHost } from '../../web/security.js';
import { startWeb, type RunningWeb } from '../../web/server.js';

const WEB_SPECS = [
  { name: 'listen', value: true },
  { name: 'open' },
  { name: 'allow-actions' },
  { name: 'interval', value: true },
  { name: 'rescan', value: true },
  { name: 'help', short: 'h' },
];



/** The desktop's "open this URL" program, run without a shell (the URL is one argument). */
function openBrowser(io: Io, url: string): void {
  const command = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const say = (reason: string): void => io.stderr(msg(io.global.lang, 'webserver.open-failed', { command, reason: safeText(reason) }));
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', (e: NodeJS.ErrnoException) => say(e.code ?? e.message));
    child.unref();
  } catch (e) {
    say((e as Error).message);
  }
}

export async function webCommand(argv: string[], io: Io): Promise<number> {
  const L = io.global.lang;
  const p = parseArgs(argv, WEB_SPECS);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(L, 'help.web'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError('webserver.err.args', { arg: p.positionals[0]! });
  const source = io.global.source;
  if (source === 'lsof') throw new UsageError('webserver.err.source-lsof');
  const address = parseWebListen(p.values.get('listen')?.[0]);
  const interval = secondsOption(p, 'interval', 1, 0.2, 3600);
  const rescan = secondsOption(p, 'rescan', 20, 1, 86400);
  const allowActions = p.flags.has('allow-actions');

  let lastError = '';
  let web: RunningWeb;
  try {
    web = await startWeb({
      host: address.host, port: address.port, dualLoopback: address.dualLoopback, allowActions, lang: L,
      intervalSeconds: interval, rescanSeconds: rescan, procRoot: io.global.procRoot, sourceName: source,
      onError: (e) => {
        // Said once per distinct reason: a failure that repeats every look would flood the terminal.
        const reason = safeText((e as Error).message ?? String(e));
        if (reason !== lastError) io.stderr(msg(L, 'webserver.look-failed', { reason }));
        lastError = reason;
      },
    });
  } catch (e) {
    const shown = `${urlHost(address.host)}:${address.port}`;
    io.stderr(msg(L, 'webserver.listen-failed', { address: shown, reason: listenReason(L, e as NodeJS.ErrnoException, 'webserver') }));
    return 3;
  }
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  try {
    await io.stdout.line(msg(L, 'webserver.serving', { url: web.url }));
    await io.stdout.flush();
    if (web.addresses.length > 1) io.stderr(msg(L, 'webserver.also', { addresses: web.addresses.slice(1).join(', ') }));
    if (isPublicHost(address.host)) io.stderr(msg(L, 'webserver.public', { address: web.addresses[0]! }));
    if (allowActions) io.stderr(msg(L, 'webserver.actions-on'));
    if (p.flags.has('open')) openBrowser(io, web.url);
    if (!stopper.signal.aborted) await new Promise<void>((resolve) => stopper.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
    await web.close();
  }
  return 0;
}

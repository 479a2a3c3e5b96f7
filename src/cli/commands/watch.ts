// sockscope watch: the live view (TCPView / Resource Monitor in a terminal)
// and, with --events or when stdout is not a terminal, one line per change.
import { opendirSync, readdirSync, readlinkSync, writeSync } from 'node:fs';
import { readPidState } from '../../collectors/procfs/process-info.js';
import { parseArgs, UsageError, type Parsed, secondsOption } from '../args.js';
import { FILTER_SPECS, filterFrom, hostEphemeral, reportMissingNetns, reportMissingPids, reportUnreadablePids, sortFrom, type Io } from '../common.js';
import { defaultContext } from '../../index.js';
import { LiveCollector } from '../../collectors/live.js';
import { destroySocket } from '../../collectors/sockdiag/destroy.js';
import { cookieOfSocket } from '../../collectors/sockdiag/live-table.js';
import { msg, translator, type MessageKey } from '../../explain/i18n.js';
import { explainSocket, rowContext, type RowContext } from '../../explain/row.js';
import { watch, type WatchClock } from '../../watch.js';
import type { Filter } from '../../model/filter.js';
import { formatEndpoint, type Socket } from '../../model/socket.js';
import { draw } from '../../views/tui/draw.js';
import { eventJson, eventLine, eventsOf, trafficJson, trafficLines } from '../../views/tui/events.js';
import { KeyParser, handleKey } from '../../views/tui/keys.js';
import { safeText } from '../../views/safe-text.js';
import { Screen } from '../../views/tui/screen.js';
import {
  applySnapshot, applyTraffic, collectStates, initialState, sameProcess, setStatus, settleSelection, type Effect, type KillTarget, type TuiState,
} from '../../views/tui/state.js';

const WATCH_SPECS = [
  ...FILTER_SPECS,
  { name: 'interval', value: true },
  { name: 'events' },
  { name: 'json' },
  { name: 'count', value: true },
  { name: 'duration', value: true },
  { name: 'rescan', value: true },
  { name: 'numeric', short: 'n' },
  { name: 'sort', value: true },
  { name: 'traffic' },
  { name: 'help', short: 'h' },
];


export async function watchCommand(argv: string[], io: Io): Promise<number> {
  if (io.global.source === 'lsof') throw new UsageError('err.source-lsof-live');
  const p = parseArgs(argv, WATCH_SPECS);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.watch'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError('err.watch-args', { arg: p.positionals[0]! });
  const filter = filterFrom(p);
  const interval = secondsOption(p, 'interval', 1, 0.1, 3600)!;
  const duration = secondsOption(p, 'duration', undefined, 0.1, 366 * 86400);
  const rescan = secondsOption(p, 'rescan', 20, 1, 86400)!;
  const countText = p.values.get('count')?.[0];
  if (countText !== undefined && !/^[1-9]\d{0,8}$/.test(countText)) throw new UsageError('err.invalid-count', { text: countText });
  const count = countText === undefined ? undefined : Number(countText);
  const sort = sortFrom(p, 'local');
  // As list says it: a --pid naming no process would watch nothing, with no word, until stopped.
  if (await reportMissingPids(io, filter)) return 1;
  if (reportMissingNetns(io, filter)) return 1;
  const interactive = !p.flags.has('events') && !p.flags.has('json') && countText === undefined &&
    process.stdout.isTTY === true && process.stdin.isTTY === true;
  const ctx = defaultContext({ procRoot: io.global.procRoot });
  if (!interactive && filter.pids) {
    // --pid N whose fds we may not read would stream nothing, with no word: say it, as pid N does.
    const denied = filter.pids.filter((pid) => {
      try {
        opendirSync(`${ctx.procRoot}/${pid}/fd`).closeSync();
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EACCES' || (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    });
    reportUnreadablePids(io, denied, ctx.euid === 0);
  }
  if (interactive) {
    const collector = new LiveCollector(ctx, { source: io.global.source, families: filter.families, intervalSeconds: interval, fullEverySeconds: rescan });
    try {
      return await runInteractive(io, p, filter, collector, { interval, duration, sort });
    } finally {
      collector.close();
    }
  }
  const collector = new LiveCollector(ctx, {
    source: io.global.source, protocols: filter.protocols, families: filter.families, intervalSeconds: interval, fullEverySeconds: rescan,
  });
  try {
    return await runEvents(io, p, filter, collector, { interval, duration, count });
  } finally {
    collector.close();
  }
}

// ------------------------------------------------------------------ events

async function runEvents(io: Io, p: Parsed, filter: Filter, collector: LiveCollector,
  o: { interval: number; duration?: number; count?: number }): Promise<number> {
  const L = io.global.lang;
  const json = p.flags.has('json');
  const ephemeral = p.flags.has('numeric') ? undefined : hostEphemeral(io);
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  let events = 0;
  const cache = new Map<number, string>();
  const wantTraffic = p.flags.has('traffic');
  let saidNoCounters = false;
  let saidUncounted = false;
  try {
    for await (const { snapshot, sockets, diff, traffic, stats } of watch({
      source: collector, filter, intervalSeconds: o.interval, durationSeconds: o.duration, signal: stopper.signal, traffic: wantTraffic,
    })) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let enough = false;
      if (diff === undefined) {
        io.stderr(msg(L, 'watch.events.start', { n: sockets.length }));
      } else {
        const now = snapshot.takenAt;
        cache.clear();
        for (const e of eventsOf(diff)) {
          const line = json ? eventJson(e, now, cache) : eventLine(e, now, { lang: L, numeric: p.flags.has('numeric'), color: io.global.color, ephemeral });
          const w = io.stdout.line(line);
          if (w) await w;
          if (o.count !== undefined && ++events >= o.count) { enough = true; break; }
        }
        // Rates: one traffic event per look after the first (the first is the baseline).
        if (traffic && !enough && snapshot.source === 'netlink') {
          const lines = json ? [trafficJson(traffic, now, cache)] : trafficLines(traffic, now, { lang: L, color: io.global.color });
          for (const line of lines) {
            const w = io.stdout.line(line);
            if (w) await w;
          }
          if (o.count !== undefined && ++events >= o.count) enough = true;
        }
        await io.stdout.flush();
      }
      if (traffic && snapshot.source !== 'netlink' && !saidNoCounters) {
        saidNoCounters = true;
        io.stderr(msg(L, 'traffic.no-counters', { source: snapshot.source }));
      }
      if (traffic && traffic.uncounted > 0 && !saidUncounted) {
        saidUncounted = true;
        io.stderr(msg(L, 'traffic.uncounted', { n: traffic.uncounted }));
      }
      if (process.env['SOCKSCOPE_WATCH_COST_LOG']) {
        // The benchmark reads these lines: the cost of one tick (table, holders, diff, output).
        const c = process.cpuUsage(c0);
        const mem = process.memoryUsage();
        process.stderr.write(`${JSON.stringify({ wallMs: stats.wallMs + performance.now() - t0, cpuMs: stats.cpuMs + (c.user + c.system) / 1000, sockets: snapshot.sockets.length, rss: mem.rss, heap: mem.heapUsed })}\n`);
      }
      if (enough) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
  }
  await io.stdout.flush();
  return 0;
}

// ------------------------------------------------------------------ live view

const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/** How long input must be quiet before a lone ESC is the Escape key (a sequence split across reads arrives well within it). */
const ESC_WAIT_MS = 120;
/** At most this many fds looked at per process when telling whether it still holds a socket. */
const MAX_FDS_CHECKED = 1 << 16;

/** Whether this process still has the socket open (its fds read again now); undefined when they cannot be read. */
function holdsInode(procRoot: string, pid: number, inode: number): boolean | undefined {
  const dir = `${procRoot}/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch {
    return undefined;
  }
  const want = `socket:[${inode}]`;
  for (const fd of fds.slice(0, MAX_FDS_CHECKED)) {
    try {
      if (readlinkSync(`${dir}/${fd}`) === want) return true;
    } catch {
      // Closed meanwhile.
    }
  }
  return false;
}

async function runInteractive(io: Io, p: Parsed, filter: Filter, collector: LiveCollector,
  o: { interval: number; duration?: number; sort: ReturnType<typeof sortFrom> }): Promise<number> {
  const L = io.global.lang;
  const t = translator(L);
  const ephemeral = p.flags.has('numeric') ? undefined : hostEphemeral(io);
  const stdin = process.stdin;
  const stdout = process.stdout;
  const procRoot = io.global.procRoot;
  // Test seam: pretend every process started this many ticks later than it did, so a pid looks reused.
  const skew = Number(process.env['SOCKSCOPE_WATCH_START_SKEW'] ?? 0) || 0;
  const st: TuiState = initialState({
    toggles: { tcp: filter.protocols?.includes('tcp') && filter.protocols.length === 1, udp: filter.protocols?.includes('udp') && filter.protocols.length === 1,
      listening: filter.listening === true, all: filter.all === true },
    sort: o.sort,
  });
  if (p.flags.has('traffic')) st.view = 'traffic';
  // List filters the live view has no toggle for (--port, --state, --pid, --process) become the `/` text.
  const text = [...(filter.ports ?? []).map(String), ...(filter.states ?? []).map((s) => `state:${s}`),
    ...(filter.pids ?? []).map((x) => `pid:${x}`), ...(filter.processes ?? []).map((x) => `proc:${x}`),
    ...(filter.containers ?? []).map((x) => `container:${x}`), ...(filter.units ?? []).map((x) => `unit:${x}`)].join(' ');
  if (text) st.text = (await import('../../views/tui/filter-text.js')).parseFilterText(text);

  const screen = new Screen((s) => { try { writeSync(1, s); } catch { /* the terminal went away */ } });
  let rawMode = false;
  const restore = (): void => {
    screen.leave();
    if (rawMode) {
      try { stdin.setRawMode(false); } catch { /* closed */ }
      rawMode = false;
    }
  };
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => { finish = resolve; });
  let stopped = false;
  const stopper = new AbortController();
  let lastCost: { wallMs: number; cpuMs: number } | undefined;
  let ctxCache: { snap: unknown; ctx: RowContext } | undefined;
  let killWatch: { targets: KillTarget[]; signal: 'SIGTERM' | 'SIGKILL'; socket?: Socket; deadline: number; goneAt?: number } | undefined;
  const quit = (code: number): void => {
    if (stopped) return;
    stopped = true;
    stopper.abort();
    if (escTimer) clearTimeout(escTimer);
    restore();
    stdin.off('data', onData);
    stdin.pause();
    stdout.off('resize', onResize);
    for (const [sig, fn] of handlers) process.off(sig, fn);
    process.off('exit', restore);
    // A tick still reading the table finishes first, so the channel is closed when idle.
    void loop.catch(() => undefined).then(() => {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      finish(code);
    });
  };
  const onCrash = (e: unknown): void => {
    restore();
    process.stderr.write(`sockscope: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(3);
  };
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, () => quit(SIGNAL_CODES[sig]!)]);

  const explain = (s: Socket): string | undefined => {
    if (!st.snapshot) return undefined;
    if (ctxCache?.snap !== st.snapshot) ctxCache = { snap: st.snapshot, ctx: rowContext(st.snapshot.sockets) };
    try {
      return explainSocket(s, ctxCache.ctx, t);
    } catch {
      return undefined;
    }
  };
  const render = (): void => {
    if (stopped) return;
    const lines = draw(st, {
      width: stdout.columns || 80, height: stdout.rows || 24, now: Date.now(), lang: L, color: io.global.color,
      numeric: p.flags.has('numeric'), ephemeral, explain,
    });
    screen.frame(lines);
    // The question is on the screen now: from here on a `y` read on its own is an answer to it.
    if (st.mode.kind === 'confirm' && screen.isActive) st.mode.shown = true;
  };
  const say = (key: MessageKey, params: Record<string, string | number>, tone: 'info' | 'error' | 'ok'): void =>
    setStatus(st, t(key, params), tone, Date.now(), 6000);

  const currentStart = (pid: number): { startTicks?: number } | undefined => {
    const now = readPidState(procRoot ?? '/proc', pid);
    if (!now || now.zombie) return undefined;
    return { startTicks: now.startTicks === undefined ? undefined : now.startTicks + skew };
  };

  const sayText = (text: string, tone: 'info' | 'error' | 'ok'): void => setStatus(st, text, tone, Date.now(), 8000);

  /** Whether the pid is still the process we saw (start time), for every check before and after a signal. */
  const verdict = (x: KillTarget): ReturnType<typeof sameProcess> => sameProcess(x.startTicks, currentStart(x.pid));

  const perform = async (e: Effect): Promise<void> => {
    switch (e.kind) {
      case 'quit': quit(0); return;
      case 'recollect': st.baseline = true; schedule(0); return;
      case 'refresh': schedule(0); return;
      case 'kill': {
        // Each target is checked right before its signal: a pid that is gone or now another process is skipped.
        const refusals: string[] = [];
        const sent: KillTarget[] = [];
        for (const x of e.targets) {
          const v = verdict(x);
          if (v === 'gone') { refusals.push(t('watch.kill.gone', { pid: x.pid })); continue; }
          if (v === 'reused') { refusals.push(t('watch.kill.reused', { pid: x.pid })); continue; }
          if (v === 'unknown') { refusals.push(t('watch.kill.unknown-start', { pid: x.pid })); continue; }
          try {
            process.kill(x.pid, e.signal);
            sent.push(x);
          } catch (err) {
            refusals.push(t('watch.kill.failed', { pid: x.pid, detail: (err as NodeJS.ErrnoException).code ?? String(err) }));
          }
        }
        const sentText = sent.length === 0 ? '' : sent.length === 1
          ? t('watch.kill.sent', { pid: sent[0]!.pid, name: safeText(sent[0]!.name), signal: e.signal })
          : t('watch.kill.sent-all', { pids: sent.map((x) => x.pid).join(', '), signal: e.signal });
        sayText([sentText, ...refusals].filter(Boolean).join(' '), sent.length ? 'ok' : 'error');
        killWatch = sent.length ? { targets: sent, signal: e.signal, socket: e.socket, deadline: Date.now() + 2000 } : undefined;
        schedule(200);
        return;
      }
      case 'destroy': {
        const s = e.socket;
        const r = await destroySocket(s, e.cookie);
        const where = { local: formatEndpoint(s.localAddress, s.localPort), remote: formatEndpoint(s.remoteAddress, s.remotePort) };
        if (r.ok) say('watch.destroy.ok', where, 'ok');
        else if (r.reason === 'error') say('watch.destroy.error', { detail: r.detail ?? '?' }, 'error');
        else say(`watch.destroy.${r.reason}`, where, 'error');
        schedule(100);
        return;
      }
    }
  };

  /** Who holds the socket now: the holders seen at `k` and in the latest snapshot, each checked alive and re-read. */
  const stillHeldText = (socket: Socket, gone: Set<number>): string => {
    const local = formatEndpoint(socket.localAddress, socket.localPort);
    const pids = new Map<number, KillTarget>();
    const latest = socket.inode !== 0 ? st.snapshot?.sockets.find((x) => x.inode === socket.inode) : undefined;
    for (const h of [...socket.holders, ...(latest?.holders ?? [])]) {
      if (!pids.has(h.pid) && !gone.has(h.pid)) pids.set(h.pid, { pid: h.pid, name: h.name ?? '?', startTicks: collector.startTicksOf(h.pid) });
    }
    const holding: string[] = [];
    for (const x of pids.values()) {
      if (verdict(x) === 'gone' || verdict(x) === 'reused') continue;
      if (holdsInode(procRoot ?? '/proc', x.pid, socket.inode) === false) continue;
      holding.push(`${x.pid}/${safeText(x.name)}`);
    }
    if (holding.length) return t('watch.kill.still-held', { local, holders: holding.join(', ') });
    // No process we can see holds it, yet the table read after they were gone still lists
    // it: a process we cannot read (another user's, or not scanned yet) still has it open.
    return latest ? t('watch.kill.still-open', { local }) : t('watch.kill.released', { local });
  };

  const checkKill = (): void => {
    if (!killWatch) return;
    const w = killWatch;
    const alive = w.targets.filter((x) => { const v = verdict(x); return v === 'same' || v === 'unknown'; });
    if (alive.length === 0) {
      // Said from a table read after they were all gone, so a socket it lists is still open.
      if (w.goneAt === undefined) w.goneAt = Date.now();
      if (w.socket && (!st.snapshot || st.snapshot.takenAt <= w.goneAt)) return;
      const exited = w.targets.length === 1 ? t('watch.kill.exited', { pid: w.targets[0]!.pid })
        : t('watch.kill.exited-all', { pids: w.targets.map((x) => x.pid).join(', ') });
      const gone = new Set(w.targets.map((x) => x.pid));
      sayText(w.socket ? `${exited} ${stillHeldText(w.socket, gone)}` : exited, 'ok');
      killWatch = undefined;
    } else if (Date.now() >= w.deadline && st.mode.kind === 'normal') {
      killWatch = undefined;
      if (w.signal === 'SIGTERM') st.mode = { kind: 'confirm', pending: { kind: 'kill', targets: alive, signal: 'SIGKILL', socket: w.socket } };
    }
  };

  // The loop is the library's watch(); this view only brings it time. Its
  // sleep is ours so that a key (recollect, kill, destroy) can bring the next
  // look forward, and so that nothing is collected while the view is paused
  // (the kill check and the clock on screen still move every interval).
  const stopAt = o.duration !== undefined ? Date.now() + o.duration * 1000 : Infinity;
  let timer: NodeJS.Timeout | undefined;
  let fire: (() => void) | undefined;
  const clock: WatchClock = {
    now: () => Date.now(),
    sleep: (ms, signal) => new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const end = (): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        fire = undefined;
        signal.removeEventListener('abort', end);
        resolve();
      };
      fire = (): void => {
        timer = undefined;
        if (stopped || !st.paused || Date.now() >= stopAt) return end();
        checkKill();
        render();
        timer = setTimeout(fire!, o.interval * 1000);
      };
      signal.addEventListener('abort', end, { once: true });
      timer = setTimeout(fire, Math.max(0, ms));
    }),
  };
  /** The next look in `ms`: only while the loop sleeps (a look under way is followed by a full interval, as before). */
  function schedule(ms: number): void {
    if (stopped || !fire) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, ms);
  }
  let loop: Promise<void> = Promise.resolve();
  const run = async (): Promise<void> => {
    for await (const { snapshot, diff, traffic, stats } of watch({
      source: collector, clock, signal: stopper.signal, intervalSeconds: o.interval, durationSeconds: o.duration,
      // The byte counters cost a larger dump: asked for only while the Traffic view shows.
      query: () => ({ states: collectStates(st.toggles), counters: st.view === 'traffic' }),
    })) {
      if (stopped) break;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      applySnapshot(st, snapshot, st.baseline ? undefined : diff, Date.now(), lastCost);
      applyTraffic(st, traffic);
      settleSelection(st);
      render();
      const c = process.cpuUsage(c0);
      // The cost shown is the whole tick: table, holders, diff, sort and drawing.
      lastCost = { wallMs: stats.wallMs + performance.now() - t0, cpuMs: stats.cpuMs + (c.user + c.system) / 1000 };
      st.cost = lastCost;
      if (process.env['SOCKSCOPE_WATCH_COST_LOG']) {
        process.stderr.write(`${JSON.stringify({ ...lastCost, sockets: snapshot.sockets.length, rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed })}\n`);
      }
      checkKill();
      render();
    }
    // The duration is over (or we were stopped): quit is a no-op the second time.
    quit(0);
  };

  const parser = new KeyParser();
  let escTimer: NodeJS.Timeout | undefined;
  const onKeys = (keys: ReturnType<KeyParser['feed']>, alone: boolean): void => {
    for (const key of keys) {
      const effect = handleKey(st, key, {
        now: Date.now(), t, alone, startTicksOf: (pid) => collector.startTicksOf(pid), cookieOf: (s) => cookieOfSocket(s),
      });
      if (effect) void perform(effect).then(render).catch(onCrash);
      if (stopped) return;
    }
    settleSelection(st);
    render();
  };
  const onData = (data: string): void => {
    if (escTimer) { clearTimeout(escTimer); escTimer = undefined; }
    const keys = parser.feed(data);
    // One read holding one key and nothing else (no sequence, no paste): a keystroke on its own.
    onKeys(keys, keys.length === 1 && data.length === 1);
    if (!stopped && parser.pending) {
      // An ESC (or a sequence) not finished yet: if nothing follows soon, it was the Escape key.
      escTimer = setTimeout(() => { escTimer = undefined; if (!stopped) onKeys(parser.flush(), false); }, ESC_WAIT_MS);
    }
  };
  const onResize = (): void => {
    screen.invalidate();
    render();
  };

  process.on('exit', restore);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  for (const [sig, fn] of handlers) process.on(sig, fn);
  screen.enter();
  stdin.setRawMode(true);
  rawMode = true;
  stdin.setEncoding('utf8');
  stdin.on('data', onData);
  stdin.resume();
  stdout.on('resize', onResize);
  render();
  loop = run();
  loop.catch(onCrash);
  return done;
}

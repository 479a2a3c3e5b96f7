// What the commands share: filter flags, output formats, the query itself.
import { currentPlatform, defaultContext, listSockets, processInfo, type ListOptions, type ProcessInfo } from '../index.js';
import { readEphemeralRange } from '../collectors/procfs/host.js';
import type { Filter } from '../model/filter.js';
import type { ScanIssue, Snapshot } from '../model/snapshot.js';
import type { Column } from '../views/columns.js';
import { SOCKET_STATES, type ContainerRef, type Family, type Protocol, type Socket, type SocketState } from '../model/socket.js';
import { SORT_KEYS, sortSockets, type SortKey } from '../model/sort.js';
import { deniedCount, hiddenHint } from '../views/overview.js';
import { safeText } from '../views/safe-text.js';
import { displayWidth, splitColumns, wrap, type Sink, type RenderOptions } from '../views/sink.js';
import { catalog, msg, translator, type Lang, type MessageKey } from '../explain/i18n.js';
import { renderCsv, renderJson, renderNdjson, renderTable } from '../views/table.js';
import { UsageError, didYouMean, nearest, parsePort, type OptionSpec, type Parsed } from './args.js';
import { loadModule } from './load.js';
import { discoverNetns } from '../collectors/netns/discover.js';
import { isNetnsToken, selectNetns } from '../collectors/netns/select.js';

/** Options every command accepts, wherever they stand on the command line. */
export interface GlobalOptions {
  source: 'auto' | 'netlink' | 'proc' | 'lsof';
  procRoot?: string;
  color: boolean;
  /** Terminal width, when writing to a terminal. */
  width?: number;
  lang: Lang;
}

export interface Io {
  stdout: Sink;
  stderr: (line: string) => void;
  global: GlobalOptions;
}

export const FILTER_SPECS: readonly OptionSpec[] = [
  { name: 'tcp', short: 't' },
  { name: 'udp', short: 'u' },
  { name: 'ipv4', short: '4' },
  { name: 'ipv6', short: '6' },
  { name: 'listening', short: 'l' },
  { name: 'all', short: 'a' },
  { name: 'state', value: true, repeat: true },
  { name: 'port', value: true, repeat: true },
  { name: 'pid', value: true, repeat: true },
  { name: 'process', value: true, repeat: true },
  { name: 'container', value: true, repeat: true },
  { name: 'unit', value: true, repeat: true },
  { name: 'netns', value: true, repeat: true },
];

export const OUTPUT_SPECS: readonly OptionSpec[] = [
  { name: 'numeric', short: 'n' },
  { name: 'sort', value: true },
  { name: 'json' },
  { name: 'ndjson' },
  { name: 'csv' },
  { name: 'explain', short: 'e' },
  { name: 'wide', short: 'W' },
  { name: 'help', short: 'h' },
];

/** Accept state names the way people type them: time-wait, TIME-WAIT, established. */
export function parseState(text: string): SocketState {
  const norm = text.trim().toUpperCase().replace(/-/g, '_');
  const aliases: Record<string, SocketState> = { LISTENING: 'LISTEN', SYN_RECEIVED: 'SYN_RECV', FIN_WAIT_1: 'FIN_WAIT1', FIN_WAIT_2: 'FIN_WAIT2', CLOSED: 'CLOSE', UNCONNECTED: 'UNCONN' };
  const st = (SOCKET_STATES as readonly string[]).includes(norm) ? (norm as SocketState) : aliases[norm];
  if (!st) {
    const guess = nearest(norm, SOCKET_STATES);
    throw new UsageError('err.unknown-state', { text, hint: didYouMean(guess), states: SOCKET_STATES.join(', ') });
  }
  return st;
}

/**
 * The items of a repeatable comma-separated option. An empty item (`--port ,`,
 * `--port 80,`) is refused: dropping it would quietly widen the filter.
 */
function splitList(p: Parsed, name: string): string[] {
  const out: string[] = [];
  for (const v of p.values.get(name) ?? []) {
    const items = v.split(',').map((x) => x.trim());
    if (items.some((x) => x === '')) throw new UsageError('err.empty-item', { name, text: v });
    out.push(...items);
  }
  return out;
}

/** Build the Filter the flags describe. */
export function filterFrom(p: Parsed): Filter {
  const f: Filter = {};
  const protocols: Protocol[] = [];
  if (p.flags.has('tcp')) protocols.push('tcp');
  if (p.flags.has('udp')) protocols.push('udp');
  if (protocols.length) f.protocols = protocols;
  const families: Family[] = [];
  if (p.flags.has('ipv4')) families.push('ipv4');
  if (p.flags.has('ipv6')) families.push('ipv6');
  if (families.length) f.families = families;
  if (p.flags.has('listening')) f.listening = true;
  if (p.flags.has('all')) f.all = true;
  if (f.listening && f.all) throw new UsageError('err.listening-and-all');
  const states = splitList(p, 'state').map(parseState);
  if (p.values.has('state') && !states.length) throw new UsageError('err.state-empty');
  if (states.length) f.states = states;
  const ports = splitList(p, 'port').map((x) => parsePort(x));
  if (ports.length) f.ports = ports;
  const pids = splitList(p, 'pid').map((x) => {
    if (!/^\d{1,7}$/.test(x) || Number(x) < 1) throw new UsageError('err.invalid-pid', { text: x });
    return Number(x);
  });
  if (pids.length) f.pids = [...new Set(pids)]; // said once each (a missing or unreadable pid)
  const processes = splitList(p, 'process');
  if (processes.length) f.processes = processes;
  const containers = splitList(p, 'container');
  if (containers.length) f.containers = containers;
  const units = splitList(p, 'unit');
  if (units.length) f.units = units;
  const netns = splitList(p, 'netns');
  for (const t of netns) if (!isNetnsToken(t)) throw new UsageError('netns.err.token', { text: t });
  if (netns.length) f.netns = [...new Set(netns)];
  return f;
}

/**
 * Say on stderr which --netns tokens name no namespace here. True when none
 * does: the command then exits 1 (as for a --pid that names no process).
 * Resolves pid:N and self in `filter` to inodes.
 */
export function reportMissingNetns(io: Io, filter: Filter): boolean {
  if (!filter.netns?.length) return false;
  // lsof does not tell namespaces: the option would be ignored, and nothing typed is.
  if (io.global.source === 'lsof') throw new UsageError('netns.err.lsof');
  const d = discoverNetns(defaultContext({ procRoot: io.global.procRoot }).procRoot);
  // A recorded tree without namespace links: its one table is the host's (and ours).
  const unknown = selectNetns(d, filter.netns).unknown.filter((t) => d.namespaces.length > 0 || !['host', 'self', 'all'].includes(t));
  for (const token of unknown) io.stderr(`sockscope: ${msg(io.global.lang, 'netns.err.unknown', { token: safeText(token) })}`);
  // pid:N and self become the inode they name now, so that matches() can test them
  // too (the live view filters its snapshots with it).
  if (d.namespaces.length) {
    filter.netns = filter.netns.map((t) => {
      const ino = t === 'self' ? d.own : t.startsWith('pid:') ? d.byPid.get(Number(t.slice(4))) : undefined;
      return ino !== undefined ? String(ino) : t;
    });
  }
  return unknown.length === filter.netns.length;
}

/** Namespaces whose sockets could not be read: one note (their sockets are missing from every answer). */
export function reportNetnsErrors(io: Io, snap: Snapshot): void {
  const failed = snap.namespaces?.filter((n) => n.error !== undefined) ?? [];
  if (!failed.length) return;
  const f = failed[0]!;
  // "code: system detail": the code in words, the system's own words (errno text) as they are, escaped.
  const [code, ...rest] = f.error!.split(': ');
  const key = `netns.reason.${code}` as MessageKey;
  const said = key in catalog('en') ? msg(io.global.lang, key) : safeText(code!);
  const reason = rest.length ? `${said}: ${safeText(rest.join(': '))}` : said;
  note(io, msg(io.global.lang, 'netns.note.unread', { n: failed.length, ns: netnsLabel(f, io.global.lang), reason }));
}

/** "network namespace blue (4026532500)", "network namespace 4026532500", or the host's. */
export function netnsLabel(n: { inode: number; name?: string; host?: boolean; container?: ContainerRef }, lang: Lang): string {
  // A container's namespace by the container ("container web-1 (netns 4026532177)"): its runtime-made name says little.
  if (n.container) return msg(lang, 'containers.in-netns', { name: safeText(n.container.name ?? `${n.container.runtime}:${n.container.id.slice(0, 12)}`), inode: n.inode });
  return n.name !== undefined ? msg(lang, 'netns.named', { name: safeText(n.name), inode: n.inode }) : msg(lang, 'netns.unnamed', { inode: n.inode });
}

export type Format = 'table' | 'json' | 'ndjson' | 'csv';

export function formatFrom(p: Parsed): Format {
  const chosen = (['json', 'ndjson', 'csv'] as const).filter((f) => p.flags.has(f));
  if (chosen.length > 1) throw new UsageError('err.one-format', { formats: chosen.map((c) => '--' + c).join(' / ') });
  return chosen[0] ?? 'table';
}

export function sortFrom(p: Parsed, fallback: SortKey): SortKey {
  const v = p.values.get('sort')?.[0];
  if (v === undefined) return fallback;
  const key = v.toLowerCase().replace(/[-_]/g, '');
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    const guess = nearest(key, SORT_KEYS);
    throw new UsageError('err.unknown-sort', { text: v, hint: didYouMean(guess), columns: SORT_KEYS.join(', ') });
  }
  return key as SortKey;
}

/** The ephemeral port range of the machine (or recorded tree) read: its ports are not named in tables. */
export function hostEphemeral(io: Io): [number, number] | undefined {
  // Another platform's sockets (the replay seam) are not this machine's /proc.
  if (currentPlatform() !== 'linux') return undefined;
  return readEphemeralRange(defaultContext({ procRoot: io.global.procRoot }).procRoot);
}

export function renderOptions(io: Io, p: Parsed): RenderOptions {
  const numeric = p.flags.has('numeric');
  return { color: io.global.color, width: io.global.width, wide: p.flags.has('wide'), numeric, lang: io.global.lang,
    ephemeral: numeric ? undefined : hostEphemeral(io) };
}

/**
 * Say on stderr which pids of a --pid filter name no process. True when none
 * of them does: the command then exits 1, as `sockscope pid N` does, rather
 * than print an empty table with no word.
 */
export async function reportMissingPids(io: Io, filter: Filter): Promise<boolean> {
  if (!filter.pids?.length) return false;
  let missing = 0;
  for (const pid of filter.pids) {
    const why = notAProcess(io, pid, await processInfo(pid, { procRoot: io.global.procRoot }));
    if (why) {
      io.stderr(`sockscope: ${why}`);
      missing++;
    }
  }
  return missing === filter.pids.length;
}

/**
 * Why `pid` names no process whose sockets we could show, or undefined when it
 * names one: no such pid, or a thread's id (sockets belong to its process).
 */
export function notAProcess(io: Io, pid: number, info: ProcessInfo | undefined): string | undefined {
  if (!info) return msg(io.global.lang, 'err.no-pid', { pid });
  if (info.tgid !== undefined && info.tgid !== pid) return msg(io.global.lang, 'err.pid-is-thread', { pid, tgid: info.tgid });
  return undefined;
}

/** Run the query with the global source options. */
export async function query(io: Io, opts: ListOptions): Promise<Snapshot> {
  const snap = await listSockets({ ...opts, source: io.global.source, procRoot: io.global.procRoot });
  throwIfStarved(snap.issues);
  return snap;
}

/**
 * A table or fd directory left unread for want of a file descriptor makes
 * the answer incomplete in a way no row can say (a socket table missing, an
 * owner unknown): the CLI then says the limit is too low instead.
 * (ENFILE is the system-wide table: the same remedy does not apply, but the answer is as incomplete.)
 */
export function throwIfStarved(issues: readonly ScanIssue[]): void {
  const starved = issues.find((i) => i.kind === 'source-error' && (i.detail === 'EMFILE' || i.detail === 'ENFILE'));
  if (starved) {
    const err = new Error(`${starved.subject}: ${starved.detail}`) as NodeJS.ErrnoException;
    err.code = 'EMFILE';
    throw err;
  }
}

/**
 * The --explain sentence maker for these sockets, or undefined without --explain.
 * `context` are the sockets that tell a server side from a client side (the
 * whole table, even when fewer rows are shown).
 */
export async function explainerFor(io: Io, p: Parsed, format: Format, context: readonly Socket[]): Promise<((s: Socket) => string) | undefined> {
  if (!p.flags.has('explain')) return undefined;
  if (format !== 'table') throw new UsageError('err.explain-format');
  const { explainSocket, rowContext } = await loadModule<typeof import('../explain/row.js')>(new URL('../explain/row.js', import.meta.url));
  const { readHostFacts } = await loadModule<typeof import('../collectors/procfs/host.js')>(new URL('../collectors/procfs/host.js', import.meta.url));
  const { defaultContext } = await loadModule<typeof import('../index.js')>(new URL('../index.js', import.meta.url));
  const ctx = rowContext(context, currentPlatform() === 'linux' ? readHostFacts(defaultContext({ procRoot: io.global.procRoot }).procRoot) : {});
  const t = translator(io.global.lang);
  return (s) => explainSocket(s, ctx, t);
}

/** Write sockets in the chosen format. */
export async function writeSockets(io: Io, sockets: Socket[], format: Format, p: Parsed, sort: SortKey,
  context: readonly Socket[] = sockets, columns?: readonly Column[]): Promise<void> {
  const explain = await explainerFor(io, p, format, context);
  sortSockets(sockets, sort);
  switch (format) {
    case 'json': return renderJson(sockets, io.stdout);
    case 'ndjson': return renderNdjson(sockets, io.stdout);
    case 'csv': return renderCsv(sockets, io.stdout);
    default: return renderTable(sockets, io.stdout, renderOptions(io, p), columns, explain);
  }
}

/** Warnings a person should see once, on stderr so they never spoil JSON or CSV. */
/** A note on stderr: on a terminal wrapped to its width as the tables are, on a pipe one line. */
export function note(io: Io, line: string): void {
  const width = io.global.width;
  for (const l of wrap(line, width)) {
    // A word wider than the terminal (a quoted path or line) is broken, never left to overflow.
    if (width !== undefined && displayWidth(l) > width) for (const part of splitColumns(l, width)) io.stderr(part);
    else io.stderr(l);
  }
}

/** `denied`: how many sockets are unheld for want of permission, when `snap.sockets` does not hold them (the native table). */
export function reportHidden(io: Io, snap: Snapshot, denied?: number): void {
  const L = io.global.lang;
  const say = (line: string): void => note(io, line);
  const hint = hiddenHint(snap, L, denied);
  if (hint) say(hint);
  const failed = snap.issues.filter((i) => i.kind === 'source-error' && i.subject.endsWith('/fd'));
  // Details quote paths and error text from the system: escaped like any other text we did not write.
  if (failed.length) say(msg(L, 'note.fd-failed', { n: failed.length, detail: safeText(failed[0]!.detail) }));
  const fallback = snap.issues.find((i) => i.kind === 'source-fallback');
  if (fallback) say(msg(L, 'note.fallback', { detail: safeText(fallback.detail) }));
  for (const note of scanNotes(snap, L, denied)) say(note);
  reportNetnsErrors(io, snap);
}

/** A reason code ('out-of-range', 'ELOOP', ...) in words, or the code itself when it has none. */
function reasonText(L: Lang, code: string | undefined): string {
  const key = `scan.reason.${code ?? 'malformed'}`;
  return key in catalog('en') ? msg(L, key as MessageKey) : safeText(code ?? '?');
}

/**
 * What the scan could not read, one note per kind: a count and the first example
 * (lines refused by a parser, files that are loops or devices, files cut at their
 * cap, processes hidden by hidepid). Paths and lines come from the tree: escaped.
 */
export function scanNotes(snap: Snapshot, L: Lang, denied?: number): string[] {
  const notes: string[] = [];
  const parse = snap.issues.filter((i) => i.kind === 'parse-error');
  if (parse.length) {
    const f = parse[0]!;
    notes.push(msg(L, 'scan.note.parse-error', { n: parse.length, subject: safeText(f.subject), reason: reasonText(L, f.reason), text: safeText(f.detail) }));
  }
  // Not said: fd tables (note.fd-failed above), netlink's own errors (it falls back),
  // and a missing /proc/net/tcp6 or udp6 (a kernel without IPv6).
  const unread = snap.issues.filter((i) => i.kind === 'source-error' && !i.subject.endsWith('/fd') && !i.subject.startsWith('netlink') &&
    !(i.detail === 'ENOENT' && /\/net\/(tcp|udp)6?$/.test(i.subject)));
  if (unread.length) {
    const f = unread[0]!;
    notes.push(msg(L, 'scan.note.source-error', { n: unread.length, subject: safeText(f.subject), reason: reasonText(L, f.detail) }));
  }
  const cut = snap.issues.filter((i) => i.kind === 'truncated');
  if (cut.length) notes.push(msg(L, 'scan.note.truncated', { n: cut.length, subject: safeText(cut[0]!.subject), detail: cut[0]!.detail }));
  // Sources that do not give a field (Windows, macOS): said once, so a 0 is not read as root or "no file".
  // (Backlogs have their own note where a listener shows "?".)
  const absent = snap.absent?.filter((f) => f !== 'backlog') ?? [];
  if (absent.length) {
    notes.push(msg(L, 'platform.note.absent', { source: snap.source, fields: absent.map((f) => msg(L, `platform.field.${f}`)).join(msg(L, 'view.list-sep')) }));
  }
  const tools = snap.issues.filter((i) => i.kind === 'tool-error');
  if (tools.length) {
    notes.push(msg(L, 'platform.note.tool-failed', { n: tools.length, tools: tools.map((i) => `${safeText(i.subject)} (${i.detail === 'ENOENT' ? msg(L, 'platform.not-installed') : safeText(i.detail)})`).join(msg(L, 'view.list-sep')) }));
  }
  // PID 4 and PID 0 explained as for pasted netstat output.
  if (snap.source === 'windows-netstat') {
    if (snap.sockets.some((x) => x.holders.some((h) => h.pid === 4))) notes.push(msg(L, 'paste.note.windows-pid-4'));
    if (snap.sockets.some((x) => x.holders.length === 0 && x.unheldReason === 'kernel')) notes.push(msg(L, 'paste.note.windows-pid-0'));
  }
  const unnamed = snap.issues.find((i) => i.kind === 'process-exited' && i.subject === 'tasklist');
  if (unnamed) {
    const pids = unnamed.detail.split(', ');
    notes.push(msg(L, 'platform.note.unnamed', { n: pids.length, pids: safeText(pids.length > 10 ? `${pids.slice(0, 10).join(', ')}, …` : unnamed.detail) }));
  }
  const hidden = snap.issues.find((i) => i.kind === 'hidden-processes');
  if (hidden) {
    notes.push(msg(L, 'scan.note.hidepid', {
      root: safeText(hidden.subject), option: safeText(hidden.detail),
      sockets: denied ?? deniedCount(snap), advice: msg(L, 'scan.note.hidepid.advice'),
    }));
  }
  return notes;
}

/**
 * The processes asked for whose fds we may not read, said on stderr in every
 * format (an empty JSON array alone would read as "holds nothing"); the exit
 * status is the same in every format too.
 */
export function reportUnreadable(io: Io, snap: Snapshot, pids: readonly number[]): void {
  const denied = pids.filter((pid) => snap.issues.some((i) => i.kind === 'permission-denied' && i.subject.endsWith(`/${pid}/fd`)));
  reportUnreadablePids(io, denied, snap.privileged);
}

/** The line reportUnreadable() says, for pids already known to be unreadable. */
export function reportUnreadablePids(io: Io, denied: readonly number[], privileged: boolean): void {
  if (!denied.length) return;
  const L = io.global.lang;
  const shown = denied.length > 10 ? `${denied.slice(0, 10).join(', ')}, …` : denied.join(', ');
  io.stderr(`sockscope: ${msg(L, 'scan.pid-unreadable', { pids: shown, advice: msg(L, privileged ? 'scan.pid-unreadable.root' : 'scan.pid-unreadable.sudo') })}`);
}

/** Why a server's listen() failed, in words for the common cases (the `exporter.` or `webserver.` catalog keys). */
export function listenReason(L: Lang, e: NodeJS.ErrnoException, area: 'exporter' | 'webserver'): string {
  const keys: Record<string, MessageKey> = {
    EADDRINUSE: `${area}.listen-busy`, EACCES: `${area}.listen-denied`, EADDRNOTAVAIL: `${area}.listen-unavailable`,
  };
  const key = e.code ? keys[e.code] : undefined;
  return key ? `${msg(L, key)} (${e.code})` : safeText(e.message ?? String(e));
}

// sockscope port N[/tcp|/udp]: who uses port N. The answer to
// `netstat -ano | findstr :80`, without its substring matches (":80" also hits
// 8080 and 49380; kill-port once killed 49302 when asked for 9302).
import { bindScope, isAllInterfaces } from '../../model/address.js';
import { SOCKET_STATES, type Protocol, type Socket } from '../../model/socket.js';
import { formatEndpoint } from '../../model/socket.js';
import { sortSockets, type SortKey } from '../../model/sort.js';
import { serviceName } from '../../explain/services.js';
import { commandText, holderText, nameText, unheldText } from '../../views/columns.js';
import { backlogNote, isBoundSocket, scopeText } from '../../views/overview.js';
import { safeText } from '../../views/safe-text.js';
import { msg, translator, type Lang } from '../../explain/i18n.js';
import { explainPortNumber } from '../../explain/ports.js';
import { ianaLookup } from '../../explain/iana.js';
import { containerPhrase, containerSentences } from '../../explain/containers.js';
import { natPublished } from '../../collectors/netns/published.js';
import { readHostFacts } from '../../collectors/procfs/host.js';
import { currentPlatform, defaultContext, listSockets } from '../../index.js';
import { displayWidth, memorySink, paint, wrap, type RenderOptions, type Sink } from '../../views/sink.js';
import { FastTable, STATE_NUMBER, fastEligible } from '../../collectors/fast/one-shot.js';
import { writeFastJson, writeFastTable } from '../../views/fast.js';
import type { Filter } from '../../model/filter.js';
import { flowLastCell, renderTable } from '../../views/table.js';
import { UsageError, parseArgs, parsePort, type Parsed } from '../args.js';
import { note, FILTER_SPECS, OUTPUT_SPECS, explainerFor, filterFrom, formatFrom, netnsLabel, query, renderOptions, reportHidden, reportMissingNetns, reportMissingPids, reportUnreadable, sortFrom, throwIfStarved, writeSockets, type Format, type Io } from '../common.js';
import type { ContainerRef, NetnsRef } from '../../model/socket.js';
import type { Snapshot } from '../../model/snapshot.js';

/** Parse "80", "80/tcp", "53/udp". */
export function parsePortArg(text: string): { port: number; protocol?: Protocol } {
  const m = /^([^/]*)(?:\/(.*))?$/.exec(text)!;
  const port = parsePort(m[1]!);
  if (m[2] === undefined) return { port };
  const proto = m[2].toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError('err.invalid-protocol', { proto: m[2], text });
  return { port, protocol: proto };
}

export async function portCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [...FILTER_SPECS.filter((s) => s.name !== 'port'), ...OUTPUT_SPECS]);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.port'));
    return 0;
  }
  if (p.positionals.length === 0) throw new UsageError('err.port-needs');
  if (p.positionals.length > 1) throw new UsageError('err.port-args', { args: p.positionals.join(' ') });
  const parsed = parsePortArg(p.positionals[0]!);
  const port = parsed.port;
  let protocol = parsed.protocol;
  const filter = filterFrom(p);
  if (protocol) {
    if (filter.protocols && !filter.protocols.includes(protocol)) throw new UsageError('err.port-contradicts', { text: `${port}/${protocol}` });
    filter.protocols = [protocol];
  }
  // -t or -u alone: the answer is about that protocol's port, and the label says so ("free" is then true).
  if (!protocol && filter.protocols?.length === 1) protocol = filter.protocols[0];
  filter.ports = [port];
  if (!filter.listening && !filter.states) filter.all = true;
  const format = formatFrom(p);
  const sort = sortFrom(p, 'state');
  if (await reportMissingPids(io, filter)) return 1;
  if (reportMissingNetns(io, filter)) return 1;
  if (format !== 'csv' && !p.flags.has('explain') && fastEligible(filter, sort, io.global.procRoot, io.global.source)) {
    const code = await fastPort(io, p, port, protocol, filter, format, sort);
    if (code !== undefined) return code;
  }
  const snap = await query(io, { filter });
  const sockets = snap.sockets;

  if (format !== 'table') {
    await writeSockets(io, sockets, format, p, sort);
  } else if (sockets.length === 0 && (filter.pids || filter.processes || filter.containers || filter.units || filter.families || filter.listening || filter.states)) {
    // Options narrowed the answer to nothing: the port is free only if nothing at all uses it.
    const all = (await query(io, { filter: { ports: [port], protocols: filter.protocols, all: true } })).sockets.length;
    if (all) {
      await describeNoneMatch(io, port, protocol, all, renderOptions(io, p));
      reportHidden(io, snap);
      if (filter.pids) reportUnreadable(io, snap, filter.pids);
      return 1;
    }
    await describePort(io, port, protocol, socketRows(sockets), sort, renderOptions(io, p));
  } else if (sockets.some((s) => s.netns !== undefined && !s.netns.host)) {
    // Used in another network namespace: one answer per namespace.
    const explain = await explainerFor(io, p, format, sockets);
    await describeNamespaces(io, port, protocol, snap, sort, renderOptions(io, p), explain);
  } else {
    const explain = await explainerFor(io, p, format, sockets);
    const rows = socketRows(sockets);
    await describePort(io, port, protocol, rows, sort, renderOptions(io, p), explain, await tcpListenPorts(io, port, rows));
    const backlog = backlogNote(snap, sockets, io.global.lang);
    if (backlog) note(io, backlog);
    // Held by a process here: the exact command that frees it. (Only in this branch: every socket is the host's.)
    const held = sockets.filter((s) => s.localPort === port && s.holders.length > 0);
    // Kept for a container (docker-proxy, conmon): killing that process is not how the port is freed; stopping the container is.
    const kept = held.find((s) => s.published?.container);
    if (kept && held.every((s) => s.published)) {
      const c = kept.published!.container!;
      await io.stdout.line(paint(io.global.color, 'dim', msg(io.global.lang, 'containers.free-hint', {
        tool: kept.published!.via === 'docker-proxy' ? 'docker' : 'podman', name: safeText(c.name ?? c.id.slice(0, 12)) })));
      await io.stdout.flush();
    } else if (held.length) {
      await killHint(io, port, protocol);
    }
  }
  // No host listener on the port: a container may still publish it by NAT rules alone (said, not counted: nothing here holds it).
  if (format === 'table' && !sockets.some((s) => s.localPort === port && (!s.netns || s.netns.host) && (s.state === 'LISTEN' || s.state === 'UNCONN'))) {
    await natLines(io, p, port, protocol);
  }
  reportHidden(io, snap);
  if (filter.pids) reportUnreadable(io, snap, filter.pids);
  return sockets.length > 0 ? 0 : 1;
}

/** "sockscope kill :N" — the exact command that frees a port a process here holds. */
async function killHint(io: Io, port: number, protocol: Protocol | undefined): Promise<void> {
  await io.stdout.line(paint(io.global.color, 'dim', msg(io.global.lang, 'port.kill-hint', { target: protocol ? `:${port}/${protocol}` : `:${port}` })));
  await io.stdout.flush();
}

/** The containers that publish the port by NAT rules alone. */
async function natLines(io: Io, p: Parsed, port: number, protocol: Protocol | undefined): Promise<void> {
  for (const n of natPublished(io.global.procRoot ?? '/proc', port, protocol)) {
    const line = msg(io.global.lang, 'containers.nat-published', {
      container: containerPhrase(n.container, translator(io.global.lang)), protocol: n.protocol, port, containerPort: n.containerPort,
    });
    for (const l of wrap(line, renderOptions(io, p).width)) await io.stdout.line(l);
  }
  await io.stdout.flush();
}

/**
 * The same answer through the native one-shot table (collectors/fast): JSON,
 * NDJSON, or the description with its tables on a pipe. Undefined, having
 * written nothing, where the collector's road must answer (another namespace,
 * an answer narrowed to nothing by options).
 */
async function fastPort(io: Io, p: Parsed, port: number, protocol: Protocol | undefined, filter: Filter, format: Format, sort: SortKey):
  Promise<number | undefined> {
  const ropts = renderOptions(io, p);
  if (format === 'table' && (ropts.color || (ropts.width !== undefined && !ropts.wide))) return undefined;
  // Sorted while the scan still runs: each section below is a subset of this order, so it is
  // already in its own (a subset of an order is ordered the same; the last tie-break is the
  // record's place, as sortSockets' is the socket's place in the snapshot).
  const t = FastTable.collect(filter, sort);
  if (!t) return undefined;
  throwIfStarved(t.issues);
  if (format !== 'table') {
    await writeFastJson(t, io.stdout, format === 'ndjson');
  } else {
    // Narrowed to nothing by options, or used in another namespace: the collector's answers.
    if ((t.rows === 0 && (filter.families || filter.listening || filter.states)) || t.foreignRows > 0) return undefined;
    const rows = fastRows(t);
    await describePort(io, port, protocol, rows, sort, ropts, undefined, await tcpListenPorts(io, port, rows));
    let held = false;
    let listening = false;
    for (let i = 0; i < rows.n; i++) {
      if (rows.localPort(i) !== port) continue;
      held ||= rows.held(i);
      listening ||= rows.state(i) === 'LISTEN' || rows.state(i) === 'UNCONN';
    }
    // (No row is a container's forwarder's: the fast road leaves those to the collector.)
    if (held) await killHint(io, port, protocol);
    if (!listening) await natLines(io, p, port, protocol);
  }
  reportHidden(io, t.snapshot(), t.reasons.get('permission-denied') ?? 0);
  return t.rows > 0 ? 0 : 1;
}

/** The native table's rows as PortRows: Socket objects made (from their JSON) only for the rows described one by one. */
function fastRows(t: FastTable): PortRows {
  const v = t.rowsView();
  const records = (rows: ArrayLike<number>): Uint32Array => {
    const out = new Uint32Array(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = v.index[rows[k]!]!;
    return out;
  };
  return {
    // Both ask about the rows in their first order (the one `v` copied), before any section is chosen.
    portNeeds: (port) => t.portNeeds(port),
    sections: (port, listenPorts) => t.portSections(port, listenPorts),
    tcpListeners: () => {
      // Listeners only, no holders: the kernel walks just its listening hash (see tcpListenPorts).
      const l = FastTable.collect({ states: ['LISTEN'], protocols: ['tcp'] }, undefined, { holders: false });
      if (!l) return undefined;
      const lv = l.rowsView();
      const ports: number[] = [];
      // Ours only (part 0): another namespace's ports are not this one's.
      for (let i = 0; i < lv.index.length; i++) if (lv.part[i] === 0 && lv.state[i] === STATE_NUMBER.get('LISTEN')) ports.push(lv.sport[i]!);
      return ports;
    },
    n: v.index.length,
    protocol: (i) => (v.proto[i] === 0 ? 'tcp' : 'udp'),
    state: (i) => SOCKET_STATES[v.state[i]!]!,
    localPort: (i) => v.sport[i]!,
    remotePort: (i) => v.dport[i]!,
    held: (i) => v.holders[i]! > 0,
    sockets: async (rows) => {
      if (!rows.length) return [];
      t.reselect(records(rows), undefined);
      const m = memorySink();
      await writeFastJson(t, m.sink, false);
      return JSON.parse(m.text()) as Socket[];
    },
    table: async (out, rows, sort, ropts) => {
      t.reselect(records(rows), sort === t.sortedBy ? undefined : sort);
      if (await writeFastTable(t, out, ropts)) return;
      // A service name the native widths cannot measure: the Socket objects' table.
      t.reselect(records(rows), undefined);
      const m = memorySink();
      await writeFastJson(t, m.sink, false);
      await renderTable(sortSockets(JSON.parse(m.text()) as Socket[], sort), out, ropts);
    },
  };
}

/** What the port usually is, its class, and how exposed the listeners make it: shown by default. */
async function portMeaning(io: Io, port: number, protocol: Protocol | undefined, listeners: Socket[], L: Lang): Promise<void> {
  const t = translator(L);
  // Another platform's facts are not in this machine's /proc (the replay seam): unknown, not Linux's.
  const host = currentPlatform() === 'linux' ? readHostFacts(defaultContext({ procRoot: io.global.procRoot }).procRoot) : {};
  const paragraphs = explainPortNumber(port, host, ianaLookup(), t, protocol);
  const scopes = new Set(listeners.map((s) => bindScope([s.localAddress], s.v6only)));
  if ([...scopes].some(isAllInterfaces)) paragraphs.push(t('explain.port.exposure.all'));
  else if (scopes.has('one-address')) paragraphs.push(t('explain.port.exposure.one'));
  else if (scopes.has('this-host-only')) paragraphs.push(t('explain.port.exposure.local'));
  for (const para of paragraphs) for (const line of wrap(para, io.global.width, '  ')) await io.stdout.line(paint(io.global.color, 'dim', line));
}

/**
 * One socket that holds the port (a listener, or a bound socket): address,
 * scope, holders, the accept queue with a warning when it is full, and each
 * holder's command line (cut to the terminal unless --wide).
 */
async function describeHolding(out: Io['stdout'], s: Socket, ropts: RenderOptions, explain?: (s: Socket) => string): Promise<void> {
  const L = ropts.lang;
  const c = ropts.color;
  const scope = scopeText(bindScope([s.localAddress], s.v6only), L);
  const who = s.holders.length ? s.holders.map((h) => holderText(h, L))
    : [msg(L, 'port.no-process', { reason: unheldText(s.unheldReason ?? 'unknown', L) })];
  let queue = '';
  let full = '';
  if (s.protocol === 'tcp' && s.state === 'LISTEN') {
    // The /proc/net source cannot see the backlog: "?", never a made-up number.
    queue = msg(L, 'port.accept-queue', { queue: `${s.absent?.includes('queues') ? '?' : s.recvQ}/${s.backlog ?? '?'}` });
    // The same rule as the explanation (list -e): more waiting than the backlog means the queue is full.
    if (s.backlog !== undefined && s.recvQ > s.backlog) full = msg(L, 'port.queue-full');
  }
  const width = ropts.wide ? undefined : ropts.width;
  const head = `  ${s.protocol}${s.family === 'ipv6' ? '6' : ''}  ${formatEndpoint(s.localAddress, s.localPort)}  ${scope}  `;
  const tail = (queue ? '  ' + queue : '') + (full ? ' ' + full : '');
  const line = head + who.join(', ') + tail;
  if (width === undefined || displayWidth(line) <= width) {
    await out.line(full ? line.slice(0, line.length - full.length) + paint(c, 'red', full) : line);
  } else {
    // A narrow terminal: the holders break over lines (never cut), the queue and its warning follow on their own.
    for (const l of flowLastCell(head, who, displayWidth(head), width)) await out.line(l);
    if (queue) for (const l of wrap(queue + (full ? ' ' + full : ''), width, '      ')) await out.line(full ? paint(c, 'red', l) : l);
  }
  for (const h of s.holders) {
    if (!h.command) continue;
    const user = h.user ? '  ' + msg(L, 'port.user', { user: safeText(h.user) }) : '';
    const lead = `      ${h.pid}: `;
    // The command line is cut to what is left of the line, with a visible "…"; the user stays whole.
    const room = width === undefined ? undefined : Math.max(width - lead.length - displayWidth(user), 16);
    await out.line(paint(c, 'dim', lead + commandText(h.command, room) + user));
  }
  // Containers (explain/containers.ts): which one runs it, or which one a host listener is kept for; --explain says it in its sentence.
  if (!explain) for (const sentence of containerSentences(s, translator(L))) for (const l of wrap(`\u2192 ${sentence}${msg(L, 'row.end')}`, ropts.width, '      ')) await out.line(l);
  if (explain) for (const l of wrap('↳ ' + explain(s), ropts.width, '      ')) await out.line(paint(c, 'dim', l));
}

/** "Port N: M sockets use it; none matches the options given." */
async function describeNoneMatch(io: Io, port: number, protocol: Protocol | undefined, n: number, ropts: RenderOptions): Promise<void> {
  const L = ropts.lang;
  const line = msg(L, 'port.none-match', { label: portLabel(port, protocol, L), n, inUse: paint(ropts.color, 'yellow', msg(L, 'port.in-use')) });
  for (const l of wrap(line, ropts.width)) await io.stdout.line(l);
  await io.stdout.flush();
}

/** "Port 80/tcp (usually http)". */
function portLabel(port: number, protocol: Protocol | undefined, L: Lang): string {
  const protos: Protocol[] = protocol ? [protocol] : ['tcp', 'udp'];
  const names = [...new Set(protos.map((pr) => serviceName(port, pr)).filter((n): n is string => !!n))];
  return msg(L, 'port.label', { port: `${port}${protocol ? '/' + protocol : ''}` }) +
    (names.length ? msg(L, 'port.usually', { names: names.join(', ') }) : '');
}

/**
 * The local ports with a TCP listener on this host, when a connection on port N
 * needs them to say which side it is (a client whose local port is N, the
 * server side of a connection from remote port N): a listeners-only dump,
 * without the fd scan. Undefined when no connection needs it.
 */
async function tcpListenPorts(io: Io, port: number, rows: PortRows, netns?: NetnsRef): Promise<ReadonlySet<number> | undefined> {
  const own = new Set<number>();
  let needs = false;
  const native = rows.portNeeds?.(port);
  if (native) {
    // (The rows are those of port N: a TCP listener among them is on N.)
    if (native.listensOnPort) own.add(port);
    needs = native.needs;
  } else {
    for (let i = 0; i < rows.n; i++) if (rows.protocol(i) === 'tcp' && rows.state(i) === 'LISTEN') own.add(rows.localPort(i));
    for (let i = 0; i < rows.n && !needs; i++) {
      needs = rows.protocol(i) === 'tcp' && rows.state(i) !== 'LISTEN' && !isBound(rows, i) &&
        (rows.localPort(i) === port ? !own.has(port) : rows.remotePort(i) === port);
    }
  }
  if (!needs) return undefined;
  const fast = rows.tcpListeners?.();
  if (fast) {
    for (const p of fast) own.add(p);
    return own;
  }
  try {
    // States LISTEN only: with no other state in the mask the kernel walks just
    // its listening hash, not every connection (-l would add UNCONN, i.e.
    // TCP_CLOSE, and cost a walk of the whole table: +130 ms at 100k sockets).
    // Listeners of the same namespace only: another namespace's ports are not this one's.
    const snap = await listSockets({ filter: { states: ['LISTEN'], protocols: ['tcp'] }, holders: false, source: io.global.source, procRoot: io.global.procRoot,
      netns: [netns === undefined || netns.host ? 'host' : String(netns.inode)] });
    for (const s of snap.sockets) if (s.state === 'LISTEN') own.add(s.localPort);
  } catch {
    // Without it, each connection is placed by its local port alone, as before.
  }
  return own;
}

/**
 * The port in every namespace read: one summary ("free in the host namespace;
 * used in network namespace blue (4026532500) by python3 pid 1234"), the
 * port's meaning once, then each namespace's sockets as `port` shows them.
 */
async function describeNamespaces(io: Io, port: number, protocol: Protocol | undefined, snap: Snapshot, sort: SortKey,
  ropts: RenderOptions, explain?: (s: Socket) => string): Promise<void> {
  const L = ropts.lang;
  const groups = new Map<NetnsRef | undefined, Socket[]>();
  // Host first, then in the order the namespaces were read.
  const order = new Map<number, number>((snap.namespaces ?? []).map((n, i) => [n.inode, n.host ? -1 : i]));
  for (const s of snap.sockets) {
    const key = s.netns === undefined || s.netns.host ? hostKey(snap, s.netns) : s.netns;
    const g = groups.get(key);
    if (g) g.push(s); else groups.set(key, [s]);
  }
  // What the snapshot knows of a namespace (its container) beyond the socket's reference.
  const infoOf = (k: NetnsRef): NetnsRef & { container?: ContainerRef } => snap.namespaces?.find((n) => n.inode === k.inode) ?? k;
  const keys = [...groups.keys()].sort((a, b) => (a === undefined || a.host ? -2 : order.get(a.inode) ?? 0) - (b === undefined || b.host ? -2 : order.get(b.inode) ?? 0));
  const hostRead = !snap.namespaces || snap.namespaces.some((n) => n.host);
  const parts: string[] = [];
  const hostGroup = keys.find((k) => k === undefined || k.host);
  if (hostRead && hostGroup === undefined) parts.push(paint(ropts.color, 'green', msg(L, 'netns.port.free-host')));
  for (const k of keys) {
    const who = holdersSummary(groups.get(k)!, port, L);
    parts.push(k === undefined || k.host ? msg(L, 'netns.port.used-host', { who }) : msg(L, 'netns.port.used-in', { ns: netnsLabel(infoOf(k), L), who }));
  }
  for (const l of wrap(msg(L, 'netns.port.summary', { label: portLabel(port, protocol, L), parts: parts.join('; ') }), ropts.width)) await io.stdout.line(l);
  const listeners = snap.sockets.filter((s) => s.localPort === port && (s.protocol === 'tcp' ? s.state === 'LISTEN' : s.state === 'UNCONN'));
  await portMeaning(io, port, protocol, listeners, L);
  for (const k of keys) {
    await io.stdout.line('');
    await io.stdout.line(paint(ropts.color, 'bold', k === undefined || k.host ? msg(L, 'netns.port.section-host') : msg(L, 'netns.port.section', { ns: netnsLabel(infoOf(k), L) })));
    const list = socketRows(groups.get(k)!);
    await describePort(io, port, protocol, list, sort, ropts, explain, await tcpListenPorts(io, port, list, k), false);
  }
}

/** The one key of the host's sockets (its NetnsRef, or undefined when the source does not tell). */
function hostKey(snap: Snapshot, n: NetnsRef | undefined): NetnsRef | undefined {
  if (n !== undefined) return n;
  return snap.sockets.find((s) => s.netns?.host)?.netns;
}

/** "python3 pid 1234, nginx pid 1240 and 3 more": who holds the namespace's sockets on the port (listeners first). */
function holdersSummary(sockets: readonly Socket[], port: number, L: Lang): string {
  const seen = new Map<number, string>();
  const first = [...sockets].sort((a, b) => Number(b.localPort === port) - Number(a.localPort === port));
  for (const s of first) for (const h of s.holders) if (!seen.has(h.pid)) seen.set(h.pid, msg(L, 'netns.who', { name: nameText(h.name), pid: h.pid }));
  if (seen.size === 0) return msg(L, 'netns.who.none');
  const names = [...seen.values()];
  return names.length > 3 ? msg(L, 'netns.who.more', { list: names.slice(0, 3).join(', '), n: names.length - 3 }) : names.join(', ');
}

/**
 * The rows `port N` describes, whatever holds them: Socket objects, or the
 * native table's rows by index (collectors/fast), which become Socket objects
 * only for the few rows described one by one (listeners, bound sockets).
 */
export interface PortRows {
  n: number;
  protocol(i: number): Protocol;
  state(i: number): Socket['state'];
  localPort(i: number): number;
  remotePort(i: number): number;
  /** Held by some process. */
  held(i: number): boolean;
  /** These rows as Socket objects, in this order. */
  sockets(rows: ArrayLike<number>): Promise<Socket[]>;
  /** A table of these rows sorted by `sort`, as renderTable writes it. */
  table(out: Sink, rows: ArrayLike<number>, sort: SortKey, ropts: RenderOptions, explain?: (s: Socket) => string): Promise<void>;
  /** The local ports of this namespace's TCP listeners, read without a holder scan; undefined: ask listSockets(). */
  tcpListeners?(): number[] | undefined;
  /** tcpListenPorts' and describePort's loops over the rows, done where the rows are (the native table). */
  portNeeds?(port: number): { needs: boolean; listensOnPort: boolean };
  sections?(port: number, listenPorts: ReadonlySet<number> | undefined): ArrayLike<number>[];
}

/** Socket objects as PortRows. */
export function socketRows(sockets: readonly Socket[]): PortRows {
  const pick = (rows: ArrayLike<number>): Socket[] => Array.from(rows, (i) => sockets[i]!);
  return {
    n: sockets.length,
    protocol: (i) => sockets[i]!.protocol,
    state: (i) => sockets[i]!.state,
    localPort: (i) => sockets[i]!.localPort,
    remotePort: (i) => sockets[i]!.remotePort,
    held: (i) => sockets[i]!.holders.length > 0,
    sockets: async (rows) => pick(rows),
    table: (out, rows, sort, ropts, explain) => renderTable(sortSockets(pick(rows), sort), out, ropts, undefined, explain),
  };
}

/** Bound without listening (CLOSE with a local port): overview.ts isBoundSocket. */
function isBound(rows: PortRows, i: number): boolean {
  return rows.protocol(i) === 'tcp' && rows.state(i) === 'CLOSE' && rows.localPort(i) !== 0;
}

/**
 * The sections of `port N`, as positions in the rows: listeners, bound, inbound, inbound-from,
 * outbound, outbound-from. TCP connections are placed by which end listens (as list -e does): local
 * port N without a listener on N is a client's port (outbound from N); remote port N seen from a
 * listening local port is a client's port connecting to us (inbound from N). The native table does
 * the same in native/fast.cc (portSections).
 */
function classify(rows: PortRows, port: number, listenPorts: ReadonlySet<number> | undefined, listensOn: (p: number) => boolean,
  [listenerRows, boundRows, inbound, inboundFrom, outbound, outboundFrom]: number[][]): void {
  for (let i = 0; i < rows.n; i++) {
    const proto = rows.protocol(i);
    const local = rows.localPort(i);
    if (local === port && (proto === 'tcp' ? rows.state(i) === 'LISTEN' : rows.state(i) === 'UNCONN')) { listenerRows!.push(i); continue; }
    // Bound without listening (CLOSE with a local port): holds the port, accepts nothing. Neither inbound nor outbound.
    if (local === port && isBound(rows, i)) { boundRows!.push(i); continue; }
    if (local === port) {
      if (proto !== 'tcp' || listenPorts === undefined || listensOn(port)) inbound!.push(i); else outboundFrom!.push(i);
    } else if (proto === 'tcp' && listenPorts !== undefined && listensOn(local)) {
      inboundFrom!.push(i);
    } else if (rows.remotePort(i) === port) {
      outbound!.push(i);
    }
  }
}

async function describePort(io: Io, port: number, protocol: Protocol | undefined, rows: PortRows, sort: SortKey,
  ropts: RenderOptions, explain?: (s: Socket) => string, listenPorts?: ReadonlySet<number>, meaning = true): Promise<void> {
  const out = io.stdout;
  const c = ropts.color;
  const L = ropts.lang;
  const label = portLabel(port, protocol, L);
  if (rows.n === 0) {
    for (const l of wrap(msg(L, 'port.free-line', { label, free: paint(c, 'green', msg(L, 'port.free')) }), ropts.width)) await out.line(l);
    await portMeaning(io, port, protocol, [], L);
    await out.flush();
    return;
  }
  // TCP connections are placed by which end listens (as list -e does): local port N
  // without a listener on N is a client's port (outbound from N); remote port N seen
  // from a listening local port is a client's port connecting to us (inbound from N).
  const listensOn = (p: number): boolean => listenPorts?.has(p) ?? true;
  const native = rows.sections?.(port, listenPorts);
  const listenerRows: ArrayLike<number> = native ? native[0]! : [];
  const boundRows: ArrayLike<number> = native ? native[1]! : [];
  const inbound: ArrayLike<number> = native ? native[2]! : [];
  const inboundFrom: ArrayLike<number> = native ? native[3]! : [];
  const outbound: ArrayLike<number> = native ? native[4]! : [];
  const outboundFrom: ArrayLike<number> = native ? native[5]! : [];
  if (!native) classify(rows, port, listenPorts, listensOn, [listenerRows, boundRows, inbound, inboundFrom, outbound, outboundFrom] as number[][]);

  const listeners = await rows.sockets(listenerRows);
  const bound = await rows.sockets(boundRows);
  const summary = msg(L, 'port.in-use-line', {
    label, inUse: paint(c, 'yellow', msg(L, 'port.in-use')),
    listening: listeners.length, inbound: inbound.length + inboundFrom.length, outbound: outbound.length + outboundFrom.length,
    bound: bound.length ? msg(L, 'port.bound-count', { n: bound.length }) : '',
  });
  for (const l of wrap(summary, ropts.width)) await out.line(l);
  if (meaning) await portMeaning(io, port, protocol, listeners, L);
  if (listeners.length) {
    await out.line('');
    await out.line(paint(c, 'bold', msg(L, 'port.listening')));
    for (const s of sortSockets(listeners, 'proto')) await describeHolding(out, s, ropts, explain);
  }
  if (bound.length) {
    await out.line('');
    await out.line(paint(c, 'bold', msg(L, 'port.bound')));
    for (const l of wrap(msg(L, 'overview.bound.note'), ropts.width, '  ')) await out.line(paint(c, 'dim', l));
    for (const s of sortSockets(bound, 'proto')) await describeHolding(out, s, ropts, explain);
  }
  const sections = [[msg(L, 'port.inbound', { port, n: inbound.length }), inbound],
    [msg(L, 'port.inbound-from', { port, n: inboundFrom.length }), inboundFrom],
    [msg(L, 'port.outbound', { port, n: outbound.length }), outbound],
    [msg(L, 'port.outbound-from', { port, n: outboundFrom.length }), outboundFrom]] as const;
  for (const [title, list] of sections) {
    if (!list.length) continue;
    await out.line('');
    await out.line(paint(c, 'bold', title));
    await rows.table(out, list, sort, ropts, explain);
  }
  await out.flush();
}

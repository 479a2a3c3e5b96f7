// sockscope port N[/tcp|/udp]: who uses port N. The answer to
// `netstat -ano | findstr :80`, without its substring matches (":80" also hits
// 8080 and 49380; kill-port once killed 49302 when asked for 9302).
import { bindScope, isAllInterfaces } from '../../model/address.js';
import type { Protocol, Socket } from '../../model/socket.js';
import { formatEndpoint } from '../../model/socket.js';
import { sortSockets, type SortKey } from '../../model/sort.js';
import { serviceName } from '../../explain/services.js';
import { holderText, unheldText } from '../../views/columns.js';
import { scopeText } from '../../views/overview.js';
import { msg, translator, type Lang } from '../../explain/i18n.js';
import { explainPortNumber } from '../../explain/ports.js';
import { ianaLookup } from '../../explain/iana.js';
import { readHostFacts } from '../../collectors/procfs/host.js';
import { defaultContext } from '../../index.js';
import { paint, wrap, type RenderOptions } from '../../views/sink.js';
import { renderTable } from '../../views/table.js';
import { UsageError, parseArgs, parsePort } from '../args.js';
import { FILTER_SPECS, OUTPUT_SPECS, explainerFor, filterFrom, formatFrom, query, renderOptions, reportHidden, sortFrom, writeSockets, type Io } from '../common.js';

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
  const { port, protocol } = parsePortArg(p.positionals[0]!);
  const filter = filterFrom(p);
  if (protocol) {
    if (filter.protocols && !filter.protocols.includes(protocol)) throw new UsageError('err.port-contradicts', { text: `${port}/${protocol}` });
    filter.protocols = [protocol];
  }
  filter.ports = [port];
  if (!filter.listening && !filter.states) filter.all = true;
  const format = formatFrom(p);
  const sort = sortFrom(p, 'state');
  const snap = await query(io, { filter });
  const sockets = snap.sockets;

  if (format !== 'table') {
    await writeSockets(io, sockets, format, p, sort);
  } else {
    const explain = await explainerFor(io, p, format, sockets);
    await describePort(io, port, protocol, sockets, sort, renderOptions(io, p), explain);
  }
  reportHidden(io, snap);
  return sockets.length > 0 ? 0 : 1;
}

/** What the port usually is, its class, and how exposed the listeners make it: shown by default. */
async function portMeaning(io: Io, port: number, protocol: Protocol | undefined, listeners: Socket[], L: Lang): Promise<void> {
  const t = translator(L);
  const host = readHostFacts(defaultContext({ procRoot: io.global.procRoot }).procRoot);
  const paragraphs = explainPortNumber(port, host, ianaLookup(), t, protocol);
  const scopes = new Set(listeners.map((s) => bindScope([s.localAddress], s.v6only)));
  if ([...scopes].some(isAllInterfaces)) paragraphs.push(t('explain.port.exposure.all'));
  else if (scopes.has('one-address')) paragraphs.push(t('explain.port.exposure.one'));
  else if (scopes.has('this-host-only')) paragraphs.push(t('explain.port.exposure.local'));
  for (const para of paragraphs) for (const line of wrap(para, io.global.width, '  ')) await io.stdout.line(paint(io.global.color, 'dim', line));
}

async function describePort(io: Io, port: number, protocol: Protocol | undefined, sockets: Socket[], sort: SortKey,
  ropts: RenderOptions, explain?: (s: Socket) => string): Promise<void> {
  const out = io.stdout;
  const c = ropts.color;
  const L = ropts.lang;
  const protos: Protocol[] = protocol ? [protocol] : ['tcp', 'udp'];
  const names = [...new Set(protos.map((pr) => serviceName(port, pr)).filter((n): n is string => !!n))];
  const label = msg(L, 'port.label', { port: `${port}${protocol ? '/' + protocol : ''}` }) +
    (names.length ? msg(L, 'port.usually', { names: names.join(', ') }) : '');
  if (sockets.length === 0) {
    await out.line(msg(L, 'port.free-line', { label, free: paint(c, 'green', msg(L, 'port.free')) }));
    await portMeaning(io, port, protocol, [], L);
    await out.flush();
    return;
  }
  const listeners = sockets.filter((s) => s.localPort === port && (s.protocol === 'tcp' ? s.state === 'LISTEN' : s.state === 'UNCONN'));
  const inbound = sockets.filter((s) => s.localPort === port && !listeners.includes(s));
  const outbound = sockets.filter((s) => s.localPort !== port && s.remotePort === port);
  await out.line(msg(L, 'port.in-use-line', {
    label, inUse: paint(c, 'yellow', msg(L, 'port.in-use')),
    listening: listeners.length, inbound: inbound.length, outbound: outbound.length,
  }));
  await portMeaning(io, port, protocol, listeners, L);
  if (listeners.length) {
    await out.line('');
    await out.line(paint(c, 'bold', msg(L, 'port.listening')));
    for (const s of sortSockets(listeners, 'proto')) {
      const scope = scopeText(bindScope([s.localAddress], s.v6only), L);
      const who = s.holders.length ? s.holders.map((h) => holderText(h, L)).join(', ')
        : msg(L, 'port.no-process', { reason: unheldText(s.unheldReason ?? 'unknown', L) });
      const queue = s.protocol === 'tcp'
        ? '  ' + msg(L, 'port.accept-queue', { queue: `${s.recvQ}${s.backlog !== undefined ? `/${s.backlog}` : ''}` }) : '';
      await out.line(`  ${s.protocol}${s.family === 'ipv6' ? '6' : ''}  ${formatEndpoint(s.localAddress, s.localPort)}  ${scope}  ${who}${queue}`);
      for (const h of s.holders) {
        if (h.command) await out.line(paint(c, 'dim', `      ${h.pid}: ${h.command}${h.user ? '  ' + msg(L, 'port.user', { user: h.user }) : ''}`));
      }
      if (explain) for (const l of wrap('↳ ' + explain(s), ropts.width, '      ')) await out.line(paint(c, 'dim', l));
    }
  }
  const sections = [[msg(L, 'port.inbound', { port, n: inbound.length }), inbound],
    [msg(L, 'port.outbound', { port, n: outbound.length }), outbound]] as const;
  for (const [title, list] of sections) {
    if (!list.length) continue;
    await out.line('');
    await out.line(paint(c, 'bold', title));
    await renderTable(sortSockets([...list], sort), out, ropts, undefined, explain);
  }
  await out.flush();
}

// sockscope port N[/tcp|/udp]: who uses port N. The answer to
// `netstat -ano | findstr :80`, without its substring matches (":80" also hits
// 8080 and 49380; kill-port once killed 49302 when asked for 9302).
import { bindScope } from '../../model/address.js';
import type { Protocol, Socket } from '../../model/socket.js';
import { formatEndpoint } from '../../model/socket.js';
import { sortSockets, type SortKey } from '../../model/sort.js';
import { serviceName } from '../../explain/services.js';
import { holderText, unheldText } from '../../views/columns.js';
import { scopeText } from '../../views/overview.js';
import { msg } from '../../explain/i18n.js';
import { paint, type RenderOptions } from '../../views/sink.js';
import { renderTable } from '../../views/table.js';
import { UsageError, parseArgs, parsePort } from '../args.js';
import { FILTER_SPECS, OUTPUT_SPECS, filterFrom, formatFrom, query, renderOptions, reportHidden, sortFrom, writeSockets, type Io } from '../common.js';

export const PORT_HELP = `Usage: sockscope port <N>[/tcp|/udp] [options]

Who uses port N: the listeners with their processes and bind scope, the
connections to it, and this host's outbound connections to remote port N.
The match is exact: port 80 never shows 8080.

Exit status: 0 when something uses the port, 1 when nothing does, 2 on a usage error.

Options: the filters and output formats of 'sockscope list' (-t -u -4 -6 -l
--state ... -n --json --ndjson --csv --sort). TIME_WAIT is always included.

Examples:
  sockscope port 80
  sockscope port 53/udp
  sockscope port 5432 --json
  sockscope port 3000 >/dev/null || echo "port 3000 is free"`;

/** Parse "80", "80/tcp", "53/udp". */
export function parsePortArg(text: string): { port: number; protocol?: Protocol } {
  const m = /^([^/]*)(?:\/(.*))?$/.exec(text)!;
  const port = parsePort(m[1]!);
  if (m[2] === undefined) return { port };
  const proto = m[2].toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`invalid protocol '${m[2]}' in '${text}': use /tcp or /udp`);
  return { port, protocol: proto };
}

export async function portCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [...FILTER_SPECS.filter((s) => s.name !== 'port'), ...OUTPUT_SPECS]);
  if (p.flags.has('help')) {
    await io.stdout.line(PORT_HELP);
    return 0;
  }
  if (p.positionals.length === 0) throw new UsageError('port needs a port number, e.g. sockscope port 80');
  if (p.positionals.length > 1) throw new UsageError(`port takes one port, got '${p.positionals.join(' ')}'`);
  const { port, protocol } = parsePortArg(p.positionals[0]!);
  const filter = filterFrom(p);
  if (protocol) {
    if (filter.protocols && !filter.protocols.includes(protocol)) throw new UsageError(`'${port}/${protocol}' contradicts the protocol flag`);
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
    await describePort(io, port, protocol, sockets, sort, renderOptions(io, p));
  }
  reportHidden(io, snap);
  return sockets.length > 0 ? 0 : 1;
}

async function describePort(io: Io, port: number, protocol: Protocol | undefined, sockets: Socket[], sort: SortKey,
  ropts: RenderOptions): Promise<void> {
  const out = io.stdout;
  const c = ropts.color;
  const L = ropts.lang;
  const protos: Protocol[] = protocol ? [protocol] : ['tcp', 'udp'];
  const names = [...new Set(protos.map((pr) => serviceName(port, pr)).filter((n): n is string => !!n))];
  const label = msg(L, 'port.label', { port: `${port}${protocol ? '/' + protocol : ''}` }) +
    (names.length ? msg(L, 'port.usually', { names: names.join(', ') }) : '');
  if (sockets.length === 0) {
    await out.line(msg(L, 'port.free-line', { label, free: paint(c, 'green', msg(L, 'port.free')) }));
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
  if (listeners.length) {
    await out.line('');
    await out.line(paint(c, 'bold', msg(L, 'port.listening')));
    for (const s of sortSockets(listeners, 'proto')) {
      const scope = scopeText(bindScope([s.localAddress]), L);
      const who = s.holders.length ? s.holders.map((h) => holderText(h, L)).join(', ')
        : msg(L, 'port.no-process', { reason: unheldText(s.unheldReason ?? 'unknown', L) });
      const queue = s.protocol === 'tcp'
        ? '  ' + msg(L, 'port.accept-queue', { queue: `${s.recvQ}${s.backlog !== undefined ? `/${s.backlog}` : ''}` }) : '';
      await out.line(`  ${s.protocol}${s.family === 'ipv6' ? '6' : ''}  ${formatEndpoint(s.localAddress, s.localPort)}  ${scope}  ${who}${queue}`);
      for (const h of s.holders) {
        if (h.command) await out.line(paint(c, 'dim', `      ${h.pid}: ${h.command}${h.user ? '  ' + msg(L, 'port.user', { user: h.user }) : ''}`));
      }
    }
  }
  const sections = [[msg(L, 'port.inbound', { port, n: inbound.length }), inbound],
    [msg(L, 'port.outbound', { port, n: outbound.length }), outbound]] as const;
  for (const [title, list] of sections) {
    if (!list.length) continue;
    await out.line('');
    await out.line(paint(c, 'bold', title));
    await renderTable(sortSockets([...list], sort), out, ropts);
  }
  await out.flush();
}

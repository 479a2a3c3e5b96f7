// `sockscope explain <topic>`: the topics, their aliases, and the parsing of
// the forms "port 443", "443", "0.0.0.0:80", "[::1]:8080", "state TIME_WAIT",
// "time-wait". Pure: host facts and the service lookup are passed in.
import { canonicalAddress } from '../model/address.js';
import { nearestAll } from '../model/nearest.js';
import { SOCKET_STATES, type SocketState } from '../model/socket.js';
import { explainAddress } from './addresses.js';
import type { MessageKey, Translate } from './i18n.js';
import { explainPortNumber, type HostFacts, type ServiceLookup } from './ports.js';

export interface Explanation {
  title: string;
  paragraphs: string[];
}

interface TopicDef {
  name: string;
  aliases: string[];
  title: MessageKey;
  body: (t: Translate, host: HostFacts) => string[];
}

function hostParams(host: HostFacts): Record<string, string | number> {
  const [from, to] = host.ephemeral ?? [32768, 60999];
  return {
    from, to, count: to - from + 1,
    start: host.unprivilegedStart ?? 1024,
    somaxconn: host.somaxconn ?? '?',
    bindv6only: host.bindv6only ?? '?',
  };
}

const TOPICS: readonly TopicDef[] = [
  { name: 'socket', aliases: ['sockets'], title: 'topic.socket.title', body: (t) => [t('topic.socket.body')] },
  { name: 'fd', aliases: ['fds', 'file-descriptor', 'file-descriptors', 'descriptor'], title: 'topic.fd.title', body: (t) => [t('topic.fd.body')] },
  { name: '4-tuple', aliases: ['tuple', 'four-tuple', '5-tuple', 'demultiplexing'], title: 'topic.4-tuple.title', body: (t) => [t('topic.4-tuple.body')] },
  { name: 'ephemeral', aliases: ['ephemeral-ports', 'ephemeral-port', 'client-port', 'ip_local_port_range'], title: 'topic.ephemeral.title',
    body: (t, h) => [t('topic.ephemeral.body', hostParams(h))] },
  { name: 'backlog', aliases: ['accept-queue', 'listen-backlog', 'somaxconn', 'accept'], title: 'topic.backlog.title',
    body: (t, h) => [t('topic.backlog.body', hostParams(h)), t('queue.listen.full')] },
  { name: 'recv-q', aliases: ['recvq', 'recv_q', 'receive-queue', 'rx-queue'], title: 'topic.recv-q.title',
    body: (t) => [t('queue.listen.recv'), t('queue.conn.recv'), t('queue.conn.fin'), t('queue.udp')] },
  { name: 'send-q', aliases: ['sendq', 'send_q', 'send-queue', 'tx-queue'], title: 'topic.send-q.title',
    body: (t) => [t('queue.listen.send'), t('queue.conn.send'), t('queue.udp')] },
  { name: 'handshake', aliases: ['three-way-handshake', 'syn', 'connect'], title: 'topic.handshake.title', body: (t) => [t('topic.handshake.body')] },
  { name: 'close', aliases: ['closing', 'fin', 'four-way', 'teardown'], title: 'topic.close.title', body: (t) => [t('topic.close.body')] },
  { name: 'ports', aliases: ['well-known', 'registered', 'dynamic', 'port-ranges', 'port-range', 'port-classes'], title: 'topic.well-known.title',
    body: (t, h) => [t('topic.well-known.body', hostParams(h))] },
  { name: 'privileged', aliases: ['privileged-ports', 'ip_unprivileged_port_start', 'root-ports'], title: 'topic.privileged.title',
    body: (t, h) => [t('topic.privileged.body', hostParams(h))] },
  { name: 'dual-stack', aliases: ['ipv6', 'v6only', 'ipv4-mapped', 'mapped', 'dualstack'], title: 'topic.dual-stack.title',
    body: (t, h) => [t('topic.dual-stack.body', hostParams(h))] },
  { name: 'loopback', aliases: ['localhost', 'all-interfaces', 'bind-address', 'any'], title: 'topic.loopback.title', body: (t) => [t('topic.loopback.body')] },
  { name: 'no-owner', aliases: ['unheld', 'no-process', 'holders', 'owner', 'not-accepted'], title: 'topic.no-owner.title',
    body: (t) => [t('holder.none.not-accepted'), t('holder.none.kernel'), t('holder.none.permission-denied'), t('holder.none.process-exited'),
      t('holder.none.other-namespace'), t('holder.shared')] },
  { name: 'udp', aliases: ['datagram'], title: 'topic.udp.title', body: (t) => [t('topic.udp.body')] },
  { name: 'reuseaddr', aliases: ['so_reuseaddr', 'eaddrinuse', 'address-in-use', 'port-in-use'], title: 'topic.reuseaddr.title',
    body: (t) => [t('topic.reuseaddr.body')] },
  { name: 'rtt', aliases: ['round-trip', 'srtt', 'rttvar', 'min-rtt', 'minrtt', 'rto', 'latency'], title: 'topic.rtt.title', body: (t) => [t('topic.rtt.body')] },
  { name: 'cwnd', aliases: ['congestion-window', 'congestion', 'ssthresh', 'cc', 'bbr', 'cubic', 'rwnd-limited', 'sndbuf-limited'], title: 'topic.cwnd.title', body: (t) => [t('topic.cwnd.body')] },
  { name: 'retrans', aliases: ['retransmissions', 'retransmits', 'retransmit', 'loss', 'lost', 'retr'], title: 'topic.retransmissions.title', body: (t) => [t('topic.retransmissions.body')] },
  { name: 'tcp-info', aliases: ['tcp_info', 'info', 'bytes-sent', 'bytes-received', 'bytes-acked', 'mss', 'delivery-rate', 'pacing-rate'], title: 'topic.tcp-info.title', body: (t) => [t('topic.tcp-info.body')] },
  { name: 'nodelay', aliases: ['tcp_nodelay', 'nagle', 'so_linger', 'linger', 'socket-options', 'setsockopt'], title: 'topic.nodelay.title', body: (t) => [t('topic.nodelay.body')] },
  { name: 'netns', aliases: ['namespace', 'namespaces', 'network-namespace', 'network-namespaces', 'ip-netns', 'same-port'], title: 'netns.topic.title',
    body: (t) => [t('netns.topic.what'), t('netns.topic.same-port'), t('netns.topic.sockscope')] },
  { name: 'container-ports', aliases: ['containers', 'container', 'docker-proxy', 'rootlessport', 'conmon', 'published-ports', 'publish', 'port-forwarding', 'nat', 'units', 'unit'],
    title: 'containers.topic.title', body: (t) => [t('containers.topic.proxy'), t('containers.topic.conmon'), t('containers.topic.nat'), t('containers.topic.names')] },
  { name: 'states', aliases: ['state', 'tcp-states'], title: 'topic.states.title',
    body: (t) => [t('topic.state.list', { states: SOCKET_STATES.filter((s) => s !== 'UNCONN').join(', ') })] },
];

/** The topic names, in the order `sockscope explain` lists them. */
export function topicNames(): string[] {
  return TOPICS.map((x) => x.name);
}

/** Every word that names a topic or a state, for suggestions. */
function vocabulary(): string[] {
  return [...TOPICS.flatMap((x) => [x.name, ...x.aliases]), ...SOCKET_STATES.map((s) => s.toLowerCase()), 'port'];
}

/** The listing shown by `sockscope explain` alone. */
export function topicList(t: Translate): Explanation {
  return {
    title: t('topic.list.header'),
    paragraphs: [...TOPICS.map((x) => `${x.name.padEnd(12)} ${t(x.title)}`), t('topic.list.forms')],
  };
}

/** Parse a state name the way people type it: time-wait, TIME_WAIT, Established, listening. */
export function parseStateName(text: string): SocketState | undefined {
  const norm = text.trim().toUpperCase().replace(/-/g, '_');
  const aliases: Record<string, SocketState> = {
    LISTENING: 'LISTEN', ESTAB: 'ESTABLISHED', SYN_RECEIVED: 'SYN_RECV', FIN_WAIT_1: 'FIN_WAIT1', FIN_WAIT_2: 'FIN_WAIT2',
    CLOSED: 'CLOSE', UNCONNECTED: 'UNCONN',
  };
  return (SOCKET_STATES as readonly string[]).includes(norm) ? (norm as SocketState) : aliases[norm];
}

/** All four facets of a state. */
export function explainState(state: SocketState, t: Translate): Explanation {
  const labels = t('topic.state.labels').split('|');
  const facets = ['what', 'wait', 'leave', 'problem'] as const;
  return {
    title: t('topic.state.title', { state }),
    paragraphs: facets.map((f, i) => t('topic.state.facet', { label: labels[i] ?? '', text: t(`state.${state}.${f}` as MessageKey) })),
  };
}

/**
 * An endpoint the user typed: 0.0.0.0:80, [::1]:8080, ::1, 127.0.0.1. The port
 * is kept as typed (any run of digits) so that an out-of-range one is refused,
 * never dropped.
 */
function parseEndpoint(text: string): { address: string; port?: string } | undefined {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    const address = canonicalAddress(bracket[1]!);
    if (!address) return undefined;
    return { address, port: bracket[2] };
  }
  const whole = canonicalAddress(text);
  if (whole) return { address: whole };
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(text);
  if (v4port) {
    const address = canonicalAddress(v4port[1]!);
    if (address) return { address, port: v4port[2] };
  }
  return undefined;
}

export type TopicResult =
  | { ok: true; explanation: Explanation }
  /** `badPort`: an endpoint whose port is not 0..65535, refused rather than explained without it. */
  | { ok: false; suggestions: string[]; badPort?: string };

/** Resolve `explain <words…>` into an explanation, or suggestions for an unknown topic. */
export function explainTopic(words: readonly string[], t: Translate, host: HostFacts, lookup: ServiceLookup | undefined): TopicResult {
  const [first = '', second] = words;
  const lower = first.toLowerCase();
  const portText = lower === 'port' ? second : /^\d+(\/(tcp|udp))?$/i.test(first) ? first : undefined;
  // A word after a complete topic ("port 80 443", "state close wait") is not dropped: no such topic.
  if (words.length > (lower === 'port' || lower === 'state' ? 2 : 1)) return { ok: false, suggestions: nearestAll(words.join('-').toLowerCase(), vocabulary()) };
  if (portText !== undefined) {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(portText);
    if (!m || Number(m[1]) > 65535) return { ok: false, suggestions: [] };
    const port = Number(m[1]);
    const protocol = m[2]?.toLowerCase() as 'tcp' | 'udp' | undefined;
    return { ok: true, explanation: { title: t('explain.port.title', { port: portText }), paragraphs: explainPortNumber(port, host, lookup, t, protocol) } };
  }
  if (lower === 'state' && second !== undefined) {
    const st = parseStateName(second);
    return st ? { ok: true, explanation: explainState(st, t) } : { ok: false, suggestions: nearestAll(second, SOCKET_STATES) };
  }
  if (words.length === 1) {
    const st = parseStateName(first);
    const topic = TOPICS.find((x) => x.name === lower || x.aliases.includes(lower));
    // A word that is both a topic and a state ("close", "closing") is the topic,
    // as the topic list promises; the state is reached by its upper-case name
    // (CLOSE, CLOSING) or by "state close". The topic then points to the state.
    if (topic && !(st && first === first.toUpperCase())) {
      const paragraphs = topic.body(t, host);
      if (st) paragraphs.push(t('topic.see-state', { state: st }));
      return { ok: true, explanation: { title: t(topic.title), paragraphs } };
    }
    if (st) return { ok: true, explanation: explainState(st, t) };
    const ep = parseEndpoint(first);
    if (ep) {
      if (ep.port !== undefined && (ep.port.length > 5 || Number(ep.port) > 65535)) return { ok: false, suggestions: [], badPort: ep.port! };
      const paragraphs = explainAddress(ep.address, t);
      if (ep.port !== undefined) paragraphs.push(...explainPortNumber(Number(ep.port), host, lookup, t));
      return { ok: true, explanation: { title: first, paragraphs } };
    }
  }
  return { ok: false, suggestions: nearestAll(words.join('-').toLowerCase(), vocabulary()) };
}

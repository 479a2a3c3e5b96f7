import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, explainAddress } from '../../src/explain/addresses.js';
import { translator, LANGS } from '../../src/explain/i18n.js';
import { ianaLookup } from '../../src/explain/iana.js';
import { explainPortNumber, portClass, portRisk, type HostFacts } from '../../src/explain/ports.js';
import { explainSocket, rowContext } from '../../src/explain/row.js';
import { explainTopic, topicNames } from '../../src/explain/topics.js';
import { SOCKET_STATES, type Socket } from '../../src/model/socket.js';
import { bindScope } from '../../src/model/address.js';
import { socketJson, toJson } from '../../src/views/table.js';

const en = translator('en');
const host: HostFacts = { ephemeral: [32768, 60999], unprivilegedStart: 1024, somaxconn: 4096, bindv6only: 0 };

test('port classes at their boundaries', () => {
  assert.deepEqual([0, 1023, 1024, 49151, 49152, 65535].map(portClass),
    ['well-known', 'well-known', 'registered', 'registered', 'dynamic', 'dynamic']);
});

test('a port explained against this host: ephemeral and privileged', () => {
  const low = explainPortNumber(80, host, undefined, en).join(' ');
  assert.match(low, /well-known/);
  assert.match(low, /outside this host's ephemeral range 32768–60999/);
  assert.match(low, /needs root or CAP_NET_BIND_SERVICE/);
  const eph = explainPortNumber(40000, host, undefined, en).join(' ');
  assert.match(eph, /inside the ephemeral range 32768–60999/);
  assert.match(eph, /Any user may listen/);
  const other: HostFacts = { ephemeral: [1024, 4999], unprivilegedStart: 80 };
  assert.match(explainPortNumber(80, other, undefined, en).join(' '), /Any user may listen on it here: only ports below 80/);
  assert.match(explainPortNumber(0, host, undefined, en)[0]!, /kernel to pick a free ephemeral port/);
  // Unknown host facts are not claimed.
  assert.doesNotMatch(explainPortNumber(80, {}, undefined, en).join(' '), /ephemeral|privileged/);
});

test('IANA names come from the shipped registry', () => {
  const lookup = ianaLookup();
  assert.ok(lookup, 'dist/data/iana-services.json is built');
  assert.equal(lookup(22, 'tcp')?.name, 'ssh');
  assert.equal(lookup(53, 'udp')?.name, 'domain');
  assert.equal(lookup(443, 'tcp')?.name, 'https');
  assert.match(explainPortNumber(5432, host, lookup, en).join(' '), /postgresql/);
});

test('ports with a history of abuse are flagged with a reason', () => {
  assert.equal(portRisk(23)?.key, 'risk.cleartext-login');
  assert.equal(portRisk(445)?.key, 'risk.smb');
  assert.equal(portRisk(31337)?.key, 'risk.backdoor');
  assert.equal(portRisk(12345)?.params['names'], 'NetBus');
  assert.equal(portRisk(3389)?.key, 'risk.remote-desktop');
  assert.equal(portRisk(443), undefined);
  assert.match(explainPortNumber(31337, host, undefined, en).at(-1)!, /Back Orifice/);
});

test('addresses: any, loopback, mapped, link-local, private, public', () => {
  const kinds = ['0.0.0.0', '::', '127.0.0.5', '::1', '::ffff:127.0.0.1', 'fe80::1', '169.254.1.1', '10.1.2.3', '172.20.0.1',
    '192.168.1.1', 'fd00::1', '100.64.0.1', '224.0.0.251', '8.8.8.8', '2001:4860::8888'].map((a) => classifyAddress(a)?.kind);
  assert.deepEqual(kinds, ['any4', 'any6', 'loopback', 'loopback', 'mapped', 'link-local', 'link-local', 'private', 'private',
    'private', 'private', 'cgnat', 'multicast', 'public', 'public']);
  assert.match(explainAddress('0.0.0.0', en, { asRemotePort: 0 })[0]!, /no peer/);
  assert.match(explainAddress('::', en, { v6only: false }).join(' '), /IPv4 too|dual-stack/);
  assert.match(explainAddress('::ffff:127.0.0.1', en).join(' '), /IPv4 address 127\.0\.0\.1 .* loopback/s);
  assert.match(explainAddress('nonsense', en)[0]!, /not an IP address/);
});

const sock = (o: Partial<Socket>): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 9090, remoteAddress: '127.0.0.1', remotePort: 40000,
  state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [{ pid: 7, fd: 3, name: 'srv' }], ...o,
});

test('row sentences: the seed experiment read aloud', () => {
  const listener = sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, recvQ: 3, backlog: 2 });
  const queued = sock({ recvQ: 4, inode: 0, holders: [], unheldReason: 'not-accepted' });
  const client = sock({ localPort: 40000, remotePort: 9090, holders: [{ pid: 8, fd: 3, name: 'cli' }] });
  const stuck = sock({ localPort: 40002, remotePort: 9090, state: 'SYN_SENT', sendQ: 1, timer: { kind: 'retransmit', expiresMs: 900, retransmits: 2 } });
  const tw = sock({ localPort: 40004, remotePort: 443, state: 'TIME_WAIT', inode: 0, holders: [], unheldReason: 'kernel' });
  const shared = sock({ state: 'LISTEN', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, localAddress: '0.0.0.0', backlog: 511,
    holders: [{ pid: 10, fd: 6 }, { pid: 11, fd: 6 }] });
  const ctx = rowContext([listener, queued, client, stuck, tw, shared], host);
  assert.equal(explainSocket(listener, ctx, en), 'Server socket listening on 127.0.0.1:9090 (this host only); accept queue FULL (3 > backlog 2): new clients stall.');
  assert.match(explainSocket(queued, ctx, en), /^Server side .*4 byte\(s\) received but not yet read.*accept queue until accept\(\)\.$/);
  assert.match(explainSocket(client, ctx, en), /^Client side: local port 40000 was picked by the kernel/);
  assert.match(explainSocket(stuck, ctx, en), /waiting for the peer to answer its SYN; 2 retransmission\(s\)/);
  assert.doesNotMatch(explainSocket(stuck, ctx, en), /not yet acknowledged/, 'the SYN is not payload');
  assert.match(explainSocket(tw, ctx, en), /TIME_WAIT|about 60 s.*only the kernel/);
  assert.match(explainSocket(shared, ctx, en), /all interfaces.*shared by 2 processes \(10, 11\)/);
  const zh = explainSocket(queued, ctx, translator('zh-CN'));
  assert.match(zh, /服务端一侧.*全连接队列.*accept\(\)。$/);
});

test('every topic and every state explains itself in both languages, no placeholder left', () => {
  for (const lang of LANGS) {
    const t = translator(lang);
    const all = [...topicNames().map((n) => [n]), ...SOCKET_STATES.map((s) => ['state', s]), ['port', '443'], ['22/udp'],
      ['0.0.0.0:80'], ['[::1]:8080'], ['::ffff:10.0.0.1']];
    for (const words of all) {
      const r = explainTopic(words, t, host, ianaLookup());
      assert.ok(r.ok, `${lang}: ${words.join(' ')}`);
      if (!r.ok) continue;
      assert.ok(r.explanation.paragraphs.length > 0);
      for (const p of [r.explanation.title, ...r.explanation.paragraphs]) assert.doesNotMatch(p, /\{\w+\}/, `${lang} ${words.join(' ')}: ${p}`);
    }
  }
  const ephemeral = explainTopic(['ephemeral'], en, host, undefined);
  assert.ok(ephemeral.ok && /32768–60999, 28232 ports/.test(ephemeral.explanation.paragraphs[0]!));
});

test('unknown topics get the nearest suggestions', () => {
  const r = explainTopic(['backlg'], en, host, undefined);
  assert.ok(!r.ok && r.suggestions.includes('backlog'));
  const s = explainTopic(['state', 'ESTABLISHD'], en, host, undefined);
  assert.ok(!s.ok && s.suggestions[0] === 'ESTABLISHED');
  const none = explainTopic(['xyzzy-plugh'], en, host, undefined);
  assert.ok(!none.ok && none.suggestions.length === 0);
});

test('"close" is the topic the list promises; CLOSE and "state close" reach the state', () => {
  for (const word of ['close', 'Close', 'closing']) {
    const r = explainTopic([word], en, host, undefined);
    assert.ok(r.ok, word);
    if (!r.ok) continue;
    assert.equal(r.explanation.title, en('topic.close.title'), word);
    assert.match(r.explanation.paragraphs.at(-1)!, /sockscope explain state CLOS(E|ING)/, 'points to the state');
  }
  for (const words of [['CLOSE'], ['state', 'close'], ['closed']]) {
    const r = explainTopic(words, en, host, undefined);
    assert.ok(r.ok && r.explanation.title === en('topic.state.title', { state: 'CLOSE' }), words.join(' '));
  }
  const closing = explainTopic(['CLOSING'], en, host, undefined);
  assert.ok(closing.ok && closing.explanation.title === en('topic.state.title', { state: 'CLOSING' }));
  // Every state name that is not also a topic still reaches its state in any case.
  const tw = explainTopic(['time-wait'], en, host, undefined);
  assert.ok(tw.ok && /TIME_WAIT/.test(tw.explanation.title));
});

test('an endpoint with a port out of range is refused, not explained without its port', () => {
  for (const text of ['1.2.3.4:99999', '[::1]:65536', '127.0.0.1:000001']) {
    const r = explainTopic([text], en, host, undefined);
    assert.ok(!r.ok && r.badPort !== undefined, text);
  }
  const ok = explainTopic(['[::1]:65535'], en, host, undefined);
  assert.ok(ok.ok && ok.explanation.paragraphs.some((p) => /65535/.test(p)));
});

test('bind scope says which IP versions a :: listener takes when the kernel says so', () => {
  assert.equal(bindScope(['::']), 'all-interfaces', 'unknown (/proc/net): no claim');
  assert.equal(bindScope(['::'], true), 'all-interfaces-ipv6-only');
  assert.equal(bindScope(['::'], false), 'all-interfaces-ipv4-ipv6');
  assert.equal(bindScope(['0.0.0.0', '::'], true), 'all-interfaces-ipv4-ipv6', 'an IPv4 socket beside it takes IPv4');
  assert.equal(bindScope(['0.0.0.0']), 'all-interfaces');
  assert.equal(bindScope(['::1'], true), 'this-host-only');
  const base: Socket = { protocol: 'tcp', family: 'ipv6', localAddress: '::', localPort: 8080, remoteAddress: '::', remotePort: 0,
    state: 'LISTEN', recvQ: 0, sendQ: 0, backlog: 128, inode: 5, uid: 0, holders: [{ pid: 10, fd: 3 }] };
  const zh = translator('zh-CN');
  const ctx = rowContext([]);
  assert.match(explainSocket({ ...base, v6only: true }, ctx, en), /\(all interfaces, IPv6 only\)/);
  assert.match(explainSocket({ ...base, v6only: false }, ctx, en), /\(all interfaces, IPv4 and IPv6\)/);
  assert.match(explainSocket(base, ctx, en), /\(all interfaces\)/);
  assert.match(explainSocket({ ...base, v6only: true }, ctx, zh), /所有网卡，仅 IPv6/);
  assert.match(explainSocket({ ...base, v6only: false }, ctx, zh), /所有网卡，IPv4 和 IPv6/);
});

test('v6only in the JSON: after interface, only when known, the fast writer equal to JSON.stringify', () => {
  const s: Socket = { protocol: 'tcp', family: 'ipv6', localAddress: '::', localPort: 8080, remoteAddress: '::', remotePort: 0,
    state: 'LISTEN', recvQ: 0, sendQ: 0, backlog: 128, inode: 5, uid: 0, interface: 2, holders: [] };
  for (const v6only of [true, false, undefined]) {
    const x = v6only === undefined ? s : { ...s, v6only };
    const text = socketJson(x, new Map());
    assert.equal(text, JSON.stringify(toJson(x)));
    assert.equal((JSON.parse(text) as { v6only?: boolean }).v6only, v6only);
    if (v6only !== undefined) assert.match(text, new RegExp(`"interface":2,"v6only":${v6only},"holders"`));
  }
});

test('Recv-Q after the peer\'s FIN: the FIN counted as 1 on Linux, not on macOS netstat', () => {
  const s: Socket = { protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '127.0.0.1',
    remotePort: 40000, state: 'CLOSE_WAIT', recvQ: 1, sendQ: 0, inode: 5, uid: 0, holders: [{ pid: 10, fd: 4 }] };
  const linux = rowContext([]);
  assert.match(explainSocket(s, linux, en), /Recv-Q 1 is the peer's FIN, not data/);
  assert.match(explainSocket({ ...s, state: 'LAST_ACK', holders: [], unheldReason: 'kernel' }, linux, en), /peer's FIN, not data/);
  assert.match(explainSocket({ ...s, recvQ: 6 }, linux, en), /5 byte\(s\) received but not yet read by the program, then the peer's FIN/);
  assert.match(explainSocket({ ...s, state: 'ESTABLISHED' }, linux, en), /1 byte\(s\) received but not yet read/, 'no FIN before it arrives');
  const macos = rowContext([], {}, true, false);
  assert.match(explainSocket(s, macos, en), /1 byte\(s\) received but not yet read/);
  const recvq = explainTopic(['recv-q'], en, host, undefined);
  assert.ok(recvq.ok && recvq.explanation.paragraphs.some((p) => /Recv-Q 1 on a CLOSE_WAIT socket is no data/.test(p)));
});

test('tables and explain name every port alike: serviceName agrees with the IANA lookup on every port and protocol', async () => {
  const { serviceName } = await import('../../src/explain/services.js');
  const { ianaLookup } = await import('../../src/explain/iana.js');
  const iana = ianaLookup();
  assert.ok(iana, 'the registry is built');
  let named = 0;
  for (const protocol of ['tcp', 'udp'] as const) {
    for (let port = 1; port <= 65535; port++) {
      const want: string | undefined = iana(port, protocol)?.name;
      assert.equal(serviceName(port, protocol), want, `${port}/${protocol}`);
      if (want) named++;
    }
  }
  assert.ok(named > 10000, `${named} named ports`);
  assert.equal(serviceName(80, 'tcp'), 'http');
  assert.equal(serviceName(0, 'tcp'), undefined);
});

test('tables name a port only outside the host ephemeral range: a client port is never dressed as a service', async () => {
  const { localCell, remoteCell, portName } = await import('../../src/views/columns.js');
  const s = { protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 38001, remoteAddress: '127.0.0.1', remotePort: 443,
    state: 'ESTABLISHED', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [] } as const;
  const sock = { ...s, holders: [] };
  assert.ok(portName(38001, 'tcp', false, [1024, 2000]), '38001 has an IANA name (the case this guards)');
  assert.equal(localCell(sock, { numeric: false, lang: 'en', ephemeral: [32768, 60999] }), '127.0.0.1:38001');
  assert.equal(remoteCell(sock, { numeric: false, lang: 'en', ephemeral: [32768, 60999] }), '127.0.0.1:https');
  // Without a known range, Linux's default applies.
  assert.equal(localCell(sock, { numeric: false, lang: 'en' }), '127.0.0.1:38001');
  // A host with another range: its own range decides.
  assert.equal(remoteCell({ ...sock, remotePort: 38001 }, { numeric: false, lang: 'en', ephemeral: [49152, 65535] }), `127.0.0.1:${portName(38001, 'tcp', false, [49152, 65535])}`);
  assert.equal(remoteCell(sock, { numeric: true, lang: 'en', ephemeral: [32768, 60999] }), '127.0.0.1:443');
});

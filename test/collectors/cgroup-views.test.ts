// Containers where they show: the CONTAINER column (only beside NETNS, only when
// a socket lives outside the host namespace), the row sentences of list -e, and
// the overview grouped by container / namespace / unit. A plain machine's
// output does not change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOverview, summarize } from '../../src/views/overview.js';
import { COLUMNS, showsNamespaces, withNetnsColumn } from '../../src/views/columns.js';
import { renderTable } from '../../src/views/table.js';
import { memorySink } from '../../src/views/sink.js';
import { explainSocket, rowContext } from '../../src/explain/row.js';
import { translator } from '../../src/explain/i18n.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { ContainerRef, NetnsRef, Socket } from '../../src/model/socket.js';

const ID = 'b635b2348375060a91938f791c840525a5680bec080d75c3d4086c93943b2721';
const WEB: ContainerRef = { runtime: 'podman', id: ID, name: 'web-1' };
const HOSTNS: NetnsRef = { inode: 4026531840, host: true };
const CTRNS: NetnsRef = { inode: 4026532177, name: 'netns-25db53a1' };
const OTHERNS: NetnsRef = { inode: 4026532500, name: 'blue' };

const sock = (over: Partial<Socket>): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0,
  state: 'LISTEN', recvQ: 0, sendQ: 0, backlog: 128, inode: 1, uid: 0, holders: [], ...over,
});
const snap = (sockets: Socket[]): Snapshot => ({ takenAt: 0, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] });

function machine(): Socket[] {
  return [
    sock({ netns: CTRNS, localPort: 8080, holders: [{ pid: 50, fd: 3, name: 'httpd', container: WEB }] }),
    sock({ netns: CTRNS, localPort: 8080, remoteAddress: '10.88.0.1', remotePort: 40000, state: 'ESTABLISHED', holders: [{ pid: 50, fd: 4, name: 'httpd', container: WEB }] }),
    sock({ netns: HOSTNS, localAddress: '127.0.0.1', localPort: 18431, holders: [{ pid: 40, fd: 5, name: 'conmon' }],
      published: { via: 'conmon', container: WEB, containerPort: 8080 } }),
    sock({ netns: HOSTNS, localPort: 443, holders: [{ pid: 7, fd: 6, name: 'nginx', unit: 'nginx.service' }] }),
    sock({ netns: HOSTNS, localPort: 22, holders: [{ pid: 8, fd: 3, name: 'sshd' }] }),
    sock({ netns: OTHERNS, localPort: 80, holders: [{ pid: 60, fd: 3, name: 'python3' }] }),
    // A connection to port 8080 in the host namespace: not the container's listener's.
    sock({ netns: HOSTNS, localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '127.0.0.1', remotePort: 41000, state: 'TIME_WAIT', inode: 0, unheldReason: 'kernel' }),
  ];
}

test('CONTAINER column: the container, else runtime:short id, else the unit; a published port as where it leads', async () => {
  const sockets = machine();
  sockets.push(sock({ netns: CTRNS, localPort: 9000, holders: [{ pid: 51, fd: 3, name: 'x', container: { runtime: 'docker', id: ID } }] }));
  assert.ok(showsNamespaces(snap(sockets)));
  const cols = withNetnsColumn(COLUMNS);
  const ids = cols.map((c) => c.id);
  assert.deepEqual(ids.slice(ids.indexOf('netns'), ids.indexOf('netns') + 3), ['netns', 'container', 'holders']);
  const { sink, text } = memorySink();
  await renderTable(sockets, sink, { color: false, numeric: true, lang: 'en' }, cols);
  const out = text();
  assert.match(out, /^Proto .* NETNS +CONTAINER +PID\/Program/m);
  assert.match(out, /127\.0\.0\.1:18431 .* host +\u2192web-1:8080 +40\/conmon/);
  assert.match(out, /0\.0\.0\.0:8080 .* netns-25db53a1 +web-1 +50\/httpd/);
  assert.match(out, /0\.0\.0\.0:443 .* nginx\.service +7\/nginx/);
  assert.match(out, /0\.0\.0\.0:9000 .* docker:b635b2348375 +51\/x/);
  assert.match(out, /0\.0\.0\.0:22 .* host +- +8\/sshd/);
});

test('a container name is escaped in the column, the sentence and the overview', async () => {
  const evil: ContainerRef = { runtime: 'docker', id: ID, name: 'web\u001b[2J\nforged' };
  const sockets = [sock({ netns: CTRNS, holders: [{ pid: 50, fd: 3, name: 'httpd', container: evil }] })];
  const { sink, text } = memorySink();
  await renderTable(sockets, sink, { color: false, numeric: true, lang: 'en' }, withNetnsColumn(COLUMNS), (s) => explainSocket(s, rowContext(sockets), translator('en')));
  await renderOverview(snap(sockets), sink, { color: false, numeric: true, lang: 'en' });
  assert.ok(!text().includes('\u001b'));
  assert.ok(!/^forged/m.test(text()));
  assert.match(text(), /web\\x1b\[2J\\nforged/);
});

test('list -e sentences: which container runs it; what a published port does, per forwarder', () => {
  const t = translator('en');
  const sockets = machine();
  const ctx = rowContext(sockets);
  assert.match(explainSocket(sockets[0]!, ctx, t), /runs in container web-1 \(podman b635b2348375\)\.$/);
  assert.match(explainSocket(sockets[2]!, ctx, t),
    /conmon holds this port only to keep it reserved for container web-1 \(podman b635b2348375\): NAT rules send the traffic to port 8080 inside it, so this socket accepts nothing\.$/);
  const proxy = sock({ holders: [{ pid: 9, fd: 4, name: 'docker-proxy' }], published: { via: 'docker-proxy', containerAddress: '172.17.0.2', containerPort: 80 } });
  assert.match(explainSocket(proxy, ctx, t), /docker-proxy holds this port for a container this tool cannot name and copies each connection to 172\.17\.0\.2:80\.$/);
  const pod = sock({ holders: [{ pid: 9, fd: 4, name: 'envoy', container: { runtime: 'kubernetes', id: ID, name: 'envoy', pod: { uid: 'u1', name: 'gateway-0', namespace: 'edge' } } }] });
  assert.match(explainSocket(pod, ctx, t), /runs in container envoy of pod edge\/gateway-0\.$/);
  const anon = sock({ holders: [{ pid: 9, fd: 4, name: 'x', container: { runtime: 'kubernetes', id: ID, pod: { uid: 'u1' } } }] });
  assert.match(explainSocket(anon, ctx, t), /a container of pod u1 \(kubernetes b635b2348375; names not in any record this tool can read\)/);
  // A unit alone is no sentence (every process of a systemd machine has one).
  assert.doesNotMatch(explainSocket(sockets[3]!, ctx, t), /nginx\.service/);
  assert.match(explainSocket(sockets[2]!, ctx, translator('zh-CN')), /conmon 占用这个端口只是为容器 web-1（podman b635b2348375）预留它/);
});

test('overview groups listeners: containers, other namespaces, units, then the host; connections stay in their namespace', async () => {
  const o = summarize(snap(machine()));
  assert.equal(o.grouped, true);
  assert.deepEqual(o.listeners.map((g) => `${g.where!.kind}:${g.port}`), ['container:8080', 'container:18431', 'netns:80', 'unit:443', 'host:22']);
  assert.deepEqual(o.listeners[0]!.connections, { ESTABLISHED: 1 }, 'the host-namespace TIME_WAIT on 8080 is not the container listener\'s');
  const { sink, text } = memorySink();
  await renderOverview(snap(machine()), sink, { color: false, numeric: true, lang: 'en', width: 140 });
  const lines = text().split('\n');
  const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
  assert.ok(at(/^  In container web-1 \(podman b635b2348375\)$/) > 0);
  assert.ok(at(/^  httpd .* 8080 /) === at(/In container web-1/) + 1);
  assert.match(lines[at(/^  conmon /)]!, /18431 .* \u2192 web-1:8080$/);
  assert.ok(at(/^  In network namespace blue \(4026532500\)$/) > at(/conmon/));
  assert.ok(at(/^  Unit nginx\.service$/) > at(/In network namespace blue/));
  assert.ok(at(/^  On the host, outside any container or unit$/) > at(/Unit nginx/));
});

test('a plain machine is not grouped, even with systemd units: its overview and table stay as they were', async () => {
  const plain = machine().filter((s) => !s.netns || s.netns.host).map((s) => ({ ...s, published: undefined, netns: undefined }))
    .filter((s) => !s.holders.some((h) => h.container));
  for (const s of plain) delete s.published;
  const o = summarize(snap(plain));
  assert.equal(o.grouped, false);
  assert.ok(o.listeners.every((g) => g.where === undefined));
  assert.equal(showsNamespaces(snap(plain)), false);
  const { sink, text } = memorySink();
  await renderOverview(snap(plain), sink, { color: false, numeric: true, lang: 'en', width: 120 });
  assert.doesNotMatch(text(), /Unit |On the host|In container|CONTAINER/);
  // With holders that carry units, the default table is the table without them, byte for byte.
  const a = memorySink();
  await renderTable(plain, a.sink, { color: false, numeric: true, lang: 'en' });
  const b = memorySink();
  await renderTable(plain.map((s) => ({ ...s, holders: s.holders.map(({ unit: _u, ...h }) => h) })), b.sink, { color: false, numeric: true, lang: 'en' });
  assert.equal(a.text(), b.text());
});

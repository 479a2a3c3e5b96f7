// The web server's state without the machine: scripted looks fed through the
// same diff watch() makes. What the state keeps up to date tick by tick (each
// view's members, map and sorted rows) must equal what a fresh state builds
// from the last look alone; ids stay with their sockets; the map folds to its
// bounds; the timeline keeps ten minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSockets } from '../../src/model/diff.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Socket, SocketState } from '../../src/model/socket.js';
import { sortSockets, type SortKey } from '../../src/model/sort.js';
import type { WatchUpdate } from '../../src/watch.js';
import { MapAggregate, contribute, frameDelta, peerKey, type MapDelta, type MapFrame } from '../../src/web/map.js';
import { WebState, comparator, sortEntries } from '../../src/web/state.js';

let inode = 1000;

function sock(o: Partial<Socket> & { localPort: number }): Socket {
  return {
    protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN',
    recvQ: 0, sendQ: 0, inode: inode++, uid: 0, holders: [{ pid: 100, fd: 3, name: 'srv', user: 'root' }], ...o,
  };
}

function look(sockets: Socket[], t: number, prev?: Socket[]): WatchUpdate {
  const snapshot: Snapshot = { takenAt: t, source: 'netlink', backlogKnown: true, privileged: true, sockets, unreadableProcesses: 0, issues: [] };
  return { snapshot, sockets, diff: prev ? diffSockets(prev, sockets) : undefined, stats: { tick: 0, wallMs: 0, cpuMs: 0 } };
}

/** A small deterministic random generator (tests must not depend on luck). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

const STATES: SocketState[] = ['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT2', 'TIME_WAIT', 'SYN_SENT'];

/** A machine that changes at every look: connections come and go, change state, listeners open and close. */
function scenario(seed: number, ticks: number): Socket[][] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  let cur: Socket[] = [80, 443, 5432].map((p) => sock({ localPort: p, holders: [{ pid: p, fd: 3, name: `srv${p}` }] }));
  const out: Socket[][] = [cur];
  for (let i = 0; i < ticks; i++) {
    const next = cur.slice();
    const n = 1 + Math.floor(r() * 6);
    for (let k = 0; k < n; k++) {
      const op = r();
      if (op < 0.45) {
        const inbound = r() < 0.5;
        const port = pick([80, 443, 5432, 8080]);
        const pid = inbound ? port : 200 + Math.floor(r() * 5);
        next.push(sock({
          localPort: inbound ? port : 40000 + Math.floor(r() * 20000), remotePort: inbound ? 40000 + Math.floor(r() * 20000) : port,
          remoteAddress: pick(['127.0.0.1', '10.0.0.7', '10.0.1.9', '2001:db8:1:2::5']), state: pick(STATES),
          family: 'ipv4', holders: r() < 0.1 ? [] : [{ pid, fd: 10 + k, name: `p${pid}` }], recvQ: Math.floor(r() * 3),
        }));
      } else if (op < 0.75 && next.length > 3) {
        next.splice(3 + Math.floor(r() * (next.length - 3)), 1);
      } else if (op < 0.9 && next.length > 3) {
        const j = 3 + Math.floor(r() * (next.length - 3));
        next[j] = { ...next[j]!, state: pick(STATES), recvQ: Math.floor(r() * 5) };
      } else if (op < 0.95) {
        // A listener on 8080 comes or goes: connections on that port change sides.
        const at = next.findIndex((s) => s.localPort === 8080 && s.state === 'LISTEN');
        if (at >= 0) next.splice(at, 1);
        else next.push(sock({ localPort: 8080, localAddress: '0.0.0.0', holders: [{ pid: 8080, fd: 3, name: 'alt' }] }));
      } else if (next.length > 3) {
        // The same socket read again: a new object, nothing to report.
        const j = 3 + Math.floor(r() * (next.length - 3));
        next[j] = { ...next[j]! };
      }
    }
    out.push(next);
    cur = next;
  }
  return out;
}

const normal = (f: MapFrame): unknown => ({
  nodes: f.nodes.map((n) => `${n.id} ${n.count} ${n.folded ?? ''}`).sort(),
  edges: f.edges.map((e) => `${e.id} ${e.count} ${JSON.stringify(Object.entries(e.states).sort())}`).sort(),
});

test('kept up to date look by look, every view equals what a fresh state builds from the last look', () => {
  for (const seed of [1, 2, 3, 42]) {
    const looks = scenario(seed, 120);
    const specs = [{ filter: '' }, { filter: 'port:80' }, { filter: 'state:established 443' }, { filter: 'addr:10.0.' }, { filter: 'pid:8080 pid:80' }];
    // As many orders as a view keeps up to date (MAX_SORTS): one more would evict and rebuild them.
    const keys: SortKey[] = ['local', 'state', 'process'];
    const a = new WebState([32768, 60999]);
    a.apply(look(looks[0]!, 0));
    // Views and sort orders asked for early: from then on they are only ever updated.
    for (const s of specs) for (const k of keys) a.view(s).rows(k);
    for (let i = 1; i < looks.length; i++) a.apply(look(looks[i]!, i * 1000, looks[i - 1]));
    const last = looks.at(-1)!;
    const b = new WebState([32768, 60999]);
    b.apply(look(last, 0));
    for (const s of specs) {
      const va = a.view(s);
      const vb = b.view(s);
      assert.equal(va.members.size, vb.members.size, `seed ${seed} ${s.filter}: members`);
      assert.deepEqual(normal(va.map.frame()), normal(vb.map.frame()), `seed ${seed} '${s.filter}': map`);
      for (const k of keys) {
        const ra = va.rows(k).map((e) => e.socket);
        const rb = vb.rows(k).map((e) => e.socket);
        // Ties are broken by id (first seen): compare the primary order with the CLI's sort.
        assert.deepEqual(ra.map((x) => sortKey(x, k)), sortSockets([...rb], k).map((x) => sortKey(x, k)), `seed ${seed} '${s.filter}' sort ${k}`);
        assert.equal(new Set(ra).size, ra.length, 'no socket twice');
        const ids = va.rows(k).map((e) => e.id);
        assert.deepEqual(ids, [...va.rows(k)].sort(comparator(k)).map((e) => e.id), `seed ${seed} '${s.filter}' ${k}: exactly in order`);
        assert.ok(ra.every((x) => last.includes(x)), 'only sockets of the last look, the latest objects');
      }
    }
    assert.deepEqual(a.stateCounts(), b.stateCounts(), 'state counts');
    assert.equal(a.size, last.length);
  }
});

function sortKey(s: Socket, k: SortKey): string {
  switch (k) {
    case 'state': return s.state;
    case 'recvq': return String(s.recvQ);
    case 'process': return `${s.holders[0]?.name ?? '~'} ${s.holders[0]?.pid ?? ''}`;
    default: return `${s.localAddress} ${s.localPort}`;
  }
}

test('an id stays with its socket through state changes and re-reads, and the version moves only when rows change', () => {
  const l = sock({ localPort: 80 });
  const c = sock({ localPort: 80, remoteAddress: '10.0.0.1', remotePort: 50000, state: 'ESTABLISHED' });
  const st = new WebState();
  st.apply(look([l, c], 1000));
  const v = st.view({ filter: 'port:80' });
  const id = [...st.entries()].find((e) => e.socket === c)!.id;
  const v0 = v.version;
  const c2 = { ...c, state: 'CLOSE_WAIT' as const };
  st.apply(look([l, c2], 2000, [l, c]));
  assert.equal(st.entry(id)!.socket, c2);
  assert.equal(st.entry(id)!.firstSeen, 1000, 'first seen at the first look');
  assert.equal(v.version, v0 + 1, 'a state change is a row change');
  const c3 = { ...c2 };
  st.apply(look([l, c3], 3000, [l, c2]));
  assert.equal(st.entry(id)!.socket, c3, 'a re-read object replaces the old one');
  assert.equal(v.version, v0 + 1, 'nothing a page can see changed');
  const other = sock({ localPort: 22, state: 'LISTEN' });
  st.apply(look([l, c3, other], 4000, [l, c3]));
  assert.equal(v.version, v0 + 1, 'a socket outside the filter changes nothing');
  assert.equal([...st.entries()].find((e) => e.socket === other)!.firstSeen, 4000);
  // The time brush: only sockets first seen in [from, to].
  assert.deepEqual([...st.view({ filter: '', from: 3500, to: 4500 }).members].map((e) => e.socket), [other]);
  st.apply(look([l, other], 5000, [l, c3, other]));
  assert.equal(st.entry(id), undefined, 'closed');
  assert.equal(v.version, v0 + 2);
  assert.deepEqual(st.history.map((p) => [p.opened, p.closed]), [[0, 0], [0, 0], [0, 0], [1, 0], [0, 1]]);
});

test('the timeline keeps the last ten minutes, one point per look', () => {
  const st = new WebState();
  const s = [sock({ localPort: 1 })];
  st.apply(look(s, 0));
  for (let i = 1; i <= 700; i++) st.apply(look(s, i * 1000, s));
  assert.equal(st.history[0]!.t, 100_000);
  assert.equal(st.history.at(-1)!.t, 700_000);
  assert.equal(st.history.length, 601);
});

test('the map folds to its bounds: the busiest nodes kept, the rest one `other` node per kind, edges re-drawn', () => {
  const agg = new MapAggregate();
  const ctx = { tcpListening: (p: number) => p === 80 };
  let total = 0;
  for (let pid = 1; pid <= 100; pid++) {
    // Process `pid` holds `pid` connections to 10.0.<pid>.1: the busiest have the largest pids.
    for (let k = 0; k < pid; k++) {
      agg.add(contribute(sock({ localPort: 40000 + k, remoteAddress: `10.0.${pid}.1`, remotePort: 443, state: 'ESTABLISHED', holders: [{ pid, fd: k, name: 'c' }] }), ctx), 1);
      total++;
    }
  }
  const f = agg.frame({ ports: 60, processes: 60, peers: 40, groups: 20, edges: 400 });
  const procs = f.nodes.filter((n) => n.kind === 'process');
  const peers = f.nodes.filter((n) => n.kind === 'peer');
  assert.equal(procs.length, 60);
  assert.equal(peers.length, 40);
  const otherProc = procs.find((n) => n.id === 'process:other')!;
  assert.equal(otherProc.folded, 41);
  assert.equal(otherProc.count, (41 * 42) / 2, 'pids 1..41 folded');
  assert.ok(procs.some((n) => n.id === 'process:100' && n.count === 100 && n.filter === 'pid:100'));
  assert.equal(f.nodes.find((n) => n.kind === 'host')!.count, total);
  assert.equal(f.edges.reduce((a, e) => a + e.count, 0), total, 'every socket on one edge');
  assert.ok(f.edges.some((e) => e.id === 'process:other>peer:other'));
  assert.ok(f.edges.every((e) => f.nodes.some((n) => n.id === e.from) && f.nodes.some((n) => n.id === e.to)), 'edges join kept nodes');
  const inbound = contribute(sock({ localPort: 80, remoteAddress: '10.9.9.9', remotePort: 50000, state: 'ESTABLISHED' }), ctx);
  assert.deepEqual(inbound.edges.map((e) => e.id), ['peer:10.9.9.>port:tcp:80', 'port:tcp:80>process:100']);
  const door = contribute(sock({ localPort: 53, protocol: 'udp', state: 'UNCONN', localAddress: '0.0.0.0' }), ctx);
  assert.deepEqual(door.nodes.find((n) => n.kind === 'port'), {
    id: 'port:udp:53', kind: 'port', label: '53', sublabel: 'domain', scope: 'all', protocol: 'udp', filter: 'port:53', port: 53, service: 'domain',
  });
  assert.equal(contribute(sock({ localPort: 5, state: 'TIME_WAIT', remoteAddress: '1.2.3.4', remotePort: 9, holders: [] }), ctx).nodes[0]!.unheld, true);
});

test('peer networks: loopback, IPv4 /24, IPv6 /64 when written out, each with a filter the / language takes', () => {
  assert.deepEqual(peerKey('127.0.0.5'), { id: 'peer:loopback', label: '127.0.0.0/8', filter: 'addr:127.', loopback: true });
  assert.deepEqual(peerKey('10.1.2.3'), { id: 'peer:10.1.2.', label: '10.1.2.0/24', filter: 'addr:10.1.2.', loopback: false });
  assert.deepEqual(peerKey('::ffff:10.1.2.3'), { id: 'peer:::ffff:10.1.2.', label: '::ffff:10.1.2.0/24', filter: 'addr:::ffff:10.1.2.', loopback: false });
  assert.deepEqual(peerKey('2001:db8:1:2::5'), { id: 'peer:2001:db8:1:2:', label: '2001:db8:1:2::/64', filter: 'addr:2001:db8:1:2:', loopback: false });
  assert.deepEqual(peerKey('2001:db8::5'), { id: 'peer:2001:db8::5', label: '2001:db8::5', filter: 'addr:2001:db8::5', loopback: false });
});

/** What the page does with a mapdelta. */
function applyDelta(f: MapFrame, d: MapDelta): MapFrame {
  const nodes = new Map(f.nodes.map((n) => [n.id, n]));
  const edges = new Map(f.edges.map((e) => [e.id, e]));
  for (const id of d.removed.nodes) nodes.delete(id);
  for (const id of d.removed.edges) edges.delete(id);
  for (const n of d.nodes) nodes.set(n.id, n);
  for (const e of d.edges) edges.set(e.id, e);
  return { nodes: [...nodes.values()], edges: [...edges.values()], changes: d.changes };
}

test('a map delta carries only what changed, and applied to the previous frame gives the next', () => {
  const looks = scenario(7, 60);
  const st = new WebState([32768, 60999]);
  st.apply(look(looks[0]!, 0));
  const v = st.view({ filter: '' });
  let page = st.frameOf(v);
  let small = 0;
  for (let i = 1; i < looks.length; i++) {
    st.apply(look(looks[i]!, i * 1000, looks[i - 1]));
    if (!v.map.dirty) continue;
    const seq = v.frameSeq;
    const full = st.frameOf(v);
    assert.equal(v.frameSeq, seq + 1);
    const d = v.delta!;
    assert.deepEqual(d, frameDelta(page, full));
    page = applyDelta(page, d);
    assert.deepEqual(normal(page), normal(full), `look ${i}`);
    if (d.nodes.length + d.edges.length < full.nodes.length + full.edges.length) small++;
  }
  assert.ok(small > 30, `deltas smaller than the frame: ${small}`);
});

test('a first sort (the CLI sortSockets) gives exactly the order the incremental merges keep (comparator)', () => {
  const looks = scenario(11, 150);
  const st = new WebState();
  st.apply(look(looks[0]!, 0));
  for (let i = 1; i < looks.length; i++) st.apply(look(looks[i]!, i * 1000, looks[i - 1]));
  const all = [...st.entries()];
  assert.ok(all.length > 40, String(all.length));
  for (const k of ['proto', 'local', 'remote', 'state', 'recvq', 'sendq', 'port', 'rport', 'pid', 'process', 'inode'] as const) {
    assert.deepEqual(sortEntries([...all].reverse(), k).map((e) => e.id), [...all].sort(comparator(k)).map((e) => e.id), k);
  }
});

test('rows that arrive together in an empty view are sorted in each order on its own', () => {
  const l = sock({ localPort: 22 });
  const st = new WebState();
  st.apply(look([l], 0));
  const v = st.view({ filter: 'port:9000' });
  assert.deepEqual(v.rows('local'), []);
  assert.deepEqual(v.rows('recvq'), []);
  const a = sock({ localPort: 9000, localAddress: '127.0.0.3', remoteAddress: '127.0.0.1', remotePort: 40000, state: 'ESTABLISHED', recvQ: 1 });
  const b = sock({ localPort: 9000, localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', remotePort: 40001, state: 'ESTABLISHED', recvQ: 2 });
  const c = sock({ localPort: 9000, localAddress: '127.0.0.2', remoteAddress: '127.0.0.3', remotePort: 40002, state: 'ESTABLISHED', recvQ: 3 });
  // Orders that differ: by address b, c, a; by Recv-Q (largest first) c, b, a.
  st.apply(look([l, a, b, c], 1000, [l]));
  assert.deepEqual(v.rows('local').map((e) => e.socket), [b, c, a]);
  assert.deepEqual(v.rows('recvq').map((e) => e.socket), [c, b, a]);
  // And they stay apart: a change sorts each order again.
  const a2 = { ...a, recvQ: 9 };
  st.apply(look([l, a2, b, c], 2000, [l, a, b, c]));
  assert.deepEqual(v.rows('recvq').map((e) => e.socket), [a2, c, b]);
  assert.deepEqual(v.rows('local').map((e) => e.socket), [b, c, a2]);
});

test("another network namespace's ports are doors of their own; its loopback is its own; its connections come in through its doors", () => {
  const own = { inode: 4026531840 };
  const ctr = { inode: 4026532999, name: 'web-1' };
  const hostL = sock({ localPort: 80, localAddress: '0.0.0.0', netns: own });
  const ctrL = sock({ localPort: 80, localAddress: '0.0.0.0', netns: ctr, holders: [{ pid: 500, fd: 3, name: 'nginx' }] });
  // A connection inside the container to its own port 80, and one on port 8080 where only the container listens.
  const ctrIn = sock({ localPort: 80, localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: 50000, state: 'ESTABLISHED', netns: ctr, holders: [{ pid: 500, fd: 4, name: 'nginx' }] });
  const ctrL2 = sock({ localPort: 8080, netns: ctr, holders: [{ pid: 501, fd: 3, name: 'app' }] });
  const ctrIn2 = sock({ localPort: 8080, remoteAddress: '10.0.0.5', remotePort: 40000, state: 'ESTABLISHED', netns: ctr, holders: [{ pid: 501, fd: 5, name: 'app' }] });
  const hostOut = sock({ localPort: 45000, localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: 8080, state: 'ESTABLISHED', netns: own, holders: [{ pid: 7, fd: 3, name: 'curl' }] });
  const st = new WebState(undefined, undefined, own.inode);
  st.apply(look([hostL, ctrL, ctrIn, ctrL2, ctrIn2, hostOut], 0));
  const f = st.frameOf(st.view({ filter: '' }));
  const ports = f.nodes.filter((n) => n.kind === 'port').map((n) => `${n.id} ${n.netns ?? ''} ${n.count}`).sort();
  assert.deepEqual(ports, ['port:tcp:80  1', `port:tcp:80@${ctr.inode} web-1 2`, `port:tcp:8080@${ctr.inode} web-1 2`].sort());
  const ids = f.edges.map((e) => e.id);
  assert.ok(ids.includes(`peer:loopback@${ctr.inode}>port:tcp:80@${ctr.inode}`), ids.join(' '));
  assert.ok(ids.includes(`peer:10.0.0.>port:tcp:8080@${ctr.inode}`), ids.join(' '));
  // Our curl to 127.0.0.1:8080 goes out: nothing listens on 8080 in our namespace.
  assert.ok(ids.includes('process:7>peer:loopback'), ids.join(' '));
  assert.ok(!ids.some((i) => i.startsWith('peer:loopback>')), 'nothing came in through our loopback');
});

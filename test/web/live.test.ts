// The web server on this machine's real sockets: a listener a test starts
// shows up in /api/rows and on the streamed map within two seconds and leaves
// when it closes; the filter narrows the rows; a process with a hostile name
// comes back as escaped text; with --allow-actions a kill is checked against
// the start time; a lab experiment run from the API streams its events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child, eventually, python, startPython } from '../live/helpers.js';
import { EventReader, http, serve } from './web-helpers.js';

const LISTEN = `
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(8)
c = socket.create_connection(('127.0.0.1', l.getsockname()[1])); a, _ = l.accept()
emit(port=l.getsockname()[1])
hold()
`;

test('a listener started by the test appears in the rows and on the map within 2 s, and leaves when closed', async (t) => {
  const w = await serve(t);
  // The page streams first (everything), then the listener comes.
  const all = new EventReader(w.port, '/api/stream', w.auth);
  t.after(() => all.close());
  await all.find((e) => e.event === 'map', 5000);
  // A page that asked for deltas: one whole map, then only what changed.
  const deltas = new EventReader(w.port, '/api/stream?delta=1', w.auth);
  t.after(() => deltas.close());
  await deltas.find((e) => e.event === 'map', 5000);
  const child = startPython(t, 'listener', LISTEN);
  const port = Number((await child.message('port')).port);
  const opened = Date.now();
  const seen = await eventually('rows with the port', async () => {
    const r = await w.json(`/api/rows?filter=port:${port}&sort=state`);
    assert.equal(r.total, 3, JSON.stringify(r));
    return r;
  }, { timeoutMs: 2000, intervalMs: 50 });
  assert.ok(Date.now() - opened <= 2500);
  assert.deepEqual(seen.rows.map((r: any) => r.state), ['LISTEN', 'ESTABLISHED', 'ESTABLISHED'], 'sorted by state');
  assert.ok(seen.rows.every((r: any) => r.pid === child.pid && r.holders[0].name.startsWith('python')), JSON.stringify(seen.rows[0]));
  assert.equal(seen.rows[0].local, `127.0.0.1:${port}`);
  // The stream's map has the door, with the connection behind it, and the process.
  const door = `port:tcp:${port}`;
  const map = await all.find((e) => e.event === 'map' && e.data.nodes.some((n: any) => n.id === door), Math.max(0, 2500 - (Date.now() - opened)));
  const node = map.data.nodes.find((n: any) => n.id === door);
  assert.equal(node.scope, 'loopback');
  assert.equal(node.filter, `port:${port}`);
  assert.ok(map.data.edges.some((e: any) => e.from === door && e.to === `process:${child.pid}` && e.states.LISTEN === 1 && e.states.ESTABLISHED === 1), 'listener and accepted connection');
  assert.ok(map.data.edges.some((e: any) => e.from === 'peer:loopback' && e.to === door && e.states.ESTABLISHED === 1), 'the client came in through the door');
  assert.ok(map.data.edges.some((e: any) => e.from === `process:${child.pid}` && e.to === 'peer:loopback'), 'the client side goes out');
  // A stream filtered to the port: its map has the port and nothing of other programs.
  const mine = new EventReader(w.port, `/api/stream?filter=${encodeURIComponent(`pid:${child.pid}`)}`, w.auth);
  t.after(() => mine.close());
  const m2 = await mine.find((e) => e.event === 'map', 3000);
  assert.deepEqual(m2.data.nodes.filter((n: any) => n.kind === 'process').map((n: any) => n.id), [`process:${child.pid}`]);
  assert.equal(m2.data.nodes.find((n: any) => n.kind === 'host').count, 3);
  const rowsEvent = await mine.find((e) => e.event === 'rows', 3000);
  assert.equal(rowsEvent.data.total, 3);
  // The filter narrows: everything the machine has is more than our three.
  const everything = await w.json('/api/rows?limit=0');
  assert.ok(everything.total > 3, `the machine has more than our sockets: ${everything.total}`);
  const listen = await w.json(`/api/rows?filter=${encodeURIComponent(`listen ${port}`)}`);
  assert.deepEqual(listen.rows.map((r: any) => r.state), ['LISTEN'], 'kinds narrow: listen AND port');
  // Stable ids: the same socket keeps its id from one look to the next.
  const again = await w.json(`/api/rows?filter=port:${port}&sort=state`);
  assert.deepEqual(again.rows.map((r: any) => r.id), seen.rows.map((r: any) => r.id));
  const explained = await w.json(`/api/explain?id=${seen.rows[0].id}`);
  assert.match(explained.lines[0], new RegExp(`127\\.0\\.0\\.1:${port}`));
  // Closed: gone from the rows and from the map within two seconds.
  const before = mine.events.length;
  await child.stop();
  const closed = Date.now();
  await eventually('rows without the port', async () => {
    const r = await w.json(`/api/rows?filter=port:${port}`);
    assert.deepEqual(r.rows.filter((x: any) => x.state !== 'TIME_WAIT'), []);
  }, { timeoutMs: 2000, intervalMs: 50 });
  const gone = await all.find((e) => e.event === 'map' && !e.data.nodes.some((n: any) => n.id === door), Math.max(0, 2500 - (Date.now() - closed)), all.events.indexOf(map) + 1);
  assert.ok(gone.data.changes.closed.length > 0, 'the map says which edges lost sockets');
  const rowsGone = await mine.find((e) => e.event === 'rows' && e.data.total < 3, 3000, before);
  assert.ok(rowsGone.data.version > rowsEvent.data.version);
  // The delta stream, applied as a page does, saw the door come and go; after its first map, only deltas.
  const frames: { nodes: Map<string, any> }[] = [];
  let cur = new Map<string, any>();
  for (const e of deltas.events) {
    if (e.event === 'map') cur = new Map(e.data.nodes.map((n: any) => [n.id, n]));
    else if (e.event === 'mapdelta') {
      cur = new Map(cur);
      for (const id of e.data.removed.nodes) cur.delete(id);
      for (const n of e.data.nodes) cur.set(n.id, n);
    } else continue;
    frames.push({ nodes: cur });
  }
  assert.equal(deltas.events.filter((e) => e.event === 'map').length, 1, 'one whole map');
  const at = frames.findIndex((f) => f.nodes.has(door));
  assert.ok(at > 0, 'the door arrived in a delta');
  assert.ok(frames.slice(at).some((f) => !f.nodes.has(door)), 'and left in one');
  // The timeline saw it.
  const ticks = all.events.filter((e) => e.event === 'tick');
  assert.ok(ticks.length >= 2 && ticks.every((e) => typeof e.data.total === 'number' && typeof e.data.byState === 'object'));
  assert.ok(ticks.some((e) => e.data.opened >= 3) && ticks.some((e) => e.data.closed >= 1));
});

test('a bad filter is one short reason (400), not a stream', async (t) => {
  const w = await serve(t);
  const r = await w.get('/api/rows?filter=port:99999');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).error, /invalid port '99999'/);
  const s = new EventReader(w.port, '/api/stream?filter=state:bogus', w.auth);
  t.after(() => s.close());
  await s.ready;
  assert.equal(s.status, 400);
});

test('a process named with markup and escape sequences comes back as text: escaped, no raw ESC, no markup byte', async (t) => {
  const w = await serve(t);
  const hostile = '<img src=x onerror=alert(1)>\x1b]0;PWN\x07\x1b[2J';
  // The name is the program's file name at exec (comm), so the collector sees it from the first look:
  // python3 run through a symlink called '<img ESC[2J x>'.
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-web-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, '<img\x1b[2J x>');
  symlinkSync(python(), exe);
  const script = `
import json, signal, socket, sys
signal.alarm(120)
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
print(json.dumps({'port': l.getsockname()[1]}), flush=True)
sys.stdin.read()
`;
  const child = new Child(spawn(exe, ['-c', script, hostile], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] }), 'hostile');
  t.after(() => child.stop());
  const port = Number((await child.message('port')).port);
  const r = await eventually('the hostile row', async () => {
    const x = await w.get(`/api/rows?filter=port:${port}`);
    assert.equal(JSON.parse(x.body).total, 1);
    return x;
  }, { timeoutMs: 3000, intervalMs: 50 });
  assert.doesNotMatch(r.body, /[\x00-\x1f\x7f-\x9f]/, 'no raw control character in the answer');
  assert.ok(!r.body.includes('<'), 'no < in the JSON text: it is \\u003c');
  const row = JSON.parse(r.body).rows[0];
  assert.equal(row.holders[0].name, '<img\\x1b[2J x>', JSON.stringify(row));
  assert.ok(row.holders[0].command.endsWith('<img src=x onerror=alert(1)>\\x1b]0;PWN\\x07\\x1b[2J'), row.holders[0].command);
  assert.ok(row.process.includes('<img\\x1b[2J x>'));
  // The map's node and the streamed JSON too.
  const s = new EventReader(w.port, `/api/stream?filter=port:${port}`, w.auth);
  t.after(() => s.close());
  const map = await s.find((e) => e.event === 'map', 3000);
  assert.equal(map.data.nodes.find((n: any) => n.kind === 'process').label, '<img\\x1b[2J x>');
});

test('--allow-actions: a kill goes only to the process the page saw (start time), then it is gone', async (t) => {
  const w = await serve(t, { allowActions: true });
  const child = startPython(t, 'victim', `
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
emit(port=l.getsockname()[1])
hold()
`);
  const port = Number((await child.message('port')).port);
  const row = await eventually('the row', async () => {
    const r = await w.json(`/api/rows?filter=port:${port}`);
    assert.equal(r.total, 1);
    assert.equal(typeof r.rows[0].holders[0].startTicks, 'number');
    return r.rows[0];
  }, { timeoutMs: 3000, intervalMs: 50 });
  const h = await w.post();
  const kill = (body: unknown): Promise<{ status: number; body: any }> =>
    http(w.port, '/api/kill', { method: 'POST', headers: h, body: JSON.stringify(body) }).then((r) => ({ status: r.status, body: JSON.parse(r.body) }));
  const start = row.holders[0].startTicks as number;
  const reused = await kill({ pid: child.pid, startTicks: start + 1 });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.outcome, 'reused');
  assert.equal(child.exitCode, null, 'not signalled');
  const self = await kill({ pid: process.pid, startTicks: start });
  assert.equal(self.body.outcome, 'not-shown', 'a pid holding none of the sockets on the page');
  const close = await http(w.port, '/api/close', { method: 'POST', headers: h, body: JSON.stringify({ id: row.id }) });
  assert.equal(close.status, 409);
  assert.equal(JSON.parse(close.body).outcome, 'listener', 'a listener is never destroyed');
  const sent = await kill({ pid: child.pid, startTicks: start });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.equal(sent.body.outcome, 'sent');
  await eventually('the victim exited', () => {
    try {
      process.kill(child.pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw e;
    }
    throw new Error('still running');
  }, { timeoutMs: 3000 });
  await eventually('the row left', async () => assert.equal((await w.json(`/api/rows?filter=port:${port}`)).total, 0), { timeoutMs: 3000 });
});

test('--allow-actions: close aborts exactly the connection on the page (SOCK_DESTROY with its cookie); a gone id is 404', async (t) => {
  const w = await serve(t, { allowActions: true });
  const child = startPython(t, 'pair', `
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(8)
c = socket.create_connection(('127.0.0.1', l.getsockname()[1])); a, _ = l.accept()
emit(port=l.getsockname()[1], client=c.getsockname()[1])
for line in sys.stdin:
    try:
        a.settimeout(2)
        got = a.recv(10)
        emit(recv=repr(got))
    except Exception as e:
        emit(recv=type(e).__name__ + ': ' + str(e))
`);
  const m = await child.message('client');
  const port = Number(m.port);
  const clientPort = Number(m.client);
  const row = await eventually('the client row', async () => {
    const r = await w.json(`/api/rows?filter=port:${clientPort}`);
    const x = r.rows.find((y: any) => y.localPort === clientPort && y.state === 'ESTABLISHED');
    assert.ok(x, JSON.stringify(r.rows));
    return x;
  }, { timeoutMs: 3000, intervalMs: 50 });
  const h = await w.post();
  const r = await http(w.port, '/api/close', { method: 'POST', headers: h, body: JSON.stringify({ id: row.id }) });
  const body = JSON.parse(r.body);
  // The kernel may lack CONFIG_INET_DIAG_DESTROY: then it says so, and nothing else may happen.
  t.diagnostic(`close: ${r.status} ${body.outcome}`);
  assert.ok(r.status === 200 ? body.outcome === 'closed' : body.outcome === 'unsupported', r.body);
  if (r.status === 200) {
    assert.match(body.message, new RegExp(`127\\.0\\.0\\.1:${clientPort} → 127\\.0\\.0\\.1:${port}`));
    child.proc.stdin!.write('recv\n');
    const got = await child.message('recv');
    assert.ok(/b''|Reset|reset|ECONN/.test(String(got.recv)), `the server side saw the abort: ${got.recv}`);
    await eventually('the row left', async () => {
      const x = await w.json(`/api/rows?filter=port:${clientPort}`);
      assert.ok(!x.rows.some((y: any) => y.id === row.id && y.state === 'ESTABLISHED'), JSON.stringify(x.rows));
    }, { timeoutMs: 3000 });
  }
  const gone = await http(w.port, '/api/close', { method: 'POST', headers: h, body: JSON.stringify({ id: 2 ** 40 }) });
  assert.equal(gone.status, 404);
});

test('a lab experiment started over the API streams its steps to the end; a second one meanwhile is refused', async (t) => {
  const w = await serve(t);
  const h = await w.post();
  const start = await http(w.port, '/api/lab', { method: 'POST', headers: h, body: JSON.stringify({ experiment: 'bind', lang: 'en' }) });
  assert.equal(start.status, 200, start.body);
  const { run } = JSON.parse(start.body);
  const busy = await http(w.port, '/api/lab', { method: 'POST', headers: h, body: JSON.stringify({ experiment: 'udp' }) });
  assert.equal(busy.status, 409);
  const s = new EventReader(w.port, `/api/lab/stream?run=${encodeURIComponent(run)}`, w.auth);
  t.after(() => s.close());
  const end = await s.find((e) => e.data.type === 'end', 60_000);
  assert.equal(end.data.ok, true, JSON.stringify(s.events.map((e) => e.data).filter((d) => d.type === 'expectation' && !d.ok)));
  const types = s.events.map((e) => e.data.type);
  assert.equal(types[0], 'start');
  assert.ok(types.includes('step') && types.includes('observation') && types.includes('expectation'), types.join(' '));
  assert.equal(types.at(-2), 'done');
  const obs = s.events.find((e) => e.data.type === 'observation' && e.data.sockets.length)!;
  assert.equal(typeof obs.data.sockets[0].local, 'string', 'sockets go out as rows');
  assert.ok(s.events.every((e) => e.event === 'lab'));
  // Replayed to a stream that comes late, and a new run may start now.
  const late = new EventReader(w.port, `/api/lab/stream?run=${encodeURIComponent(run)}`, w.auth);
  t.after(() => late.close());
  await late.find((e) => e.data.type === 'end', 5000);
  assert.equal(late.events.length, s.events.length);
  assert.equal((await http(w.port, '/api/lab', { method: 'POST', headers: h, body: JSON.stringify({ experiment: 'nope' }) })).status, 404);
});

// `x` of the live view against real sockets: SOCK_DESTROY hits only the socket
// the user saw. A TIME_WAIT row (inode 0) whose 4-tuple a new, live connection
// took over must not close that connection; a listener is never destroyed.
// Real sockets on loopback, made by a python child; needs root for SOCK_DESTROY
// itself (the refusals happen before it and hold for anyone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieOfSocket, LiveSockDiag } from '../../src/collectors/sockdiag/live-table.js';
import { destroySocket } from '../../src/collectors/sockdiag/destroy.js';
import type { Socket } from '../../src/model/socket.js';
import { describeAll, eventually, startPython } from './helpers.js';

// The server closes first, so the TIME_WAIT is on its side (local S, remote P).
// On `reuse`, a new client binds the same port P (SO_REUSEADDR) and connects to S
// again: the kernel lets that SYN take over the TIME_WAIT 4-tuple (its sequence
// and timestamp are newer), and the server accepts a new live connection on the
// very same 4-tuple. `check` sends bytes both ways over it.
const REUSE = `
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(8)
S = srv.getsockname()[1]
def client(port):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(('127.0.0.1', port))
    c.connect(('127.0.0.1', S))
    return c
c1 = client(0)
P = c1.getsockname()[1]
a1, _ = srv.accept()
a1.close()                 # server closes first: its side goes to TIME_WAIT
c1.recv(10)                # the FIN
c1.close()
emit(server=S, client=P, pid=os.getpid())
live = None
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'reuse':
        for attempt in range(50):
            try:
                c2 = client(P)
                break
            except OSError as e:
                err = str(e)
                time.sleep(0.1)
        else:
            emit(error=err)
            continue
        a2, _ = srv.accept()
        live = (c2, a2)
        emit(reused=True)
    elif cmd == 'check':
        try:
            live[0].sendall(b'ping')
            got = live[1].recv(10)
            live[1].sendall(b'pong')
            back = live[0].recv(10)
            emit(check=(got == b'ping' and back == b'pong'))
        except OSError as e:
            emit(check=False, detail=str(e))
os._exit(0)
`;

async function table(states?: number): Promise<Socket[]> {
  const t = new LiveSockDiag();
  try {
    return (await t.read({ protocols: ['tcp'], families: ['ipv4'], states })).sockets as Socket[];
  } finally {
    t.close();
  }
}

function send(child: ReturnType<typeof startPython>, line: string): void {
  child.proc.stdin!.write(line + '\n');
}

async function nextMessage(child: ReturnType<typeof startPython>, key: string, after: number): Promise<Record<string, unknown>> {
  return eventually(`message ${key}`, () => {
    const m = child.messages.slice(after).find((x) => key in x);
    if (!m) throw new Error(`no ${key} yet: ${JSON.stringify(child.messages)} ${child.stderr}`);
    return m;
  }, { timeoutMs: 10_000, intervalMs: 50 });
}

test('x refuses a TIME_WAIT row whose 4-tuple a new connection reused, and the live connection stays up', async (t) => {
  const child = startPython(t, 'reuse', REUSE);
  const { server, client } = (await child.message('server')) as { server: number; client: number };
  const onTuple = (l: Socket[]): Socket[] => l.filter((s) => s.localPort === server && s.remotePort === client && s.localAddress === '127.0.0.1');
  // The row the user sees: the server side's TIME_WAIT, with the cookie read with it.
  const tw = await eventually('the TIME_WAIT row', async () => {
    const rows = onTuple(await table());
    const s = rows.find((x) => x.state === 'TIME_WAIT');
    if (!s) throw new Error(`no TIME_WAIT:${describeAll(rows)}`);
    return s;
  });
  const twCookie = cookieOfSocket(tw);
  assert.ok(twCookie, 'a TIME_WAIT socket has a cookie though its inode is 0');
  assert.equal(tw.inode, 0);

  const n = child.messages.length;
  send(child, 'reuse');
  const r = await nextMessage(child, 'reused', n).catch(async () => nextMessage(child, 'error', n));
  assert.equal(r['reused'], true, `the 4-tuple was reused: ${JSON.stringify(r)}`);
  const now = onTuple(await table());
  const live = now.find((x) => x.state === 'ESTABLISHED');
  assert.ok(live, `the new connection on the same 4-tuple:${describeAll(now)}`);
  assert.ok(!now.some((x) => x.state === 'TIME_WAIT'), 'the TIME_WAIT was taken over');
  assert.notDeepEqual(cookieOfSocket(live), twCookie, 'another socket, another cookie');

  // x on the stale row: refused, nothing closed.
  const out = await destroySocket(tw, twCookie);
  assert.deepEqual(out, { ok: false, reason: 'changed' });
  const m = child.messages.length;
  send(child, 'check');
  assert.equal((await nextMessage(child, 'check', m))['check'], true, 'the live connection still carries data');
  assert.ok(onTuple(await table()).some((x) => x.state === 'ESTABLISHED' && x.inode === live.inode), 'still in the kernel');

  // A row with neither cookie nor inode cannot be told from its successor: refused too.
  assert.deepEqual(await destroySocket(tw, undefined), { ok: false, reason: 'unidentified' });

  // The control: x on the live row itself (its own cookie) does close it, as root.
  const ok = await destroySocket(live, cookieOfSocket(live));
  t.diagnostic(`destroy of the live row itself: ${JSON.stringify(ok)}`);
  if (process.geteuid?.() === 0) {
    assert.ok(ok.ok || (!ok.ok && ok.reason === 'unsupported'), `destroy of the right socket: ${JSON.stringify(ok)}`);
    if (ok.ok) {
      await eventually('the live connection closed', async () => {
        if (onTuple(await table()).some((x) => x.inode === live.inode)) throw new Error('still there');
      }, { timeoutMs: 3000 });
    }
  } else {
    assert.deepEqual(ok, { ok: false, reason: 'permission' });
  }
});

test('x refuses a listener: the server keeps its listening socket', async (t) => {
  const child = startPython(t, 'listener', `
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(4)
emit(port=srv.getsockname()[1])
hold()
`);
  const { port } = (await child.message('port')) as { port: number };
  const rows = (await table()).filter((s) => s.localPort === port && s.state === 'LISTEN');
  assert.equal(rows.length, 1, describeAll(rows));
  const l = rows[0]!;
  assert.deepEqual(await destroySocket(l, cookieOfSocket(l)), { ok: false, reason: 'listener' });
  assert.equal((await table()).filter((s) => s.localPort === port && s.state === 'LISTEN' && s.inode === l.inode).length, 1, 'still listening');
});

test('x on a connection that closed while its row was still on screen: "gone", not "4-tuple reused" (the lookup falls back to the listener)', async (t) => {
  // The kernel's exact lookup (inet_lookup) answers with the listener of the local
  // port when no connection has the 4-tuple any more; its cookie is not the row's,
  // which was reported as a reused 4-tuple. The truth is that the connection is gone.
  const net = await import('node:net');
  let accepted: import('node:net').Socket | undefined;
  const srv = net.createServer((c) => { accepted = c; });
  t.after(() => { srv.close(); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as import('node:net').AddressInfo).port;
  const cl = net.connect(port, '127.0.0.1');
  t.after(() => { cl.destroy(); accepted?.destroy(); });
  await new Promise<void>((r) => cl.on('connect', () => r()));
  const row = await eventually('the server side row', async () => {
    const s = (await table()).find((x) => x.localPort === port && x.state === 'ESTABLISHED' && x.localAddress === '127.0.0.1');
    if (!s || !accepted) throw new Error('not yet');
    return s;
  });
  const cookie = cookieOfSocket(row);
  assert.ok(cookie);
  cl.destroy();
  accepted!.destroy();
  await eventually('the connection is gone from the kernel, the listener stays', async () => {
    const now = (await table()).filter((x) => x.localPort === port);
    if (now.some((x) => x.remotePort === row.remotePort) || !now.some((x) => x.state === 'LISTEN')) throw new Error(describeAll(now));
  }, { timeoutMs: 5000 });
  assert.deepEqual(await destroySocket(row, cookie), { ok: false, reason: 'gone' });
  // And with --source proc (no cookie, the inode names it): the same answer.
  assert.deepEqual(await destroySocket(row, undefined), { ok: false, reason: 'gone' });
  assert.ok((await table()).some((x) => x.localPort === port && x.state === 'LISTEN'), 'the listener is untouched');
});

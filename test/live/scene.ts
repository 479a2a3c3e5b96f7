// Scenes of many real loopback connections for the concurrency and churn
// tests: a server process that accepts everything and a client process that
// connects, each in its own process group (killed when the test ends).
import type { TestContext } from 'node:test';
import { startPython, type Child } from './helpers.js';

const SERVER = `
import sys
n = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(4096)
emit(port=srv.getsockname()[1], pid=os.getpid())
keep = []
srv.settimeout(30)
while len(keep) < n:
    c, _ = srv.accept()
    keep.append(c)
emit(accepted=len(keep))
hold()
`;

const CLIENT = `
import sys
port, n = int(sys.argv[1]), int(sys.argv[2])
keep = []
for i in range(n):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(('127.0.0.1', port))
    keep.append(c)
emit(connected=len(keep), pid=os.getpid())
hold()
`;

/**
 * Five non-blocking connects to 127.0.0.1:argv[1], one after another; each
 * one that completes sends 4 bytes ("ping"). Against a listen(2) listener that
 * never accepts, the kernel completes backlog + 1 = 3 (the accept queue is then
 * full); the SYNs of the other two are dropped (ListenOverflows) and retried,
 * so they stay SYN_SENT. Says {connected, fds}.
 */
export const FIVE_CONNECTS = `
port = int(sys.argv[1])
socks = []
connected = 0
for i in range(5):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(('127.0.0.1', port))
    socks.append(c)
    _, w, _ = select.select([], [c], [], 0.5)
    if w and c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
        c.send(b'ping')
        connected += 1
        time.sleep(0.05)   # let the listener take our ACK before the next SYN (another CPU's queue)
emit(connected=connected, fds=[c.fileno() for c in socks])
hold()
`;

export interface ConnectionScene {
  port: number;
  server: Child;
  client: Child;
  /** Sockets on the port held by the scene: the listener and both ends of each connection. */
  sockets: number;
}

/** `n` established connections to one listener on 127.0.0.1, held by two processes. */
export async function connectionScene(t: TestContext, n: number): Promise<ConnectionScene> {
  const server = startPython(t, 'scene server', SERVER, [String(n)]);
  const port = (await server.message('port', 20_000))['port'] as number;
  const client = startPython(t, 'scene client', CLIENT, [String(port), String(n)]);
  await client.message('connected', 60_000);
  await server.message('accepted', 60_000);
  return { port, server, client, sockets: 2 * n + 1 };
}

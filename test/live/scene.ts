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

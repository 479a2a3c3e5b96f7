// A scene helper process: holds loopback sockets for the benchmark and nothing
// else. The bench (bench/scene.ts) starts it with an IPC channel and tells it
// what to do; it never listens or connects anywhere but 127.0.0.0/8.
//
// Roles (chosen by the first message):
//   acceptor  receives shared listening sockets from the bench and accepts up to
//             `quota` connections on them, then closes its copies of the listeners
//             (so it never runs into its open-files limit);
//   client    opens `count` connections per task from the task's 127.0.0.x
//             source address, `concurrency` at a time;
//   udp       binds UDP sockets on 127.0.0.1, some of them connected.
// Every role answers {cmd:'stop'} by closing its TCP sockets with RST (no
// TIME_WAIT left behind) and exiting; it also exits when the bench goes away.
import net from 'node:net';
import dgram from 'node:dgram';

type Msg =
  | { cmd: 'acceptor'; quota: number }
  | { cmd: 'listener'; port: number }
  | { cmd: 'status' }
  | { cmd: 'connect'; tasks: { host: string; port: number; count: number; localAddress: string }[]; concurrency: number }
  | { cmd: 'udp'; host: string; unconnected: number; connected: number }
  | { cmd: 'stop' };

const tcp: net.Socket[] = [];
const udp: dgram.Socket[] = [];
const servers: net.Server[] = [];
let quota = Infinity;
let accepted = 0;

function send(m: object): void {
  if (process.connected) process.send!(m);
}

function stop(): never {
  for (const s of servers) {
    try { s.close(); } catch { /* already closed */ }
  }
  for (const s of tcp) {
    try { s.resetAndDestroy(); } catch { try { s.destroy(); } catch { /* gone */ } }
  }
  for (const s of udp) {
    try { s.close(); } catch { /* gone */ }
  }
  process.exit(0);
}

function closeServers(): void {
  for (const s of servers.splice(0)) s.close();
}

function onConnection(sock: net.Socket): void {
  sock.on('error', () => { /* a reset peer at teardown */ });
  sock.pause();
  tcp.push(sock);
  accepted++;
  if (accepted >= quota) closeServers();
}

async function connectAll(m: Extract<Msg, { cmd: 'connect' }>): Promise<void> {
  const jobs: { host: string; port: number; localAddress: string }[] = [];
  for (const t of m.tasks) for (let i = 0; i < t.count; i++) jobs.push(t);
  let next = 0;
  let ok = 0;
  const errors: string[] = [];
  await new Promise<void>((resolve) => {
    let running = 0;
    const pump = (): void => {
      while (running < m.concurrency && next < jobs.length) {
        const job = jobs[next++]!;
        running++;
        const s = net.connect({ host: job.host, port: job.port, localAddress: job.localAddress });
        let settled = false;
        const done = (err?: Error): void => {
          if (settled) return;
          settled = true;
          running--;
          if (err) {
            if (errors.length < 5) errors.push(`${job.host}:${job.port} from ${job.localAddress}: ${err.message}`);
          } else {
            ok++;
          }
          if (next >= jobs.length && running === 0) resolve();
          else pump();
        };
        s.once('connect', () => {
          s.pause();
          tcp.push(s);
          done();
        });
        s.on('error', (e) => done(e));
      }
      if (jobs.length === 0) resolve();
    };
    pump();
  });
  send({ ev: 'connected', ok, failed: jobs.length - ok, errors });
}

async function bindUdp(m: Extract<Msg, { cmd: 'udp' }>): Promise<void> {
  const bind = (): Promise<dgram.Socket> => new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, m.host, () => {
      s.removeListener('error', reject);
      s.on('error', () => { /* ignore stray datagram errors */ });
      resolve(s);
    });
  });
  const ports: number[] = [];
  const plain: dgram.Socket[] = [];
  for (let i = 0; i < m.unconnected; i++) {
    const s = await bind();
    udp.push(s);
    plain.push(s);
    ports.push(s.address().port);
  }
  for (let i = 0; i < m.connected; i++) {
    const s = await bind();
    udp.push(s);
    ports.push(s.address().port);
    const peer = plain.length ? plain[i % plain.length]!.address().port : s.address().port;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(peer, m.host, () => { s.removeListener('error', reject); resolve(); });
    });
  }
  send({ ev: 'udp-ready', ports });
}

process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

process.on('message', (m: Msg, handle?: unknown) => {
  switch (m.cmd) {
    case 'acceptor':
      quota = m.quota;
      send({ ev: 'ready', pid: process.pid });
      break;
    case 'listener': {
      const server = handle as net.Server;
      server.on('connection', onConnection);
      server.on('error', (e) => send({ ev: 'error', detail: `listener ${m.port}: ${e.message}` }));
      if (accepted >= quota) server.close();
      else servers.push(server);
      send({ ev: 'listener-ok', port: m.port });
      break;
    }
    case 'status':
      send({ ev: 'status', accepted, tcp: tcp.length, udp: udp.length, listening: servers.length });
      break;
    case 'connect':
      void connectAll(m);
      break;
    case 'udp':
      bindUdp(m).catch((e: Error) => send({ ev: 'error', detail: `udp: ${e.message}` }));
      break;
    case 'stop':
      stop();
  }
});

send({ ev: 'hello', pid: process.pid });

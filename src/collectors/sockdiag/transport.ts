// Raw netlink transport. Node has no AF_NETLINK sockets of its own; the npm
// package `netlink` ships N-API prebuilds (linux x64/arm64/arm/ia32) inside its
// tarball, so it installs with `npm install` and nothing downloaded from
// elsewhere. We load only its raw layer (dist/raw.js) to keep start-up short:
// its index pulls in rtnetlink, nl80211 and wireguard code we do not use.
import { createRequire } from 'node:module';
import { NETLINK_SOCK_DIAG } from './codec.js';

interface RawSocketLike {
  on(event: 'message' | 'truncatedMessage', fn: (msg: Buffer) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  send(msg: Uint8Array, options: object, cb: (err?: Error) => void): void;
  close(): void;
}
type RawCtor = new (protocol: number, options?: object) => RawSocketLike;

let ctor: RawCtor | undefined;
let loadError: Error | undefined;

function loadRaw(): RawCtor {
  if (ctor) return ctor;
  if (loadError) throw loadError;
  try {
    const require = createRequire(import.meta.url);
    ctor = (require('netlink/dist/raw.js') as { RawNetlinkSocket: RawCtor }).RawNetlinkSocket;
    return ctor;
  } catch (e) {
    loadError = new Error(`netlink transport unavailable: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    throw loadError;
  }
}

export interface ChannelOptions {
  /**
   * Read with fixed 32 KiB buffers instead of peeking at each datagram's size:
   * the kernel then fills ~32 KiB per datagram (netlink_dump sizes its skb by
   * the reader's last buffer), an eighth of the wake-ups per dump of 100k
   * sockets. The live view, which dumps every second, uses it.
   */
  bulk?: boolean;
}

/** One open NETLINK_SOCK_DIAG socket that runs requests one after another. */
export class SockDiagChannel {
  /** A kernel is on the other end: it answers TCPDIAG_GETSOCK (see LiveChannel in live-table.ts). */
  readonly compatTcp = true;
  private readonly sock: RawSocketLike;
  private handler: ((msg: Buffer) => void) | undefined;
  private failure: ((err: Error) => void) | undefined;

  constructor(opts: ChannelOptions = {}) {
    const Raw = loadRaw();
    // A large receive buffer lets the kernel fill big datagrams without drops.
    this.sock = opts.bulk
      ? new Raw(NETLINK_SOCK_DIAG, { recvBufferSize: 1 << 21, sendBufferSize: 1 << 16, messagePeeking: false, msgBufferSize: 32768 })
      : new Raw(NETLINK_SOCK_DIAG, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 16 });
    this.sock.on('message', (msg) => this.handler?.(msg));
    this.sock.on('truncatedMessage', () => this.failure?.(new Error('netlink datagram larger than 32 KiB')));
    this.sock.on('error', (err) => this.failure?.(err));
  }

  /**
   * Send `request` and hand every reply datagram to `onChunk` until it returns true
   * (the dump is done). Rejects on a socket error or after `timeoutMs`.
   */
  request(request: Uint8Array, onChunk: (chunk: Buffer) => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error('netlink request timed out')), timeoutMs);
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.handler = undefined;
        this.failure = undefined;
        // Settle outside the native callback. The netlink addon calls us from
        // a libuv poll callback through node-addon-api with C++ exceptions: the
        // promise's continuations (the whole rest of a command, output
        // included) would run in that callback's scope on its way out, and
        // any exception there (say ENOSPC writing to /dev/full) becomes a C++
        // Napi::Error nobody catches: std::terminate, exit 134. From an
        // immediate, an exception is an ordinary JavaScript one.
        setImmediate(() => (err ? reject(err) : resolve()));
      };
      this.handler = (msg) => {
        let done: boolean;
        try {
          done = onChunk(msg);
        } catch (e) {
          finish(e as Error);
          return;
        }
        if (done) finish();
      };
      this.failure = finish;
      this.sock.send(request, {}, (err) => {
        if (err) finish(err);
      });
    });
  }

  close(): void {
    // A request still waiting ends now (its timer would keep the process alive).
    this.failure?.(new Error('netlink channel closed'));
    this.sock.close();
  }
}

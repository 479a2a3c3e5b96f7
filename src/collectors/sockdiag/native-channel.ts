// The live table's channel through the native addon (native/live.cc): a
// NETLINK_SOCK_DIAG socket of our own namespace, kept open across ticks, whose
// every dump a worker thread reads whole with big recv() calls into one buffer
// reused from dump to dump. The npm `netlink` socket (transport.ts) hands over
// one fresh Buffer per ~32 KiB datagram instead, each through its own libuv
// wake-up: ~300 callbacks and ~10 MB of new memory per dump at 100k sockets,
// every second. Without the addon (not built, SOCKSCOPE_NATIVE=0) the live
// table uses that channel, as before; both hand the same bytes to the same
// decoder (live-table.ts, codec.ts).
import { nativeScan } from '../procfs/holders.js';

interface DiagNative {
  diagOpen(): number;
  diagDump(fd: number, request: Uint8Array, into: Buffer): Promise<{ length: number; bytes?: Buffer; truncated: boolean }>;
  diagClose(fd: number): void;
}

/** The addon's diag functions, or null (not built, SOCKSCOPE_NATIVE=0, or built before they existed). */
export function diagNative(): DiagNative | null {
  const n = nativeScan() as (Partial<DiagNative> & object) | null;
  return n && typeof n.diagOpen === 'function' && typeof n.diagDump === 'function' && typeof n.diagClose === 'function'
    ? (n as DiagNative) : null;
}

/** First size of the reply buffer; it grows to the largest reply seen (plus a margin). */
const FIRST_BYTES = 1 << 20;

/**
 * One sock_diag socket of our namespace read through the addon. Requests run
 * one after another (the live table awaits each). The chunk handed to
 * `onChunk` is the whole reply, in a buffer that the next request
 * overwrites: the consumer decodes it and keeps nothing of it (live-table.ts
 * copies what it keeps into numbers, strings and its own arrays).
 */
export class NativeDiagChannel {
  /** The socket; -1 once closed (a close during a request waits for it to settle). */
  private fd: number;
  private buf: Buffer;
  private busy = false;
  private closed = false;
  /** A kernel is on the other end: it answers TCPDIAG_GETSOCK (see LiveChannel). */
  readonly compatTcp = true;
  /** The kernel answered the last request past the 512 MiB the addon keeps (the rest was read and dropped). */
  truncated = false;

  private constructor(private readonly native: DiagNative, firstBytes: number) {
    this.fd = native.diagOpen();
    // Its own memory (never a slice of Node's shared pool): a worker thread writes into it.
    this.buf = Buffer.allocUnsafeSlow(firstBytes);
  }

  /**
   * A channel, or a thrown Error saying why not (no addon, or the socket refused).
   * `firstBytes`: the reply buffer's first size (tests make it small to see it grow).
   */
  static open(firstBytes = FIRST_BYTES): NativeDiagChannel {
    const native = diagNative();
    if (!native) throw new Error('the native addon is not built');
    return new NativeDiagChannel(native, firstBytes);
  }

  async request(request: Uint8Array, onChunk: (chunk: Buffer) => boolean): Promise<void> {
    if (this.closed) throw new Error('netlink channel closed');
    if (this.busy) throw new Error('netlink channel busy');
    this.busy = true;
    let r: { length: number; bytes?: Buffer; truncated: boolean };
    try {
      r = await this.native.diagDump(this.fd, request, this.buf);
    } finally {
      this.busy = false;
      // Closed while the worker read: the socket is closed now that nothing uses it.
      if (this.closed) this.release();
    }
    this.truncated = r.truncated;
    let bytes: Buffer;
    if (r.bytes) {
      bytes = r.bytes;
      // Room for this reply and some growth next time: one allocation, then reuse.
      this.buf = Buffer.allocUnsafeSlow(Math.ceil(r.length * 1.25) + (1 << 16));
    } else {
      bytes = this.buf.subarray(0, r.length);
    }
    onChunk(bytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.release();
  }

  private release(): void {
    if (this.fd >= 0) this.native.diagClose(this.fd);
    this.fd = -1;
  }
}

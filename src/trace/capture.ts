// Capturing packets with tcpdump: `tcpdump -i IFACE -U --immediate-mode -w - -s SNAPLEN FILTER`,
// its pcap stream read by pcap.ts as it comes.
//
// Why tcpdump and not an AF_PACKET socket of our own: tcpdump (with libpcap)
// compiles the filter expression to a kernel BPF program, handles every link
// type and the TPACKET ring, and is one `apt install tcpdump` on Debian; the
// pcap stream it writes is a fixed, documented format, sturdier to read than
// its text. An AF_PACKET socket needs native code (the addon is another part's)
// and a BPF compiler of our own, for no gain in what the ladder shows.
//
// Bounds: the snapshot length keeps headers only (SLL2 20 + IPv6 40 + TCP with
// options 60 = 120 bytes; pcap.ts reads no payload), the capture stops at
// `count` TCP/UDP packets, after `durationMs`, or at `maxBytes` of pcap stream,
// whichever comes first, and tcpdump never outlives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { PcapReader, type PacketRecord } from './pcap.js';

/** Enough for the link, IP (v6) and TCP headers with options; never the payload beyond. */
export const SNAPLEN = 120;

export interface CaptureOptions {
  /** Interface: 'lo' for loopback only, 'any' for every interface. */
  iface: string;
  /** A BPF filter expression (built by filter.ts from numbers and addresses we parsed). */
  filter: string;
  /** Stop after this many TCP/UDP packets. */
  count: number;
  /** Stop after this long (ms). */
  durationMs: number;
  /** Stop after this much pcap stream (default: what `count` full-size records take). */
  maxBytes?: number;
  /** Called for each TCP/UDP packet, in capture order. */
  onPacket?(r: PacketRecord): void;
  /** The tcpdump program (default: tcpdump on PATH). */
  tcpdump?: string;
  /** Extra environment for tcpdump (tests). */
  env?: NodeJS.ProcessEnv;
}

/** Why a capture ended. */
export type CaptureEnd = 'count' | 'duration' | 'bytes' | 'stopped' | 'exited';

export interface CaptureResult {
  packets: PacketRecord[];
  end: CaptureEnd;
  /** tcpdump's exit when it ended by itself ('exited'). */
  detail?: string;
}

/** Why no capture could start. */
export type CaptureFailure = 'no-tcpdump' | 'permission' | 'failed';

export class CaptureError extends Error {
  constructor(readonly kind: CaptureFailure, readonly detail: string) {
    super(`${kind}: ${detail}`);
    this.name = 'CaptureError';
  }
}

/** tcpdump's own words about why it stopped: its "tcpdump: …" lines (bounded), without the prefix. */
export function tcpdumpComplaint(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^tcpdump: (data link type|listening on|verbose output)/.test(l))
    .filter((l) => !/packets (captured|received by filter|dropped by kernel)$/.test(l));
  return lines.join(' ').replace(/^tcpdump: /, '').slice(0, 300);
}

/** True when tcpdump's complaint is the kernel refusing a packet socket (EPERM/EACCES: no root, no CAP_NET_RAW). */
export function isPermissionComplaint(text: string): boolean {
  return /permission|Operation not permitted|not permitted|EPERM|EACCES/i.test(text);
}

export class Capture {
  readonly packets: PacketRecord[] = [];
  /** Resolves when the capture has ended, however it ended. */
  readonly done: Promise<CaptureResult>;
  private end: CaptureEnd | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reader = new PcapReader();
  private exitDetail: string | undefined;

  private constructor(private readonly child: ChildProcess, private readonly o: CaptureOptions, exited: Promise<void>) {
    this.done = exited.then(() => ({ packets: this.packets, end: this.end ?? 'exited', detail: this.exitDetail }));
  }

  /**
   * Start tcpdump and resolve once it says it is listening (the kernel filter
   * is in place: nothing sent after this is missed). Rejects with a
   * CaptureError when it cannot start.
   */
  static start(o: CaptureOptions): Promise<Capture> {
    const snaplen = SNAPLEN;
    const maxBytes = o.maxBytes ?? 24 + o.count * (16 + snaplen);
    const args = ['-i', o.iface, '-U', '--immediate-mode', '-w', '-', '-s', String(snaplen), '-c', String(o.count), o.filter];
    return new Promise<Capture>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(o.tcpdump ?? 'tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ? { ...process.env, ...o.env } : process.env });
      } catch (e) {
        reject(new CaptureError('failed', (e as Error).message));
        return;
      }
      let stderr = '';
      let listening = false;
      let settled = false;
      let exitResolve!: () => void;
      const exited = new Promise<void>((r) => { exitResolve = r; });
      const cap = new Capture(child, o, exited);
      const fail = (err: CaptureError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        try { child.kill('SIGKILL'); } catch { /* gone */ }
        reject(err);
      };
      const startTimer = setTimeout(() => fail(new CaptureError('failed', tcpdumpComplaint(stderr) || 'tcpdump did not start listening within 10 s')), 10_000);
      child.on('error', (e: NodeJS.ErrnoException) => {
        fail(new CaptureError(e.code === 'ENOENT' ? 'no-tcpdump' : 'failed', e.message));
        exitResolve();
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        if (stderr.length < 4096) stderr += d;
        if (!listening && /listening on /.test(stderr)) {
          listening = true;
          settled = true;
          clearTimeout(startTimer);
          cap.timer = setTimeout(() => { void cap.stop('duration'); }, o.durationMs);
          resolve(cap);
        }
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        // Read on after a stop too: SIGINT makes tcpdump hand over what it still had.
        let recs: PacketRecord[];
        try {
          recs = cap.reader.push(chunk);
        } catch (e) {
          if (!cap.end) { cap.exitDetail = (e as Error).message; void cap.stop('exited'); }
          return;
        }
        for (const r of recs) {
          if (cap.packets.length >= o.count) break;
          cap.packets.push(r);
          o.onPacket?.(r);
        }
        if (cap.end) return;
        if (cap.packets.length >= o.count) void cap.stop('count');
        else if (cap.reader.bytes >= maxBytes) void cap.stop('bytes');
      });
      child.on('close', (code, signal) => {
        clearTimeout(cap.timer);
        if (!settled) {
          const said = tcpdumpComplaint(stderr) || `tcpdump exited (${signal ?? `code ${code}`})`;
          fail(new CaptureError(isPermissionComplaint(said) ? 'permission' : 'failed', said));
        } else if (!cap.end) {
          // tcpdump ended by itself: its -c count (the same as ours), or an error it printed.
          cap.end = cap.packets.length >= o.count ? 'count' : 'exited';
          if (cap.end === 'exited') cap.exitDetail = tcpdumpComplaint(stderr) || `code ${code ?? signal}`;
        }
        exitResolve();
      });
    });
  }

  /** End the capture (idempotent); resolves with everything captured. */
  stop(why: CaptureEnd = 'stopped'): Promise<CaptureResult> {
    if (!this.end) {
      this.end = why;
      clearTimeout(this.timer);
      // SIGINT: tcpdump flushes what it wrote and exits; SIGKILL if it does not within 2 s.
      try { this.child.kill('SIGINT'); } catch { /* gone */ }
      const k = setTimeout(() => { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }, 2000);
      void this.done.finally(() => clearTimeout(k));
    }
    return this.done;
  }

  /** Wait until tcpdump's stream has nothing more to give for `quietMs` (packets still in the pipe get read). */
  async settle(quietMs = 150, maxMs = 1000): Promise<void> {
    const until = Date.now() + maxMs;
    let n = -1;
    while (Date.now() < until && n !== this.reader.bytes) {
      n = this.reader.bytes;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }
}

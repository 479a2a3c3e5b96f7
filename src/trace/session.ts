// One trace: a packet capture (capture.ts) and, at the same time, quick looks
// of sockscope's own collector (the library watch() over the live collector,
// narrowed to the traced ports), so that the ladder can write beside each
// packet the socket states the machine showed right after it.
import { watch } from '../watch.js';
import { defaultContext } from '../index.js';
import type { Protocol, Socket } from '../model/socket.js';
import { Capture, type CaptureEnd } from './capture.js';
import { PacketTracker, StateTracker, type TraceEvent } from './ladder.js';

export interface TraceSessionOptions {
  /** 'lo' or 'any'. */
  iface: string;
  /** BPF expression for tcpdump. */
  bpf: string;
  /** Ports the collector's looks are narrowed to. */
  ports: readonly number[];
  protocols: readonly Protocol[];
  /** Keep only these sockets of a look (a 4-tuple, a pid's); default: every socket on `ports`. */
  match?: (s: Socket) => boolean;
  count: number;
  durationMs: number;
  /** Time between looks (default 50 ms). */
  intervalMs?: number;
  source?: 'auto' | 'netlink' | 'proc';
  procRoot?: string;
  /** Each event as it happens (packets in capture order, state changes after each look). */
  onEvent?(e: TraceEvent): void;
}

export interface TraceResult {
  events: TraceEvent[];
  end: CaptureEnd;
  detail?: string;
  /** The sockets of the first look, before anything was captured. */
  before: Socket[];
  /** Looks taken. */
  looks: number;
}

export class TraceSession {
  readonly events: TraceEvent[] = [];
  private readonly packets = new PacketTracker();
  private readonly states = new StateTracker();
  private readonly stopLooks = new AbortController();
  private looking: Promise<void> = Promise.resolve();
  private before: Socket[] = [];
  private looks = 0;

  private constructor(private readonly o: TraceSessionOptions, private capture?: Capture) {}

  /**
   * Take a first look, start the capture (rejects with a CaptureError when it
   * cannot), then keep looking until stopped.
   */
  static async start(o: TraceSessionOptions): Promise<TraceSession> {
    const s = new TraceSession(o);
    const looks = watch({
      filter: { all: true, ports: [...o.ports], protocols: [...o.protocols] },
      intervalSeconds: (o.intervalMs ?? 50) / 1000, signal: s.stopLooks.signal, sourceName: o.source,
      context: defaultContext({ procRoot: o.procRoot }), rescanSeconds: 5,
    });
    const first = await looks.next();
    if (!first.done) {
      s.before = first.value.sockets.filter((x) => s.keep(x));
      s.states.baseline(s.before, Date.now());
      s.looks++;
    }
    try {
      s.capture = await Capture.start({
        iface: o.iface, filter: o.bpf, count: o.count, durationMs: o.durationMs,
        onPacket: (r) => s.emit(s.packets.add(r)),
      });
    } catch (e) {
      s.stopLooks.abort();
      await looks.return(undefined);
      throw e;
    }
    s.looking = (async () => {
      try {
        for await (const u of looks) {
          // The look's time is when it began: the kernel's table is read first, the
          // holders after; a change it saw happened before then (give or take the read).
          const at = Date.now() - u.stats.wallMs;
          s.looks++;
          for (const ev of s.states.look(u.sockets.filter((x) => s.keep(x)), at)) s.emit(ev);
        }
      } catch {
        // A look that failed ends the looks, not the capture: the packets still come.
      }
    })();
    // When the capture ends by itself (count, duration), the looks end too, after one more.
    void s.capture.done.then(async () => {
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
      s.stopLooks.abort();
    });
    return s;
  }

  private keep(s: Socket): boolean {
    return this.o.match ? this.o.match(s) : true;
  }

  private emit(e: TraceEvent): void {
    this.events.push(e);
    this.o.onEvent?.(e);
  }

  /** Resolves when the capture has ended by itself (count or duration) or been stopped. */
  get done(): Promise<unknown> {
    return this.capture!.done;
  }

  /** Events since index `from` (the lab takes a step's worth). */
  since(from: number): TraceEvent[] {
    return this.events.slice(from);
  }

  /** Let packets still in the pipe and one more look arrive. */
  async settle(): Promise<void> {
    await this.capture!.settle();
    await new Promise((r) => setTimeout(r, (this.o.intervalMs ?? 50) * 2));
  }

  async stop(): Promise<TraceResult> {
    const r = await this.capture!.stop('stopped');
    // One last look after the last packet, so that its states are beside it.
    await new Promise((res) => setTimeout(res, (this.o.intervalMs ?? 50) * 2));
    this.stopLooks.abort();
    await this.looking;
    return { events: this.events, end: r.end, detail: r.detail, before: this.before, looks: this.looks };
  }
}

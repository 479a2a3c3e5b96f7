// The lab's packets (lab --packets): a tcpdump capture on loopback narrowed to
// the experiment's ports, with quick looks of the collector for the states
// beside the arrows. An experiment picks its ports as it goes (it binds port 0
// and adds what it got to lab.ports), so the capture follows: when the set
// grows, a new capture with every port starts, the old one stops once the new
// one listens, and the runner holds the experiment's next call into a child
// until then (nothing it does is missed).
import { watch } from '../watch.js';
import { defaultContext } from '../index.js';
import type { Protocol, Socket } from '../model/socket.js';
import { Capture, CaptureError } from '../trace/capture.js';
import type { PacketRecord } from '../trace/pcap.js';
import { PacketTracker, StateTracker, type TraceEvent, type TracePacket } from '../trace/ladder.js';
import { isLabSocket } from './observe.js';

export interface LabPacketsOptions {
  ports: ReadonlySet<number>;
  protocols: readonly Protocol[];
  source?: 'auto' | 'netlink' | 'proc';
  procRoot?: string;
  /** At most this many packets in a run (default 5000). */
  maxPackets?: number;
  /** Time between looks (default 100 ms). */
  lookMs?: number;
}

/** Loopback only: the lab's traffic never leaves 127.0.0.0/8 and ::1. */
export function labBpf(ports: readonly number[], protocols: readonly Protocol[]): string {
  const proto = protocols.length === 1 ? protocols[0]! : '(tcp or udp)';
  return `${proto} and (${ports.map((p) => `port ${p}`).join(' or ')})`;
}

export class LabPackets {
  readonly events: TraceEvent[] = [];
  private readonly tracker = new PacketTracker();
  private readonly states = new StateTracker();
  private capture: Capture | undefined;
  private capturedPorts = '';
  private switching: Promise<void> = Promise.resolve();
  private readonly stopLooks = new AbortController();
  private looking: Promise<void> = Promise.resolve();
  private count = 0;
  private window: { from?: number; until: number } | undefined;
  /** Set when a capture that should have started did not (the run goes on without packets). */
  failure: CaptureError | undefined;

  private constructor(private readonly o: LabPacketsOptions) {}

  /**
   * Check that capturing is possible here (root or CAP_NET_RAW, tcpdump) by
   * starting a capture of nothing in particular for a moment: the kernel's
   * answer, not a guess from our uid. Rejects with a CaptureError.
   */
  static async probe(): Promise<void> {
    const c = await Capture.start({ iface: 'lo', filter: 'tcp port 1', count: 1, durationMs: 10_000 });
    await c.stop();
  }

  static start(o: LabPacketsOptions): LabPackets {
    const lp = new LabPackets(o);
    const ctx = defaultContext({ procRoot: o.procRoot });
    const looks = watch({
      filter: { all: true, protocols: [...o.protocols] },
      query: () => ({ ports: [...o.ports] }),
      intervalSeconds: (o.lookMs ?? 100) / 1000, signal: lp.stopLooks.signal, sourceName: o.source, context: ctx, rescanSeconds: 5,
    });
    let first = true;
    lp.looking = (async () => {
      try {
        for await (const u of looks) {
          // When the look began: the kernel's table is read first (see session.ts).
          const at = Date.now() - u.stats.wallMs;
          // No ports yet: nothing of ours to look at (the query would ask for everything).
          const mine = o.ports.size ? u.sockets.filter((s) => isLabSocket(s, o.ports)) : [];
          if (first) { lp.states.baseline(mine, at); first = false; continue; }
          for (const e of lp.states.look(mine, at)) lp.events.push(e);
        }
      } catch {
        // Looks that fail end the states, not the packets.
      }
    })();
    return lp;
  }

  /** Follow the current ports: restart the capture when the set grew. Resolves once the capture listens. */
  follow(): Promise<void> {
    const ports = [...this.o.ports].sort((a, b) => a - b);
    const key = ports.join(',');
    if (!ports.length || key === this.capturedPorts || this.failure) return this.switching;
    this.capturedPorts = key;
    this.switching = this.switching.then(async () => {
      const old = this.capture;
      const oldWindow = this.window;
      // Both captures see what passes while they overlap: the old one keeps
      // what came before the new one listened, the new one what came after.
      const window: { from?: number; until: number; pending: PacketRecord[] } = { until: Infinity, pending: [] };
      const take = (r: PacketRecord): void => {
        const max = this.o.maxPackets ?? 5000;
        if (this.count >= max) return;
        this.count++;
        this.events.push(this.tracker.add(r));
      };
      try {
        this.capture = await Capture.start({
          iface: 'lo', filter: labBpf(ports, this.o.protocols), count: this.o.maxPackets ?? 5000, durationMs: 3_600_000,
          onPacket: (r) => {
            if (window.from === undefined) window.pending.push(r);
            else if (r.at >= window.from && r.at < window.until) take(r);
          },
        });
        window.from = Date.now();
        if (oldWindow) oldWindow.until = window.from;
        for (const r of window.pending.splice(0)) if (r.at >= window.from) take(r);
        this.window = window;
      } catch (e) {
        this.failure = e instanceof CaptureError ? e : new CaptureError('failed', String(e));
      }
      if (old) await old.stop();
    });
    return this.switching;
  }

  /** Index of the next event (a step's packets are those after its mark). */
  mark(): number {
    return this.events.length;
  }

  /** Let packets still in the pipe and one more look arrive. */
  async settle(): Promise<void> {
    await this.switching;
    await this.capture?.settle(120, 800);
    await new Promise((r) => setTimeout(r, (this.o.lookMs ?? 100) * 2));
  }

  packetsSince(mark: number): TracePacket[] {
    return this.events.slice(mark).filter((e): e is TracePacket => e.type === 'packet');
  }

  eventsSince(mark: number): TraceEvent[] {
    return this.events.slice(mark);
  }

  async stop(): Promise<void> {
    await this.switching.catch(() => undefined);
    await this.capture?.stop();
    this.stopLooks.abort();
    await this.looking;
  }
}

export type { Socket };

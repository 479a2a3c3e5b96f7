// The IANA registry's binary tables (scripts/gen-iana.mjs writes them, and says
// why binary): per protocol the registered ports in ascending order and a text
// for each, found by binary search in the file's one Buffer.
import { readFileSync } from 'node:fs';
import type { Protocol } from '../model/socket.js';

interface Side { ports: Uint16Array; offsets: Uint32Array }

export class IanaTable {
  private constructor(private readonly bytes: Buffer, private readonly sides: Record<Protocol, Side>, private readonly text: number) {}

  /** The table in dist/data/`file`, or null when the build has none (it then names nothing). */
  static open(file: string): IanaTable | null {
    try {
      // dist/src/explain/ -> dist/data/
      const b = readFileSync(new URL(`../../data/${file}`, import.meta.url));
      let at = 8;
      const side = (n: number): Side => {
        const ports = new Uint16Array(b.buffer, b.byteOffset + at, n);
        at += (n * 2 + 3) & ~3;
        const offsets = new Uint32Array(b.buffer, b.byteOffset + at, n + 1);
        at += (n + 1) * 4;
        return { ports, offsets };
      };
      const tcp = side(b.readUInt32LE(0));
      const udp = side(b.readUInt32LE(4));
      return new IanaTable(b, { tcp, udp }, at);
    } catch {
      return null;
    }
  }

  /** The text of a registered port, or undefined. */
  get(port: number, protocol: Protocol): string | undefined {
    const { ports } = this.sides[protocol];
    let lo = 0;
    let hi = ports.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = ports[mid]!;
      if (p === port) return this.at(protocol, mid);
      if (p < port) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Every (port, text) of a protocol, in port order. */
  *entries(protocol: Protocol): Generator<[number, string]> {
    const { ports } = this.sides[protocol];
    for (let i = 0; i < ports.length; i++) yield [ports[i]!, this.at(protocol, i)];
  }

  private at(protocol: Protocol, i: number): string {
    const { offsets } = this.sides[protocol];
    return this.bytes.toString('utf8', this.text + offsets[i]!, this.text + offsets[i + 1]!);
  }
}

// The socket table read over netlink sock_diag: one dump per (family, protocol).
import type { Family, Protocol, RawSocket } from '../../model/socket.js';
import type { ScanIssue } from '../../model/snapshot.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, decodeDumpChunk, encodeDumpRequest } from './codec.js';
import { SockDiagChannel } from './transport.js';

export interface SockDiagOptions {
  protocols: readonly Protocol[];
  families: readonly Family[];
  memory?: boolean;
  /** TCP internals (INET_DIAG_INFO, INET_DIAG_CONG). */
  info?: boolean;
  /** Kernel state bitmask (1 << state) to ask for; all by default. */
  states?: number;
  /** Only sockets with one of these local or remote ports. */
  ports?: readonly number[];
}

let seqCounter = 1;

export interface SockDiagResult {
  sockets: RawSocket[];
  issues: ScanIssue[];
  /** Tables the kernel refused (e.g. no udp_diag module): read them from /proc instead. */
  refused: { protocol: Protocol; family: Family }[];
}

/**
 * Read every requested socket over netlink. Throws when netlink itself is not
 * usable (no transport, socket refused); a single table the kernel refuses
 * (e.g. udp_diag not available) is reported as an issue instead.
 */
export async function readSockDiag(opts: SockDiagOptions): Promise<SockDiagResult> {
  const channel = new SockDiagChannel();
  const sockets: RawSocket[] = [];
  const issues: ScanIssue[] = [];
  const refused: SockDiagResult['refused'] = [];
  try {
    for (const protocol of opts.protocols) {
      for (const family of opts.families) {
        const seq = seqCounter++;
        const req = encodeDumpRequest({
          family: family === 'ipv4' ? AF_INET : AF_INET6,
          protocol: protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP,
          memory: opts.memory,
          info: opts.info && protocol === 'tcp',
          states: opts.states,
          ports: opts.ports,
          seq,
        });
        let errno: number | undefined;
        let malformed = 0;
        await channel.request(req, (chunk) => {
          const r = decodeDumpChunk(chunk, protocol, seq, sockets);
          malformed += r.malformed;
          if (r.errno !== undefined) errno = r.errno;
          return r.done;
        });
        const table = `${protocol}${family === 'ipv6' ? '6' : ''}`;
        if (errno !== undefined) {
          refused.push({ protocol, family });
          issues.push({ kind: 'source-error', subject: `netlink ${table}`, detail: `errno ${-errno}` });
        }
        if (malformed > 0) issues.push({ kind: 'parse-error', subject: `netlink ${table}`, detail: `${malformed} malformed messages` });
      }
    }
  } finally {
    channel.close();
  }
  return { sockets, issues, refused };
}

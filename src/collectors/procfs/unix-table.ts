// /proc/net/unix: the kernel's text table of Unix domain sockets
// (net/unix/af_unix.c, unix_seq_show), read when sock_diag's UNIX_DIAG is not
// there (a kernel without unix_diag), when --source proc says so, and from a
// recorded tree. A real line (a listening SOCK_SEQPACKET socket):
//   Num       RefCount Protocol Flags    Type St Inode Path
//   000000008bd45cfa: 00000002 00000000 00010000 0005 01 8598560 /proc/self/fd/14/attach
// Num is the kernel's address of the socket (hashed, or zeros without
// privilege), Flags 0x10000 is __SO_ACCEPTCON (listening), Type is 1 stream,
// 2 dgram, 5 seqpacket, St the socket layer's state (SS_UNCONNECTED 1,
// SS_CONNECTING 2, SS_CONNECTED 3, SS_DISCONNECTING 4), then the inode and
// the address. The kernel prints an abstract name with '@' for its leading
// NUL and for every NUL inside it, and a path's bytes as they are: a path
// holding a newline breaks its line. A line that is not a socket, right after
// one with a name, is taken as the rest of that name (the newline kept); a
// name whose newline is followed by text shaped like a whole table line
// cannot be told from a socket of its own in this table (UNIX_DIAG sends
// names as counted bytes and has no such doubt).
// What the table lacks against UNIX_DIAG: the peer, the queues, the backlog
// and the owner's uid. They stay absent, never 0.
import type { UnixSocket, UnixState, UnixType } from '../../model/unix.js';
import { NO_HOLDERS } from '../sockdiag/codec.js';

const TYPES: Readonly<Record<string, UnixType>> = { '0001': 'stream', '0002': 'dgram', '0005': 'seqpacket' };
const STATES: Readonly<Record<string, UnixState>> = { '01': 'UNCONN', '02': 'CONNECTING', '03': 'ESTABLISHED', '04': 'DISCONNECTING' };
const ACCEPTCON = 0x10000;
// The inode is printed "%5lu": an inode under 10000 comes padded with spaces.
const LINE = /^([0-9a-f]+): ([0-9A-F]{8}) ([0-9A-F]{8}) ([0-9A-F]{8}) ([0-9A-F]{4}) ([0-9A-F]{2}) +(\d+)(?: (.*))?$/;

export interface UnixTableParse {
  sockets: UnixSocket[];
  /** Lines that are not a socket (a path with a newline continues on its own line), with the first of them. */
  malformed: number;
  firstMalformed?: string;
}

/** Parse the text of /proc/net/unix (decoded with decodeProcBytes, so a path's odd bytes survive as U+DCxx). */
export function parseProcNetUnix(text: string): UnixTableParse {
  const out: UnixTableParse = { sockets: [], malformed: 0 };
  const lines = text.split('\n');
  // Index of the last line that gave a named socket (a following stray line continues its name).
  let lastNamed = -2;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const m = LINE.exec(line);
    const type = m ? TYPES[m[5]!] : undefined;
    const listening = m ? (parseInt(m[4]!, 16) & ACCEPTCON) !== 0 : false;
    const state = m ? (listening ? 'LISTEN' : STATES[m[6]!]) : undefined;
    const inode = m ? Number(m[7]) : NaN;
    if (!m || !type || !state || !Number.isSafeInteger(inode)) {
      const prev = lastNamed === i - 1 ? out.sockets[out.sockets.length - 1] : undefined;
      if (prev && !m) {
        if (prev.path !== undefined) prev.path += '\n' + line;
        else prev.abstract += '\n' + line;
        lastNamed = i;
        continue;
      }
      out.malformed++;
      out.firstMalformed ??= line.slice(0, 200);
      continue;
    }
    // recvQ and sendQ are not in this table: left out (the views show "?", JSON omits them).
    const s: UnixSocket = { protocol: 'unix', type, state, inode, holders: NO_HOLDERS };
    const name = m[8];
    if (name !== undefined && name !== '') {
      // '@' then the name, each NUL of it printed as '@' as well: the first is the marker.
      if (name.startsWith('@')) s.abstract = name.slice(1);
      else s.path = name;
      lastNamed = i;
    }
    out.sockets.push(s);
  }
  return out;
}

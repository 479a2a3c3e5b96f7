// Snapshot × Snapshot → opened / closed / changed. Pure: no I/O, no clock.
//
// A socket is the same socket in both snapshots when protocol, family, the
// 4-tuple and the inode agree. Inodes are unique among live sockets, so the
// lookup goes by inode (a number: a 100k-entry map of text keys costs ten
// times more) and the rest of the key is then compared; sockets without an
// inode (TIME_WAIT, not yet accepted) are looked up by their text key.
//
// Two kernel habits are folded back, each when the 4-tuple has exactly one
// candidate on each side:
//  - when a program closes a TCP connection that still has a handshake to
//    finish (FIN_WAIT1/2, LAST_ACK, CLOSING), the socket is orphaned and
//    reports inode 0 from then on: a state change of one socket, not a close
//    and an open;
//  - a connection the kernel completed waits in its listener's accept queue
//    with no file, so no inode (SYN_RECV, ESTABLISHED or CLOSE_WAIT); when the
//    program accepts it, it gets an inode and a holder: one connection
//    `accepted`, not a close and an open (a consumer keyed on the 4-tuple
//    would otherwise believe a live connection closed).
import type { Holder, Socket, SocketState } from './socket.js';

/**
 * What changed on a socket that is in both snapshots. 'accepted': it left
 * the accept queue (inode 0 before, an inode and holders after); holders are
 * then not listed separately, the acceptance says it.
 */
export type ChangeField = 'state' | 'queues' | 'holders' | 'accepted';

export interface SocketChange {
  before: Socket;
  after: Socket;
  fields: ChangeField[];
}

export interface SnapshotDiff {
  opened: Socket[];
  closed: Socket[];
  changed: SocketChange[];
  /**
   * The same socket as a new object with nothing to report (holders re-read to the
   * same list, a /proc record read again): not an event, but a view that keeps
   * objects must take the new one, or the old one outlives the socket.
   */
  replaced?: { before: Socket; after: Socket }[];
}

/** Protocol, family and 4-tuple as one text (the key without the inode). */
export function tupleKey(s: Socket): string {
  return `${s.protocol}${s.family === 'ipv6' ? '6' : '4'} ${s.localAddress} ${s.localPort} ${s.remoteAddress} ${s.remotePort}`;
}

/** The identity of a socket across snapshots: protocol + family + 4-tuple + inode. */
export function socketKey(s: Socket): string {
  return `${tupleKey(s)} ${s.inode}`;
}

function sameTuple(a: Socket, b: Socket): boolean {
  return a.protocol === b.protocol && a.family === b.family && a.localPort === b.localPort && a.remotePort === b.remotePort &&
    a.localAddress === b.localAddress && a.remoteAddress === b.remoteAddress;
}

/** Same holders: the same (pid, fd) pairs in the same order (collectors sort them by pid, fd). */
export function sameHolders(a: readonly Holder[], b: readonly Holder[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.pid !== b[i]!.pid || a[i]!.fd !== b[i]!.fd) return false;
  return true;
}

/** Which fields differ between two records of the same socket (empty: unchanged). */
export function changedFields(a: Socket, b: Socket): ChangeField[] {
  if (a === b) return [];
  const out: ChangeField[] = [];
  if (a.state !== b.state) out.push('state');
  if (a.recvQ !== b.recvQ || a.sendQ !== b.sendQ || a.backlog !== b.backlog) out.push('queues');
  if (!sameHolders(a.holders, b.holders)) out.push('holders');
  return out;
}

/**
 * What happened between two lists of sockets. Sockets that are the same
 * object in both lists are unchanged without further comparison.
 * Output order follows `next` (opened, changed) and `prev` (closed).
 */
export function diffSockets(prev: readonly Socket[], next: readonly Socket[]): SnapshotDiff {
  // Pass 1: walk both lists side by side. Two reads of the same table list
  // sockets mostly in the same order, so most sockets are found at (or a few
  // places after) the cursor, by identity or by inode and 4-tuple.
  const matchedPrev = new Uint8Array(prev.length);
  const pending: Socket[] = [];
  let opened: Socket[] = [];
  const changed: SocketChange[] = [];
  const replaced: { before: Socket; after: Socket }[] = [];
  const LOOKAHEAD = 8;
  let j = 0;
  for (let i = 0; i < next.length; i++) {
    const s = next[i]!;
    let hit = -1;
    const end = Math.min(prev.length, j + LOOKAHEAD);
    for (let k = j; k < end; k++) {
      const p = prev[k]!;
      if (p === s || (s.inode !== 0 && p.inode === s.inode && sameTuple(p, s))) { hit = k; break; }
    }
    if (hit < 0) {
      pending.push(s);
      continue;
    }
    matchedPrev[hit] = 1;
    j = hit + 1;
    const before = prev[hit]!;
    if (before !== s) {
      const fields = changedFields(before, s);
      if (fields.length) changed.push({ before, after: s, fields });
      else replaced.push({ before, after: s });
    }
  }
  // Pass 2: the rest by key: inode (then 4-tuple), or the 4-tuple text without one.
  if (pending.length) {
    const byInode = new Map<number, number>();
    const noInode = new Map<string, number[]>();
    for (let k = 0; k < prev.length; k++) {
      if (matchedPrev[k]) continue;
      const p = prev[k]!;
      if (p.inode !== 0) byInode.set(p.inode, k);
      else {
        const key = tupleKey(p);
        const l = noInode.get(key);
        if (l) l.push(k);
        else noInode.set(key, [k]);
      }
    }
    for (const s of pending) {
      let at: number | undefined;
      if (s.inode !== 0) {
        const k = byInode.get(s.inode);
        if (k !== undefined && !matchedPrev[k] && sameTuple(prev[k]!, s)) at = k;
      } else {
        at = noInode.get(tupleKey(s))?.find((k) => !matchedPrev[k]);
      }
      if (at === undefined) {
        opened.push(s);
        continue;
      }
      matchedPrev[at] = 1;
      const before = prev[at]!;
      if (before === s) continue;
      const fields = changedFields(before, s);
      if (fields.length) changed.push({ before, after: s, fields });
      else replaced.push({ before, after: s });
    }
  }
  let closed: Socket[] = [];
  for (let k = 0; k < prev.length; k++) if (!matchedPrev[k]) closed.push(prev[k]!);

  // Orphaned after close(): inode went to 0, same 4-tuple, one of each.
  if (closed.length && opened.length) {
    const openedZero = new Map<string, Socket[]>();
    for (const s of opened) {
      if (s.inode !== 0 || s.protocol !== 'tcp') continue;
      const k = tupleKey(s);
      const l = openedZero.get(k);
      if (l) l.push(s);
      else openedZero.set(k, [s]);
    }
    if (openedZero.size) {
      const closedByTuple = new Map<string, Socket[]>();
      for (const s of closed) {
        const k = tupleKey(s);
        const l = closedByTuple.get(k);
        if (l) l.push(s);
        else closedByTuple.set(k, [s]);
      }
      const paired = new Set<Socket>();
      for (const [k, l] of openedZero) {
        const c = closedByTuple.get(k);
        if (l.length !== 1 || !c || c.length !== 1 || c[0]!.inode === 0) continue;
        const before = c[0]!;
        const after = l[0]!;
        paired.add(before).add(after);
        const fields = changedFields(before, after);
        if (fields.length) changed.push({ before, after, fields });
      }
      if (paired.size) {
        opened = opened.filter((s) => !paired.has(s));
        closed = closed.filter((s) => !paired.has(s));
      }
    }
  }

  // Accepted: inode 0 in the accept queue before, an inode after, same 4-tuple.
  if (closed.length && opened.length) {
    const queued = new Map<string, Socket[]>();
    for (const s of closed) {
      if (s.inode !== 0 || s.protocol !== 'tcp' || !QUEUED.has(s.state)) continue;
      const k = tupleKey(s);
      const l = queued.get(k);
      if (l) l.push(s);
      else queued.set(k, [s]);
    }
    if (queued.size) {
      const openedByTuple = new Map<string, Socket[]>();
      for (const s of opened) {
        if (s.inode === 0 || s.protocol !== 'tcp' || !queued.has(tupleKey(s))) continue;
        const k = tupleKey(s);
        const l = openedByTuple.get(k);
        if (l) l.push(s);
        else openedByTuple.set(k, [s]);
      }
      const paired = new Set<Socket>();
      for (const [k, l] of openedByTuple) {
        const q = queued.get(k)!;
        if (l.length !== 1 || q.length !== 1) continue;
        const before = q[0]!;
        const after = l[0]!;
        paired.add(before).add(after);
        const fields: ChangeField[] = ['accepted'];
        for (const f of changedFields(before, after)) if (f !== 'holders') fields.push(f);
        changed.push({ before, after, fields });
      }
      if (paired.size) {
        opened = opened.filter((s) => !paired.has(s));
        closed = closed.filter((s) => !paired.has(s));
      }
    }
  }
  return replaced.length ? { opened, closed, changed, replaced } : { opened, closed, changed };
}

/** States of a connection that can sit in an accept queue (no inode until accepted). */
const QUEUED: ReadonlySet<SocketState> = new Set<SocketState>(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT']);

// The socket table written from the native one-shot table (collectors/fast):
// the same bytes as renderJson, renderNdjson and renderTable (on a pipe) write
// from Socket objects, made in native code by rows. Here: the texts that
// depend on processes and on the user's language, once each.
import type { FastTable } from '../collectors/fast/one-shot.js';
import type { Protocol, UnheldReason } from '../model/socket.js';
import { msg } from '../explain/i18n.js';
import { COLUMNS, holderName, portName, unheldText } from './columns.js';
import { displayWidth, type RenderOptions, type Sink } from './sink.js';
import { holderJsonRest, netnsJson, padCells } from './table.js';

const CHUNK = 1 << 20;
const UNHELD: readonly UnheldReason[] = ['not-accepted', 'kernel', 'permission-denied', 'process-exited', 'other-namespace', 'unknown'];

/**
 * Every row through one buffer, reused once the sink is done with it: 35 MB of
 * JSON never sits in memory at once (fresh buffers would wait for a GC).
 */
async function pour(t: FastTable, sink: Sink, kind: 0 | 1 | 2, widths?: Uint32Array): Promise<void> {
  let buf = Buffer.allocUnsafeSlow(CHUNK);
  for (let from = 0; from < t.rows;) {
    const c = t.chunk(kind, from, buf, widths);
    if (c.need !== undefined) {
      // One row longer than the buffer (a process with a huge command line holds it).
      buf = Buffer.allocUnsafeSlow(c.need);
      continue;
    }
    if (c.next <= from) throw new Error('the native table made no progress');
    from = c.next;
    await sink.bytes(buf.subarray(0, c.length));
  }
}

/** renderJson / renderNdjson of the table's rows. */
export async function writeFastJson(t: FastTable, sink: Sink, ndjson: boolean): Promise<void> {
  t.prepare({ rest: [...t.holders.values()].map(holderJsonRest), netns: t.netns.map((n) => (n ? netnsJson(n) : '')) });
  if (!ndjson) await sink.write('[');
  await pour(t, sink, ndjson ? 1 : 0);
  if (!ndjson) await sink.write(t.rows ? '\n]\n' : ']\n');
  await sink.flush();
}

/**
 * renderTable of the table's rows on a pipe (no width to fit, no colour, no
 * explanations: the caller checks). False, having written nothing, when a
 * service name is not plain ASCII (the native widths count bytes).
 */
export async function writeFastTable(t: FastTable, sink: Sink, opts: RenderOptions): Promise<boolean> {
  // native/fast.cc writes these columns, in this order (not NETNS and CONTAINER: another namespace's rows are the collector's).
  if (t.foreignRows > 0 || COLUMNS.map((c) => c.id).join() !== 'proto,local,remote,state,recvq,sendq,holders') return false;
  const L = opts.lang;
  const keys: number[] = [];
  const names: string[] = [];
  for (const key of t.ports) {
    const name = portName(key & 0xffff, (key >>> 16 === 0 ? 'tcp' : 'udp') as Protocol, opts.numeric, opts.ephemeral);
    if (name === undefined) continue;
    if (!/^[\x21-\x7e]*$/.test(name)) return false;
    keys.push(key);
    names.push(name);
  }
  // "pid/name fd N": the text around the fd, per process (view.holder; its name escaped by holderName).
  const pre: string[] = [];
  const post: string[] = [];
  for (const h of t.holders.values()) {
    const [a, b] = msg(L, 'view.holder', { pid: h.pid, name: holderName(h.name), fd: '\u0000' }).split('\u0000');
    pre.push(a!);
    post.push(b ?? '');
  }
  t.prepare({ pre, post, unheld: UNHELD.map((r) => msg(L, 'view.unheld', { reason: unheldText(r, L) })), names: { keys: Int32Array.from(keys), names } });
  const headers = COLUMNS.map((c) => msg(L, c.header));
  const last = COLUMNS.length - 1;
  const measured = t.widths();
  const widths = Uint32Array.from(headers.slice(0, last), (h, i) => Math.max(measured[i]!, displayWidth(h)));
  const right = COLUMNS.map((c) => c.align === 'right');
  await sink.line((padCells(headers, last, [...widths], right, '  ') + headers[last]!).trimEnd());
  await pour(t, sink, 2, widths);
  await sink.flush();
  return true;
}

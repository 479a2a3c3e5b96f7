// sockscope explain --input FILE|- : another machine's netstat/ss/lsof output,
// parsed by the text collectors and shown as sockscope's table with one
// explanation under each row.
import { CAPS, NOT_REGULAR, readPastedInput } from '../../collectors/bounded-read.js';
import { nonTextRatio } from '../../collectors/text/decode.js';
import { MAX_PASTED_LINES, PasteError, TOO_MANY_LINES, parsePasted, type PastePlatform } from '../../collectors/text/index.js';
import { catalog, msg, translator, type MessageKey } from '../../explain/i18n.js';
import type { HostFacts } from '../../explain/ports.js';
import { explainSocket, rowContext } from '../../explain/row.js';
import { displayWidth, paint, wrap } from '../../views/sink.js';
import { COLUMNS, commandText, localCell, remoteCell, type Column } from '../../views/columns.js';
import type { PastedRow } from '../../collectors/text/common.js';
import { renderTable, toJson } from '../../views/table.js';
import { jsonText, safeText } from '../../views/safe-text.js';
import { UsageError } from '../args.js';
import { renderOptions, type Io } from '../common.js';
import type { Parsed } from '../args.js';

// The ephemeral range the other machine most likely uses: Windows (since
// Vista) and macOS use IANA's 49152–65535; Linux defaults to 32768–60999.
const PLATFORM_HOST: Record<PastePlatform, HostFacts> = {
  windows: { ephemeral: [49152, 65535] },
  macos: { ephemeral: [49152, 65535] },
  linux: { ephemeral: [32768, 60999] },
};

// The parsers' messages, said in the user's language.
const PASTE_ERRORS: Record<string, MessageKey> = {
  'the input is empty: paste the output of netstat, ss or lsof': 'err.paste-empty',
  'the input looks binary, not the text output of netstat, ss or lsof': 'err.paste-binary',
  'no line could be read as output of netstat (Windows, Linux, macOS), ss or lsof': 'err.paste-unknown',
  [TOO_MANY_LINES]: 'scan.input-too-many-lines',
};

/** The input's bytes, bounded (collectors/bounded-read.ts): a device or a file past the cap is refused. */
async function readInput(file: string): Promise<Buffer> {
  const name = file === '-' ? { key: 'err.stdin' as const } : file;
  let r;
  try {
    r = await readPastedInput(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === NOT_REGULAR || err.code === 'EISDIR' || err.code === 'ELOOP' ? { key: `scan.reason.${err.code}` as MessageKey } : err.code ?? err.message;
    throw new UsageError('err.cannot-read', { file: name, reason });
  }
  if (r.truncated) {
    // Say "binary" for a program or an image, whatever its size; "too large" for text.
    const { ratio, nul } = nonTextRatio(r.bytes.subarray(0, 64 * 1024).toString('latin1'));
    if (nul || ratio > 0.1) throw new UsageError('err.paste-binary');
    throw new UsageError('scan.input-too-large', { file: name, cap: CAPS.pasted / (1024 * 1024) });
  }
  return r.bytes;
}

/** Why a pasted line could not be read, in words (the parsers' codes are in collectors/text/common.ts). */
function pasteReason(code: string | undefined): MessageKey {
  const key = `paste.reason.${code ?? 'unrecognized'}`;
  return (key in catalog('en') ? key : 'paste.reason.unrecognized') as MessageKey;
}

/**
 * An endpoint cell with what the paste said beyond the address: the interface
 * or scope id ("[fe80::1%eth0]:546", "127.0.0.53%lo:53"), without which two
 * link-local sockets would look the same, and "…" after a port the tool may
 * have cut short. The zone is the other machine's text: escaped.
 */
export function markEndpoint(cell: string, zone: string | undefined, portCut: boolean | undefined): string {
  let out = cell;
  if (zone !== undefined && zone !== '') {
    const z = '%' + safeText(zone);
    const close = out.startsWith('[') ? out.indexOf(']') : -1;
    const at = close >= 0 ? close : out.lastIndexOf(':');
    if (at > 0) out = out.slice(0, at) + z + out.slice(at);
  }
  return portCut ? out + '…' : out;
}

/** The table's columns for pasted rows: the endpoints carry their zone and cut marks. */
function pastedColumns(rows: readonly PastedRow[]): Column[] {
  const about = new Map(rows.map((r) => [r.socket, r]));
  return COLUMNS.map((c): Column => {
    // A port that may be cut is only its first digits: shown as digits, never named.
    if (c.id === 'local') {
      return { ...c, text: (s, o) => { const r = about.get(s); return markEndpoint(localCell(s, r?.localPortCut ? { ...o, numeric: true } : o), r?.localZone, r?.localPortCut); } };
    }
    if (c.id === 'remote') {
      return { ...c, text: (s, o) => { const r = about.get(s); return markEndpoint(remoteCell(s, r?.remotePortCut ? { ...o, numeric: true } : o), r?.remoteZone, r?.remotePortCut); } };
    }
    return c;
  });
}

export async function explainPasted(io: Io, file: string, p: Parsed): Promise<number> {
  const L = io.global.lang;
  const t = translator(L);
  let result;
  try {
    result = parsePasted(await readInput(file));
  } catch (e) {
    if (e instanceof PasteError) throw new UsageError(PASTE_ERRORS[e.message] ?? 'err.paste-unknown', { max: MAX_PASTED_LINES });
    throw e;
  }
  if (result.rows.length === 0) {
    // A header alone, or rows that all failed to parse: nothing to explain, and
    // an empty table with exit 0 would read as "no sockets on that machine".
    const first = result.unreadable[0];
    if (first) throw new UsageError('err.paste-no-readable-rows', { n: result.unreadable.length, line: first.line, reason: { key: pasteReason(first.reason) }, text: first.text.trim().slice(0, 200) });
    throw new UsageError('err.paste-no-rows', { format: { key: `paste.format.${result.format}` } });
  }
  const out = io.stdout;
  if (p.flags.has('json')) {
    // For scripts: every row as a v1 socket (docs/json.md) with what the paste said about it.
    await out.line(jsonText({
      format: result.format,
      platform: result.platform,
      notes: result.notes,
      rows: result.rows.map(({ socket, ...about }) => ({ ...about, socket: toJson(socket) })),
      unreadable: result.unreadable,
    }));
    await out.flush();
    return 0;
  }
  const ropts = renderOptions(io, p);
  await out.line(paint(ropts.color, 'bold', msg(L, 'paste.read-as', {
    format: msg(L, `paste.format.${result.format}`), platform: msg(L, `paste.platform.${result.platform}`), rows: result.rows.length,
  })));
  for (const note of result.notes) {
    // Notes with a sentence in the catalogs are said; the others are technical detail.
    const key = `paste.note.${note}` as MessageKey;
    if (key in catalog('en')) for (const l of wrap(msg(L, key), ropts.width, '  ')) await out.line(paint(ropts.color, 'yellow', l));
  }
  await out.line('');
  const sockets = result.rows.map((r) => r.socket);
  // macOS netstat counts buffered bytes (sb_cc): the peer's FIN is not in its Recv-Q.
  const ctx = rowContext(sockets, PLATFORM_HOST[result.platform], !result.notes.includes('no-queues'), result.platform !== 'macos');
  await renderTable(sockets, out, ropts, pastedColumns(result.rows), (s) => explainSocket(s, ctx, t));
  if (result.unreadable.length) {
    await out.line('');
    // The pasted line is someone else's text: escaped, and cut to the terminal unless --wide.
    const width = ropts.wide ? undefined : ropts.width;
    for (const u of result.unreadable) {
      const reason = msg(L, pasteReason(u.reason));
      const text = u.text.trim();
      const head = msg(L, 'paste.unreadable', { line: u.line, reason, text: '' });
      if (width === undefined || displayWidth(head) + displayWidth(commandText(text, undefined)) <= width) {
        await out.line(head + commandText(text, undefined));
      } else {
        // Too long for one line: the reason on its own line, then as much of the pasted line as fits.
        await out.line(head.trimEnd());
        await out.line('    ' + commandText(text, Math.max(width - 4, 16)));
      }
    }
  }
  await out.flush();
  return 0;
}

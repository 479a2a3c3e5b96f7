// Doctor's report on a terminal (a table of findings, each with its
// evidence, why and what to do underneath) and as JSON. Text from other
// processes reaches here already escaped by findingText() (the views'
// helpers, hence safeText()); JSON keeps it exact through jsonText().
import { msg, type Lang } from '../explain/i18n.js';
import { toJson } from '../views/table.js';
import { jsonText } from '../views/safe-text.js';
import { displayWidth, padDisplay, paint, wrap, type Paint, type Sink } from '../views/sink.js';
import { flowLastCell } from '../views/table.js';
import { findingText, skippedText } from './text.js';
import type { DoctorReport, Severity } from './types.js';

export interface DoctorRenderOptions {
  lang: Lang;
  color: boolean;
  /** Terminal width; undefined on a pipe (nothing wrapped). */
  width?: number;
}

/** Findings of one kind and severity shown in the table; the rest are counted (JSON has them all). */
export const MAX_PER_KIND = 20;

const STYLE: Record<Severity, Paint> = { critical: 'red', warning: 'yellow', info: 'dim' };

/** The summary line: how many findings of each severity, and what the looks spanned. */
export function summaryLine(report: DoctorReport, L: Lang): string {
  const seconds = Math.round(report.spanMs / 100) / 10;
  if (!report.findings.length) return msg(L, 'doctor.summary.none', { looks: report.samples, seconds });
  const by = (s: Severity): number => report.findings.filter((f) => f.severity === s).length;
  return msg(L, 'doctor.summary', { n: report.findings.length, critical: by('critical'), warning: by('warning'), info: by('info'), looks: report.samples, seconds });
}

/** The findings as a table: severity, kind, where, process; under each row its evidence, why and what to do. */
export async function renderDoctorTable(report: DoctorReport, sink: Sink, o: DoctorRenderOptions): Promise<void> {
  const L = o.lang;
  await sink.line(paint(o.color, 'bold', summaryLine(report, L)));
  if (!report.findings.length) {
    await sink.flush();
    return;
  }
  // A machine with thousands of leaking peers stays readable: the first few of each kind and severity, then a count.
  const seen = new Map<string, number>();
  const omitted = new Map<string, { kind: string; severity: Severity; n: number }>();
  const shown = report.findings.filter((f) => {
    const key = `${f.kind}|${f.severity}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= MAX_PER_KIND) return true;
    const o = omitted.get(key) ?? { kind: f.kind, severity: f.severity, n: 0 };
    o.n++;
    omitted.set(key, o);
    return false;
  });
  const texts = shown.map((f) => findingText(f, L, report.host));
  const headers = [msg(L, 'doctor.col.severity'), msg(L, 'doctor.col.finding'), msg(L, 'doctor.col.where'), msg(L, 'doctor.col.process')];
  const rows = texts.map((t) => [t.severity, t.kind, t.where]);
  const widths = [0, 1, 2].map((i) => Math.max(displayWidth(headers[i]!), ...rows.map((r) => displayWidth(r[i]!))));
  const gap = '  ';
  const leadWidth = widths.reduce((a, w) => a + w + gap.length, 0);
  const line = (cells: string[], paintFirst?: Paint): string =>
    cells.map((c, i) => (i === 0 && paintFirst ? paint(o.color, paintFirst, padDisplay(c, widths[i]!)) : padDisplay(c, widths[i]!))).join(gap) + gap;
  // Too narrow for the process beside the rest: it goes on lines of its own under the row.
  const room = o.width === undefined || o.width - leadWidth >= 12;
  await sink.line('');
  await sink.line(paint(o.color, 'bold', (line(headers.slice(0, 3)) + (room ? headers[3] : '')).trimEnd()));
  const indent = '    ';
  for (let k = 0; k < texts.length; k++) {
    const t = texts[k]!;
    const f = shown[k]!;
    const lead = line(rows[k]!, STYLE[f.severity]);
    if (o.width === undefined) {
      await sink.line((lead + t.processes.join(', ')).trimEnd());
    } else if (room) {
      for (const l of flowLastCell(lead, t.processes, leadWidth, o.width)) await sink.line(l);
    } else {
      await sink.line(lead.trimEnd());
      for (const l of wrap(t.processes.join(', '), o.width, indent)) await sink.line(indent + l.trimStart());
    }
    // "Why: …" with its next lines hanging under the text, not under the label.
    const detail = (label: string, text: string): string[] => {
      const hang = indent + ' '.repeat(displayWidth(label));
      const lines = wrap(text, o.width, hang);
      lines[0] = indent + label + lines[0]!.slice(hang.length);
      return lines;
    };
    for (const l of detail(msg(L, 'doctor.label.evidence'), t.evidence.join('; '))) await sink.line(l);
    for (const l of detail(msg(L, 'doctor.label.why'), t.why)) await sink.line(paint(o.color, 'dim', l));
    for (const l of detail(msg(L, 'doctor.label.todo'), t.todo)) await sink.line(l);
  }
  for (const x of omitted.values()) {
    for (const l of wrap(msg(L, 'doctor.more-findings', { n: x.n, kind: x.kind, severity: msg(L, `doctor.severity.${x.severity}`) }), o.width)) await sink.line(l);
  }
  await sink.flush();
}

/** The skipped checks in words (the CLI says them as notes on stderr). */
export function skippedNotes(report: DoctorReport, L: Lang): string[] {
  return report.skipped.map((s) => skippedText(s, L));
}

/**
 * The report as one JSON document (docs/doctor.md): every finding with its
 * evidence, the sockets it quotes (docs/json.md v1) and its sentences in the
 * language asked for, and every skipped check with its reason.
 */
export function doctorJson(report: DoctorReport, L: Lang): string {
  const worst = report.findings.some((f) => f.severity !== 'info');
  return jsonText({
    version: 1,
    healthy: !worst,
    samples: report.samples,
    spanMs: report.spanMs,
    host: report.host,
    thresholds: report.thresholds,
    findings: report.findings.map((f) => {
      const t = findingText(f, L, report.host);
      return {
        kind: f.kind, severity: f.severity, subject: f.subject, evidence: f.evidence, socketCount: f.socketCount,
        sockets: f.sockets.map(toJson), text: { evidence: t.evidence.join('; '), why: t.why, todo: t.todo },
      };
    }),
    skipped: report.skipped.map((s) => ({ check: s.check, reason: s.reason.replace(/^doctor\.skip\./, ''), ...(s.params ? { params: s.params } : {}), text: skippedText(s, L) })),
  }) + '\n';
}

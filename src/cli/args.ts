// A small argv parser: flags in the style of ss and netstat (-tan bundles,
// --opt value, --opt=value), and a clear one-line error for anything it does
// not know. Nothing typed is silently ignored.
import { renderRef, type Lang, type MessageKey, type MsgParam, type MsgRef } from '../explain/i18n.js';

/**
 * A mistake on the command line: one line on stderr and exit 2. It carries a
 * catalog key, so the CLI says it in the user's language; its `message` is English.
 */
export class UsageError extends Error {
  readonly ref: MsgRef;
  constructor(key: MessageKey, params: Readonly<Record<string, MsgParam>> = {}) {
    super(renderRef('en', { key, params }));
    this.name = 'UsageError';
    this.ref = { key, params };
  }

  render(lang: Lang): string {
    return renderRef(lang, this.ref);
  }
}

/** " (did you mean X?)" when there is a guess, else nothing. */
export function didYouMean(guess: string | undefined, quoted = false): MsgParam {
  return guess === undefined ? '' : { key: quoted ? 'err.did-you-mean-quoted' : 'err.did-you-mean', params: { guess } };
}

export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  /** One-letter alias. */
  short?: string;
  /** Takes a value (otherwise a boolean flag). */
  value?: boolean;
  /** May be given several times; values are collected. */
  repeat?: boolean;
}

export interface Parsed {
  flags: Set<string>;
  values: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): Parsed {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: Parsed = { flags: new Set(), values: new Map(), positionals: [] };
  const set = (spec: OptionSpec, v: string | undefined): void => {
    if (!spec.value) {
      out.flags.add(spec.name);
      return;
    }
    const prev = out.values.get(spec.name);
    if (prev && !spec.repeat) throw new UsageError('err.option-twice', { name: spec.name });
    out.values.set(spec.name, [...(prev ?? []), v!]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError('err.unknown-long', { name });
      if (spec.value) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || v === '') throw new UsageError('err.needs-value-long', { name });
        set(spec, v);
      } else {
        if (eq >= 0) throw new UsageError('err.no-value', { name });
        set(spec, undefined);
      }
      continue;
    }
    // "-1" and the like are values (negative numbers) for the command to judge,
    // unless a digit is a flag here (-4, -6).
    if (a.startsWith('-') && a.length > 1 && (!/^-\d/.test(a) || byShort.has(a[1]!))) {
      for (let k = 1; k < a.length; k++) {
        const ch = a[k]!;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError('err.unknown-short', { name: ch, within: a.length > 2 ? { key: 'err.unknown-short-within', params: { arg: a } } : '' });
        if (spec.value) {
          const v = k + 1 < a.length ? a.slice(k + 1) : argv[++i];
          if (v === undefined || v === '') throw new UsageError('err.needs-value-short', { name: ch });
          set(spec, v);
          break;
        }
        set(spec, undefined);
      }
      continue;
    }
    out.positionals.push(a);
  }
  return out;
}

/** A port number 0..65535 written in decimal; anything else is a usage error. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError('err.invalid-port', { what: { key: 'err.what-port' }, text });
  }
  return Number(text);
}

/**
 * A duration option in seconds (`--interval 0.5`): a plain decimal within
 * [min, max]; the fallback when the option is absent; anything else a usage error.
 */
export function secondsOption<F extends number | undefined>(p: Parsed, name: string, fallback: F, min: number, max: number): number | F {
  const v = p.values.get(name)?.[0];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n < min || n > max) throw new UsageError('err.invalid-seconds', { name, text: v, min, max });
  return n;
}

/** A process id: a positive decimal integer within the kernel's limit (2^22). */
export function parsePid(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > 4194304) {
    throw new UsageError('err.invalid-pid', { text });
  }
  return Number(text);
}

export { nearest } from '../model/nearest.js';

// A small argv parser: flags in the style of ss and netstat (-tan bundles,
// --opt value, --opt=value), and a clear one-line error for anything it does
// not know. Nothing typed is silently ignored.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
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
    if (prev && !spec.repeat) throw new UsageError(`option --${spec.name} given twice`);
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
      if (!spec) throw new UsageError(`unknown option --${name}`);
      if (spec.value) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || v === '') throw new UsageError(`option --${name} needs a value`);
        set(spec, v);
      } else {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
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
        if (!spec) throw new UsageError(`unknown option -${ch}${a.length > 2 ? ` (in ${a})` : ''}`);
        if (spec.value) {
          const v = k + 1 < a.length ? a.slice(k + 1) : argv[++i];
          if (v === undefined || v === '') throw new UsageError(`option -${ch} needs a value`);
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
export function parsePort(text: string, what = 'port'): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`invalid ${what} '${text}': expected a number from 0 to 65535`);
  }
  return Number(text);
}

/** A process id: a positive decimal integer within the kernel's limit (2^22). */
export function parsePid(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > 4194304) {
    throw new UsageError(`invalid pid '${text}': expected a positive whole number`);
  }
  return Number(text);
}

export { nearest } from '../model/nearest.js';

// The kernel settings the experiments show, read from /proc/sys
// (Documentation/networking/ip-sysctl.rst). Pure parsers plus one reader.
import { CAPS, readBounded } from '../collectors/bounded-read.js';
import { join } from 'node:path';

/** "32768\t60999" → { low, high }; undefined when malformed. */
export function parsePortRange(text: string): { low: number; high: number } | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  return { low: Number(m[1]), high: Number(m[2]) };
}

/** "1000,2000-2010" → how many of those ports lie in [low, high]. */
export function countReserved(text: string, low: number, high: number): number {
  let n = 0;
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Math.max(Number(m[1]), low);
    const b = Math.min(Number(m[2] ?? m[1]), high);
    if (b >= a) n += b - a + 1;
  }
  return n;
}

/** One setting's text, trimmed; undefined when unreadable. */
export function readSysctl(name: string, procRoot = '/proc'): string | undefined {
  try {
    return readBounded(join(procRoot, 'sys', ...name.split('.')), CAPS.sysValue).bytes.toString('latin1').trim();
  } catch {
    return undefined;
  }
}

// Pathological 1 MB lines for the text parsers, and a timer over every parser; run
// by test/text/pathological.test.ts in a child process (killed if a regex goes quadratic).
import { parseLinuxNetstat, parseLsof, parseMacosNetstat, parsePasted, parseSs, parseWindowsNetstat } from '../../src/collectors/text/index.js';

const N = 1_000_000;

/** 1 MB lines shaped to make a backtracking regex retry: blanks, repeated prefixes, unclosed groups. */
export function shapes(): Record<string, string> {
  return {
    'tcp + blanks + x': 'tcp' + ' '.repeat(N) + 'x',
    'blanks + x': ' '.repeat(N) + 'x',
    'tabs + x': 'tcp' + '\t'.repeat(N) + 'x',
    'NUL and blanks': 'tcp' + '\0 '.repeat(N / 2) + 'x',
    'colons': 'tcp 0 0 ' + ':'.repeat(N),
    'repeated users:((': 'tcp LISTEN 0 0 1.2.3.4:1 *:* ' + 'users:(("'.repeat(N / 10),
    'quotes in users': 'tcp LISTEN 0 0 1.2.3.4:1 *:* users:(("' + '"'.repeat(N),
    'repeated ",pid=': 'tcp LISTEN 0 0 1.2.3.4:1 *:* users:(("' + '",pid='.repeat(N / 6),
    'repeated ino:': 'tcp LISTEN 0 0 1.2.3.4:1 *:* ' + ' ino:'.repeat(N / 5),
    'lsof, IPv4 last': 'a 1 ' + 'x '.repeat(N / 2) + 'IPv4',
    'lsof, TCP repeated': 'a 1 u 3u IPv4 1 0t0 ' + 'TCP '.repeat(N / 4),
    'windows, open brackets': 'TCP ' + '['.repeat(N),
    'windows, -b lines': 'TCP 0.0.0.0:1 0.0.0.0:0 LISTENING 4\n ' + 'a '.repeat(N / 2),
    'macOS, dots': 'tcp4 0 0 ' + '.'.repeat(N),
    'macOS, process:pid': 'Proto Recv-Q Send-Q Local Address Foreign Address (state) process:pid\ntcp4 0 0 1.1.1.1.1 *.* LISTEN ' + 'x '.repeat(N / 2) + 'a:1',
    'prompt + blanks': 'netstat' + ' '.repeat(N) + 'x',
    'prompt + options': '$ netstat' + ' -a'.repeat(N / 3) + 'x',
    'netstat timer': 'tcp 0 0 1.1.1.1:1 1.1.1.1:2 ESTABLISHED ' + ' '.repeat(N) + 'on (1/1/1)x',
    'ss timer': 'tcp ESTAB 0 0 1.1.1.1:1 1.1.1.1:2 timer:(on,' + '1'.repeat(N),
    'IPv6 colons': 'tcp 0 0 ' + '1:'.repeat(N / 2) + '1 :::* LISTEN',
    'header + blanks': 'State Recv-Q Send-Q Local' + ' '.repeat(N) + 'x',
    'digits': 'tcp ' + '1 '.repeat(N / 2) + 'x',
    'windows, long name and a bad port': 'TCP ' + 'a'.repeat(N) + ':99999 x',
    'windows, -b line of digits': 'TCP 0.0.0.0:1 0.0.0.0:0 LISTENING 4\n' + '1'.repeat(N) + ' x',
  };
}


/** Time every parser on every shape (run in the child). */
export function timeAll(): [string, number][] {
  const parsers: Record<string, (t: string) => unknown> = { parsePasted, parseSs, parseLinuxNetstat, parseLsof, parseMacosNetstat, parseWindowsNetstat };
  const out: [string, number][] = [];
  for (const [name, line] of Object.entries(shapes())) {
    for (const [pn, parse] of Object.entries(parsers)) {
      const t0 = performance.now();
      try { parse(line); } catch (e) { if ((e as Error).name !== 'PasteError') throw e; }
      out.push([`${pn}: ${name}`, Math.round(performance.now() - t0)]);
    }
  }
  return out;
}


// Which namespaces a `--netns` list names. Tokens: 'all', 'host', 'self' (ours), a name (from
// ip netns or a runtime's bind mount), an inode number, 'pid:N' (the namespace
// process N is in). Pure over a discovery, so recorded trees test it.
import type { FoundNetns, NetnsDiscovery } from './discover.js';

export interface NetnsSelection {
  /** The namespaces named, host first (as discovered). */
  chosen: FoundNetns[];
  /** Tokens that name no namespace found (a typo, a pid that is gone or unreadable). */
  unknown: string[];
}

/** True for a token of the --netns grammar (not whether it names anything). */
export function isNetnsToken(t: string): boolean {
  return t.length > 0 && t.length <= 256 && !/[\0/]/.test(t.replace(/^pid:/, '')) && (!t.startsWith('pid:') || /^pid:\d{1,7}$/.test(t));
}

export function selectNetns(d: NetnsDiscovery, tokens: readonly string[] | undefined): NetnsSelection {
  if (!tokens || tokens.length === 0 || tokens.includes('all')) return { chosen: d.namespaces, unknown: [] };
  const picked = new Set<number>();
  const unknown: string[] = [];
  for (const t of tokens) {
    let hit: FoundNetns[];
    if (t === 'host') hit = d.namespaces.filter((n) => n.host);
    // The namespace sockscope itself runs in (what doctor and the exporter read: their counters are its).
    else if (t === 'self') hit = d.namespaces.filter((n) => n.inode === d.own);
    else if (/^\d{1,10}$/.test(t)) hit = d.namespaces.filter((n) => n.inode === Number(t));
    else if (/^pid:\d{1,7}$/.test(t)) {
      const ino = d.byPid.get(Number(t.slice(4)));
      hit = d.namespaces.filter((n) => n.inode === ino);
    } else hit = d.namespaces.filter((n) => n.name === t);
    if (hit.length === 0) unknown.push(t);
    for (const n of hit) picked.add(n.inode);
  }
  return { chosen: d.namespaces.filter((n) => picked.has(n.inode)), unknown };
}

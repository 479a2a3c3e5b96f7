// Sentences about containers: who a container is (name, runtime and short id,
// pod), and what a host listener held for a container does (docker-proxy,
// rootlessport copy connections; conmon only reserves the port). Names are the
// runtimes' text: escaped here with the one escaper (safe-text.ts imports
// nothing, so explain stays below views).
import type { ContainerRef, PublishedPort, Socket } from '../model/socket.js';
import { formatEndpoint } from '../model/socket.js';
import { safeText } from '../views/safe-text.js';
import type { Translate } from './i18n.js';

/** Ids as the runtimes print them: the first 12 characters. */
export const shortId = (id: string): string => safeText(id.slice(0, 12));

/** "container web-1 (podman b635b2348375)", "container nginx of pod shop/web-7d9f8", or what is known without a name. */
export function containerPhrase(c: ContainerRef, t: Translate): string {
  if (c.pod?.name !== undefined && c.name !== undefined) {
    return t('containers.pod', { name: safeText(c.name), pod: safeText(c.pod.name), namespace: safeText(c.pod.namespace ?? '?') });
  }
  if (c.name !== undefined) return t('containers.name-id', { name: safeText(c.name), runtime: c.runtime, id: shortId(c.id) });
  if (c.pod) return t('containers.pod-unnamed', { uid: safeText(c.pod.uid), runtime: c.runtime, id: shortId(c.id) });
  return t('containers.unnamed', { runtime: c.runtime, id: shortId(c.id) });
}

/** Where a published port leads, in words. */
function targetPhrase(p: PublishedPort, t: Translate): string {
  if (p.containerAddress !== undefined && p.containerPort !== undefined) {
    return t('containers.row.target-address', { endpoint: formatEndpoint(safeText(p.containerAddress), p.containerPort) });
  }
  if (p.containerPort !== undefined) return t('containers.row.target', { port: p.containerPort });
  return t('containers.row.target-unknown');
}

/** The sentence for a host listener held for a container. */
export function publishedSentence(p: PublishedPort, t: Translate): string {
  const container = p.container ? containerPhrase(p.container, t) : t('containers.row.unknown');
  return t(`containers.row.${p.via}`, { container, target: targetPhrase(p, t) });
}

/** The row sentences a socket gets from its containers: what it publishes, or which container runs it. */
export function containerSentences(s: Socket, t: Translate): string[] {
  if (s.published) return [publishedSentence(s.published, t)];
  const out: string[] = [];
  for (const h of s.holders) {
    if (!h.container) continue;
    const line = t('containers.row.in', { container: containerPhrase(h.container, t) });
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

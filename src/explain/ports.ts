// What a port number means: its IANA class and services, whether this host
// hands it out as an ephemeral port, whether binding it needs privilege, and
// whether it has a history of abuse. Pure: host facts and the service table
// come in as arguments.
import type { Protocol } from '../model/socket.js';
import type { MessageKey, Translate } from './i18n.js';

/** Facts read from the running host (collectors/procfs/host.ts); any may be unknown. */
export interface HostFacts {
  /** net.ipv4.ip_local_port_range */
  ephemeral?: [number, number];
  /** net.ipv4.ip_unprivileged_port_start */
  unprivilegedStart?: number;
  /** net.core.somaxconn */
  somaxconn?: number;
  /** net.ipv6.bindv6only */
  bindv6only?: number;
}

export type PortClass = 'well-known' | 'registered' | 'dynamic';

/** IANA's three ranges (RFC 6335 §6). */
export function portClass(port: number): PortClass {
  return port <= 1023 ? 'well-known' : port <= 49151 ? 'registered' : 'dynamic';
}

export interface Service {
  protocol: Protocol;
  name: string;
  description: string;
}

/** Lookup of IANA services by port and protocol (see explain/iana.ts). */
export type ServiceLookup = (port: number, protocol: Protocol) => Service | undefined;

export interface Risk {
  key: MessageKey;
  params: Record<string, string | number>;
}

// Ports with a history of abuse, and why (facts from public advisories and
// trojan port lists; the wording is ours).
const BACKDOORS: Record<number, string> = {
  1243: 'SubSeven', 1999: 'BackDoor', 4444: 'Metasploit reverse shells, Blaster worm', 6711: 'SubSeven',
  6776: 'SubSeven', 7000: 'Remote Grab', 12345: 'NetBus', 12346: 'NetBus', 16959: 'SubSeven', 20034: 'NetBus 2 Pro',
  27374: 'SubSeven', 27665: 'Trinoo', 31335: 'Trinoo', 31337: 'Back Orifice', 31338: 'Back Orifice', 54320: 'Back Orifice 2000',
  54321: 'Back Orifice 2000', 65000: 'Devil, Stacheldraht',
};

export function portRisk(port: number, protocol?: Protocol): Risk | undefined {
  if (protocol !== 'udp') {
    if (port === 23 || port === 2323) return { key: 'risk.cleartext-login', params: { service: 'Telnet' } };
    if (port === 21) return { key: 'risk.cleartext-login', params: { service: 'FTP' } };
    if (port === 512 || port === 513 || port === 514) return { key: 'risk.r-services', params: {} };
    if (port === 3389) return { key: 'risk.remote-desktop', params: { service: 'RDP' } };
    if (port >= 5900 && port <= 5903) return { key: 'risk.remote-desktop', params: { service: 'VNC' } };
    if (port === 5555) return { key: 'risk.adb', params: {} };
    if (port === 1080 || port === 3128) return { key: 'risk.proxy', params: { port } };
    if (port === 6667 || port === 6666 || port === 6697) return { key: 'risk.irc', params: {} };
    const db: Record<number, string> = { 1433: 'SQL Server', 3306: 'MySQL', 5432: 'PostgreSQL', 6379: 'Redis', 9200: 'Elasticsearch', 11211: 'memcached', 27017: 'MongoDB' };
    if (db[port]) return { key: 'risk.database', params: { service: db[port]! } };
  }
  if (port === 135 || port === 137 || port === 138 || port === 139 || port === 445) return { key: 'risk.smb', params: {} };
  if (protocol === 'udp' && port === 11211) return { key: 'risk.database', params: { service: 'memcached' } };
  const names = BACKDOORS[port];
  if (names) return { key: 'risk.backdoor', params: { port, names } };
  return undefined;
}

/** Sentences about a port number alone (no live data): class, services, ephemeral, privilege, risk. */
export function explainPortNumber(port: number, host: HostFacts, lookup: ServiceLookup | undefined, t: Translate,
  protocol?: Protocol): string[] {
  if (port === 0) return [t('explain.port.zero')];
  const out = [t(`explain.port.class.${portClass(port)}`, { port })];
  if (lookup) {
    const protos: Protocol[] = protocol ? [protocol] : ['tcp', 'udp'];
    const found = protos.map((p) => lookup(port, p)).filter((s): s is Service => s !== undefined);
    // One entry per distinct name, with the protocols that carry it.
    const byName = new Map<string, { desc: string; protos: string[] }>();
    for (const s of found) {
      const e = byName.get(s.name);
      if (e) e.protos.push(s.protocol);
      else byName.set(s.name, { desc: s.description, protos: [s.protocol] });
    }
    if (byName.size) {
      const list = [...byName].map(([name, e]) => `${name} (${e.desc}${e.desc ? ', ' : ''}${e.protos.join('/')})`).join('; ');
      out.push(t('explain.port.services', { list }));
    } else {
      out.push(t('explain.port.no-service'));
    }
  }
  if (host.ephemeral) {
    const [from, to] = host.ephemeral;
    out.push(t(port >= from && port <= to ? 'explain.port.ephemeral.yes' : 'explain.port.ephemeral.no', { from, to }));
  }
  if (host.unprivilegedStart !== undefined) {
    out.push(t(port < host.unprivilegedStart ? 'explain.port.privileged.yes' : 'explain.port.privileged.no', { start: host.unprivilegedStart }));
  }
  const risk = portRisk(port, protocol);
  if (risk) out.push(t(risk.key, risk.params));
  return out;
}

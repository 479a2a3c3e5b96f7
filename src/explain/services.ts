// Service names for the ports people meet most, after IANA's registry
// (https://www.iana.org/assignments/service-names-port-numbers). Pure data:
// used to print `127.0.0.1:http` instead of `127.0.0.1:80` without -n.
import type { Protocol } from '../model/socket.js';

// port -> name, for TCP and UDP alike unless listed in the protocol-only tables.
const BOTH: Record<number, string> = {
  7: 'echo', 9: 'discard', 13: 'daytime', 20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp',
  37: 'time', 43: 'whois', 49: 'tacacs', 53: 'domain', 67: 'bootps', 68: 'bootpc', 69: 'tftp', 70: 'gopher',
  79: 'finger', 80: 'http', 88: 'kerberos', 110: 'pop3', 111: 'sunrpc', 113: 'auth', 119: 'nntp', 123: 'ntp',
  135: 'epmap', 137: 'netbios-ns', 138: 'netbios-dgm', 139: 'netbios-ssn', 143: 'imap', 161: 'snmp',
  162: 'snmptrap', 179: 'bgp', 194: 'irc', 389: 'ldap', 443: 'https', 445: 'microsoft-ds', 464: 'kpasswd',
  465: 'submissions', 500: 'isakmp', 514: 'syslog', 515: 'printer', 520: 'router', 546: 'dhcpv6-client',
  547: 'dhcpv6-server', 554: 'rtsp', 587: 'submission', 631: 'ipp', 636: 'ldaps', 853: 'domain-s',
  873: 'rsync', 989: 'ftps-data', 990: 'ftps', 993: 'imaps', 995: 'pop3s', 1080: 'socks', 1194: 'openvpn',
  1433: 'ms-sql-s', 1521: 'ncube-lm', 1723: 'pptp', 1883: 'mqtt', 2049: 'nfs', 2181: 'eforward',
  3260: 'iscsi-target', 3306: 'mysql', 3389: 'ms-wbt-server', 3478: 'stun', 4369: 'epmd', 5060: 'sip',
  5061: 'sips', 5353: 'mdns', 5355: 'llmnr', 5432: 'postgresql', 5671: 'amqps', 5672: 'amqp',
  5900: 'rfb', 6379: 'redis', 6443: 'sun-sr-https', 6514: 'syslog-tls', 8080: 'http-alt', 8443: 'pcsync-https',
  9090: 'websm', 9100: 'jetdirect', 9418: 'git', 11211: 'memcache', 27017: 'mongodb',
};
const TCP_ONLY: Record<number, string> = { 512: 'exec', 513: 'login', 514: 'shell', 1099: 'rmiregistry' };
const UDP_ONLY: Record<number, string> = { 512: 'biff', 513: 'who', 514: 'syslog', 4789: 'vxlan', 51820: 'wireguard' };

/** The usual service name of a port, if it has a well-known one. */
export function serviceName(port: number, protocol: Protocol): string | undefined {
  return (protocol === 'tcp' ? TCP_ONLY[port] : UDP_ONLY[port]) ?? BOTH[port];
}

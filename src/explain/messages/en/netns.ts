// English messages about network namespaces (keys start with 'netns.'): the NETNS
// column, `port` answered per namespace, the --netns option, `explain netns`.
export const netns = {
  'netns.col': 'NETNS',
  'netns.host': 'host',
  'netns.named': 'network namespace {name} ({inode})',
  'netns.unnamed': 'network namespace {inode}',
  'netns.port.summary': '{label}: {parts}.',
  'netns.port.free-host': 'free in the host namespace',
  'netns.port.used-host': 'used in the host namespace by {who}',
  'netns.port.used-in': 'used in {ns} by {who}',
  'netns.port.section': 'In {ns}:',
  'netns.port.section-host': 'In the host namespace:',
  'netns.who': '{name} pid {pid}',
  'netns.who.more': '{list} and {n} more',
  'netns.who.none': 'no process we can see',
  'netns.err.token': "invalid --netns value '{text}': give host, all, self, a namespace name, an inode number or pid:N",
  'netns.err.unknown': "no network namespace '{token}' here (names come from ip netns and container runtimes; see sockscope list --json, field \"netns\")",
  'netns.note.unread': 'Note: {n} network namespace(s) could not be read, so their sockets are missing; first: {ns} ({reason}).',
  'netns.topic.title': 'Network namespaces',
  'netns.topic.what': 'A network namespace is a separate copy of the network stack inside one kernel: its own interfaces and addresses, routes, firewall rules and its own tables of sockets. Containers get one each; `ip netns add NAME` makes one by hand (kept alive by a file in /run/netns), and `ip netns exec NAME cmd` runs a program inside it. Every process is in exactly one, shown by the link /proc/PID/ns/net ("net:[4026532301]": the number is the namespace\'s inode, its identity).',
  'netns.topic.same-port': 'Ports belong to a namespace, not to the machine: a program in one namespace can listen on 0.0.0.0:80 while another program in another namespace listens on 0.0.0.0:80 too, and neither gets "address already in use". Each bound to its own namespace\'s addresses; a connection reaches one or the other by the interface it arrives on. That is why `ss` and `netstat` show only the namespace they run in, and why one port number can appear several times in sockscope, once per namespace.',
  'netns.topic.sockscope': 'sockscope reads every namespace it can find (the namespaces of all processes, and those kept by ip netns and container runtimes) and marks each socket with its namespace (column NETNS, JSON field "netns"). A socket is held through a file descriptor, and a descriptor can be passed to a process in another namespace, so holders are found across namespaces. --netns host|all|NAME|INODE|pid:N narrows what is read.',
} as const;

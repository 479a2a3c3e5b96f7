// English messages about containers, systemd units and published ports (keys
// start with 'containers.'): the CONTAINER column, row sentences, the overview's
// groups, `explain container-ports`.
export const containers = {
  'containers.col': 'CONTAINER',
  'containers.name': 'container {name}',
  'containers.name-id': 'container {name} ({runtime} {id})',
  'containers.unnamed': '{runtime} container {id} (its name is not in any record this tool can read)',
  'containers.pod': 'container {name} of pod {namespace}/{pod}',
  'containers.pod-unnamed': 'a container of pod {uid} ({runtime} {id}; names not in any record this tool can read)',
  'containers.row.in': 'runs in {container}',
  'containers.row.target': 'port {port} inside it',
  'containers.row.target-address': '{endpoint}',
  'containers.row.target-unknown': 'a port its records do not show',
  'containers.row.unknown': 'a container this tool cannot name',
  'containers.row.docker-proxy': 'docker-proxy holds this port for {container} and copies each connection to {target}',
  'containers.row.rootlessport': 'rootlessport holds this port for {container} (rootless podman) and copies each connection to {target}',
  'containers.row.conmon': 'conmon holds this port only to keep it reserved for {container}: NAT rules send the traffic to {target}, so this socket accepts nothing',
  'containers.overview.group.container': 'In {container}',
  'containers.overview.group.netns': 'In {netns}',
  'containers.overview.group.unit': 'Unit {unit}',
  'containers.overview.group.host': 'On the host, outside any container or unit',
  'containers.overview.forwards': '→ {target}',
  'containers.topic.title': 'Container ports on the host',
  'containers.topic.proxy': 'A container has its own network namespace, so a program listening on port 80 inside it is not listening on the host at all (sockscope shows that socket with the container\'s namespace and name). To make it reachable, a runtime publishes it (docker run -p 8080:80, podman run -p 8080:80). Docker starts a small process, docker-proxy, that listens on the host port and copies every connection to the container\'s address and port; its command line says both (-host-port 8080 -container-ip 172.17.0.2 -container-port 80). Rootless podman does the same with rootlessport. That is why the host port shows up held by docker-proxy or rootlessport, not by the program in the container: sockscope adds the container and the port it leads to.',
  'containers.topic.conmon': 'Rootful podman (with netavark or CNI) forwards published ports with NAT rules in the kernel (iptables or nftables DNAT): a packet to the host port has its destination rewritten to the container\'s address and goes straight in. No program needs to listen for that, but podman still opens the host port and hands it to conmon, the container\'s monitor, so that no other program can take the port while the container runs. The socket held by conmon is therefore real but idle: it never accepts a connection. sockscope names the container from conmon\'s command line and the container port from podman\'s records when they are readable (root).',
  'containers.topic.nat': 'Some setups publish ports with NAT rules alone: docker with "userland-proxy": false, Kubernetes hostPort and NodePort (kube-proxy or the CNI portmap plugin), or firewall rules written by hand. Then no process holds the host port, and no socket for it exists on the host: the rules rewrite packets before any socket is looked up. sockscope (like ss and netstat) shows such a port as free on the host; it is in use in the container\'s namespace, where the program listens. To see those rules: nft list ruleset, or iptables -t nat -S.',
  'containers.topic.names': 'Names come from what the machine keeps: /proc/PID/cgroup says which container (or systemd unit) a process runs in, by id; the runtimes\' own files give the name (docker\'s config.v2.json, podman\'s containers.json, containerd and cri-o annotations, kubelet\'s /var/log/pods). Most of those files are root\'s to read: without them a container is shown by its runtime and short id. Filter with --container NAME (name, pod name or id prefix) and --unit NAME.',
} as const;

// 简体中文：容器、systemd 单元和发布端口相关的消息（键与 en/containers.ts 相同）。
import type { containers as en } from '../en/containers.js';

export const containers: Readonly<Record<keyof typeof en, string>> = {
  'containers.col': '容器',
  'containers.name': '容器 {name}',
  'containers.name-id': '容器 {name}（{runtime} {id}）',
  'containers.unnamed': '{runtime} 容器 {id}（本工具能读到的记录里没有它的名字）',
  'containers.pod': 'pod {namespace}/{pod} 的容器 {name}',
  'containers.pod-unnamed': 'pod {uid} 的一个容器（{runtime} {id}；本工具能读到的记录里没有名字）',
  'containers.row.in': '运行在{container}里',
  'containers.row.target': '容器内的端口 {port}',
  'containers.row.target-address': '{endpoint}',
  'containers.row.target-unknown': '记录中没有写明的端口',
  'containers.row.unknown': '一个本工具无法确定名字的容器',
  'containers.row.docker-proxy': 'docker-proxy 替{container}占用这个端口，并把每个连接转发到{target}',
  'containers.row.rootlessport': 'rootlessport 替{container}（无 root 的 podman）占用这个端口，并把每个连接转发到{target}',
  'containers.row.conmon': 'conmon 占用这个端口只是为{container}预留它：流量由 NAT 规则送到{target}，所以这个 socket 不会接受任何连接',
  'containers.overview.group.container': '在{container}里',
  'containers.overview.group.netns': '在{netns}里',
  'containers.overview.group.unit': '单元 {unit}',
  'containers.overview.group.host': '在主机上，不属于任何容器或单元',
  'containers.overview.forwards': '→ {target}',
  'containers.topic.title': '容器端口在主机上的样子',
  'containers.topic.proxy': '容器有自己的网络命名空间，所以容器里监听 80 端口的程序根本没有在主机上监听（sockscope 会把那个 socket 连同容器的命名空间和名字一起列出）。要让外面访问到它，运行时需要“发布”端口（docker run -p 8080:80、podman run -p 8080:80）。Docker 会启动一个小进程 docker-proxy，在主机端口上监听，把每个连接转发到容器的地址和端口；它的命令行写明了这两者（-host-port 8080 -container-ip 172.17.0.2 -container-port 80）。无 root 的 podman 用 rootlessport 做同样的事。因此主机端口显示为由 docker-proxy 或 rootlessport 持有，而不是容器里的程序：sockscope 会补上对应的容器以及转发到的端口。',
  'containers.topic.conmon': '以 root 运行的 podman（使用 netavark 或 CNI）用内核里的 NAT 规则（iptables 或 nftables 的 DNAT）转发发布的端口：发往主机端口的数据包被改写目的地址，直接进入容器。这本不需要任何程序监听，但 podman 仍会打开这个主机端口并交给容器的监控进程 conmon，以免容器运行期间别的程序占用它。所以 conmon 持有的 socket 是真实存在的，却是闲置的：它从不接受连接。sockscope 从 conmon 的命令行得知容器，在 podman 的记录可读时（需要 root）再得知容器内的端口。',
  'containers.topic.nat': '有些环境只用 NAT 规则发布端口：关闭了 userland-proxy 的 docker、Kubernetes 的 hostPort 和 NodePort（kube-proxy 或 CNI 的 portmap 插件），或者手写的防火墙规则。这时没有进程持有主机端口，主机上也不存在对应的 socket：规则在查找 socket 之前就改写了数据包。sockscope（和 ss、netstat 一样）会显示该端口在主机上空闲；它其实在容器的命名空间里被使用，程序在那里监听。查看这些规则：nft list ruleset，或 iptables -t nat -S。',
  'containers.topic.names': '名字来自本机已有的信息：/proc/PID/cgroup 按 id 说明进程运行在哪个容器（或 systemd 单元）里；运行时自己的文件给出名字（docker 的 config.v2.json、podman 的 containers.json、containerd 和 cri-o 的注解、kubelet 的 /var/log/pods）。这些文件大多只有 root 能读：读不到时，容器以运行时名加短 id 显示。可用 --container 名称（容器名、pod 名或 id 前缀）和 --unit 名称 过滤。',
};

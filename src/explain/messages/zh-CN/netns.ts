// 简体中文：网络命名空间相关的消息（键与 en/netns.ts 相同）。
import type { netns as en } from '../en/netns.js';

export const netns: Readonly<Record<keyof typeof en, string>> = {
  'netns.col': '网络命名空间',
  'netns.host': '主机',
  'netns.named': '网络命名空间 {name}（{inode}）',
  'netns.unnamed': '网络命名空间 {inode}',
  'netns.port.summary': '{label}：{parts}。',
  'netns.port.free-host': '在主机命名空间中空闲',
  'netns.port.used-host': '在主机命名空间中被 {who} 使用',
  'netns.port.used-in': '在{ns}中被 {who} 使用',
  'netns.port.section': '{ns}中：',
  'netns.port.section-host': '主机命名空间中：',
  'netns.who': '{name}（pid {pid}）',
  'netns.who.more': '{list} 等，另有 {n} 个',
  'netns.who.none': '我们看不到的进程',
  'netns.err.token': "无效的 --netns 值“{text}”：请给出 host、all、self、命名空间名称、inode 编号或 pid:N",
  'netns.err.unknown': '这里没有网络命名空间“{token}”（名称来自 ip netns 和容器运行时；可查看 sockscope list --json 的 "netns" 字段）',
  'netns.note.unread': '注意：有 {n} 个网络命名空间无法读取，其中的 socket 未显示；第一个：{ns}（{reason}）。',
  'netns.topic.title': '网络命名空间',
  'netns.topic.what': '网络命名空间是同一个内核里一套独立的网络栈：有自己的网卡和地址、路由、防火墙规则，也有自己的 socket 表。每个容器通常各有一个；`ip netns add NAME` 可以手动创建一个（由 /run/netns 下的一个文件维持存在），`ip netns exec NAME cmd` 在其中运行程序。每个进程恰好属于一个网络命名空间，由链接 /proc/PID/ns/net 表示（"net:[4026532301]"：其中的数字是该命名空间的 inode，也就是它的身份）。',
  'netns.topic.same-port': '端口属于命名空间，而不属于整台机器：一个命名空间里的程序监听 0.0.0.0:80 时，另一个命名空间里的程序同样可以监听 0.0.0.0:80，两者都不会遇到 “address already in use”。它们各自绑定在自己命名空间的地址上，一个连接按它到达的网卡进入其中之一。因此 `ss` 和 `netstat` 只显示它们所在的命名空间；在 sockscope 里同一个端口号也可能出现多次，每个命名空间一次。',
  'netns.topic.sockscope': 'sockscope 会读取它能找到的每个命名空间（所有进程所在的命名空间，以及 ip netns 和容器运行时维持的命名空间），并为每个 socket 标出所属命名空间（NETNS 列，JSON 字段 "netns"）。socket 通过文件描述符被持有，而描述符可以传给另一个命名空间里的进程，所以持有者是跨命名空间查找的。--netns host|all|NAME|INODE|pid:N 可以缩小读取范围。',
};

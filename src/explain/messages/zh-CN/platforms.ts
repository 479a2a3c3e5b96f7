// macOS、Windows 和 BSD 上的 socket：各自的数据来源给出什么、不给出什么。
import type { platforms as en } from '../en/platforms.js';

export const platforms: Record<keyof typeof en, string> = {
  'platform.replay': '测试接口已开启：{platform} 工具的输出从 {dir} 回放（SOCKSCOPE_EXEC_REPLAY）；不读取本机的任何信息。',
  'platform.note.absent': '注意：{source} 不提供{fields}；行中缺少这些值即表示未知（此时 --json 中的 0 表示未知，而不是 root 或没有文件）。',
  'platform.field.fd': '文件描述符',
  'platform.field.uid': 'socket 的属主（uid）',
  'platform.field.inode': 'socket inode',
  'platform.field.queues': '队列（Recv-Q、Send-Q）',
  'platform.field.backlog': '监听 backlog',
  'platform.field.user': '用户名',
  'platform.field.command': '命令行',
  'platform.note.tool-failed': '注意：此来源需要的 {n} 个程序无法运行，它们提供的信息缺失：{tools}。',
  'platform.not-installed': '找不到该程序',
  'platform.linux-only': '{command} 直接读取 Linux 内核，暂不支持 {platform}；sockscope、list、port、pid、process 和 kill 可以使用。',
  'platform.note.unnamed': '有 {n} 个持有 socket 的进程在读取其名称之前已经退出（pid {pids}）：只显示 pid。',
  'note.backlog-unknown-windows': '注意：Windows 的 netstat 既不显示队列也不显示监听 backlog，所以 Recv-Q 和 Send-Q 显示为 0，LISTEN 行的 backlog 显示为“?”。',
  'note.backlog-unknown-macos': '注意：netstat -anv 不显示监听 backlog，所以 LISTEN 行的 backlog（Send-Q）显示为“?”。',
  'err.kill-signal-windows': 'Windows 没有 {signal}：kill 只能发送 TERM（taskkill，请求关闭）或 KILL（taskkill /F，强制结束进程）',
  'err.kill-windows-system': '拒绝结束 pid {pid}：在 Windows 上它是内核（“System”；HTTP.sys 和 SMB 在其中监听），不是一个程序。请改为停止端口背后的服务（HTTP.sys 的使用者可用 netsh http show servicestate 查看）',
};

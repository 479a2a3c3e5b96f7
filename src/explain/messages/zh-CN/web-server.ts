// 简体中文：'web-server' 部分的消息（键与 en/web-server.ts 相同）。
import type { webServer as en } from '../en/web-server.js';

export const webServer: Record<keyof typeof en, string> = {
  'webserver.err.args': "web 不接受参数，却收到了 '{arg}'（见 sockscope web --help）",
  'webserver.err.listen': "无效的 --listen '{text}'：应为 HOST:PORT，HOST 为 IPv4 地址、方括号中的 IPv6 地址或 localhost，PORT 为 0（任意空闲端口）到 65535（例如 127.0.0.1:8080、[::1]:0）",
  'webserver.err.source-lsof': '--source lsof 每次给出一整份结果；网页需要在每次查看时读取实时 socket 表：请使用 auto、netlink 或 proc',
  'webserver.serving': 'sockscope web：请在浏览器中打开 {url}（Ctrl-C 停止）',
  'webserver.also': 'sockscope web：同时监听 {addresses}',
  'webserver.public': 'sockscope web：警告：其他机器可以访问 {address}，而页面会显示每个进程的命令行；令牌仍然保护着它，但使用回环地址（默认）才能让它保持私密',
  'webserver.actions-on': 'sockscope web：已启用 --allow-actions：页面可以向进程发送信号、关闭连接（每次都需确认，并做与实时视图相同的检查）',
  'webserver.listen-failed': 'sockscope web：无法在 {address} 上监听：{reason}',
  'webserver.listen-busy': '端口已被占用',
  'webserver.listen-denied': '权限不足（1024 以下的端口需要 root 或 CAP_NET_BIND_SERVICE）',
  'webserver.listen-unavailable': '本机没有这个地址',
  'webserver.open-failed': 'sockscope web：无法启动浏览器（{command}：{reason}）；请自行打开上面的地址',
  'webserver.look-failed': 'sockscope web：读取 socket 表失败：{reason}',
  'webserver.not-built': 'sockscope web 的页面尚未构建：{dir} 中没有 index.html（npm run build 会构建它）。',
  'webserver.actions-off': '操作未启用：以 --allow-actions 启动 sockscope web，才能在页面上向进程发送信号、关闭连接。',
  'webserver.err.json': '请求需要一个 JSON 对象作为正文（Content-Type: application/json，最多 4 KB），并带有文档中说明的字段。',
  'webserver.err.range': 'from 和 to 是自 1970 年起的毫秒数（整数）。',
  'webserver.err.rows': '行查询：sort 取 {keys} 之一，dir 为 asc 或 desc，offset 不小于 0，limit 在 0 到 {max} 之间。',
  'webserver.err.no-socket': '现在没有这个 socket（它已关闭，或者这个 id 不是页面得到的）。',
  'webserver.lab.busy': '已有一个实验在运行；它结束后才能开始另一个。',
  'webserver.lab.unknown': "没有名为 '{name}' 的实验。",
  'webserver.lab.no-run': '没有这次实验运行（它已结束超过十分钟，或从未开始）。',
  'webserver.kill.not-shown': '已拒绝：pid {pid} 不持有页面上显示的任何 socket；没有发送任何信号。',
  'help.web': "用法：sockscope web [选项]\n\n在浏览器中以实时页面展示本机的端口、socket 和进程：一张图（对端、作为“门”的\n端口、端口后面的进程），带有与 watch 的 '/' 相同过滤语言的 socket 表，socket\n建立与关闭的时间线，以及 lab 的实验。页面由每次查看的实时 socket 表驱动，只接收\n变化。它需要的一切都随软件包发布：离线可用，不向任何其他主机请求任何东西。\n\n页面是私密的：只监听 127.0.0.1 和 ::1（除非 --listen 另行指定），端口随机，\n只响应带着打印出的地址中随机令牌而来的浏览器（之后使用 cookie）。其他网站既不能\n读取它，也不能向它发送请求（检查 Host、Origin 和 CSRF）。\n\n选项：\n  --listen HOST:PORT   监听地址（默认 127.0.0.1 和 ::1，任意空闲端口）；\n                       HOST 为 IPv4 地址、[IPv6 地址] 或 localhost；\n                       非回环地址会得到警告（令牌仍然有效）\n  --open               用桌面的浏览器打开该地址（xdg-open）\n  --allow-actions      允许页面向进程发送信号、关闭 TCP 连接，\n                       每次都需确认，并做与实时视图相同的检查\n  --interval SECONDS   两次查看之间的间隔（默认 1）\n  --rescan SECONDS     至少每隔这么久重新读取每个进程的 fd（默认 20）\n\n页面语言跟随 --lang（也可以在页面上切换）。\n页面使用的 API：见 docs/web.md。\n\n示例：\n  sockscope web\n  sockscope web --open --lang zh-CN\n  sockscope web --listen 127.0.0.1:8080 --allow-actions\n\n退出状态：0 因 SIGINT 或 SIGTERM 停止，2 用法错误，3 无法监听（端口被占用、没有这个地址）。",
} as const;

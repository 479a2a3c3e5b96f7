// 简体中文：'traffic' 部分的消息（键与 en/traffic.ts 相同）。tcp_info、netlink、sock_diag 等内核术语保持原样。
import type { traffic as en } from '../en/traffic.js';

export const traffic: Record<keyof typeof en, string> = {
  'traffic.view': '流量',
  'traffic.event': 'traffic',
  'traffic.no-counters': 'watch：此数据来源（{source}）没有流量速率：速率来自内核为每个连接维护的字节计数（tcp_info），需通过 netlink sock_diag 读取',
  'traffic.uncounted': '有 {n} 个 TCP 连接没有字节计数（tcp_info 中没有 bytes_acked/bytes_received：内核早于 4.1），未计入',
  'traffic.line': '合计 ↑ {send}/s ↓ {recv}/s  开始以来 ↑ {sent} ↓ {received}  有流量的连接 {n} 个',
  'traffic.process-line': '{pid}/{name}  ↑ {send}/s ↓ {recv}/s  开始以来 ↑ {sent} ↓ {received}',
  'traffic.col.send': '发送/s',
  'traffic.col.recv': '接收/s',
  'traffic.col.sent': '已发送',
  'traffic.col.received': '已接收',
  'traffic.col.connection': '连接',
  'traffic.col.conns': '连接数',
  'traffic.totals': '合计 ↑ {send}/s ↓ {recv}/s · 开始以来 ↑ {sent} ↓ {received} · 期间关闭的连接 {closed} 个（截至各自最后一次刷新 ↑ {closedSent} ↓ {closedReceived}）',
  'traffic.totals-shown': '显示部分 ↑ {send}/s ↓ {recv}/s · 开始以来 ↑ {sent} ↓ {received}（筛选后显示的连接）',
  'traffic.part.processes': '进程（按速率）',
  'traffic.part.connections': '连接（按速率）',
  'traffic.starting': '从现在开始计数：下一次刷新后显示速率。',
  'traffic.idle': '开始计数以来，没有任何 TCP 连接传输过数据。',
  'traffic.udp': 'UDP：内核不为 UDP 套接字记录字节数。共 {n} 个 UDP 套接字，当前排队 {queued} 字节，开始计数以来因接收缓冲区满丢弃 {drops} 个数据报。',
  'traffic.blind': '数据来自内核的 tcp_info 计数，不抓包；关闭的连接根据内核对每个被销毁 socket 的通知计到最后一个字节（在两次刷新之间打开又关闭的连接计入合计，但不归属任何进程）。',
  'traffic.blind-polling': '数据来自内核的 tcp_info 计数，不抓包。收不到内核关于已关闭连接的通知（{reason}）：在两次刷新之间打开又关闭的连接看不到；连接最后一次刷新之后传输的字节不计入。',
  'traffic.help': '4   流量：按发送和接收速率列出进程与连接，并显示打开此视图以来的合计（内核 tcp_info 字节计数，不抓包）；s 可按速率、合计、PID 或名称排序',
};

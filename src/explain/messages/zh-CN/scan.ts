// 简体中文：采集器的消息——扫描看不到或读不了什么，以及原因（键与 en/scan.ts 相同）。
import type { scan as en } from '../en/scan.js';

export const scan: Readonly<Record<keyof typeof en, string>> = {
  'scan.note.parse-error': '注意：有 {n} 条记录（表中的行、目录树中的条目）无法读取，未显示；第一处：{subject}（{reason}）：{text}',
  'scan.note.source-error': '注意：有 {n} 个文件无法读取；第一处：{subject}（{reason}）。',
  'scan.note.truncated': '注意：有 {n} 个文件超出 sockscope 的读取上限，只用了开头部分；第一处：{subject}（只读取前 {detail}）。',
  'scan.note.hidepid': '注意：{root} 以 {option} 方式挂载，其他用户的进程对我们不可见；因此有 {sockets} 个 socket 显示为无属主 —— {advice}。',
  'scan.note.hidepid.advice': '以 root 身份（sudo）运行即可看到',
  'scan.reason.malformed': '格式不符',
  'scan.reason.out-of-range': '数值超出该字段的范围',
  'scan.reason.too-long': '行过长',
  'scan.reason.ELOOP': '符号链接循环',
  'scan.reason.ENOTREG': '不是普通文件',
  'scan.reason.EISDIR': '是目录而不是文件',
  'scan.reason.EACCES': '权限不足',
  'scan.reason.ENOENT': '文件不存在',
  'scan.reason.EIO': '输入/输出错误',
  'scan.input-too-large': '{file} 超过了 sockscope 读取的上限 {cap} MiB；请只给出需要解释的部分（例如用 head -c 截取）',
  'scan.input-too-many-lines': '输入超过 {max} 行，超出 sockscope 解释的上限；请只给出需要解释的部分（例如用 head -n 截取）',
  'scan.pid-hidden': 'pid {pid} 存在，但 {root} 不显示它：/proc 以 {option} 方式挂载，隐藏了其他用户的进程 —— 请以 root 或该进程属主的身份运行',
  'scan.pid-unreadable': '无法读取 pid {pids} 的文件描述符：权限不足{advice}',
  'scan.process-hidden': '{root} 以 {option} 方式挂载，隐藏了其他用户的进程：请以 root 身份运行以便一并查找',
  'scan.pid-unreadable.sudo': ' —— 请以 root 身份（sudo）运行',
  'scan.pid-unreadable.root': ' —— 即使是 root 也被拒绝（内核保护了这个进程）',
};

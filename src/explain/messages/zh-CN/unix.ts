// 简体中文：'unix' 部分的消息（键与 en/unix.ts 相同）。
import type { unix as en } from '../en/unix.js';

export const unix: Record<keyof typeof en, string> = {
  'unix.proc-note': '注意：Unix socket 读自 {path}{why}：其中没有对端、队列和所有者，这些显示为“?”或不显示（netlink UNIX_DIAG 才有）。',
  'unix.proc-why': '，因为 netlink UNIX_DIAG 失败（{detail}）',
  'unix.issue': '注意：{subject}：{detail}',
  'unix.overview.failed': '注意：无法读取正在监听的 Unix socket：{detail}',
  'unix.overview.title': '正在监听的 Unix socket（{n} 个）',
  'unix.overview.more': '……另有 {n} 个（sockscope list -x -l）',
  'unix.overview.col.path': '路径',
  'unix.overview.col.type': '类型',
};

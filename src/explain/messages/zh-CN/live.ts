// 简体中文：'live' 部分的消息（键与 en/live.ts 相同）。
import type { live as en } from '../en/live.js';

export const live: Readonly<Record<keyof typeof en, string>> = {
  'watch.event.accepted': '已接受',
};

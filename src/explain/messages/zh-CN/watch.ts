// 简体中文：'watch' 部分的消息（键与 en/watch.ts 相同）。
import type { watch as en } from '../en/watch.js';

export const watch: Record<keyof typeof en, string> = {
};

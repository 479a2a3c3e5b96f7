// 简体中文：'lab' 部分的消息（键与 en/lab.ts 相同）。
import type { lab as en } from '../en/lab.js';

export const lab: Record<keyof typeof en, string> = {
};

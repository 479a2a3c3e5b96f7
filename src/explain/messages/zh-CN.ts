// The Simplified Chinese catalog: the same keys as en.ts (the type enforces it).
import type { en } from './en.js';
import { views } from './zh-CN/views.js';
import { explain } from './zh-CN/explain.js';
import { lab } from './zh-CN/lab.js';
import { watch } from './zh-CN/watch.js';
import { help } from './zh-CN/help.js';
import { errors } from './zh-CN/errors.js';
import { live } from './zh-CN/live.js';
import { scan } from './zh-CN/scan.js';
import { kill } from './zh-CN/kill.js';
import { doctor } from './zh-CN/doctor.js';
import { exporter } from './zh-CN/exporter.js';
import { traffic } from './zh-CN/traffic.js';
import { unix } from './zh-CN/unix.js';

export const zhCN: Readonly<Record<keyof typeof en, string>> = { ...views, ...explain, ...lab, ...watch, ...help, ...errors, ...live, ...scan, ...kill, ...doctor, ...exporter, ...traffic, ...unix };

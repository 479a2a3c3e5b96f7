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
import { trace } from './zh-CN/trace.js';
import { exporter } from './zh-CN/exporter.js';
import { netns } from './zh-CN/netns.js';
import { traffic } from './zh-CN/traffic.js';
import { webServer } from './zh-CN/web-server.js';
import { web } from './zh-CN/web.js';
import { containers } from './zh-CN/containers.js';
import { unix } from './zh-CN/unix.js';
import { platforms } from './zh-CN/platforms.js';

export const zhCN: Readonly<Record<keyof typeof en, string>> = { ...views, ...explain, ...lab, ...watch, ...help, ...errors, ...live, ...scan, ...kill, ...doctor, ...exporter, ...netns, ...traffic, ...webServer, ...web, ...trace, ...containers, ...unix, ...platforms };

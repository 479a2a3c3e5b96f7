// The English catalog: every area's messages under one flat key space.
// Each area lives in its own file (en/<area>.ts) with a zh-CN twin.
import { views } from './en/views.js';
import { explain } from './en/explain.js';
import { lab } from './en/lab.js';
import { watch } from './en/watch.js';
import { help } from './en/help.js';
import { errors } from './en/errors.js';
import { live } from './en/live.js';
import { scan } from './en/scan.js';
import { kill } from './en/kill.js';
import { doctor } from './en/doctor.js';
import { trace } from './en/trace.js';
import { exporter } from './en/exporter.js';
import { netns } from './en/netns.js';
import { traffic } from './en/traffic.js';
import { webServer } from './en/web-server.js';
import { web } from './en/web.js';
import { containers } from './en/containers.js';
import { unix } from './en/unix.js';
import { platforms } from './en/platforms.js';

export const en = { ...views, ...explain, ...lab, ...watch, ...help, ...errors, ...live, ...scan, ...kill, ...doctor, ...exporter, ...netns, ...traffic, ...webServer, ...web, ...trace, ...containers, ...unix, ...platforms } as const;

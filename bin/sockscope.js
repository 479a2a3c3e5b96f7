#!/usr/bin/env node
// Entry point of the `sockscope` command: the compiled CLI lives in dist/.
//
// Under a very low open-file limit (ulimit -n 20) loading the CLI itself can
// run out of file descriptors. The small module that says so is loaded first,
// with the catalog of the user's language, so that the answer is one line
// instead of the module loader's stack trace.
import { createRequire } from 'node:module';
import { fdLimitLine, isFdExhausted, langOf, preloadCatalog } from '../dist/src/cli/fd-limit.js';

const lang = langOf(process.argv.slice(2), process.env);
preloadCatalog(lang);

let cli;
try {
  // require() of an ES module (Node 20.19+, 22.12+) reads one file at a time;
  // import() opens a whole level of the module graph at once.
  cli = process.features.require_module
    ? createRequire(import.meta.url)('../dist/src/cli/main.js')
    : await import('../dist/src/cli/main.js');
} catch (e) {
  if (!isFdExhausted(e)) throw e;
  process.stderr.write(fdLimitLine(lang) + '\n');
  process.exit(3);
}
await cli.run();

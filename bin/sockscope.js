#!/usr/bin/env node
// Entry point of the `sockscope` command: the compiled CLI lives in dist/.
//
// It runs the bundle (dist/cli/, scripts/build-cli.mjs: a few chunks with a V8
// code cache, which start faster than ~70 modules) when the build made one and
// it is up to date, else the plain modules in dist/src/ (see src/cli/bundle.cts).
// This file is CommonJS (bin/package.json): a start through the bundle then
// never sets up Node's ES module loader.
//
// Under a very low open-file limit (ulimit -n 20) loading the CLI itself can
// run out of file descriptors. The small module that says so is loaded first,
// with the catalog of the user's language, so that the answer is one line
// instead of the module loader's stack trace.
'use strict';
const { join } = require('node:path');
const { openBundle } = require('../dist/src/cli/bundle.cjs');

const bundle = openBundle(join(__dirname, '..', 'dist'), process.env);

/** dist/src/cli/<name>, or its entry in the bundle. */
function load(name) {
  if (bundle) return bundle.load(join(bundle.dir, name));
  // require() of an ES module (Node 20.19+, 22.12+) reads one file at a time;
  // import() opens a whole level of the module graph at once.
  return process.features.require_module ? require(`../dist/src/cli/${name}`) : import(`../dist/src/cli/${name}`);
}

async function start() {
  const { fdLimitLine, isFdExhausted, langOf, preloadCatalog } = await load('fd-limit.js');
  const lang = langOf(process.argv.slice(2), process.env);
  preloadCatalog(lang);

  let cli;
  try {
    cli = await load('main.js');
  } catch (e) {
    if (!isFdExhausted(e)) throw e;
    process.stderr.write(fdLimitLine(lang) + '\n');
    process.exit(3);
  }
  await cli.run();
}

start().catch((e) => {
  // As an uncaught error would: the stack on stderr, exit 1 (run() itself never throws; this is a broken install).
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

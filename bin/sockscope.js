#!/usr/bin/env node
// Entry point of the `sockscope` command: the compiled CLI lives in dist/.
import { run } from '../dist/src/cli/main.js';

await run();

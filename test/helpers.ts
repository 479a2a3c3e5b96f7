// Paths shared by the tests: fixtures live in the source tree, next to test/.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root (tests run from dist/test/, two levels below it). */
export const ROOT = resolve(here, '..', '..');
export const FIXTURES = resolve(ROOT, 'test', 'fixtures');
export const BIN = resolve(ROOT, 'bin', 'sockscope.js');

// Loading a module on demand without opening a whole level of the module
// graph at once. Where Node can require() an ES module (20.19+, 22.12+) it
// reads the graph one file at a time; import() opens every module of a level
// at once, which runs out of file descriptors under a low open-file limit
// (ulimit -n 20). Older Nodes use import().
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const requireModule = createRequire(import.meta.url);
const canRequireEsm = (process.features as { require_module?: boolean }).require_module === true;

/** The module at `url` (build it with `new URL('./x.js', import.meta.url)`). */
export async function loadModule<T>(url: URL): Promise<T> {
  if (canRequireEsm) return requireModule(fileURLToPath(url)) as T;
  return (await import(url.href)) as T;
}

// Running the bundled CLI (dist/cli/, written by scripts/build-cli.mjs) with a
// V8 code cache. Node 20 keeps no compile cache for modules, so every start
// parsed and compiled ~70 modules again; the bundle is a few CommonJS chunks
// which this loader compiles with vm.Script and the cached data the build left
// beside each one, so that V8 skips parsing and compiling what it already did.
//
// Safe by construction: a cache V8 rejects (another Node or V8, other flags) is
// ignored and the chunk compiled from its source; a cache is only ever used for
// the chunk content it was made from (its file name carries the hash the build
// wrote into the chunk's first line); and bin/sockscope.js runs the plain dist/
// modules when the bundle is missing or older than them (a `tsc` without
// `npm run build`), or when SOCKSCOPE_BUNDLE=0.
//
// This module imports only Node built-ins and is loaded before anything else;
// it is CommonJS (.cts), like bin/sockscope.js, so that a start through the
// bundle never sets up Node's ES module loader (~2 ms).
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * SOCKSCOPE_BUNDLE: unset or `1` the bundle with its code cache; `0` the plain
 * dist/ modules; `no-cache` the bundle without the cache; `train` the bundle,
 * and at exit write the code cache of every chunk that ran (the build does
 * this, see scripts/build-cli.mjs).
 */
export type BundleMode = 'cache' | 'plain' | 'no-cache' | 'train';

export function bundleMode(env: NodeJS.ProcessEnv): BundleMode {
  const v = env['SOCKSCOPE_BUNDLE'];
  return v === '0' ? 'plain' : v === 'no-cache' ? 'no-cache' : v === 'train' ? 'train' : 'cache';
}

/** What the loader did, for tests (SOCKSCOPE_BUNDLE_REPORT=<file>, written at exit). */
export interface ChunkReport {
  chunk: string;
  cache: 'used' | 'rejected' | 'none';
}

/** The first line of every chunk: `// sockscope-chunk <hash of the rest>` (scripts/build-cli.mjs). */
const HEAD = /^\/\/ sockscope-chunk ([0-9a-f]{16,64})\n/;

/** The code cache of a chunk: beside it, named by the chunk's content hash. */
export function cachePath(chunkPath: string, hash: string): string {
  return `${chunkPath}.${hash}.cache`;
}

interface Loaded { exports: unknown }

export class ChunkLoader {
  private readonly modules = new Map<string, Loaded>();
  private readonly scripts: { path: string; hash: string; script: Script }[] = [];
  readonly report: ChunkReport[] = [];

  constructor(readonly dir: string, readonly mode: Exclude<BundleMode, 'plain'>) {}

  /** The exports of the chunk at `path` (absolute), running it on first use. */
  load(path: string): unknown {
    const known = this.modules.get(path);
    if (known) return known.exports;
    const module: Loaded = { exports: {} };
    this.modules.set(path, module);
    try {
      const source = readFileSync(path, 'utf8');
      const hash = HEAD.exec(source)?.[1];
      let cachedData: Buffer | undefined;
      if (hash !== undefined && this.mode === 'cache') {
        try {
          cachedData = readFileSync(cachePath(path, hash));
        } catch {
          // No cache for this chunk (not trained, or removed): compiled from source.
        }
      }
      // The same wrapper as Node's CommonJS loader; the chunks are CommonJS (see build-cli.mjs).
      const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: path, cachedData });
      this.report.push({ chunk: path.slice(this.dir.length + 1), cache: cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used' });
      if (hash !== undefined) this.scripts.push({ path, hash, script });
      const dir = dirname(path);
      const require = (spec: string): unknown => (spec.startsWith('./') || spec.startsWith('../') ? this.load(join(dir, spec)) : this.external(spec));
      (script.runInThisContext() as (e: unknown, r: unknown, m: Loaded, f: string, d: string) => void)(module.exports, require, module, path, dir);
    } catch (e) {
      // A chunk that failed to load is not half there for the next require().
      this.modules.delete(path);
      throw e;
    }
    return module.exports;
  }

  private nodeRequire: NodeJS.Require | undefined;

  /** Node built-ins and npm packages, resolved from dist/cli/ (one require for every chunk: making one costs ~0.1 ms). */
  private external(spec: string): unknown {
    this.nodeRequire ??= createRequire(join(this.dir, 'main.js'));
    return this.nodeRequire(spec);
  }

  /** Write each chunk's code cache (after a run, so that the functions it compiled are in it). */
  writeCaches(): void {
    for (const { path, hash, script } of this.scripts) {
      const to = cachePath(path, hash);
      const tmp = `${to}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, to);
    }
  }
}

/**
 * The bundle in `distDir` (dist/, from bin/sockscope.js) when it is there and
 * newer than the plain modules it was built from; undefined for the plain modules.
 */
export function openBundle(dist: string, env: NodeJS.ProcessEnv): ChunkLoader | undefined {
  const mode = bundleMode(env);
  if (mode === 'plain') return undefined;
  const dir = join(dist, 'cli');
  try {
    // tsc rewrites every module it compiles: a main.js newer than the bundle means the bundle is stale.
    if (statSync(join(dir, 'main.js')).mtimeMs < statSync(join(dist, 'src', 'cli', 'main.js')).mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  const loader = new ChunkLoader(dir, mode);
  const reportTo = env['SOCKSCOPE_BUNDLE_REPORT'];
  if (mode === 'train' || reportTo) {
    process.on('exit', () => {
      if (mode === 'train') loader.writeCaches();
      if (reportTo) {
        writeFileSync(reportTo, JSON.stringify(loader.report));
      }
    });
  }
  return loader;
}

// Build step, last in `npm run build` (it bundles what tsc wrote to dist/src,
// and its training runs need dist/data and the native addon): bundle the compiled CLI into a few
// chunks in dist/cli/, so that `sockscope list` reads and compiles a handful of
// files instead of ~70 modules, with a V8 code cache beside each chunk
// (Node 20 has no built-in compile cache for ES modules; scripts compiled with
// vm.Script can take one). bin/sockscope.js runs the bundle through
// dist/cli/loader.cjs and falls back to the plain dist/ modules when the bundle
// is missing or older than them; the library (dist/src/index.js) stays unbundled.
//
// Two passes:
//  1. esbuild bundles dist/src/cli/main.js and fd-limit.js as ES modules with
//     splitting: every dynamic import() becomes its own chunk, loaded only when
//     its command runs. The CLI loads commands with loadModule(new URL(...))
//     (see src/cli/load.ts), which esbuild cannot follow: a plugin turns those
//     calls into import() of the same literal path. import.meta.url (.filename,
//     .dirname) becomes the URL (path) the module has in dist/src/, so data
//     files, the native addon and createRequire() resolve exactly as in the
//     plain build.
//  2. Each chunk is turned into CommonJS (import/export become require/exports),
//     which vm.Script can compile with cached data.
// Then the loader runs a few commands (on a recorded /proc tree, then on this
// machine) to compile the functions they use, and writes each chunk's code
// cache (dist/cli/*.cache).
import { build, transform } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = join(root, 'dist');
const srcOut = join(dist, 'src');
const outdir = join(dist, 'cli');

const posix = (p) => p.split(sep).join('/');

/** Calls the plugin rewrites, and the ones it must not leave behind. */
const LOAD_MODULE_URL = /\bloadModule\(new URL\(('[^'\n]+'|"[^"\n]+"), import\.meta\.url\)\)/g;
// main.ts wraps loadModule in `load(specifier)`: its calls name the module by a literal.
const LOAD_WRAPPER = /function load\((\w+)\) \{\s*return loadModule\(new URL\(\1, import\.meta\.url\)\);\s*\}/;
const LOAD_CALL = /\bload\(('[^'\n]+'|"[^"\n]+")\)/g;

const rewrite = {
  name: 'sockscope-cli',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(srcOut + sep)) return undefined;
      let code = readFileSync(args.path, 'utf8');
      const rel = posix(relative(srcOut, args.path));
      if (rel !== 'cli/load.js') {
        code = code.replace(LOAD_MODULE_URL, 'import($1)');
        const wrapper = LOAD_WRAPPER.test(code);
        if (wrapper) code = code.replace(LOAD_WRAPPER, '').replace(LOAD_CALL, 'import($1)');
        // Anything left would load the plain dist/ module beside the bundled one (two copies of its state).
        if (/(?<![.\w])loadModule\(/.test(code) || (wrapper && /(?<![.\w])load\(/.test(code))) {
          throw new Error(`${rel}: a loadModule()/load() call the bundle cannot follow: use loadModule(new URL('<literal>', import.meta.url))`);
        }
      }
      // The module's own URL in dist/src/ (resolved at run time from the chunk's location).
      code = code.replace(/\bimport\.meta\.url\b/g, `__sockscopeModuleUrl(${JSON.stringify('src/' + rel)})`)
        .replace(/\bimport\.meta\.filename\b/g, `__sockscopeModulePath(${JSON.stringify('src/' + rel)})`)
        .replace(/\bimport\.meta\.dirname\b/g, `__sockscopeModulePath(${JSON.stringify(posix(dirname('src/' + rel)))})`);
      if (/\bimport\.meta\b/.test(code)) throw new Error(`${rel}: import.meta other than .url, .filename and .dirname is not bundled`);
      return { contents: code, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: join(srcOut, 'cli/main.js'), 'fd-limit': join(srcOut, 'cli/fd-limit.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  charset: 'ascii',
  // npm packages (netlink, prom-client) load from node_modules as in the plain build; the addon by createRequire.
  packages: 'external',
  outbase: srcOut,
  outdir,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  write: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [rewrite],
});

// Written beside dist/cli/ and moved in place when complete: a build that stops half way leaves no half bundle.
const stage = `${outdir}.tmp-${process.pid}`;
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const manifest = {};
for (const f of result.outputFiles) {
  const rel = posix(relative(outdir, f.path));
  // The chunk's path back to dist/, for the module URLs above.
  const up = '../'.repeat(rel.split('/').length - 1);
  const { code } = await transform(f.text, { format: 'cjs', platform: 'node', target: 'node20', supported: { 'dynamic-import': false }, charset: 'ascii', logLevel: 'warning' });
  const body = `var __sockscopeModuleUrl = (p) => new URL(${JSON.stringify(up + '../')} + p, require("node:url").pathToFileURL(__filename)).href;\n` +
    `var __sockscopeModulePath = (p) => require("node:path").join(__dirname, ${JSON.stringify(up + '..')}, p);\n${code}`;
  // The first line names the content: a code cache is only used for the chunk it was made from (src/cli/bundle.ts).
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 20);
  mkdirSync(dirname(join(stage, rel)), { recursive: true });
  writeFileSync(join(stage, rel), `// sockscope-chunk ${hash}\n${body}`);
  const out = result.metafile.outputs[posix(relative(root, f.path))];
  manifest[rel] = Object.keys(out?.inputs ?? {}).map((i) => posix(relative('dist', i)));
}
// Node must take the chunks for CommonJS if anything loads them with require().
writeFileSync(join(stage, 'package.json'), '{"type":"commonjs"}\n');
// Which source modules each chunk holds (test/cli/lazy-load.test.ts reads it).
writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
const size = Object.keys(manifest).reduce((n, f) => n + statSync(join(stage, f)).size, 0);
rmSync(outdir, { recursive: true, force: true });
renameSync(stage, outdir);
console.log(`cli: ${Object.keys(manifest).length} chunks, ${size} B -> dist/cli/`);

// The code cache: V8 caches the functions compiled when the cache is made, so
// the chunks are run first on what a start-up does most (the table, JSON, a
// port, the overview, an explanation) on the recorded /proc tree of the tests,
// each run adding what it compiled to the caches the runs before it wrote.
const tree = join(root, 'test/fixtures/proc/dualstack-udp');
const bin = join(root, 'bin/sockscope.js');
const TRAIN = [
  ['--version'],
  ['--proc-root', tree, 'list'],
  ['--proc-root', tree, 'list', '-n', '--json'],
  ['--proc-root', tree, 'port', '19191'],
  ['--proc-root', tree],
  ['explain', 'TIME_WAIT'],
];
// And on this machine's own sockets, for the netlink and fd-scan path a recorded
// tree does not take (on 1k sockets ~5 ms less CPU per `list`). Read only, output
// dropped; where it cannot run (a sandbox without /proc or netlink) the cache
// simply lacks that path.
const LIVE = [['list'], ['port', '1']];
function train(args, live) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, SOCKSCOPE_BUNDLE: 'train', NO_COLOR: '1', ...(live ? {} : { SOCKSCOPE_PASSWD: join(tree, 'passwd') }) },
    stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000,
  });
  // `port 1` answers 1 (nothing there); any other failure of a live run only costs speed.
  if (live) {
    if (r.status !== 0 && r.status !== 1) console.log(`cli: (live training run sockscope ${args.join(' ')} did not run: ${r.status ?? r.signal ?? r.error})`);
  } else if (r.status !== 0) {
    throw new Error(`cli: training run sockscope ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr ?? r.error}`);
  }
}
for (const args of TRAIN) train(args, false);
for (const args of LIVE) train(args, true);
const caches = readdirSync(outdir, { recursive: true }).filter((f) => String(f).endsWith('.cache'));
const cacheSize = caches.reduce((n, f) => n + statSync(join(outdir, String(f))).size, 0);
console.log(`cli: code cache for ${caches.length} chunks, ${cacheSize} B`);

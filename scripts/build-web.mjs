// Build step: bundle the page of `sockscope web` (web/src/*.ts, web/index.html,
// web/app.css and the libraries they import) into static files in dist/web/
// (index.html, app.js, app.css), which the server serves from the package.
// Everything the page needs ships here: no third-party request, works offline,
// and the strict CSP (script-src 'self'; style-src 'self') holds because the
// HTML has no inline script or style. Type checking is `tsc -p web` (npm build).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const out = new URL('dist/web/', root);
mkdirSync(out, { recursive: true });

const html = readFileSync(new URL('web/index.html', root), 'utf8');
// The CSP forbids inline code: fail the build rather than ship a page the browser refuses.
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /<style/i.test(html) || /\sstyle=/i.test(html) || /\son[a-z]+=/i.test(html)) {
  throw new Error('web/index.html: inline script, style or event handler (the CSP forbids them)');
}

await build({
  // main.ts imports its CSS (and uPlot's), so esbuild writes app.css beside app.js.
  entryPoints: { app: new URL('web/src/main.ts', root).pathname },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: out.pathname,
  legalComments: 'eof',
  logLevel: 'warning',
  // No source maps in the package: the page is small and its sources ship in web/.
  sourcemap: false,
});
copyFileSync(new URL('web/index.html', root), new URL('index.html', out));
copyFileSync(new URL('web/icon.svg', root), new URL('icon.svg', out));

const size = (f) => statSync(new URL(f, out)).size;
console.log(`web: dist/web/app.js ${size('app.js')} B, app.css ${size('app.css')} B, index.html ${size('index.html')} B`);

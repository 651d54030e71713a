#!/usr/bin/env node
// Builds the static site into build/site/ (or --out DIR):
//
//   index.html                  the page (from web/index.html)
//   sw.js                       the service worker (COOP/COEP on static hosts, offline cache)
//   favicon.svg
//   assets/app-HASH.{js,css}    the IDE (ide/src/main.ts), Monaco and xterm included
//   assets/editor.worker-HASH.js   Monaco's editor worker
//   assets/engine-worker-HASH.js   the engine worker (ide/src/worker/main.ts)
//   assets/*.ttf                Monaco's codicon font
//   engine/glassbox_web.{js,wasm}  the engine, if build-wasm-web/ has it
//   engine/glassbox_inspector.{js,wasm}  the inspector's module (inspector/), if built
//   image/manifest.json, image/chunks/   the guest image, if build/image/ has it
//   lessons/                    the lessons (lessons/ of the repo, without their reference
//                               and wrong solutions: solution.json, solution/, test/)
//   lib/glassbox.js, lib/glassbox.d.ts  the JavaScript API (web/lib/, docs/api.md)
//   examples/                   pages using it (web/examples/)
//   build.json                  what was built (ids, sizes, engine/image present)
//
// Release (default): minified, image chunks hard-linked (copied across file systems).
// --dev: source maps, no minification, engine and image symlinked instead of copied.
// --lessons DIR: the lessons folder to copy (default lessons/ of the repo).
// --previous-image DIR: the image/ folder of the site published before; its chunks the new
//   image does not name are kept (students download their files from it: web/site-image.mjs).
// --config FILE: copied as config.json (title, lessons URL, relay: docs/site.md); without
//   it, a default config.json ({"lessons": "lessons/"}).
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWarmPaths, writeSiteImage } from './site-image.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dev = args.includes('--dev');
const quiet = args.includes('--quiet');
const outArg = args.indexOf('--out');
const OUT = path.resolve(ROOT, outArg >= 0 ? args[outArg + 1] : 'build/site');
const ENGINE_DIR = path.resolve(ROOT, process.env.GLASSBOX_ENGINE_DIR || 'build-wasm-web');
const IMAGE_DIR = path.resolve(ROOT, process.env.GLASSBOX_IMAGE_DIR || 'build/image');
const log = (...a) => quiet || console.log(...a);
const t0 = Date.now();

if (!OUT.startsWith(path.join(ROOT, 'build')) && !args.includes('--force-out')) {
  console.error(`build: refusing to write outside build/: ${OUT} (add --force-out)`);
  process.exit(2);
}
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(path.join(OUT, 'assets'), { recursive: true });

const common = {
  bundle: true,
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  target: ['chrome110', 'firefox115', 'safari16.4'],
  logLevel: 'warning',
  legalComments: 'none',
  absWorkingDir: ROOT,
  outdir: path.join(OUT, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
};

function outputFor(meta, entry) {
  for (const [out, info] of Object.entries(meta.outputs)) {
    if (info.entryPoint === entry) return path.relative(OUT, path.join(ROOT, out)).split(path.sep).join('/');
  }
  throw new Error(`no output for ${entry}`);
}

// 1. workers (classic scripts: importScripts must work in the engine worker)
const workers = await esbuild.build({
  ...common,
  format: 'iife',
  entryPoints: {
    'editor.worker': 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js',
    'engine-worker': 'ide/src/worker/main.ts',
  },
});
const editorWorker = outputFor(workers.metafile, 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js');
const engineWorker = outputFor(workers.metafile, 'ide/src/worker/main.ts');

// 2. the app
const buildId = createHash('sha256')
  .update(JSON.stringify(Object.keys(workers.metafile.outputs)))
  .update(String(Date.now()))
  .digest('hex')
  .slice(0, 12);
const app = await esbuild.build({
  ...common,
  format: 'esm',
  entryPoints: { app: 'ide/src/main.ts' },
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  define: {
    __EDITOR_WORKER_URL__: JSON.stringify(editorWorker),
    __ENGINE_WORKER_URL__: JSON.stringify(engineWorker),
    __BUILD_ID__: JSON.stringify(buildId),
  },
});
const appJs = outputFor(app.metafile, 'ide/src/main.ts');
const appCss = Object.entries(app.metafile.outputs).find(([o, i]) => i.entryPoint === 'ide/src/main.ts' && i.cssBundle)?.[1].cssBundle;
const appCssRel = appCss ? path.relative(OUT, path.join(ROOT, appCss)).split(path.sep).join('/') : '';

// 2b. the JavaScript API (web/lib/, docs/api.md): lib/glassbox.js at a stable name (pages
// import it), xterm.js split off (loaded by attachTerminal(element) only), the declarations
const lib = await esbuild.build({
  ...common,
  format: 'esm',
  splitting: true,
  outdir: path.join(OUT, 'lib'),
  entryPoints: { glassbox: 'web/lib/index.ts' },
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  loader: { '.css': 'text' },
  define: { __ENGINE_WORKER_URL__: JSON.stringify(engineWorker), __BUILD_ID__: JSON.stringify(buildId) },
});
fs.copyFileSync(path.join(ROOT, 'web/lib/glassbox.d.ts'), path.join(OUT, 'lib/glassbox.d.ts'));
fs.mkdirSync(path.join(OUT, 'examples'));
for (const f of fs.readdirSync(path.join(ROOT, 'web/examples'))) fs.copyFileSync(path.join(ROOT, 'web/examples', f), path.join(OUT, 'examples', f));

// 3. index.html, favicon
let html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
html = html.replace('{{APP_JS}}', appJs).replace('{{APP_CSS}}', appCssRel);
fs.writeFileSync(path.join(OUT, 'index.html'), html);
fs.copyFileSync(path.join(ROOT, 'web/favicon.svg'), path.join(OUT, 'favicon.svg'));

// 4. engine
const engineFiles = ['glassbox_web.js', 'glassbox_web.wasm'];
const haveEngine = engineFiles.every((f) => fs.existsSync(path.join(ENGINE_DIR, f)));
if (haveEngine) {
  fs.mkdirSync(path.join(OUT, 'engine'));
  for (const f of engineFiles) {
    const src = path.join(ENGINE_DIR, f);
    const dst = path.join(OUT, 'engine', f);
    if (dev) fs.symlinkSync(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

// 4b. the inspector's page module (optional: the pane says so when it is missing)
const inspectorFiles = ['glassbox_inspector.js', 'glassbox_inspector.wasm'];
const haveInspector = inspectorFiles.every((f) => fs.existsSync(path.join(ENGINE_DIR, f)));
if (haveInspector) {
  fs.mkdirSync(path.join(OUT, 'engine'), { recursive: true });
  for (const f of inspectorFiles) {
    const src = path.join(ENGINE_DIR, f);
    const dst = path.join(OUT, 'engine', f);
    if (dev) fs.symlinkSync(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

// 5. image: manifest.json + the chunk files it names (web/site-image.mjs); with
// --previous-image DIR also the chunks of the image the site served before
const manifestPath = path.join(IMAGE_DIR, 'manifest.json');
const prevArg = args.indexOf('--previous-image');
let image = null;
if (fs.existsSync(manifestPath)) {
  if (dev) {
    const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    image = { id: m.image_id, chunks: new Set(m.chunks.filter(Boolean).map((c) => c.hash)).size, bytes: m.stats?.stored_bytes };
    fs.symlinkSync(IMAGE_DIR, path.join(OUT, 'image'));
  } else {
    // warm.json: the chunks of web/warm-paths.txt's files, fetched by the worker in the
    // background after the first prompt (docs/ide.md, "Chunks")
    const warmFile = path.join(ROOT, 'web/warm-paths.txt');
    image = writeSiteImage(IMAGE_DIR, path.join(OUT, 'image'), {
      previousDir: prevArg >= 0 ? path.resolve(args[prevArg + 1]) : undefined,
      warmPaths: fs.existsSync(warmFile) ? readWarmPaths(warmFile) : undefined,
    });
  }
}

// 5b. lessons: copied without the solutions (the tests read those from the repo)
const lessonsArg = args.indexOf('--lessons');
const LESSONS_DIR = path.resolve(ROOT, lessonsArg >= 0 ? args[lessonsArg + 1] : 'lessons');
const configArg = args.indexOf('--config');
if (configArg >= 0) {
  const src = path.resolve(ROOT, args[configArg + 1]);
  JSON.parse(fs.readFileSync(src, 'utf8')); // a broken config fails the build, not the page
  fs.copyFileSync(src, path.join(OUT, 'config.json'));
} else {
  // Always one, so the page's fetch never 404s (a console error the tests rightly refuse).
  fs.writeFileSync(path.join(OUT, 'config.json'), JSON.stringify({ lessons: 'lessons/' }) + '\n');
}
const lessonFiles = [];
const copyLessons = (src, rel) => {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    if (e.name === 'solution.json' || e.name === 'solution' || e.name === 'test' || e.name.startsWith('.')) continue;
    const s = path.join(src, e.name);
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) copyLessons(s, r);
    else if (e.isFile()) {
      fs.mkdirSync(path.join(OUT, 'lessons', path.dirname(r)), { recursive: true });
      fs.copyFileSync(s, path.join(OUT, 'lessons', r));
      lessonFiles.push(`lessons/${r}`);
    }
  }
};
fs.rmSync(path.join(OUT, 'lessons'), { recursive: true, force: true });
if (fs.existsSync(LESSONS_DIR)) copyLessons(LESSONS_DIR, '');

// 6. service worker, with the app shell to precache (not the image chunks: they are
// cached as the engine fetches them)
const shell = ['./', 'index.html', 'favicon.svg', 'config.json'];
for (const out of [...Object.keys(workers.metafile.outputs), ...Object.keys(app.metafile.outputs), ...Object.keys(lib.metafile.outputs)]) {
  if (out.endsWith('.map')) continue;
  shell.push(path.relative(OUT, path.join(ROOT, out)).split(path.sep).join('/'));
}
if (haveEngine) shell.push(...engineFiles.map((f) => `engine/${f}`));
if (haveInspector) shell.push(...inspectorFiles.map((f) => `engine/${f}`));
if (image) shell.push('image/manifest.json');
shell.push(...lessonFiles); // lessons work offline once the page has loaded
let sw = fs.readFileSync(path.join(ROOT, 'web/sw.js'), 'utf8');
sw = sw.replace("'__BUILD_ID__'", JSON.stringify(buildId)).replace("['__PRECACHE__']", JSON.stringify(shell));
fs.writeFileSync(path.join(OUT, 'sw.js'), sw);

// 7. what was built
const sizes = {};
for (const f of fs.readdirSync(path.join(OUT, 'assets'))) sizes[f] = fs.statSync(path.join(OUT, 'assets', f)).size;
const info = { build: buildId, dev, app: appJs, css: appCssRel, editorWorker, engineWorker, engine: haveEngine, inspector: haveInspector, image, sizes };
fs.writeFileSync(path.join(OUT, 'build.json'), JSON.stringify(info, null, 1) + '\n');

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
log(`site: ${path.relative(ROOT, OUT)}/ (${dev ? 'dev' : 'release'}, build ${buildId}, ${Date.now() - t0} ms)`);
for (const [f, n] of Object.entries(sizes)) if (!f.endsWith('.map')) log(`  assets/${f}  ${kib(n)}`);
log(`  engine: ${haveEngine ? `${dev ? 'linked' : 'copied'} from ${path.relative(ROOT, ENGINE_DIR)}/` : `not built (no ${path.relative(ROOT, ENGINE_DIR)}/glassbox_web.{js,wasm}): the page will say so`}`);
log(`  lessons: ${lessonFiles.length} files`);
log(`  image: ${image ? `${image.id.slice(0, 19)}…, ${image.chunks} chunk files, ${dev ? 'linked' : `${image.linked} hard-linked`}` : `not built (no ${path.relative(ROOT, manifestPath)})`}`);
if (image?.previous) log(`  previous image ${image.previous.id.slice(0, 19)}…: ${image.previous.chunks} chunk files it alone names kept (${(image.previous.bytes / 1048576).toFixed(1)} MiB)`);

// A class's own site (issue 16, item 1): `tools/site build` of a Dockerfile that adds a
// package (lua5.4) with a lessons folder and a title, served by a plain static server with
// no special headers (python3 -m http.server: no COOP/COEP, so the service worker must make
// the page cross-origin isolated). Headless Chromium boots it to the prompt, runs `lua -v`,
// finds the title and the start lesson open, and passes the lesson's check.
//
// The class image is built as an UPDATE of the default site's image (`--previous
// build/site/image`, issue 16 item 2): it keeps that image's layout, so the figure
// "chunks changed after adding one package" comes from this real Dockerfile build
// (`mkimage diff`, written to build/test-artifacts/site-update.json), and the class site
// keeps the default image's other chunks (students' "Download my files").
//
// Skipped (with the reason) when the default site cannot be built here (no engine, no
// image). The class image build needs deb.debian.org (as the default image does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { launch } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, run, waitTerm } from './lib/terminal.mjs';

const OUT = path.join(ROOT, 'build/site-class');
const PREVIOUS = path.join(ROOT, 'build/site/image');
const skip = siteSkipReason(path.join(ROOT, 'build/site'));
let server;
let ctx;
let url;

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

before(async () => {
  if (skip) return;
  const t0 = Date.now();
  const log = execFileSync(
    'tools/site',
    ['build', 'tests/site/class', '--out', OUT, '--lessons', 'tests/site/lessons', '--title', 'Class test', '--start-lesson', 'lua-hello', '--previous', PREVIOUS],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 },
  );
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'site-class-build.log'), log);
  console.log(`class site built in ${Math.round((Date.now() - t0) / 1000)} s:\n${log.split('\n').filter((l) => l.startsWith('site:') || l.startsWith('  ')).join('\n')}`);
  const port = await freePort();
  server = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port), '-d', OUT], { stdio: 'ignore' });
  url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  ctx = await launch();
});

after(async () => {
  await ctx?.close();
  server?.kill();
});

test('the site folder is self-contained: real files, a config, lessons without solutions', { skip }, () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(OUT, 'config.json'), 'utf8'));
  assert.deepEqual(cfg, { lessons: 'lessons/', title: 'Class test', startLesson: 'lua-hello' });
  assert.ok(fs.existsSync(path.join(OUT, 'lessons/lua-hello/lesson.json')));
  assert.ok(fs.existsSync(path.join(OUT, 'engine/glassbox_web.wasm')));
  const chunk = fs.readdirSync(path.join(OUT, 'image/chunks'))[0];
  assert.equal(fs.statSync(path.join(OUT, 'image/chunks', chunk)).nlink, 1, 'chunks are copies, not links into the build cache');
});

test('an update that adds one package: few chunks change, the previous image\'s chunks stay served', { skip }, () => {
  const diff = JSON.parse(execFileSync('tools/mkimage/mkimage', ['diff', '--json', PREVIOUS, path.join(OUT, 'image')], { cwd: ROOT, encoding: 'utf8' }));
  fs.writeFileSync(path.join(ARTIFACTS, 'site-update.json'), JSON.stringify(diff, null, 2) + '\n');
  console.log(`update (lua5.4 added): ${diff.changed_chunks} of ${diff.new_stored_chunks} chunks changed (${(100 * diff.changed_fraction).toFixed(1)} %), ${(diff.changed_bytes / 1048576).toFixed(1)} MiB to fetch`);
  assert.equal(diff.same_lineage, true);
  assert.ok(diff.changed_fraction < 0.1, `${(100 * diff.changed_fraction).toFixed(1)} % of the chunks changed`);
  const served = new Set(fs.readdirSync(path.join(OUT, 'image/chunks')));
  const prev = JSON.parse(fs.readFileSync(path.join(PREVIOUS, 'manifest.json'), 'utf8'));
  const missing = prev.chunks.filter((c) => c && !served.has(c.hash)).length;
  assert.equal(missing, 0, 'every chunk of the previous image is served by the new site');
});

test('served by python3 -m http.server (no special headers): boots, runs lua, opens the class lesson and checks it', { skip, timeout: 600_000 }, async () => {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(url);
  // The service worker reloads the page once to make it cross-origin isolated: poll
  // through that navigation.
  const end = Date.now() + 60_000;
  for (;;) {
    const ok = await page.evaluate(() => window.crossOriginIsolated && window.glassbox !== undefined).catch(() => false);
    if (ok) break;
    if (Date.now() > end) throw new Error('the page never became cross-origin isolated');
    await new Promise((r) => setTimeout(r, 200));
  }
  await waitTerm(page, PROMPT, 240_000);
  assert.match(await page.title(), /^Class test — Glassbox/);
  await run(page, 'lua -v', /Lua 5\.4[^]*\$ ?$/);
  await page.waitForFunction(() => window.glassbox.lessons?.state.current === 'lua-hello', null, { timeout: 60_000 });
  // Opening places the lesson's starting files, then checks: write the answer after that.
  await page.waitForFunction(() => window.glassbox.lessons.firstResultMs > 0, null, { timeout: 120_000 });
  await page.evaluate(() => window.glassbox.client.write('/home/student/lessons/lua-hello/hello.lua', 'print("hello, lua")\n'));
  const results = await page.evaluate(() => window.glassbox.lessons.runChecks());
  assert.deepEqual(results.map((r) => [r.ok, r.message]), [[true, '`lua hello.lua` printed the expected output']]);
  await page.close();
});

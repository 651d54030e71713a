// The warm-up (docs/ide.md, "Chunks"; ide/src/worker/net.ts WarmChunks) in headless
// Chromium, real engine and image, through the site's bench page (web/examples/bench.html,
// the API): once a machine is at its first prompt, the worker fetches the chunks of the
// image's warm.json (the files of web/warm-paths.txt) in the background; the first
// `gcc hello.c -o hello && ./hello` then runs with next to no chunk fetched on demand. A
// machine made with `warm: false` (?warm=off) fetches them on demand, as before; gcc typed
// right at the prompt waits for the chunks the helper has in flight rather than asking
// again. Each machine in a fresh profile (an empty HTTP and service-worker cache).
//
// Figures to build/test-artifacts/warm-figures.json (bench/ide_first.mjs measures the same
// with repeats). Skipped without engine or image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, BASE_URL, launch } from './lib/browser.mjs';
import { ROOT, siteSkipReason } from './lib/paths.mjs';

const SITE = path.join(ROOT, 'build/site');
const skip = siteSkipReason(SITE) || (!fs.existsSync(path.join(SITE, 'image/warm.json')) && 'the site has no image/warm.json (web/warm-paths.txt)');
const GCC = ['/bin/sh', '-c', 'cd /tmp && gcc /home/student/examples/hello.c -o hello && ./hello'];
const figures = {};

async function firstGcc(warm, wait = warm === 'on') {
  const ctx = await launch();
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(new URL(`examples/bench.html?warm=${warm}`, BASE_URL).href, { waitUntil: 'load' });
    await page.waitForFunction(() => window.glassboxBench !== undefined, null, { timeout: 60_000 });
    await page.evaluate(() => window.glassboxBench.boot('off'));
    const disk = () => page.evaluate(() => window.glassboxBench.disk('off'));
    if (wait) await page.waitForFunction(() => window.glassboxBench.disk('off')?.warmDone, null, { timeout: 120_000 });
    else if (warm === 'off') await page.waitForTimeout(1000);
    const d0 = (await disk()) ?? { chunksFetched: 0, warmFetched: 0, warmTotal: 0 };
    const r = await page.evaluate((a) => window.glassboxBench.run('off', a, { cwd: '/tmp' }), GCC);
    await page.waitForFunction((n) => (window.glassboxBench.disk('off')?.chunksFetched ?? 0) >= n, d0.chunksFetched, { timeout: 5000 });
    await page.waitForTimeout(300); // (the last 'disk' event: at most every 100 ms)
    const d1 = await disk();
    assert.deepEqual(errors, []);
    return { status: r.status, stdout: r.stdout, ms: r.ms, onDemand: (d1?.chunksFetched ?? 0) - d0.chunksFetched, warmFetched: d0.warmFetched, warmTotal: d0.warmTotal };
  } finally {
    await ctx.close();
  }
}

test('warm-up: after the first prompt the worker fetches warm.json\'s chunks; the first gcc hello then waits on next to none', { skip, timeout: 600_000 }, async () => {
  const list = JSON.parse(fs.readFileSync(path.join(SITE, 'image/warm.json'), 'utf8'));
  const on = await firstGcc('on');
  assert.equal(on.status, 0, JSON.stringify(on));
  assert.match(on.stdout, /Hello from C/);
  // every listed chunk the boot had not fetched itself (those are skipped), all of them arrived
  assert.ok(on.warmTotal > list.chunks.length / 2 && on.warmTotal <= list.chunks.length, JSON.stringify({ on, listed: list.chunks.length }));
  assert.equal(on.warmFetched, on.warmTotal);
  assert.ok(on.onDemand <= 15, `chunks fetched on demand by the first gcc after the warm-up: ${on.onDemand}`);
  const off = await firstGcc('off');
  assert.equal(off.status, 0, JSON.stringify(off));
  assert.match(off.stdout, /Hello from C/);
  assert.equal(off.warmFetched, 0);
  assert.ok(off.onDemand > 100, `without the warm-up the first gcc fetches its chunks on demand: ${off.onDemand}`);
  // typed at once: gcc runs while the helper fetches; the chunks in flight are waited for
  // (worker/warm.ts take), not requested again
  const now = await firstGcc('on', false);
  assert.equal(now.status, 0, JSON.stringify(now));
  assert.match(now.stdout, /Hello from C/);
  assert.ok(now.onDemand < off.onDemand, `typed at once, the helper's chunks spare some requests: ${now.onDemand} of ${off.onDemand}`);
  Object.assign(figures, { listed: list.chunks.length, listedBytes: list.bytes, on, off, typedAtOnce: now });
  console.log(`warm-up: first gcc hello ${on.ms.toFixed(0)} ms with ${on.onDemand} chunks on demand (warmed ${on.warmFetched}); without: ${off.ms.toFixed(0)} ms, ${off.onDemand} on demand; typed at once: ${now.ms.toFixed(0)} ms, ${now.onDemand} on demand`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'warm-figures.json'), JSON.stringify(figures, null, 2) + '\n');
});

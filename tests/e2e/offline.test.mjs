// Offline (issue 16 item 4; docs/offline.md) in headless Chromium, one profile:
//   1. first visit online: the IDE boots (the service worker installs and claims the page;
//      the engine worker, started before, keeps the chunks it fetches itself) and compiles
//      hello.c and runs python3;
//   2. "Offline" in the toolbar: the dialog gives the size to download; Download fills the
//      chunk cache with a progress bar; here it is closed after 40 pieces (the whole image
//      takes ~80 s on this machine; GLASSBOX_OFFLINE_FULL=1 waits for "available offline")
//      and what it stored stays;
//   3. the context goes offline, the page reloads: the IDE boots from the service worker's
//      cache, opens a lesson, and compiles and runs hello.c and runs python3 again.
// Skipped without engine or image. Figures to build/test-artifacts/offline-figures.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, BASE_URL, launch, screenshot, watchConsole } from './lib/browser.mjs';
import { ROOT, siteSkipReason } from './lib/paths.mjs';

const skip = siteSkipReason(path.join(ROOT, 'build/site'));
let ctx;
before(async () => {
  if (!skip) ctx = await launch();
});
after(async () => {
  await ctx?.close();
});

test('after one visit, the IDE boots, opens a lesson and compiles with the network off', { skip, timeout: 600_000 }, async () => {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const { waitFor } = watchConsole(page, 180_000);
  const booted = () => window.glassbox?.machineState === 'running' && window.glassbox.bootStats.firstPromptMs > 0;

  const build = () =>
    page.evaluate(async () => {
      const c = window.glassbox.client;
      await c.write('/home/student/offline.c', '#include <stdio.h>\nint main(void) { puts("hello offline"); return 0; }\n');
      const gcc = await c.exec({ argv: ['/bin/sh', '-c', 'cd /home/student && gcc offline.c -o offline && ./offline'], timeoutMs: 120_000 });
      const py = await c.exec({ argv: ['/usr/bin/python3', '-c', 'import json; print(json.dumps({"six": 6 * 7}))'], timeoutMs: 60_000 });
      return { gcc, py };
    });
  const full = process.env.GLASSBOX_OFFLINE_FULL === '1';

  await page.goto(BASE_URL, { waitUntil: 'load' });
  await waitFor(booted);
  const online = await build();
  assert.equal(online.gcc.stdout, 'hello offline\n', online.gcc.stderr);
  await waitFor(() => !!navigator.serviceWorker.controller);

  // "Offline": the size first, then the download with its progress bar
  await page.click('#btn-offline');
  await waitFor(() => ['ready', 'done', 'error'].includes(document.getElementById('offline-dialog').dataset.state), null, 60_000);
  const planText = await page.textContent('#offline-text');
  assert.equal(await page.getAttribute('#offline-dialog', 'data-state'), 'ready', planText);
  assert.match(planText, /downloads and keeps [\d.]+ (MiB|KiB) more \(\d+ pieces\)/);
  const plan = await page.evaluate(async () => {
    const p = await window.glassbox.offline.plan();
    return { total: p.totalChunks, missing: p.missing.length, missingBytes: p.missingBytes, totalBytes: p.totalBytes };
  });
  assert.ok(plan.total - plan.missing > 100, `the first visit cached the chunks it touched (${plan.total - plan.missing})`);
  const t0 = Date.now();
  await page.click('#offline-go');
  let downloadMs = 0;
  if (full) {
    await waitFor(() => ['done', 'error'].includes(document.getElementById('offline-dialog').dataset.state), null, 300_000);
    downloadMs = Date.now() - t0;
    const doneText = await page.textContent('#offline-text');
    assert.equal(await page.getAttribute('#offline-dialog', 'data-state'), 'done', doneText);
    assert.match(await page.getAttribute('#offline-bar', 'style'), /width: 100%/);
    assert.equal(await page.evaluate(async () => (await window.glassbox.offline.plan()).missing.length), 0);
  } else {
    await waitFor(() => /\((4\d|[5-9]\d|\d{3,}) of \d+ pieces\)/.test(document.getElementById('offline-text').textContent), null, 120_000);
  }
  await screenshot(page, 'offline-dialog');
  await page.click('#offline-dialog button[value=close]');
  const left = await page.evaluate(async () => (await window.glassbox.offline.plan()).missing.length);
  assert.ok(left <= plan.missing - 40, `what the download stored stays (${plan.missing} missing before, ${left} after)`);

  // the network off: boot again from the service worker's cache
  await ctx.setOffline(true);
  const t1 = Date.now();
  await page.reload({ waitUntil: 'load' });
  await waitFor(booted);
  const offlineBootMs = Date.now() - t1;
  assert.equal(await page.evaluate(() => navigator.onLine), false);
  await page.evaluate(() => window.glassbox.lessons.ready);
  await page.evaluate(() => window.glassbox.lessons.open('c-hello', 0));
  await waitFor(() => window.glassbox.lessons.state.current === 'c-hello', null, 30_000);
  const r = await build();
  assert.equal(r.gcc.stdout, 'hello offline\n', r.gcc.stderr);
  assert.equal(r.gcc.code, 0);
  assert.equal(r.py.stdout, '{"six": 42}\n', r.py.stderr);
  await ctx.setOffline(false);

  const figures = { chunks: plan.total, touchedOnFirstVisit: plan.total - plan.missing, downloadBytes: plan.missingBytes, imageBytes: plan.totalBytes, downloadMs, offlineBootMs, gccMs: r.gcc.ms };
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'offline-figures.json'), JSON.stringify(figures, null, 1) + '\n');
  console.log(`# offline: ${JSON.stringify(figures)}`);
});

// The preview (docs/preview.md) with the real engine: `python3 -m http.server 8000` typed in
// the terminal is listed in the Preview tab, opened in its iframe (the directory listing of
// /home/student), index.html saved from Monaco shows after a reload, a directory without its
// slash redirects inside port/8000/ (the Location header rewritten), a port nobody listens
// on answers 502 ECONNREFUSED, and the same URL works in a second tab of the same browser.
//
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openIde, screenshot, BASE_URL } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, run, waitTerm } from './lib/terminal.mjs';

const skip = siteSkipReason(path.join(ROOT, 'build/site'));
const BOOT_TIMEOUT = 180_000;
let ctx;
let page;

before(async () => {
  if (skip) return;
  ctx = await launch();
  page = await openIde(ctx, BASE_URL, { waitFor: 'page' });
  await waitTerm(page, PROMPT, BOOT_TIMEOUT);
});

after(async () => {
  if (page?.errors?.length) console.log('page errors:', page.errors);
  await ctx?.close();
});

/** The text of the preview iframe's document ('' while it loads). */
const frameText = () =>
  page.evaluate(() => {
    try {
      return document.getElementById('preview-frame').contentDocument?.body?.innerText ?? '';
    } catch {
      return '';
    }
  });

async function waitFrame(re, timeout = 60_000) {
  const end = Date.now() + timeout;
  let t = '';
  while (Date.now() < end) {
    t = await frameText();
    if (re.test(t)) return t;
    await page.waitForTimeout(100);
  }
  throw new Error(`the preview never showed ${re}:\n${t.slice(0, 1000)}`);
}

test('python3 -m http.server 8000: listed, opened in the preview, edited, reloaded; a second tab', { skip }, async () => {
  await run(page, 'mkdir -p site/sub && echo from-sub > site/sub/x.txt && echo marker > listed-here.txt && head -c 8000000 /dev/zero > big.bin', PROMPT);
  await run(page, 'python3 -m http.server 8000', /Serving HTTP on .* port 8000/, 120_000);
  await page.evaluate(() => window.glassbox.preview.show());
  await page.waitForFunction(() => window.glassbox.preview.ports.some((p) => p.port === 8000), null, { timeout: 30_000 });
  const ports = await page.evaluate(() => window.glassbox.preview.ports);
  const p8000 = ports.find((p) => p.port === 8000);
  assert.match(p8000.command, /python3 -m http\.server 8000/);
  assert.ok(p8000.pid > 0);
  // the directory listing of the student's home, in the iframe
  await waitFrame(/Directory listing for \/[^]*listed-here\.txt/);
  await screenshot(page, 'preview-listing');

  // index.html from Monaco (Ctrl-S), then the reload button
  await page.evaluate(() => window.glassbox.debug.openFile('/home/student/index.html', ''));
  await page.evaluate(() => window.glassbox.editor.editor.getModel().setValue('<!doctype html><title>mine</title><h1>Hello from the machine</h1><a href="site/sub/x.txt">relative</a>\n'));
  await page.click('#editor .monaco-editor .view-lines');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => /saved \/home\/student\/index\.html/.test(document.getElementById('st-message').textContent), null, { timeout: 30_000 });
  await page.click('#preview-reload');
  await waitFrame(/Hello from the machine/);
  // a relative link stays under port/8000/
  await page.evaluate(() => document.getElementById('preview-frame').contentDocument.querySelector('a').click());
  await waitFrame(/^from-sub/);
  await screenshot(page, 'preview-edited');

  // a redirect (directory without its slash) stays under port/8000/; a closed port is a 502
  const r = await page.evaluate(async (u) => {
    const a = await fetch(u.dir);
    const b = await fetch(u.closed);
    return { url: a.url, status: a.status, text: await a.text(), closed: b.status, closedText: await b.text(), coep: a.headers.get('cross-origin-embedder-policy') };
  }, { dir: await page.evaluate(() => window.glassbox.preview.url(8000, '/site/sub')), closed: await page.evaluate(() => window.glassbox.preview.url(8001, '/')) });
  assert.match(r.url, /\/port\/8000\/site\/sub\/$/);
  assert.equal(r.status, 200);
  assert.match(r.text, /x\.txt/);
  assert.equal(r.coep, 'require-corp');
  assert.equal(r.closed, 502);
  assert.match(r.closedText, /ECONNREFUSED/);

  // figures: a small file's round trip (median of 5) and an 8 MB file's throughput
  const fig = await page.evaluate(async (u) => {
    const small = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await (await fetch(u.small, { cache: 'no-store' })).text();
      small.push(performance.now() - t0);
    }
    const t0 = performance.now();
    const bytes = (await (await fetch(u.big, { cache: 'no-store' })).arrayBuffer()).byteLength;
    return { smallMs: small.sort((a, b) => a - b)[2], bigBytes: bytes, bigMs: performance.now() - t0 };
  }, { small: await page.evaluate(() => window.glassbox.preview.url(8000, '/listed-here.txt')), big: await page.evaluate(() => window.glassbox.preview.url(8000, '/big.bin')) });
  assert.equal(fig.bigBytes, 8_000_000);
  fig.bigMBps = Math.round((fig.bigBytes / 1e6 / (fig.bigMs / 1000)) * 10) / 10;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'preview-figures.json'), JSON.stringify(fig, null, 2) + '\n');
  console.log('preview figures:', JSON.stringify(fig));

  // the same URL in a second tab of the same browser
  const second = await ctx.newPage();
  await second.goto(await page.evaluate(() => window.glassbox.preview.url(8000, '/')), { waitUntil: 'load' });
  assert.match(await second.evaluate(() => document.body.innerText), /Hello from the machine/);
  await second.close();

  // the server stops: the port leaves the list
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.press('Control+c');
  await waitTerm(page, PROMPT, 30_000);
  await page.waitForFunction(() => !window.glassbox.preview.ports.some((p) => p.port === 8000), null, { timeout: 30_000 });
});

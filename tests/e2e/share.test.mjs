// Share links against the real engine in headless Chromium (issue 16, item 5): open two
// files in the editor, make the link (window.glassbox.share.link), open it in a new tab:
// the files arrive in a fresh ~/shared/<when>/ folder with their text (unsaved edits
// included), the first opens in the editor, the lesson step opens, and the fragment is
// gone from the address bar. Opening the same link again makes another folder (never over
// the first). A damaged link opens the IDE as usual with a clear message.
//
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE_URL, launch } from './lib/browser.mjs';
import { ROOT, siteSkipReason } from './lib/paths.mjs';

const skip = siteSkipReason(path.join(ROOT, 'build/site'));
let ctx;

const consoleLines = [];
async function open(url) {
  const page = await ctx.newPage(); // a tab of its own (openIde would reuse the first one)
  await page.goto(url, { waitUntil: 'load' });
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.waitForFunction(() => window.glassbox.machineState === 'running' && window.glassbox.bootStats.firstPromptMs > 0, null, { timeout: 180_000 });
  return page;
}
const waitFor = async (page, fn, timeout) => {
  try {
    await page.waitForFunction(fn, null, { timeout });
  } catch (e) {
    throw new Error(`${e.message}\npage console:\n${consoleLines.slice(-30).join('\n')}`);
  }
};

before(async () => {
  if (!skip) ctx = await launch();
});
after(async () => {
  await ctx?.close();
});

test('a share link carries the open files into a fresh folder of another tab', { skip, timeout: 600_000 }, async () => {
  const a = await open(BASE_URL);
  const dir = '/home/student/proj';
  await a.evaluate(async (d) => {
    const c = window.glassbox.client;
    await c.mkdir(d).catch(() => {});
    await c.write(`${d}/main.c`, '#include "util.h"\nint main(void) { return util(); }\n');
    await c.write(`${d}/util.h`, 'static int util(void) { return 0; }\n');
  }, dir);
  await a.evaluate((d) => {
    window.glassbox.debug.openFile(`${d}/util.h`, 'static int util(void) { return 0; }\n');
    window.glassbox.debug.openFile(`${d}/main.c`, '#include "util.h"\nint main(void) { return util() + 0; } /* edited, not saved */\n');
  }, dir);
  const link = await a.evaluate(() => window.glassbox.share.link());
  assert.match(link, /#share=1\.[A-Za-z0-9_-]+$/);
  assert.ok(!link.includes('util'), 'the text is packed, not in clear');

  const b = await open(link);
  await waitFor(b, () => window.glassbox.share.received !== null, 60_000);
  const got = await b.evaluate(() => window.glassbox.share.received);
  assert.match(got.folder, /^\/home\/student\/shared\/\d{4}-\d\d-\d\d-\d{6}$/);
  assert.deepEqual([...got.files].sort(), ['main.c', 'util.h']);
  const text = await b.evaluate(async (f) => new TextDecoder().decode(await window.glassbox.client.read(`${f}/main.c`)), got.folder);
  assert.match(text, /edited, not saved/);
  assert.equal(await b.evaluate(() => location.hash), '', 'the fragment is dropped once imported');
  const r = await b.evaluate((f) => window.glassbox.client.exec({ argv: ['/bin/sh', '-c', 'gcc main.c -o m && ./m'], cwd: f, timeoutMs: 180_000 }), got.folder);
  assert.equal(r.code, 0, `${r.signal ?? ''} ${r.timedOut ? 'timed out' : ''} ${r.stderr}`);

  const c = await open(link);
  await waitFor(c, () => window.glassbox.share.received !== null, 60_000);
  const again = await c.evaluate(() => window.glassbox.share.received);
  assert.notEqual(again.folder, got.folder, 'a second import never lands on the first');
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('a link pasted into an open IDE (only the fragment changes) is imported too', { skip }, async () => {
  const p = await open(BASE_URL);
  const frag = await p.evaluate(async () => {
    window.glassbox.debug.openFile('/home/student/pasted.txt', 'pasted\\n');
    return new URL(await window.glassbox.share.link()).hash;
  });
  await p.evaluate((h) => (location.hash = h), frag);
  await waitFor(p, () => window.glassbox.share.received !== null, 60_000);
  assert.deepEqual((await p.evaluate(() => window.glassbox.share.received)).files, ['pasted.txt']);
  await p.close();
});

test('a damaged share link says so and the IDE works as usual', { skip }, async () => {
  const p = await open(new URL('#share=1.AAAA-not-really', BASE_URL).href);
  await waitFor(p, () => window.glassbox.share.error !== '', 30_000);
  assert.match(await p.evaluate(() => window.glassbox.share.error), /damaged/);
  assert.equal(await p.evaluate(() => window.glassbox.share.received), null);
  await p.close();
});

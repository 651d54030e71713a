// The real engine in the real page: boots the default image (build/image) with the engine's
// browser module (build-wasm-web/glassbox_web.{js,wasm}) to the bash prompt, runs commands
// in the terminal, writes hello.c through the editor (Ctrl-S), compiles and runs it with
// the image's gcc, and finds the file again after a reload (the overlay in IndexedDB).
// Full-screen programs: less and vim.tiny on the alternate screen.
//
// It also measures, in headless Chromium on localhost (its own dev server with --log, which
// counts the body bytes of every response):
//   * time from navigation to the first prompt, cold (fresh profile: empty HTTP cache, no
//     service worker) and warm (a reload: HTTP cache + service worker cache);
//   * bytes downloaded before the prompt (server side) and bytes the worker fetched;
//   * time for `gcc hello.c -o hello && ./hello` to print.
// GLASSBOX_BOOT_RUNS=5 repeats the cold and warm boots and reports medians. The figures are
// printed and written to build/test-artifacts/engine-figures.json.
//
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openIde, screenshot } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, run as runIn, termText as termTextOf, waitTerm as waitTermOf } from './lib/terminal.mjs';

const SITE = path.join(ROOT, 'build/site');
const RUNS = Math.max(1, Number(process.env.GLASSBOX_BOOT_RUNS || 1));
const BOOT_TIMEOUT = 180_000;
const HELLO = '#include <stdio.h>\n\nint main(void) {\n    printf("hello from gcc in the browser\\n");\n    return 0;\n}\n';

const skip = siteSkipReason(SITE);

let server;
let serverLog = '';
let url;
let ctx;
let page;
const figures = { runs: RUNS, cold: [], warm: [], gcc: [] };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
/** Body bytes the server sent since log offset `from`. */
const bytesSince = (from) =>
  serverLog
    .slice(from)
    .split('\n')
    .reduce((n, l) => n + (Number((/ (\d+)B$/.exec(l) || [])[1]) || 0), 0);

const termText = (p = page) => termTextOf(p);
const waitTerm = (re, timeout = 60_000, p = page) => waitTermOf(p, re, timeout);
/** Types a command line and waits until `re` matches the text after it. */
const run = (cmd, re, timeout = 60_000) => runIn(page, cmd, re, timeout);

/** Waits for the first prompt of a page load; returns its figures. */
async function bootFigures(p, logFrom) {
  await p.waitForFunction(() => window.glassbox?.bootStats?.firstPromptMs > 0, null, { timeout: BOOT_TIMEOUT });
  await waitTerm(PROMPT, BOOT_TIMEOUT, p);
  const s = await p.evaluate(() => ({ ...window.glassbox.bootStats }));
  return { firstPromptMs: Math.round(s.firstPromptMs), workerBytes: s.bytesFetched, chunks: s.chunksFetched, downloadedBytes: bytesSince(logFrom) };
}

before(async () => {
  if (skip) return;
  server = spawn(process.execPath, ['web/server.mjs', '--port', '0', '--root', SITE, '--log'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  server.stdout.on('data', (d) => (serverLog += d));
  url = await new Promise((resolve, reject) => {
    const iv = setInterval(() => {
      const m = /Glassbox IDE: (http:\/\/\S+)/.exec(serverLog);
      if (m) {
        clearInterval(iv);
        resolve(m[1]);
      }
    }, 20);
    server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
});

after(async () => {
  if (page?.errors?.length) console.log('page errors:', page.errors);
  await ctx?.close();
  server?.kill();
  if (skip) return;
  const summary = {
    ...figures,
    median: {
      coldFirstPromptMs: median(figures.cold.map((f) => f.firstPromptMs)),
      coldDownloadedBytes: median(figures.cold.map((f) => f.downloadedBytes)),
      warmFirstPromptMs: median(figures.warm.map((f) => f.firstPromptMs)),
      warmDownloadedBytes: median(figures.warm.map((f) => f.downloadedBytes)),
      gccHelloMs: median(figures.gcc),
    },
  };
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'engine-figures.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log('engine figures:', JSON.stringify(summary.median));
});

test('cold boot: the default image reaches the bash prompt; `echo hi` prints hi', { skip }, async () => {
  for (let i = 0; i < RUNS; i++) {
    await ctx?.close();
    ctx = await launch();
    const from = serverLog.length;
    page = await openIde(ctx, url, { waitFor: 'page' });
    figures.cold.push(await bootFigures(page, from));
  }
  assert.equal(await page.evaluate(() => window.glassbox.machineState), 'running');
  const r = await run('echo hi', /\r?\nhi\n[^]*\$ ?$/);
  assert.match(r.text, /echo hi\nhi\n/);
  await screenshot(page, 'engine-prompt');
});

test('the terminal is a real pty: tty, window size, uid', { skip }, async () => {
  const size = await page.evaluate(() => `${window.glassbox.terminal.rows} ${window.glassbox.terminal.cols}`);
  const r = await run("tty; stty size; id -un; pwd", /\$ ?$/);
  assert.match(r.text, /\/dev\/pts\/0\n/);
  assert.match(r.text, new RegExp(`\\n${size}\\n`));
  assert.match(r.text, /\nstudent\n\/home\/student\n/);
});

test('timers and signals: sleep 1 wakes on time, Ctrl-C interrupts a foreground program', { skip }, async () => {
  const s = await run('sleep 1; echo slept', /\nslept\n[^]*\$ ?$/, 30_000);
  assert.ok(s.ms >= 900 && s.ms < 15_000, `sleep 1 took ${s.ms} ms`);
  await page.keyboard.type('sleep 100\n');
  await page.waitForTimeout(1000);
  const t0 = Date.now();
  await page.keyboard.press('Control+c');
  await waitTerm(/sleep 100\n\^C\n[^]*\$ ?$/, 15_000);
  assert.ok(Date.now() - t0 < 10_000);
});

test('hello.c written through the editor (Ctrl-S) compiles with gcc and runs in the terminal', { skip }, async () => {
  await page.evaluate((text) => window.glassbox.debug.openFile('/home/student/hello.c', text), '');
  await page.evaluate((text) => window.glassbox.editor.editor.getModel().setValue(text), HELLO);
  await page.click('#editor .monaco-editor .view-lines');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('// saved from Monaco\n');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => /saved \/home\/student\/hello\.c/.test(document.getElementById('st-message').textContent), null, { timeout: 30_000 });
  const cat = await run('cat hello.c', /saved from Monaco\n[^]*\$ ?$/);
  assert.match(cat.text, /printf\("hello from gcc in the browser\\n"\);/);
  await page.waitForSelector('#tree .tree-row[data-path="/home/student/hello.c"]', { timeout: 30_000 });

  const gcc = await run('gcc hello.c -o hello && ./hello', /hello from gcc in the browser\n/, 300_000);
  figures.gcc.push(gcc.ms);
  await waitTerm(PROMPT);
  for (let i = 1; i < RUNS; i++) figures.gcc.push((await run('rm -f hello; gcc hello.c -o hello && ./hello', /hello from gcc in the browser\n/, 300_000)).ms);
  await waitTerm(PROMPT);
  await screenshot(page, 'engine-gcc-hello');
});

test('a reload keeps hello.c and the compiled program (overlay in IndexedDB); warm boot', { skip }, async () => {
  // let the idle flush reach IndexedDB
  await page.waitForFunction(() => /changed blocks kept/.test(document.getElementById('st-overlay').textContent), null, { timeout: 30_000 });
  for (let i = 0; i < RUNS; i++) {
    const from = serverLog.length;
    await page.reload({ waitUntil: 'load' });
    figures.warm.push(await bootFigures(page, from));
  }
  const r = await run('cat hello.c && ./hello', /hello from gcc in the browser\n[^]*\$ ?$/);
  assert.match(r.text, /saved from Monaco/);
  const back = await page.evaluate(async () => new TextDecoder().decode(await window.glassbox.client.read('/home/student/hello.c')));
  assert.match(back, /^#include <stdio\.h>/);
  assert.match(back, /saved from Monaco/);
});

test('a broken build gives markers in the editor; a fixed build clears them', { skip }, async () => {
  const BROKEN = '#include <stdio.h>\n\nint main(void) {\n    int x = "text";\n    printf("%d\\n", x)\n    return 0;\n}\n';
  await page.evaluate((text) => window.glassbox.client.write('/home/student/broken.c', new TextEncoder().encode(text)), BROKEN);
  await page.waitForSelector('#tree .tree-row[data-path="/home/student/broken.c"]', { timeout: 30_000 });
  await page.click('#tree .tree-row[data-path="/home/student/broken.c"]');
  await page.waitForFunction(() => window.glassbox.editor.editor.getModel()?.uri.path === '/home/student/broken.c');
  await run('gcc -c broken.c', /error:[^]*\$ ?$/, 300_000);
  await page.waitForFunction(() => window.glassbox.editor.markersFor('/home/student/broken.c').length >= 2, null, { timeout: 30_000 });
  const markers = await page.evaluate(() =>
    window.glassbox.editor.markersFor('/home/student/broken.c').map((m) => ({ line: m.startLineNumber, sev: m.severity, msg: m.message })),
  );
  assert.ok(markers.some((m) => m.line === 4 && /initializ/.test(m.msg)), JSON.stringify(markers));
  assert.ok(markers.some((m) => m.line === 5 && m.sev === 8 && /expected .;. before/.test(m.msg)), JSON.stringify(markers));
  await screenshot(page, 'engine-markers');
  await run('sed -i "s/int x = \\"text\\";/int x = 1;/; s/x)$/x);/" broken.c && gcc -c broken.c && echo built-ok', /\nbuilt-ok\n[^]*\$ ?$/, 300_000);
  await page.waitForFunction(() => window.glassbox.editor.markersFor('/home/student/broken.c').length === 0, null, { timeout: 10_000 });
  // the editor shows the file as sed left it (re-read when the guest goes idle)
  await page.waitForFunction(() => /int x = 1;/.test(window.glassbox.editor.editor.getModel().getValue()), null, { timeout: 10_000 });
});

test('full-screen programs: less draws on the alternate screen and q returns to the prompt', { skip }, async () => {
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.type('seq 1 500 | less\n');
  await page.waitForFunction(() => window.glassbox.terminal.term.buffer.active.type === 'alternate', null, { timeout: 30_000 });
  await waitTerm(/(^|\n)1\n2\n3\n[^]*\n:$/, 15_000);
  await page.keyboard.press('q');
  await page.waitForFunction(() => window.glassbox.terminal.term.buffer.active.type === 'normal', null, { timeout: 30_000 });
  await waitTerm(PROMPT);
});

test('full-screen programs: vim.tiny edits a file on the alternate screen and :wq saves it', { skip }, async () => {
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.type('vim.tiny vimmed.txt\n');
  await page.waitForFunction(() => window.glassbox.terminal.term.buffer.active.type === 'alternate', null, { timeout: 30_000 });
  await waitTerm(/"vimmed\.txt"/, 30_000);  // vim's status line names the (new) file
  await page.keyboard.type('ihello from vim');
  await page.keyboard.press('Escape');
  await page.keyboard.type(':wq\n');
  await page.waitForFunction(() => window.glassbox.terminal.term.buffer.active.type === 'normal', null, { timeout: 30_000 });
  await waitTerm(PROMPT);
  const r = await run('cat vimmed.txt', /\nhello from vim\r?\n[^]*\$ ?$/);
  assert.match(r.text, /hello from vim/);
  await screenshot(page, 'engine-vim');
});

test('a guest past its memory budget (?mem=96): the OOM killer kills it with a line in the terminal; the shell goes on', { skip }, async () => {
  const u = new URL(url);
  u.searchParams.set('mem', '96');
  await page.goto(u.href, { waitUntil: 'load' });
  await waitTerm(PROMPT, BOOT_TIMEOUT);
  const hog = 'python3 -c "a = [bytes([i % 256]) * (1 << 20) for i in range(400)]"; echo status=$?';
  const r = await run(hog, /\nstatus=\d+\n[^]*\$ ?$/, 300_000);
  assert.match(r.text, /\[glassbox\] Out of memory: killed process \d+ \(python3[^)]*\), \d+ kB resident; guest memory budget 96 MiB/);
  assert.match(r.text, /\nstatus=137\n/);
  const a = await run('echo alive', /\nalive\n[^]*\$ ?$/);
  assert.match(a.text, /alive/);
  await screenshot(page, 'engine-oom');
  await page.goto(url, { waitUntil: 'load' });
  await waitTerm(PROMPT, BOOT_TIMEOUT);
});

test('Reset machine drops the student\'s files and boots a fresh machine', { skip }, async () => {
  await page.click('#btn-reset');
  await page.click('#reset-dialog button[value="reset"]');
  await page.waitForFunction(() => window.glassbox.machineState !== 'running', null, { timeout: 30_000 }).catch(() => undefined);
  await page.waitForFunction(() => window.glassbox.machineState === 'running', null, { timeout: BOOT_TIMEOUT });
  await waitTerm(PROMPT, BOOT_TIMEOUT);
  const r = await page.evaluate(() => window.glassbox.client.stat('/home/student/hello.c').then(() => 'exists', (e) => e.code));
  assert.equal(r, 'ENOENT');
  await run('ls', /\$ ?$/);
  assert.doesNotMatch(await termText(), /\nhello\.c/);
});

// The IDE page in headless Chromium against the dev server (GLASSBOX_URL, set by run.sh).
// These tests need no engine: layout, themes, panes, shortcuts, markers, boot status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, openIde, screenshot, BASE_URL } from './lib/browser.mjs';
import { ROOT } from './lib/paths.mjs';

let ctx;
let page;
const engineBuilt = fs.existsSync(`${ROOT}/build/site/engine/glassbox_web.wasm`);

before(async () => {
  ctx = await launch();
  page = await openIde(ctx);
});
after(async () => {
  if (page?.errors?.length) console.log('page errors:', page.errors);
  await ctx?.close();
});

test('page is cross-origin isolated with SharedArrayBuffer and WebAssembly', async () => {
  const r = await page.evaluate(() => ({
    isolated: window.crossOriginIsolated,
    sab: typeof SharedArrayBuffer === 'function',
    wasm: typeof WebAssembly === 'object',
    bootError: !document.getElementById('boot-error').hidden,
  }));
  assert.deepEqual(r, { isolated: true, sab: true, wasm: true, bootError: false });
});

test('layout renders: tree, editor, terminal, inspector and lessons placeholders, status bar', async () => {
  for (const sel of ['#tree', '#editor .monaco-editor', '#terminal .xterm', '#inspector', '#lessons', '#statusbar', '#toolbar']) {
    const box = await page.locator(sel).first().boundingBox();
    assert.ok(box && box.width > 50 && box.height > 20, `${sel} is visible (${JSON.stringify(box)})`);
  }
  assert.equal(await page.locator('#tab-inspector').textContent(), 'Inspector');
  assert.equal(await page.locator('#tab-preview').textContent(), 'Preview'); // docs/preview.md
  assert.equal(await page.locator('#lessons .pane-title').textContent(), 'Lessons');
  // left to right: tree | editor over terminal | inspector over lessons
  const tree = await page.locator('#pane-files').boundingBox();
  const editor = await page.locator('#editor').boundingBox();
  const term = await page.locator('#terminal').boundingBox();
  const insp = await page.locator('#inspector').boundingBox();
  const lessons = await page.locator('#lessons').boundingBox();
  assert.ok(tree.x + tree.width <= editor.x, 'tree left of the editor');
  assert.ok(editor.y + editor.height <= term.y, 'terminal below the editor');
  assert.ok(editor.x + editor.width <= insp.x, 'inspector right of the editor');
  assert.ok(insp.y + insp.height <= lessons.y, 'lessons below the inspector');
  const cols = await page.evaluate(() => [window.glassbox.terminal.cols, window.glassbox.terminal.rows]);
  assert.ok(cols[0] > 40 && cols[1] > 5, `terminal fitted to its pane: ${cols}`);
  await screenshot(page, `ide-${await page.evaluate(() => window.glassbox.theme)}`);
});

test('machine status: without an engine the page says so (and fakes nothing)', { skip: engineBuilt && 'the engine is built' }, async () => {
  const state = await page.evaluate(() => window.glassbox.machineState);
  assert.equal(state, 'engine-missing');
  assert.match(await page.locator('#st-machine-text').textContent(), /engine not built/);
  assert.match(await page.locator('#tree').textContent(), /No machine is running/);
  const termText = await page.evaluate(() => {
    const b = window.glassbox.terminal.term.buffer.active;
    let s = '';
    for (let i = 0; i < b.length; i++) s += b.getLine(i).translateToString(true) + '\n';
    return s;
  });
  assert.match(termText, /engine is not built/);
  assert.doesNotMatch(termText, /\$ $/m, 'no fake prompt');
});

test('theme toggle switches Monaco and xterm, and persists across reload', async () => {
  const read = () =>
    page.evaluate(() => ({
      theme: document.documentElement.dataset.theme,
      monacoBg: getComputedStyle(document.querySelector('#editor .monaco-editor-background') || document.querySelector('#editor .monaco-editor')).backgroundColor,
      monacoClass: document.querySelector('#editor .monaco-editor').className,
      xtermBg: window.glassbox.terminal.term.options.theme.background,
      xtermDom: getComputedStyle(document.querySelector('#terminal .xterm-screen canvas, #terminal .xterm-rows') ? document.querySelector('#terminal .xterm') : document.body).backgroundColor,
      saved: localStorage.getItem('glassbox.theme'),
    }));
  const before = await read();
  await page.click('#btn-theme');
  await page.waitForTimeout(200);
  const afterToggle = await read();
  assert.notEqual(afterToggle.theme, before.theme);
  assert.notEqual(afterToggle.monacoBg, before.monacoBg, 'Monaco background changed');
  assert.notEqual(afterToggle.xtermBg, before.xtermBg, 'xterm theme changed');
  assert.equal(afterToggle.saved, afterToggle.theme);
  const dark = afterToggle.theme === 'dark' ? afterToggle : before;
  assert.match(dark.monacoClass, /vs-dark/);
  assert.equal(dark.monacoBg, 'rgb(26, 29, 35)');
  assert.equal(dark.xtermBg, '#14171c');
  await screenshot(page, `ide-${afterToggle.theme}`);
  await page.reload();
  await page.waitForFunction(() => window.glassbox !== undefined);
  const afterReload = await read();
  assert.equal(afterReload.theme, afterToggle.theme);
  assert.equal(afterReload.monacoBg, afterToggle.monacoBg);
  assert.equal(afterReload.xtermBg, afterToggle.xtermBg);
});

test('pane sizes follow the drag handles and persist across reload', async () => {
  const width = () => page.evaluate(() => document.getElementById('pane-files').getBoundingClientRect().width);
  const termH = () => page.evaluate(() => document.getElementById('terminal-area').getBoundingClientRect().height);
  const w0 = await width();
  const h0 = await termH();
  const drag = async (sel, dx, dy) => {
    const b = await page.locator(sel).boundingBox();
    const x = b.x + b.width / 2;
    const y = b.y + b.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 4 });
    await page.mouse.move(x + dx, y + dy, { steps: 4 });
    await page.mouse.up();
  };
  await drag('[data-split="filesW"]', 90, 0);
  await drag('[data-split="termH"]', 0, -60);
  const w1 = await width();
  const h1 = await termH();
  assert.ok(Math.abs(w1 - w0 - 90) <= 2, `file tree ${w0} -> ${w1}`);
  assert.ok(Math.abs(h1 - h0 - 60) <= 2, `terminal ${h0} -> ${h1}`);
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('glassbox.layout')));
  assert.equal(saved.filesW, Math.round(w1));
  await page.reload();
  await page.waitForFunction(() => window.glassbox !== undefined);
  assert.ok(Math.abs((await width()) - w1) <= 1, 'width kept after reload');
  assert.ok(Math.abs((await termH()) - h1) <= 1, 'terminal height kept after reload');
  // the terminal refits to its new size
  const rows = await page.evaluate(() => window.glassbox.terminal.rows);
  assert.ok(rows > 3);
});

test('Ctrl-` moves focus from the editor to the terminal', async () => {
  await page.click('#editor .monaco-editor .view-lines');
  const inEditor = await page.evaluate(() => !!document.activeElement?.closest('#editor'));
  assert.ok(inEditor, 'editor focused first');
  await page.keyboard.press('Control+Backquote');
  const inTerminal = await page.evaluate(() => !!document.activeElement?.closest('#terminal .xterm'));
  assert.ok(inTerminal, 'terminal focused');
});

test('gcc diagnostics in the terminal output become Monaco markers', async () => {
  const src = ['#include <stdio.h>', '', 'int main(void) {', '    int unused;', '    printf("%d\\n", x);', '    return 0', '}', ''].join('\n');
  await page.evaluate((s) => window.glassbox.debug.openFile('/home/student/hello.c', s), src);
  await page.evaluate(() => window.glassbox.debug.commandStarted('student@glassbox:~$ gcc -Wall hello.c -o hello'));
  const out = [
    "\x1b[01m\x1b[Khello.c:\x1b[m\x1b[K In function '\x1b[01m\x1b[Kmain\x1b[m\x1b[K':",
    "\x1b[01m\x1b[Khello.c:5:20:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[K'\x1b[01m\x1b[Kx\x1b[m\x1b[K' undeclared (first use in this function)",
    "hello.c:4:9: warning: unused variable 'unused' [-Wunused-variable]",
    "hello.c:6:13: error: expected ';' before '}' token",
    "other.c:1:1: error: not this file",
    '',
  ].join('\r\n');
  await page.evaluate((t) => window.glassbox.debug.feedOutput(t), out);
  const markers = await page.evaluate(() =>
    window.glassbox.editor.markersFor('/home/student/hello.c').map((m) => ({ line: m.startLineNumber, col: m.startColumn, sev: m.severity, msg: m.message, code: m.code })),
  );
  markers.sort((a, b) => a.line - b.line);
  assert.deepEqual(markers, [
    { line: 4, col: 9, sev: 4, msg: "unused variable 'unused'", code: '-Wunused-variable' },
    { line: 5, col: 20, sev: 8, msg: "'x' undeclared (first use in this function)", code: undefined },
    { line: 6, col: 13, sev: 8, msg: "expected ';' before '}' token", code: undefined },
  ]);
  // squiggles are drawn
  await page.waitForSelector('#editor .squiggly-error');
  await screenshot(page, 'ide-markers');
  // a new build without errors clears them
  await page.evaluate(() => window.glassbox.debug.commandStarted('student@glassbox:~$ gcc hello.c'));
  const left = await page.evaluate(() => window.glassbox.editor.markersFor('/home/student/hello.c').length);
  assert.equal(left, 0);
});

test('Ctrl-S is the IDE save (not the browser): without a machine it says why it cannot save', { skip: engineBuilt && 'the engine is built' }, async () => {
  await page.click('#editor .monaco-editor .view-lines');
  await page.keyboard.type('// edit\n');
  assert.equal(await page.locator('#tabs .tab.active.dirty').count(), 1, 'tab shows unsaved changes');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => document.getElementById('st-message').textContent.includes('could not save'));
  assert.match(await page.locator('#st-message').textContent(), /could not save \/home\/student\/hello\.c: the machine is not running/);
  assert.equal(await page.locator('#tabs .tab.active.dirty').count(), 1, 'still unsaved');
});

test('Reset machine asks first; Cancel keeps everything', async () => {
  // (the unsaved tab of the Ctrl-S test exists only without an engine; with one, the
  // markers test's tab is still open)
  const tabs = await page.locator('#tabs .tab').count();
  const dirty = await page.locator('#tabs .tab.dirty').count();
  assert.ok(tabs >= 1);
  await page.click('#btn-reset');
  assert.equal(await page.locator('#reset-dialog').evaluate((d) => d.open), true);
  await screenshot(page, 'ide-reset-dialog');
  await page.click('#reset-dialog button[value="cancel"]');
  assert.equal(await page.locator('#reset-dialog').evaluate((d) => d.open), false);
  assert.equal(await page.locator('#tabs .tab').count(), tabs, 'open files untouched');
  assert.equal(await page.locator('#tabs .tab.dirty').count(), dirty, 'unsaved changes untouched');
});

test('the execution tier: the status bar\'s button changes it, it is kept across reloads, ?jit= overrides it', async () => {
  const lines = [];
  page.on('console', (m) => lines.push(m.text()));
  const tierLine = async () => {
    if (!engineBuilt) return null;
    await page.waitForFunction(() => window.glassbox.machineState === 'running', null, { timeout: 180_000 });
    for (let i = 0; i < 50 && !lines.some((l) => /execution tier:/.test(l)); i++) await page.waitForTimeout(100);
    return lines.filter((l) => /execution tier:/.test(l)).pop();
  };
  // the default is the JIT (docs/jit.md, "The JIT by default in the browser")
  assert.equal(await page.locator('#st-tier').textContent(), 'JIT');
  assert.equal(await page.evaluate(() => window.glassbox.tier), 'on');
  await page.click('#st-tier');
  assert.equal(await page.locator('#tier-dialog').evaluate((d) => d.open), true);
  await screenshot(page, 'ide-tier-dialog');
  await page.check('#tier-dialog input[value="off"]');
  lines.length = 0;
  await Promise.all([page.waitForEvent('load'), page.click('#tier-dialog button[value="apply"]')]);
  await page.waitForFunction(() => window.glassbox?.tier === 'off');
  assert.equal(await page.locator('#st-tier').textContent(), 'interpreter');
  if (engineBuilt) assert.match(await tierLine(), /\[engine\] execution tier: interpreter/, 'the worker started the engine without the JIT');
  // the address wins for its page: ?jit=on
  lines.length = 0;
  await page.goto(`${BASE_URL}?jit=on`);
  await page.waitForFunction(() => window.glassbox?.tier === 'on');
  if (engineBuilt) assert.match(await tierLine(), /\[engine\] execution tier: jit/, 'the worker started the engine with the JIT');
  // the student's setting again without ?jit=, then back to the default through the dialog
  await page.goto(BASE_URL);
  await page.waitForFunction(() => window.glassbox?.tier === 'off');
  await page.click('#st-tier');
  await page.check('#tier-dialog input[value="on"]');
  await Promise.all([page.waitForEvent('load'), page.click('#tier-dialog button[value="apply"]')]);
  await page.waitForFunction(() => window.glassbox?.tier === 'on');
  assert.equal(await page.evaluate(() => localStorage.getItem('glassbox.jit')), 'on');
});

test('no errors in the page console', () => {
  const errors = (page.errors || []).filter((e) => !/engine/.test(e));
  assert.deepEqual(errors, []);
});

void BASE_URL;

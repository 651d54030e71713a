// The IDE in Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi):
// the same machine as in Chromium boots to the bash prompt, compiles and runs hello.c typed
// in the terminal, runs a lesson's checks, and makes and reads a share link (issue 16 item 6;
// the inspector's Firefox run is issue 12's).
//
// Skipped (with the reason) when firefox-esr or puppeteer-core is missing, or the site has
// no engine or image. tests/e2e/run.sh installs firefox-esr like chromium, and xvfb.
//
// Why a virtual X display: the inspector draws with WebGL2, and headless firefox-esr on a
// machine without a GPU offers no WebGL at all (not even with webgl.force-enabled). The
// same Firefox, not headless, on an Xvfb display renders WebGL2 through Mesa's llvmpipe.
// So when Xvfb is installed and no DISPLAY is set, the test starts its own Xvfb (a free
// display number, -displayfd) and runs Firefox there; without Xvfb it runs headless and the
// inspector case is skipped with that reason.
//
// The IDE runs the JIT by default; the last case reloads it with `?jit=on` (the explicit
// setting, and a warm boot). The JIT by default was first tried on Dec 7 2026 and reverted
// after a CI run in which Firefox's page stopped answering (docs/jit.md, "The JIT by
// default in the browser"; every `page.evaluate` timed out, which is what a content
// process that is alive but does not run its page looks like, not a crashed tab), then
// brought back when ~50 runs did not show it again. So that the next such failure says why, the
// page's console and Firefox's own stderr are kept (firefox-console.log, firefox-stderr.log)
// and a case that times out writes firefox-hang.txt: every thread of every Firefox
// process with its CPU share, state and kernel wait, and gdb's backtraces of the busiest
// process (tests/e2e/lib/threads.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { threadReport } from './lib/threads.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
let puppeteer = null;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch {
  /* reported as the skip reason */
}
const skip =
  siteSkipReason(path.join(ROOT, 'build/site')) ||
  (!fs.existsSync(FIREFOX) && `no ${FIREFOX} (apt-get install firefox-esr)`) ||
  (!puppeteer && 'no puppeteer-core in node_modules (npm ci)');

let browser;
let page;
let profile;
let xvfb = null;
const XVFB = '/usr/bin/Xvfb';

/** Starts Xvfb on a free display; resolves with ":N". */
function startXvfb() {
  return new Promise((resolve, reject) => {
    const p = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1440x900x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        xvfb = p;
        resolve(`:${out.trim()}`);
      }
    });
    p.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err.slice(-500)}`)));
    setTimeout(() => reject(new Error('Xvfb did not start in 10 s')), 10_000);
  });
}
const PROMPT = /student@glassbox:~\$ ?$/;

const termText = () =>
  page.evaluate(() => {
    const b = window.glassbox.terminal.term.buffer.active;
    let s = '';
    for (let i = 0; i < b.length; i++) s += b.getLine(i).translateToString(true) + '\n';
    return s.replace(/\n+$/, '');
  });

// A page that stops answering makes each page.evaluate wait this long (puppeteer's default
// is 180 s: one evaluate would eat most of a case's time).
const PROTOCOL_TIMEOUT = 60_000;
const consoleLines = [];
const stderrChunks = [];
const T0 = Date.now();
const stamp = () => `${((Date.now() - T0) / 1000).toFixed(1)}s`;

function keepLogs() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'firefox-console.log'), consoleLines.join('\n') + '\n');
  fs.writeFileSync(path.join(ARTIFACTS, 'firefox-stderr.log'), stderrChunks.join(''));
}

/** After a timeout: what every Firefox thread does (spinning or waiting), into firefox-hang.txt. */
async function reportHang(what) {
  const pid = browser?.process()?.pid;
  let text = `${stamp()} ${what}\n`;
  const t = Date.now();
  const answer = await Promise.race([
    page.evaluate(() => document.readyState).then((v) => `answers (${v})`, (e) => `fails: ${e.message.slice(0, 200)}`),
    new Promise((r) => setTimeout(() => r('no answer in 10 s'), 10_000)),
  ]);
  text += `the page: ${answer} after ${Date.now() - t} ms\n`;
  if (pid) text += await threadReport(pid, { windowMs: 3000, gdb: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.appendFileSync(path.join(ARTIFACTS, 'firefox-hang.txt'), text + '\n');
  keepLogs();
  console.log(`firefox: ${what}: thread report in build/test-artifacts/firefox-hang.txt`);
}

/** A case's body: when it fails on a timeout (ours or puppeteer's), reportHang first. The
 *  report takes at most ~55 s (10 s for the page, 3 s of samples, gdb up to 40 s): the cases'
 *  own timeout leaves room for it after their longest wait. */
const diagnosed = (fn) => async (t) => {
  try {
    return await fn(t);
  } catch (e) {
    if (/timed? ?out/i.test(String(e?.message))) await reportHang(`${t.name}: ${String(e.message).split('\n')[0].slice(0, 300)}`);
    throw e;
  }
};

async function until(fn, what, timeout) {
  const end = Date.now() + timeout;
  let last;
  let lastError = null;
  while (Date.now() < end) {
    last = await fn().catch((e) => {
      lastError = e;
      return undefined;
    });
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what}: timed out${typeof last === 'string' ? `:\n${last.slice(-1500)}` : ''}${lastError ? ` (last error: ${String(lastError.message).slice(0, 300)})` : ''}`,
  );
}

async function type(cmd, re, timeout = 120_000) {
  const before = (await termText()).length;
  await page.evaluate(() => window.glassbox.terminal.focus());
  await page.keyboard.type(cmd);
  await page.keyboard.press('Enter');
  const t0 = Date.now();
  await until(async () => re.test((await termText()).slice(before)), `after \`${cmd}\``, timeout);
  return Date.now() - t0;
}

before(async () => {
  if (skip) return;
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-ff-'));
  let display = process.env.DISPLAY;
  if (!display && fs.existsSync(XVFB)) display = await startXvfb().catch((e) => (console.log(`firefox: no Xvfb display (${e.message}); headless`), undefined));
  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: !display,
    env: { ...process.env, ...(display ? { DISPLAY: display } : {}) },
    protocol: 'webDriverBiDi',
    userDataDir: profile,
    defaultViewport: { width: 1440, height: 900 },
    protocolTimeout: PROTOCOL_TIMEOUT,
  });
  browser.process()?.stderr?.on('data', (d) => stderrChunks.push(String(d)));
  page = await browser.newPage();
  page.on('console', (m) => consoleLines.push(`${stamp()} ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`${stamp()} pageerror: ${e}`));
});

after(async () => {
  if (browser) keepLogs();
  await browser?.close().catch(() => undefined);
  xvfb?.kill();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

const figures = {};

test('Firefox: boots to the bash prompt, cross-origin isolated', { skip, timeout: 360_000 }, diagnosed(async () => {
  const t0 = Date.now();
  await page.goto(BASE_URL, { waitUntil: 'load' });
  await until(() => page.evaluate(() => window.glassbox !== undefined), 'window.glassbox', 30_000);
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
  await until(async () => PROMPT.test(await termText()) && (await termText()), 'the prompt', 240_000);
  figures.bootMs = Date.now() - t0;
  figures.version = await browser.version();
}));

test('Firefox: gcc compiles hello.c typed in the terminal and it runs', { skip, timeout: 360_000 }, diagnosed(async () => {
  await page.evaluate(() => window.glassbox.client.write('/home/student/ff.c', '#include <stdio.h>\nint main(void) { puts("hello from firefox"); return 0; }\n'));
  figures.gccMs = await type('gcc ff.c -o ff && ./ff', /hello from firefox\n[^]*\$ ?$/, 240_000);
}));

test('Firefox: the inspector opens; gcc -g, a breakpoint at main stops with rip at main', { skip, timeout: 360_000 }, diagnosed(async (t) => {
  // The inspector draws with WebGL2: on an Xvfb display Firefox has it (llvmpipe);
  // headless without a GPU it has none, and the case says so (see the header).
  if (!(await page.evaluate(() => !!document.createElement('canvas').getContext('webgl2'))))
    return t.skip('this Firefox has no WebGL2 (headless without a GPU; install xvfb)');
  const insp = (fn, ...args) => page.evaluate(([f, a]) => window.glassbox.inspector[f](...a), [fn, args]);
  await insp('open');
  assert.equal(await page.evaluate(() => window.glassbox.inspector.state), 'open');
  await page.evaluate(() => window.glassbox.client.write('/home/student/ffg.c', '#include <stdio.h>\nint main(void) {\n  puts("ff-debug");\n  return 0;\n}\n'));
  await type('gcc -g ffg.c -o ffg', /\$ ?$/, 240_000);
  const prog = '/home/student/ffg';
  await insp('breakAt', 'main', prog);
  await type('./ffg', /\.\/ffg/, 10_000);
  const s = await until(async () => {
    const st = await insp('refreshState', 'state');
    return st.halted && st.exe === prog && st.where.func === 'main' ? st : null;
  }, 'the stop at main', 120_000);
  assert.equal(s.reason, 'breakpoint');
  const code = (await insp('refreshState', 'code')).code;
  const rip = BigInt((await insp('refreshState', 'registers')).registers.rip);
  assert.equal(rip, BigInt(code.symbols.main) + BigInt(code.symbols.bias), 'rip == main (symbol + PIE base)');
  assert.equal(s.where.line, 2);
  await insp('control', 'clear');
  await insp('control', 'resume');
  await until(async () => /\nff-debug\n[^]*\$ ?$/.test(await termText()), 'the program after resume', 60_000);
}));

test('Firefox: a lesson check runs in the machine; a share link round trip', { skip, timeout: 360_000 }, diagnosed(async () => {
  await until(() => page.evaluate(() => window.glassbox.lessons !== null), 'the lessons panel', 30_000);
  await page.evaluate(() => window.glassbox.lessons.ready);
  await page.evaluate(() => window.glassbox.lessons.open('c-hello', 0));
  await page.evaluate(() => window.glassbox.client.write('/home/student/lessons/c-hello/hello.c', '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, world!\\n");\n    return 0;\n}\n'));
  const results = await page.evaluate(() => window.glassbox.lessons.runChecks());
  assert.deepEqual(results.map((r) => [r.title, r.ok]), [['hello.c compiles without warnings', true], ['the program prints Hello, world!', true]]);
  const link = await page.evaluate(async () => {
    window.glassbox.debug.openFile('/home/student/ff-share.txt', 'from firefox\n');
    return window.glassbox.share.link();
  });
  await page.evaluate((h) => (location.hash = h), new URL(link).hash);
  const got = await until(() => page.evaluate(() => window.glassbox.share.received), 'the share import', 60_000);
  assert.ok(got.files.includes('ff-share.txt'));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'firefox-ide.png') });
  fs.writeFileSync(path.join(ARTIFACTS, 'firefox-figures.json'), JSON.stringify(figures, null, 1) + '\n');
  console.log(`firefox figures: ${JSON.stringify(figures)}`);
}));

// The JIT in Firefox (see the header): the same page again with ?jit=on (a reload: the
// student's files are kept), to the prompt, then gcc and a python loop with hot code compiled.
test('Firefox with the JIT (?jit=on): boots to the prompt; gcc and a python3 loop run compiled', { skip, timeout: 360_000 }, diagnosed(async () => {
  const t0 = Date.now();
  await page.goto(new URL('?jit=on', BASE_URL).href, { waitUntil: 'load' });
  await until(() => page.evaluate(() => window.glassbox !== undefined), 'window.glassbox (?jit=on)', 30_000);
  assert.equal(await page.evaluate(() => document.getElementById('st-tier')?.dataset.tier), 'on');
  await until(async () => PROMPT.test(await termText()) && (await termText()), 'the prompt with the JIT', 240_000);
  figures.jitBootMs = Date.now() - t0;
  await page.evaluate(() => window.glassbox.client.write('/home/student/ffj.c', '#include <stdio.h>\nint main(void) { puts("jit in firefox"); return 0; }\n'));
  figures.jitCmdMs = await type("gcc ffj.c -o ffj && ./ffj && python3 -c 'print(sum(range(10**6)))'", /jit in firefox\n499999500000\n[^]*\$ ?$/, 240_000);
  fs.writeFileSync(path.join(ARTIFACTS, 'firefox-figures.json'), JSON.stringify(figures, null, 1) + '\n');
  console.log(`firefox figures with the JIT: ${JSON.stringify(figures)}`);
}));

// The static build on a host that sends no COOP/COEP (python3 -m http.server): the
// service worker makes the page cross-origin isolated after one reload, the page then
// works offline, and with the service worker turned off the boot check explains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { launch, screenshot } from './lib/browser.mjs';
import { ROOT } from './lib/paths.mjs';

let py;
let base;

function startPython() {
  return new Promise((resolve, reject) => {
    py = spawn('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', path.join(ROOT, 'build/site'), '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    py.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}/`);
    });
    py.on('exit', (c) => reject(new Error(`python http.server exited ${c}: ${out}`)));
  });
}

function headers(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.headers);
    }).on('error', reject);
  });
}

/** Polls `fn` in the page until it returns truthy; survives the page reloading itself. */
async function until(page, fn, timeout = 30_000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await page.evaluate(fn);
      if (last) return last;
    } catch {
      /* navigating */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out; last value ${JSON.stringify(last)}`);
}

before(async () => {
  base = await startPython();
});
after(() => py?.kill());

test('the plain static server really sends no isolation headers', async () => {
  const h = await headers(base);
  assert.equal(h['cross-origin-opener-policy'], undefined);
  assert.equal(h['cross-origin-embedder-policy'], undefined);
});

test('with the service worker off (?nosw), the page explains what is missing', async () => {
  const ctx = await launch();
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(`${base}?nosw`);
    await page.waitForSelector('#boot-error:not([hidden])', { timeout: 20_000 });
    const text = await page.locator('#boot-error').textContent();
    assert.match(text, /not cross-origin isolated|SharedArrayBuffer is not available/);
    assert.match(text, /Cross-Origin-Opener-Policy: same-origin/);
    assert.match(text, /\?nosw/);
    assert.equal(await page.evaluate(() => window.glassbox.machineState), 'unsupported');
    await screenshot(page, 'boot-error-not-isolated');
  } finally {
    await ctx.close();
  }
});

test('the service worker makes the static build cross-origin isolated after one reload, then works offline', async () => {
  const ctx = await launch();
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.goto(base);
    const state = await until(page, () =>
      window.crossOriginIsolated && window.glassbox && !['starting', 'loading-engine'].includes(window.glassbox.machineState)
        ? { sab: typeof SharedArrayBuffer, controlled: !!navigator.serviceWorker.controller, state: window.glassbox.machineState }
        : null,
    );
    assert.equal(state.sab, 'function');
    assert.equal(state.controlled, true);
    assert.equal(navigations, 2, 'exactly one reload');
    assert.notEqual(state.state, 'unsupported');
    assert.ok(await page.locator('#editor .monaco-editor').isVisible());

    // the app shell is cached: stop the server and load again
    const caches = await page.evaluate(async () => {
      const out = {};
      for (const k of await caches.keys()) out[k] = (await (await caches.open(k)).keys()).length;
      return out;
    });
    assert.ok(Object.keys(caches).some((k) => k.startsWith('glassbox-shell-') && caches[k] >= 5), JSON.stringify(caches));
    py.kill();
    await new Promise((r) => py.once('exit', r));
    py = null;
    await page.reload();
    const offline = await until(page, () =>
      window.glassbox && document.querySelector('#editor .monaco-editor') && document.querySelector('#terminal .xterm')
        ? { isolated: window.crossOriginIsolated }
        : null,
    );
    assert.equal(offline.isolated, true, 'still isolated offline');
    await screenshot(page, 'offline-from-service-worker');
  } finally {
    await ctx.close();
  }
});

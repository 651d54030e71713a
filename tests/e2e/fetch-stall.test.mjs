// Downloads that stall (ide/src/worker/net.ts: fetchCounted's stall clock, fetchRetrying)
// in headless Chromium, real engine and image, behind a real proxy on a real socket: a
// small HTTP server of this test in front of the dev server that passes every request on,
// except those a case names, which it answers with nothing at all (the request accepted,
// no headers ever), or with the headers and the first 64 KiB of the body and then nothing
// (a connection that died without a reset), or with 404. The page is the proxy's own
// (crossOriginIsolated), and its machine comes from the JavaScript API with
// `fetchTimeoutMs: 2000`, so a stall is given up after 2 s, not the default 30.
//
// - the engine's module stalls mid-body once: the second try boots, and the machine runs
//   (Chromium's HTTP cache resumes the cut download with Range requests);
// - the manifest never answers: `create` rejects with the manifest's URL and "no data for
//   2 s" after four tries (1, 2 and 4 s apart), not never;
// - the manifest is a 404 once the existence check passed: rejected after one try, no retry;
// - the engine's module arrives whole but as zeros (damaged, or a stale copy of another
//   version): rejected with the reason (regression: the worker's instantiateWasm dropped
//   the rejection, and `create` neither resolved nor rejected);
// - the engine's script cut mid-body once: the second try boots (it used to be loaded by
//   importScripts, which waits on a stalled server for ever).
// The IDE through the proxy (`?nosw&stall=2000`: no service worker's fetches of its own, a
// 2 s clock), the inspector's module (ide/src/inspector/inspector.ts, once a <script> and
// Emscripten's own loader, which wait on a stalled server for ever, the pane "loading"):
// - its .wasm never answers: the pane says why, with the URL, after four tries;
// - its script cut mid-body once: the inspector opens on the second try.
// Skipped without engine or image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { BASE_URL, launch, openIde } from './lib/browser.mjs';
import { ROOT, siteSkipReason } from './lib/paths.mjs';

const skip = siteSkipReason(path.join(ROOT, 'build/site'));
const PAGE = '<!doctype html><meta charset="utf-8"><title>stall</title><p>fetch-stall test page</p>';
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

// rules: [{ method, suffix, mode: 'silent' | 'cut' | 'zeros' | '404', times, cutAt? }]; counts GETs per path
function startProxy(upstream) {
  const state = { rules: [], gets: new Map(), ranges: [], held: [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://proxy');
    if (url.pathname === '/stall-test.html') {
      res.writeHead(200, { 'content-type': 'text/html', ...ISOLATED });
      res.end(PAGE);
      return;
    }
    // (a GET with a Range header is Chromium's HTTP cache resuming a cut download: counted apart)
    if (req.method === 'GET' && !req.headers.range) state.gets.set(url.pathname, (state.gets.get(url.pathname) ?? 0) + 1);
    if (req.method === 'GET' && req.headers.range) state.ranges.push(`${url.pathname} ${req.headers.range}`);
    const rule = state.rules.find((r) => r.method === req.method && url.pathname.endsWith(r.suffix) && r.times > 0);
    if (rule) rule.times--;
    if (rule?.mode === 'silent') {
      state.held.push(res); // accepted, never answered
      return;
    }
    if (rule?.mode === '404') {
      res.writeHead(404, { 'content-type': 'text/plain', ...ISOLATED, 'cross-origin-resource-policy': 'same-origin' });
      res.end('not here\n');
      return;
    }
    const up = http.request(new URL(req.url, upstream), { method: req.method, headers: { ...req.headers, host: new URL(upstream).host } }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      if (rule?.mode === 'zeros') {
        ur.on('data', (d) => res.write(Buffer.alloc(d.length))); // every byte there, none right
        ur.on('end', () => res.end());
        return;
      }
      if (rule?.mode === 'cut') {
        const at = rule.cutAt ?? 65536;
        let sent = 0;
        ur.on('data', (d) => {
          if (sent < at) res.write(d.subarray(0, at - sent));
          sent += d.length;
          if (sent >= at) ur.destroy(); // the rest never comes; our socket to the page stays open
        });
        state.held.push(res);
        return;
      }
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      state.url = `http://127.0.0.1:${server.address().port}/`;
      state.close = () => {
        for (const r of state.held) r.destroy();
        server.closeAllConnections?.();
        server.close();
      };
      resolve(state);
    }),
  );
}

let proxy;
let ctx;
before(async () => {
  if (skip) return;
  proxy = await startProxy(BASE_URL);
});
after(async () => {
  await ctx?.close();
  proxy?.close();
});

// A fresh browser profile per case (no HTTP cache), and the proxy's rules for it.
async function fresh(rules) {
  proxy.rules = rules;
  proxy.gets.clear();
  proxy.ranges = [];
  await ctx?.close();
  ctx = await launch();
}

// The machine made by the API.
async function boot(rules) {
  await fresh(rules);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(new URL('stall-test.html', proxy.url).href, { waitUntil: 'load' });
  return page.evaluate(async () => {
    const t0 = performance.now();
    try {
      const { Glassbox } = await import('/lib/glassbox.js');
      // (a boot that neither comes up nor fails is what these cases guard against)
      const hung = new Promise((_, reject) => setTimeout(() => reject(new Error('create neither resolved nor rejected in 90 s')), 90_000));
      const vm = await Promise.race([Glassbox.create({ storage: 'memory', warm: false, fetchTimeoutMs: 2000 }), hung]);
      const out = [];
      const status = await vm.run(['/bin/echo', 'booted'], { onOutput: (s) => out.push(s) });
      const ms = performance.now() - t0;
      vm.destroy();
      return { ok: true, status, out: out.join(''), ms, isolated: self.crossOriginIsolated };
    } catch (e) {
      return { ok: false, error: String(e && e.message ? e.message : e), ms: performance.now() - t0, isolated: self.crossOriginIsolated };
    }
  });
}

const gets = (suffix) => [...proxy.gets].filter(([p]) => p.endsWith(suffix)).reduce((n, [, c]) => n + c, 0);

test('fetch stalls: the engine module cut off mid-body once; the second try boots', { skip, timeout: 300_000 }, async () => {
  // first as it is, to count the module's GETs of a boot (the worker's, and the browser's own)
  const plain = await boot([]);
  assert.equal(plain.isolated, true);
  assert.equal(plain.ok, true, JSON.stringify(plain));
  const base = gets('/engine/glassbox_web.wasm');
  const r = await boot([{ method: 'GET', suffix: '/engine/glassbox_web.wasm', mode: 'cut', times: 1 }]);
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.status, 0);
  assert.match(r.out, /booted/);
  // the worker's second try: Chromium's HTTP cache kept the 64 KiB that came and turns the
  // GET into Range requests for the rest (seen here: bytes=65536-65536, then 65536-end)
  // (a browser that kept nothing would GET it whole once more)
  const seen = `GETs of the module: ${gets('/engine/glassbox_web.wasm')}, ${base} without the cut; ranges ${proxy.ranges}`;
  if (proxy.ranges.length > 0) {
    assert.equal(gets('/engine/glassbox_web.wasm'), base, seen);
    assert.ok(proxy.ranges.every((x) => x.startsWith('/engine/glassbox_web.wasm bytes=65536-')), seen);
  } else {
    assert.equal(gets('/engine/glassbox_web.wasm'), base + 1, seen);
  }
  assert.ok(r.ms > 2000, `booted after ${Math.round(r.ms)} ms: the stall (2 s) was waited out`);
});

test('fetch stalls: a manifest that never answers fails the boot with its URL after four tries', { skip, timeout: 300_000 }, async () => {
  const r = await boot([{ method: 'GET', suffix: '/image/manifest.json', mode: 'silent', times: 1000 }]);
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.match(r.error, /a download failed: http:\/\/127\.0\.0\.1:\d+\/image\/manifest\.json: no data for 2 s/);
  assert.match(r.error, /reload the page to try again/); // what the IDE's terminal shows too
  assert.equal(gets('/image/manifest.json'), 4);
  // 4 stalls of 2 s and waits of 1 + 2 + 4 s: ~15 s, and well before the default 30 s once
  assert.ok(r.ms > 14_000 && r.ms < 60_000, `rejected after ${Math.round(r.ms)} ms`);
});

test('fetch stalls: a manifest answered 404 fails at once, without trying again', { skip, timeout: 300_000 }, async () => {
  const r = await boot([{ method: 'GET', suffix: '/image/manifest.json', mode: '404', times: 1000 }]);
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.match(r.error, /manifest\.json: HTTP 404/);
  assert.equal(gets('/image/manifest.json'), 1);
});

test('fetch stalls: an engine module that arrives whole but is not wasm fails the boot with a reason, not a hang', { skip, timeout: 300_000 }, async () => {
  const r = await boot([{ method: 'GET', suffix: '/engine/glassbox_web.wasm', mode: 'zeros', times: 1000 }]);
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.match(r.error, /glassbox_web\.wasm is not the engine's module \(CompileError/);
  assert.equal(gets('/engine/glassbox_web.wasm'), 1); // (a whole answer: nothing to try again)
});

test('fetch stalls: the engine script cut off mid-body once; the second try boots', { skip, timeout: 300_000 }, async () => {
  // (the worker fetches it and runs it from a blob: URL; importScripts of a stalled URL
  // would wait for ever). The script is ~80 KiB: cut after 16 KiB.
  const r = await boot([{ method: 'GET', suffix: '/engine/glassbox_web.js', mode: 'cut', times: 1, cutAt: 16384 }]);
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.match(r.out, /booted/);
  assert.ok(r.ms > 2000, `booted after ${Math.round(r.ms)} ms: the stall (2 s) was waited out`);
});

// The IDE through the proxy, then the inspector opened: its outcome, how long it took.
async function openInspector(rules) {
  await fresh(rules);
  const page = await openIde(ctx, new URL('?nosw&stall=2000', proxy.url).href, { waitFor: 'page' });
  return page.evaluate(async () => {
    const t0 = performance.now();
    const hung = new Promise((_, reject) => setTimeout(() => reject(new Error('open neither resolved nor rejected in 90 s')), 90_000));
    let error = '';
    try {
      await Promise.race([window.glassbox.inspector.open(), hung]);
    } catch (e) {
      error = String(e && e.message ? e.message : e);
    }
    return {
      ms: performance.now() - t0,
      state: window.glassbox.inspector.state,
      error,
      message: document.querySelector('#inspector-message')?.textContent ?? '',
      isolated: self.crossOriginIsolated,
    };
  });
}

test('fetch stalls: the inspector module never answers; the pane says why after four tries', { skip, timeout: 300_000 }, async () => {
  const r = await openInspector([{ method: 'GET', suffix: '/engine/glassbox_inspector.wasm', mode: 'silent', times: 1000 }]);
  assert.equal(r.isolated, true);
  assert.equal(r.state, 'error', JSON.stringify(r));
  assert.match(r.error, /glassbox_inspector\.wasm: no data for 2 s/);
  assert.match(r.message, /^The inspector could not start: .*glassbox_inspector\.wasm: no data for 2 s/);
  assert.equal(gets('/engine/glassbox_inspector.wasm'), 4);
  assert.ok(r.ms > 14_000 && r.ms < 60_000, `gave up after ${Math.round(r.ms)} ms`);
});

test('fetch stalls: the inspector script cut off mid-body once; it opens on the second try', { skip, timeout: 300_000 }, async () => {
  const r = await openInspector([{ method: 'GET', suffix: '/engine/glassbox_inspector.js', mode: 'cut', times: 1, cutAt: 16384 }]);
  assert.equal(r.state, 'open', JSON.stringify(r));
  assert.equal(r.error, '');
  assert.ok(r.ms > 2000, `opened after ${Math.round(r.ms)} ms: the stall (2 s) was waited out`);
});

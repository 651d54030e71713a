// The network in the browser (docs/networking.md) with the real engine and a real relay:
// the IDE opened with ?relay= shows "online" once its worker's WebSocket is up; `curl` in
// the terminal fetches a file from an HTTP server on this machine by a name only the
// relay's resolver knows (so the name went through the engine's DNS stub and the relay
// resolved it on CONNECT); a private address the relay refuses fails with an error
// instead of hanging; when the relay goes away the status bar says "offline".
//
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { launch, openIde, screenshot, BASE_URL } from './lib/browser.mjs';
import { ROOT, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, run, waitTerm } from './lib/terminal.mjs';

const skip = siteSkipReason(path.join(ROOT, 'build/site'));
const BOOT_TIMEOUT = 180_000;
let ctx;
let page;
let relay;
let server;
let tmp;
let relayUrl = '';
let port = 0;
const BODY = 'fetched through the relay: glassbox-net-ok\n';

/** Starts web/relay/relay.mjs on a free port; resolves to its ws:// URL. */
function startRelay(hostsFile) {
  return new Promise((resolve, reject) => {
    relay = spawn(process.execPath, [path.join(ROOT, 'web/relay/relay.mjs'), '--port', '0', '--allow', '127.0.0.1', '--hosts', hostsFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the relay never said it listens:\n${out}`)), 20_000);
    relay.stdout.on('data', (d) => {
      out += d;
      const m = /relay listening on (ws:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    relay.stderr.on('data', (d) => { out += d; });
    relay.on('exit', (code) => reject(new Error(`the relay exited (${code}):\n${out}`)));
  });
}

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gbrelay-e2e-'));
  server = http.createServer((req, res) => {
    if (req.url === '/hello.txt') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(BODY); }
    else { res.writeHead(404); res.end('no\n'); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  port = server.address().port;
  fs.writeFileSync(path.join(tmp, 'hosts'), '127.0.0.1 web.test\n');
  relayUrl = await startRelay(path.join(tmp, 'hosts'));
  ctx = await launch();
  page = await openIde(ctx, `${BASE_URL}?relay=${encodeURIComponent(relayUrl)}`, { waitFor: 'page' });
  await waitTerm(page, PROMPT, BOOT_TIMEOUT);
});

after(async () => {
  if (page?.errors?.length) console.log('page errors:', page.errors);
  await ctx?.close();
  relay?.kill();
  server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const netState = () => page.evaluate(() => {
  const el = document.getElementById('st-net');
  return { hidden: el.hidden, online: el.dataset.online, text: el.textContent };
});

test('with ?relay=: online, curl by name through the relay, a refused address fails, offline when the relay goes', { skip }, async () => {
  await page.waitForFunction(() => document.getElementById('st-net')?.dataset.online === 'true', null, { timeout: 30_000 });
  const s = await netState();
  assert.equal(s.hidden, false);
  assert.equal(s.text, 'online');

  const r = await run(page, `curl -sS http://web.test:${port}/hello.txt; echo "curl=$?"`, /curl=\d+/, 120_000);
  assert.match(r.text, /glassbox-net-ok/, r.text);
  assert.match(r.text, /curl=0/, r.text);

  // 10.x is refused by the relay's default policy: curl must fail (not hang) with an error.
  const b = await run(page, `curl -sS -m 20 http://10.1.2.3:${port}/ ; echo "blocked=$?"`, /blocked=\d+/, 60_000);
  assert.doesNotMatch(b.text, /blocked=0\b/, b.text);
  assert.match(b.text, /curl: \(\d+\)/, b.text);
  await screenshot(page, 'relay-online');

  relay.kill();
  await page.waitForFunction(() => document.getElementById('st-net')?.dataset.online === 'false', null, { timeout: 30_000 });
  assert.equal((await netState()).text, 'offline');
  await waitTerm(page, PROMPT, 5_000);
});

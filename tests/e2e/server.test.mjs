// The dev server (web/server.mjs) on a fixture directory: isolation headers, MIME types,
// Range, conditional requests, HEAD, gzip, path traversal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { ROOT } from './lib/paths.mjs';

let server;
let base;
let dir;
const chunkName = 'ab'.repeat(32);

function get(urlPath, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(urlPath, base), { method, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-srv-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.mkdirSync(path.join(dir, 'engine'));
  fs.mkdirSync(path.join(dir, 'image/chunks'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>' + ' '.repeat(2000));
  fs.writeFileSync(path.join(dir, 'assets/app-ABCDEFGH.js'), 'console.log(1);\n'.repeat(200));
  fs.writeFileSync(path.join(dir, 'assets/app-ABCDEFGH.css'), 'body{}');
  fs.writeFileSync(path.join(dir, 'assets/codicon-ABCDEFGH.ttf'), 'ttf');
  fs.writeFileSync(path.join(dir, 'x.mjs'), 'export {}');
  fs.writeFileSync(path.join(dir, 'm.json'), '{}');
  fs.writeFileSync(path.join(dir, 'i.svg'), '<svg/>');
  fs.writeFileSync(path.join(dir, 'engine/glassbox_web.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(dir, `image/chunks/${chunkName}`), Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff)));
  server = spawn(process.execPath, [path.join(ROOT, 'web/server.mjs'), '--port', '0', '--root', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /Glassbox IDE: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
});

after(() => {
  server?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('server: prints a localhost URL and serves index.html with COOP/COEP/CORP', async () => {
  assert.match(base, /^http:\/\/localhost:\d+\/$/);
  const r = await get('/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin');
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.ok(r.headers.etag && r.headers['last-modified']);
  const missing = await get('/nope.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['cross-origin-embedder-policy'], 'require-corp', 'errors too');
});

test('server: MIME types', async () => {
  const cases = {
    '/assets/app-ABCDEFGH.js': 'text/javascript; charset=utf-8',
    '/x.mjs': 'text/javascript; charset=utf-8',
    '/assets/app-ABCDEFGH.css': 'text/css; charset=utf-8',
    '/m.json': 'application/json; charset=utf-8',
    '/assets/codicon-ABCDEFGH.ttf': 'font/ttf',
    '/i.svg': 'image/svg+xml',
    '/engine/glassbox_web.wasm': 'application/wasm',
    [`/image/chunks/${chunkName}`]: 'application/octet-stream',
  };
  for (const [p, type] of Object.entries(cases)) {
    const r = await get(p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers['content-type'], type, p);
  }
});

test('server: immutable caching for hashed assets and chunks, no-cache for the rest', async () => {
  assert.match((await get('/assets/app-ABCDEFGH.js')).headers['cache-control'], /immutable/);
  assert.match((await get(`/image/chunks/${chunkName}`)).headers['cache-control'], /immutable/);
  assert.equal((await get('/index.html')).headers['cache-control'], 'no-cache');
});

test('server: Range requests', async () => {
  const p = `/image/chunks/${chunkName}`;
  const r = await get(p, { Range: 'bytes=10-19' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], 'bytes 10-19/1000');
  assert.equal(r.headers['content-length'], '10');
  assert.deepEqual([...r.body], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const suffix = await get(p, { Range: 'bytes=-4' });
  assert.equal(suffix.status, 206);
  assert.deepEqual([...suffix.body], [996 & 0xff, 997 & 0xff, 998 & 0xff, 999 & 0xff]);
  const open = await get(p, { Range: 'bytes=990-' });
  assert.equal(open.body.length, 10);
  const bad = await get(p, { Range: 'bytes=5000-6000' });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers['content-range'], 'bytes */1000');
  const stale = await get(p, { Range: 'bytes=0-9', 'If-Range': '"other"' });
  assert.equal(stale.status, 200, 'If-Range with another validator sends the whole file');
  assert.equal(stale.body.length, 1000);
});

test('server: ETag and Last-Modified give 304s', async () => {
  const first = await get('/engine/glassbox_web.wasm');
  const again = await get('/engine/glassbox_web.wasm', { 'If-None-Match': first.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const since = await get('/engine/glassbox_web.wasm', { 'If-Modified-Since': first.headers['last-modified'] });
  assert.equal(since.status, 304);
  const changed = await get('/engine/glassbox_web.wasm', { 'If-None-Match': '"nope"' });
  assert.equal(changed.status, 200);
});

test('server: HEAD, gzip for text, directory redirect, no escape from the root', async () => {
  const head = await get('/assets/app-ABCDEFGH.js', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], String(16 * 200));
  const gz = await get('/assets/app-ABCDEFGH.js', { 'Accept-Encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.ok(gz.body.length < 16 * 200);
  const chunk = await get(`/image/chunks/${chunkName}`, { 'Accept-Encoding': 'gzip' });
  assert.equal(chunk.headers['content-encoding'], undefined, 'chunk bytes are served as they are');
  const redirect = await get('/engine');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/engine/');
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
    const r = await get(p);
    assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
    assert.ok(!r.body.toString().includes('glassbox-ide'), p);
  }
  const post = await get('/', {}, 'POST');
  assert.equal(post.status, 405);
});

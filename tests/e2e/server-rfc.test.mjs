// The dev server (web/server.mjs) against RFC 9110's range rules and its own failure
// modes, with real HTTP requests to the real server:
//   * Range: unsatisfiable -> 416 + `Content-Range: bytes */LEN` (past the end, a zero
//     suffix, any range of an empty file); syntactically invalid (last < first, another
//     unit, several ranges, garbage) -> ignored, 200 with the whole file; clamped ends;
//   * a file that cannot be opened (mode 000; the server runs as `nobody` when the test is
//     root) answers 403 on the range path, the full path and the gzip path, and the server
//     keeps serving;
//   * the gzip cache is an LRU bounded in bytes (--gzip-cache), observed through the
//     X-Gzip-Cache header: hits, misses, eviction order, an oversized body never cached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';
import { request, startServer } from './lib/server.mjs';

let dir;
let main; // the server with a 12 KiB gzip cache
let locked; // a server that cannot read locked.bin / locked.js
const BIN = Buffer.from(Array.from({ length: 50 }, (_, i) => i));
// text that gzip cannot shrink much: 2n hex digits compress to about n bytes
const hexText = (n) => crypto.randomBytes(n).toString('hex');

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-srv-rfc-'));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(dir, 'data.bin'), BIN);
  fs.writeFileSync(path.join(dir, 'empty.bin'), '');
  fs.writeFileSync(path.join(dir, 'empty.js'), '');
  for (const n of ['a', 'b', 'c']) fs.writeFileSync(path.join(dir, `${n}.js`), `// ${n}\n${hexText(3000)}\n`);
  fs.writeFileSync(path.join(dir, 'big.js'), `// big\n${hexText(12000)}\n`);
  fs.writeFileSync(path.join(dir, 'locked.bin'), BIN);
  fs.writeFileSync(path.join(dir, 'locked.js'), 'x'.repeat(5000));
  fs.chmodSync(path.join(dir, 'locked.bin'), 0);
  fs.chmodSync(path.join(dir, 'locked.js'), 0);
  main = await startServer(dir, ['--gzip-cache', String(12 * 1024)]);
  // root reads mode-000 files anyway: run that server as nobody (a copy of the script it can read)
  const asRoot = process.getuid?.() === 0;
  let script;
  if (asRoot) {
    script = path.join(dir, 'server-copy.mjs');
    fs.copyFileSync(path.join(ROOT, 'web/server.mjs'), script);
  }
  locked = await startServer(dir, [], asRoot ? { uid: 65534, gid: 65534 } : {}, script);
});

after(() => {
  main?.proc.kill();
  locked?.proc.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

const range = (r, file = '/data.bin', base = main.url) => request(base, file, { Range: r });

test('server RFC 9110: unsatisfiable ranges get 416 with Content-Range: bytes */LEN', async () => {
  for (const r of ['bytes=50-', 'bytes=50-60', 'bytes=1000-2000', 'bytes=-0', 'bytes=99999999999999999999-']) {
    const res = await range(r);
    assert.equal(res.status, 416, r);
    assert.equal(res.headers['content-range'], 'bytes */50', r);
  }
});

test('server RFC 9110: any range of an empty file is unsatisfiable (416, bytes */0), and the server lives on', async () => {
  for (const r of ['bytes=-5', 'bytes=0-', 'bytes=0-0']) {
    const res = await range(r, '/empty.bin');
    assert.equal(res.error, undefined, `${r}: ${res.error}`);
    assert.equal(res.status, 416, r);
    assert.equal(res.headers['content-range'], 'bytes */0', r);
  }
  const whole = await request(main.url, '/empty.bin');
  assert.equal(whole.status, 200);
  assert.equal(whole.body.length, 0);
  const js = await request(main.url, '/empty.js', { 'Accept-Encoding': 'gzip' });
  assert.equal(js.status, 200);
  assert.equal((await request(main.url, '/data.bin')).status, 200, 'still serving');
});

test('server RFC 9110: a syntactically invalid Range is ignored (200, the whole file)', async () => {
  for (const r of ['bytes=5-3', 'bytes=10-9', 'items=0-5', 'bytes=0-1,4-5', 'bytes=abc', 'bytes=-', 'bytes 0-5', 'bytes=--5']) {
    const res = await range(r);
    assert.equal(res.status, 200, r);
    assert.equal(res.headers['content-range'], undefined, r);
    assert.deepEqual(res.body, BIN, r);
  }
});

test('server RFC 9110: satisfiable ranges are clamped to the file', async () => {
  const cases = [
    ['bytes=0-0', 0, 0],
    ['bytes=45-1000', 45, 49],
    ['bytes=-1000', 0, 49],
    ['bytes=-3', 47, 49],
    ['bytes=49-', 49, 49],
  ];
  for (const [r, s, e] of cases) {
    const res = await range(r);
    assert.equal(res.status, 206, r);
    assert.equal(res.headers['content-range'], `bytes ${s}-${e}/50`, r);
    assert.equal(res.headers['content-length'], String(e - s + 1), r);
    assert.deepEqual(res.body, BIN.subarray(s, e + 1), r);
  }
  const head = await request(main.url, '/data.bin', { Range: 'bytes=2-5' }, 'HEAD');
  assert.equal(head.status, 206);
  assert.equal(head.headers['content-length'], '4');
  assert.equal(head.body.length, 0);
});

test('server: a file it cannot open answers 403 on every path and the server keeps serving', async () => {
  for (const [file, headers] of [
    ['/locked.bin', { Range: 'bytes=0-9' }],
    ['/locked.bin', { Range: 'bytes=-5' }],
    ['/locked.bin', {}],
    ['/locked.js', { 'Accept-Encoding': 'gzip' }],
  ]) {
    const res = await request(locked.url, file, headers);
    assert.equal(res.error, undefined, `${file} ${JSON.stringify(headers)}: ${res.error}`);
    assert.equal(res.status, 403, `${file} ${JSON.stringify(headers)}`);
    assert.equal(res.headers['cross-origin-embedder-policy'], 'require-corp');
  }
  assert.equal(locked.proc.exitCode, null, 'the server is still running');
  const ok = await request(locked.url, '/data.bin', { Range: 'bytes=1-2' });
  assert.equal(ok.status, 206);
  assert.deepEqual([...ok.body], [1, 2]);
});

test('server: the gzip cache is an LRU bounded in bytes', async () => {
  const gz = async (f) => {
    const r = await request(main.url, f, { 'Accept-Encoding': 'gzip' });
    assert.equal(r.status, 200, f);
    assert.equal(r.headers['content-encoding'], 'gzip', f);
    return r.headers['x-gzip-cache'];
  };
  const size = (f) => fs.statSync(path.join(dir, f)).size;
  assert.ok(size('a.js') > 6000 && size('big.js') > 24000);
  // each of a, b, c compresses to ~3.4 KiB: three fit in 12 KiB, the fourth evicts the least recently used
  assert.equal(await gz('/a.js'), 'miss');
  assert.equal(await gz('/a.js'), 'hit');
  assert.equal(await gz('/b.js'), 'miss');
  assert.equal(await gz('/c.js'), 'miss');
  assert.equal(await gz('/a.js'), 'hit'); // a is now the most recent: b is the oldest
  // big.js compresses to ~13 KiB > 12 KiB: never cached, evicts nothing
  assert.equal(await gz('/big.js'), 'miss');
  assert.equal(await gz('/big.js'), 'miss');
  assert.equal(await gz('/b.js'), 'hit');
  assert.equal(await gz('/c.js'), 'hit');
  // a fourth entry does not fit: the least recently used (a) goes
  fs.writeFileSync(path.join(dir, 'd.js'), `// d\n${hexText(3000)}\n`);
  assert.equal(await gz('/d.js'), 'miss');
  assert.equal(await gz('/a.js'), 'miss', 'a was the least recently used: evicted');
  assert.equal(await gz('/d.js'), 'hit');
});

// The real page and the real engine worker (ide/src/worker/) against a TEST STAND-IN of the
// engine module (tests/e2e/fixtures/stub-engine/, which implements the documented gb_*
// interface over an in-memory file tree and a loopback terminal — it runs no x86 code)
// and a small synthetic image. What this checks is the plumbing the engine will use:
// chunk fetching (sha256, gzip, null chunks), terminal bytes both ways, window size, every
// file operation through the SAB request queue, upload, download, the IndexedDB overlay
// across a reload, Reset, and the shell exiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { launch, openIde, screenshot } from './lib/browser.mjs';
import { ROOT, ARTIFACTS } from './lib/paths.mjs';

const SITE = path.join(ROOT, 'build/test-site-stub');
const IMAGE = path.join(ARTIFACTS, 'stub-image');
const CHUNK = 4096;
let server;
let url;
let ctx;
let page;

function makeImage() {
  fs.rmSync(IMAGE, { recursive: true, force: true });
  fs.mkdirSync(path.join(IMAGE, 'chunks'), { recursive: true });
  const chunks = [];
  for (const [i, kind] of [[0, 'gz'], [1, null], [2, 'raw'], [3, 'gz']]) {
    if (!kind) {
      chunks.push(null);
      continue;
    }
    const raw = Buffer.alloc(CHUNK);
    for (let j = 0; j < CHUNK; j++) raw[j] = (i * 31 + j) & 0xff;
    const stored = kind === 'gz' ? zlib.gzipSync(raw) : raw;
    const hash = createHash('sha256').update(stored).digest('hex');
    fs.writeFileSync(path.join(IMAGE, 'chunks', hash), stored);
    chunks.push({ gz: kind === 'gz', hash, length: stored.length });
  }
  const manifest = {
    format: 'glassbox-image',
    version: 1,
    image_id: 'sha256:' + 'e2e0'.repeat(16),
    image_size: CHUNK * chunks.length,
    chunk_size: CHUNK,
    chunk_count: chunks.length,
    chunks_dir: 'chunks',
    compression: 'gzip',
    login: { cmd: ['/bin/bash', '--login'], cwd: '/home/student', uid: 1000, gid: 1000, user: 'student', env: {} },
    chunks,
  };
  fs.writeFileSync(path.join(IMAGE, 'manifest.json'), JSON.stringify(manifest));
}

const termText = () =>
  page.evaluate(() => {
    const b = window.glassbox.terminal.term.buffer.active;
    let s = '';
    for (let i = 0; i < b.length; i++) s += b.getLine(i).translateToString(true) + '\n';
    return s;
  });

async function waitTerm(re, timeout = 15_000) {
  const end = Date.now() + timeout;
  let t = '';
  while (Date.now() < end) {
    t = await termText();
    if (re.test(t)) return t;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal never matched ${re}:\n${t}`);
}

const fsCall = (op, ...args) =>
  page.evaluate(
    async ({ op, args }) => {
      try {
        const r = await window.glassbox.client[op](...args);
        return { ok: true, value: r instanceof Uint8Array ? new TextDecoder().decode(r) : r };
      } catch (e) {
        return { ok: false, code: e.code, message: e.message };
      }
    },
    { op, args },
  );

async function waitRunning() {
  await page.waitForFunction(() => window.glassbox?.machineState === 'running', null, { timeout: 20_000 });
  await page.waitForFunction(() => /first prompt in/.test(document.getElementById('st-first-prompt').textContent), null, { timeout: 20_000 });
}

before(async () => {
  makeImage();
  execFileSync(process.execPath, ['web/build.mjs', '--quiet', '--out', 'build/test-site-stub'], {
    cwd: ROOT,
    env: { ...process.env, GLASSBOX_ENGINE_DIR: 'tests/e2e/fixtures/stub-engine', GLASSBOX_IMAGE_DIR: IMAGE },
  });
  server = spawn(process.execPath, ['web/server.mjs', '--port', '0', '--root', SITE], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /Glassbox IDE: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  ctx = await launch();
  page = await openIde(ctx, url, { waitFor: 'page' });
});

after(async () => {
  if (page?.errors?.length) console.log('page errors:', page.errors);
  await ctx?.close();
  server?.kill();
});

test('boot: the worker fetches, verifies and inflates the chunks (skipping the null one), then reports the first prompt', async () => {
  await waitRunning();
  const t = await waitTerm(/chunks verified/);
  assert.match(t, /0 overlay blocks restored/);
  assert.match(t, /chunks verified: 0:ok 2:ok 3:ok\n/);
  assert.equal(await page.evaluate(() => document.getElementById('st-progress').hidden), true, 'progress bar gone at the prompt');
  assert.match(await page.locator('#st-machine-text').textContent(), /running/);
});

test('the file tree lists /home/student from the engine and expands folders', async () => {
  await page.waitForSelector('#tree .tree-row[data-path="/home/student/hello.c"]');
  const names = await page.locator('#tree .tree-row .name').allTextContents();
  assert.deepEqual(names, ['examples', 'hello.c', 'run.sh']);
  await page.click('#tree .tree-row[data-path="/home/student/examples"]');
  await page.waitForSelector('#tree .tree-row[data-path="/home/student/examples/Makefile"]');
  assert.equal(await page.locator('#tree .tree-row[data-path="/home/student/run.sh"] .file-icon.icon-sh').count(), 1);
});

test('opening files reads them through the request queue, with the right language', async () => {
  await page.click('#tree .tree-row[data-path="/home/student/examples/Makefile"]');
  await page.click('#tree .tree-row[data-path="/home/student/hello.c"]');
  const info = await page.evaluate(() => {
    const m = window.glassbox.editor.editor.getModel();
    const all = window.glassbox.monaco.editor.getModels().filter((x) => x.uri.scheme === 'file');
    return { path: m.uri.path, lang: m.getLanguageId(), text: m.getValue(), langs: Object.fromEntries(all.map((x) => [x.uri.path, x.getLanguageId()])) };
  });
  assert.equal(info.path, '/home/student/hello.c');
  assert.equal(info.lang, 'c');
  assert.match(info.text, /puts\("hello"\)/);
  assert.equal(info.langs['/home/student/examples/Makefile'], 'makefile');
  assert.equal(await page.locator('#tabs .tab').count(), 2);
});

test('Ctrl-S writes the file into the machine', async () => {
  await page.click('#editor .monaco-editor .view-lines');
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('// edited in Monaco\n');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => /saved \/home\/student\/hello\.c/.test(document.getElementById('st-message').textContent));
  const r = await fsCall('read', '/home/student/hello.c');
  assert.ok(r.ok);
  assert.match(r.value, /^\/\/ edited in Monaco\n#include <stdio\.h>/);
  assert.equal(await page.locator('#tabs .tab.dirty').count(), 0);
});

test('terminal bytes go both ways, and the window size reaches the engine', async () => {
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.type('echo-me');
  await waitTerm(/echo-me/);
  const b = await page.locator('[data-split="termH"]').boundingBox();
  await page.mouse.move(b.x + b.width / 2, b.y + 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y - 100, { steps: 5 });
  await page.mouse.up();
  await page.waitForTimeout(300);
  const size = await page.evaluate(() => `${window.glassbox.terminal.rows}x${window.glassbox.terminal.cols}`);
  const r = await fsCall('read', '/stub/winsize');
  assert.equal(r.value, size);
});

test('file operations: errors come back as errno names; a 3 MiB file crosses the 1 MiB rings', async () => {
  assert.deepEqual(await fsCall('read', '/home/student/nope.c'), { ok: false, code: 'ENOENT', message: 'read /home/student/nope.c: ENOENT' });
  assert.equal((await fsCall('mkdir', '/home/student/examples')).code, 'EEXIST');
  assert.equal((await fsCall('read', '/home/student/examples')).code, 'EISDIR');
  assert.equal((await fsCall('delete', '/home/student/examples')).code, 'ENOTEMPTY');
  assert.ok((await fsCall('mkdir', '/home/student/proj')).ok);
  assert.ok((await fsCall('write', '/home/student/proj/a.c', 'int a;\n')).ok);
  assert.ok((await fsCall('rename', '/home/student/proj', '/home/student/project')).ok);
  assert.equal((await fsCall('read', '/home/student/project/a.c')).value, 'int a;\n');
  const st = await fsCall('stat', '/home/student/project/a.c');
  assert.deepEqual({ type: st.value.type, size: st.value.size, uid: st.value.uid }, { type: 'file', size: 7, uid: 1000 });
  assert.ok((await fsCall('delete', '/home/student/project', true)).ok);
  assert.equal((await fsCall('stat', '/home/student/project')).code, 'ENOENT');
  const big = await page.evaluate(async () => {
    const c = window.glassbox.client;
    const data = new Uint8Array(3 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
    await c.write('/tmp/big.bin', data);
    const back = await c.read('/tmp/big.bin');
    let same = back.length === data.length;
    for (let i = 0; same && i < data.length; i++) same = back[i] === data[i];
    return { same, length: back.length };
  });
  assert.deepEqual(big, { same: true, length: 3 * 1024 * 1024 + 123 });
});

test('upload (file picker, into the selected folder) and drag and drop onto the tree', async () => {
  await page.click('#tree .tree-row[data-path="/home/student/examples"]'); // select (collapses)
  await page.setInputFiles('#upload-input', { name: 'up.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded\n') });
  await page.waitForFunction(() => /uploaded 1 file to \/home\/student\/examples/.test(document.getElementById('st-message').textContent));
  assert.equal((await fsCall('read', '/home/student/examples/up.txt')).value, 'uploaded\n');
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['dropped\n'], 'dropped.txt', { type: 'text/plain' }));
    const tree = document.getElementById('tree');
    tree.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    tree.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForSelector('#tree .tree-row[data-path="/home/student/dropped.txt"]');
  assert.equal((await fsCall('read', '/home/student/dropped.txt')).value, 'dropped\n');
  await screenshot(page, 'stub-engine-running');
});

test('Download workspace gives a tar of /home/student', async () => {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#btn-download-ws')]);
  assert.match(dl.suggestedFilename(), /^glassbox-workspace-\d{8}\.tar$/);
  const file = path.join(ARTIFACTS, 'workspace.tar');
  await dl.saveAs(file);
  const list = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n').sort();
  assert.deepEqual(list, ['student/', 'student/dropped.txt', 'student/examples/', 'student/examples/Makefile', 'student/examples/up.txt', 'student/hello.c', 'student/run.sh']);
  const hello = execFileSync('tar', ['-xOf', file, 'student/hello.c'], { encoding: 'utf8' });
  assert.match(hello, /^\/\/ edited in Monaco/);
  const modes = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
  assert.match(modes, /-rwxr-xr-x student\/student .* student\/run\.sh/);
});

test('Download file gives the selected file', async () => {
  await page.click('#tree .tree-row[data-path="/home/student/dropped.txt"]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#btn-download')]);
  assert.equal(dl.suggestedFilename(), 'dropped.txt');
  const file = path.join(ARTIFACTS, 'dropped.txt');
  await dl.saveAs(file);
  assert.equal(fs.readFileSync(file, 'utf8'), 'dropped\n');
});

test('a reload keeps the changes (overlay blocks in IndexedDB, block numbers above 2^32 too); /tmp is not kept', async () => {
  await page.reload();
  await waitRunning();
  await waitTerm(/2 overlay blocks restored/);
  assert.match((await fsCall('read', '/home/student/hello.c')).value, /^\/\/ edited in Monaco/);
  assert.equal((await fsCall('read', '/home/student/examples/up.txt')).value, 'uploaded\n');
  assert.equal((await fsCall('stat', '/tmp/big.bin')).code, 'ENOENT');
  const stored = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const r = indexedDB.open('glassbox-overlay');
        r.onsuccess = () => {
          const tx = r.result.transaction(['blocks', 'meta'], 'readonly');
          const keys = tx.objectStore('blocks').getAllKeys();
          const meta = tx.objectStore('meta').getAll();
          tx.oncomplete = () => {
            resolve({ keys: keys.result, meta: meta.result.map((m) => ({ imageId: m.imageId, blockSize: m.blockSize, blocks: m.blocks })) });
            r.result.close();
          };
        };
      }),
  );
  const id = 'sha256:' + 'e2e0'.repeat(16);
  assert.deepEqual(stored.keys, [[id, 0], [id, 2 ** 32 + 5]]);
  assert.deepEqual(stored.meta, [{ imageId: id, blockSize: 65536, blocks: 2 }]);
});

test('old data (an earlier image\'s overlay, unused cached chunks) is deleted only when the student agrees', async () => {
  const OLD = 'sha256:' + '0ld0'.repeat(16);
  const STRAY = 'f'.repeat(64);
  const id = 'sha256:' + 'e2e0'.repeat(16);
  const seed = () =>
    page.evaluate(
      async ({ OLD, STRAY }) => {
        const db = await new Promise((resolve) => {
          const r = indexedDB.open('glassbox-overlay');
          r.onsuccess = () => resolve(r.result);
        });
        await new Promise((resolve) => {
          const tx = db.transaction(['blocks', 'meta'], 'readwrite');
          for (const n of [0, 7, 2 ** 33]) tx.objectStore('blocks').put(new ArrayBuffer(65536), [OLD, n]);
          tx.objectStore('meta').put({ imageId: OLD, blockSize: 65536, blocks: 3, updated: Date.UTC(2026, 0, 15) }, OLD);
          tx.oncomplete = resolve;
        });
        db.close();
        const cache = await caches.open('glassbox-chunks-v1');
        await cache.put(new URL(`image/chunks/${STRAY}`, document.baseURI).href, new Response('x'.repeat(1000), { headers: { 'content-length': '1000' } }));
      },
      { OLD, STRAY },
    );
  const stored = () =>
    page.evaluate(
      async ({ OLD, STRAY }) => {
        const db = await new Promise((resolve) => {
          const r = indexedDB.open('glassbox-overlay');
          r.onsuccess = () => resolve(r.result);
        });
        const keys = await new Promise((resolve) => {
          const q = db.transaction('blocks').objectStore('blocks').getAllKeys();
          q.onsuccess = () => resolve(q.result);
        });
        const meta = await new Promise((resolve) => {
          const q = db.transaction('meta').objectStore('meta').getAllKeys();
          q.onsuccess = () => resolve(q.result);
        });
        db.close();
        const cache = await caches.open('glassbox-chunks-v1');
        const stray = !!(await cache.match(new URL(`image/chunks/${STRAY}`, document.baseURI).href));
        return { old: keys.filter((k) => k[0] === OLD).length, current: keys.filter((k) => k[0] !== OLD).length, meta, stray };
      },
      { OLD, STRAY },
    );
  const dialogOpen = () => page.evaluate(() => document.getElementById('old-data-dialog').open);
  await seed();
  const before = await stored();
  assert.deepEqual({ old: before.old, stray: before.stray }, { old: 3, stray: true });

  // asked at the next boot; "Keep it" keeps everything and is remembered
  await page.reload();
  await waitRunning();
  await page.waitForSelector('#old-data-dialog[open]', { timeout: 15_000 });
  const text = await page.locator('#old-data-list').textContent();
  assert.match(text, /192 KiB of changed disk blocks from an earlier version of the machine/);
  assert.match(text, /1000 B of downloaded disk chunks \(1\)/);
  await screenshot(page, 'old-data-dialog');
  await page.click('#old-data-dialog button[value="keep"]');
  assert.deepEqual(await stored(), before);
  await page.reload();
  await waitRunning();
  await page.waitForTimeout(1500);
  assert.equal(await dialogOpen(), false, 'not asked again for the same data');

  // asked again once the choice is forgotten; "Delete" removes the old image and the stray chunk only
  await page.evaluate(() => localStorage.removeItem('glassbox.oldData.kept'));
  await page.reload();
  await waitRunning();
  await page.waitForSelector('#old-data-dialog[open]', { timeout: 15_000 });
  await page.click('#old-data-dialog button[value="delete"]');
  await page.waitForFunction(() => /deleted old data/.test(document.getElementById('st-message').textContent), null, { timeout: 15_000 });
  const afterDelete = await stored();
  assert.deepEqual({ old: afterDelete.old, stray: afterDelete.stray, meta: afterDelete.meta }, { old: 0, stray: false, meta: [id] });
  assert.equal(afterDelete.current, before.current, 'the current image\'s overlay is untouched');
  assert.match((await fsCall('read', '/home/student/hello.c')).value, /^\/\/ edited in Monaco/);
});

test('Reset machine drops the overlay and starts a fresh machine', async () => {
  await page.click('#btn-reset');
  await page.click('#reset-dialog button[value="reset"]');
  await waitTerm(/machine was reset/);
  await waitRunning();
  await waitTerm(/0 overlay blocks restored/);
  assert.doesNotMatch((await fsCall('read', '/home/student/hello.c')).value, /edited in Monaco/);
  assert.equal((await fsCall('stat', '/home/student/examples/up.txt')).code, 'ENOENT');
  await page.waitForFunction(() => !document.querySelector('#tree .tree-row[data-path="/home/student/dropped.txt"]'));
  assert.equal(await page.locator('#tabs .tab[title]').count(), 0, 'files of the old machine closed');
});

test('when the login shell exits the page says so and file requests fail cleanly', async () => {
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.press('Control+d');
  await page.waitForFunction(() => window.glassbox.machineState === 'exited');
  assert.match(await page.locator('#st-machine-text').textContent(), /shell exited/);
  assert.match(await page.locator('#tree').textContent(), /No machine is running/);
  const r = await page.evaluate(() => window.glassbox.client.list('/home/student').then(() => 'ok', (e) => e.code));
  assert.equal(r, 'ENOENGINE');
});

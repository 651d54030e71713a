// Durability of the student's disk in the browser (docs/storage.md, "The overlay in the
// browser"), with the real engine and the default image in headless Chromium:
//
//   * a sync of more than 256 blocks (the guest writes ~4 MB of files) with the worker
//     terminated in the middle of its IndexedDB transaction, at several points (after the
//     1st, 128th, 256th and 257th put, and after the commit was requested), one kill per
//     round. The worker pauses there (a test hook: it blocks its thread, so the
//     transaction cannot commit meanwhile), posts `sync-paused`, and the page terminates it.
//     Then, with the worker dead, the overlay is read back from IndexedDB and must equal
//     the state of the last committed sync (a model built from the committed syncs'
//     SHA-256s), or - for the kill after the commit request only - that state plus the
//     whole paused sync: never a mix. base image + overlay must pass `e2fsck -fn`, every
//     file the guest wrote must be whole (one round's content throughout), and after a
//     reload the engine must see exactly those files;
//   * a QuotaExceededError injected into a sync (test hook) is shown to the student (the
//     storage banner), the machine keeps running, and the retry stores the change: it is
//     there after a reload;
//   * the page asks for persistent storage (navigator.storage.persist());
//   * after an image update (this image's overlay and kept manifest re-keyed as an earlier
//     image's), "Download my files" boots the earlier image read-only in a second worker and
//     downloads its /home/student as a tar; "Delete" then removes it.
//
// Figures (kills survived, sync durations by size) go to build/test-artifacts/persist-figures.json.
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openIde, screenshot } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { startServer } from './lib/server.mjs';
import { PROMPT, run, waitTerm } from './lib/terminal.mjs';
import { baseImage, fsck, readFile, withOverlay } from './lib/overlay-image.mjs';

const SITE = path.join(ROOT, 'build/site');
const WORK = path.join(ARTIFACTS, 'persist');
const BOOT_TIMEOUT = 180_000;
const FILES = [1, 2, 3, 4, 5, 6];
const FILE_BYTES = 700_000;
// Where the worker is stopped inside a sync of >= 257 blocks (one kill per round).
const KILL_POINTS = [{ pauseAfterPut: 1 }, { pauseAfterPut: 128 }, { pauseAfterPut: 256 }, { pauseAfterPut: 257 }, { pauseAfterCommitRequest: true }];

const skip = siteSkipReason(SITE);

let server;
let ctx;
let page;
let base;
const figures = { kills: [], syncs: [], quota: null };

/** Boots (or reboots after a reload) to the prompt. */
async function booted() {
  await page.waitForFunction(() => window.glassbox?.machineState === 'running', null, { timeout: BOOT_TIMEOUT });
  await waitTerm(page, PROMPT, BOOT_TIMEOUT);
}

/** A machine to test on, even after a failed test left the worker killed. */
async function ensureRunning() {
  if ((await page.evaluate(() => window.glassbox.machineState)) === 'running') return;
  await page.reload({ waitUntil: 'load' });
  await booted();
}

/** Waits until no sync has been committed for `ms` (the guest sits at its prompt). */
async function quiet(ms = 1500) {
  let n = -1;
  let since = Date.now();
  for (;;) {
    const m = await page.evaluate(() => window.glassbox.storage.syncs.length);
    if (m !== n) {
      n = m;
      since = Date.now();
    } else if (Date.now() - since >= ms) return;
    await page.waitForTimeout(100);
  }
}

/** The overlay as IndexedDB holds it: [[block, sha256 hex]] in block order, and the bytes if asked. */
function dumpOverlay(imageId, withData = false) {
  return page.evaluate(
    async ({ imageId, withData }) => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open('glassbox-overlay');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const { keys, values } = await new Promise((resolve, reject) => {
        const tx = db.transaction('blocks', 'readonly');
        const range = IDBKeyRange.bound([imageId, 0], [imageId, Number.MAX_SAFE_INTEGER]);
        const k = tx.objectStore('blocks').getAllKeys(range);
        const v = tx.objectStore('blocks').getAll(range);
        tx.oncomplete = () => resolve({ keys: k.result, values: v.result });
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
      const hashes = [];
      for (let i = 0; i < keys.length; i++) hashes.push([keys[i][1], hex(await crypto.subtle.digest('SHA-256', values[i]))]);
      let data;
      if (withData) {
        let s = '';
        for (const v of values) {
          const u = new Uint8Array(v);
          for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
        }
        data = btoa(s);
      }
      return { hashes, data, blockSize: values.length ? values[0].byteLength : 0 };
    },
    { imageId, withData },
  );
}

const sameState = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * The guest's files as e2fsck's image holds them: absent, or one round's lines throughout
 * (a sync may catch a file while `head` is still writing it: then it is a prefix).
 */
function filesInImage(img) {
  const out = {};
  for (const f of FILES) {
    const bytes = readFile(img, `/home/student/big${f}.txt`);
    if (bytes === null) {
      out[f] = null;
      continue;
    }
    const all = bytes.toString().split('\n');
    const tail = all.pop(); // head -c cuts the last line short
    const lines = new Set(all);
    if (lines.size === 0) {
      // caught just after `>` truncated it: empty, or less than one line
      assert.ok(/^(r\d*(-f?\d*)?)?$/.test(tail), `big${f}.txt holds ${JSON.stringify(tail)}`);
      out[f] = { round: null, whole: false, sha: crypto.createHash('sha256').update(bytes).digest('hex') };
      continue;
    }
    const round = /^r(\d+)-f(\d+)$/.exec([...lines][0] ?? '');
    assert.equal(lines.size, 1, `big${f}.txt mixes ${lines.size} rounds' lines`);
    assert.ok(round && Number(round[2]) === f, `big${f}.txt holds ${[...lines][0]}`);
    assert.ok(round[0].startsWith(tail), `big${f}.txt ends with ${JSON.stringify(tail)}`);
    assert.ok(bytes.length <= FILE_BYTES, `big${f}.txt is ${bytes.length} bytes`);
    out[f] = { round: Number(round[1]), whole: bytes.length === FILE_BYTES, sha: crypto.createHash('sha256').update(bytes).digest('hex') };
  }
  return out;
}

const writeCommand = (round) => `for f in ${FILES.join(' ')}; do yes r${round}-f$f | head -c ${FILE_BYTES} > big$f.txt; done; echo wrote-${round}`;

before(async () => {
  if (skip) return;
  fs.mkdirSync(WORK, { recursive: true });
  base = baseImage(path.join(SITE, 'image/manifest.json'), WORK);
  server = await startServer(SITE);
  ctx = await launch();
  page = await openIde(ctx, server.url, { waitFor: 'page' });
  await booted();
});

after(async () => {
  if (page?.errors?.length) console.log('page errors:', page.errors);
  await ctx?.close();
  server?.proc.kill();
  if (skip) return;
  fs.writeFileSync(path.join(ARTIFACTS, 'persist-figures.json'), JSON.stringify(figures, null, 2) + '\n');
  const big = figures.syncs.filter((s) => s.blocks > 256);
  console.log(
    `persist figures: ${figures.kills.filter((k) => k.fsck === 0).length}/${figures.kills.length} kills survived with e2fsck clean;` +
      ` syncs > 256 blocks: ${big.map((s) => `${s.blocks} blocks in ${s.ms} ms`).join(', ') || 'none'}`,
  );
});

test('the page asks the browser for persistent storage', { skip }, async () => {
  await page.waitForFunction(() => window.glassbox.storage.persistence !== 'unavailable', null, { timeout: 10_000 });
  const p = await page.evaluate(() => window.glassbox.storage.persistence);
  assert.ok(p === 'persistent' || p === 'best-effort', p);
});

test('a sync of > 256 blocks is one transaction: the worker killed mid-sync leaves the last committed state, e2fsck-clean', { skip }, async () => {
  const imageId = base.manifest.image_id;
  for (let k = 0; k < KILL_POINTS.length; k++) {
    const round = k + 1;
    const point = KILL_POINTS[k];
    // the old state: every file whole, from round 10+k, committed
    const baseline = 10 + round;
    await run(page, writeCommand(baseline), new RegExp(`\\nwrote-${baseline}\\n[^]*\\$ ?$`), 240_000);
    await quiet();
    const model = new Map((await dumpOverlay(imageId)).hashes);
    await page.evaluate((hooks) => {
      window.__hookEvents = [];
      window.glassbox.debug.onTestHook = (m) => {
        window.__hookEvents.push(m);
        if (m.event === 'sync-paused') window.glassbox.debug.killWorker();
      };
      window.glassbox.debug.setTestHooks(hooks);
    }, { ...point, pauseMinBlocks: 257, pauseMs: 60_000, reportBlocks: true });
    await run(page, writeCommand(round));
    await page.waitForFunction(() => window.__hookEvents.some((m) => m.event === 'sync-paused'), null, { timeout: 240_000, polling: 100 });
    await page.waitForFunction(() => window.glassbox.machineState === 'exited', null, { timeout: 10_000 });
    const events = await page.evaluate(() => window.__hookEvents);
    const paused = events.find((m) => m.event === 'sync-paused');
    // the syncs committed before the paused one (smaller ones while the loop ran) are the old state
    for (const m of events.slice(0, events.indexOf(paused))) if (m.event === 'committed') for (const [n, h] of m.hashes) model.set(n, h);
    const newer = new Map(model);
    for (const [n, h] of paused.hashes) newer.set(n, h);

    // the worker is gone: what IndexedDB holds now is what a reload would boot from
    const dump = await dumpOverlay(imageId, true);
    const stored = new Map(dump.hashes);
    const isOld = sameState(stored, model);
    const isNew = sameState(stored, newer);
    if (point.pauseAfterCommitRequest) assert.ok(isOld || isNew, `round ${round}: the stored overlay is neither the old nor the new state`);
    else assert.ok(isOld, `round ${round}: killed after ${paused.puts} of ${paused.blocks} puts, the stored overlay is not the last committed state`);

    const data = Buffer.from(dump.data, 'base64');
    const blocks = dump.hashes.map(([n], i) => [n, data.subarray(i * dump.blockSize, (i + 1) * dump.blockSize)]);
    const img = withOverlay(base.file, blocks, dump.blockSize, path.join(WORK, 'killed.img'));
    const check = fsck(img);
    const files = filesInImage(img);
    figures.kills.push({ round, point, puts: paused.puts, syncBlocks: paused.blocks, stored: isOld ? 'old' : 'new', fsck: check.code, overlayBlocks: blocks.length });
    assert.equal(check.code, 0, `round ${round}: e2fsck -fn on base + overlay:\n${check.output}`);
    if (isOld && !events.some((m) => m.event === 'committed')) {
      for (const f of FILES) assert.deepEqual([files[f]?.round, files[f]?.whole], [baseline, true], `round ${round}: big${f}.txt is not the old file`);
    }

    // a reload boots from exactly that state
    await page.reload({ waitUntil: 'load' });
    await booted();
    for (const f of FILES) {
      const got = await page.evaluate(
        (p) =>
          window.glassbox.client.read(p).then(
            async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join(''),
            (e) => e.code,
          ),
        `/home/student/big${f}.txt`,
      );
      assert.equal(got, files[f] === null ? 'ENOENT' : files[f].sha, `big${f}.txt after the reload`);
    }
    fs.rmSync(img, { force: true });
  }
});

test('an unhooked sync of > 256 blocks commits whole; its duration is measured', { skip }, async () => {
  const imageId = base.manifest.image_id;
  await ensureRunning();
  await page.evaluate(() => window.glassbox.storage.syncs.splice(0));
  await run(page, writeCommand(99), /\nwrote-99\n[^]*\$ ?$/, 240_000);
  await quiet();
  figures.syncs = await page.evaluate(() => window.glassbox.storage.syncs);
  const dump = await dumpOverlay(imageId, true);
  const data = Buffer.from(dump.data, 'base64');
  const img = withOverlay(base.file, dump.hashes.map(([n], i) => [n, data.subarray(i * dump.blockSize, (i + 1) * dump.blockSize)]), dump.blockSize, path.join(WORK, 'final.img'));
  const check = fsck(img);
  assert.equal(check.code, 0, check.output);
  const files = filesInImage(img);
  for (const f of FILES) assert.deepEqual([files[f]?.round, files[f]?.whole], [99, true], `big${f}.txt`);
  fs.rmSync(img, { force: true });
});

test('a QuotaExceededError is shown to the student, the machine keeps running, and the retry stores the change', { skip }, async () => {
  await ensureRunning();
  await quiet();
  await page.evaluate(() => window.glassbox.debug.setTestHooks({ quotaFailures: 1 }));
  await run(page, 'echo kept-after-quota > quota.txt; echo wrote-quota', /\nwrote-quota\n/, 60_000);
  await page.waitForSelector('#storage-banner[data-state="failed"]:not([hidden])', { timeout: 30_000 });
  const text = await page.locator('#storage-banner').textContent();
  assert.match(text, /storage is full/i);
  assert.match(text, /keeps running/);
  assert.match(await page.locator('#st-overlay').textContent(), /not saved/);
  await screenshot(page, 'persist-quota-banner');
  // the machine goes on
  const t0 = Date.now();
  await run(page, 'echo still-$((40+2))', /\nstill-42\n[^]*\$ ?$/, 30_000);
  assert.equal(await page.evaluate(() => window.glassbox.machineState), 'running');
  // the next attempt (2 s back-off) stores everything that was pending
  await page.waitForSelector('#storage-banner[data-state="ok"]', { timeout: 30_000 });
  figures.quota = { recoveredAfterMs: Date.now() - t0 };
  await quiet();
  await page.reload({ waitUntil: 'load' });
  await booted();
  const back = await page.evaluate(async () => new TextDecoder().decode(await window.glassbox.client.read('/home/student/quota.txt')));
  assert.equal(back, 'kept-after-quota\n');
});

test('after an image update the student downloads their files from the earlier image, then deletes it', { skip }, async () => {
  await ensureRunning();
  await quiet();
  await run(page, 'echo from-the-earlier-version > earlier.txt; mkdir -p sub && echo deep > sub/deep.txt; echo wrote-earlier', /\nwrote-earlier\n/, 60_000);
  await quiet();
  // The site "moves to a new image": this image's overlay and kept manifest become those of
  // an earlier image OLD (same chunks, another id), and the current machine loses the files.
  const OLD = 'sha256:' + 'ea71'.repeat(16);
  const seeded = await page.evaluate(async (OLD) => {
    const id = (await (await fetch('image/manifest.json')).json()).image_id;
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('glassbox-overlay');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const get = (store, q) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction(store, 'readonly');
        const r = q(tx.objectStore(store));
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const kept = await get('manifests', (s) => s.get(id));
    const range = IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]);
    const keys = await get('blocks', (s) => s.getAllKeys(range));
    const values = await get('blocks', (s) => s.getAll(range));
    const meta = await get('meta', (s) => s.get(id));
    await new Promise((resolve, reject) => {
      const tx = db.transaction(['blocks', 'meta', 'manifests'], 'readwrite');
      keys.forEach((k, i) => tx.objectStore('blocks').put(values[i], [OLD, k[1]]));
      tx.objectStore('meta').put({ ...meta, imageId: OLD, updated: Date.UTC(2026, 8, 1) }, OLD);
      if (kept) tx.objectStore('manifests').put(JSON.stringify({ ...JSON.parse(kept), image_id: OLD }), OLD);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return { id, kept: kept ? JSON.parse(kept).image_id : null, blocks: keys.length };
  }, OLD);
  assert.equal(seeded.kept, seeded.id, 'the worker keeps the manifest of the image it booted');
  assert.ok(seeded.blocks > 0);
  await run(page, 'rm -r earlier.txt sub; echo removed-here', /\nremoved-here\n/, 60_000);
  await quiet();
  await page.evaluate(() => localStorage.removeItem('glassbox.oldData.kept'));
  await page.reload({ waitUntil: 'load' });
  await booted();
  await page.waitForSelector('#old-data-dialog[open]', { timeout: 30_000 });
  assert.match(await page.locator('#old-data-list').textContent(), /an earlier version of the machine[^]*download your files from it/);
  await screenshot(page, 'old-data-download');
  // "Download my files": a second, read-only worker boots the earlier image and packs /home/student
  const t0 = Date.now();
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: BOOT_TIMEOUT }), page.click('#old-data-download')]);
  figures.earlierDownloadMs = Date.now() - t0;
  assert.match(download.suggestedFilename(), /^glassbox-workspace-20260901-earlier\.tar$/);
  const tar = path.join(WORK, 'earlier.tar');
  await download.saveAs(tar);
  assert.equal(execFileSync('tar', ['-xOf', tar, 'student/earlier.txt']).toString(), 'from-the-earlier-version\n');
  assert.equal(execFileSync('tar', ['-xOf', tar, 'student/sub/deep.txt']).toString(), 'deep\n');
  // the question comes back; the earlier image's overlay and manifest go only now
  await page.waitForSelector('#old-data-dialog[open]', { timeout: 30_000 });
  await page.click('#old-data-dialog button[value="delete"]');
  await page.waitForFunction(() => /deleted old data/.test(document.getElementById('st-message').textContent), null, { timeout: 15_000 });
  const left = await page.evaluate(async (OLD) => {
    const db = await new Promise((resolve) => {
      const r = indexedDB.open('glassbox-overlay');
      r.onsuccess = () => resolve(r.result);
    });
    const n = await new Promise((resolve) => {
      const q = db.transaction('manifests').objectStore('manifests').count(OLD);
      q.onsuccess = () => resolve(q.result);
    });
    db.close();
    return n;
  }, OLD);
  assert.equal(left, 0);
  // the current machine never saw those files, and still runs
  await run(page, 'ls earlier.txt 2>&1; echo listed', /No such file[^]*\nlisted\n/, 30_000);
});

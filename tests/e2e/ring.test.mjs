// The SAB ring between the IDE page (main thread: async waits) and a dedicated worker
// (blocking Atomics.wait), in headless Chromium, on the cross-origin isolated page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openIde } from './lib/browser.mjs';
import { bundleScript } from './lib/ts.mjs';

let ctx;
let page;
let workerSource;

before(async () => {
  ctx = await launch();
  page = await openIde(ctx, undefined, { waitFor: 'page' });
  workerSource = await bundleScript('tests/e2e/fixtures/ring-stress-worker.js');
  await page.addScriptTag({ content: await bundleScript('tests/e2e/fixtures/ring-stress-page.js', 'ringStress') });
});
after(async () => ctx?.close());

for (const [capacity, total, nearWrap] of [
  [1024, 4 * 1024 * 1024, false],
  [65536, 16 * 1024 * 1024, false],
  [4096, 4 * 1024 * 1024, true],
]) {
  test(`ring stress page <-> worker: ${total >> 20} MiB each way through a ${capacity >> 10} KiB ring${nearWrap ? ', indices wrapping 2^32' : ''}`, async () => {
    const r = await page.evaluate((o) => window.ringStress.run(o), { workerSource, total, capacity, seed: 0x1234567 + capacity, nearWrap });
    console.log(`  ${JSON.stringify(r)}`);
    assert.equal(r.isolated, true, 'worker is cross-origin isolated');
    assert.equal(r.waitAsync, true, 'the page waits with Atomics.waitAsync');
    assert.equal(r.bad, -1, `worker saw a wrong byte at ${r.bad}`);
    assert.equal(r.got, total);
    assert.equal(r.echoBad, -1, `page saw a wrong echo byte at ${r.echoBad}`);
    assert.equal(r.echoed, total);
  });
}

// Node tests of share links (ide/src/share.ts): round trip, the limits, and a damaged or
// hostile link gives a clear error, never files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './lib/ts.mjs';

const share = await importTs('ide/src/share.ts');

test('share: files, lesson and step survive the round trip; the fragment is compact', async () => {
  const p = { files: { 'hello.c': '#include <stdio.h>\nint main(void) { puts("héllo ✓"); }\n', 'sub/notes.txt': 'x\n'.repeat(500) }, lesson: 'c-hello', step: 2, from: 'lessons/c-hello' };
  const frag = await share.encodeShare(p);
  assert.match(frag, /^share=1\.[A-Za-z0-9_-]+$/);
  assert.ok(frag.length < 300, `compressed: ${frag.length} characters`);
  assert.deepEqual(await share.decodeShare(`#${frag}`), p);
  assert.deepEqual(await share.decodeShare(`#x=1&${frag}`), p);
  assert.equal(await share.decodeShare('#other=1'), null);
  assert.equal(await share.decodeShare(''), null);
});

test('share: limits are errors that say what to do', async () => {
  await assert.rejects(share.encodeShare({ files: {} }), /no files/);
  const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}.c`, 'x']));
  await assert.rejects(share.encodeShare({ files: many }), /at most 20 files/);
  await assert.rejects(share.encodeShare({ files: { 'big.txt': 'y'.repeat(300 * 1024) } }), /too big for a link/);
  // incompressible text: the link itself is too long
  const noise = Array.from(crypto.getRandomValues(new Uint8Array(60000)), (b) => String.fromCharCode(33 + (b % 90))).join('');
  await assert.rejects(share.encodeShare({ files: { 'noise.txt': noise } }), /share fewer or smaller files/);
  await assert.rejects(share.encodeShare({ files: { '../../etc/passwd': 'x' } }), /bad file name/);
  await assert.rejects(share.encodeShare({ files: { '/abs': 'x' } }), /bad file name/);
  await assert.rejects(share.encodeShare({ files: { a: 'x' }, lesson: '../x' }), /bad lesson id/);
});

test('share: damaged links are refused with a reason', async () => {
  const frag = await share.encodeShare({ files: { 'a.c': 'int x;\n'.repeat(50) } });
  await assert.rejects(share.decodeShare(`#${frag.slice(0, frag.length - 12)}`), /damaged/);
  await assert.rejects(share.decodeShare('#share=1.%%%'), /not base64url/);
  await assert.rejects(share.decodeShare('#share=9.abc'), /format this IDE does not know/);
  // valid compression of something that is not a payload
  const evil = await share.encodeShare({ files: { ok: 'x' } }).then(() => null);
  assert.equal(evil, null);
  const json = new TextEncoder().encode(JSON.stringify({ files: { '../../x': 'y' } }));
  const packed = new Uint8Array(await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());
  const b64 = Buffer.from(packed).toString('base64url');
  await assert.rejects(share.decodeShare(`#share=1.${b64}`), /bad file name/);
});

test('share: the receiving folder is never an existing one', () => {
  const now = new Date(2026, 11, 3, 9, 5, 7);
  assert.equal(share.receiveFolder(now, () => false), 'shared/2026-12-03-090507');
  const taken = new Set(['shared/2026-12-03-090507', 'shared/2026-12-03-090507-2']);
  assert.equal(share.receiveFolder(now, (n) => taken.has(n)), 'shared/2026-12-03-090507-3');
});

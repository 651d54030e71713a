// The inspector's trace ring (ide/src/engine/trace-ring.ts) in node: records arrive whole
// and in order; a reader that falls behind loses the oldest and counts exactly how many;
// the u32 indices wrap at 2^32; a batch larger than the ring keeps its last records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './lib/ts.mjs';

const { RECORD_SIZE, TraceRingReader, TraceRingWriter, allocateTraceRing } = await importTs('ide/src/engine/trace-ring.ts');

/** n records whose first 8 bytes are seq (from `first`) and the rest a pattern of it. */
function records(first, n) {
  const b = new Uint8Array(n * RECORD_SIZE);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) {
    v.setBigUint64(i * RECORD_SIZE, BigInt(first + i), true);
    b.fill((first + i) & 0xff, i * RECORD_SIZE + 8, (i + 1) * RECORD_SIZE);
  }
  return b;
}
function seqs(buf, n) {
  const v = new DataView(buf.buffer, buf.byteOffset);
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = Number(v.getBigUint64(i * RECORD_SIZE, true));
    assert.ok(buf.subarray(i * RECORD_SIZE + 8, (i + 1) * RECORD_SIZE).every((x) => x === (s & 0xff)), `record ${s} is whole`);
    out.push(s);
  }
  return out;
}

test('trace ring: in order, the oldest dropped and counted when the reader is behind', () => {
  const sab = allocateTraceRing(8);
  const w = new TraceRingWriter(sab);
  const r = new TraceRingReader(sab);
  const out = { buf: new Uint8Array(0) };
  w.write(records(1, 5), 5);
  let n = r.read(out);
  assert.deepEqual(seqs(out.buf, n), [1, 2, 3, 4, 5]);
  assert.equal(r.read(out), 0);
  w.write(records(6, 6), 6);
  w.write(records(12, 6), 6); // 12 unread in a ring of 8: 4 lost
  n = r.read(out);
  assert.deepEqual(seqs(out.buf, n), [10, 11, 12, 13, 14, 15, 16, 17]);
  assert.equal(r.dropped, 4);
  w.write(records(18, 20), 20); // one batch larger than the ring
  n = r.read(out);
  assert.deepEqual(seqs(out.buf, n), [30, 31, 32, 33, 34, 35, 36, 37]);
  assert.equal(r.dropped, 4 + 12);
  w.setEngineDrops(7);
  assert.equal(r.engineDrops, 7);
});

test('trace ring: indices wrap at 2^32', () => {
  const sab = allocateTraceRing(4);
  const h = new Int32Array(sab, 0, 16);
  h[3] = h[4] = -3; // published = claimed = 2^32 - 3
  const w = new TraceRingWriter(sab);
  const r = new TraceRingReader(sab);
  const out = { buf: new Uint8Array(0) };
  let next = 1;
  for (let round = 0; round < 5; round++) {
    w.write(records(next, 3), 3);
    const n = r.read(out);
    assert.deepEqual(seqs(out.buf, n), [next, next + 1, next + 2]);
    next += 3;
  }
  assert.equal(r.dropped, 0);
});

// The inspector's trace ring: a SharedArrayBuffer of fixed 256-byte records
// (vm/trace/record.h) that the engine worker writes and the page reads
// (docs/inspector.md, "The data path"). One writer, one reader; the writer never waits:
// when the reader falls behind, the oldest records are overwritten and the reader counts
// them as dropped (the records' own seq numbers show the same gaps to the inspector).
//
// Layout: 64-byte header of Int32 words, then `capacity` slots of RECORD_SIZE bytes.
//   [0] magic 'GBTR'   [1] record size   [2] capacity (records)
//   [3] published: records written and complete (u32, wraps)
//   [4] claimed: records the writer is writing now (published + batch), stored before copying
//   [5] engine drops: records the engine's own ring overwrote before the worker took them
// Record i lives in slot i % capacity. A reader that copied slots it could see being
// claimed again (index < claimed - capacity after its copy) throws those away as dropped.
export const RECORD_SIZE = 256;
const HEADER = 64;
const MAGIC = 0x47425452;
const W_MAGIC = 0, W_SIZE = 1, W_CAP = 2, W_PUBLISHED = 3, W_CLAIMED = 4, W_ENGINE_DROPS = 5;

export function allocateTraceRing(capacity: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADER + capacity * RECORD_SIZE);
  const h = new Int32Array(sab, 0, HEADER / 4);
  h[W_MAGIC] = MAGIC;
  h[W_SIZE] = RECORD_SIZE;
  h[W_CAP] = capacity;
  return sab;
}

function header(sab: SharedArrayBuffer): { h: Int32Array; cap: number } {
  const h = new Int32Array(sab, 0, HEADER / 4);
  if (h[W_MAGIC] !== MAGIC || h[W_SIZE] !== RECORD_SIZE) throw new Error('not a trace ring');
  return { h, cap: h[W_CAP] };
}

/** The worker's side. */
export class TraceRingWriter {
  private readonly h: Int32Array;
  private readonly cap: number;
  private readonly bytes: Uint8Array;
  constructor(sab: SharedArrayBuffer) {
    ({ h: this.h, cap: this.cap } = header(sab));
    this.bytes = new Uint8Array(sab, HEADER);
  }
  /** Appends `n` packed records from `src` (only the last `capacity` can survive). */
  write(src: Uint8Array, n: number): void {
    if (n <= 0) return;
    const start = Atomics.load(this.h, W_PUBLISHED) >>> 0;
    Atomics.store(this.h, W_CLAIMED, (start + n) | 0);
    const skip = n > this.cap ? n - this.cap : 0;
    for (let i = skip; i < n; i++) {
      const slot = ((start + i) >>> 0) % this.cap;
      this.bytes.set(src.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE), slot * RECORD_SIZE);
    }
    Atomics.store(this.h, W_PUBLISHED, (start + n) | 0);
  }
  setEngineDrops(n: number): void {
    Atomics.store(this.h, W_ENGINE_DROPS, n | 0);
  }
}

/** The page's side. */
export class TraceRingReader {
  private readonly h: Int32Array;
  private readonly cap: number;
  private readonly bytes: Uint8Array;
  private next: number;
  /** Records this reader lost because the writer lapped it. */
  dropped = 0;
  constructor(sab: SharedArrayBuffer) {
    ({ h: this.h, cap: this.cap } = header(sab));
    this.bytes = new Uint8Array(sab, HEADER);
    this.next = Atomics.load(this.h, W_PUBLISHED) >>> 0;  // a new reader starts at the present
  }
  get engineDrops(): number {
    return Atomics.load(this.h, W_ENGINE_DROPS) >>> 0;
  }
  /** Copies the records published since the last read into `out` (grown as needed);
   *  returns how many complete, untorn records are at its start. */
  read(out: { buf: Uint8Array }, max = this.cap): number {
    const published = Atomics.load(this.h, W_PUBLISHED) >>> 0;
    let avail = (published - this.next) >>> 0;
    if (avail > this.cap) {
      this.dropped += avail - this.cap;
      this.next = (published - this.cap) >>> 0;
      avail = this.cap;
    }
    const n = Math.min(avail, max);
    if (out.buf.length < n * RECORD_SIZE) out.buf = new Uint8Array(Math.max(n, 64) * RECORD_SIZE * 2);
    for (let i = 0; i < n; i++) {
      const slot = ((this.next + i) >>> 0) % this.cap;
      out.buf.set(this.bytes.subarray(slot * RECORD_SIZE, (slot + 1) * RECORD_SIZE), i * RECORD_SIZE);
    }
    // Slots the writer may have started to overwrite while we copied are not trusted.
    const claimed = Atomics.load(this.h, W_CLAIMED) >>> 0;
    const oldestSafe = (claimed - this.cap) >>> 0;
    let bad = 0;
    if (((claimed - this.next) >>> 0) > this.cap) bad = Math.min(n, (oldestSafe - this.next) >>> 0);
    this.next = (this.next + n) >>> 0;
    if (bad) {
      this.dropped += bad;
      out.buf.copyWithin(0, bad * RECORD_SIZE, n * RECORD_SIZE);
    }
    return n - bad;
  }
}

// A single-producer single-consumer byte ring in a SharedArrayBuffer.
//
// Shared by the page (ide/src/engine/client.ts) and the engine worker (ide/src/worker/).
// One side only writes, the other only reads. Layout of the SharedArrayBuffer:
//
//   byte   0  Int32 head    total bytes ever written (mod 2^32), stored by the producer
//   byte  64  Int32 tail    total bytes ever read    (mod 2^32), stored by the consumer
//   byte 128  Int32 closed  1 once the producer has closed the ring (no more data will come)
//   byte 192  data          `capacity` bytes, a power of two
//
// head and tail sit on separate 64-byte lines so producer and consumer do not share a
// cache line. The indices run free and wrap at 2^32; used = (head - tail) mod 2^32, and a
// capacity of at most 2^30 keeps that unambiguous. Publishing is Atomics.store after the
// bytes are copied, and the other side's Atomics.load happens before it touches the bytes:
// Atomics are sequentially consistent, so the copy is visible once the index is.
//
// Waiting: the consumer waits on `head`, the producer on `tail` (Atomics.wait in a worker,
// Atomics.waitAsync or polling on the page, whose main thread may not block). Every
// store is followed by Atomics.notify on the same word.

export const RING_HEADER_BYTES = 192;
const HEAD = 0; // Int32 index of head
const TAIL = 16; // Int32 index of tail (byte 64)
const CLOSED = 32; // Int32 index of closed (byte 128)

export type WaitResult = 'ok' | 'timed-out' | 'closed';

type WaitAsyncFn = (
  ta: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: boolean; value: Promise<string> | string };

function waitAsyncFn(): WaitAsyncFn | undefined {
  const w = (Atomics as unknown as { waitAsync?: WaitAsyncFn }).waitAsync;
  return typeof w === 'function' ? w : undefined;
}

/** Waits until `ta[index] !== value` without blocking the thread. */
export function waitChangeAsync(ta: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  if (Atomics.load(ta, index) !== value) return Promise.resolve();
  const wa = waitAsyncFn();
  if (wa) {
    const r = wa(ta, index, value, timeoutMs === Infinity ? undefined : timeoutMs);
    if (!r.async) return Promise.resolve();
    return (r.value as Promise<string>).then(() => undefined);
  }
  // Fallback for browsers without Atomics.waitAsync: poll.
  return new Promise((resolve) => {
    const start = Date.now();
    const tick = () => {
      if (Atomics.load(ta, index) !== value || Date.now() - start >= timeoutMs) resolve();
      else setTimeout(tick, 4);
    };
    setTimeout(tick, 1);
  });
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export class ByteRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  /** Allocates a ring with `capacity` data bytes (a power of two, 16 .. 2^30). */
  static create(capacity: number): ByteRing {
    if (!isPowerOfTwo(capacity) || capacity < 16 || capacity > 2 ** 30) {
      throw new RangeError(`ring capacity must be a power of two in [16, 2^30], got ${capacity}`);
    }
    return new ByteRing(new SharedArrayBuffer(RING_HEADER_BYTES + capacity));
  }

  /** Wraps an existing ring (the other side's view of the same SharedArrayBuffer). */
  constructor(sab: SharedArrayBuffer) {
    const capacity = sab.byteLength - RING_HEADER_BYTES;
    if (!isPowerOfTwo(capacity)) throw new RangeError('not a ring buffer (data size is not a power of two)');
    this.sab = sab;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, RING_HEADER_BYTES, capacity);
  }

  /** Bytes ready to read. */
  available(): number {
    return (Atomics.load(this.ctl, HEAD) - Atomics.load(this.ctl, TAIL)) >>> 0;
  }

  /** Bytes that can be written without waiting. */
  space(): number {
    return this.capacity - this.available();
  }

  get closed(): boolean {
    return Atomics.load(this.ctl, CLOSED) !== 0;
  }

  /** Producer: no more data will be written. Wakes a waiting consumer. */
  close(): void {
    Atomics.store(this.ctl, CLOSED, 1);
    Atomics.notify(this.ctl, HEAD);
    Atomics.notify(this.ctl, TAIL);
  }

  /** Producer: copies as many bytes of `src` as fit; returns the count (0 if full). */
  write(src: Uint8Array, offset = 0, length = src.length - offset): number {
    const head = Atomics.load(this.ctl, HEAD) >>> 0;
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    const free = this.capacity - ((head - tail) >>> 0);
    const n = Math.min(free, length);
    if (n <= 0) return 0;
    const at = head & this.mask;
    const first = Math.min(n, this.capacity - at);
    this.data.set(src.subarray(offset, offset + first), at);
    if (n > first) this.data.set(src.subarray(offset + first, offset + n), 0);
    Atomics.store(this.ctl, HEAD, (head + n) | 0);
    Atomics.notify(this.ctl, HEAD);
    return n;
  }

  /** Consumer: copies up to `length` available bytes into `dst`; returns the count. */
  read(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    const head = Atomics.load(this.ctl, HEAD) >>> 0;
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    const used = (head - tail) >>> 0;
    const n = Math.min(used, length);
    if (n <= 0) return 0;
    const at = tail & this.mask;
    const first = Math.min(n, this.capacity - at);
    dst.set(this.data.subarray(at, at + first), offset);
    if (n > first) dst.set(this.data.subarray(0, n - first), offset + first);
    Atomics.store(this.ctl, TAIL, (tail + n) | 0);
    Atomics.notify(this.ctl, TAIL);
    return n;
  }

  /** Consumer: everything available now, as a fresh array (empty if nothing). */
  readAvailable(max = Infinity): Uint8Array {
    const n = Math.min(this.available(), max);
    const out = new Uint8Array(n);
    if (n > 0) this.read(out, 0, n);
    return out;
  }

  // ---- blocking waits (workers and node only: the page's main thread may not block) ----

  /** Consumer: blocks until at least one byte is readable, the ring is closed, or timeout. */
  waitReadable(timeoutMs = Infinity): WaitResult {
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const head = Atomics.load(this.ctl, HEAD);
      if (((head - Atomics.load(this.ctl, TAIL)) >>> 0) > 0) return 'ok';
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timed-out';
      Atomics.wait(this.ctl, HEAD, head, left === Infinity ? undefined : left);
    }
  }

  /** Producer: blocks until `want` bytes (at most capacity) are free, or timeout. */
  waitWritable(want = 1, timeoutMs = Infinity): WaitResult {
    want = Math.min(want, this.capacity);
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const tail = Atomics.load(this.ctl, TAIL);
      if (this.space() >= want) return 'ok';
      const left = deadline - Date.now();
      if (left <= 0) return 'timed-out';
      Atomics.wait(this.ctl, TAIL, tail, left === Infinity ? undefined : left);
    }
  }

  /** Producer: writes all of `src`, blocking while the ring is full. */
  writeAllBlocking(src: Uint8Array, timeoutMs = Infinity): boolean {
    let off = 0;
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    while (off < src.length) {
      off += this.write(src, off);
      if (off < src.length) {
        const left = deadline - Date.now();
        if (left <= 0 || this.waitWritable(1, left) !== 'ok') return false;
      }
    }
    return true;
  }

  // ---- non-blocking waits (page) ----

  /** Consumer: resolves when a byte is readable, the ring is closed, or after timeout. */
  async waitReadableAsync(timeoutMs = Infinity): Promise<WaitResult> {
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const head = Atomics.load(this.ctl, HEAD);
      if (((head - Atomics.load(this.ctl, TAIL)) >>> 0) > 0) return 'ok';
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timed-out';
      await waitChangeAsync(this.ctl, HEAD, head, left);
    }
  }

  /** Producer: resolves when `want` bytes are free, or after timeout. */
  async waitWritableAsync(want = 1, timeoutMs = Infinity): Promise<WaitResult> {
    want = Math.min(want, this.capacity);
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const tail = Atomics.load(this.ctl, TAIL);
      if (this.space() >= want) return 'ok';
      const left = deadline - Date.now();
      if (left <= 0) return 'timed-out';
      await waitChangeAsync(this.ctl, TAIL, tail, left);
    }
  }

  /** Producer: writes all of `src`, awaiting space while the ring is full. */
  async writeAllAsync(src: Uint8Array): Promise<void> {
    let off = 0;
    while (off < src.length) {
      off += this.write(src, off);
      if (off < src.length) await this.waitWritableAsync(1);
    }
  }
}

// The warm-up (docs/ide.md, "Chunks"): once the machine is at its first prompt, the disk
// chunks of the image's warm.json (the files a lab's first gcc and python3 read,
// web/warm-paths.txt) are fetched in the background and handed to the engine when it asks.
//
// Index
//   WarmChunks   the engine thread's side: `want(urls)` and `take(url)` from inside a
//                synchronous chunk request (worker/net.ts syncFetchBatch); `start` (the
//                warm-up's list); the counters the 'activity' messages carry.
//   warmHelper   the fetching side, a worker of its own (started from a Blob of this
//                function's source: it closes over nothing).
//
// Design notes
//   * Why a second worker: the engine's worker is busy while the guest runs (its event loop
//     turns between 8 ms slices and not at all during a synchronous request), so fetches it
//     starts itself barely progress while a command runs, and a chunk the engine needs
//     before its fetch finished would be requested a second time. The helper's event loop
//     is free: it keeps 4 fetches going and holds the stored bytes. On a first visit (no
//     service worker controls the page yet) it puts them into the chunk cache itself, as
//     the synchronous route does, so the machine works offline after one visit.
//   * The engine's own batches (a read that needs several chunks, an exec's prefetch of up
//     to 8 MiB) go through the helper too, from boot on: `want` marks the chunks in flight
//     and the helper fetches them all at once, so a batch costs one round trip, not one
//     per chunk. Single requests stay synchronous requests (no message on that path).
//   * Shared state, no messages on the hot path: one Int32 per manifest chunk (`st`: none,
//     in flight, held, gone) tells the engine thread whether the helper has the chunk or is
//     fetching it. Only then does it post 'take' and wait (`Atomics.wait`) for the answer
//     in a shared buffer: the bytes (`data`, the largest stored chunk), their length, and
//     the request's sequence number. A chunk the engine asks for first is claimed (none ->
//     gone) so the helper skips it. One take at a time (the engine thread is blocked), and
//     a newer take replaces a pending one in the helper, so a late answer never lands in
//     the buffer while the engine reads another.
//   * The engine verifies what it gets as always (length, sha256, gzip): a bad copy costs
//     one retry. A take waits at most the request's timeout, then the synchronous request
//     runs as before; the helper failing or missing changes nothing but the speed.
//   * Bounded: what is held stays under 64 MiB (the default list is 27.5 MB stored).
import type { PageLink } from './link';
import { CHUNK_CACHE } from './net';

/** Int32 words of the control buffer (passed to the helper, which cannot import). */
const W = { FETCHED: 0, TOTAL: 1, DONE: 2, BYTES: 3, ANSWER: 4, LEN: 5 } as const;
/** A chunk's state in `st`. */
const S = { NONE: 0, FLIGHT: 1, HELD: 2, GONE: 3 } as const;
/** Fetches in flight at once. */
const PARALLEL = 4;
const MAX_HELD = 64 << 20;

interface WarmItem {
  index: number;
  url: string;
  length: number;
}
interface InitMessage {
  op: 'init';
  W: typeof W;
  S: typeof S;
  ctl: SharedArrayBuffer;
  st: SharedArrayBuffer;
  data: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
  doorWord: number;
  parallel: number;
  maxHeld: number;
  cache: string | null;
}
interface TakeMessage {
  op: 'take';
  index: number;
  seq: number;
}
/** The warm-up's list (warm.json's chunks, in order): fetched `parallel` at a time. */
interface ListMessage {
  op: 'list';
  list: WarmItem[];
}
/** The engine's own batch (a read or an exec's prefetch): fetched now, all at once. */
interface WantMessage {
  op: 'want';
  list: WarmItem[];
}

/** The helper worker's whole program (its source becomes a Blob: no outside names). */
function warmHelper(): void {
  let m: InitMessage | null = null;
  let ctl: Int32Array;
  let st: Int32Array;
  let data: Uint8Array;
  const held = new Map<number, Uint8Array>();
  let heldBytes = 0;
  let pending = -1;
  let pendingSeq = 0;
  const answer = (seq: number, bytes: Uint8Array | null) => {
    if (bytes) data.set(bytes);
    Atomics.store(ctl, m!.W.LEN, bytes ? bytes.length : -1);
    Atomics.store(ctl, m!.W.ANSWER, seq);
    Atomics.notify(ctl, m!.W.ANSWER);
  };
  const ring = () => {
    const d = new Int32Array(m!.doorbell);
    Atomics.add(d, m!.doorWord, 1);
    Atomics.notify(d, m!.doorWord);
  };
  const take = (t: TakeMessage) => {
    const d = held.get(t.index);
    if (d) {
      held.delete(t.index);
      heldBytes -= d.length;
      Atomics.store(st, t.index, m!.S.GONE);
      pending = -1;
      answer(t.seq, d);
    } else if (Atomics.load(st, t.index) === m!.S.FLIGHT) {
      pending = t.index; // answered when it arrives (a newer take replaces this one)
      pendingSeq = t.seq;
    } else {
      pending = -1;
      answer(t.seq, null);
    }
  };
  // one fetch: held for a take, or handed to the take waiting for it
  const fetchOne = async (c: WarmItem) => {
    const s = m!;
    let got: Uint8Array | null = null;
    try {
      // (a whole minute for one chunk: past it the lane goes on, the engine asks itself)
      const r = await fetch(c.url, { signal: AbortSignal.timeout(60_000) });
      if (r.ok) {
        const b = new Uint8Array(await r.arrayBuffer());
        if (b.length === c.length) got = b;
      }
    } catch {
      // offline or a server error: the engine requests it itself
    }
    if (got) {
      Atomics.add(ctl, s.W.BYTES, got.length);
      if (s.cache) {
        const copy = got;
        caches
          .open(s.cache)
          .then((cc) => cc.put(c.url, new Response(copy as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } })))
          .catch(() => undefined);
      }
    }
    if (pending === c.index) {
      pending = -1;
      Atomics.store(st, c.index, s.S.GONE);
      answer(pendingSeq, got);
    } else if (got) {
      held.set(c.index, got);
      heldBytes += got.length;
      Atomics.store(st, c.index, s.S.HELD);
    } else {
      Atomics.store(st, c.index, s.S.GONE);
    }
    return !!got;
  };
  const init = (s: InitMessage) => {
    m = s;
    ctl = new Int32Array(s.ctl);
    st = new Int32Array(s.st);
    data = new Uint8Array(s.data);
  };
  const warmList = async (l: ListMessage) => {
    const s = m!;
    const queue = l.list.slice();
    Atomics.store(ctl, s.W.TOTAL, queue.length);
    const one = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        if (heldBytes + c.length > s.maxHeld) {
          Atomics.sub(ctl, s.W.TOTAL, queue.length + 1);
          queue.length = 0;
          return;
        }
        if (Atomics.compareExchange(st, c.index, s.S.NONE, s.S.FLIGHT) !== s.S.NONE) {
          Atomics.sub(ctl, s.W.TOTAL, 1); // the engine asked for it first
          continue;
        }
        if (await fetchOne(c)) Atomics.add(ctl, s.W.FETCHED, 1);
        ring();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, s.parallel) }, one));
    Atomics.store(ctl, s.W.DONE, 1);
    ring();
  };
  self.onmessage = (e: MessageEvent<InitMessage | ListMessage | TakeMessage | WantMessage>) => {
    const d = e.data;
    if (d.op === 'take') take(d);
    else if (d.op === 'want') for (const c of d.list) void fetchOne(c); // (the engine marked them in flight)
    else if (d.op === 'list') void warmList(d);
    else init(d);
  };
}

/** The engine thread's side of the warm-up (see the top of this file). */
export class WarmChunks {
  private worker: Worker | null = null;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(8 * 4));
  private readonly st: Int32Array;
  private readonly data: SharedArrayBuffer;
  private readonly index = new Map<string, number>();
  private readonly lengths: number[] = [];
  private seq = 0;
  private bytesSeen = 0;
  /** A warm-up that never starts (no warm.json) still reports done. */
  private none = false;

  /** Starts the helper (idle until `start`; it already serves `fetchBatch`). */
  constructor(
    private readonly link: PageLink,
    cacheChunks: boolean,
    private readonly chunks: Array<{ hash: string; length: number } | null>,
    private readonly chunkBase: string,
    doorbell: Int32Array,
    doorWord: number,
  ) {
    this.st = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, chunks.length)));
    let max = 1;
    chunks.forEach((c, i) => {
      if (!c) return;
      this.index.set(chunkBase + c.hash, i);
      max = Math.max(max, c.length);
    });
    this.data = new SharedArrayBuffer(max);
    try {
      this.worker = new Worker(URL.createObjectURL(new Blob([`(${warmHelper.toString()})()`], { type: 'text/javascript' })));
    } catch (e) {
      link.log('warn', `warm-up: no helper worker (${(e as Error).message})`);
      this.none = true;
      return;
    }
    const msg: InitMessage = {
      op: 'init', W, S, ctl: this.ctl.buffer as SharedArrayBuffer, st: this.st.buffer as SharedArrayBuffer, data: this.data,
      doorbell: doorbell.buffer as SharedArrayBuffer, doorWord, parallel: PARALLEL, maxHeld: MAX_HELD,
      cache: cacheChunks && 'caches' in self ? CHUNK_CACHE : null,
    };
    this.worker.postMessage(msg);
  }

  get fetched(): number {
    return Atomics.load(this.ctl, W.FETCHED);
  }
  get total(): number {
    return Atomics.load(this.ctl, W.TOTAL);
  }
  get done(): boolean {
    return this.none || Atomics.load(this.ctl, W.DONE) === 1;
  }

  /** Adds the bytes the helper fetched since the last call to the link's count. */
  account(): void {
    const b = Atomics.load(this.ctl, W.BYTES);
    this.link.bytesFetched += b - this.bytesSeen;
    this.bytesSeen = b;
  }

  /** Nothing to warm (no list, another image's). */
  skip(): void {
    this.none = true;
  }

  /** The warm-up proper: the helper fetches `indices` (manifest chunk indices, in order). */
  start(indices: number[]): void {
    if (!this.worker) return;
    const list: WarmItem[] = [];
    for (const i of indices) {
      const c = this.chunks[i];
      if (c) list.push({ index: i, url: this.chunkBase + c.hash, length: c.length });
    }
    this.worker.postMessage({ op: 'list', list } satisfies ListMessage);
  }

  /**
   * A batch of the engine's (syncFetchBatch, before taking its chunks one by one): the
   * chunks of it nobody has yet are fetched by the helper now, all at once, so a read-ahead
   * or an exec's prefetch costs one round trip, not one per chunk. Returns the URLs it
   * handed to the helper (fetched on demand all the same: the caller counts them).
   */
  want(urls: string[]): Set<string> | null {
    if (!this.worker || urls.length < 2) return null;
    const list: WarmItem[] = [];
    for (const url of urls) {
      const i = this.index.get(url);
      if (i !== undefined && Atomics.compareExchange(this.st, i, S.NONE, S.FLIGHT) === S.NONE) list.push({ index: i, url, length: this.chunks[i]!.length });
    }
    if (list.length) this.worker.postMessage({ op: 'want', list } satisfies WantMessage);
    return new Set(list.map((c) => c.url));
  }

  /**
   * From inside a synchronous chunk request: the stored bytes of `url` if the helper holds
   * them or is fetching them (waiting up to `timeoutMs`), handed over once; else undefined
   * (and the helper will not fetch it any more: the caller requests it itself).
   */
  take(url: string, timeoutMs: number): Uint8Array | undefined {
    const i = this.index.get(url);
    if (i === undefined) return undefined;
    const was = Atomics.compareExchange(this.st, i, S.NONE, S.GONE);
    if (!this.worker || was === S.NONE || was === S.GONE) return undefined;
    const seq = ++this.seq;
    this.worker.postMessage({ op: 'take', index: i, seq } satisfies TakeMessage);
    const end = performance.now() + timeoutMs;
    for (;;) {
      const a = Atomics.load(this.ctl, W.ANSWER);
      if (a === seq) break;
      const left = end - performance.now();
      if (left <= 0) return undefined;
      Atomics.wait(this.ctl, W.ANSWER, a, left);
    }
    const len = Atomics.load(this.ctl, W.LEN);
    return len < 0 ? undefined : new Uint8Array(this.data, 0, len).slice();
  }
}

// Keeping the student's disk in the browser: the engine's overlay <-> IndexedDB.
//
// The rules (docs/storage.md, "The overlay in the browser"):
//   * One sync = ONE IndexedDB transaction. `flush` takes every block the engine has
//     pending (gb_overlay_take_dirty until it returns 0: the union of complete ext2
//     syncs, a consistent file system) and stores them, with the meta record, in one
//     transaction. A tab closed or killed, a worker terminated, a quota error: the
//     transaction aborts and the stored overlay is the previous sync's, never a mix.
//   * Blocks leave the engine only after the commit: gb_overlay_settle(1) once the
//     transaction completed, gb_overlay_settle(0) (back to pending) if it failed.
//   * A failure (QuotaExceededError above all) is reported to the page (a `storage`
//     message: the IDE shows it) and the machine keeps running; nothing pending is lost,
//     the next attempt comes after a back-off (2 s doubling to 60 s) or at once before
//     answering an editor's save. A later success is reported too.
//   * Without IndexedDB (or persist: false) the blocks are dropped after each sync, so a
//     throw-away session does not grow the engine's memory.
import { OVERLAY_RECORD_HEADER } from '../engine/abi';
import type { TestHooks } from '../engine/protocol';
import { OverlayStore } from '../engine/overlay-store';
import { EngineModule, check } from './engine-module';
import type { PageLink } from './link';
import { sha256hex } from './net';

const TAKE_BATCH = 256;
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 60_000;

export class Persister {
  /** Test-only settings (see TestHooks); empty in the IDE. */
  hooks: TestHooks = {};
  private persisted = 0;
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly link: PageLink,
    private readonly E: EngineModule,
    private readonly store: OverlayStore | null,
    private readonly blockSize: number,
  ) {}

  /** Opens the store for `imageId`; null (with a warning) when IndexedDB is unavailable. */
  static async openStore(link: PageLink, dbName: string, imageId: string): Promise<OverlayStore | null> {
    if (typeof indexedDB === 'undefined') return null;
    try {
      return await OverlayStore.open(dbName, imageId);
    } catch (e) {
      link.log('warn', `IndexedDB unavailable (${(e as Error).message}); changes will not persist`);
      return null;
    }
  }

  /** Hands every block kept by an earlier session to the engine (before gb_boot). */
  async restore(): Promise<number> {
    if (!this.store) return 0;
    const E = this.E;
    const scratch = E._malloc(this.blockSize);
    try {
      const n = await this.store.forEach((block, data) => {
        E.HEAPU8.set(data.subarray(0, this.blockSize), scratch);
        check(E, E._gb_overlay_load(block >>> 0, Math.floor(block / 2 ** 32), scratch), 'gb_overlay_load');
      });
      this.link.post({ type: 'overlay', persisted: 0, total: n });
      return n;
    } finally {
      E._free(scratch);
    }
  }

  /** Overlays of other images kept in this browser, for the page to offer to delete. */
  async reportOldImages(): Promise<void> {
    if (!this.store) return;
    try {
      const old = await this.store.otherImages();
      const kept = new Set(old.length ? await this.store.manifestIds() : []);
      if (old.length)
        this.link.post({
          type: 'old-data',
          images: old.map((m) => ({ imageId: m.imageId, blocks: m.blocks, bytes: m.blocks * m.blockSize, updated: m.updated, manifest: kept.has(m.imageId) })),
        });
    } catch (e) {
      this.link.log('warn', `could not list old overlays: ${(e as Error).message}`);
    }
  }

  /** Deletes old images' overlays: only on the page's request, after the student agreed. */
  async prune(imageIds: string[]): Promise<void> {
    try {
      if (!this.store) throw new Error('no overlay store');
      await this.store.prune(imageIds);
      this.link.post({ type: 'pruned', imageIds });
    } catch (e) {
      this.link.post({ type: 'pruned', imageIds, error: (e as Error).message });
    }
  }

  /** A failed sync waits for its back-off; true when an attempt is due at `now`. */
  due(now: number): boolean {
    return now >= this.retryAt;
  }

  /** ms until the next attempt of a failed sync (-1: none waiting). */
  retryInMs(now: number): number {
    return this.failures ? Math.max(0, this.retryAt - now) : -1;
  }

  /** Every pending block in one array of [block, copy], moved to the engine's in-flight set. */
  private takeAll(): Array<[number, Uint8Array]> {
    const E = this.E;
    const bs = this.blockSize;
    const rec = OVERLAY_RECORD_HEADER + bs;
    const blocks: Array<[number, Uint8Array]> = [];
    for (;;) {
      const n = E._gb_overlay_take_dirty(TAKE_BATCH);
      if (n <= 0) break;
      const base = E._gb_overlay_reply();
      const heap = E.HEAPU8; // after the call: memory may have grown
      const dv = new DataView(heap.buffer, heap.byteOffset);
      for (let i = 0; i < n; i++) {
        const at = base + i * rec;
        const block = dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 2 ** 32;
        blocks.push([block, heap.slice(at + OVERLAY_RECORD_HEADER, at + rec)]);
      }
    }
    return blocks;
  }

  /**
   * Stores everything the engine has pending as one transaction. Resolves true when it is
   * committed (or there was nothing), false when it failed (reported; retried later).
   */
  async flush(): Promise<boolean> {
    const blocks = this.takeAll();
    if (!this.store) {
      this.E._gb_overlay_settle(1); // a throw-away session: nothing to keep
      return true;
    }
    if (blocks.length === 0) {
      this.E._gb_overlay_settle(1);
      return true;
    }
    try {
      const hashes = this.hooks.reportBlocks ? await Promise.all(blocks.map(async ([n, d]): Promise<[number, string]> => [n, await sha256hex(d)])) : undefined;
      const t0 = performance.now();
      const total = await this.store.putSync(blocks, this.blockSize, {
        onPut: (i, count) => this.onPut(i, count, hashes),
        onCommitRequested: () => this.onCommitRequested(blocks.length, hashes),
      });
      const ms = performance.now() - t0;
      this.E._gb_overlay_settle(1);
      this.persisted += blocks.length;
      if (hashes) this.link.post({ type: 'test-hook', event: 'committed', blocks: blocks.length, hashes });
      if (this.failures) {
        this.failures = 0;
        this.retryAt = 0;
        this.link.post({ type: 'storage', state: 'ok', quota: false, message: 'your changes are kept in this browser again', pendingBlocks: 0 });
      }
      this.link.post({ type: 'overlay', persisted: this.persisted, total, blocks: blocks.length, ms: Math.round(ms * 10) / 10 });
      return true;
    } catch (e) {
      const pendingBlocks = this.E._gb_overlay_settle(0);
      this.failed(e, pendingBlocks);
      return false;
    }
  }

  private failed(e: unknown, pendingBlocks: number): void {
    const err = e as DOMException;
    const quota = err?.name === 'QuotaExceededError';
    this.failures++;
    const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1));
    this.retryAt = performance.now() + wait;
    const why = quota ? 'the browser has no more storage for this site (quota exceeded)' : `IndexedDB refused the write (${err?.name ?? 'Error'}: ${err?.message ?? e})`;
    this.link.log('warn', `overlay sync failed (attempt ${this.failures}): ${why}; ${pendingBlocks} blocks kept in memory, retry in ${wait} ms`);
    this.link.post({ type: 'storage', state: 'failed', quota, message: why, pendingBlocks, retryInMs: wait });
  }

  // ---- test hooks (never set by the IDE) ----

  private onPut(i: number, count: number, hashes?: Array<[number, string]>): void {
    const h = this.hooks;
    if (i === 0 && h.quotaFailures) {
      h.quotaFailures--;
      throw new DOMException('injected by a test hook', 'QuotaExceededError');
    }
    if (h.pauseAfterPut && i + 1 === h.pauseAfterPut && count >= (h.pauseMinBlocks ?? 0)) {
      delete h.pauseAfterPut;
      this.pause(i + 1, count, hashes);
    }
  }

  private onCommitRequested(count: number, hashes?: Array<[number, string]>): void {
    const h = this.hooks;
    if (h.pauseAfterCommitRequest && count >= (h.pauseMinBlocks ?? 0)) {
      delete h.pauseAfterCommitRequest;
      this.pause(count, count, hashes);
    }
  }

  /** Tells the page, then blocks this thread (the transaction cannot commit meanwhile). */
  private pause(puts: number, blocks: number, hashes?: Array<[number, string]>): void {
    this.link.post({ type: 'test-hook', event: 'sync-paused', puts, blocks, hashes });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.hooks.pauseMs ?? 30_000);
  }
}

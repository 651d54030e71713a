// The overlay (disk blocks the guest has modified) kept in IndexedDB.
//
// The engine worker owns it: it loads the stored blocks before boot and stores each sync
// of the engine (every block changed since the last one) in ONE readwrite transaction,
// so a sync is atomic: a tab killed, a worker terminated or a quota error in the middle
// of it leaves the previous sync's state, never a mix (docs/storage.md, "The overlay in
// the browser"). The page deletes the whole database (Reset machine, after terminating the
// worker); old images' overlays are deleted by the worker only when the student agrees.
//
// Database `name` (default "glassbox-overlay"), version 2:
//   blocks:    key [imageId, blockNumber] -> ArrayBuffer (block_size bytes)
//   meta:      key imageId -> { imageId, blockSize, blocks, syncs, updated }
//   manifests: key imageId -> the image's manifest.json text (version 2)
// Keying by image id keeps the overlays of two images apart: a new image starts clean.
// `meta` is written in the same transaction as the blocks it counts. The manifest is kept
// so that an overlay outlives the site's image: when the site moves to a new image, the
// worker can still boot the old one (its chunks are content-named and mostly shared) to
// hand the student their files (docs/storage.md, "Old images").

export const OVERLAY_DB = 'glassbox-overlay';
const VERSION = 2;

export interface OverlayMeta {
  imageId: string;
  blockSize: number;
  /** blocks stored for this image */
  blocks: number;
  /** syncs committed (absent in databases written before it existed) */
  syncs?: number;
  /** Date.now() of the last commit */
  updated: number;
}

/** Called after each put is issued inside the transaction (index, total). May throw to abort. */
export type PutHook = (index: number, total: number) => void;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('IndexedDB transaction aborted', 'AbortError'));
  });
}

const imageRange = (imageId: string) => IDBKeyRange.bound([imageId, 0], [imageId, Number.MAX_SAFE_INTEGER]);

/** A compact ArrayBuffer holding exactly the view's bytes (no copy if it already is one). */
function ownBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return data.slice().buffer;
}

export class OverlayStore {
  private constructor(
    private readonly db: IDBDatabase,
    private id: string,
  ) {}

  get imageId(): string {
    return this.id;
  }

  /** Names the image once its manifest is read (the store may be opened before). */
  setImage(imageId: string): void {
    this.id = imageId;
  }

  static async open(name: string, imageId: string): Promise<OverlayStore> {
    const r = indexedDB.open(name, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('blocks')) db.createObjectStore('blocks');
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      if (!db.objectStoreNames.contains('manifests')) db.createObjectStore('manifests');
    };
    const db = await req(r);
    // A Reset on the page deletes the database: let it, and stop using it.
    db.onversionchange = () => db.close();
    return new OverlayStore(db, imageId);
  }

  close(): void {
    this.db.close();
  }

  async meta(): Promise<OverlayMeta | undefined> {
    const tx = this.db.transaction('meta', 'readonly');
    return (await req(tx.objectStore('meta').get(this.imageId))) as OverlayMeta | undefined;
  }

  /** Keeps the manifest of `imageId` (this image unless named), once: it never changes. */
  async keepManifest(text: string, imageId = this.imageId): Promise<void> {
    const tx = this.db.transaction('manifests', 'readwrite');
    const store = tx.objectStore('manifests');
    if ((await req(store.count(imageId))) === 0) store.put(text, imageId);
    await done(tx);
  }

  /** The manifest kept for `imageId`, or undefined (overlays stored before version 2). */
  async manifest(imageId: string): Promise<string | undefined> {
    const tx = this.db.transaction('manifests', 'readonly');
    return (await req(tx.objectStore('manifests').get(imageId))) as string | undefined;
  }

  /** The image ids whose manifest is kept. */
  async manifestIds(): Promise<string[]> {
    const tx = this.db.transaction('manifests', 'readonly');
    return (await req(tx.objectStore('manifests').getAllKeys())) as string[];
  }

  /** Calls `fn` for every stored block of this image, in block order. */
  async forEach(fn: (block: number, data: Uint8Array) => void): Promise<number> {
    const tx = this.db.transaction('blocks', 'readonly');
    const cursorReq = tx.objectStore('blocks').openCursor(imageRange(this.imageId));
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      cursorReq.onsuccess = () => {
        const c = cursorReq.result;
        if (!c) return resolve();
        const key = c.key as [string, number];
        fn(key[1], new Uint8Array(c.value as ArrayBuffer));
        n++;
        c.continue();
      };
      cursorReq.onerror = () => reject(cursorReq.error);
    });
    await done(tx);
    return n;
  }

  /**
   * Stores one sync: every block and the updated meta record in one transaction.
   * Resolves with the number of blocks stored for the image once it has COMMITTED;
   * rejects (QuotaExceededError, AbortError, an error thrown by `onPut`) with nothing of
   * it stored. `onCommitRequested` runs once the commit has been requested (after the
   * last request), before it is known to have completed.
   */
  async putSync(
    blocks: Array<[number, Uint8Array]>,
    blockSize: number,
    hooks: { onPut?: PutHook; onCommitRequested?: () => void } = {},
  ): Promise<number> {
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite', { durability: 'strict' });
    const finished = done(tx);
    let total = 0;
    try {
      const store = tx.objectStore('blocks');
      const metaStore = tx.objectStore('meta');
      for (let i = 0; i < blocks.length; i++) {
        const [n, data] = blocks[i];
        store.put(ownBuffer(data), [this.imageId, n]);
        hooks.onPut?.(i, blocks.length);
      }
      const prev = metaStore.get(this.imageId);
      const count = store.count(imageRange(this.imageId));
      count.onsuccess = () => {
        total = count.result;
        const old = prev.result as OverlayMeta | undefined;
        const meta: OverlayMeta = { imageId: this.imageId, blockSize, blocks: total, syncs: (old?.syncs ?? 0) + 1, updated: Date.now() };
        metaStore.put(meta, this.imageId);
        // The last request: ask for the commit now rather than when the callbacks run out.
        tx.commit?.();
        hooks.onCommitRequested?.();
      };
    } catch (e) {
      try {
        tx.abort();
      } catch {
        /* already finished */
      }
      finished.catch(() => undefined);
      throw e;
    }
    await finished;
    return total;
  }

  async count(): Promise<number> {
    const tx = this.db.transaction('blocks', 'readonly');
    return req(tx.objectStore('blocks').count(imageRange(this.imageId)));
  }

  /** The overlays kept for other images (earlier versions of the machine). */
  async otherImages(): Promise<OverlayMeta[]> {
    const tx = this.db.transaction('meta', 'readonly');
    const all = (await req(tx.objectStore('meta').getAll())) as OverlayMeta[];
    return all.filter((m) => m && m.imageId !== this.imageId);
  }

  /** Deletes the overlays of the given images (never this one), each in one transaction. */
  async prune(imageIds: string[]): Promise<number> {
    let n = 0;
    for (const id of imageIds) {
      if (id === this.imageId) continue;
      const tx = this.db.transaction(['blocks', 'meta', 'manifests'], 'readwrite');
      tx.objectStore('blocks').delete(imageRange(id));
      tx.objectStore('meta').delete(id);
      tx.objectStore('manifests').delete(id);
      await done(tx);
      n++;
    }
    return n;
  }
}

/** Page side of Reset machine: drops every stored overlay. The worker must be gone first. */
export function deleteOverlayDb(name = OVERLAY_DB): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
    // `blocked` means another tab still has it open; the delete completes when it closes.
    r.onblocked = () => undefined;
  });
}

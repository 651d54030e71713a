// The overlay (disk blocks the guest has modified) kept in IndexedDB.
//
// The engine worker owns it: it loads the stored blocks before boot and writes the dirty
// ones after the guest goes idle (and before it answers an editor's write request). The
// page only ever deletes the whole database (Reset machine), after terminating the worker.
//
// Database `name` (default "glassbox-overlay"), version 1:
//   blocks: key [imageId, blockNumber] -> ArrayBuffer (block_size bytes)
//   meta:   key imageId -> { imageId, blockSize, blocks, updated }
// Keying by image id keeps the overlays of two images apart: a new image starts clean.

export const OVERLAY_DB = 'glassbox-overlay';
const VERSION = 1;

export interface OverlayMeta {
  imageId: string;
  blockSize: number;
  blocks: number;
  updated: number;
}

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
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class OverlayStore {
  private constructor(
    private readonly db: IDBDatabase,
    readonly imageId: string,
  ) {}

  static async open(name: string, imageId: string): Promise<OverlayStore> {
    const r = indexedDB.open(name, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('blocks')) db.createObjectStore('blocks');
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
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

  /** Calls `fn` for every stored block of this image, in block order. */
  async forEach(fn: (block: number, data: Uint8Array) => void): Promise<number> {
    const tx = this.db.transaction('blocks', 'readonly');
    const range = IDBKeyRange.bound([this.imageId, 0], [this.imageId, Number.MAX_SAFE_INTEGER]);
    const cursorReq = tx.objectStore('blocks').openCursor(range);
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

  /** Stores blocks in one transaction; resolves once it is committed. */
  async put(blocks: Array<[number, Uint8Array]>, blockSize: number): Promise<void> {
    if (blocks.length === 0) return;
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite');
    const store = tx.objectStore('blocks');
    for (const [n, data] of blocks) {
      // Store a compact copy (the view may be a window on a larger buffer or on wasm memory).
      store.put(data.slice().buffer, [this.imageId, n]);
    }
    const metaStore = tx.objectStore('meta');
    const countReq = store.count(IDBKeyRange.bound([this.imageId, 0], [this.imageId, Number.MAX_SAFE_INTEGER]));
    countReq.onsuccess = () => {
      const meta: OverlayMeta = { imageId: this.imageId, blockSize, blocks: countReq.result, updated: Date.now() };
      metaStore.put(meta, this.imageId);
    };
    await done(tx);
  }

  async count(): Promise<number> {
    const tx = this.db.transaction('blocks', 'readonly');
    return req(tx.objectStore('blocks').count(IDBKeyRange.bound([this.imageId, 0], [this.imageId, Number.MAX_SAFE_INTEGER])));
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

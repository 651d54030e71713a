// Browser storage, the page's side (docs/storage.md, "The overlay in the browser"):
//   * asks for persistent storage (navigator.storage.persist(): the browser then does not
//     evict the student's files when space runs low);
//   * the storage banner: a sync the browser refused (quota) is shown to the student, with
//     what it means (the machine keeps running, the changes are retried) and what to do;
//   * old data: overlays of earlier images (in IndexedDB, kept by the worker) and disk
//     chunks the current image no longer uses (in the service worker's chunk cache) are
//     deleted only when the student agrees in a dialog.
import type { OldDataMessage, StorageMessage } from './engine/protocol';
import { $, formatBytes, showDialog } from './ui';

/** The service worker's cache of disk chunks (web/sw.js, CHUNK_CACHE). */
export const CHUNK_CACHE = 'glassbox-chunks-v1';
const KEPT_KEY = 'glassbox.oldData.kept';

export type Persistence = 'persistent' | 'best-effort' | 'unavailable';

/** Asks the browser to keep this site's storage (it may say no: then it is best-effort). */
export async function requestPersistence(): Promise<Persistence> {
  const s = navigator.storage;
  if (!s || typeof s.persist !== 'function') return 'unavailable';
  try {
    if (await s.persisted()) return 'persistent';
    return (await s.persist()) ? 'persistent' : 'best-effort';
  } catch {
    return 'best-effort';
  }
}

async function usageText(): Promise<string> {
  try {
    const e = await navigator.storage?.estimate?.();
    if (e && e.quota) return ` This site uses ${formatBytes(e.usage ?? 0)} of the ${formatBytes(e.quota)} the browser allows it.`;
  } catch {
    /* no estimate */
  }
  return '';
}

/** The banner shown while changes cannot be stored. */
export class StorageBanner {
  private hideTimer = 0;
  onDownload: () => void = () => undefined;

  constructor() {
    $('storage-banner-dismiss').onclick = () => this.hide();
    $('storage-banner-download').onclick = () => this.onDownload();
  }

  get visible(): boolean {
    return !$('storage-banner').hidden;
  }

  async show(msg: StorageMessage): Promise<void> {
    const banner = $('storage-banner');
    clearTimeout(this.hideTimer);
    banner.dataset.state = msg.state;
    if (msg.state === 'failed') {
      $('storage-banner-title').textContent = msg.quota ? 'Browser storage is full: your latest changes are not saved yet.' : 'Your latest changes could not be saved in this browser.';
      const retry = msg.retryInMs !== undefined ? ` It tries again in ${Math.round(msg.retryInMs / 1000)} s, and whenever you save a file.` : '';
      const why = msg.message.charAt(0).toUpperCase() + msg.message.slice(1);
      $('storage-banner-text').textContent =
        `${why}. The machine keeps running and keeps the ${msg.pendingBlocks} changed disk blocks in memory;` +
        ` closing this tab now would lose them.${retry} Free space (delete large files in the machine, other sites' data, or old Glassbox data), or download your workspace.` +
        (await usageText());
      $('storage-banner-download').hidden = false;
    } else {
      $('storage-banner-title').textContent = 'Saved again.';
      $('storage-banner-text').textContent = 'Your changes are kept in this browser again.';
      $('storage-banner-download').hidden = true;
      this.hideTimer = window.setTimeout(() => this.hide(), 6000);
    }
    banner.hidden = false;
  }

  hide(): void {
    $('storage-banner').hidden = true;
  }
}

/** Cached disk chunks that the current image's manifest does not name. */
export async function unusedChunks(manifestUrl: string): Promise<{ urls: string[]; bytes: number }> {
  if (typeof caches === 'undefined' || !(await caches.has(CHUNK_CACHE))) return { urls: [], bytes: 0 };
  const manifest = (await (await fetch(manifestUrl)).json()) as { chunks: Array<{ hash: string } | null> };
  const wanted = new Set(manifest.chunks.filter(Boolean).map((c) => c!.hash));
  const cache = await caches.open(CHUNK_CACHE);
  const urls: string[] = [];
  let bytes = 0;
  for (const req of await cache.keys()) {
    const hash = /\/([0-9a-f]{64})$/.exec(new URL(req.url).pathname)?.[1];
    if (!hash || wanted.has(hash)) continue;
    urls.push(req.url);
    const r = await cache.match(req);
    bytes += Number(r?.headers.get('content-length')) || 0;
  }
  return { urls, bytes };
}

export async function deleteChunks(urls: string[]): Promise<void> {
  const cache = await caches.open(CHUNK_CACHE);
  for (const u of urls) await cache.delete(u);
}

export interface OldData {
  images: OldDataMessage['images'];
  chunks: { urls: string[]; bytes: number };
}

const signature = (d: OldData) => JSON.stringify([d.images.map((i) => i.imageId).sort(), d.chunks.urls.length]);

/**
 * Asks the student what to do with old data: 'delete' it, 'keep' it (not asked again for
 * the same data), or 'download' the files of the earlier versions whose manifest this
 * browser kept (the dialog is then shown again). `null` when there is nothing to ask.
 */
export async function askAboutOldData(d: OldData, opts: { always?: boolean } = {}): Promise<'delete' | 'keep' | 'download' | null> {
  if (d.images.length === 0 && d.chunks.urls.length === 0) return null;
  const sig = signature(d);
  if (!opts.always && localStorage.getItem(KEPT_KEY) === sig) return null;
  const imageBytes = d.images.reduce((n, i) => n + i.bytes, 0);
  const readable = d.images.filter((i) => i.manifest).length;
  const parts: string[] = [];
  if (d.images.length) {
    const newest = new Date(Math.max(...d.images.map((i) => i.updated))).toLocaleDateString();
    parts.push(
      `${formatBytes(imageBytes)} of changed disk blocks from ${d.images.length === 1 ? 'an earlier version' : `${d.images.length} earlier versions`} of the machine (last used ${newest}). ` +
        'They hold the files you changed with that version (your home directory included); this machine cannot use them.' +
        (readable ? ' You can download your files from it first.' : ''),
    );
  }
  if (d.chunks.urls.length) parts.push(`${formatBytes(d.chunks.bytes)} of downloaded disk chunks (${d.chunks.urls.length}) the current machine does not use.`);
  const list = $('old-data-list');
  list.replaceChildren(
    ...parts.map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      return li;
    }),
  );
  const download = $('old-data-download');
  download.hidden = readable === 0;
  download.textContent = readable > 1 ? `Download my files (${readable} versions)` : 'Download my files';
  const answer = await showDialog($('old-data-dialog') as HTMLDialogElement);
  if (answer === 'delete') {
    localStorage.removeItem(KEPT_KEY);
    return 'delete';
  }
  if (answer === 'download' && readable) return 'download';
  localStorage.setItem(KEPT_KEY, sig);
  return 'keep';
}

// "Make this machine available offline" (issue 16 item 4; docs/offline.md). After one
// visit the service worker (web/sw.js) already holds the app shell, the engine, the
// manifest, the lessons and every disk chunk the machine touched; this fetches the rest of
// the image's chunks into the same chunk cache, with a progress bar and the size first.
//
// The page stores each chunk itself (the request carries x-glassbox-offline so the
// service worker does not store it twice) so that a QuotaExceededError is seen here: the
// download stops, says so, and keeps what it stored; nothing else (the student's files
// in IndexedDB, chunks already cached) is touched.
import { CHUNK_CACHE } from './storage';
import { $, formatBytes, showDialog } from './ui';

const PARALLEL = 6;

interface ManifestChunk {
  hash: string;
  length: number;
}
interface Manifest {
  image_id: string;
  chunks_dir: string;
  chunks: Array<ManifestChunk | null>;
}

export interface OfflinePlan {
  imageId: string;
  /** Distinct chunk files of the image, and their bytes (as stored, compressed). */
  totalChunks: number;
  totalBytes: number;
  /** Not in the cache yet. */
  missing: Array<{ url: string; length: number }>;
  missingBytes: number;
  /** What the browser says is left for this site (null: no estimate). */
  freeBytes: number | null;
}

export interface OfflineResult {
  stored: number;
  bytes: number;
  /** Set when it stopped early: the reason (quota, network). */
  error?: string;
  quota?: boolean;
}

/** What is cached and what is missing for the image at `manifestUrl`. */
export async function offlinePlan(manifestUrl: string): Promise<OfflinePlan> {
  if (!('caches' in self)) throw new Error('this browser has no Cache Storage (is the page served over HTTPS or localhost?)');
  const r = await fetch(manifestUrl);
  if (!r.ok) throw new Error(`${manifestUrl}: HTTP ${r.status}`);
  const m = (await r.json()) as Manifest;
  const base = new URL(`${m.chunks_dir || 'chunks'}/`, new URL(manifestUrl, location.href));
  const seen = new Map<string, number>();
  for (const c of m.chunks) if (c && !seen.has(c.hash)) seen.set(c.hash, c.length);
  const cache = await caches.open(CHUNK_CACHE);
  const cached = new Set((await cache.keys()).map((k) => k.url));
  const missing: OfflinePlan['missing'] = [];
  let totalBytes = 0;
  for (const [hash, length] of seen) {
    totalBytes += length;
    const url = new URL(hash, base).href;
    if (!cached.has(url)) missing.push({ url, length });
  }
  let freeBytes: number | null = null;
  try {
    const e = await navigator.storage?.estimate?.();
    if (e && e.quota !== undefined) freeBytes = Math.max(0, e.quota - (e.usage ?? 0));
  } catch {
    /* no estimate */
  }
  return { imageId: m.image_id, totalChunks: seen.size, totalBytes, missing, missingBytes: missing.reduce((s, c) => s + c.length, 0), freeBytes };
}

const isQuota = (e: unknown) => e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);

/** Fetches and stores the missing chunks; stops at the first storage or network failure. */
export async function makeAvailableOffline(plan: OfflinePlan, onProgress: (doneBytes: number, doneChunks: number) => void, signal?: AbortSignal): Promise<OfflineResult> {
  const cache = await caches.open(CHUNK_CACHE);
  const queue = [...plan.missing];
  const res: OfflineResult = { stored: 0, bytes: 0 };
  const worker = async () => {
    while (queue.length && !res.error && !signal?.aborted) {
      const c = queue.shift()!;
      try {
        const r = await fetch(c.url, { headers: { 'x-glassbox-offline': '1' }, signal });
        if (!r.ok) throw new Error(`${c.url}: HTTP ${r.status}`);
        await cache.put(c.url, r);
        res.stored++;
        res.bytes += c.length;
        onProgress(res.bytes, res.stored);
      } catch (e) {
        if (signal?.aborted) return;
        res.quota = isQuota(e);
        res.error ??= res.quota ? 'the browser refused more storage for this site (quota exceeded)' : `download failed: ${(e as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  if (signal?.aborted && !res.error) res.error = 'cancelled';
  return res;
}

/** The toolbar's "Offline" button and its dialog. */
export function setupOfflineButton(manifestUrl: () => string): { run: () => Promise<void> } {
  const dialog = $('offline-dialog') as HTMLDialogElement;
  const text = $('offline-text');
  const bar = $('offline-bar');
  const go = $('offline-go') as HTMLButtonElement;
  let abort: AbortController | null = null;
  const run = async () => {
    text.textContent = 'Looking at what this browser already keeps…';
    bar.style.width = '0%';
    go.disabled = true;
    dialog.dataset.state = 'planning';
    const closed = showDialog(dialog);
    let plan: OfflinePlan;
    try {
      plan = await offlinePlan(manifestUrl());
    } catch (e) {
      text.textContent = `Cannot prepare the offline copy: ${(e as Error).message}`;
      dialog.dataset.state = 'error';
      return;
    }
    const have = plan.totalChunks - plan.missing.length;
    bar.style.width = `${(100 * (plan.totalBytes - plan.missingBytes)) / Math.max(1, plan.totalBytes)}%`;
    if (!plan.missing.length) {
      text.textContent = `This machine is available offline: all ${plan.totalChunks} pieces of its disk (${formatBytes(plan.totalBytes)}) are in this browser.`;
      dialog.dataset.state = 'done';
      return;
    }
    const free = plan.freeBytes === null ? '' : ` The browser allows this site ${formatBytes(plan.freeBytes)} more.`;
    const tooBig = plan.freeBytes !== null && plan.freeBytes < plan.missingBytes;
    text.textContent =
      `This browser keeps ${have} of the ${plan.totalChunks} pieces of the machine's disk. ` +
      `Making it available offline downloads and keeps ${formatBytes(plan.missingBytes)} more (${plan.missing.length} pieces).${free}` +
      (tooBig ? ' That is not enough: free some space (or allow this site more) first.' : '');
    dialog.dataset.state = 'ready';
    go.disabled = tooBig;
    go.onclick = async () => {
      go.disabled = true;
      dialog.dataset.state = 'downloading';
      abort = new AbortController();
      const base = plan.totalBytes - plan.missingBytes;
      const r = await makeAvailableOffline(
        plan,
        (bytes, n) => {
          bar.style.width = `${(100 * (base + bytes)) / plan.totalBytes}%`;
          text.textContent = `Downloading: ${formatBytes(bytes)} of ${formatBytes(plan.missingBytes)} (${n} of ${plan.missing.length} pieces)…`;
        },
        abort.signal,
      );
      abort = null;
      if (r.error) {
        dialog.dataset.state = 'error';
        text.textContent = `Stopped: ${r.error}. ${formatBytes(r.bytes)} were kept; your files and everything already kept are untouched.` + (r.quota ? ' Free some space and try again: it continues where it stopped.' : ' Try again later: it continues where it stopped.');
      } else {
        dialog.dataset.state = 'done';
        text.textContent = `This machine is available offline: ${formatBytes(plan.totalBytes)} of disk in this browser.`;
      }
    };
    void closed.then(() => abort?.abort());
  };
  $('btn-offline').onclick = () => void run();
  return { run };
}

// The worker's network: the engine, the manifest and disk chunks.
//
// Two chunk routes (docs/ide.md, "Chunks"): the real engine fetches synchronously
// (`syncFetchBatch`, synchronous XMLHttpRequest, which dedicated workers allow; the engine
// verifies and inflates), modules that ask asynchronously (the test stand-in) get
// `AsyncChunks` (fetch, sha256 and gzip checked here, handed over between slices).
import { DEFAULT_STALL_MS, fetchBytes, fetchRetryingBytes, type OnBytes, RETRY_DELAYS_MS } from '../fetch';
import { CTL_DOORBELL_WORKER, ringDoorbell } from '../engine/protocol';
import type { FetchResult } from './engine-module';
import type { PageLink } from './link';
import type { WarmChunks } from './warm';

const MAX_CHUNK_FETCHES = 6;

/** Fetches a URL, counting bytes as they arrive (and reporting `phase` progress if given).
 *  Throws FetchError: an HTTP error, a network error, or no byte for `stallMs`. */
export function fetchCounted(link: PageLink, url: string, phase: string | null, expected?: number, stallMs = DEFAULT_STALL_MS): Promise<Uint8Array> {
  return fetchBytes(url, stallMs, counting(link, phase), expected);
}

/** The worker's byte count and, for a named phase, its progress line (at most every 100 ms). */
function counting(link: PageLink, phase: string | null): OnBytes {
  let lastReport = 0;
  return (piece, got, total) => {
    link.bytesFetched += piece;
    const now = performance.now();
    if (phase && now - lastReport > 100) {
      lastReport = now;
      link.progress(phase, total ? Math.min(1, got / total) : undefined);
    }
  };
}

/** fetchCounted for what the boot cannot go on without (the engine's module, the image's
 *  manifest): fetchRetryingBytes (four tries, 1, 2 and 4 s apart), with the try shown in
 *  the progress line and each retry in the log. */
export function fetchRetrying(link: PageLink, url: string, phase: string, stallMs = DEFAULT_STALL_MS): Promise<Uint8Array> {
  return fetchRetryingBytes(url, stallMs, {
    onTry: (attempt) => counting(link, attempt ? `${phase} (try ${attempt + 1} of ${RETRY_DELAYS_MS.length + 1})` : phase),
    onRetry: (e, delayMs) => link.log('warn', `${e.message}; trying again in ${delayMs / 1000} s`),
  });
}

export async function sha256hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The real engine's chunk fetcher: called from inside gb_boot/gb_run (a page fault or an
 * ELF load cannot wait for an event) with the URLs of one batch, one synchronous request
 * after another. The engine checks length and sha256 and inflates.
 */
export function syncFetchBatch(
  link: PageLink,
  cacheChunks = false,
  warm: WarmChunks | null = null,
): (urls: string[], timeoutMs: number, maxBytes: number) => FetchResult[] {
  let lastReport = 0;
  const keep = cacheChunks && 'caches' in self ? keepChunk : null;
  return (urls, timeoutMs, maxBytes) => {
    const wanted = warm?.want(urls); // (a batch: the helper fetches it all at once)
    return urls.map((url): FetchResult => {
      const held = warm?.take(url, timeoutMs); // fetched ahead (worker/warm.ts); the engine still checks it
      if (held && held.length <= maxBytes) {
        if (wanted?.has(url)) link.chunksFetched++; // (on demand, through the helper)
        return { data: held };
      }
      try {
        const x = new XMLHttpRequest();
        x.open('GET', url, false);
        x.responseType = 'arraybuffer';
        x.timeout = timeoutMs;
        x.send();
        if (x.status !== 200) return { code: x.status === 404 ? 1 : 3, error: `${url}: HTTP ${x.status}` };
        const data = new Uint8Array(x.response as ArrayBuffer);
        if (data.length > maxBytes) return { code: 3, error: `${url}: more than ${maxBytes} bytes` };
        link.bytesFetched += data.length;
        link.chunksFetched++;
        keep?.(url, data);
        const now = performance.now();
        if (now - lastReport > 100) {
          lastReport = now;
          if (!link.promptSeen) link.progress('fetching disk chunks');
        }
        return { data };
      } catch (e) {
        const err = e as Error;
        const timedOut = err && err.name === 'TimeoutError';
        return { code: timedOut ? 2 : 3, error: `${url}: ${timedOut ? 'timed out' : err && err.message ? err.message : e}` };
      }
    });
  };
}

/** The service worker's chunk cache (web/sw.js CHUNK_CACHE, ide/src/storage.ts). */
export const CHUNK_CACHE = 'glassbox-chunks-v1';

/** A page's first visit: the service worker did not control this worker yet, so the
 *  chunks it fetches are kept here, for offline use (docs/offline.md). Best effort: a
 *  full disk only means the chunk is fetched again next time. */
function keepChunk(url: string, data: Uint8Array): void {
  caches
    .open(CHUNK_CACHE)
    .then((c) => c.put(url, new Response(data as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } })))
    .catch(() => undefined);
}

export interface ManifestChunk {
  hash: string;
  length: number;
  gz: boolean;
}

/** The asynchronous route: up to 6 fetches at a time, 3 tries each, verified and inflated. */
export class AsyncChunks {
  readonly arrived: Array<[number, Uint8Array]> = [];
  readonly failed: Array<[number, number]> = [];
  private readonly inFlight = new Set<number>();
  private readonly queued: number[] = [];

  constructor(
    private readonly link: PageLink,
    private readonly chunks: Array<ManifestChunk | null>,
    private readonly chunkSize: number,
    private readonly chunkBase: string,
    private readonly stallMs = DEFAULT_STALL_MS,
  ) {}

  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Anything to hand to the engine? */
  get ready(): boolean {
    return this.arrived.length > 0 || this.failed.length > 0;
  }

  request(index: number): void {
    if (this.inFlight.has(index) || this.queued.includes(index)) return;
    this.queued.push(index);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < MAX_CHUNK_FETCHES && this.queued.length > 0) {
      const index = this.queued.shift()!;
      this.inFlight.add(index);
      this.fetchChunk(index)
        .then((data) => this.arrived.push([index, data]))
        .catch((e: Error) => {
          this.link.log('error', `chunk ${index}: ${e.message}`);
          this.failed.push([index, 5]);
        })
        .finally(() => {
          this.inFlight.delete(index);
          ringDoorbell(this.link.ctl, CTL_DOORBELL_WORKER);
          this.pump();
        });
    }
  }

  private async fetchChunk(index: number): Promise<Uint8Array> {
    const c = this.chunks[index];
    if (!c) return new Uint8Array(this.chunkSize);
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const raw = await fetchCounted(this.link, this.chunkBase + c.hash, null, c.length, this.stallMs);
        if (raw.length !== c.length) throw new Error(`length ${raw.length}, expected ${c.length}`);
        if ((await sha256hex(raw)) !== c.hash) throw new Error('sha256 mismatch');
        const data = c.gz ? await gunzip(raw) : raw;
        if (data.length !== this.chunkSize) throw new Error(`inflated to ${data.length} bytes`);
        return data;
      } catch (e) {
        lastErr = e;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    throw lastErr;
  }
}

// Downloads with a stall clock, shared by the page and the engine worker.
//
// A server or proxy that accepts a request and never answers, or a connection that dies
// without a reset, leaves fetch() waiting for ever; every download the IDE cannot go on
// without goes through fetchBytes (a clock that restarts with each piece of the body) and
// fetchRetryingBytes (four tries, 1, 2 and 4 s apart). The worker wraps them with its
// progress line (worker/net.ts); the page uses them for the inspector's module
// (inspector/inspector.ts). docs/ide.md, "Downloads that stall".
import { concatBytes } from './bytes';

/** How long a download may go without a byte (the answer's headers, then each piece of
 *  its body) before it is given up as stalled. EngineConfig.fetchTimeoutMs. */
export const DEFAULT_STALL_MS = 30_000;

/** A download that failed: `status` is the HTTP status (0: no answer, a network error or
 *  a stall), `retry` whether trying again may help (a stall, a network error, 5xx, 429). */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** fetch() that gives up when nothing arrives for `stallMs`; the returned `arm` restarts
 *  the clock (call it as body bytes arrive) and `done` stops it. */
function stallGuard(url: string, stallMs: number): { signal: AbortSignal; arm: () => void; done: () => void; stalled: () => FetchError | null } {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let why: FetchError | null = null;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      why = new FetchError(`${url}: no data for ${Math.round(stallMs / 100) / 10} s (the server stopped answering)`, 0, true);
      ac.abort(why);
    }, stallMs);
  };
  arm();
  return { signal: ac.signal, arm, done: () => clearTimeout(timer), stalled: () => why };
}

/** Whether the site has `url` (a HEAD request): false for an HTTP error or no network; a
 *  server that does not answer within `stallMs` is an error (FetchError), not a missing file. */
export async function exists(url: string, stallMs = DEFAULT_STALL_MS): Promise<boolean> {
  const g = stallGuard(url, stallMs);
  try {
    const r = await fetch(url, { method: 'HEAD', cache: 'no-cache', signal: g.signal });
    return r.ok;
  } catch (e) {
    if (g.stalled()) throw g.stalled();
    return false;
  } finally {
    g.done();
  }
}

/** Called as the body arrives: the bytes of this piece, all so far, the expected total (0: unknown). */
export type OnBytes = (piece: number, got: number, total: number) => void;

/** Fetches a URL whole. Throws FetchError: an HTTP error, a network error, or no byte for
 *  `stallMs`. `expected` stands in for a missing content-length in `onBytes`' total. */
export async function fetchBytes(url: string, stallMs = DEFAULT_STALL_MS, onBytes?: OnBytes, expected?: number): Promise<Uint8Array> {
  const g = stallGuard(url, stallMs);
  try {
    let r: Response;
    try {
      r = await fetch(url, { signal: g.signal });
    } catch (e) {
      throw g.stalled() ?? new FetchError(`${url}: ${(e as Error)?.message ?? e}`, 0, true);
    }
    if (!r.ok) throw new FetchError(`${url}: HTTP ${r.status}`, r.status, r.status >= 500 || r.status === 429);
    const total = expected || Number(r.headers.get('content-length')) || 0;
    const parts: Uint8Array[] = [];
    let got = 0;
    try {
      if (!r.body) {
        const b = new Uint8Array(await r.arrayBuffer());
        onBytes?.(b.length, b.length, total);
        return b;
      }
      const reader = r.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        g.arm();
        parts.push(value);
        got += value.length;
        onBytes?.(value.length, got, total);
      }
    } catch (e) {
      throw g.stalled() ?? new FetchError(`${url}: the download broke off after ${got} bytes (${(e as Error)?.message ?? e})`, 0, true);
    }
    return concatBytes(parts);
  } finally {
    g.done();
  }
}

/** Delays between the tries of fetchRetryingBytes: four tries in all. */
export const RETRY_DELAYS_MS = [1000, 2000, 4000];

/** fetchBytes for what cannot go on without: a stalled or broken download, or an answer
 *  of 5xx or 429, is tried again after 1, 2 and 4 s; 404 and the other 4xx fail at once.
 *  `onTry(attempt)` comes before each try (0 first), `onRetry` before each wait. The last
 *  error is thrown. */
export async function fetchRetryingBytes(
  url: string,
  stallMs = DEFAULT_STALL_MS,
  hooks: { onTry?: (attempt: number) => OnBytes | undefined; onRetry?: (e: FetchError, delayMs: number) => void } = {},
): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchBytes(url, stallMs, hooks.onTry?.(attempt));
    } catch (e) {
      const err = e as FetchError;
      if (!(err instanceof FetchError) || !err.retry || attempt >= RETRY_DELAYS_MS.length) throw e;
      hooks.onRetry?.(err, RETRY_DELAYS_MS[attempt]);
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
    }
  }
}

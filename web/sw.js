// Glassbox service worker (copied to the site root by web/build.mjs, which fills in the
// build id and the list of app-shell files).
//
// 1. Cross-origin isolation on any static host: it re-serves every same-origin response
//    with Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
//    require-corp and Cross-Origin-Resource-Policy: same-origin. A host that cannot set
//    headers (GitHub Pages, a plain `python3 -m http.server`) then gives an isolated page
//    after one reload; the page does that reload (ide/src/checks.ts).
// 2. Offline use after the first load: the app shell is precached when the worker
//    installs; content-addressed files (assets/*-HASH.*, image/chunks/<sha256>) are
//    served cache-first, everything else (index.html, manifest.json, the engine) network-
//    first with the cache as the fallback.

const BUILD = '__BUILD_ID__';
const PRECACHE = ['__PRECACHE__'];
const SHELL_CACHE = `glassbox-shell-${BUILD}`;
const CHUNK_CACHE = 'glassbox-chunks-v1';
const RUNTIME_CACHE = 'glassbox-runtime-v1';

const scopeUrl = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // One by one: a missing optional file (no engine yet) must not fail the install.
      await Promise.all(
        PRECACHE.map(async (rel) => {
          const url = new URL(rel, scopeUrl).href;
          try {
            const r = await fetch(url, { cache: 'no-cache' });
            if (r.ok) await cache.put(url, r);
          } catch {
            /* offline during install: cached later at runtime */
          }
        }),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('glassbox-shell-') && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function isolated(response) {
  // Opaque and error responses cannot be re-wrapped.
  if (!response || response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function relPath(url) {
  return url.pathname.startsWith(scopeUrl.pathname) ? url.pathname.slice(scopeUrl.pathname.length) : url.pathname;
}

// Content-addressed: the name changes whenever the bytes do.
function isImmutable(url) {
  const p = relPath(url);
  return /^assets\/.+-[A-Z0-9]{8,}\.[a-z0-9]+$/i.test(p) || /^image\/chunks\/[0-9a-f]{64}$/.test(p);
}

async function cacheFirst(request, cacheName) {
  const hit = (await caches.match(request, { cacheName: SHELL_CACHE })) || (await caches.match(request, { cacheName }));
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.status === 200) {
    const cache = await caches.open(cacheName);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.status === 200) {
      const cache = await caches.open(RUNTIME_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (err) {
    const hit =
      (await caches.match(request, { ignoreSearch: request.mode === 'navigate' })) ||
      (request.mode === 'navigate' ? (await caches.match(new URL('./', scopeUrl).href)) || (await caches.match(new URL('index.html', scopeUrl).href)) : undefined);
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // A Chrome quirk: only-if-cached requests that are not same-origin mode must not be fetched.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // the site loads nothing cross-origin
  if (request.method !== 'GET' || request.headers.has('range')) {
    event.respondWith(fetch(request).then(isolated));
    return;
  }
  const handler = isImmutable(url) ? cacheFirst(request, relPath(url).startsWith('image/') ? CHUNK_CACHE : RUNTIME_CACHE) : networkFirst(request);
  event.respondWith(handler.then(isolated));
});

self.addEventListener('message', (event) => {
  if (event.data === 'glassbox:clear-caches') {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) if (name.startsWith('glassbox-')) await caches.delete(name);
      })(),
    );
  }
});

// Glassbox service worker (copied to the site root by web/build.mjs, which fills in the
// build id and the list of app-shell files).
//
// 1. Cross-origin isolation on any static host: it re-serves every same-origin response
//    with Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
//    require-corp and Cross-Origin-Resource-Policy: same-origin. A host that cannot set
//    headers (GitHub Pages, a plain `python3 -m http.server`) then gives an isolated page
//    after one reload; the page does that reload (ide/src/checks.ts).
// 2. Offline use after the first load (docs/offline.md): the app shell is precached when
//    the worker installs; content-addressed files (assets/*-HASH.*, image/chunks/<sha256>)
//    are served cache-first, everything else (index.html, manifest.json, the engine)
//    network-first with the cache as the fallback; HEAD requests fall back to the cache
//    too. "Make this machine available offline" (ide/src/offline.ts) fills the chunk cache
//    from the page.
// 3. The preview (docs/preview.md; section "preview" below): same-origin requests under
//    <scope>port/<N>/... go to a server listening on port N inside the machine of an open
//    IDE tab, over a MessageChannel to that tab, which hands the port to its engine worker.

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

// ---- offline caching (issue 16 item 4; docs/offline.md) ----------------------------------
// Kept together here, apart from the isolation and routing above/below.

/** Stores a copy; a full disk (QuotaExceededError) must never fail the response itself. */
async function cachePut(cacheName, request, response) {
  try {
    const cache = await caches.open(cacheName);
    await cache.put(request, response);
  } catch {
    /* quota: served, not kept (the page's "available offline" dialog reports the quota) */
  }
}

async function cacheFirst(request, cacheName) {
  const hit = (await caches.match(request, { cacheName: SHELL_CACHE })) || (await caches.match(request, { cacheName }));
  if (hit) return hit;
  const response = await fetch(request);
  // x-glassbox-offline: the page's "make available offline" stores the chunk itself (and
  // sees its quota errors); storing it here too would write it twice.
  if (response.ok && response.status === 200 && !request.headers.has('x-glassbox-offline')) await cachePut(cacheName, request, response.clone());
  return response;
}

/** HEAD (the worker's "is the engine there?"): the network, else what the cache has. */
async function headWithFallback(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const hit = await caches.match(request.url);
    if (hit) return new Response(null, { status: 200, headers: hit.headers });
    throw err;
  }
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.status === 200) await cachePut(RUNTIME_CACHE, request, response.clone());
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
  if (previewRoute(event)) return; // section 3: /port/<N>/...
  // A Chrome quirk: only-if-cached requests that are not same-origin mode must not be fetched.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // the site loads nothing cross-origin
  if (request.method === 'HEAD') {
    event.respondWith(headWithFallback(request).then(isolated));
    return;
  }
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

// ---- 3. preview: /port/<N>/... -> a server in the machine (docs/preview.md) -----------------
// Kept apart from the caching above: nothing under port/ is ever cached. The request goes to
// an IDE tab (a window client of this scope that is not itself under port/; the most
// recently focused first), which forwards it with the MessagePort to its engine worker; the
// worker answers on the port: {type:'head'}, then {type:'body'} chunks, then {type:'end'},
// or {type:'error'}. The response carries COOP/COEP/CORP (the IDE is cross-origin
// isolated, so its iframe's document must be too).

const PREVIEW_RE = /^port\/(\d{1,5})(\/.*)?$/;
const PREVIEW_HEAD_TIMEOUT_MS = 45_000;
// The body stream's queue; the engine worker keeps at most 1 MiB unacknowledged in flight.
const PREVIEW_QUEUE_BYTES = 256 * 1024;

function previewRoute(event) {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return false;
  const m = PREVIEW_RE.exec(relPath(url));
  if (!m) return false;
  const port = Number(m[1]);
  if (!m[2]) {
    // port/8000 -> port/8000/ so that relative links resolve under the port's base path
    event.respondWith(previewHeaders(Response.redirect(`${url.origin}${url.pathname}/${url.search}`, 301)));
    return true;
  }
  event.respondWith(previewFetch(event.request, port, m[2] + url.search));
  return true;
}

function previewHeaders(response) {
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function previewError(status, title, text) {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const body = `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>` +
    `<body style="font: 14px system-ui, sans-serif; padding: 1em 1.5em"><h1 style="font-size: 1.2em">${esc(title)}</h1><p>${esc(text)}</p></body>`;
  return new Response(body, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    },
  });
}

async function previewClient() {
  const all = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const base = scopeUrl.pathname;
  const ide = all.filter((c) => {
    const u = new URL(c.url);
    return u.origin === self.location.origin && u.pathname.startsWith(base) && !PREVIEW_RE.test(u.pathname.slice(base.length));
  });
  // matchAll lists the most recently focused first; a focused one wins anyway
  return ide.find((c) => c.focused) || ide[0] || null;
}

// A Location pointing at the server itself (absolute path, or http://localhost:N/...) is
// moved under port/N/, so redirects stay inside the preview.
function previewLocation(value, port, reqUrl) {
  const prefix = `${scopeUrl.pathname}port/${port}`;
  try {
    if (value.startsWith('/') && !value.startsWith('//')) return prefix + value;
    const u = new URL(value, reqUrl);
    if ((u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]') && Number(u.port || 80) === port) {
      return `${self.location.origin}${prefix}${u.pathname}${u.search}${u.hash}`;
    }
  } catch {
    /* leave it */
  }
  return value;
}

async function previewFetch(request, port, path) {
  const client = await previewClient();
  if (!client) {
    return previewError(503, 'No Glassbox tab is open',
      `Port ${port} is served by the machine running in a Glassbox IDE tab of this browser. Open the IDE (${scopeUrl.href}) in another tab and reload this page.`);
  }
  const headers = [];
  request.headers.forEach((v, k) => headers.push([k, v]));
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
  const channel = new MessageChannel();
  const rx = channel.port1;
  client.postMessage({ type: 'glassbox:port-request', port, method: request.method, path, headers, body }, [channel.port2]);

  return new Promise((resolve) => {
    let controller = null;
    let settled = false;
    let unacked = 0; // body bytes enqueued and not yet acknowledged to the engine worker
    const ack = () => {
      if (unacked > 0) rx.postMessage({ type: 'ack', bytes: unacked });
      unacked = 0;
    };
    const timer = setTimeout(() => finishError(504, 'ETIMEDOUT', 'the machine did not answer in time'), PREVIEW_HEAD_TIMEOUT_MS);
    function finishError(status, code, message) {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        resolve(previewError(status, `Port ${port}: ${code}`, message));
      } else if (controller) {
        try {
          controller.error(new Error(message));
        } catch {
          /* already closed */
        }
      }
      rx.close();
    }
    rx.onmessage = (ev) => {
      const m = ev.data;
      if (!m) return;
      if (m.type === 'head') {
        clearTimeout(timer);
        const h = new Headers();
        for (const [k, v] of m.headers) {
          try {
            h.append(k, k.toLowerCase() === 'location' ? previewLocation(v, port, request.url) : v);
          } catch {
            /* a header the Fetch API refuses */
          }
        }
        h.set('Cross-Origin-Opener-Policy', 'same-origin');
        h.set('Cross-Origin-Embedder-Policy', 'require-corp');
        h.set('Cross-Origin-Resource-Policy', 'same-origin');
        h.set('Cache-Control', h.get('Cache-Control') || 'no-store');
        const nullBody = request.method === 'HEAD' || [204, 205, 304].includes(m.status);
        const status = m.status >= 200 && m.status <= 599 ? m.status : 502;
        const stream = nullBody
          ? null
          : new ReadableStream(
              {
                start(c) {
                  controller = c;
                },
                pull() {
                  ack();
                },
                cancel() {
                  rx.postMessage({ type: 'cancel' });
                  rx.close();
                },
              },
              new ByteLengthQueuingStrategy({ highWaterMark: PREVIEW_QUEUE_BYTES }),
            );
        settled = true;
        resolve(new Response(stream, { status, statusText: m.statusText || '', headers: h }));
        if (nullBody) rx.close();
      } else if (m.type === 'body') {
        if (!controller) return;
        controller.enqueue(m.chunk);
        unacked += m.chunk.byteLength;
        if (controller.desiredSize > 0) ack();
      } else if (m.type === 'end') {
        if (controller) controller.close();
        rx.close();
      } else if (m.type === 'error') {
        finishError(m.status || 502, m.code || 'error', m.message || 'the request failed');
      }
    };
  });
}

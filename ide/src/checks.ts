// Boot checks: what the browser must offer before the machine can start, and the service
// worker that makes a static host cross-origin isolated (web/sw.js).

export interface CheckFailure {
  title: string;
  detail: string;
  fix: string[];
}

const RELOAD_KEY = 'glassbox.coi-reload';

/** Registers web/sw.js. Returns 'reloading' when the page is about to reload under it. */
export async function setUpServiceWorker(): Promise<'reloading' | 'ok' | 'unavailable' | 'disabled' | 'failed'> {
  const params = new URLSearchParams(location.search);
  if (params.has('nosw')) return 'disabled';
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return 'unavailable';
  let reg: ServiceWorkerRegistration;
  try {
    reg = await navigator.serviceWorker.register('./sw.js', { scope: './' });
  } catch (e) {
    console.warn('service worker registration failed', e);
    return 'failed';
  }
  if (window.crossOriginIsolated) {
    sessionStorage.removeItem(RELOAD_KEY);
    return 'ok';
  }
  // Not isolated: the host sent no COOP/COEP. Reload once the worker controls the page; it
  // adds the headers to every response. Reload at most once per tab session, so a browser
  // that still refuses isolation gets an error instead of a reload loop.
  if (sessionStorage.getItem(RELOAD_KEY)) return 'failed';
  const worker = reg.active ?? reg.waiting ?? reg.installing;
  if (!worker) return 'failed';
  if (worker.state !== 'activated') {
    await new Promise<void>((resolve) => {
      const onChange = () => {
        if (worker.state === 'activated' || worker.state === 'redundant') {
          worker.removeEventListener('statechange', onChange);
          resolve();
        }
      };
      worker.addEventListener('statechange', onChange);
      onChange();
    });
  }
  if (!navigator.serviceWorker.controller) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      navigator.serviceWorker.addEventListener('controllerchange', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
  sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
  location.reload();
  return 'reloading';
}

/** What is missing for the engine, with what to do about it. Empty: all good. */
export function checkBrowser(swState: string): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    failures.push({
      title: 'This browser cannot run WebAssembly',
      detail: 'The machine is compiled to WebAssembly, and this browser (or a policy on it) does not offer it.',
      fix: [
        'Use a current Chrome, Edge, Firefox or Safari.',
        'If WebAssembly is disabled by an administrator policy or a "JIT-less" security mode, turn that off for this site.',
      ],
    });
  }
  if (typeof SharedArrayBuffer !== 'function' || !window.crossOriginIsolated) {
    const fix: string[] = [];
    if (!window.isSecureContext) {
      fix.push(`Open the page over HTTPS or from http://localhost: this page's origin (${location.origin}) is not a secure context, so no service worker can help.`);
    }
    fix.push('Serve the site with these headers on every response: Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (the dev server, `node web/server.mjs`, does).');
    if (swState === 'disabled') fix.push('Remove ?nosw from the address: it turns off the service worker that adds the headers on hosts that cannot.');
    else if (swState === 'unavailable') fix.push('On a static host that cannot set headers, the bundled service worker adds them, but this browser offers no service workers here (private window, or blocked by settings).');
    else if (swState === 'failed') fix.push('The bundled service worker was installed but the page is still not isolated: reload once more, or check that sw.js is served from the site root.');
    fix.push('Inside an iframe, the embedding page needs the same headers, and the frame needs allow="cross-origin-isolated".');
    failures.push({
      title: typeof SharedArrayBuffer !== 'function' ? 'SharedArrayBuffer is not available' : 'The page is not cross-origin isolated',
      detail:
        'The terminal and the editor talk to the machine through shared memory (SharedArrayBuffer), which browsers only allow in a cross-origin isolated page.',
      fix,
    });
  }
  if (typeof Worker !== 'function') {
    failures.push({
      title: 'Web Workers are not available',
      detail: 'The machine runs in a Web Worker so that the page never freezes.',
      fix: ['Use a current browser with Web Workers enabled.'],
    });
  }
  if (typeof Atomics !== 'object') {
    failures.push({ title: 'Atomics are not available', detail: 'Shared-memory synchronisation (Atomics) is missing.', fix: ['Use a current browser.'] });
  }
  return failures;
}

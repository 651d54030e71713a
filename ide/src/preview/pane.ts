// The Preview tab of the right pane (docs/preview.md): the TCP ports programs in the
// machine listen on (asked every 2 s while the tab shows), one of them in an iframe at
// port/<N>/<path> (the service worker, web/sw.js, routes those URLs to the machine), a
// reload button and "open in a new tab". Also the page's half of the route: the service
// worker's requests are handed to the engine worker with their MessagePort.
import type { EngineClient } from '../engine/client';
import type { ListeningPort, PreviewRequest } from '../engine/preview-protocol';
import { $ } from '../ui';

const REFRESH_MS = 2000;

/** Forwards the service worker's preview requests to the machine of this tab. */
export function installPreviewBridge(getClient: () => EngineClient | null): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (ev: MessageEvent) => {
    const req = ev.data as PreviewRequest | undefined;
    if (!req || req.type !== 'glassbox:port-request' || !ev.ports[0]) return;
    const reply = ev.ports[0];
    const c = getClient();
    if (c) c.http(req, reply);
    else {
      reply.postMessage({ type: 'error', status: 503, code: 'ENOENGINE', message: 'the machine is not running' });
      reply.close();
    }
  });
  navigator.serviceWorker.startMessages();
}

/** The URL of `path` on port `port` of the machine, under this site. */
export function previewUrl(port: number, path = '/'): string {
  const p = path.startsWith('/') ? path.slice(1) : path;
  return new URL(`port/${port}/${p}`, document.baseURI).href;
}

export class PreviewPane {
  private ports: ListeningPort[] = [];
  private timer = 0;
  private shownPort = 0;
  private readonly select = $('preview-port') as HTMLSelectElement;
  private readonly path = $('preview-path') as HTMLInputElement;
  private readonly frame = $('preview-frame') as HTMLIFrameElement;
  private readonly newTab = $('preview-newtab') as HTMLAnchorElement;
  private readonly empty = $('preview-empty');
  private readonly message = $('preview-message');
  active = false;

  constructor(private readonly getClient: () => EngineClient | null) {
    const tabs = [$('tab-inspector'), $('tab-preview')];
    const panels = [$('inspector-panel'), $('preview-panel')];
    const actions = document.querySelector<HTMLElement>('#inspector .inspector-text-actions');
    const show = (i: number) => {
      tabs.forEach((t, j) => {
        t.setAttribute('aria-selected', String(i === j));
        t.tabIndex = i === j ? 0 : -1;
      });
      panels.forEach((p, j) => (p.style.display = i === j ? '' : 'none'));
      if (actions) actions.style.display = i === 0 ? '' : 'none';
      this.setActive(i === 1);
    };
    tabs.forEach((t, i) => {
      t.addEventListener('click', () => show(i));
      t.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          const n = (i + 1) % tabs.length;
          show(n);
          tabs[n].focus();
        } else if (e.key === 'Enter' || e.key === ' ') show(i);
      });
    });
    this.select.addEventListener('change', () => this.open(Number(this.select.value), '/'));
    $('preview-go').addEventListener('click', () => this.open(Number(this.select.value), this.path.value));
    this.path.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.open(Number(this.select.value), this.path.value);
    });
    $('preview-reload').addEventListener('click', () => this.reload());
    this.frame.addEventListener('load', () => this.frameLoaded());
  }

  /** The tab shows: refresh the ports now and every REFRESH_MS. */
  setActive(on: boolean): void {
    this.active = on;
    clearInterval(this.timer);
    if (on) {
      void this.refresh();
      this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
    }
  }

  /** Shows the Preview tab (tests, and links that ask for it). */
  show(): void {
    $('tab-preview').click();
  }

  get listening(): ListeningPort[] {
    return this.ports;
  }

  async refresh(): Promise<void> {
    const c = this.getClient();
    const ports = c ? await c.listeningPorts() : [];
    // one entry per port (a server may listen on 0.0.0.0 and :: both)
    const seen = new Set<number>();
    this.ports = ports.filter((p) => !seen.has(p.port) && seen.add(p.port));
    const key = this.ports.map((p) => `${p.port} ${p.pid} ${p.command}`).join('|');
    if (this.select.dataset.key !== key) {
      this.select.dataset.key = key;
      const keep = this.shownPort || Number(this.select.value);
      this.select.replaceChildren(
        ...this.ports.map((p) => {
          const o = document.createElement('option');
          o.value = String(p.port);
          const cmd = p.command.length > 40 ? `${p.command.slice(0, 39)}…` : p.command;
          o.textContent = `${p.port}${cmd ? ` · ${cmd}` : ''}${p.pid ? ` (pid ${p.pid})` : ''}`;
          return o;
        }),
      );
      if (this.ports.some((p) => p.port === keep)) this.select.value = String(keep);
    }
    const none = this.ports.length === 0;
    this.empty.style.display = none && !this.shownPort ? '' : 'none';
    this.frame.hidden = !this.shownPort;
    if (!none && !this.shownPort) this.open(this.ports[0].port, '/');
    this.message.textContent = navigator.serviceWorker?.controller ? '' : 'The preview needs the service worker (reload the page without ?nosw).';
  }

  open(port: number, path: string): void {
    if (!port) return;
    this.shownPort = port;
    const p = path && path.startsWith('/') ? path : `/${path || ''}`;
    this.path.value = p;
    const url = previewUrl(port, p);
    this.newTab.href = url;
    this.empty.style.display = 'none';
    this.frame.hidden = false;
    this.frame.src = url;
  }

  reload(): void {
    if (!this.shownPort) return;
    try {
      this.frame.contentWindow?.location.reload();
    } catch {
      this.frame.src = this.frame.src;
    }
  }

  /** Keeps the path box in step with links followed inside the frame. */
  private frameLoaded(): void {
    try {
      const loc = this.frame.contentWindow?.location;
      if (!loc) return;
      const m = /\/port\/(\d+)(\/.*)?$/.exec(loc.pathname);
      if (m) {
        this.path.value = (m[2] ?? '/') + loc.search;
        this.newTab.href = loc.href;
      }
    } catch {
      /* not same-origin (cannot happen under /port/) */
    }
  }
}

// ide/src/worker/relay.ts — the machine's one WebSocket to the network relay (docs/networking.md).
// The engine speaks Wisp itself (vm/linux/net_out.cpp); this only carries whole frames:
// the engine calls Module.glassboxNet.open/send/recv/state between gb_run slices
// (vm/linux/net_link.cpp). A frame that arrives rings the worker's doorbell so an idle
// run loop takes it at once; online/offline changes go to the page's status bar.
// Reconnects with backoff when the relay goes away (streams open then get ECONNRESET).

export interface NetGlue {
  open(url: string): void;
  send(frame: Uint8Array): void;
  recv(): Uint8Array | null;
  /** 0 connecting, 1 up, 2 down (the engine's WispLink::State). */
  state(): number;
}

export function makeNetGlue(wake: () => void, onState: (online: boolean, detail: string) => void): NetGlue {
  let ws: WebSocket | null = null;
  let url = '';
  let st = 2;
  const inbox: Uint8Array[] = [];
  const outbox: Uint8Array[] = [];
  let retryMs = 1000;
  const connect = () => {
    st = 0;
    let sock: WebSocket;
    try {
      sock = new WebSocket(url);
    } catch (e) {
      st = 2;
      onState(false, `bad relay URL: ${(e as Error).message}`);
      return;
    }
    ws = sock;
    sock.binaryType = 'arraybuffer';
    sock.onopen = () => {
      st = 1;
      retryMs = 1000;
      for (const f of outbox.splice(0)) sock.send(f);
      onState(true, url);
      wake();
    };
    sock.onmessage = (ev) => {
      if (ev.data instanceof ArrayBuffer) {
        inbox.push(new Uint8Array(ev.data));
        wake();
      }
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      const was = st;
      st = 2;
      ws = null;
      onState(false, was === 1 ? 'the relay closed the connection' : 'cannot reach the relay');
      wake();
      // The engine sees "down" (its streams fail); a new link comes with the next retry.
      setTimeout(() => { if (!ws) connect(); }, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    };
  };
  return {
    open(u: string) {
      url = u;
      connect();
    },
    send(f: Uint8Array) {
      if (ws && st === 1) ws.send(f);
      else if (st === 0) outbox.push(f);
    },
    recv: () => inbox.shift() ?? null,
    state: () => st,
  };
}

// The engine worker: a dedicated (classic) Web Worker that owns the virtual machine.
// Bundled by web/build.mjs (esbuild, iife) as assets/engine-worker-HASH.js.
//
// The page creates it and hands it the shared buffers (ide/src/engine/protocol.ts,
// docs/ide.md "The engine protocol"); from then on keystrokes arrive in the termIn ring and
// guest output leaves through termOut, file requests come through fsReq and are answered
// in fsResp, the window size is in the control block, and status, progress, the first
// prompt, the overlay and storage problems go to the page by postMessage.
//
//   main.ts           this file: the messages from the page, the engine-missing paths
//   machine.ts        boot and the run loop
//   persist.ts        the overlay <-> IndexedDB (one transaction per sync)
//   net.ts            fetching the engine, the manifest and disk chunks
//   engine-module.ts  the engine module's interface (gb_* exports)
//   link.ts           the shared memory and the messages to the page
//
// A site built without the engine gets "engine not built" and ENOENGINE answers; it never
// pretends to be a shell.
import { waitChangeAsync } from '../engine/ring';
import { CTL_DOORBELL_WORKER, EngineConfig, PROTOCOL_VERSION, PageToWorker, TestHooks } from '../engine/protocol';
import { PageLink } from './link';
import { MachineControl, runMachine } from './machine';
import { FetchError, exists } from '../fetch';

declare const self: DedicatedWorkerGlobalScope;

let link: PageLink | null = null;
let control: MachineControl | null = null;
let earlyHooks: TestHooks | null = null;
let earlyTrace: SharedArrayBuffer | null = null;

self.onmessage = (ev: MessageEvent<PageToWorker>) => {
  const msg = ev.data;
  if (!msg) return;
  switch (msg.type) {
    case 'init':
      if (link) return;
      if (msg.protocol !== PROTOCOL_VERSION) {
        self.postMessage({ type: 'status', state: 'error', message: `protocol mismatch: page ${msg.protocol}, worker ${PROTOCOL_VERSION}` });
        return;
      }
      link = new PageLink(msg.shared);
      start(link, msg.config).catch((e: Error) => {
        if (e instanceof FetchError) {
          // the network, not the machine: say what did not come and what to do (no stack)
          link!.setState(
            'error',
            `a download failed: ${e.message}`,
            'The site did not send a file the machine needs to start, after several tries. Check the network connection, then reload the page to try again.',
          );
        } else link!.setState('error', `engine worker failed: ${e && e.message ? e.message : e}`, String(e && e.stack ? e.stack : e));
        void idleWithoutEngine(link!, 'the machine stopped after an error');
      });
      break;
    case 'test-hooks':
      if (control) control.setTestHooks(msg.hooks);
      else earlyHooks = msg.hooks;
      break;
    case 'trace':
      if (control) control.setTrace(msg.ring);
      else earlyTrace = msg.ring;
      break;
    case 'exec':
      if (control) control.exec(msg.id, msg.spec);
      else self.postMessage({ type: 'exec-result', id: msg.id, error: 'the machine is not running' });
      break;
    case 'http': // the preview (worker/preview.ts)
      if (control) control.http(msg.req, msg.reply);
      else {
        msg.reply.postMessage({ type: 'error', status: 503, code: 'ENOENGINE', message: 'the machine is not running' });
        msg.reply.close();
      }
      break;
    case 'ports':
      self.postMessage({ type: 'ports-result', id: msg.id, ports: control ? control.ports() : [] });
      break;
    case 'prune':
      if (control) void control.prune(msg.imageIds);
      else self.postMessage({ type: 'pruned', imageIds: msg.imageIds, error: 'the machine is not running' });
      break;
  }
};

async function start(link: PageLink, config: EngineConfig): Promise<void> {
  link.setState('starting', 'checking the engine and image');
  link.progress('checking the engine files', 0);
  const stallMs = config.fetchTimeoutMs;
  const [haveEngine, haveWasm, haveImage] = await Promise.all([exists(config.engineScript, stallMs), exists(config.engineWasm, stallMs), exists(config.imageManifest, stallMs)]);
  if (!haveEngine || !haveWasm) {
    link.setState(
      'engine-missing',
      'engine not built',
      [
        'The engine is not built yet, so there is no machine to run.',
        `The site has no ${!haveEngine ? config.engineScript : config.engineWasm}.`,
        'Build the engine for the browser (the Emscripten web target, build-wasm-web/glassbox_web.{js,wasm}),',
        'then rebuild the site with `node web/build.mjs` and reload this page.',
      ].join('\n'),
    );
    return idleWithoutEngine(link, 'the engine is not built');
  }
  if (!haveImage) {
    link.setState(
      'image-missing',
      'image not built',
      [
        'The guest image is missing from this site.',
        `There is no ${config.imageManifest}.`,
        'Build it with `tools/mkimage/mkimage build images/default --out build/image`,',
        'then rebuild the site with `node web/build.mjs` and reload this page.',
      ].join('\n'),
    );
    return idleWithoutEngine(link, 'the image is not built');
  }
  await runMachine(link, config, (c) => {
    control = c;
    if (earlyHooks) c.setTestHooks(earlyHooks);
    if (earlyTrace) c.setTrace(earlyTrace);
  });
  control = null;
  return idleWithoutEngine(link, 'the shell has exited; reload the page to start a new session');
}

/** No engine: keep answering file requests (with ENOENGINE) and drop keystrokes. */
async function idleWithoutEngine(link: PageLink, reason: string): Promise<void> {
  for (;;) {
    const seen = Atomics.load(link.ctl, CTL_DOORBELL_WORKER);
    link.termIn.readAvailable();
    for (const { header } of link.fsReader.poll()) link.errorReply(header.id, 'ENOENGINE', `no machine is running: ${reason}`);
    await waitChangeAsync(link.ctl, CTL_DOORBELL_WORKER, seen, 60_000);
  }
}

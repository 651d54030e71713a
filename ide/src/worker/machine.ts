// The machine: loads the engine module, restores the overlay, boots, and drives the engine
// in slices (docs/ide.md, "The worker's loop"):
//
//   loop: termIn -> gb_tty_input; a new window size -> gb_tty_resize; chunks (async route);
//         fsReq frames -> gb_fs (answered in fsResp; mutations after their sync is stored)
//         r = gb_run(8 ms)
//         EXITED -> store the overlay, close termOut, status exited
//         IDLE   -> first TTY_WAIT: 'prompt'; after input: 'idle'; OVERLAY_DIRTY: store it;
//                   wait on DOORBELL_WORKER (Atomics.waitAsync) until an event, the next
//                   guest timer or a storage retry
//         else   -> every ~30 ms yield a macrotask so fetch/IndexedDB callbacks run, and
//                   store the overlay at most every 2 s
import { FS_FLAG, FS_OP, RUN, ENGINE_ABI } from '../engine/abi';
import { waitChangeAsync } from '../engine/ring';
import { makeNetGlue } from './relay';
import { CTL_COLS, CTL_DOORBELL_WORKER, CTL_ROWS, CTL_WINSIZE_GEN, EngineConfig, ExecSpec, TestHooks, ringDoorbell } from '../engine/protocol';
import { ExecService } from './exec';
import { PreviewService } from './preview';
import type { ListeningPort, PreviewRequest } from '../engine/preview-protocol';
import { EngineFactory, EngineHost, EngineModule, check, cstr, errnoName, withBytes } from './engine-module';
import type { PageLink } from './link';
import { AsyncChunks, ManifestChunk, fetchRetrying, syncFetchBatch } from './net';
import { WarmChunks } from './warm';
import { Persister } from './persist';
import { RECORD_SIZE, TraceRingWriter } from '../engine/trace-ring';

declare const self: DedicatedWorkerGlobalScope & { createGlassboxEngine?: EngineFactory };

const SLICE_MS = 8;
const YIELD_EVERY_MS = 30;
const FLUSH_EVERY_MS = 2000;
/** The engine's own record ring (records between two drains, i.e. one gb_run slice) and
 *  the batch the worker copies at once. */
const TRACE_ENGINE_CAPACITY = 8192;
const TRACE_TAKE = 512;

interface Manifest {
  format: string;
  version: number;
  image_id: string;
  chunk_size: number;
  chunks_dir: string;
  chunks: Array<ManifestChunk | null>;
}

/** What the worker's message handler needs from a running machine. */
export interface MachineControl {
  setTestHooks(h: TestHooks): void;
  /** The inspector opened: enable the engine's trace records and copy them into `ring`. */
  setTrace(ring: SharedArrayBuffer): void;
  prune(imageIds: string[]): Promise<void>;
  /** Runs a command beside the terminal's (worker/exec.ts); the result is posted as 'exec-result'. */
  exec(id: number, spec: ExecSpec): void;
  /** The preview (worker/preview.ts): an HTTP request for a port in the machine, answered on `reply`. */
  http(req: PreviewRequest, reply: MessagePort): void;
  /** The listening TCP ports. */
  ports(): ListeningPort[];
}

/** The guest-memory budget in MiB: the config's, or what the tab can hold. The engine's
 *  heap may grow to 4 GiB (wasm32), which also holds the engine's own data (block cache,
 *  page tables, the file cache), so the guest gets at most 2 GiB; on a device reporting
 *  little memory (navigator.deviceMemory, GiB, rounded down and capped at 8 by browsers)
 *  a quarter of it, at least 256 MiB. */
export function memLimitMb(config: EngineConfig): number {
  if (config.memLimitMb) return Math.max(16, Math.min(3072, Math.floor(config.memLimitMb)));
  const device = (self.navigator as WorkerNavigator & { deviceMemory?: number }).deviceMemory;
  if (!device) return 2048;
  return Math.max(256, Math.min(2048, Math.floor((device * 1024) / 4)));
}

const yieldMacrotask = () =>
  new Promise<void>((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });

async function loadEngine(link: PageLink, config: EngineConfig, host: EngineHost, warm: WarmChunks | null): Promise<EngineModule> {
  const wasmBytes = await fetchRetrying(link, config.engineWasm, 'downloading the engine', config.fetchTimeoutMs);
  // The script through fetchRetrying too (importScripts of its URL would wait on a stalled
  // server for ever), run from a blob: URL. The glue finds nothing through its own URL
  // (its directory is the worker's location, the .wasm comes from locateFile), and
  // sourceURL keeps its name in stack traces and DevTools.
  const script = await fetchRetrying(link, config.engineScript, 'downloading the engine', config.fetchTimeoutMs);
  const scriptUrl = URL.createObjectURL(
    new Blob([script as Uint8Array<ArrayBuffer>, `\n//# sourceURL=${config.engineScript}\n`], { type: 'text/javascript' }),
  );
  try {
    self.importScripts(scriptUrl);
  } finally {
    URL.revokeObjectURL(scriptUrl);
  }
  const factory = self.createGlassboxEngine;
  if (typeof factory !== 'function') throw new Error(`${config.engineScript} does not define createGlassboxEngine`);
  // A module that arrived whole but does not compile or link (damaged on the way, or a
  // stale copy of another version beside this version's script) rejects here; the
  // factory's own promise would then never settle, and the boot wait for ever.
  let refuse!: (e: Error) => void;
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  const made = factory({
    gbHost: host,
    glassboxFetchBatch: syncFetchBatch(link, !!config.cacheChunks, warm),
    glassboxNet: config.relay
      ? makeNetGlue(() => ringDoorbell(link.ctl, CTL_DOORBELL_WORKER), (online, detail) => link.post({ type: 'net', online, detail }))
      : undefined,
    glassboxAbi: ENGINE_ABI,
    locateFile: (name) => (name.endsWith('.wasm') ? config.engineWasm : name),
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(wasmBytes as Uint8Array<ArrayBuffer>, imports).then(
        (r) => receive(r.instance, r.module),
        (e: Error) =>
          refuse(new Error(`${config.engineWasm} is not the engine's module (${e?.name ?? 'Error'}: ${e?.message ?? e}); a copy from another version of the site? Reload the page`)),
      );
      return {};
    },
    print: (t) => link.log('info', t),
    printErr: (t) => link.log('warn', t),
  });
  return Promise.race([made, refused]);
}

/** The warm-up (worker/warm.ts): warm.json next to the manifest lists chunk indices; absent
 *  (a site built without web/warm-paths.txt, a dev build) or of another image: nothing. */
async function startWarm(warm: WarmChunks, manifest: Manifest, manifestUrl: URL, link: PageLink): Promise<void> {
  let list: { image_id?: string; chunks?: number[] } = {};
  try {
    const r = await fetch(new URL('warm.json', manifestUrl), { cache: 'no-cache' });
    if (r.ok) list = await r.json();
  } catch {
    // none: nothing to warm
  }
  if (list.image_id !== manifest.image_id || !Array.isArray(list.chunks)) {
    warm.skip();
    ringDoorbell(link.ctl, CTL_DOORBELL_WORKER);
    return;
  }
  warm.start(list.chunks);
}

/** Boots the machine; `onControl` gets the handle for test hooks and pruning once it exists. */
export async function runMachine(link: PageLink, config: EngineConfig, onControl: (c: MachineControl) => void): Promise<'exited'> {
  link.setState('loading-engine', 'loading the engine');
  const manifestUrl = new URL(config.imageManifest, self.location.href);
  // An earlier image (config.earlierImage) boots from the manifest kept beside its overlay,
  // read-only; the current one from the site, and its manifest is kept for later.
  const earlier = config.earlierImage;
  const store = config.persist || earlier ? await Persister.openStore(link, config.overlayDb, earlier ?? '') : null;
  let manifestText: string;
  if (earlier) {
    const kept = store ? await store.manifest(earlier) : undefined;
    if (!kept) throw new Error(`this browser kept no manifest of the earlier image ${earlier.slice(0, 19)}…`);
    manifestText = kept;
  } else {
    manifestText = new TextDecoder().decode(await fetchRetrying(link, config.imageManifest, 'reading the image manifest', config.fetchTimeoutMs));
  }
  const manifest = JSON.parse(manifestText) as Manifest;
  if (manifest.format !== 'glassbox-image' || manifest.version !== 1) {
    throw new Error(`unsupported image manifest (format ${manifest.format}, version ${manifest.version})`);
  }
  if (earlier && manifest.image_id !== earlier) throw new Error(`the manifest kept for ${earlier} names ${manifest.image_id}`);
  store?.setImage(manifest.image_id);
  if (store && !earlier) {
    try {
      await store.keepManifest(manifestText);
    } catch (e) {
      link.log('warn', `the image's manifest was not kept (${(e as Error).message})`);
    }
  }
  link.post({ type: 'image', imageId: manifest.image_id });
  const chunks = new AsyncChunks(link, manifest.chunks, manifest.chunk_size, new URL(`${manifest.chunks_dir}/`, manifestUrl).href, config.fetchTimeoutMs);
  let fsChanged = false;
  const changedDirs = new Set<string>();
  const host: EngineHost = {
    ttyOutput(bytes) {
      // Copy out of wasm memory; block while the page has not drained the ring.
      link.termOut.writeAllBlocking(bytes.slice());
      link.wakePage();
    },
    chunkRequest: (index) => chunks.request(index),
    fsChanged(dir) {
      fsChanged = true;
      if (dir) changedDirs.add(dir);
    },
  };
  const chunkBase = `${new URL('./', manifestUrl).href}${manifest.chunks_dir}/`; // (the engine's chunk URLs)
  const warm = config.warm === false || earlier ? null : new WarmChunks(link, !!config.cacheChunks, manifest.chunks, chunkBase, link.ctl, CTL_DOORBELL_WORKER);
  const E = await loadEngine(link, config, host, warm);

  link.setState('booting', 'starting the machine');
  link.progress('starting the machine');
  const imageBase = new URL('./', manifestUrl).href;
  const cfgPtr = cstr(E, JSON.stringify({
    manifest, image_base: imageBase, rows: config.rows, cols: config.cols, mem_limit_mb: memLimitMb(config),
    ...(config.relay ? { relay: config.relay } : {}),
    jit: config.jit === 'on' ? 'on' : 'off',
  }));
  check(E, E._gb_init(cfgPtr), 'gb_init');
  E._free(cfgPtr);
  link.log('info', `execution tier: ${config.jit === 'on' ? 'jit (hot code compiled to WebAssembly)' : 'interpreter'}`);

  // ---- the overlay: load what a previous session kept ----
  const blockSize = E._gb_overlay_block_size();
  let persist = new Persister(link, E, store, blockSize);
  if (store) {
    link.progress('restoring your files');
    try {
      await persist.restore();
    } catch (e) {
      link.log('warn', `overlay not restored (IndexedDB: ${(e as Error).message}); changes will not persist`);
      persist = new Persister(link, E, null, blockSize);
    }
  }
  if (earlier) persist = new Persister(link, E, null, blockSize); // read-only: nothing is stored
  else await persist.reportOldImages(); // before the first prompt, when the page offers to delete them
  // ---- the inspector's trace: off until the page opens the inspector ----
  let trace: TraceRingWriter | null = null;
  let traceBuf = 0;
  const drainTrace = () => {
    if (!trace || !E._gb_trace_take) return;
    for (;;) {
      const n = E._gb_trace_take(traceBuf, TRACE_TAKE);
      if (n <= 0) break;
      trace.write(E.HEAPU8.subarray(traceBuf, traceBuf + n * RECORD_SIZE), n);
      if (n < TRACE_TAKE) break;
    }
    trace.setEngineDrops(E._gb_trace_dropped ? E._gb_trace_dropped() : 0);
  };
  const setTrace = (ring: SharedArrayBuffer) => {
    if (!E._gb_trace_enable) {
      link.log('warn', 'this engine has no trace records (gb_trace_enable): the inspector stays empty');
      return;
    }
    trace = new TraceRingWriter(ring);
    if (!traceBuf) traceBuf = E._malloc(TRACE_TAKE * RECORD_SIZE);
    check(E, E._gb_trace_enable(TRACE_ENGINE_CAPACITY), 'gb_trace_enable');
  };
  const execs = new ExecService(E, (m) => link.post(m));
  const exec = (id: number, spec: ExecSpec) => {
    execs.start(id, spec);
    ringDoorbell(link.ctl, CTL_DOORBELL_WORKER); // the loop may be waiting idle
  };
  const preview = new PreviewService(E, () => ringDoorbell(link.ctl, CTL_DOORBELL_WORKER));
  const http = (req: PreviewRequest, reply: MessagePort) => {
    preview.start(req, reply);
    ringDoorbell(link.ctl, CTL_DOORBELL_WORKER); // the loop may be waiting idle
  };
  onControl({ setTestHooks: (h) => (persist.hooks = { ...h }), prune: (ids) => persist.prune(ids), setTrace, exec, http, ports: () => preview.ports() });

  check(E, E._gb_boot(), 'gb_boot');
  link.setState('running', 'running');

  // ---- service the host between slices ----
  let winGen = Atomics.load(link.ctl, CTL_WINSIZE_GEN);
  const dec = new TextDecoder();
  const reply = (len: number) => {
    const p = E._gb_fs_reply();
    return E.HEAPU8.slice(p, p + len);
  };

  // The inspector's requests (state, control): answered at once, between slices, also
  // while the machine is paused (the loop keeps servicing the queue then).
  const serviceInspect = (id: number, req: string) => {
    if (!E._gb_inspect || !E._gb_inspect_reply) {
      link.errorReply(id, 'ENOSYS', 'this engine has no inspector requests (gb_inspect)');
      return;
    }
    const p = cstr(E, req);
    const rc = E._gb_inspect(p);
    E._free(p);
    if (rc < 0) {
      link.errorReply(id, errnoName(E, rc), `inspect: ${errnoName(E, rc)}`);
      return;
    }
    const r = E._gb_inspect_reply();
    link.respond({ id, ok: true }, E.HEAPU8.slice(r, r + rc));
  };

  const serviceFs = async () => {
    for (const { header: h, payload } of link.fsReader.poll()) {
      if (h.op === 'inspect') {
        serviceInspect(h.id, h.req ?? '');
        continue;
      }
      const op = FS_OP[h.op as Exclude<typeof h.op, 'inspect'>];
      if (!op) {
        link.errorReply(h.id, 'EINVAL', `unknown operation ${h.op}`);
        continue;
      }
      const p1 = cstr(E, h.path);
      const p2 = h.to ? cstr(E, h.to) : 0;
      const flags = ((h.mode ?? 0) & FS_FLAG.MODE_MASK) | (h.recursive ? FS_FLAG.RECURSIVE : 0);
      const rc = withBytes(E, payload, (ptr, len) => E._gb_fs(op, p1, p2, ptr, len, flags));
      E._free(p1);
      if (p2) E._free(p2);
      if (rc < 0) {
        const name = errnoName(E, rc);
        link.errorReply(h.id, name, `${h.op} ${h.path}: ${name}`);
        continue;
      }
      if (h.op === 'read') link.respond({ id: h.id, ok: true }, reply(rc));
      else if (h.op === 'list' || h.op === 'stat') link.respond({ id: h.id, ok: true, result: JSON.parse(dec.decode(reply(rc))) });
      else {
        // Mutations are answered once their sync is committed to IndexedDB, so "saved"
        // means kept; if storing fails the change is still in the machine (and the page
        // shows the storage message), so the request itself succeeded.
        const kept = await persist.flush();
        link.respond({ id: h.id, ok: true, kept });
      }
    }
  };

  const serviceHost = async () => {
    const input = link.termIn.readAvailable();
    if (input.length) withBytes(E, input, (p, n) => E._gb_tty_input(p, n));
    const g = Atomics.load(link.ctl, CTL_WINSIZE_GEN);
    if (g !== winGen) {
      winGen = g;
      E._gb_tty_resize(Atomics.load(link.ctl, CTL_ROWS), Atomics.load(link.ctl, CTL_COLS));
    }
    while (chunks.failed.length) {
      const [i, err] = chunks.failed.shift()!;
      E._gb_chunk_failed(i, err);
    }
    while (chunks.arrived.length) {
      const [i, data] = chunks.arrived.shift()!;
      withBytes(E, data, (p, n) => E._gb_chunk_arrived(i, p, n));
    }
    await serviceFs();
    return input.length > 0;
  };

  let prompted = false;
  let activity = false;
  let lastYield = performance.now();
  let lastFlush = performance.now();
  let lastBytes = 0;
  // 'activity' (config.activity): busy/idle edges, and the bytes fetched at most every 100 ms
  let wasBusy = false;
  let lastActivityBytes = 0;
  let lastActivityAt = 0;
  const activityPost = (busy: boolean, now: number) => {
    if (!config.activity) return;
    warm?.account();
    const moved = link.bytesFetched !== lastActivityBytes && now - lastActivityAt >= 100;
    const warmEnded = !!warm?.done && !warmReported;
    if (busy === wasBusy && !moved && !warmEnded) return;
    if (warmEnded) {
      warmReported = true;
      if (warm.total) link.log('info', `warm-up: ${warm.fetched} of ${warm.total} disk chunks fetched ahead`);
    }
    wasBusy = busy;
    lastActivityBytes = link.bytesFetched;
    lastActivityAt = now;
    link.post({
      type: 'activity', busy, bytesFetched: link.bytesFetched, chunksFetched: link.chunksFetched,
      warmFetched: warm?.fetched ?? 0, warmTotal: warm?.total ?? 0, warmDone: warm ? warm.done : true,
    });
  };
  let warmReported = false; // (the warm-up's end is one more 'activity' message)
  for (;;) {
    const seen = Atomics.load(link.ctl, CTL_DOORBELL_WORKER);
    if (await serviceHost()) activity = true;
    const r = E._gb_run(SLICE_MS);
    if (trace) drainTrace();
    if (execs.busy) execs.service();
    const previewMoved = preview.busy && preview.service(); // the guest may have work: no idle wait
    if (r & RUN.FS_CHANGED || fsChanged) {
      link.post({ type: 'fs-changed', dirs: [...changedDirs] });
      changedDirs.clear();
      fsChanged = false;
    }
    if (r & RUN.EXITED) {
      await persist.flush();
      link.termOut.close();
      link.wakePage();
      link.setState('exited', `the shell exited (status ${E._gb_exit_status()})`);
      return 'exited';
    }
    if (link.bytesFetched !== lastBytes && !prompted) {
      lastBytes = link.bytesFetched;
      link.progress(chunks.busy ? 'fetching disk chunks' : 'starting the machine');
    }
    let now = performance.now();
    activityPost(!(r & RUN.IDLE) || execs.busy || chunks.busy, now);
    if (r & RUN.IDLE) {
      if (r & RUN.TTY_WAIT) {
        if (!prompted) {
          prompted = true;
          link.promptSeen = true;
          link.post({ type: 'prompt', at: performance.timeOrigin + now, bytesFetched: link.bytesFetched, chunksFetched: link.chunksFetched });
          link.progress('ready', 1);
          if (warm) void startWarm(warm, manifest, manifestUrl, link);
        }
        if (activity) {
          activity = false;
          link.post({ type: 'idle' });
        }
      }
      if (r & RUN.OVERLAY_DIRTY && persist.due(now)) {
        await persist.flush();
        lastFlush = now = performance.now();
      }
      if (!chunks.ready && !previewMoved) {
        const timer = E._gb_next_timer_ms();
        const retry = r & RUN.OVERLAY_DIRTY ? persist.retryInMs(now) : -1;
        const waits = [timer, retry, execs.nextDeadlineMs(now), preview.nextDeadlineMs(now)].filter((t) => t >= 0);
        await waitChangeAsync(link.ctl, CTL_DOORBELL_WORKER, seen, waits.length ? Math.min(...waits) : 60_000);
      }
      lastYield = performance.now();
    } else if (now - lastYield > YIELD_EVERY_MS) {
      if (r & RUN.OVERLAY_DIRTY && now - lastFlush > FLUSH_EVERY_MS && persist.due(now)) {
        await persist.flush();
        lastFlush = now;
      }
      await yieldMacrotask();
      lastYield = performance.now();
    }
  }
}

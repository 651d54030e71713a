// The engine worker: a dedicated (classic) Web Worker that owns the virtual machine.
//
// It is bundled by web/build.mjs (esbuild) with the shared protocol code from ide/src/engine/.
// The page creates it, hands it the shared buffers (see ide/src/engine/protocol.ts and
// docs/ide.md), and from then on:
//   - keystrokes arrive in the termIn ring, guest output leaves through the termOut ring;
//   - file-operation requests arrive in the fsReq ring and are answered in fsResp;
//   - the window size is in the control block;
//   - status, boot progress and "first prompt" go to the page by postMessage.
//
// The engine is the Emscripten module built from the C++ engine with -sENVIRONMENT=worker
// (build-wasm-web/glassbox_web.{js,wasm}, copied into the site as engine/). Its interface
// (exports gb_*, imports gb_host_* through web/engine-host.lib.js) is in docs/ide.md. The
// worker drives it in slices: run a slice, service the host (input, resize, chunks, file
// requests, overlay), and when every guest task sleeps, wait without blocking the worker's
// event loop (Atomics.waitAsync on the doorbell), so that fetch and IndexedDB callbacks
// still run. Disk chunks for the real engine are fetched synchronously on its behalf
// (Module.glassboxFetchBatch, synchronous XHR; docs/ide.md "Chunks"). A site built without
// the engine gets "engine not built" and ENOENGINE answers; it never pretends to be a shell.

import { ByteRing, waitChangeAsync } from '../ide/src/engine/ring';
import {
  CTL_COLS,
  CTL_DOORBELL_PAGE,
  CTL_DOORBELL_WORKER,
  CTL_ROWS,
  CTL_STATE,
  CTL_WINSIZE_GEN,
  FrameReader,
  PROTOCOL_VERSION,
  STATE_CODES,
  encodeFrame,
  ringDoorbell,
} from '../ide/src/engine/protocol';
import { OverlayStore } from '../ide/src/engine/overlay-store';

// gb_run result bits
const RUN_IDLE = 1; // no guest task can run: wait for a host event
const RUN_EXITED = 2; // the login shell has exited
const RUN_TTY_WAIT = 4; // a task is blocked reading the console (the shell shows its prompt)
const RUN_OVERLAY_DIRTY = 8; // modified disk blocks wait to be persisted
const RUN_FS_CHANGED = 16; // files were created, deleted or renamed since the last run

const FS_OPS = { list: 1, read: 2, write: 3, stat: 4, mkdir: 5, delete: 6, rename: 7 };
const FS_RECURSIVE = 1 << 16;
const SLICE_MS = 8;
const YIELD_EVERY_MS = 30;
const MAX_CHUNK_FETCHES = 6;

const ERRNO = {
  1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 9: 'EBADF', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST',
  18: 'EXDEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 27: 'EFBIG', 28: 'ENOSPC', 30: 'EROFS',
  36: 'ENAMETOOLONG', 39: 'ENOTEMPTY', 40: 'ELOOP', 95: 'EOPNOTSUPP',
};

/** @type {Int32Array} */ let ctl;
/** @type {ByteRing} */ let termIn;
/** @type {ByteRing} */ let termOut;
/** @type {ByteRing} */ let fsResp;
/** @type {FrameReader<any>} */ let fsReader;
let bytesFetched = 0;
let chunksFetched = 0;
let promptSeen = false;
let started = false;

const post = (msg) => self.postMessage(msg);

function setState(state, message, detail) {
  if (ctl) Atomics.store(ctl, CTL_STATE, STATE_CODES[state]);
  post({ type: 'status', state, message, detail });
}

function progress(phase, fraction) {
  post({ type: 'progress', phase, fraction, bytesFetched });
}

function wakePage() {
  ringDoorbell(ctl, CTL_DOORBELL_PAGE);
}

function respond(header, payload) {
  // The page drains fsResp concurrently, so a response larger than the ring still gets through.
  fsResp.writeAllBlocking(encodeFrame(header, payload));
  wakePage();
}

function errorReply(id, code, message) {
  respond({ id, ok: false, error: { code, message } });
}

self.onmessage = (ev) => {
  const msg = ev.data;
  if (!msg || msg.type !== 'init' || started) return;
  started = true;
  if (msg.protocol !== PROTOCOL_VERSION) {
    post({ type: 'status', state: 'error', message: `protocol mismatch: page ${msg.protocol}, worker ${PROTOCOL_VERSION}` });
    return;
  }
  ctl = new Int32Array(msg.shared.control);
  termIn = new ByteRing(msg.shared.termIn);
  termOut = new ByteRing(msg.shared.termOut);
  fsReader = new FrameReader(new ByteRing(msg.shared.fsReq));
  fsResp = new ByteRing(msg.shared.fsResp);
  start(msg.config).catch((e) => {
    setState('error', `engine worker failed: ${e && e.message ? e.message : e}`, String(e && e.stack ? e.stack : e));
    idleWithoutEngine('the machine stopped after an error');
  });
};

async function exists(url) {
  try {
    const r = await fetch(url, { method: 'HEAD', cache: 'no-cache' });
    return r.ok;
  } catch {
    return false;
  }
}

async function start(config) {
  setState('starting', 'checking the engine and image');
  progress('checking the engine files', 0);
  const [haveEngine, haveWasm, haveImage] = await Promise.all([
    exists(config.engineScript),
    exists(config.engineWasm),
    exists(config.imageManifest),
  ]);
  if (!haveEngine || !haveWasm) {
    setState(
      'engine-missing',
      'engine not built',
      [
        'The engine is not built yet, so there is no machine to run.',
        `The site has no ${!haveEngine ? config.engineScript : config.engineWasm}.`,
        'Build the engine for the browser (the Emscripten web target, build-wasm-web/glassbox_web.{js,wasm}),',
        'then rebuild the site with `node web/build.mjs` and reload this page.',
      ].join('\n'),
    );
    return idleWithoutEngine('the engine is not built');
  }
  if (!haveImage) {
    setState(
      'image-missing',
      'image not built',
      [
        'The guest image is missing from this site.',
        `There is no ${config.imageManifest}.`,
        'Build it with `tools/mkimage/mkimage build images/default --out build/image`,',
        'then rebuild the site with `node web/build.mjs` and reload this page.',
      ].join('\n'),
    );
    return idleWithoutEngine('the image is not built');
  }
  await boot(config);
}

/** No engine: keep answering file requests (with ENOENGINE) and drop keystrokes. */
async function idleWithoutEngine(reason) {
  for (;;) {
    const seen = Atomics.load(ctl, CTL_DOORBELL_WORKER);
    termIn.readAvailable();
    for (const { header } of fsReader.poll()) errorReply(header.id, 'ENOENGINE', `no machine is running: ${reason}`);
    await waitChangeAsync(ctl, CTL_DOORBELL_WORKER, seen, 60_000);
  }
}

// ---------------------------------------------------------------------------------------
// With an engine
// ---------------------------------------------------------------------------------------

/** Fetches a URL, counting bytes as they arrive. */
async function fetchCounted(url, phase, expected) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const total = expected || Number(r.headers.get('content-length')) || 0;
  if (!r.body) {
    const b = new Uint8Array(await r.arrayBuffer());
    bytesFetched += b.length;
    return b;
  }
  const reader = r.body.getReader();
  const parts = [];
  let got = 0;
  let lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    bytesFetched += value.length;
    const now = performance.now();
    if (phase && now - lastReport > 100) {
      lastReport = now;
      progress(phase, total ? Math.min(1, got / total) : undefined);
    }
  }
  const out = new Uint8Array(got);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function sha256hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function boot(config) {
  setState('loading-engine', 'loading the engine');
  const manifestBytes = await fetchCounted(config.imageManifest, 'reading the image manifest');
  const manifestText = new TextDecoder().decode(manifestBytes);
  const manifest = JSON.parse(manifestText);
  if (manifest.format !== 'glassbox-image' || manifest.version !== 1) {
    throw new Error(`unsupported image manifest (format ${manifest.format}, version ${manifest.version})`);
  }
  const chunkBase = new URL(`${manifest.chunks_dir}/`, new URL(config.imageManifest, self.location.href)).href;

  const wasmBytes = await fetchCounted(config.engineWasm, 'downloading the engine');
  self.importScripts(config.engineScript);
  const factory = self.createGlassboxEngine;
  if (typeof factory !== 'function') throw new Error(`${config.engineScript} does not define createGlassboxEngine`);

  // ---- host side of the engine's imports (web/engine-host.lib.js forwards to these) ----
  const arrived = []; // [index, Uint8Array] waiting to be handed to the engine
  const failed = []; // [index, errno]
  const inFlight = new Set();
  const queued = [];
  let fsChanged = false;
  const changedDirs = new Set();

  const pumpChunks = () => {
    while (inFlight.size < MAX_CHUNK_FETCHES && queued.length > 0) {
      const index = queued.shift();
      inFlight.add(index);
      fetchChunk(index)
        .then((data) => arrived.push([index, data]))
        .catch((e) => {
          post({ type: 'log', level: 'error', text: `chunk ${index}: ${e.message}` });
          failed.push([index, 5]);
        })
        .finally(() => {
          inFlight.delete(index);
          ringDoorbell(ctl, CTL_DOORBELL_WORKER);
          pumpChunks();
        });
    }
  };

  const fetchChunk = async (index) => {
    const c = manifest.chunks[index];
    if (!c) return new Uint8Array(manifest.chunk_size);
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const raw = await fetchCounted(chunkBase + c.hash, null, c.length);
        if (raw.length !== c.length) throw new Error(`length ${raw.length}, expected ${c.length}`);
        if ((await sha256hex(raw)) !== c.hash) throw new Error('sha256 mismatch');
        const data = c.gz ? await gunzip(raw) : raw;
        if (data.length !== manifest.chunk_size) throw new Error(`inflated to ${data.length} bytes`);
        return data;
      } catch (e) {
        lastErr = e;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    throw lastErr;
  };

  const host = {
    ttyOutput(bytes) {
      // Copy out of wasm memory; block while the page has not drained the ring.
      termOut.writeAllBlocking(bytes.slice());
      wakePage();
    },
    chunkRequest(index) {
      if (inFlight.has(index) || queued.includes(index)) return;
      queued.push(index);
      pumpChunks();
    },
    fsChanged(dir) {
      fsChanged = true;
      if (dir) changedDirs.add(dir);
    },
  };

  // Chunks for the real engine: fetched synchronously (docs/ide.md, "Chunks"). The engine's
  // ChunkedDevice calls this from inside gb_run/gb_boot (a page fault or an ELF load cannot
  // wait for an event) with the URLs of one batch; it verifies sha256 and inflates itself.
  // Synchronous XMLHttpRequest is allowed in dedicated workers; the requests of a batch run
  // one after another.
  let lastFetchReport = 0;
  const fetchBatch = (urls, timeoutMs, maxBytes) =>
    urls.map((url) => {
      try {
        const x = new XMLHttpRequest();
        x.open('GET', url, false);
        x.responseType = 'arraybuffer';
        x.timeout = timeoutMs;
        x.send();
        if (x.status !== 200) return { code: x.status === 404 ? 1 : 3, error: `${url}: HTTP ${x.status}` };
        const data = new Uint8Array(x.response);
        if (data.length > maxBytes) return { code: 3, error: `${url}: more than ${maxBytes} bytes` };
        bytesFetched += data.length;
        chunksFetched++;
        const now = performance.now();
        if (now - lastFetchReport > 100) {
          lastFetchReport = now;
          if (!promptSeen) progress('fetching disk chunks');
        }
        return { data };
      } catch (e) {
        const timedOut = e && e.name === 'TimeoutError';
        return { code: timedOut ? 2 : 3, error: `${url}: ${timedOut ? 'timed out' : e && e.message ? e.message : e}` };
      }
    });

  const E = await factory({
    gbHost: host,
    glassboxFetchBatch: fetchBatch,
    locateFile: (name) => (name.endsWith('.wasm') ? config.engineWasm : name),
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(wasmBytes, imports).then((r) => receive(r.instance, r.module));
      return {};
    },
    print: (t) => post({ type: 'log', level: 'info', text: t }),
    printErr: (t) => post({ type: 'log', level: 'warn', text: t }),
  });

  const enc = new TextEncoder();
  const cstr = (s) => {
    const b = enc.encode(s);
    const p = E._malloc(b.length + 1);
    E.HEAPU8.set(b, p);
    E.HEAPU8[p + b.length] = 0;
    return p;
  };
  const withBytes = (bytes, fn) => {
    const p = E._malloc(Math.max(1, bytes.length));
    E.HEAPU8.set(bytes, p);
    try {
      return fn(p, bytes.length);
    } finally {
      E._free(p);
    }
  };
  const check = (rc, what) => {
    if (rc < 0) throw new Error(`${what} failed: ${ERRNO[-rc] || 'errno ' + -rc}`);
    return rc;
  };

  setState('booting', 'starting the machine');
  progress('starting the machine');
  const imageBase = new URL('./', new URL(config.imageManifest, self.location.href)).href;
  const cfgPtr = cstr(JSON.stringify({ manifest, image_base: imageBase, rows: config.rows, cols: config.cols }));
  check(E._gb_init(cfgPtr), 'gb_init');
  E._free(cfgPtr);

  // ---- the overlay: load what a previous session kept ----
  const blockSize = E._gb_overlay_block_size();
  let store = null;
  if (config.persist && typeof indexedDB !== 'undefined') {
    try {
      store = await OverlayStore.open(config.overlayDb, manifest.image_id);
      progress('restoring your files');
      const scratch = E._malloc(blockSize);
      const n = await store.forEach((block, data) => {
        E.HEAPU8.set(data.subarray(0, blockSize), scratch);
        check(E._gb_overlay_load(block >>> 0, Math.floor(block / 2 ** 32), scratch), 'gb_overlay_load');
      });
      E._free(scratch);
      post({ type: 'overlay', persisted: 0, total: n });
    } catch (e) {
      post({ type: 'log', level: 'warn', text: `overlay not restored (IndexedDB: ${e.message}); changes will not persist` });
      store = null;
    }
  }
  let persisted = 0;
  const flushOverlay = async () => {
    if (!store) return;
    for (;;) {
      const n = E._gb_overlay_take_dirty(256);
      if (n <= 0) break;
      const base = E._gb_overlay_reply();
      const rec = 8 + blockSize;
      const blocks = [];
      for (let i = 0; i < n; i++) {
        const at = base + i * rec;
        const dv = new DataView(E.HEAPU8.buffer, at, 8);
        const block = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
        blocks.push([block, E.HEAPU8.slice(at + 8, at + 8 + blockSize)]);
      }
      await store.put(blocks, blockSize);
      persisted += n;
    }
    post({ type: 'overlay', persisted, total: await store.count() });
  };

  check(E._gb_boot(), 'gb_boot');
  setState('running', 'running');

  // ---- service the host between slices ----
  let winGen = Atomics.load(ctl, CTL_WINSIZE_GEN);
  const scratchReply = (len) => E.HEAPU8.slice(E._gb_fs_reply(), E._gb_fs_reply() + len);
  const dec = new TextDecoder();

  const serviceFs = async () => {
    let wrote = false;
    for (const { header: h, payload } of fsReader.poll()) {
      const op = FS_OPS[h.op];
      if (!op) {
        errorReply(h.id, 'EINVAL', `unknown operation ${h.op}`);
        continue;
      }
      const p1 = cstr(h.path);
      const p2 = h.to ? cstr(h.to) : 0;
      const flags = (h.mode ?? 0) | (h.recursive ? FS_RECURSIVE : 0);
      const rc = withBytes(payload, (ptr, len) => E._gb_fs(op, p1, p2, ptr, len, flags));
      E._free(p1);
      if (p2) E._free(p2);
      if (rc < 0) {
        errorReply(h.id, ERRNO[-rc] || `E${-rc}`, `${h.op} ${h.path}: ${ERRNO[-rc] || 'errno ' + -rc}`);
        continue;
      }
      if (h.op === 'read') respond({ id: h.id, ok: true }, scratchReply(rc));
      else if (h.op === 'list' || h.op === 'stat') respond({ id: h.id, ok: true, result: JSON.parse(dec.decode(scratchReply(rc))) });
      else {
        // Mutations are answered once they are in IndexedDB, so "saved" means kept.
        wrote = true;
        await flushOverlay();
        respond({ id: h.id, ok: true });
      }
    }
    return wrote;
  };

  const serviceHost = async () => {
    const input = termIn.readAvailable();
    if (input.length) withBytes(input, (p, n) => E._gb_tty_input(p, n));
    const g = Atomics.load(ctl, CTL_WINSIZE_GEN);
    if (g !== winGen) {
      winGen = g;
      E._gb_tty_resize(Atomics.load(ctl, CTL_ROWS), Atomics.load(ctl, CTL_COLS));
    }
    while (failed.length) {
      const [i, err] = failed.shift();
      E._gb_chunk_failed(i, err);
    }
    while (arrived.length) {
      const [i, data] = arrived.shift();
      withBytes(data, (p, n) => E._gb_chunk_arrived(i, p, n));
    }
    await serviceFs();
    return input.length > 0;
  };

  const yieldMacrotask = () =>
    new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      ch.port2.postMessage(0);
    });

  let prompted = false;
  let activity = false;
  let lastYield = performance.now();
  let lastFlush = performance.now();
  let lastBytes = 0;
  for (;;) {
    const seen = Atomics.load(ctl, CTL_DOORBELL_WORKER);
    if (await serviceHost()) activity = true;
    const r = E._gb_run(SLICE_MS);
    if (r & RUN_FS_CHANGED || fsChanged) {
      post({ type: 'fs-changed', dirs: [...changedDirs] });
      changedDirs.clear();
      fsChanged = false;
    }
    if (r & RUN_EXITED) {
      await flushOverlay();
      termOut.close();
      wakePage();
      setState('exited', `the shell exited (status ${E._gb_exit_status()})`);
      return idleWithoutEngine('the shell has exited; reload the page to start a new session');
    }
    if (bytesFetched !== lastBytes && !prompted) {
      lastBytes = bytesFetched;
      progress(inFlight.size ? 'fetching disk chunks' : 'starting the machine');
    }
    const now = performance.now();
    if (r & RUN_IDLE) {
      if (r & RUN_TTY_WAIT) {
        if (!prompted) {
          prompted = true;
          promptSeen = true;
          post({ type: 'prompt', at: performance.timeOrigin + now, bytesFetched, chunksFetched });
          progress('ready', 1);
        }
        if (activity) {
          activity = false;
          post({ type: 'idle' });
        }
      }
      if (r & RUN_OVERLAY_DIRTY) {
        await flushOverlay();
        lastFlush = now;
      }
      if (arrived.length === 0 && failed.length === 0) {
        const timer = E._gb_next_timer_ms();
        await waitChangeAsync(ctl, CTL_DOORBELL_WORKER, seen, timer >= 0 ? timer : 60_000);
      }
      lastYield = performance.now();
    } else if (now - lastYield > YIELD_EVERY_MS) {
      if (r & RUN_OVERLAY_DIRTY && now - lastFlush > 2000) {
        await flushOverlay();
        lastFlush = now;
      }
      await yieldMacrotask();
      lastYield = performance.now();
    }
  }
}

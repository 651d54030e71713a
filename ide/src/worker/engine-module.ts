// The engine module as the worker sees it: the Emscripten module built from
// web/engine/glassbox_web.cpp (build-wasm-web/glassbox_web.{js,wasm}), or the test stand-in
// (tests/e2e/fixtures/stub-engine/). The interface is documented in docs/ide.md, "The
// engine module"; the numbers it shares with the worker are in ./../engine/abi.ts.

export interface EngineModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _gb_init(configJson: number): number;
  _gb_boot(): number;
  _gb_run(sliceMs: number): number;
  _gb_next_timer_ms(): number;
  _gb_exit_status(): number;
  _gb_tty_input(data: number, len: number): void;
  _gb_tty_resize(rows: number, cols: number): void;
  _gb_chunk_arrived(index: number, data: number, len: number): void;
  _gb_chunk_failed(index: number, errno: number): void;
  _gb_fs(op: number, path: number, path2: number, data: number, len: number, flags: number): number;
  _gb_fs_reply(): number;
  _gb_overlay_block_size(): number;
  _gb_overlay_load(lo: number, hi: number, data: number): number;
  _gb_overlay_take_dirty(maxBlocks: number): number;
  _gb_overlay_reply(): number;
  _gb_overlay_settle(committed: number): number;
  _gb_errno_name(e: number): number;
  _gb_trace_enable?(capacity: number): number;
  _gb_trace_take?(out: number, max: number): number;
  _gb_trace_dropped?(): number;
  _gb_spawn?(specJson: number): number;
  _gb_spawn_poll?(handle: number): number;
  _gb_spawn_kill?(handle: number): number;
  /** Streaming: the output since the last take ({pid, stdout, stderr}), then forgotten. */
  _gb_spawn_take?(handle: number): number;
  _gb_spawn_reply?(): number;
  _gb_inspect?(req: number): number;
  _gb_inspect_reply?(): number;
  _gb_port_open?(port: number): number;
  _gb_port_write?(handle: number, data: number, len: number): number;
  _gb_port_read?(handle: number, buf: number, cap: number): number;
  _gb_port_shutdown?(handle: number): number;
  _gb_port_poll?(handle: number): number;
  _gb_port_close?(handle: number): number;
  _gb_ports_list?(): number;
  _gb_ports_reply?(): number;
  UTF8ToString?(p: number): string;
}

/** The host side of the engine's imports (web/engine-host.lib.js forwards to it). */
export interface EngineHost {
  ttyOutput(bytes: Uint8Array): void;
  chunkRequest(index: number): void;
  fsChanged(dir: string): void;
}

/** Result of one URL of a synchronous chunk batch (docs/ide.md, "Chunks"). */
export type FetchResult = { data: Uint8Array } | { code: 1 | 2 | 3; error: string };

export interface EngineModuleArgs {
  gbHost: EngineHost;
  glassboxFetchBatch: (urls: string[], timeoutMs: number, maxBytes: number) => FetchResult[];
  /** The WebSocket to the network relay (worker/relay.ts), when the site has one. */
  glassboxNet?: import('./relay').NetGlue;
  /** The shared numbers (web/engine/abi.json), for modules that read them at run time. */
  glassboxAbi: unknown;
  locateFile: (name: string) => string;
  instantiateWasm: (imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => object;
  print: (t: string) => void;
  printErr: (t: string) => void;
}

export type EngineFactory = (args: EngineModuleArgs) => Promise<EngineModule>;

const enc = new TextEncoder();

/** A NUL-terminated copy of `s` in the module's memory (free it with `_free`). */
export function cstr(E: EngineModule, s: string): number {
  const b = enc.encode(s);
  const p = E._malloc(b.length + 1);
  E.HEAPU8.set(b, p);
  E.HEAPU8[p + b.length] = 0;
  return p;
}

/** Runs `fn` with a copy of `bytes` in the module's memory. */
export function withBytes<T>(E: EngineModule, bytes: Uint8Array, fn: (ptr: number, len: number) => T): T {
  const p = E._malloc(Math.max(1, bytes.length));
  E.HEAPU8.set(bytes, p);
  try {
    return fn(p, bytes.length);
  } finally {
    E._free(p);
  }
}

/** Linux's name for an errno value, from the engine's own table ("E<n>" if it has none). */
export function errnoName(E: EngineModule, e: number): string {
  const n = Math.abs(e);
  const p = typeof E._gb_errno_name === 'function' ? E._gb_errno_name(n) : 0;
  if (!p) return `E${n}`;
  if (E.UTF8ToString) return E.UTF8ToString(p);
  let end = p;
  while (E.HEAPU8[end]) end++;
  return new TextDecoder().decode(E.HEAPU8.subarray(p, end));
}

/** Throws "what failed: ENAME" for a negative result. */
export function check(E: EngineModule, rc: number, what: string): number {
  if (rc < 0) throw new Error(`${what} failed: ${errnoName(E, rc)}`);
  return rc;
}

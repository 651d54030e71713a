// The page <-> engine-worker protocol. Documented in docs/ide.md ("The engine protocol").
//
// Shared memory (set up by the page, handed to the worker once in the `init` message):
//   control  Int32 words: doorbells, window size, worker state (CTL_* below)
//   termIn   ByteRing page -> worker: keystrokes (UTF-8 bytes as the pty master receives them)
//   termOut  ByteRing worker -> page: what the guest writes to the console pty
//   fsReq    ByteRing page -> worker: file-operation requests (frames, below)
//   fsResp   ByteRing worker -> page: file-operation responses (frames)
// Everything the worker must see while it may be blocked (input, resize, file requests)
// travels through shared memory, and the page rings the worker's doorbell after each
// change. Low-rate events from the worker (status, boot progress, first prompt) are
// ordinary postMessage messages.

import { ByteRing } from './ring';
import type { HttpMessage, PortsMessage, PortsResultMessage } from './preview-protocol';

export const PROTOCOL_VERSION = 1;

// ---- control block: Int32Array over a SharedArrayBuffer of CONTROL_WORDS * 4 bytes ----
export const CTL_DOORBELL_WORKER = 0; // page: Atomics.add 1 + notify after any change for the worker
export const CTL_DOORBELL_PAGE = 1; // worker: Atomics.add 1 + notify after writing termOut or fsResp
export const CTL_WINSIZE_GEN = 2; // page: bumped after storing rows/cols
export const CTL_ROWS = 3;
export const CTL_COLS = 4;
export const CTL_STATE = 5; // worker: WorkerState code (mirrors the `status` messages)
export const CTL_PROTOCOL = 6; // page: PROTOCOL_VERSION
export const CTL_FS_PENDING = 7; // page: requests written and not yet answered (informational)
export const CONTROL_WORDS = 16;

export const RING_SIZES = {
  termIn: 64 * 1024,
  termOut: 1024 * 1024,
  fsReq: 1024 * 1024,
  fsResp: 1024 * 1024,
} as const;

export type WorkerState =
  | 'starting'
  | 'loading-engine'
  | 'engine-missing'
  | 'image-missing'
  | 'booting'
  | 'running'
  | 'exited'
  | 'error';

export const STATE_CODES: Record<WorkerState, number> = {
  starting: 0,
  'loading-engine': 1,
  'engine-missing': 2,
  'image-missing': 3,
  booting: 4,
  running: 5,
  exited: 6,
  error: 7,
};

export interface SharedBuffers {
  control: SharedArrayBuffer;
  termIn: SharedArrayBuffer;
  termOut: SharedArrayBuffer;
  fsReq: SharedArrayBuffer;
  fsResp: SharedArrayBuffer;
}

export interface EngineConfig {
  /** URL of the Emscripten JS of the engine (classic script defining createGlassboxEngine). */
  engineScript: string;
  /** URL of its .wasm (handed to the module through locateFile). */
  engineWasm: string;
  /** URL of the image's manifest.json; chunks are resolved relative to it. */
  imageManifest: string;
  /** IndexedDB database holding the overlay (modified disk blocks). */
  overlayDb: string;
  /** Keep the overlay in IndexedDB (false: a throw-away session). */
  persist: boolean;
  rows: number;
  cols: number;
  /** The machine's guest memory in MiB (16..3072); absent: what the tab can hold
   *  (worker/machine.ts memLimitMb). Past it the guest gets ENOMEM or the OOM killer. */
  memLimitMb?: number;
  /** Post 'activity' messages (busy/idle changes, bytes fetched; the JavaScript API's events). */
  activity?: boolean;
  /** Keep the disk chunks the worker fetches in the chunk cache itself (the page was not
   *  controlled by the service worker when it started it: a first visit). */
  cacheChunks?: boolean;
  /** The network relay's URL (the site's config.json or the API's create option). */
  relay?: string;
  /** The execution tier (vm/jit, docs/jit.md): 'on' compiles hot code to WebAssembly;
   *  absent or 'off': the interpreter only. */
  jit?: 'off' | 'on';
  /** Fetch the chunks of the image's warm.json in the background once the machine is at its
   *  first prompt (worker/net.ts WarmChunks; docs/ide.md "Chunks"). Absent: true. */
  warm?: boolean;
  /** Boot an earlier image instead, read-only: the one of this id, from the manifest kept
   *  beside its overlay in `overlayDb` (its chunks resolved next to `imageManifest`). Its
   *  overlay is loaded and never written. The old-data dialog's "Download my files". */
  earlierImage?: string;
  /** How long a download may go without receiving a byte before it is given up as
   *  stalled, in ms (worker/net.ts; default 30 s). The engine's module and the image's
   *  manifest are then tried again (four tries), a chunk fetched asynchronously three
   *  times; the engine's own chunk requests keep its timeout. */
  fetchTimeoutMs?: number;
}

// ---- postMessage messages ----
export interface InitMessage {
  type: 'init';
  protocol: number;
  shared: SharedBuffers;
  config: EngineConfig;
}

/**
 * Test-only settings (window.glassbox.debug.setTestHooks): they let the browser tests kill
 * the worker in the middle of a sync and inject storage errors. Never set by the IDE.
 */
export interface TestHooks {
  /** Pause the next sync of at least `pauseMinBlocks` blocks after its Nth put (1-based). */
  pauseAfterPut?: number;
  /** ... or after its last request, when the commit has been requested. */
  pauseAfterCommitRequest?: boolean;
  pauseMinBlocks?: number;
  /** How long the paused worker blocks (it posts `sync-paused` and waits: the page terminates it). */
  pauseMs?: number;
  /** The next N syncs fail with a QuotaExceededError (thrown at their first put). */
  quotaFailures?: number;
  /** Post `committed` (and `sync-paused`) with the SHA-256 of every block of the sync. */
  reportBlocks?: boolean;
}
export interface TestHooksMessage {
  type: 'test-hooks';
  hooks: TestHooks;
}
/** Delete the overlays of these (old) images: only after the student agreed. */
export interface PruneMessage {
  type: 'prune';
  imageIds: string[];
}

/** The inspector opened: write the engine's trace records into this ring
 *  (ide/src/engine/trace-ring.ts; docs/inspector.md). Until then the engine's trace is off. */
export interface TraceMessage {
  type: 'trace';
  ring: SharedArrayBuffer;
}

/** A command run in a fresh process beside the terminal's (a lesson's check; docs/lessons.md):
 *  the login user's uid, environment and working directory unless given. */
export interface ExecSpec {
  argv: string[];
  env?: string[];
  cwd?: string;
  stdin?: string;
  /** Bytes kept of stdout and of stderr each (default 64 KiB); the rest is dropped. */
  cap?: number;
  /** Killed (SIGKILL to its process group) after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Keep the trace events of the process and its children (exec, exit, signal, fault,
   *  system calls, file reads). */
  events?: boolean;
  /** Run as this user (and group; default: the login's, a uid alone sets the gid too). */
  uid?: number;
  gid?: number;
  /** Post the output as it comes ('exec-output' messages) instead of only in the result
   *  (the JavaScript API's onOutput); the cap then bounds only what was not posted yet. */
  stream?: boolean;
}
export interface ExecEvent {
  kind: string;
  pid: number;
  nr: number;
  ret: number;
  text: string;
}
export interface ExecResult {
  /** Linux's wait status; `code` when it exited, `signal` ("SIGSEGV") when killed. */
  status: number;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  events: ExecEvent[];
  eventsTruncated: boolean;
  timedOut: boolean;
  ms: number;
}
export interface ExecMessage {
  type: 'exec';
  id: number;
  spec: ExecSpec;
}

export type PageToWorker = InitMessage | TestHooksMessage | PruneMessage | TraceMessage | ExecMessage | HttpMessage | PortsMessage;

export interface StatusMessage {
  type: 'status';
  state: WorkerState;
  /** One line for the status bar. */
  message: string;
  /** Longer text for the terminal (what happened, what to do). */
  detail?: string;
}
export interface ProgressMessage {
  type: 'progress';
  /** What is happening now, e.g. "downloading engine", "fetching disk chunks". */
  phase: string;
  /** 0..1 if known. */
  fraction?: number;
  /** Bytes fetched from the network by the worker so far (engine, manifest, chunks). */
  bytesFetched: number;
}
export interface PromptMessage {
  type: 'prompt';
  /** performance.timeOrigin-relative time (ms) at which the guest first waited for tty input. */
  at: number;
  /** Bytes the worker had fetched by then (engine, manifest, disk chunks; HTTP-cache hits included). */
  bytesFetched?: number;
  /** Disk chunks fetched by then. */
  chunksFetched?: number;
}
export interface IdleMessage {
  type: 'idle';
}
/** The relay link went up or down (docs/networking.md). */
export interface NetMessage {
  type: 'net';
  online: boolean;
  detail: string;
}
export interface FsChangedMessage {
  type: 'fs-changed';
  /** Directories whose entries changed (absolute guest paths), if the engine knows. */
  dirs: string[];
}
export interface OverlayMessage {
  type: 'overlay';
  /** Blocks written to IndexedDB so far in this session, and blocks kept in total. */
  persisted: number;
  total: number;
  /** The sync just committed: its blocks and how long its transaction took (ms). */
  blocks?: number;
  ms?: number;
}
/** Storing a sync failed (`failed`: the blocks stay in the engine and are retried), or works again (`ok`). */
export interface StorageMessage {
  type: 'storage';
  state: 'failed' | 'ok';
  /** The browser refused the space (QuotaExceededError). */
  quota: boolean;
  message: string;
  /** Changed blocks not yet kept in the browser. */
  pendingBlocks: number;
  /** When the next attempt is due (failed). */
  retryInMs?: number;
}
/** Overlays of other (earlier) images are kept in IndexedDB. */
export interface OldDataMessage {
  type: 'old-data';
  /** `manifest`: this browser kept the image's manifest, so the worker can boot it again
   *  (config.earlierImage) to hand the student the files of that version. */
  images: Array<{ imageId: string; blocks: number; bytes: number; updated: number; manifest: boolean }>;
}
export interface PrunedMessage {
  type: 'pruned';
  imageIds: string[];
  error?: string;
}
export interface TestHookMessage {
  type: 'test-hook';
  event: 'sync-paused' | 'committed';
  /** sync-paused: puts issued; both: the blocks of the sync, and (reportBlocks) their SHA-256s. */
  puts?: number;
  blocks: number;
  hashes?: Array<[number, string]>;
}
export interface ExecResultMessage {
  type: 'exec-result';
  id: number;
  result?: ExecResult;
  /** The command could not start (no such program, the machine is not running). */
  error?: string;
}
/** Streamed output of a command started with `stream` (and its pid, known once started). */
export interface ExecOutputMessage {
  type: 'exec-output';
  id: number;
  pid: number;
  stdout: string;
  stderr: string;
}
/** The run loop went busy or idle, and what it fetched so far (the API's events). */
export interface ActivityMessage {
  type: 'activity';
  busy: boolean;
  bytesFetched: number;
  /** Chunks fetched on demand (the engine waited for them). */
  chunksFetched: number;
  /** The warm-up: chunks fetched ahead so far, of how many, and whether it is through. */
  warmFetched: number;
  warmTotal: number;
  warmDone: boolean;
}
/** The image the machine boots (its manifest's id), posted once the manifest is read. */
export interface ImageMessage {
  type: 'image';
  imageId: string;
}
export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  text: string;
}
export type WorkerToPage =
  | PortsResultMessage
  | StatusMessage
  | ProgressMessage
  | PromptMessage
  | IdleMessage
  | NetMessage
  | FsChangedMessage
  | OverlayMessage
  | StorageMessage
  | OldDataMessage
  | PrunedMessage
  | TestHookMessage
  | ExecResultMessage
  | ExecOutputMessage
  | ActivityMessage
  | ImageMessage
  | LogMessage;

// ---- file operations ----
export type FsOp = 'list' | 'read' | 'write' | 'stat' | 'mkdir' | 'delete' | 'rename' | 'inspect';

export interface FsRequest {
  id: number;
  op: FsOp;
  /** Absolute guest path. */
  path: string;
  /** rename: the new absolute path. */
  to?: string;
  /** write/mkdir: permission bits for a new file or directory (default 0644 / 0755). */
  mode?: number;
  /** delete: remove a directory and everything under it. */
  recursive?: boolean;
  /** inspect: the inspector's request (JSON, web/engine/glassbox_web.cpp "gb_inspect");
   *  answered with the state sections (vm/trace/state.h) as the payload. */
  req?: string;
}

export type FileType = 'file' | 'dir' | 'symlink' | 'other';

export interface DirEntry {
  name: string;
  type: FileType;
  size: number;
  mode: number;
  /** seconds since the epoch */
  mtime: number;
}

export interface StatResult {
  type: FileType;
  size: number;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
}

export interface FsError {
  /** errno name (ENOENT, EACCES, EISDIR, ...) or ENOENGINE when no machine is running. */
  code: string;
  message: string;
}

export interface FsResponseHeader {
  id: number;
  ok: boolean;
  error?: FsError;
  /** list: DirEntry[]; stat: StatResult; others: undefined. read: the bytes are the payload. */
  result?: DirEntry[] | StatResult;
  /** Mutations: false when the change is in the machine but storing it in the browser failed (retried). */
  kept?: boolean;
}

// ---- frames: [u32 LE bodyLength][u32 LE headerLength][header JSON UTF-8][payload] ----
const enc = new TextEncoder();
const dec = new TextDecoder();
export const MAX_FRAME = 256 * 1024 * 1024;

export function encodeFrame(header: unknown, payload?: Uint8Array): Uint8Array {
  const h = enc.encode(JSON.stringify(header));
  const p = payload ?? new Uint8Array(0);
  const body = 4 + h.length + p.length;
  if (body > MAX_FRAME) throw new RangeError(`frame too large (${body} bytes)`);
  const out = new Uint8Array(4 + body);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body, true);
  dv.setUint32(4, h.length, true);
  out.set(h, 8);
  out.set(p, 8 + h.length);
  return out;
}

export interface Frame<H> {
  header: H;
  payload: Uint8Array;
}

/** Reassembles frames from a ring, however the bytes were split. */
export class FrameReader<H> {
  private lenBuf = new Uint8Array(4);
  private lenHave = 0;
  private body: Uint8Array | null = null;
  private bodyHave = 0;

  constructor(private readonly ring: ByteRing) {}

  /** Reads what is available; returns the frames completed by it. */
  poll(): Frame<H>[] {
    const out: Frame<H>[] = [];
    for (;;) {
      if (this.body === null) {
        this.lenHave += this.ring.read(this.lenBuf, this.lenHave, 4 - this.lenHave);
        if (this.lenHave < 4) break;
        const len = new DataView(this.lenBuf.buffer).getUint32(0, true);
        if (len < 4 || len > MAX_FRAME) throw new Error(`corrupt frame length ${len}`);
        this.body = new Uint8Array(len);
        this.bodyHave = 0;
        this.lenHave = 0;
      }
      this.bodyHave += this.ring.read(this.body, this.bodyHave, this.body.length - this.bodyHave);
      if (this.bodyHave < this.body.length) break;
      const body = this.body;
      this.body = null;
      const hl = new DataView(body.buffer).getUint32(0, true);
      const header = JSON.parse(dec.decode(body.subarray(4, 4 + hl))) as H;
      out.push({ header, payload: body.subarray(4 + hl) });
    }
    return out;
  }
}

export function ringDoorbell(control: Int32Array, word: number): void {
  Atomics.add(control, word, 1);
  Atomics.notify(control, word);
}

/** Page side: store the window size and wake the worker. */
export function setWinsize(control: Int32Array, rows: number, cols: number): void {
  Atomics.store(control, CTL_ROWS, rows);
  Atomics.store(control, CTL_COLS, cols);
  Atomics.add(control, CTL_WINSIZE_GEN, 1);
  ringDoorbell(control, CTL_DOORBELL_WORKER);
}

export function allocateShared(): SharedBuffers {
  return {
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    termIn: ByteRing.create(RING_SIZES.termIn).sab,
    termOut: ByteRing.create(RING_SIZES.termOut).sab,
    fsReq: ByteRing.create(RING_SIZES.fsReq).sab,
    fsResp: ByteRing.create(RING_SIZES.fsResp).sab,
  };
}

/** Joins a guest path (no `..` escapes above /). */
export function joinPath(dir: string, name: string): string {
  const parts = (name.startsWith('/') ? name : `${dir}/${name}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

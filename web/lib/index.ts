// The Glassbox JavaScript API (docs/api.md; declarations in web/lib/glassbox.d.ts, which
// this file is checked against). Built by web/build.mjs into the site as lib/glassbox.js.
//
// A thin layer over the IDE's own page side: each machine is one EngineClient
// (ide/src/engine/client.ts) and so one engine worker (ide/src/worker/), with its own
// shared memory and its own IndexedDB database: two machines on a page share nothing.
//   run       -> the worker's 'exec' (gb_spawn; stream: output as 'exec-output')
//   fs        -> the file-operation frames
//   terminal  -> the console pty's rings (the login shell)
//   events    -> 'activity' (busy/idle, bytes fetched), 'status', 'storage'; process and
//                trace events from the engine's trace ring, switched on by the first
//                listener (tracing costs time)
import { EngineClient, FsOpError } from '../../ide/src/engine/client';
import type { ExecResult, WorkerToPage } from '../../ide/src/engine/protocol';
import { RECORD_SIZE, TraceRingReader, allocateTraceRing } from '../../ide/src/engine/trace-ring';
import type {
  CreateOptions,
  DirEntry,
  GlassboxEvents,
  GlassboxFs,
  GlassboxVM,
  RunOptions,
  RunResult,
  Stat,
  TerminalAttachment,
  TerminalLike,
  TraceRecord,
} from './glassbox';

declare const __ENGINE_WORKER_URL__: string;
declare const __BUILD_ID__: string;

const dec = new TextDecoder();
/** Console output kept for the first terminal attached after it was written. */
const CONSOLE_BACKLOG = 64 * 1024;
const TRACE_CAPACITY = 4096;
const KINDS: TraceRecord['kind'][] = ['none', 'sys-enter', 'sys-exit', 'fork', 'exec', 'exit', 'signal', 'fs-read', 'stat', 'fd', 'chunks', 'jit-region', 'jit-drop'];
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

type Listener = (e: never) => void;

interface RunningCommand {
  onOutput?: RunOptions['onOutput'];
}

/** Decodes one 256-byte record (vm/trace/record.h's layout). */
export function decodeRecord(b: Uint8Array): TraceRecord {
  const v = new DataView(b.buffer, b.byteOffset, RECORD_SIZE);
  const n64 = (o: number) => Number(v.getBigInt64(o, true));
  const len = Math.min(v.getUint16(36, true), 160);
  return {
    seq: n64(0),
    timeNs: n64(8),
    pid: v.getInt32(24, true),
    tid: v.getInt32(28, true),
    kind: KINDS[v.getUint8(32)] ?? 'none',
    nr: v.getUint16(34, true),
    ret: n64(40),
    a: [0, 1, 2, 3, 4, 5].map((i) => n64(48 + i * 8)),
    data: b.slice(96, 96 + len),
  };
}

function statusOf(r: ExecResult): number {
  if (r.code !== null) return r.code;
  return 128 + (r.signal && SIGNALS[r.signal] ? SIGNALS[r.signal] : r.status & 0x7f);
}

class Machine implements GlassboxVM {
  imageId = '';
  destroyed = false;
  readonly fs: GlassboxFs;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly terminals = new Set<(b: Uint8Array) => void>();
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private readonly commands = new Map<number, RunningCommand>();
  private traceReader: TraceRingReader | null = null;
  private traceTimer = 0;
  private busy = false;
  readonly client: EngineClient;
  readonly ready: Promise<void>;

  constructor(opts: CreateOptions) {
    const base = opts.base ?? new URL('../', import.meta.url).href;
    const storage = opts.storage ?? 'memory';
    if (storage !== 'memory' && !/^indexeddb:.+/.test(storage)) throw new TypeError(`storage: 'memory' or 'indexeddb:<name>', not ${JSON.stringify(storage)}`);
    if (opts.jit !== undefined && opts.jit !== 'off' && opts.jit !== 'on') throw new TypeError(`jit: 'off' or 'on', not ${JSON.stringify(opts.jit)}`);
    if (opts.fetchTimeoutMs !== undefined && !(Number.isFinite(opts.fetchTimeoutMs) && opts.fetchTimeoutMs > 0))
      throw new TypeError(`fetchTimeoutMs: a positive number of milliseconds, not ${JSON.stringify(opts.fetchTimeoutMs)}`);
    let resolveReady!: () => void, rejectReady!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((resolveReady = res), (rejectReady = rej)));
    this.client = new EngineClient({
      workerUrl: new URL(__ENGINE_WORKER_URL__, base).href,
      config: {
        engineScript: new URL('engine/glassbox_web.js', base).href,
        engineWasm: new URL('engine/glassbox_web.wasm', base).href,
        imageManifest: new URL(opts.image ?? 'image/manifest.json', base).href,
        overlayDb: storage === 'memory' ? 'glassbox-api-memory' : storage.slice('indexeddb:'.length),
        persist: storage !== 'memory',
        rows: opts.rows ?? 24,
        cols: opts.cols ?? 80,
        memLimitMb: opts.memoryMb,
        activity: true,
        cacheChunks: 'serviceWorker' in navigator && !navigator.serviceWorker.controller,
        relay: opts.relay,
        jit: opts.jit === 'off' ? 'off' : 'on',
        warm: opts.warm !== false,
        fetchTimeoutMs: opts.fetchTimeoutMs,
      },
      onOutput: (bytes) => this.consoleOutput(bytes),
      onMessage: (m) => this.message(m, resolveReady, rejectReady),
      onWorkerError: (text) => rejectReady(new Error(`the engine worker failed: ${text}`)),
      onExecOutput: (id, stdout, stderr) => {
        const c = this.commands.get(id);
        if (!c?.onOutput) return;
        if (stdout) c.onOutput(stdout, 1);
        if (stderr) c.onOutput(stderr, 2);
      },
    });
    this.client.start();
    const c = this.client;
    this.fs = {
      readFile: (async (path: string, encoding?: 'utf8') => {
        const b = await c.read(path);
        return encoding ? dec.decode(b) : b;
      }) as GlassboxFs['readFile'],
      writeFile: (path, data, o) => c.write(path, data, o?.mode),
      readdir: (path) => c.list(path) as Promise<DirEntry[]>,
      stat: (path) => c.stat(path) as Promise<Stat>,
      mkdir: (path, o) => c.mkdir(path, o?.mode),
      rm: (path, o) => c.delete(path, !!o?.recursive),
      rename: (from, to) => c.rename(from, to),
    };
  }

  private message(m: WorkerToPage, resolve: () => void, reject: (e: Error) => void): void {
    switch (m.type) {
      case 'status':
        this.emit('status', { state: m.state, message: m.message });
        if (m.state === 'error' || m.state === 'engine-missing' || m.state === 'image-missing') reject(new Error(`${m.message}${m.detail ? `: ${m.detail}` : ''}`));
        break;
      case 'prompt':
        resolve();
        break;
      case 'activity':
        this.emit('disk', { bytesFetched: m.bytesFetched, chunksFetched: m.chunksFetched, warmFetched: m.warmFetched, warmTotal: m.warmTotal, warmDone: m.warmDone });
        if (m.busy !== this.busy) {
          this.busy = m.busy;
          this.emit(m.busy ? 'busy' : 'idle', undefined);
        }
        break;
      case 'storage':
        this.emit('storage', { state: m.state, quota: m.quota, message: m.message });
        break;
      case 'image':
        this.imageId = m.imageId;
        break;
    }
  }

  // ---- the console ----
  private consoleOutput(bytes: Uint8Array): void {
    if (!this.terminals.size) {
      this.backlog.push(bytes.slice());
      this.backlogBytes += bytes.length;
      while (this.backlogBytes > CONSOLE_BACKLOG && this.backlog.length > 1) this.backlogBytes -= this.backlog.shift()!.length;
      return;
    }
    for (const t of this.terminals) t(bytes);
  }

  async attachTerminal(target: HTMLElement | TerminalLike): Promise<TerminalAttachment> {
    this.alive();
    let term: TerminalLike;
    let dispose = () => undefined as void;
    let fit: (() => void) | null = null;
    if (typeof (target as TerminalLike).write === 'function' && typeof (target as TerminalLike).onData === 'function') {
      term = target as TerminalLike;
    } else {
      const { openXterm } = await import('./xterm-element');
      const x = openXterm(target as HTMLElement, (rows, cols) => this.client.resize(rows, cols));
      term = x.term;
      dispose = x.dispose;
      fit = x.fit;
    }
    const sink = (b: Uint8Array) => term.write(b);
    for (const b of this.backlog) term.write(b);
    this.backlog = [];
    this.backlogBytes = 0;
    this.terminals.add(sink);
    let attached = true;
    term.onData((d) => {
      if (attached && !this.destroyed) this.client.sendInput(d);
    });
    if (term.rows && term.cols) this.client.resize(term.rows, term.cols);
    fit?.();
    return {
      resize: (rows, cols) => this.client.resize(rows, cols),
      input: (d) => this.client.sendInput(d),
      detach: () => {
        attached = false;
        this.terminals.delete(sink);
        dispose();
      },
    };
  }

  // ---- commands ----
  async run(argv: string[], options: RunOptions = {}): Promise<number> {
    return (await this.runDetailed(argv, options)).status;
  }

  async runDetailed(argv: string[], o: RunOptions = {}): Promise<RunResult> {
    this.alive();
    if (!Array.isArray(argv) || !argv.length || argv.some((a) => typeof a !== 'string')) throw new TypeError('run: argv must be a non-empty array of strings');
    if (!argv[0].includes('/')) argv = [await this.which(argv[0], o.env), ...argv.slice(1)];
    const { id, result } = this.client.execWithId({
      argv,
      env: o.env,
      cwd: o.cwd,
      uid: o.uid,
      gid: o.gid,
      stdin: o.stdin,
      timeoutMs: o.timeoutMs,
      stream: !!o.onOutput,
    });
    this.commands.set(id, { onOutput: o.onOutput });
    try {
      const r = await result;
      return { status: statusOf(r), code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, ms: r.ms };
    } finally {
      this.commands.delete(id);
    }
  }

  /** A program name without a slash, looked up in the PATH of `env` (else the usual one). */
  private async which(name: string, env?: string[]): Promise<string> {
    const path = env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
    for (const dir of path.split(':').filter((d) => d.startsWith('/'))) {
      const st = await this.client.stat(`${dir}/${name}`).catch(() => null);
      if (st && st.type !== 'dir' && st.mode & 0o111) return `${dir}/${name}`;
    }
    throw new FsOpError('ENOENT', `${name}: command not found`);
  }

  // ---- events ----
  on<K extends keyof GlassboxEvents>(event: K, listener: (e: GlassboxEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    if ((event === 'process' || event === 'trace') && !this.traceReader && !this.destroyed) this.startTrace();
    return () => this.off(event, listener);
  }

  off<K extends keyof GlassboxEvents>(event: K, listener: (e: GlassboxEvents[K]) => void): void {
    this.listeners.get(event)?.delete(listener as Listener);
  }

  private emit<K extends keyof GlassboxEvents>(event: K, e: GlassboxEvents[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (e: GlassboxEvents[K]) => void)(e);
      } catch (err) {
        console.error(`glassbox: a '${event}' listener threw`, err);
      }
    }
  }

  /** The engine's trace records, polled every 50 ms once someone listens. */
  private startTrace(): void {
    const ring = allocateTraceRing(TRACE_CAPACITY);
    this.traceReader = new TraceRingReader(ring);
    this.client.post({ type: 'trace', ring });
    const out = { buf: new Uint8Array(0) };
    this.traceTimer = setInterval(() => {
      const n = this.traceReader!.read(out);
      for (let i = 0; i < n; i++) {
        const r = decodeRecord(out.buf.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE));
        this.emit('trace', r);
        if (r.kind === 'exec') this.emit('process', { type: 'start', pid: r.pid, argv: dec.decode(r.data).split('\0').filter(Boolean) });
        else if (r.kind === 'exit' && r.pid === r.tid) this.emit('process', { type: 'exit', pid: r.pid, status: r.ret });
      }
    }, 50) as unknown as number;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.traceTimer);
    this.client.terminate();
    this.terminals.clear();
    this.listeners.clear();
    this.commands.clear();
  }

  private alive(): void {
    if (this.destroyed) throw new FsOpError('ENOENGINE', 'this machine was destroyed');
  }
}

export const Glassbox = {
  version: __BUILD_ID__,
  async create(options: CreateOptions = {}): Promise<GlassboxVM> {
    if (typeof SharedArrayBuffer === 'undefined' || !globalThis.crossOriginIsolated) {
      throw new Error('Glassbox needs a cross-origin isolated page (COOP: same-origin, COEP: require-corp), e.g. through the site\'s sw.js (docs/api.md)');
    }
    const m = new Machine(options);
    try {
      await m.ready;
    } catch (e) {
      m.destroy();
      throw e;
    }
    return m;
  },
};

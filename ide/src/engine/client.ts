// The page side of the engine protocol: starts the engine worker, pumps terminal bytes,
// sends file-operation requests and resolves their results. See docs/ide.md.

import { ByteRing, waitChangeAsync } from './ring';
import type { ListeningPort, PreviewRequest } from './preview-protocol';
import {
  CTL_DOORBELL_PAGE,
  CTL_DOORBELL_WORKER,
  CTL_FS_PENDING,
  CTL_PROTOCOL,
  DirEntry,
  EngineConfig,
  ExecResult,
  ExecResultMessage,
  ExecSpec,
  FrameReader,
  FsRequest,
  FsResponseHeader,
  PROTOCOL_VERSION,
  PageToWorker,
  SharedBuffers,
  StatResult,
  WorkerToPage,
  allocateShared,
  encodeFrame,
  ringDoorbell,
  setWinsize,
} from './protocol';

export class FsOpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FsOpError';
  }
}

interface Pending {
  resolve: (v: { header: FsResponseHeader; payload: Uint8Array }) => void;
  reject: (e: Error) => void;
}

export interface EngineClientOptions {
  workerUrl: string;
  config: EngineConfig;
  /** Guest output. Return a promise to apply back-pressure (the next bytes wait for it). */
  onOutput: (bytes: Uint8Array) => void | Promise<void>;
  onMessage: (msg: WorkerToPage) => void;
  onWorkerError?: (message: string) => void;
  /** Streamed output of a command run with `stream` (the JavaScript API, web/lib/). */
  onExecOutput?: (id: number, stdout: string, stderr: string, pid: number) => void;
}

const enc = new TextEncoder();

export class EngineClient {
  readonly shared: SharedBuffers;
  private readonly control: Int32Array;
  private readonly termIn: ByteRing;
  private readonly termOut: ByteRing;
  private readonly fsReq: ByteRing;
  private readonly fsRespReader: FrameReader<FsResponseHeader>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextExec = 1;
  private readonly execs = new Map<number, { resolve: (r: ExecResult) => void; reject: (e: Error) => void }>();
  private worker: Worker | null = null;
  private stopped = false;
  private inputChain: Promise<void> = Promise.resolve();
  private requestChain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EngineClientOptions) {
    this.shared = allocateShared();
    this.control = new Int32Array(this.shared.control);
    Atomics.store(this.control, CTL_PROTOCOL, PROTOCOL_VERSION);
    this.termIn = new ByteRing(this.shared.termIn);
    this.termOut = new ByteRing(this.shared.termOut);
    this.fsReq = new ByteRing(this.shared.fsReq);
    this.fsRespReader = new FrameReader<FsResponseHeader>(new ByteRing(this.shared.fsResp));
  }

  start(): void {
    const w = new Worker(this.opts.workerUrl, { name: 'glassbox-engine' });
    this.worker = w;
    w.onmessage = (ev: MessageEvent<WorkerToPage>) => {
      const m = ev.data;
      if (m && m.type === 'exec-result') this.execDone(m);
      else if (m && m.type === 'ports-result') this.portsDone(m.id, m.ports);
      else if (m && m.type === 'exec-output') this.opts.onExecOutput?.(m.id, m.stdout, m.stderr, m.pid);
      else this.opts.onMessage(m);
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      this.opts.onWorkerError?.(ev.message || 'the engine worker failed to load');
    };
    setWinsize(this.control, this.opts.config.rows, this.opts.config.cols);
    w.postMessage({ type: 'init', protocol: PROTOCOL_VERSION, shared: this.shared, config: this.opts.config });
    void this.pump();
  }

  /** A message for the worker (test hooks, pruning old images' overlays). */
  post(msg: PageToWorker): void {
    this.worker?.postMessage(msg);
  }

  /** Stops the worker at once (Reset machine). Pending requests fail with ENOENGINE. */
  terminate(): void {
    this.stopped = true;
    this.worker?.terminate();
    this.worker = null;
    ringDoorbell(this.control, CTL_DOORBELL_PAGE); // wake the pump so it exits
    for (const p of this.pending.values()) p.reject(new FsOpError('ENOENGINE', 'the machine was stopped'));
    for (const p of this.execs.values()) p.reject(new FsOpError('ENOENGINE', 'the machine was stopped'));
    this.execs.clear();
    this.pending.clear();
  }

  // ---- terminal ----

  sendInput(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    this.inputChain = this.inputChain.then(() => this.writeRing(this.termIn, bytes));
  }

  resize(rows: number, cols: number): void {
    setWinsize(this.control, rows, cols);
  }

  // ---- commands beside the terminal's (lessons' checks; worker/exec.ts) ----

  /** Runs a command in a fresh process of the machine; rejects if it cannot start. */
  exec(spec: ExecSpec): Promise<ExecResult> {
    return this.execWithId(spec).result;
  }

  /** exec, with the id its streamed output ('exec-output', onExecOutput) carries. */
  execWithId(spec: ExecSpec): { id: number; result: Promise<ExecResult> } {
    const id = this.nextExec++;
    if (this.stopped || !this.worker) return { id, result: Promise.reject(new FsOpError('ENOENGINE', 'the machine is stopped')) };
    const result = new Promise<ExecResult>((resolve, reject) => {
      this.execs.set(id, { resolve, reject });
      this.worker!.postMessage({ type: 'exec', id, spec });
    });
    return { id, result };
  }

  // ---- the preview (docs/preview.md; worker/preview.ts) ----
  private nextPorts = 1;
  private readonly portWaits = new Map<number, (p: ListeningPort[]) => void>();

  /** The TCP ports programs in the machine listen on ([] when no machine runs). */
  listeningPorts(): Promise<ListeningPort[]> {
    if (this.stopped || !this.worker) return Promise.resolve([]);
    const id = this.nextPorts++;
    return new Promise((resolve) => {
      this.portWaits.set(id, resolve);
      this.worker!.postMessage({ type: 'ports', id });
    });
  }

  private portsDone(id: number, ports: ListeningPort[]): void {
    const w = this.portWaits.get(id);
    this.portWaits.delete(id);
    w?.(ports);
  }

  /** Hands an HTTP request from the service worker to the machine; the answer goes on `reply`. */
  http(req: PreviewRequest, reply: MessagePort): void {
    if (this.stopped || !this.worker) {
      reply.postMessage({ type: 'error', status: 503, code: 'ENOENGINE', message: 'the machine is not running' });
      reply.close();
      return;
    }
    this.worker.postMessage({ type: 'http', req, reply }, [reply]);
  }

  private execDone(m: ExecResultMessage): void {
    const p = this.execs.get(m.id);
    if (!p) return;
    this.execs.delete(m.id);
    if (m.result) p.resolve(m.result);
    else p.reject(new Error(m.error ?? 'the command failed to start'));
  }

  // ---- file operations ----

  async list(path: string): Promise<DirEntry[]> {
    return (await this.request({ op: 'list', path })).header.result as DirEntry[];
  }
  async stat(path: string): Promise<StatResult> {
    return (await this.request({ op: 'stat', path })).header.result as StatResult;
  }
  async read(path: string): Promise<Uint8Array> {
    return (await this.request({ op: 'read', path })).payload;
  }
  async write(path: string, data: Uint8Array | string, mode?: number): Promise<void> {
    await this.request({ op: 'write', path, mode }, typeof data === 'string' ? enc.encode(data) : data);
  }
  async mkdir(path: string, mode?: number): Promise<void> {
    await this.request({ op: 'mkdir', path, mode });
  }
  async delete(path: string, recursive = false): Promise<void> {
    await this.request({ op: 'delete', path, recursive });
  }
  async rename(path: string, to: string): Promise<void> {
    await this.request({ op: 'rename', path, to });
  }

  /** The inspector's state and control requests (docs/inspector.md, "Control"): the
   *  reply is tagged state sections (vm/trace/state.h). Served between engine slices,
   *  also while the machine is paused. */
  async inspect(req: object): Promise<Uint8Array> {
    return (await this.request({ op: 'inspect', path: '', req: JSON.stringify(req) })).payload;
  }

  private request(req: Omit<FsRequest, 'id'>, payload?: Uint8Array): Promise<{ header: FsResponseHeader; payload: Uint8Array }> {
    if (this.stopped) return Promise.reject(new FsOpError('ENOENGINE', 'the machine is stopped'));
    const id = this.nextId++;
    const frame = encodeFrame({ ...req, id }, payload);
    const result = new Promise<{ header: FsResponseHeader; payload: Uint8Array }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
    Atomics.add(this.control, CTL_FS_PENDING, 1);
    // Frames must not interleave: one writer at a time.
    this.requestChain = this.requestChain.then(() => this.writeRing(this.fsReq, frame));
    return result.then((r) => {
      if (!r.header.ok) {
        const e = r.header.error ?? { code: 'EIO', message: 'unknown error' };
        throw new FsOpError(e.code, e.message);
      }
      return r;
    });
  }

  /** Writes all bytes, ringing the worker's doorbell after each piece, awaiting space. */
  private async writeRing(ring: ByteRing, bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length && !this.stopped) {
      const n = ring.write(bytes, off);
      off += n;
      if (n > 0) ringDoorbell(this.control, CTL_DOORBELL_WORKER);
      if (off < bytes.length) await ring.waitWritableAsync(1, 1000);
    }
  }

  // ---- the pump: terminal output and file responses ----

  private async pump(): Promise<void> {
    while (!this.stopped) {
      const seen = Atomics.load(this.control, CTL_DOORBELL_PAGE);
      let busy = false;
      const out = this.termOut.readAvailable(256 * 1024);
      if (out.length) {
        busy = true;
        const p = this.opts.onOutput(out);
        if (p) await p;
      }
      for (const frame of this.fsRespReader.poll()) {
        busy = true;
        Atomics.sub(this.control, CTL_FS_PENDING, 1);
        const pend = this.pending.get(frame.header.id);
        if (pend) {
          this.pending.delete(frame.header.id);
          pend.resolve(frame);
        }
      }
      if (!busy) await waitChangeAsync(this.control, CTL_DOORBELL_PAGE, seen, 1000);
    }
  }
}

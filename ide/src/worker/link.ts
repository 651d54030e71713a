// The worker's side of the page <-> worker link: the shared memory handed over in the
// `init` message (control words and rings, ide/src/engine/protocol.ts) and the messages
// the worker posts (status, progress, prompt, overlay, storage, ...).
import { ByteRing } from '../engine/ring';
import {
  CTL_DOORBELL_PAGE,
  CTL_STATE,
  FrameReader,
  FsRequest,
  STATE_CODES,
  SharedBuffers,
  WorkerState,
  WorkerToPage,
  encodeFrame,
  ringDoorbell,
} from '../engine/protocol';

declare const self: DedicatedWorkerGlobalScope;

export class PageLink {
  readonly ctl: Int32Array;
  readonly termIn: ByteRing;
  readonly termOut: ByteRing;
  readonly fsResp: ByteRing;
  readonly fsReader: FrameReader<FsRequest>;
  /** Bytes fetched from the network (engine, manifest, chunks) and disk chunks, for the progress display. */
  bytesFetched = 0;
  chunksFetched = 0;
  promptSeen = false;

  constructor(shared: SharedBuffers) {
    this.ctl = new Int32Array(shared.control);
    this.termIn = new ByteRing(shared.termIn);
    this.termOut = new ByteRing(shared.termOut);
    this.fsReader = new FrameReader<FsRequest>(new ByteRing(shared.fsReq));
    this.fsResp = new ByteRing(shared.fsResp);
  }

  post(msg: WorkerToPage): void {
    self.postMessage(msg);
  }

  setState(state: WorkerState, message: string, detail?: string): void {
    Atomics.store(this.ctl, CTL_STATE, STATE_CODES[state]);
    this.post({ type: 'status', state, message, detail });
  }

  progress(phase: string, fraction?: number): void {
    this.post({ type: 'progress', phase, fraction, bytesFetched: this.bytesFetched });
  }

  log(level: 'info' | 'warn' | 'error', text: string): void {
    this.post({ type: 'log', level, text });
  }

  wakePage(): void {
    ringDoorbell(this.ctl, CTL_DOORBELL_PAGE);
  }

  /** Writes a response frame; the page drains fsResp concurrently, so any size gets through. */
  respond(header: object, payload?: Uint8Array): void {
    this.fsResp.writeAllBlocking(encodeFrame(header, payload));
    this.wakePage();
  }

  errorReply(id: number, code: string, message: string): void {
    this.respond({ id, ok: false, error: { code, message } });
  }
}

// The preview's requests (docs/preview.md): the worker's side of the 'http' message. For
// each request it opens a connection to the port on the machine's loopback (gb_port_open,
// web/engine/glassbox_web.cpp section 10), writes the request and half-closes, and reads
// and parses the response, posting it on the request's MessagePort as it comes. The run
// loop calls service() after every gb_run slice; nothing here waits: a connection that
// cannot move now is looked at again after the next slice, and each request has a time
// limit (PREVIEW_LIMITS: no response head in 30 s, or no byte for 60 s once it came).
// Flow control: at most a window (1 MiB) of body bytes are posted and not yet acknowledged by the
// service worker's reader; past that the worker stops reading, the guest's socket fills
// and the server's write blocks, as with a slow TCP client. A reader that goes away
// ('cancel') closes the connection.
import type { ListeningPort, PreviewAck, PreviewReply, PreviewRequest } from '../engine/preview-protocol';
import { EngineModule, errnoName } from './engine-module';
import { ResponseParser, buildRequest } from './http';

const READ_BUF = 64 * 1024;
/** At most this many requests open at once (the engine allows 64 connections). */
const MAX_OPEN = 32;
/** Linux's EAGAIN: gb_port_read's "nothing yet". */
const EAGAIN = 11;

export interface PreviewLimits {
  /** No response head this long after the request: 504. */
  headTimeoutMs: number;
  /** No byte moved this long once the head came: the stream is broken off. */
  idleTimeoutMs: number;
  /** Body bytes posted and not yet acknowledged by the reader. */
  window: number;
}
export const PREVIEW_LIMITS: PreviewLimits = { headTimeoutMs: 30_000, idleTimeoutMs: 60_000, window: 1 << 20 };

interface Conn {
  handle: number;
  reply: MessagePort;
  out: Uint8Array; // request bytes not yet taken by the guest
  parser: ResponseParser;
  headSeen: boolean;
  lastMove: number;
  started: number;
  unacked: number;
  cancelled: boolean;
}

export class PreviewService {
  private readonly conns: Conn[] = [];
  private buf = 0;
  private readonly dec = new TextDecoder();

  /** `wake` rings the run loop's doorbell (an acknowledgement may let a stalled response go on). */
  constructor(
    private readonly E: EngineModule,
    private readonly wake: () => void = () => {},
    private readonly limits: PreviewLimits = PREVIEW_LIMITS,
  ) {}

  get busy(): boolean {
    return this.conns.length > 0;
  }

  /** The engine has the gb_port_* exports. */
  get available(): boolean {
    return typeof this.E._gb_port_open === 'function';
  }

  nextDeadlineMs(now: number): number {
    if (!this.conns.length) return -1;
    return Math.max(0, Math.min(...this.conns.map((c) => (c.headSeen ? c.lastMove + this.limits.idleTimeoutMs : c.started + this.limits.headTimeoutMs))) - now);
  }

  ports(): ListeningPort[] {
    const E = this.E;
    if (!E._gb_ports_list || !E._gb_ports_reply) return [];
    const n = E._gb_ports_list();
    const p = E._gb_ports_reply();
    return JSON.parse(this.dec.decode(E.HEAPU8.subarray(p, p + n))) as ListeningPort[];
  }

  start(req: PreviewRequest, reply: MessagePort): void {
    const E = this.E;
    const fail = (status: number, code: string, message: string) => {
      reply.postMessage({ type: 'error', status, code, message } satisfies PreviewReply);
      reply.close();
    };
    if (!this.available) return fail(501, 'ENOSYS', 'this engine cannot open connections to its servers (gb_port_open is missing)');
    if (this.conns.length >= MAX_OPEN) return fail(503, 'EMFILE', 'too many preview requests at once');
    const h = E._gb_port_open!(req.port);
    if (h < 0) {
      const code = errnoName(E, h);
      return fail(502, code, code === 'ECONNREFUSED' ? `nothing listens on port ${req.port} in the machine` : `cannot connect to port ${req.port}: ${code}`);
    }
    const now = performance.now();
    const c: Conn = {
      handle: h,
      reply,
      out: buildRequest(req),
      headSeen: false,
      lastMove: now,
      started: now,
      unacked: 0,
      cancelled: false,
      parser: new ResponseParser(
        {
          head: (hd) => {
            c.headSeen = true;
            reply.postMessage({ type: 'head', ...hd } satisfies PreviewReply);
          },
          body: (chunk) => {
            c.unacked += chunk.length;
            reply.postMessage({ type: 'body', chunk } satisfies PreviewReply, [chunk.buffer]);
          },
          end: () => reply.postMessage({ type: 'end' } satisfies PreviewReply),
          error: (message) => reply.postMessage({ type: 'error', status: 502, code: 'EPROTO', message } satisfies PreviewReply),
        },
        req.method.toUpperCase() === 'HEAD',
      ),
    };
    reply.onmessage = (ev: MessageEvent<PreviewAck>) => {
      const m = ev.data;
      if (m?.type === 'ack') {
        c.unacked = Math.max(0, c.unacked - m.bytes);
        c.lastMove = performance.now();
      } else if (m?.type === 'cancel') c.cancelled = true;
      this.wake();
    };
    this.conns.push(c);
  }

  /** Moves bytes on every connection; true if any moved (the guest may have work now). */
  service(): boolean {
    const E = this.E;
    if (!this.conns.length) return false;
    if (!this.buf) this.buf = E._malloc(READ_BUF);
    const now = performance.now();
    let moved = false;
    for (let i = 0; i < this.conns.length; ) {
      const c = this.conns[i];
      if (c.cancelled) {
        c.parser.abort();
        this.drop(i);
        moved = true;
        continue;
      }
      if (this.pump(c, now)) moved = true;
      const expired = c.headSeen ? now - c.lastMove > this.limits.idleTimeoutMs : now - c.started > this.limits.headTimeoutMs;
      if (!c.parser.done && expired) {
        c.reply.postMessage({ type: 'error', status: 504, code: 'ETIMEDOUT', message: c.headSeen ? 'the server stopped sending' : 'the server did not answer in time' } satisfies PreviewReply);
        c.parser.abort();
        this.drop(i);
        continue;
      }
      if (c.parser.done) {
        this.drop(i);
        continue;
      }
      i++;
    }
    return moved;
  }

  private pump(c: Conn, now: number): boolean {
    const E = this.E;
    let moved = false;
    if (c.out.length) {
      const len = Math.min(c.out.length, READ_BUF);
      E.HEAPU8.set(c.out.subarray(0, len), this.buf);
      const w = E._gb_port_write!(c.handle, this.buf, len);
      if (w < 0) {
        // The server closed before taking the whole request: what it sent may still be a
        // response (a 413, say), so read on.
        c.out = new Uint8Array(0);
      } else if (w > 0) {
        c.out = c.out.subarray(w);
        moved = true;
        c.lastMove = now;
      }
      if (!c.out.length) E._gb_port_shutdown!(c.handle);
    }
    while (c.unacked < this.limits.window) {
      const r = E._gb_port_read!(c.handle, this.buf, READ_BUF);
      if (r > 0) {
        moved = true;
        c.lastMove = now;
        c.parser.push(E.HEAPU8.slice(this.buf, this.buf + r));
        if (c.parser.done) break;
        continue;
      }
      if (r !== -EAGAIN) {
        if (r < 0 && !c.parser.done && !c.headSeen) {
          c.reply.postMessage({ type: 'error', status: 502, code: errnoName(E, r), message: `the connection failed: ${errnoName(E, r)}` } satisfies PreviewReply);
          c.parser.abort();
        } else c.parser.close();
        moved = true;
      }
      break;
    }
    return moved;
  }

  private drop(i: number): void {
    const c = this.conns[i];
    this.E._gb_port_close!(c.handle);
    c.reply.close();
    this.conns.splice(i, 1);
  }
}

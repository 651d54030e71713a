// HTTP/1.1 for the preview (docs/preview.md), pure: the request bytes rebuilt from what
// the service worker saw, and an incremental response parser (status line, headers, then
// a body framed by Content-Length, chunked transfer coding, or the end of the connection).
// No engine, no DOM: node's tests run it directly (tests/e2e/unit.test.mjs).

import type { PreviewRequest } from '../engine/preview-protocol';

const enc = new TextEncoder();

/** Request headers that are the connection's business, not the server's. */
const DROP_REQUEST = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'content-length', 'accept-encoding', 'trailer']);

/** The bytes of `req` as sent to 127.0.0.1:port: one request, `Connection: close`, no
 *  compression (the service worker cannot hand gzip through undecoded). */
export function buildRequest(req: PreviewRequest): Uint8Array {
  const path = req.path && req.path.startsWith('/') ? req.path : `/${req.path ?? ''}`;
  const lines = [`${req.method} ${path} HTTP/1.1`, `Host: localhost:${req.port}`];
  for (const [k, v] of req.headers) {
    if (DROP_REQUEST.has(k.toLowerCase()) || /[\r\n]/.test(k + v)) continue;
    lines.push(`${k}: ${v}`);
  }
  const body = req.body ? new Uint8Array(req.body) : null;
  if (body && body.length) lines.push(`Content-Length: ${body.length}`);
  lines.push('Accept-Encoding: identity', 'Connection: close', '', '');
  const head = enc.encode(lines.join('\r\n'));
  if (!body || !body.length) return head;
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  return all;
}

export interface ResponseHead {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
}

export interface ParserEvents {
  head(h: ResponseHead): void;
  body(chunk: Uint8Array): void;
  end(): void;
  error(message: string): void;
}

const MAX_HEAD = 64 * 1024;
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade', 'proxy-connection']);

/** Feed it the response's bytes as they come, then `close()` at the end of the stream. */
export class ResponseParser {
  private state: 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'close' | 'done' | 'failed' = 'head';
  private buf: Uint8Array = new Uint8Array(0);
  private left = 0; // bytes of body (length) or of the current chunk
  private readonly dec = new TextDecoder('latin1');

  constructor(private readonly ev: ParserEvents, private readonly headRequest = false) {}

  get done(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  push(data: Uint8Array): void {
    if (this.done || !data.length) return;
    if (this.buf.length) {
      const b = new Uint8Array(this.buf.length + data.length);
      b.set(this.buf);
      b.set(data, this.buf.length);
      this.buf = b;
    } else this.buf = data;
    this.run();
  }

  /** The server closed its side. */
  close(): void {
    if (this.done) return;
    if (this.state === 'close') {
      this.state = 'done';
      this.ev.end();
    } else this.fail(this.state === 'head' ? 'the server closed the connection without a response' : 'the server closed the connection in the middle of the body');
  }

  /** Stops parsing without another event (the caller reported the failure). */
  abort(): void {
    this.state = 'failed';
  }

  private fail(message: string): void {
    this.state = 'failed';
    this.ev.error(message);
  }

  /** Index of the CRLF (or bare LF) ending a line at or after `from`, -1 if none yet. */
  private lineEnd(from = 0): number {
    return this.buf.indexOf(10, from);
  }

  private take(n: number): Uint8Array {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case 'head': {
          const end = findHeadEnd(this.buf);
          if (end < 0) {
            if (this.buf.length > MAX_HEAD) this.fail('the response head is larger than 64 KiB');
            return;
          }
          const text = this.dec.decode(this.take(end));
          if (!this.parseHead(text)) return;
          break;
        }
        case 'length': {
          if (!this.buf.length) return;
          const n = Math.min(this.left, this.buf.length);
          this.ev.body(this.take(n).slice());
          this.left -= n;
          if (this.left === 0) this.finish();
          break;
        }
        case 'close':
          if (!this.buf.length) return;
          this.ev.body(this.take(this.buf.length).slice());
          return;
        case 'chunk-size': {
          const e = this.lineEnd();
          if (e < 0) {
            if (this.buf.length > 1024) this.fail('a chunk-size line is too long');
            return;
          }
          const line = this.dec.decode(this.take(e + 1)).trim();
          const m = /^([0-9a-fA-F]+)\s*(;.*)?$/.exec(line);
          if (!m) return this.fail(`bad chunk size "${line.slice(0, 40)}"`);
          this.left = parseInt(m[1], 16);
          this.state = this.left === 0 ? 'trailer' : 'chunk-data';
          break;
        }
        case 'chunk-data': {
          if (!this.buf.length) return;
          const n = Math.min(this.left, this.buf.length);
          this.ev.body(this.take(n).slice());
          this.left -= n;
          if (this.left === 0) this.state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          const e = this.lineEnd();
          if (e < 0) return;
          this.take(e + 1);
          this.state = 'chunk-size';
          break;
        }
        case 'trailer': {
          const e = this.lineEnd();
          if (e < 0) return;
          const line = this.dec.decode(this.take(e + 1)).trim();
          if (line === '') this.finish(); // trailer fields are dropped
          break;
        }
        default:
          return;
      }
    }
  }

  private finish(): void {
    this.state = 'done';
    this.ev.end();
  }

  private parseHead(text: string): boolean {
    const lines = text.split(/\r?\n/);
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) {
      this.fail(`not an HTTP/1.x response: "${(lines[0] ?? '').slice(0, 60)}"`);
      return false;
    }
    const status = Number(m[1]);
    const headers: Array<[string, string]> = [];
    let length = -1;
    let chunked = false;
    for (const l of lines.slice(1)) {
      if (!l) continue;
      const c = l.indexOf(':');
      if (c <= 0) continue;
      const k = l.slice(0, c).trim();
      const v = l.slice(c + 1).trim();
      const lk = k.toLowerCase();
      if (lk === 'content-length') {
        if (!/^\d+$/.test(v) || (length >= 0 && Number(v) !== length)) {
          this.fail(`bad Content-Length "${v}"`);
          return false;
        }
        length = Number(v);
      }
      if (lk === 'transfer-encoding') chunked = v.toLowerCase().split(',').map((s) => s.trim()).pop() === 'chunked';
      if (HOP.has(lk)) continue;
      headers.push([k, v]);
    }
    if (status >= 100 && status < 200 && status !== 101) return true; // interim (100 Continue): the real head follows
    if (status === 101) {
      this.fail('the server switched protocols (WebSocket upgrades are not supported by the preview)');
      return false;
    }
    this.ev.head({ status, statusText: m[2] ?? '', headers: chunked ? headers.filter(([k]) => k.toLowerCase() !== 'content-length') : headers });
    if (this.headRequest || status === 204 || status === 304) this.finish();
    else if (chunked) this.state = 'chunk-size';
    else if (length >= 0) {
      this.left = length;
      if (length === 0) this.finish();
      else this.state = 'length';
    } else this.state = 'close';
    return true;
  }
}

/** Bytes up to and including the blank line that ends the head, or -1. */
function findHeadEnd(b: Uint8Array): number {
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) {
    if (b[i + 1] === 10) return i + 2;
    if (b[i + 1] === 13 && b[i + 2] === 10) return i + 3;
    if (i + 2 >= b.length) break;
  }
  return -1;
}

#!/usr/bin/env node
// The dev server: serves the built site (build/site) with the headers the IDE needs.
//
//   node web/server.mjs [--port N] [--host H] [--root DIR] [--log] [--gzip-cache BYTES]
//   PORT=N node web/server.mjs
//
// Every response: Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
// require-corp, Cross-Origin-Resource-Policy: same-origin (so the page is cross-origin
// isolated and may use SharedArrayBuffer). Also: MIME types (.wasm application/wasm,
// image chunks application/octet-stream), single Range requests as RFC 9110 says (206;
// 416 with `Content-Range: bytes */LEN` when no byte of the file is in the range, an empty
// file included; an invalid or multi-range header is ignored: 200 with the whole file),
// ETag and Last-Modified with 304s, HEAD, gzip of text files (compressed once, kept in an
// LRU cache bounded in bytes: --gzip-cache, default 64 MiB), long-lived caching of
// content-addressed files. A file that cannot be opened or read answers 403/404/500 (or,
// once the headers are out, the connection is cut); the server never dies of it.
// --port 0 picks a free port. Node's standard library only.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const port = Number(option('port', process.env.PORT ?? 8080));
const host = option('host', process.env.HOST ?? 'localhost');
const root = path.resolve(ROOT_DIR, option('root', 'build/site'));
const logRequests = process.argv.includes('--log');
const gzipCacheBytes = Number(option('gzip-cache', 64 * 1024 * 1024));

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.tar': 'application/x-tar',
  '.ext2': 'application/octet-stream',
};
const COMPRESSIBLE = /^(text\/|application\/(json|javascript)|image\/svg\+xml)/;

function contentType(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function isImmutable(rel) {
  return /^assets\/.+-[A-Z0-9]{8,}\.[a-z0-9]+$/i.test(rel) || /^image\/chunks\/[0-9a-f]{64}$/.test(rel);
}

/** Compressed bodies, least recently used first (a Map keeps insertion order), bounded in bytes. */
export class LruBytes {
  constructor(limit) {
    this.limit = limit;
    this.bytes = 0;
    this.map = new Map(); // key -> { tag, body }
  }
  get(key, tag) {
    const e = this.map.get(key);
    if (!e || e.tag !== tag) return undefined;
    this.map.delete(key);
    this.map.set(key, e); // most recently used
    return e.body;
  }
  set(key, tag, body) {
    this.delete(key);
    if (body.length > this.limit) return;
    this.map.set(key, { tag, body });
    this.bytes += body.length;
    for (const [k, e] of this.map) {
      if (this.bytes <= this.limit) break;
      this.map.delete(k);
      this.bytes -= e.body.length;
    }
  }
  delete(key) {
    const e = this.map.get(key);
    if (e) {
      this.map.delete(key);
      this.bytes -= e.body.length;
    }
  }
}
const gzCache = new LruBytes(gzipCacheBytes);

function baseHeaders() {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  };
}

function send(res, status, text, extra = {}) {
  const body = Buffer.from(text);
  res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * A `Range` header against a file of `size` bytes (RFC 9110, 14.1 and 15.5.17):
 *   'invalid'        not one syntactically valid bytes range (another unit, several
 *                    ranges, last-pos < first-pos, garbage): the header is ignored (200);
 *   'unsatisfiable'  no byte of the file is in it (first-pos >= size, a zero suffix, any
 *                    range of an empty file): 416 with Content-Range: bytes * /size;
 *   { start, end }   the bytes to send (inclusive), clamped to the file.
 */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] !== '' && m[2] !== '' && BigInt(m[2]) < BigInt(m[1])) return 'invalid';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

/** Opens a file for a response: the handle, or an error status to send. */
async function openForResponse(file) {
  try {
    return { fh: await fs.promises.open(file, 'r') };
  } catch (e) {
    return { status: e.code === 'ENOENT' ? 404 : e.code === 'EACCES' || e.code === 'EPERM' ? 403 : 500, error: e };
  }
}

/** Streams [start, end] of an open file into the response; a read error cuts the connection. */
function streamFile(res, fh, start, end) {
  const stream = fh.createReadStream({ start, end, autoClose: true });
  stream.on('error', (e) => {
    console.error(`server: reading ${res.req.url}: ${e.message}`);
    res.destroy(e);
  });
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  let url;
  try {
    url = new URL(req.url, 'http://localhost');
  } catch {
    return send(res, 400, 'bad request\n');
  }
  let rel;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return send(res, 400, 'bad path\n');
  }
  if (rel.includes('\0')) return send(res, 400, 'bad path\n');
  // Resolve lexically and stay inside the root (symlinks inside it, as --dev makes, are fine).
  const file0 = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (file0 !== root && !file0.startsWith(root + path.sep)) return send(res, 403, 'forbidden\n');
  let file = file0;
  let st;
  try {
    st = await fs.promises.stat(file);
    if (st.isDirectory()) {
      if (!url.pathname.endsWith('/')) return send(res, 301, 'moved\n', { Location: url.pathname + '/' + url.search });
      file = path.join(file, 'index.html');
      st = await fs.promises.stat(file);
    }
  } catch {
    return send(res, 404, `not found: ${url.pathname}\n`);
  }
  if (!st.isFile()) return send(res, 404, `not found: ${url.pathname}\n`);

  const relFile = path.relative(root, file).split(path.sep).join('/');
  const type = contentType(file);
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
  const headers = {
    ...baseHeaders(),
    'Content-Type': type,
    'Accept-Ranges': 'bytes',
    'Last-Modified': lastModified,
    'Cache-Control': isImmutable(relFile) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (relFile === 'sw.js') headers['Service-Worker-Allowed'] = '/';

  const gzip = COMPRESSIBLE.test(type) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && !req.headers.range && st.size > 1024;
  if (COMPRESSIBLE.test(type)) headers.Vary = 'Accept-Encoding';
  const tag = gzip ? etag.replace(/"$/, '-gz"') : etag;
  headers.ETag = tag;

  // Conditional requests
  const inm = req.headers['if-none-match'];
  if (inm ? inm.split(',').some((t) => t.trim().replace(/^W\//, '') === tag || t.trim() === '*') : false) {
    res.writeHead(304, headers);
    return res.end();
  }
  const ims = req.headers['if-modified-since'];
  if (!inm && ims && Date.parse(ims) >= Date.parse(lastModified)) {
    res.writeHead(304, headers);
    return res.end();
  }

  // Range (ignored when If-Range names another version)
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (range && (!ifRange || ifRange === etag || ifRange === lastModified)) {
    const r = parseRange(range, st.size);
    if (r === 'unsatisfiable') {
      return send(res, 416, 'range not satisfiable\n', { 'Content-Range': `bytes */${st.size}` });
    }
    if (r !== 'invalid') {
      const { fh, status, error } = req.method === 'HEAD' ? {} : await openForResponse(file);
      if (status) return send(res, status, `cannot read ${url.pathname}: ${error.code}\n`);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${r.start}-${r.end}/${st.size}`, 'Content-Length': r.end - r.start + 1 });
      if (req.method === 'HEAD') return res.end();
      return streamFile(res, fh, r.start, r.end);
    }
  }

  if (gzip) {
    let body = gzCache.get(file, etag);
    headers['X-Gzip-Cache'] = body ? 'hit' : 'miss';
    if (!body) {
      let raw;
      try {
        raw = await fs.promises.readFile(file);
      } catch (e) {
        return send(res, e.code === 'EACCES' || e.code === 'EPERM' ? 403 : e.code === 'ENOENT' ? 404 : 500, `cannot read ${url.pathname}: ${e.code}\n`);
      }
      body = zlib.gzipSync(raw, { level: 6 });
      gzCache.set(file, etag, body);
    }
    res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': body.length });
    return res.end(req.method === 'HEAD' ? undefined : body);
  }
  if (req.method === 'HEAD' || st.size === 0) {
    res.writeHead(200, { ...headers, 'Content-Length': st.size });
    return res.end();
  }
  const { fh, status, error } = await openForResponse(file);
  if (status) return send(res, status, `cannot read ${url.pathname}: ${error.code}\n`);
  res.writeHead(200, { ...headers, 'Content-Length': st.size });
  streamFile(res, fh, 0, st.size - 1);
}

const server = http.createServer((req, res) => {
  const t = Date.now();
  if (logRequests) {
    // body bytes sent (what the browser downloaded for this response; 0 for 304s and HEAD)
    let sent = 0;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const count = (chunk) => {
      if (chunk && typeof chunk !== 'function') sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    };
    res.write = (chunk, ...rest) => (count(chunk), write(chunk, ...rest));
    res.end = (chunk, ...rest) => (count(chunk), end(chunk, ...rest));
    res.on('finish', () => console.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - t}ms ${sent}B`));
  }
  handle(req, res).catch((e) => {
    console.error(e);
    if (!res.headersSent) send(res, 500, 'internal error\n');
    else res.destroy();
  });
});

if (!fs.existsSync(path.join(root, 'index.html'))) {
  console.error(`server: ${root}/index.html is missing; build the site first: node web/build.mjs`);
  process.exit(1);
}
server.listen(port, host, () => {
  const a = server.address();
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  console.log(`Glassbox IDE: http://${shown}:${a.port}/`);
  console.log(`(serving ${path.relative(process.cwd(), root) || '.'} with COOP/COEP; Ctrl-C stops)`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 500).unref();
  });
}

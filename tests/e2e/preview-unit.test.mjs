// The preview's HTTP pieces in node (ide/src/worker/http.ts): the request rebuilt for the
// server, and the response parser fed in every split (Content-Length, chunked, close-
// delimited, HEAD/204/304 without a body, an interim 100, malformed heads), checked
// against node's own http server for the request side; and the worker's service
// (ide/src/worker/preview.ts) over a scripted engine: streaming, ECONNREFUSED, a silent
// server bounded by the time limit, flow control (the window, acks), a reader that leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { importTs } from './lib/ts.mjs';

const { buildRequest, ResponseParser } = await importTs('ide/src/worker/http.ts');
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Parses `text` fed in pieces of `step` bytes; returns what the parser reported. */
function parse(text, step, { head = false, close = true } = {}) {
  const out = { head: null, body: '', ended: false, error: null };
  const p = new ResponseParser({
    head: (h) => (out.head = h),
    body: (c) => (out.body += dec.decode(c)),
    end: () => (out.ended = true),
    error: (m) => (out.error = m),
  }, head);
  const b = enc.encode(text);
  for (let i = 0; i < b.length; i += step) p.push(b.slice(i, i + step));
  if (close) p.close();
  return out;
}

test('responses: Content-Length, chunked, close-delimited, in every split', () => {
  for (const step of [1, 2, 3, 7, 1000]) {
    const a = parse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhelloEXTRA', step, { close: false });
    assert.equal(a.head.status, 200);
    assert.deepEqual(a.head.headers, [['Content-Type', 'text/plain'], ['Content-Length', '5']]);
    assert.equal(a.body, 'hello');
    assert.ok(a.ended);
    const c = parse('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n', step, { close: false });
    assert.equal(c.head.status, 201);
    assert.equal(c.head.headers.length, 0); // Transfer-Encoding is the connection's
    assert.equal(c.body, 'Wikipedia in \r\n\r\nchunks.');
    assert.ok(c.ended);
    const d = parse('HTTP/1.0 200 OK\nServer: x\n\nuntil the end', step);
    assert.equal(d.body, 'until the end');
    assert.ok(d.ended);
  }
});

test('responses without a body; interim 100; errors', () => {
  assert.ok(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 4, { head: true, close: false }).ended);
  assert.ok(parse('HTTP/1.1 304 Not Modified\r\n\r\n', 4, { close: false }).ended);
  const i = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 3, { close: false });
  assert.equal(i.head.status, 200);
  assert.equal(i.body, 'ok');
  assert.match(parse('SSH-2.0-OpenSSH\r\n\r\n', 5).error, /not an HTTP/);
  assert.match(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 5).error, /middle of the body/);
  assert.match(parse('', 1).error, /without a response/);
  assert.match(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 1).error, /bad chunk size/);
  assert.match(parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', 9).error, /WebSocket/);
});

test("requests: node's HTTP server reads the rebuilt request (method, path, headers, body)", async () => {
  let seen;
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body };
      res.end('ok');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port;
  const bytes = buildRequest({
    type: 'glassbox:port-request', port, method: 'POST', path: '/form?a=1&b=%20',
    headers: [['content-type', 'application/x-www-form-urlencoded'], ['accept-encoding', 'gzip'], ['x-bad', 'a\r\nInjected: 1'], ['host', 'evil'], ['connection', 'keep-alive']],
    body: enc.encode('name=x&v=é').buffer,
  });
  const reply = await new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(bytes));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  srv.close();
  assert.match(reply, /^HTTP\/1\.1 200 OK/);
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/form?a=1&b=%20');
  assert.equal(seen.body, 'name=x&v=é');
  assert.equal(seen.headers.host, `localhost:${port}`);
  assert.equal(seen.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(seen.headers['accept-encoding'], 'identity');
  assert.equal(seen.headers.connection, 'close');
  assert.equal(seen.headers.injected, undefined);
  assert.equal(seen.headers['x-bad'], undefined);
});

// ---- the worker's service (ide/src/worker/preview.ts) over a scripted engine ----
const { PreviewService } = await importTs('ide/src/worker/preview.ts');
const EAGAIN = 11, ECONNREFUSED = 111, EPIPE = 32;

/** The gb_port_* exports over scripted servers: `servers[port]` gets each connection's
 *  state { req, shut, resp: [chunks], closed, closedByHost } and fills `resp` itself. */
function fakeEngine(servers) {
  const heap = new Uint8Array(1 << 20);
  let top = 1024;
  const conns = new Map();
  let next = 1;
  const names = { [EAGAIN]: 'EAGAIN', [ECONNREFUSED]: 'ECONNREFUSED', [EPIPE]: 'EPIPE' };
  const E = {
    HEAPU8: heap,
    conns,
    _malloc: (n) => ((top += n + 16), top - n - 16),
    _free: () => {},
    _gb_errno_name: (e) => (names[e] ? e : 0),
    UTF8ToString: (p) => names[p],
    _gb_port_open(port) {
      if (!servers[port]) return -ECONNREFUSED;
      const c = { req: '', shut: false, resp: [], closed: false, closedByHost: false, room: 1 << 16, server: servers[port] };
      conns.set(next, c);
      return next++;
    },
    _gb_port_write(h, p, n) {
      const c = conns.get(h);
      if (c.closed) return -EPIPE;
      const k = Math.min(n, c.room);
      c.req += dec.decode(heap.subarray(p, p + k));
      c.room -= k;
      return k;
    },
    _gb_port_shutdown(h) {
      const c = conns.get(h);
      c.shut = true;
      c.server(c);
      return 0;
    },
    _gb_port_read(h, p, cap) {
      const c = conns.get(h);
      c.server(c);
      if (!c.resp.length) return c.closed ? 0 : -EAGAIN;
      const b = c.resp[0];
      const k = Math.min(cap, b.length);
      heap.set(b.subarray(0, k), p);
      if (k === b.length) c.resp.shift();
      else c.resp[0] = b.subarray(k);
      return k;
    },
    _gb_port_poll: () => 0,
    _gb_port_close(h) {
      conns.get(h).closedByHost = true;
      return 0;
    },
    _gb_ports_list: () => 0,
    _gb_ports_reply: () => 0,
  };
  return E;
}

/** Sends one request through `svc`; collects the replies on the port until `done`. */
function request(svc, port, path = '/') {
  const ch = new MessageChannel();
  const got = { head: null, body: 0, ended: false, error: null, port: ch.port1 };
  ch.port1.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'head') got.head = m;
    else if (m.type === 'body') got.body += m.chunk.byteLength;
    else if (m.type === 'end') got.ended = true;
    else if (m.type === 'error') got.error = m;
  };
  svc.start({ type: 'glassbox:port-request', port, method: 'GET', path, headers: [], body: null }, ch.port2);
  return got;
}
const tick = () => new Promise((r) => setTimeout(r, 5));

test('the worker service: a response streams; nothing listening; a silent server times out; a reader that stops reading stalls the server', async () => {
  const big = new Uint8Array(3 << 20);
  const servers = {
    8000: (c) => {
      if (c.shut && !c.answered) {
        c.answered = true;
        c.resp.push(enc.encode('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
      }
    },
    8001: () => {}, // accepts and never answers
    8002: (c) => {
      if (c.shut && !c.answered) {
        c.answered = true;
        c.resp.push(enc.encode(`HTTP/1.0 200 OK\r\n\r\n`), big); // close-delimited, 3 MiB
        c.closed = true;
      }
    },
  };
  const E = fakeEngine(servers);
  let wakes = 0;
  // the limits object is the service's own: the test shortens the time limit when it wants it hit
  const limits = { headTimeoutMs: 600_000, idleTimeoutMs: 600_000, window: 1 << 20 };
  const svc = new PreviewService(E, () => wakes++, limits);
  const ok = request(svc, 8000);
  const refused = request(svc, 9999);
  const silent = request(svc, 8001);
  for (let i = 0; i < 10; i++) {
    svc.service();
    await tick();
  }
  assert.equal(ok.head.status, 200);
  assert.equal(ok.body, 2);
  assert.ok(ok.ended);
  assert.match(E.conns.get(1).req, /^GET \/ HTTP\/1\.1\r\nHost: localhost:8000\r\n/);
  assert.equal(refused.error.status, 502);
  assert.equal(refused.error.code, 'ECONNREFUSED');
  assert.equal(silent.error, null);
  limits.headTimeoutMs = 1;
  await tick();
  svc.service();
  limits.headTimeoutMs = 600_000;
  await tick();
  assert.equal(silent.error.status, 504); // bounded: the host gives up and closes
  assert.ok(E.conns.get(2).closedByHost);
  assert.equal(svc.busy, false);

  // a reader that acknowledges nothing: reading stops at the window (1 MiB), the rest
  // stays with the server; acknowledging lets it go on; the whole body arrives
  const slow = request(svc, 8002);
  for (let i = 0; i < 5; i++) {
    svc.service();
    await tick();
  }
  const c = E.conns.get(3);
  const inFlight = slow.body;
  assert.ok(inFlight >= 1 << 20 && inFlight < (1 << 20) + 65536 * 2, `posted ${inFlight} bytes without an ack`);
  assert.ok(c.resp.length > 0, 'the rest waits at the server');
  wakes = 0;
  for (let i = 0; i < 20 && !slow.ended; i++) {
    slow.port.postMessage({ type: 'ack', bytes: slow.body });
    await tick();
    svc.service();
    await tick();
  }
  assert.ok(wakes > 0, 'an ack rings the run loop');
  assert.ok(slow.ended);
  assert.equal(slow.body, big.length);

  // a reader that goes away: the connection is closed
  servers[8001] = () => {};
  const gone = request(svc, 8001);
  svc.service();
  gone.port.postMessage({ type: 'cancel' });
  await tick();
  svc.service();
  assert.ok(E.conns.get(4).closedByHost);
  assert.equal(svc.busy, false);
  for (const g of [ok, refused, silent, slow, gone]) g.port.close();
});

// The preview's HTTP pieces in node (ide/src/worker/http.ts): the request rebuilt for the
// server, and the response parser fed in every split (Content-Length, chunked, close-
// delimited, HEAD/204/304 without a body, an interim 100, malformed heads), checked
// against node's own http server for the request side.
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

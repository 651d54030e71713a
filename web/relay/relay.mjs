#!/usr/bin/env node
// web/relay/relay.mjs — Glassbox's network relay: a Wisp v1.2 server (docs/networking.md)
// on the npm `ws` library. One WebSocket per machine carries its TCP and UDP streams.
//
//   node web/relay/relay.mjs [--port 8001] [--host 127.0.0.1] [--allow ADDR|CIDR|NAME]...
//        [--hosts FILE] [--token SECRET] [--max-streams 64] [--max-bytes 1G]
//        [--max-clients 200] [--connect-timeout 10000] [--idle-timeout 0]
//
// Prints "relay listening on ws://HOST:PORT/" once ready. Policy: policy.mjs (private,
// loopback, link-local and metadata addresses refused unless --allow'ed). --hosts FILE:
// "ADDRESS NAME..." lines (like /etc/hosts) that the relay's resolver answers first
// (the tests map names to 127.0.0.1 with it). Per client: at most --max-streams open
// streams (more: CLOSE 0x49 throttled), at most --max-bytes relayed both ways (then
// every stream is closed with 0x49 and new ones refused). --token: clients must connect
// to ws://HOST:PORT/?token=SECRET (401 otherwise).
//
// Beyond Wisp v1.2: a CONTINUE on a TCP stream as soon as its connect succeeded, so the
// client's connect() completes only then (a v1 client takes it as a credit update).
import http from "node:http";
import net from "node:net";
import dgram from "node:dgram";
import dns from "node:dns";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { Policy } from "./policy.mjs";

const T_CONNECT = 1, T_DATA = 2, T_CONTINUE = 3, T_CLOSE = 4;
const R = { voluntary: 0x02, network: 0x03, invalid: 0x41, unreachable: 0x42, timeout: 0x43, refused: 0x44,
  blocked: 0x48, throttled: 0x49 };
const BUFFER = 128;  // packets a stream may have in flight towards its destination

function frame(type, id, payload) {
  const b = Buffer.allocUnsafe(5 + payload.length);
  b[0] = type;
  b.writeUInt32LE(id, 1);
  payload.copy ? payload.copy(b, 5) : b.set(payload, 5);
  return b;
}
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };

function parseSize(s) {
  const m = /^(\d+)([KMG]?)$/i.exec(String(s));
  if (!m) throw new Error("bad size " + s);
  return Number(m[1]) * { "": 1, K: 1024, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase()];
}

export function parseArgs(argv) {
  const o = { port: 8001, host: "127.0.0.1", allow: [], hosts: null, token: null, maxStreams: 64,
    maxBytes: 1 << 30, maxClients: 200, connectTimeout: 10000, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => { if (i + 1 >= argv.length) throw new Error(a + " needs a value"); return argv[++i]; };
    if (a === "--port") o.port = Number(v());
    else if (a === "--host") o.host = v();
    else if (a === "--allow") o.allow.push(...v().split(","));
    else if (a === "--hosts") o.hosts = v();
    else if (a === "--token") o.token = v();
    else if (a === "--max-streams") o.maxStreams = Number(v());
    else if (a === "--max-bytes") o.maxBytes = parseSize(v());
    else if (a === "--max-clients") o.maxClients = Number(v());
    else if (a === "--connect-timeout") o.connectTimeout = Number(v());
    else if (a === "--quiet") o.quiet = true;
    else if (a === "--help" || a === "-h") { o.help = true; }
    else throw new Error("unknown option " + a);
  }
  return o;
}

function loadHosts(file) {
  const map = new Map();
  if (!file) return map;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const w = line.replace(/#.*/, "").trim().split(/\s+/).filter(Boolean);
    for (const name of w.slice(1)) map.set(name.toLowerCase(), w[0]);
  }
  return map;
}

export function startRelay(o) {
  const policy = new Policy(o.allow);
  const hosts = loadHosts(o.hosts);
  const log = o.quiet ? () => {} : (...a) => console.log(new Date().toISOString(), ...a);
  let clients = 0;

  async function resolve(host) {
    const h = host.toLowerCase();
    if (hosts.has(h)) return hosts.get(h);
    if (net.isIP(host)) return host;
    const r = await dns.promises.lookup(host, { verbatim: true });
    return r.address;
  }
  const errReason = (e) => {
    const c = e && e.code;
    if (c === "ECONNREFUSED") return R.refused;
    if (c === "ETIMEDOUT" || c === "ETIMEOUT") return R.timeout;
    if (c === "ENOTFOUND" || c === "EHOSTUNREACH" || c === "ENETUNREACH" || c === "EAI_AGAIN" || c === "ENODATA") return R.unreachable;
    return R.network;
  };

  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("Glassbox Wisp relay (docs/networking.md)\n");
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  server.on("upgrade", (req, sock, head) => {
    const url = new URL(req.url, "http://x");
    if (o.token && url.searchParams.get("token") !== o.token) {
      sock.end("HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n");
      return;
    }
    if (clients >= o.maxClients) {
      sock.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => serve(ws, req));
  });

  function serve(ws, req) {
    clients++;
    req.socket.setNoDelay(true);  // frames are small; Nagle would hold confirmations back
    const who = req.socket.remoteAddress + ":" + req.socket.remotePort;
    const streams = new Map();
    let bytes = 0, over = false, paused = false;
    log("client", who, "connected");
    const send = (b) => { if (ws.readyState === 1) ws.send(b); };
    const account = (n) => {
      bytes += n;
      if (!over && bytes > o.maxBytes) {
        over = true;
        log("client", who, "over --max-bytes: closing its streams");
        for (const id of [...streams.keys()]) end(id, R.throttled);
      }
    };
    // Backpressure towards the machine: pause every destination while the WebSocket's
    // send buffer is full, resume once it drained.
    const checkPressure = () => {
      if (!paused && ws.bufferedAmount > 4 << 20) {
        paused = true;
        for (const s of streams.values()) if (s.tcp) s.sock.pause();
        const t = setInterval(() => {
          if (ws.readyState !== 1 || ws.bufferedAmount < 1 << 20) {
            clearInterval(t);
            paused = false;
            for (const s of streams.values()) if (s.tcp) s.sock.resume();
          }
        }, 5);
      }
    };
    const end = (id, reason) => {
      const s = streams.get(id);
      if (!s) return;
      streams.delete(id);
      try { s.tcp ? s.sock.destroy() : s.sock.close(); } catch {}
      if (reason != null) send(frame(T_CLOSE, id, Buffer.from([reason])));
    };
    send(frame(T_CONTINUE, 0, u32(BUFFER)));

    async function open(id, type, port, host) {
      if (over || streams.size >= o.maxStreams) { send(frame(T_CLOSE, id, Buffer.from([R.throttled]))); return; }
      const s = { tcp: type === 1, sock: null, pending: 0, written: 0, queue: [] };
      streams.set(id, s);
      let ip;
      try { ip = await resolve(host); } catch (e) { if (streams.get(id) === s) end(id, R.unreachable); return; }
      if (streams.get(id) !== s) return;  // closed meanwhile
      const why = policy.check(host, ip);
      if (why) { log("client", who, "blocked", host + ":" + port, "(" + why + ")"); end(id, R.blocked); return; }
      if (!s.tcp) {
        const u = dgram.createSocket(net.isIPv6(ip) ? "udp6" : "udp4");
        s.sock = u;
        u.on("message", (m) => { account(m.length); send(frame(T_DATA, id, m)); });
        u.on("error", (e) => end(id, errReason(e)));
        u.connect(port, ip, () => { for (const q of s.queue) u.send(q); s.queue = null; });
        return;
      }
      const c = net.connect({ host: ip, port, noDelay: true });
      s.sock = c;
      const timer = setTimeout(() => end(id, R.timeout), o.connectTimeout);
      c.on("connect", () => {
        clearTimeout(timer);
        send(frame(T_CONTINUE, id, u32(BUFFER)));  // the stream is open (see the header)
        for (const q of s.queue) write(id, s, q);
        s.queue = null;
        if (paused) c.pause();
      });
      c.on("data", (d) => { account(d.length); send(frame(T_DATA, id, d)); checkPressure(); });
      c.on("end", () => end(id, R.voluntary));
      c.on("close", () => end(id, R.voluntary));
      c.on("error", (e) => { clearTimeout(timer); end(id, errReason(e)); });
    }
    function write(id, s, d) {
      s.pending++;
      s.sock.write(d, () => {
        s.pending--;
        if (++s.written % (BUFFER / 2) === 0 && streams.get(id) === s) send(frame(T_CONTINUE, id, u32(BUFFER - s.pending)));
      });
    }

    ws.on("message", (m, isBinary) => {
      if (!isBinary || m.length < 5) return;
      const type = m[0], id = m.readUInt32LE(1), p = m.subarray(5);
      if (type === T_CONNECT) {
        if (p.length < 3 || id === 0 || streams.has(id)) { send(frame(T_CLOSE, id, Buffer.from([R.invalid]))); return; }
        open(id, p[0], p.readUInt16LE(1), p.subarray(3).toString("utf8").trim());
      } else if (type === T_DATA) {
        const s = streams.get(id);
        if (!s) return;
        account(p.length);
        const d = Buffer.from(p);
        if (s.queue) { if (s.queue.length > BUFFER) { end(id, R.throttled); return; } s.queue.push(d); return; }
        if (s.tcp) {
          if (s.pending > BUFFER * 2) { end(id, R.throttled); return; }  // the client ignored its credit
          write(id, s, d);
        } else s.sock.send(d);
      } else if (type === T_CLOSE) {
        end(id, null);
      }
    });
    ws.on("close", () => {
      clients--;
      for (const id of [...streams.keys()]) end(id, null);
      log("client", who, "gone,", bytes, "bytes relayed");
    });
    ws.on("error", () => {});
  }

  return new Promise((res, rej) => {
    server.once("error", rej);
    server.listen(o.port, o.host, () => {
      const a = server.address();
      res({ server, wss, port: a.port, close: () => { for (const c of wss.clients) c.terminate(); server.close(); } });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error("relay: " + e.message); process.exit(2); }
  if (o.help) {
    console.log(fs.readFileSync(new URL(import.meta.url)).toString().split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
    process.exit(0);
  }
  startRelay(o).then((r) => {
    const h = o.host.includes(":") ? `[${o.host}]` : o.host;
    console.log(`relay listening on ws://${h}:${r.port}/`);
  }, (e) => { console.error("relay: " + e.message); process.exit(1); });
}

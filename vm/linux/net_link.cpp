// vm/linux/net_link.cpp — WispLink implementations (net_out.h): the one WebSocket to the
// relay that carries whole Wisp frames.
//
//   * Native: a small RFC 6455 client on a POSIX socket (ws:// only: TLS natively would
//     need a TLS library in the engine; run a local relay or use the node/browser build).
//     Binary messages in and out, client frames masked, ping answered, no extensions.
//     It reads from the socket only while fewer than kInCap bytes wait to be taken, so a
//     guest that does not read slows the relay down through TCP (see NetOut::deliver).
//   * Emscripten: the JavaScript side owns the WebSocket. The page (the IDE's worker)
//     may provide Module.glassboxNet = { open(url), send(u8), recv() -> u8|null,
//     state() -> 0 connecting / 1 up / 2 down }; in node a worker_thread owns a `ws`
//     WebSocket and hands frames over a MessagePort, the engine waiting with
//     Atomics.wait on a SharedArrayBuffer when every guest task waits on the network.
#include <cstring>
#include <deque>
#include <string>

#include "vm/linux/entropy.h"
#include "vm/linux/net_out.h"

#ifndef __EMSCRIPTEN__
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

namespace gb {

namespace {
struct Url {
  bool tls = false;
  std::string host, port, path;
};
bool parse_url(const std::string& u, Url& out, std::string* err) {
  size_t p;
  if (u.compare(0, 5, "ws://") == 0) { out.tls = false; p = 5; }
  else if (u.compare(0, 6, "wss://") == 0) { out.tls = true; p = 6; }
  else { *err = "relay URL must start with ws:// or wss://: " + u; return false; }
  const size_t slash = u.find('/', p);
  std::string hp = u.substr(p, slash == std::string::npos ? std::string::npos : slash - p);
  out.path = slash == std::string::npos ? "/" : u.substr(slash);
  if (!hp.empty() && hp[0] == '[') {
    const size_t e = hp.find(']');
    out.host = hp.substr(1, e - 1);
    out.port = e + 1 < hp.size() && hp[e + 1] == ':' ? hp.substr(e + 2) : "";
  } else {
    const size_t c = hp.rfind(':');
    out.host = hp.substr(0, c);
    out.port = c == std::string::npos ? "" : hp.substr(c + 1);
  }
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  if (out.host.empty()) { *err = "relay URL has no host: " + u; return false; }
  return true;
}
}  // namespace

#ifndef __EMSCRIPTEN__
// ---------------------------------------------------------------- native
namespace {
class WsLink : public WispLink {
 public:
  static constexpr size_t kInCap = 4 << 20;

  bool open(const Url& u, const std::string& url, std::string* err) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res) != 0 || !res) { *err = "cannot resolve " + u.host; return false; }
    for (addrinfo* a = res; a && fd_ < 0; a = a->ai_next) {
      int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (s < 0) continue;
      if (::connect(s, a->ai_addr, a->ai_addrlen) == 0) fd_ = s;
      else ::close(s);
    }
    freeaddrinfo(res);
    if (fd_ < 0) { *err = "cannot connect to the relay at " + url; state_ = Down; return true; }
    uint8_t key[16];
    fill_random(key, sizeof key);
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string k64;
    for (int i = 0; i < 16; i += 3) {
      const uint32_t v = key[i] << 16 | (i + 1 < 16 ? key[i + 1] << 8 : 0) | (i + 2 < 16 ? key[i + 2] : 0);
      k64 += b64[(v >> 18) & 63];
      k64 += b64[(v >> 12) & 63];
      k64 += i + 1 < 16 ? b64[(v >> 6) & 63] : '=';
      k64 += i + 2 < 16 ? b64[v & 63] : '=';
    }
    out_ = "GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + k64 +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // frames are small and latency matters
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    state_ = Connecting;
    return true;
  }
  ~WsLink() override { if (fd_ >= 0) ::close(fd_); }

  State state() override { return state_; }
  int fd() override { return state_ == Down ? -1 : fd_; }
  std::string error() override { return err_; }

  void send(std::vector<uint8_t> f) override {
    if (state_ == Down) return;
    std::string& o = state_ == Up ? out_ : pending_;
    uint8_t h[14];
    size_t hl = 0;
    h[hl++] = 0x82;  // FIN, binary
    const size_t n = f.size();
    if (n < 126) h[hl++] = (uint8_t)(0x80 | n);
    else if (n < 65536) { h[hl++] = 0x80 | 126; h[hl++] = (uint8_t)(n >> 8); h[hl++] = (uint8_t)n; }
    else { h[hl++] = 0x80 | 127; for (int i = 7; i >= 0; i--) h[hl++] = (uint8_t)((uint64_t)n >> (8 * i)); }
    const uint8_t mask[4] = {(uint8_t)(seed_ >> 24), (uint8_t)(seed_ >> 16), (uint8_t)(seed_ >> 8), (uint8_t)seed_};
    seed_ = seed_ * 1103515245u + 12345u;
    memcpy(h + hl, mask, 4);
    hl += 4;
    o.append((const char*)h, hl);
    for (size_t i = 0; i < n; i++) f[i] ^= mask[i & 3];
    o.append((const char*)f.data(), n);
  }

  bool recv(std::vector<uint8_t>& frame) override {
    io();
    if (frames_.empty()) return false;
    frame = std::move(frames_.front());
    frames_.pop_front();
    in_frames_bytes_ -= frame.size();
    return true;
  }

  void wait(int timeout_ms) override {
    io();
    if (state_ == Down || !frames_.empty() || timeout_ms == 0) return;
    pollfd p{fd_, (short)(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0};
    ::poll(&p, 1, timeout_ms);
    io();
  }

 private:
  void fail(const std::string& e) {
    if (err_.empty()) err_ = e;
    state_ = Down;
  }
  void io() {
    if (state_ == Down) return;
    while (!out_.empty()) {
      const ssize_t w = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (w > 0) { out_.erase(0, (size_t)w); continue; }
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
      return fail("relay connection lost (write)");
    }
    char buf[65536];
    while (in_.size() + in_frames_bytes_ < kInCap) {
      const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r > 0) { in_.append(buf, (size_t)r); continue; }
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
      parse();
      return fail("relay closed the connection");
    }
    parse();
  }
  void parse() {
    if (state_ == Connecting) {
      const size_t e = in_.find("\r\n\r\n");
      if (e == std::string::npos) return;
      if (in_.compare(0, 12, "HTTP/1.1 101") != 0) return fail("relay refused the WebSocket: " + in_.substr(0, in_.find('\r')));
      in_.erase(0, e + 4);
      state_ = Up;
      out_ += pending_;
      pending_.clear();
    }
    for (;;) {
      if (in_.size() < 2) return;
      const uint8_t* p = (const uint8_t*)in_.data();
      const int op = p[0] & 0x0f;
      const bool fin = p[0] & 0x80, masked = p[1] & 0x80;
      uint64_t n = p[1] & 0x7f;
      size_t hl = 2;
      if (n == 126) { if (in_.size() < 4) return; n = (uint64_t)p[2] << 8 | p[3]; hl = 4; }
      else if (n == 127) { if (in_.size() < 10) return; n = 0; for (int i = 0; i < 8; i++) n = n << 8 | p[2 + i]; hl = 10; }
      if (n > (64u << 20)) return fail("relay sent a message over 64 MiB");
      const size_t mk = hl;
      if (masked) hl += 4;
      if (in_.size() < hl + n) return;
      std::vector<uint8_t> body(p + hl, p + hl + n);
      if (masked) for (size_t i = 0; i < n; i++) body[i] ^= p[mk + (i & 3)];
      in_.erase(0, hl + n);
      if (op == 0x8) return fail("relay closed the WebSocket");
      if (op == 0x9) {  // ping: pong with the same body
        std::vector<uint8_t> b = body;
        send(std::move(b));
        out_[out_.size() - body.size() - (body.size() < 126 ? 6 : 8)] = (char)0x8a;
        continue;
      }
      if (op == 0xa) continue;
      if (op == 0x2 || op == 0x1) frag_ = std::move(body);
      else if (op == 0x0) frag_.insert(frag_.end(), body.begin(), body.end());
      if (fin && (op == 0x2 || op == 0x0)) {
        in_frames_bytes_ += frag_.size();
        frames_.push_back(std::move(frag_));
        frag_.clear();
      }
    }
  }

  int fd_ = -1;
  State state_ = Connecting;
  std::string out_, pending_, in_, err_;
  std::vector<uint8_t> frag_;
  std::deque<std::vector<uint8_t>> frames_;
  size_t in_frames_bytes_ = 0;
  uint32_t seed_ = 0x9e3779b9;
};
}  // namespace

std::unique_ptr<WispLink> make_wisp_link(const std::string& url, std::string* err) {
  Url u;
  if (!parse_url(url, u, err)) return nullptr;
  if (u.tls) { *err = "the native engine speaks ws:// only (wss:// needs the node or browser build)"; return nullptr; }
  auto l = std::make_unique<WsLink>();
  if (!l->open(u, url, err)) return nullptr;
  return l;
}

#else
// ---------------------------------------------------------------- Emscripten
// EM_JS bodies are stringified by the preprocessor: no "//" comments, no apostrophes.
EM_JS(int, gb_js_net_open, (const char* url_c), {
  var url = UTF8ToString(url_c);
  var g = Module.__gbNet = { frames: [], head: 0, state: 0 };
  if (Module.glassboxNet) { try { Module.glassboxNet.open(url); } catch (e) { g.state = 2; } return 0; }
  if (!(typeof process === "object" && process.versions && process.versions.node)) { g.state = 2; return -1; }
  try {
    var wt = require("worker_threads");
    var path = require("path");
    var wsPath = process.env.GLASSBOX_WS_MODULE || "";
    if (!wsPath) {
      var tries = [process.cwd(), __dirname, path.join(__dirname, ".."), path.join(__dirname, "..", "..")];
      for (var i = 0; i < tries.length && !wsPath; i++) {
        try { wsPath = require.resolve("ws", { paths: [tries[i]] }); } catch (e) {}
      }
    }
    if (!wsPath) { g.state = 2; g.error = "npm package ws not found (set GLASSBOX_WS_MODULE)"; return -1; }
    var ch = new wt.MessageChannel();
    var sab = new SharedArrayBuffer(12);
    g.ctl = new Int32Array(sab);
    var main = function () {
      var wt = require("worker_threads");
      var d = wt.workerData, port = d.port, ctl = new Int32Array(d.sab);
      var WebSocket = require(d.wsPath);
      var kick = function () { Atomics.add(ctl, 0, 1); Atomics.notify(ctl, 0); };
      var ws = new WebSocket(d.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      var queued = [], paused = false;
      ws.binaryType = "nodebuffer";
      ws.on("open", function () { Atomics.store(ctl, 1, 1); for (var q of queued) ws.send(q); queued = []; kick(); });
      ws.on("message", function (m) {
        var u = new Uint8Array(m.buffer, m.byteOffset, m.length);
        Atomics.add(ctl, 2, u.length);
        port.postMessage(u);
        if (!paused && Atomics.load(ctl, 2) > 8 * 1024 * 1024 && ws._socket) { paused = true; ws._socket.pause(); }
        kick();
      });
      var down = function () { Atomics.store(ctl, 1, 2); kick(); setTimeout(function () { process.exit(0); }, 10); };
      ws.on("close", down);
      ws.on("error", down);
      port.on("message", function (f) {
        if (f === "resume") { if (paused && ws._socket) { paused = false; ws._socket.resume(); } return; }
        if (ws.readyState === 1) ws.send(f); else queued.push(f);
      });
    };
    var w = new wt.Worker("(" + main.toString() + ")()",
      { eval: true, workerData: { port: ch.port2, sab: sab, url: url, wsPath: wsPath }, transferList: [ch.port2] });
    w.unref();
    ch.port1.unref();
    g.wt = wt; g.port = ch.port1; g.seen = 0;
  } catch (e) { g.state = 2; g.error = String(e); return -1; }
  return 0;
});
EM_JS(int, gb_js_net_state, (), {
  var g = Module.__gbNet;
  if (!g) return 2;
  if (Module.glassboxNet) { try { return Module.glassboxNet.state(); } catch (e) { return 2; } }
  if (g.ctl) return Atomics.load(g.ctl, 1);
  return g.state;
});
EM_JS(void, gb_js_net_send, (const uint8_t* p, int n), {
  var g = Module.__gbNet;
  if (!g) return;
  var c = HEAPU8.slice(p, p + n);
  if (Module.glassboxNet) { Module.glassboxNet.send(c); return; }
  if (g.port) g.port.postMessage(c);
});
EM_JS(int, gb_js_net_next, (), {
  var g = Module.__gbNet;
  if (!g) return -1;
  if (g.cur) return g.cur.length;
  var m = null;
  if (Module.glassboxNet) { m = Module.glassboxNet.recv(); }
  else if (g.port) {
    var r = g.wt.receiveMessageOnPort(g.port);
    if (r) {
      m = r.message;
      if (Atomics.sub(g.ctl, 2, m.length) - m.length < 1024 * 1024) g.port.postMessage("resume");
    }
  }
  if (!m) return -1;
  g.cur = m;
  return m.length;
});
EM_JS(void, gb_js_net_take, (uint8_t* dst), {
  var g = Module.__gbNet;
  HEAPU8.set(g.cur, dst);
  g.cur = null;
});
EM_JS(void, gb_js_net_wait, (int timeout_ms), {
  var g = Module.__gbNet;
  if (!g || !g.ctl || timeout_ms <= 0) return;
  var seen = Atomics.load(g.ctl, 0);
  if (seen !== g.seen) { g.seen = seen; return; }
  Atomics.wait(g.ctl, 0, seen, timeout_ms);
  g.seen = Atomics.load(g.ctl, 0);
});

// The reason gb_js_net_open failed (empty if none), into buf.
EM_JS(void, gb_js_net_error, (char* buf, int cap), {
  var g = Module.__gbNet;
  stringToUTF8(g && g.error ? String(g.error) : "", buf, cap);
});

namespace {
class JsLink : public WispLink {
 public:
  State state() override {
    const int s = gb_js_net_state();
    return s == 1 ? Up : s == 0 ? Connecting : Down;
  }
  void send(std::vector<uint8_t> f) override { gb_js_net_send(f.data(), (int)f.size()); }
  bool recv(std::vector<uint8_t>& frame) override {
    const int n = gb_js_net_next();
    if (n < 0) return false;
    frame.resize((size_t)n);
    gb_js_net_take(frame.data());
    return true;
  }
  void wait(int timeout_ms) override { gb_js_net_wait(timeout_ms); }
};
}  // namespace

std::unique_ptr<WispLink> make_wisp_link(const std::string& url, std::string* err) {
  Url u;
  if (!parse_url(url, u, err)) return nullptr;
  if (gb_js_net_open(url.c_str()) < 0) {
    char b[256];
    gb_js_net_error(b, (int)sizeof b);
    *err = b[0] ? b : "no WebSocket in this host";
    return nullptr;
  }
  return std::make_unique<JsLink>();
}
#endif

}  // namespace gb

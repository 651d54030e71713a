// vm/fs/chunked.cpp — see chunked.h.
#include "vm/fs/chunked.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/fs/chunked_sha256.h"
#include "vm/fs/inflate.h"
#include "vm/fs/json.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#endif

namespace gb::fs {

namespace {
constexpr size_t kDefaultMaxBytes = 64u << 20;

[[maybe_unused]] int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.size() > 4096) return false;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string seg = p.substr(i, j - i);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg)
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    i = j + 1;
  }
  return true;
}
}  // namespace

int Fetcher::fetch_one(const std::string& name, std::vector<uint8_t>* out, size_t max_bytes, std::string* err) {
  FetchRequest r;
  r.name = name;
  r.max_bytes = max_bytes;
  fetch({&r});
  if (r.result == 0) *out = std::move(r.data);
  else if (err) *err = r.error.empty() ? name + ": " + errno_message(-r.result) : r.error;
  return r.result;
}

// ---------------------------------------------------------------- DirFetcher

void DirFetcher::fetch(const std::vector<FetchRequest*>& reqs) {
  for (FetchRequest* r : reqs) {
    r->data.clear();
    size_t maxb = r->max_bytes ? r->max_bytes : kDefaultMaxBytes;
    std::string path = dir_ + "/" + r->name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      r->result = neg_host_errno();
      r->error = path + ": " + std::strerror(errno);
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || uint64_t(st.st_size) > maxb) {
      ::close(fd);
      r->result = -LX_EIO;
      r->error = path + ": not a regular file of at most " + std::to_string(maxb) + " bytes";
      continue;
    }
    r->data.resize(size_t(st.st_size));
    size_t done = 0;
    int rc = 0;
    while (done < r->data.size()) {
      ssize_t n = ::read(fd, r->data.data() + done, r->data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        rc = -LX_EIO;
        break;
      }
      done += size_t(n);
    }
    ::close(fd);
    r->result = rc;
    if (rc) {
      r->data.clear();
      r->error = path + ": short read";
    }
  }
}

// ---------------------------------------------------------------- MemoryFetcher

void MemoryFetcher::fetch(const std::vector<FetchRequest*>& reqs) {
  for (FetchRequest* r : reqs) {
    requests_++;
    r->data.clear();
    if (fail_ > 0) {
      fail_--;
      r->result = -LX_EIO;
      r->error = r->name + ": injected failure";
      continue;
    }
    auto it = files_.find(r->name);
    if (it == files_.end()) {
      r->result = -LX_ENOENT;
      r->error = r->name + ": not found";
      continue;
    }
    size_t maxb = r->max_bytes ? r->max_bytes : kDefaultMaxBytes;
    if (it->second.size() > maxb) {
      r->result = -LX_EIO;
      r->error = r->name + ": too large";
      continue;
    }
    r->data = it->second;
    if (corrupt_ > 0 && !r->data.empty()) {
      corrupt_--;
      r->data[r->data.size() / 2] ^= 0x5A;
    }
    r->result = 0;
  }
}

// ---------------------------------------------------------------- HttpFetcher

HttpFetcher::~HttpFetcher() { disconnect(); }

int HttpFetcher::create(const std::string& base_url, std::unique_ptr<HttpFetcher>* out, std::string* err) {
  const std::string pfx = "http://";
  if (base_url.compare(0, pfx.size(), pfx) != 0) {
    if (err) *err = base_url + ": only http:// URLs are supported";
    return -LX_EINVAL;
  }
  std::string rest = base_url.substr(pfx.size());
  size_t slash = rest.find('/');
  std::string hostport = slash == std::string::npos ? rest : rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (path.empty() || path.back() != '/') path += '/';
  std::string host = hostport, port = "80";
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      if (err) *err = base_url + ": bad port";
      return -LX_EINVAL;
    }
  }
  if (host.empty() || host.find_first_of(" \r\n@[]") != std::string::npos ||
      path.find_first_of(" \r\n") != std::string::npos) {
    if (err) *err = base_url + ": bad host or path";
    return -LX_EINVAL;
  }
  std::unique_ptr<HttpFetcher> f(new HttpFetcher());
  f->url_ = pfx + hostport + path;
  f->host_ = host;
  f->port_ = port;
  f->path_ = path;
  *out = std::move(f);
  return 0;
}

void HttpFetcher::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

#ifdef __EMSCRIPTEN__
// No sockets in the browser/node build: the fetch()-based Fetcher comes with the IDE.
int HttpFetcher::connect_now(int64_t, std::string* err) {
  if (err) *err = "HTTP fetching is not available in this build";
  return -LX_ENOSYS;
}
int HttpFetcher::get(FetchRequest* r) {
  r->error = "HTTP fetching is not available in this build";
  return -LX_ENOSYS;
}
#else

int HttpFetcher::connect_now(int64_t deadline, std::string* err) {
  disconnect();
  struct addrinfo hints, *res = nullptr;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int g = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res);
  if (g != 0 || !res) {
    if (err) *err = host_ + ": " + gai_strerror(g);
    return -LX_EHOSTUNREACH;
  }
  int rc = -LX_ECONNREFUSED;
  for (auto* a = res; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int c = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (c != 0 && errno == EINPROGRESS) {
      struct pollfd p = {fd, POLLOUT, 0};
      int64_t left = deadline - now_ms();
      int pr = left > 0 ? ::poll(&p, 1, int(left)) : 0;
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      if (pr == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) c = 0;
      else rc = pr == 0 ? -LX_ETIMEDOUT : -(soerr ? host_errno(soerr) : LX_ECONNREFUSED);
    } else if (c != 0) {
      rc = neg_host_errno();
    }
    if (c == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
      connections_++;
      rc = 0;
      break;
    }
    ::close(fd);
  }
  freeaddrinfo(res);
  if (rc && err) *err = url_ + ": connect: " + errno_message(-rc);
  return rc;
}

namespace {
// send all of s before the deadline
int send_all(int fd, const std::string& s, int64_t deadline) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {fd, POLLOUT, 0};
      int64_t left = deadline - now_ms();
      if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) return -LX_ETIMEDOUT;
      continue;
    }
    return -LX_EPIPE;
  }
  return 0;
}

// Buffered reader over a non-blocking socket with a deadline.
struct Reader {
  int fd;
  int64_t deadline;
  std::vector<uint8_t> buf;
  size_t pos = 0;
  bool eof = false;

  // reads more bytes; 0 ok, 1 EOF, -errno
  int more() {
    if (pos > 0 && pos == buf.size()) {
      buf.clear();
      pos = 0;
    }
    uint8_t tmp[65536];
    while (true) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf.insert(buf.end(), tmp, tmp + n);
        return 0;
      }
      if (n == 0) {
        eof = true;
        return 1;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p = {fd, POLLIN, 0};
        int64_t left = deadline - now_ms();
        if (left <= 0) return -LX_ETIMEDOUT;
        int pr = ::poll(&p, 1, int(left));
        if (pr == 0) return -LX_ETIMEDOUT;
        if (pr < 0 && errno != EINTR) return -LX_EIO;
        continue;
      }
      return -LX_ECONNRESET;
    }
  }
  // a line ending in \r\n (without it); limit bytes
  int line(std::string* out, size_t limit) {
    while (true) {
      for (size_t i = pos; i + 1 < buf.size(); i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
          out->assign(reinterpret_cast<const char*>(buf.data() + pos), i - pos);
          pos = i + 2;
          return 0;
        }
      }
      if (buf.size() - pos > limit) return -LX_EPROTO;
      int r = more();
      if (r == 1) return -LX_ECONNRESET;
      if (r < 0) return r;
    }
  }
  // exactly n bytes appended to out
  int take(size_t n, std::vector<uint8_t>* out) {
    while (n) {
      if (pos == buf.size()) {
        int r = more();
        if (r == 1) return -LX_ECONNRESET;
        if (r < 0) return r;
      }
      size_t k = std::min(n, buf.size() - pos);
      out->insert(out->end(), buf.begin() + long(pos), buf.begin() + long(pos + k));
      pos += k;
      n -= k;
    }
    return 0;
  }
};

std::string lower(std::string s) {
  for (auto& c : s) c = char(tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

int HttpFetcher::get(FetchRequest* r) {
  size_t maxb = r->max_bytes ? r->max_bytes : kDefaultMaxBytes;
  int64_t deadline = now_ms() + timeout_ms_;
  std::string req = "GET " + path_ + r->name + " HTTP/1.1\r\nHost: " + host_ + ":" + port_ +
                    "\r\nUser-Agent: glassbox\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n\r\n";
  // A kept-alive connection may have been closed by the server: then reconnect once.
  for (int attempt = 0; attempt < 2; attempt++) {
    bool reused = fd_ >= 0;
    if (!reused) {
      int c = connect_now(deadline, &r->error);
      if (c) return c;
    }
    int s = send_all(fd_, req, deadline);
    Reader rd{fd_, deadline};
    std::string status;
    if (s == 0) s = rd.line(&status, 8192);
    if (s != 0) {
      disconnect();
      if (reused && s != -LX_ETIMEDOUT) continue;
      r->error = url_ + r->name + ": " + errno_message(-s);
      return s;
    }
    // "HTTP/1.x 200 OK"
    int code = 0;
    bool keep = status.compare(0, 8, "HTTP/1.1") == 0;
    if (status.size() >= 12 && status.compare(0, 5, "HTTP/") == 0) code = atoi(status.c_str() + 9);
    long long content_length = -1;
    bool chunked = false;
    for (int nh = 0;; nh++) {
      std::string h;
      int e = rd.line(&h, 16384);
      if (e) {
        disconnect();
        r->error = url_ + r->name + ": bad response headers";
        return e;
      }
      if (h.empty()) break;
      if (nh > 200) {
        disconnect();
        r->error = url_ + r->name + ": too many headers";
        return -LX_EPROTO;
      }
      size_t colon = h.find(':');
      if (colon == std::string::npos) continue;
      std::string k = lower(h.substr(0, colon));
      std::string v = h.substr(colon + 1);
      while (!v.empty() && (v[0] == ' ' || v[0] == '\t')) v.erase(0, 1);
      if (k == "content-length") {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 15) {
          disconnect();
          r->error = url_ + r->name + ": bad Content-Length";
          return -LX_EPROTO;
        }
        content_length = atoll(v.c_str());
      } else if (k == "transfer-encoding") {
        chunked = lower(v).find("chunked") != std::string::npos;
      } else if (k == "connection") {
        std::string lv = lower(v);
        if (lv.find("close") != std::string::npos) keep = false;
        if (lv.find("keep-alive") != std::string::npos) keep = true;
      }
    }
    std::vector<uint8_t> body;
    int e = 0;
    if (chunked) {
      while (true) {
        std::string sz;
        e = rd.line(&sz, 1024);
        if (e) break;
        size_t semi = sz.find(';');
        if (semi != std::string::npos) sz.resize(semi);
        if (sz.empty() || sz.size() > 12 || sz.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
          e = -LX_EPROTO;
          break;
        }
        unsigned long long n = strtoull(sz.c_str(), nullptr, 16);
        if (n > maxb || body.size() + n > maxb) {
          e = -LX_EFBIG;
          break;
        }
        if (n == 0) {  // trailers up to the empty line
          std::string t;
          do e = rd.line(&t, 16384);
          while (!e && !t.empty());
          break;
        }
        e = rd.take(size_t(n), &body);
        std::string crlf;
        if (!e) e = rd.line(&crlf, 2);
        if (e) break;
      }
    } else if (content_length >= 0) {
      if (uint64_t(content_length) > maxb) e = -LX_EFBIG;
      else e = rd.take(size_t(content_length), &body);
    } else {
      keep = false;  // body runs to the end of the connection
      while (!e) {
        body.insert(body.end(), rd.buf.begin() + long(rd.pos), rd.buf.end());
        rd.pos = rd.buf.size();
        if (body.size() > maxb) {
          e = -LX_EFBIG;
          break;
        }
        int m = rd.more();
        if (m == 1) break;
        if (m < 0) e = m;
      }
    }
    if (e || !keep || rd.pos != rd.buf.size()) disconnect();
    if (e) {
      r->error = url_ + r->name + ": " + (e == -LX_EFBIG ? std::string("response too large") : errno_message(-e));
      return e == -LX_EFBIG ? -LX_EIO : e;
    }
    if (code != 200) {
      r->error = url_ + r->name + ": HTTP status " + std::to_string(code);
      return code == 404 ? -LX_ENOENT : -LX_EIO;
    }
    r->data = std::move(body);
    return 0;
  }
  r->error = url_ + r->name + ": connection closed";
  return -LX_ECONNRESET;
}
#endif  // __EMSCRIPTEN__

void HttpFetcher::fetch(const std::vector<FetchRequest*>& reqs) {
  for (FetchRequest* r : reqs) {
    r->data.clear();
    r->error.clear();
    r->result = get(r);
    if (r->result) r->data.clear();
  }
}

// ---------------------------------------------------------------- JsFetcher (Emscripten)
#ifdef __EMSCRIPTEN__
// The JavaScript side of JsFetcher (see chunked.h). EM_JS bodies are stringified by the
// C preprocessor: no "//" comments and no apostrophes inside them.
// gb_js_fetch_batch: runs one batch synchronously; results stay in Module.__gbFetch.
EM_JS(void, gb_js_fetch_batch, (const char* base, const char* names, int timeout_ms, double max_bytes), {
  var g = Module.__gbFetch || (Module.__gbFetch = { results: [], node: null });
  var b = UTF8ToString(base);
  var urls = UTF8ToString(names).split("\n").filter(function (n) { return n.length > 0; }).map(function (n) { return b + n; });
  var fail = function (code, msg) { return urls.map(function () { return { code: code, error: msg }; }); };
  g.results = [];
  try {
    if (typeof Module.glassboxFetchBatch === "function") {
      g.results = Module.glassboxFetchBatch(urls, timeout_ms, max_bytes) || [];
      return;
    }
    if (!(typeof process === "object" && process.versions && process.versions.node)) {
      g.results = fail(3, "no synchronous fetcher: the page must set Module.glassboxFetchBatch");
      return;
    }
    if (process.env.GLASSBOX_FETCH_TIMEOUT_MS > 0) timeout_ms = +process.env.GLASSBOX_FETCH_TIMEOUT_MS;
    if (!g.node) {
      var wt = require("worker_threads");
      var ch = new wt.MessageChannel();
      var flag = new Int32Array(new SharedArrayBuffer(4));
      var main = function () {
        var wt = require("worker_threads"), http = require("http"), https = require("https");
        var port = wt.workerData.port, flag = wt.workerData.flag;
        var agents = { "http:": new http.Agent({ keepAlive: true, maxSockets: 6 }),
                       "https:": new https.Agent({ keepAlive: true, maxSockets: 6 }) };
        var get = function (url, deadline, max) {
          return new Promise(function (resolve) {
            var done = false, req = null;
            var finish = function (r) { if (!done) { done = true; clearTimeout(timer); resolve(r); } };
            var left = deadline - Date.now();
            var timer = setTimeout(function () {
              if (req) req.destroy();
              finish({ code: 2, error: url + ": timed out" });
            }, Math.max(left, 0));
            if (left <= 0) return;
            var u;
            try { u = new URL(url); } catch (e) { finish({ code: 3, error: "bad URL " + url }); return; }
            if (!agents[u.protocol]) { finish({ code: 3, error: url + ": unsupported protocol" }); return; }
            req = (u.protocol === "https:" ? https : http).get(u, { agent: agents[u.protocol] }, function (res) {
              if (res.statusCode !== 200) {
                res.resume();
                finish({ code: res.statusCode === 404 ? 1 : 3, error: url + ": HTTP " + res.statusCode });
                return;
              }
              var parts = [], n = 0;
              res.on("data", function (c) {
                n += c.length;
                if (n > max) { req.destroy(); finish({ code: 3, error: url + ": more than " + max + " bytes" }); }
                else parts.push(c);
              });
              res.on("end", function () {
                if (res.complete) finish({ data: new Uint8Array(Buffer.concat(parts, n)) });
                else finish({ code: 3, error: url + ": connection closed before the end of the body" });
              });
              res.on("error", function (e) { finish({ code: 3, error: url + ": " + (e.message || e) }); });
              res.on("aborted", function () { finish({ code: 3, error: url + ": response aborted" }); });
            });
            req.on("error", function (e) { finish({ code: 3, error: url + ": " + (e.message || e) }); });
          });
        };
        port.on("message", function (m) {
          var deadline = Date.now() + m.timeout;
          Promise.all(m.urls.map(function (u) { return get(u, deadline, m.max); })).then(function (rs) {
            port.postMessage({ id: m.id, results: rs });
            Atomics.store(flag, 0, m.id);
            Atomics.notify(flag, 0);
          });
        });
      };
      var w = new wt.Worker("(" + main.toString() + ")()",
                            { eval: true, workerData: { port: ch.port2, flag: flag }, transferList: [ch.port2] });
      w.unref();
      g.node = { wt: wt, port: ch.port1, flag: flag, id: 0, worker: w };
    }
    var nd = g.node, id = ++nd.id, msg = null;
    Atomics.store(nd.flag, 0, 0);
    nd.port.postMessage({ id: id, urls: urls, timeout: timeout_ms, max: max_bytes });
    var end = Date.now() + timeout_ms + 2000;
    for (;;) {
      var r;
      while ((r = nd.wt.receiveMessageOnPort(nd.port))) if (r.message.id === id) msg = r.message;
      if (msg) break;
      var left = end - Date.now();
      if (left <= 0) break;
      if (Atomics.load(nd.flag, 0) !== 0 && Atomics.load(nd.flag, 0) !== id) Atomics.store(nd.flag, 0, 0);
      Atomics.wait(nd.flag, 0, 0, Math.min(left, 100));
    }
    g.results = msg ? msg.results : fail(2, "no answer from the fetch worker within " + (timeout_ms + 2000) + " ms");
  } catch (e) {
    g.results = fail(3, "fetch failed: " + e);
  }
});
// Size of result i (>= 0), or -code.
EM_JS(double, gb_js_fetch_size, (int i), {
  var r = Module.__gbFetch && Module.__gbFetch.results[i];
  if (!r) return -3;
  if (r.data) return r.data.length;
  return -(r.code || 3);
});
EM_JS(void, gb_js_fetch_copy, (int i, uint8_t* dst), { HEAPU8.set(Module.__gbFetch.results[i].data, dst); });
EM_JS(void, gb_js_fetch_error, (int i, char* dst, int cap), {
  var r = Module.__gbFetch && Module.__gbFetch.results[i];
  stringToUTF8(String((r && r.error) || "no result"), dst, cap);
});
EM_JS(void, gb_js_fetch_clear, (), { if (Module.__gbFetch) Module.__gbFetch.results = []; });

void JsFetcher::fetch(const std::vector<FetchRequest*>& reqs) {
  if (reqs.empty()) return;
  std::string names;
  size_t maxb = 0;
  for (FetchRequest* r : reqs) {
    names += r->name + "\n";
    maxb = std::max(maxb, r->max_bytes ? r->max_bytes : kDefaultMaxBytes);
  }
  gb_js_fetch_batch(url_.c_str(), names.c_str(), timeout_ms_, double(maxb));
  for (size_t i = 0; i < reqs.size(); i++) {
    FetchRequest* r = reqs[i];
    r->data.clear();
    r->error.clear();
    const double n = gb_js_fetch_size(int(i));
    const size_t lim = r->max_bytes ? r->max_bytes : kDefaultMaxBytes;
    if (n >= 0 && n <= double(lim)) {
      r->data.resize(size_t(n));
      if (n > 0) gb_js_fetch_copy(int(i), r->data.data());
      r->result = 0;
      continue;
    }
    if (n >= 0) {
      r->result = -LX_EIO;
      r->error = url_ + r->name + ": response too large";
      continue;
    }
    char msg[512];
    gb_js_fetch_error(int(i), msg, int(sizeof msg));
    r->error = msg;
    r->result = n == -1 ? -LX_ENOENT : n == -2 ? -LX_ETIMEDOUT : -LX_EIO;
  }
  gb_js_fetch_clear();
}
#else
void JsFetcher::fetch(const std::vector<FetchRequest*>& reqs) {
  for (FetchRequest* r : reqs) {
    r->data.clear();
    r->result = -LX_ENOSYS;
    r->error = "JsFetcher needs the Emscripten build";
  }
}
#endif  // __EMSCRIPTEN__

int make_fetcher(const std::string& where, std::unique_ptr<Fetcher>* out, std::string* manifest_name,
                 std::string* err) {
#ifdef __EMSCRIPTEN__
  // Browser and node: http(s) goes through JavaScript (JsFetcher).
  if (where.compare(0, 7, "http://") == 0 || where.compare(0, 8, "https://") == 0) {
    const size_t start = where.find("//") + 2;
    std::string base = where, name = "manifest.json";
    size_t q = where.rfind('/');
    if (q != std::string::npos && q > start && where.size() > 5 && where.compare(where.size() - 5, 5, ".json") == 0) {
      base = where.substr(0, q + 1);
      name = where.substr(q + 1);
    }
    *out = std::make_unique<JsFetcher>(base);
    *manifest_name = name;
    return 0;
  }
#endif
  if (where.compare(0, 7, "http://") == 0) {
    std::string base = where, name = "manifest.json";
    size_t q = where.rfind('/');
    if (q != std::string::npos && q > 7 && where.size() > 5 && where.compare(where.size() - 5, 5, ".json") == 0) {
      base = where.substr(0, q + 1);
      name = where.substr(q + 1);
    }
    std::unique_ptr<HttpFetcher> h;
    int rc = HttpFetcher::create(base, &h, err);
    if (rc) return rc;
    *out = std::move(h);
    *manifest_name = name;
    return 0;
  }
  if (where.compare(0, 8, "https://") == 0) {
    if (err) *err = where + ": https is not supported natively (use http://127.0.0.1)";
    return -LX_EINVAL;
  }
  struct stat st;
  if (::stat(where.c_str(), &st) != 0) {
    int e = errno;
    if (err) *err = where + ": " + std::strerror(e);
    return -host_errno(e);
  }
  if (S_ISDIR(st.st_mode)) {
    *out = std::make_unique<DirFetcher>(where);
    *manifest_name = "manifest.json";
    return 0;
  }
  size_t slash = where.rfind('/');
  std::string dir = slash == std::string::npos ? "." : where.substr(0, slash == 0 ? 1 : slash);
  *out = std::make_unique<DirFetcher>(dir);
  *manifest_name = slash == std::string::npos ? where : where.substr(slash + 1);
  return 0;
}

// ---------------------------------------------------------------- Manifest

bool Manifest::parse(std::string_view text, Manifest* out, std::string* err) {
  auto bad = [&](const std::string& m) {
    if (err) *err = "manifest: " + m;
    return false;
  };
  JsonValue v;
  std::string jerr;
  if (!json_parse(text, &v, &jerr)) return bad("not valid JSON (" + jerr + ")");
  if (!v.is_object()) return bad("not a JSON object");
  Manifest m;
  const JsonValue* f = v.get("format");
  if (!f || !f->is_string() || f->str != "glassbox-image") return bad("\"format\" is not \"glassbox-image\"");
  int64_t ver = 0;
  const JsonValue* vv = v.get("version");
  if (!vv || !vv->as_int(1, 1, &ver)) return bad("unsupported \"version\" (this engine reads version 1)");
  int64_t size = 0, cs = 0;
  const JsonValue* sv = v.get("image_size");
  if (!sv || !sv->as_int(1, int64_t(1) << 44, &size)) return bad("\"image_size\" missing or out of range");
  const JsonValue* cv = v.get("chunk_size");
  if (!cv || !cv->as_int(4096, 16 << 20, &cs) || (cs & (cs - 1)))
    return bad("\"chunk_size\" must be a power of two from 4 KiB to 16 MiB");
  m.image_size = uint64_t(size);
  m.chunk_size = uint32_t(cs);
  if (const JsonValue* id = v.get("image_id")) {
    if (!id->is_string() || id->str.size() > 200) return bad("\"image_id\" is not a string");
    m.image_id = id->str;
  }
  if (const JsonValue* d = v.get("chunks_dir")) {
    if (!d->is_string() || !safe_relative(d->str)) return bad("\"chunks_dir\" must be a plain relative path");
    m.chunks_dir = d->str;
  }
  if (const JsonValue* fs = v.get("fs")) {
    int64_t bs = 0;
    if (const JsonValue* b = fs->get("block_size"))
      if (b->as_int(1024, 65536, &bs)) m.fs_block_size = uint32_t(bs);
  }
  const JsonValue* ch = v.get("chunks");
  if (!ch || !ch->is_array()) return bad("\"chunks\" is not an array");
  uint64_t n = (m.image_size + m.chunk_size - 1) / m.chunk_size;
  if (ch->arr.size() != n)
    return bad("\"chunks\" has " + std::to_string(ch->arr.size()) + " entries, an image of " +
               std::to_string(m.image_size) + " bytes in " + std::to_string(m.chunk_size) + "-byte chunks needs " +
               std::to_string(n));
  if (const JsonValue* cc = v.get("chunk_count")) {
    int64_t k = 0;
    if (!cc->as_int(0, INT64_MAX, &k) || uint64_t(k) != n) return bad("\"chunk_count\" disagrees with \"chunks\"");
  }
  m.chunks.resize(n);
  for (uint64_t i = 0; i < n; i++) {
    const JsonValue& e = ch->arr[i];
    ChunkEntry& ce = m.chunks[i];
    if (e.is_null()) continue;
    std::string at = "chunk " + std::to_string(i) + ": ";
    if (!e.is_object()) return bad(at + "entry is neither null nor an object");
    const JsonValue* h = e.get("hash");
    if (!h || !h->is_string() || h->str.size() != 64 ||
        h->str.find_first_not_of("0123456789abcdef") != std::string::npos)
      return bad(at + "\"hash\" is not 64 lower-case hex digits");
    const JsonValue* g = e.get("gz");
    if (!g || !g->is_bool()) return bad(at + "\"gz\" is not a boolean");
    int64_t len = 0;
    uint32_t raw = m.chunk_len(i);
    const JsonValue* l = e.get("length");
    int64_t maxlen = g->b ? int64_t(raw) + raw / 8 + 4096 : int64_t(raw);
    if (!l || !l->as_int(g->b ? 18 : raw, maxlen, &len)) return bad(at + "\"length\" missing or impossible");
    ce.zero = false;
    ce.gz = g->b;
    ce.length = uint32_t(len);
    ce.hash = h->str;
  }
  *out = std::move(m);
  return true;
}

// ---------------------------------------------------------------- ChunkedDevice

int ChunkedDevice::open(std::unique_ptr<Fetcher> fetcher, const std::string& manifest_name, const ChunkedOptions& opt,
                        std::unique_ptr<ChunkedDevice>* out, std::string* err) {
  std::vector<uint8_t> text;
  int rc = -LX_EIO;
  std::string ferr;
  for (int a = 0; a < std::max(1, opt.max_attempts); a++) {
    rc = fetcher->fetch_one(manifest_name, &text, 64u << 20, &ferr);
    if (rc == 0 || rc == -LX_ENOENT) break;
  }
  if (rc) {
    if (err) *err = "cannot fetch the manifest: " + ferr;
    return rc;
  }
  Manifest m;
  if (!Manifest::parse(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), &m, err))
    return -LX_EINVAL;
  return from_manifest(std::move(m), std::move(fetcher), opt, out);
}

int ChunkedDevice::open(const std::string& where, const ChunkedOptions& opt, std::unique_ptr<ChunkedDevice>* out,
                        std::string* err) {
  std::unique_ptr<Fetcher> f;
  std::string name;
  int rc = make_fetcher(where, &f, &name, err);
  if (rc) return rc;
  return open(std::move(f), name, opt, out, err);
}

int ChunkedDevice::from_manifest(Manifest m, std::unique_ptr<Fetcher> fetcher, const ChunkedOptions& opt,
                                 std::unique_ptr<ChunkedDevice>* out) {
  std::unique_ptr<ChunkedDevice> d(new ChunkedDevice());
  d->m_ = std::move(m);
  d->fetcher_ = std::move(fetcher);
  d->opt_ = opt;
  if (d->opt_.cache_bytes < 2 * size_t(d->m_.chunk_size)) d->opt_.cache_bytes = 2 * size_t(d->m_.chunk_size);
  if (d->opt_.max_attempts < 1) d->opt_.max_attempts = 1;
  *out = std::move(d);
  return 0;
}

std::string ChunkedDevice::describe() const {
  return "chunked " + fetcher_->describe() + " (" + std::to_string(m_.chunk_size / 1024) + " KiB chunks, " +
         std::to_string(m_.chunks.size()) + " chunks)";
}

void ChunkedDevice::drop_cache() {
  lru_.clear();
  index_.clear();
  cached_bytes_ = 0;
}

ChunkedDevice::Slot* ChunkedDevice::lookup(uint64_t chunk) {
  auto it = index_.find(chunk);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void ChunkedDevice::insert(uint64_t chunk, std::vector<uint8_t> data, bool prefetched) {
  if (index_.count(chunk)) return;
  cached_bytes_ += data.size();
  lru_.push_front(Slot{chunk, std::move(data), prefetched});
  index_[chunk] = lru_.begin();
  while (cached_bytes_ > opt_.cache_bytes && lru_.size() > 1) {
    Slot& s = lru_.back();
    if (s.prefetched_unread) stats_.prefetch_unused++;
    stats_.evictions++;
    cached_bytes_ -= s.data.size();
    index_.erase(s.chunk);
    lru_.pop_back();
  }
}

int ChunkedDevice::decode(uint64_t chunk, std::vector<uint8_t>& stored, std::vector<uint8_t>* out, std::string* err) {
  const ChunkEntry& e = m_.chunks[chunk];
  uint32_t raw = m_.chunk_len(chunk);
  if (stored.size() != e.length) {
    *err = "chunk " + std::to_string(chunk) + ": " + std::to_string(stored.size()) + " bytes, manifest says " +
           std::to_string(e.length);
    return -LX_EIO;
  }
  if (opt_.verify && Sha256::hex(stored.data(), stored.size()) != e.hash) {
    stats_.verify_errors++;
    *err = "chunk " + std::to_string(chunk) + ": content does not match its hash " + e.hash;
    return -LX_EIO;
  }
  if (!e.gz) {
    *out = std::move(stored);
    return 0;
  }
  std::string ge;
  if (!gunzip(stored.data(), stored.size(), out, raw, &ge) || out->size() != raw) {
    *err = "chunk " + std::to_string(chunk) + ": " + (ge.empty() ? "wrong size after gunzip" : ge);
    return -LX_EIO;
  }
  return 0;
}

int ChunkedDevice::fetch_chunks(const std::vector<uint64_t>& chunks, bool prefetch, uint64_t* bytes) {
  std::vector<uint64_t> todo = chunks;
  int rc = 0;
  for (int attempt = 0; attempt < opt_.max_attempts && !todo.empty(); attempt++) {
    if (attempt) stats_.fetch_retries += todo.size();
    std::vector<FetchRequest> reqs(todo.size());
    std::vector<FetchRequest*> ptrs;
    for (size_t i = 0; i < todo.size(); i++) {
      const ChunkEntry& e = m_.chunks[todo[i]];
      reqs[i].name = m_.chunks_dir + "/" + e.hash;
      reqs[i].max_bytes = e.length + 1;
      ptrs.push_back(&reqs[i]);
    }
    stats_.fetch_batches++;
    fetcher_->fetch(ptrs);
    std::vector<uint64_t> failed;
    for (size_t i = 0; i < todo.size(); i++) {
      FetchRequest& r = reqs[i];
      std::string err;
      int e = r.result;
      if (e == 0) {
        stats_.bytes_fetched += r.data.size();
        if (bytes) *bytes += r.data.size();
        std::vector<uint8_t> data;
        e = decode(todo[i], r.data, &data, &err);
        if (e == 0) {
          stats_.chunks_fetched++;
          if (prefetch) stats_.prefetched_chunks++;
          insert(todo[i], std::move(data), prefetch);
          continue;
        }
      } else {
        err = r.error;
      }
      stats_.fetch_errors++;
      last_error_ = err;
      failed.push_back(todo[i]);
    }
    todo.swap(failed);
  }
  if (!todo.empty()) rc = -LX_EIO;
  return rc;
}

int ChunkedDevice::read(uint64_t off, void* buf, size_t len, ReadInfo* info) {
  if (off > m_.image_size || len > m_.image_size - off) return -LX_EIO;
  stats_.reads++;
  stats_.bytes_read += len;
  if (len == 0) return 0;
  const uint64_t cs = m_.chunk_size;
  uint64_t first = off / cs, last = (off + len - 1) / cs;
  ReadInfo ri;
  ri.chunk = int64_t(first);
  // gather the missing chunks; fetch them in one batch
  std::vector<uint64_t> missing;
  bool any_cached = false, any_data = false;
  for (uint64_t c = first; c <= last; c++) {
    if (m_.chunks[c].zero) continue;
    any_data = true;
    if (index_.count(c)) any_cached = true;
    else missing.push_back(c);
  }
  // the cache must hold every chunk of this read at once
  if ((last - first + 1) * cs > opt_.cache_bytes) {
    // a very long read: do it chunk by chunk
    uint8_t* p = static_cast<uint8_t*>(buf);
    uint64_t reads = stats_.reads, bytes = stats_.bytes_read;
    int r = 0;
    for (uint64_t c = first; c <= last && r == 0; c++) {
      uint64_t s = std::max(off, c * cs), e = std::min(off + len, (c + 1) * cs);
      r = read(s, p + (s - off), size_t(e - s), info);
    }
    stats_.reads = reads;  // counted once, above
    stats_.bytes_read = bytes;
    return r;
  }
  for (uint64_t c = first; c <= last; c++)  // keep this read's cached chunks safe from eviction
    if (!m_.chunks[c].zero && index_.count(c)) lookup(c);
  if (!missing.empty()) {
    stats_.cache_misses += missing.size();
    uint64_t got = 0;
    int rc = fetch_chunks(missing, false, &got);
    ri.bytes_fetched += got;
    if (rc) return rc;
    ri.source = ReadSource::Network;
  } else if (any_cached) {
    ri.source = ReadSource::Cache;
  }
  if (!any_data) stats_.zero_chunk_reads++;
  uint8_t* p = static_cast<uint8_t*>(buf);
  for (uint64_t c = first; c <= last; c++) {
    uint64_t s = std::max(off, c * cs), e = std::min(off + len, (c + 1) * cs);
    if (m_.chunks[c].zero) {
      std::memset(p + (s - off), 0, size_t(e - s));
      continue;
    }
    Slot* sl = lookup(c);
    if (!sl) return -LX_EIO;  // cannot happen: the batch above brought it in
    if (std::find(missing.begin(), missing.end(), c) == missing.end()) stats_.cache_hits++;
    sl->prefetched_unread = false;
    std::memcpy(p + (s - off), sl->data.data() + (s - c * cs), size_t(e - s));
  }
  if (info) info->merge(ri);
  return 0;
}

void ChunkedDevice::prefetch(const std::vector<Range>& ranges) {
  std::vector<uint64_t> want;
  size_t budget = std::min(opt_.max_prefetch_bytes, opt_.cache_bytes / 2);
  size_t planned = 0;
  for (const Range& r : ranges) {
    if (r.len == 0 || r.off >= m_.image_size) continue;
    uint64_t end = std::min(m_.image_size, r.off + r.len);
    for (uint64_t c = r.off / m_.chunk_size; c * m_.chunk_size < end; c++) {
      if (m_.chunks[c].zero || index_.count(c)) continue;
      if (std::find(want.begin(), want.end(), c) != want.end()) continue;
      if (planned + m_.chunk_size > budget) break;
      planned += m_.chunk_size;
      want.push_back(c);
    }
  }
  if (!want.empty()) fetch_chunks(want, true, nullptr);
}

}  // namespace gb::fs

// vm/linux/net_out.h — outbound networking through a Wisp relay (docs/networking.md):
// a guest connect()/sendto() to a non-loopback address becomes a Wisp stream over one
// WebSocket (WispLink, net_link.cpp); the names the guest resolves are answered by a DNS
// stub here with fake addresses that map back to the names, so the relay resolves the
// real name on CONNECT.
//
// Index
//   1. WispLink: whole frames to and from the relay (native: a POSIX WebSocket client;
//      Emscripten: node worker_thread + `ws`, or the page's Module.glassboxNet)
//   2. NetOptions
//   3. NetOut: streams, credit, the DNS stub, the hooks socket.cpp calls
//
// Design notes
//   * A TCP stream is a pair of Sockets like a loopback connection: the guest's socket and
//     a "remote" Socket nobody opens. The guest's writes land in the remote's receive queue
//     (bounded by its capacity: EAGAIN/POLLOUT come for free) and pump() sends them as DATA
//     frames while the stream has credit; DATA from the relay is queued on the guest's
//     socket. A CLOSE from the relay closes the remote (EOF) or sets the guest's error.
//   * connect() completes when the relay confirms the stream (a CONTINUE or DATA for it:
//     our relay sends a CONTINUE once its TCP connect succeeded) or fails on its CLOSE.
//     Wisp v1 servers that never confirm (wisp-js): after `open_grace_ms` without an
//     answer the stream counts as open, unless this relay has confirmed a stream before.
//   * The relay has no flow control towards us: what arrives is queued on the guest's
//     socket up to kInboundCap past its capacity; past that pump() leaves the frame in the
//     link (the link then stops reading the WebSocket: TCP backpressure reaches the relay).
//   * Limits: at most max_streams streams per machine (connect: EADDRNOTAVAIL, as Linux
//     when its ephemeral ports run out).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace gb {

class Socket;
struct SockAddr;
struct SocketRegistry;

// ---- 1. WispLink --------------------------------------------------------------------------
class WispLink {
 public:
  enum State { Connecting, Up, Down };
  virtual ~WispLink() = default;
  virtual State state() = 0;
  virtual void send(std::vector<uint8_t> frame) = 0;  // queued while Connecting
  // The next whole frame from the relay (non-blocking). false: none now.
  virtual bool recv(std::vector<uint8_t>& frame) = 0;
  // Blocks until a frame may be ready or timeout_ms passed (0: just flush).
  virtual void wait(int timeout_ms) = 0;
  virtual std::string error() { return {}; }
  virtual int fd() { return -1; }  // native: the socket idle_wait polls
};
// ws:// (native, node) and wss:// (node, browser). nullptr and *err when the URL is bad.
std::unique_ptr<WispLink> make_wisp_link(const std::string& url, std::string* err);

// ---- 2. options ----------------------------------------------------------------------------
struct NetOptions {
  std::string relay;              // ws(s)://host:port/path; empty: no network (ENETUNREACH)
  int connect_timeout_ms = 20000; // a CONNECT the relay never answers: ETIMEDOUT
  int open_grace_ms = 300;        // see the notes: servers that never confirm a stream
  int max_streams = 512;
};

// ---- 3. NetOut ------------------------------------------------------------------------------
class NetOut {
 public:
  NetOut(SocketRegistry& reg, NetOptions o);
  ~NetOut();
  NetOut(const NetOut&) = delete;

  // The resolver's address (the image's /etc/resolv.conf says nameserver 10.255.255.53).
  static bool is_dns(const SockAddr& d);
  // The source address a socket connected to `d` reports (the VM's one outside address).
  static SockAddr source_for(const SockAddr& d, int domain);

  // socket.cpp: a TCP connect to a non-local address. 0, -errno, -EINPROGRESS or kBlock.
  int connect(Socket& s, const SockAddr& d, bool nonblock);
  // socket.cpp: connect() again on a socket whose stream is opening or was opened by a
  // blocking connect. *mine = false: not an outbound connect in progress (the caller goes on).
  int connect_again(Socket& s, bool nonblock, bool* mine);
  // socket.cpp: a DNS query to loopback port 53 where no guest socket listens. n.
  int64_t dns_query(Socket& s, const SockAddr& d, const uint8_t* p, size_t n) { return dns_answer(s, d, p, n); }
  // socket.cpp: a UDP datagram to a non-local address (or to the DNS stub). n or -errno.
  int64_t udp_send(Socket& s, const SockAddr& d, const uint8_t* p, size_t n);

  // Moves frames both ways, applies timeouts; wakes parked calls when anything changed.
  void pump();
  // Something outside may still wake a task (streams open): idle_wait must not give up.
  bool busy() const { return !streams_.empty(); }
  // Waits on the link for up to timeout_ms (idle_wait), then pumps.
  void wait(int timeout_ms);
  bool online();  // the link is up (the IDE's status)
  int fd() { return link_ ? link_->fd() : -1; }
  // Tests: a link of their own instead of the one the URL names.
  void use_link(std::unique_ptr<WispLink> l) { link_ = std::move(l); }

  static constexpr size_t kInboundCap = 1 << 20;
  static constexpr size_t kMaxFrame = 60000;  // DATA payload per frame

 private:
  struct Stream;
  WispLink* link();
  void open_failed(Stream& st, int err);
  void opened(Stream& st);
  bool deliver(const std::vector<uint8_t>& frame);  // false: hold it (HOL backpressure)
  void flush_out(Stream& st);
  std::string host_for(const SockAddr& d) const;
  int64_t dns_answer(Socket& s, const SockAddr& d, const uint8_t* p, size_t n);
  void finish(uint32_t id, uint8_t reason, bool send_close);

  SocketRegistry& reg_;
  NetOptions o_;
  std::unique_ptr<WispLink> link_;
  bool link_failed_ = false;
  bool relay_confirms_ = false;
  uint32_t initial_credit_ = 0;
  bool have_credit_ = false;
  uint32_t next_id_ = 1;
  std::map<uint32_t, std::unique_ptr<Stream>> streams_;
  std::vector<uint8_t> held_;  // a frame pump() could not deliver yet
  bool has_held_ = false;
  // DNS stub: fake IPv4 addresses (198.18.0.0/15, RFC 2544's benchmark range) <-> names
  std::unordered_map<std::string, uint32_t> addr_of_;
  std::unordered_map<uint32_t, std::string> name_of_;
  uint32_t next_fake_ = 1;
};

}  // namespace gb

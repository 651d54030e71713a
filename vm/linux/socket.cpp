// vm/linux/socket.cpp — sockets inside the VM (socket.h): addresses, the name registry
// (unix paths, abstract names, inet ports), and the Socket inode's operations.
//
// Index
//   1. SockAddr: classification, encoding, parsing
//   2. SocketRegistry (one per machine): unix path/abstract names, inet ports, ephemeral ports, destination lookup
//   3. Socket: construction, close, Inode hooks (getattr, read/write, poll, ioctl)
//   4. bind / listen / connect / accept
//   5. send / recv / shutdown
//   6. socket_create / socket_pair
//
// The Linux behaviours mirrored here (errno choices, poll masks) follow the man pages
// socket(7), unix(7), tcp(7), udp(7), ip(7), ipv6(7) and the observable behaviour of
// Linux 6.x on loopback; each non-obvious choice is commented where it is made.
#include "vm/linux/socket.h"

#include "vm/linux/net_out.h"  // outbound: non-loopback destinations through a relay

#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace gb {

namespace {
constexpr uint32_t LPOLLWRBAND = 0x200, LPOLLRDHUP = 0x2000;
constexpr size_t kUdpMax = 65507;
constexpr uint16_t kEphLo = 32768, kEphHi = 60999;  // ip_local_port_range defaults

uint16_t be16(const uint8_t* p) { return (uint16_t)((p[0] << 8) | p[1]); }
void put16(std::string& s, uint16_t v) { s.push_back((char)(v & 0xff)); s.push_back((char)(v >> 8)); }
void put_be16(std::string& s, uint16_t v) { s.push_back((char)(v >> 8)); s.push_back((char)(v & 0xff)); }
void put32(std::string& s, uint32_t v) { for (int i = 0; i < 4; i++) s.push_back((char)((v >> (8 * i)) & 0xff)); }
uint32_t get32(const uint8_t* p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

bool ip_is_zero6(const uint8_t* ip) {
  for (int i = 0; i < 16; i++)
    if (ip[i]) return false;
  return true;
}
}  // namespace

// ---- 1. SockAddr -------------------------------------------------------------------------

bool SockAddr::is_v4mapped() const {
  for (int i = 0; i < 10; i++)
    if (ip[i]) return false;
  return ip[10] == 0xff && ip[11] == 0xff;
}
bool SockAddr::is_any() const {
  if (is_v4mapped()) return !ip[12] && !ip[13] && !ip[14] && !ip[15];
  return ip_is_zero6(ip);
}
bool SockAddr::is_loopback() const {
  if (is_v4mapped()) return ip[12] == 127;
  for (int i = 0; i < 15; i++)
    if (ip[i]) return false;
  return ip[15] == 1;
}

SockAddr SockAddr::inet4(uint32_t a, uint16_t port) {
  SockAddr s;
  s.family = LAF_INET;
  s.ip[10] = s.ip[11] = 0xff;
  s.ip[12] = (uint8_t)(a >> 24);
  s.ip[13] = (uint8_t)(a >> 16);
  s.ip[14] = (uint8_t)(a >> 8);
  s.ip[15] = (uint8_t)a;
  s.port = port;
  return s;
}
SockAddr SockAddr::inet6_any(uint16_t port) {
  SockAddr s;
  s.family = LAF_INET6;
  s.port = port;
  return s;
}

std::string SockAddr::encode(int as_family) const {
  std::string s;
  if (as_family == LAF_UNIX) {
    put16(s, LAF_UNIX);
    if (kind == Path) { s += path; s.push_back('\0'); }
    else if (kind == Abstract) { s.push_back('\0'); s += path; }
    return s;
  }
  if (as_family == LAF_NETLINK) {  // struct sockaddr_nl, 12 bytes
    put16(s, LAF_NETLINK);
    put16(s, 0);
    put32(s, nl_pid);
    put32(s, nl_groups);
    return s;
  }
  if (as_family == LAF_INET) {  // struct sockaddr_in, 16 bytes
    put16(s, LAF_INET);
    put_be16(s, port);
    s.append((const char*)ip + 12, 4);
    s.append(8, '\0');
    return s;
  }
  // struct sockaddr_in6, 28 bytes
  put16(s, LAF_INET6);
  put_be16(s, port);
  put32(s, flowinfo);
  s.append((const char*)ip, 16);
  put32(s, scope_id);
  return s;
}

int parse_sockaddr(const uint8_t* b, size_t len, int family, SockAddr& out) {
  out = SockAddr{};
  if (len < 2) return -LX_EINVAL;
  const int fam = b[0] | b[1] << 8;
  if (family == LAF_UNIX) {
    if (len > 110) return -LX_EINVAL;
    if (fam != LAF_UNIX) return -LX_EINVAL;
    out.family = LAF_UNIX;
    if (len == 2) { out.kind = SockAddr::Unnamed; return 0; }
    if (b[2] == 0) {
      out.kind = SockAddr::Abstract;
      out.path.assign((const char*)b + 3, len - 3);
      return 0;
    }
    out.kind = SockAddr::Path;
    size_t n = 0;
    while (2 + n < len && b[2 + n]) n++;
    out.path.assign((const char*)b + 2, n);
    return 0;
  }
  if (family == LAF_INET) {
    if (len < 16) return -LX_EINVAL;
    if (fam == LAF_UNSPEC) {  // allowed by bind (with INADDR_ANY) and connect (disconnect)
      out = SockAddr::inet4(0, be16(b + 2));
      out.family = LAF_UNSPEC;
      return 0;
    }
    if (fam != LAF_INET) return -LX_EAFNOSUPPORT;
    out = SockAddr::inet4((uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7], be16(b + 2));
    return 0;
  }
  if (family == LAF_INET6) {
    if (fam == LAF_UNSPEC) { out.family = LAF_UNSPEC; return 0; }
    if (len < 24) return -LX_EINVAL;
    if (fam != LAF_INET6) return -LX_EAFNOSUPPORT;
    out.family = LAF_INET6;
    out.port = be16(b + 2);
    out.flowinfo = get32(b + 4);
    memcpy(out.ip, b + 8, 16);
    if (len >= 28) out.scope_id = get32(b + 24);
    return 0;
  }
  if (family == LAF_NETLINK) {
    if (len < 12) return -LX_EINVAL;
    if (fam != LAF_NETLINK) return -LX_EINVAL;
    out.family = LAF_NETLINK;
    out.nl_pid = get32(b + 4);
    out.nl_groups = get32(b + 8);
    return 0;
  }
  return -LX_EAFNOSUPPORT;
}

// ---- 2. Registry -----------------------------------------------------------------------

namespace {

// TCP, UDP, or UDP-Lite (a datagram protocol with its own ports, delivered like UDP here:
// on loopback nothing is corrupted, so partial checksum coverage changes nothing).
int proto_of(const Socket& s) { return s.type == LSOCK_STREAM ? LIPPROTO_TCP : s.protocol; }

// Can socket s (bound) receive traffic for destination d (IPv6 form, never "any")?
bool accepts(const Socket& s, const SockAddr& d) {
  const SockAddr& a = s.local;
  if (d.is_v4mapped()) {
    if (s.domain == LAF_INET) return a.is_any() || memcmp(a.ip, d.ip, 16) == 0;
    return !s.v6only && (ip_is_zero6(a.ip) || memcmp(a.ip, d.ip, 16) == 0);
  }
  return s.domain == LAF_INET6 && !a.is_v4mapped() && (a.is_any() || memcmp(a.ip, d.ip, 16) == 0);
}

// Do bindings of a (existing) and b (new, address `ba`) cover a common address?
bool overlaps(const Socket& a, const Socket& b, const SockAddr& ba) {
  auto v4 = [](const Socket& s, const SockAddr& x) {
    return s.domain == LAF_INET || (!s.v6only && (ip_is_zero6(x.ip) || x.is_v4mapped()));
  };
  auto v6 = [](const Socket& s, const SockAddr& x) { return s.domain == LAF_INET6 && !x.is_v4mapped(); };
  const bool fam = (v4(a, a.local) && v4(b, ba)) || (v6(a, a.local) && v6(b, ba));
  if (!fam) return false;
  return a.local.is_any() || ba.is_any() || memcmp(a.local.ip, ba.ip, 16) == 0;
}

// Live sockets bound at (proto, port); prunes dead entries.
std::vector<std::shared_ptr<Socket>> bound_at(SocketRegistry& r, int proto, uint16_t port) {
  std::vector<std::shared_ptr<Socket>> v;
  auto it = r.ports.find({proto, port});
  if (it == r.ports.end()) return v;
  auto& list = it->second;
  for (size_t i = 0; i < list.size();) {
    if (auto s = list[i].lock()) { v.push_back(s); i++; }
    else list.erase(list.begin() + (long)i);
  }
  if (list.empty()) r.ports.erase(it);
  return v;
}

// May `s` bind `addr` (port nonzero)? 0 or -EADDRINUSE.
int port_conflict(SocketRegistry& r, const Socket& s, const SockAddr& addr) {
  for (auto& e : bound_at(r, proto_of(s), addr.port)) {
    if (e.get() == &s || !overlaps(*e, s, addr)) continue;
    if (e->reuseport && s.reuseport) continue;
    if (e->reuseaddr && s.reuseaddr && (s.type != LSOCK_STREAM || e->state != Socket::Listening)) continue;
    return -LX_EADDRINUSE;
  }
  return 0;
}

// The loopback address a connection to `d` comes from (and "any" destinations go to).
SockAddr loopback_for(const SockAddr& d, int domain) {
  SockAddr s;
  s.family = domain;
  if (d.is_v4mapped()) {
    s = SockAddr::inet4(0x7f000001, 0);
    s.family = domain;
    if (!d.is_any()) memcpy(s.ip, d.ip, 16);
  } else {
    s.ip[15] = 1;
    if (!d.is_any()) memcpy(s.ip, d.ip, 16);
  }
  return s;
}

}  // namespace

std::shared_ptr<Socket> SocketRegistry::find_unix_path(const FileSystem* fs, uint64_t ino) {
  auto it = paths.find({fs, ino});
  if (it == paths.end()) return nullptr;
  auto s = it->second.lock();
  if (!s || s->closed_) return nullptr;
  return s;
}

std::shared_ptr<Socket> SocketRegistry::find_unix_abstract(const std::string& name) {
  auto it = abstract.find(name);
  if (it == abstract.end()) return nullptr;
  auto s = it->second.lock();
  if (!s || s->closed_) return nullptr;
  return s;
}

void Socket::drop_names() {
  SocketRegistry& r = reg_;
  auto mine = [this](const std::weak_ptr<Socket>& w) {
    auto s = w.lock();
    return !s || s.get() == this;
  };
  if (has_path_key_) {
    auto it = r.paths.find(path_key_);
    if (it != r.paths.end() && mine(it->second)) r.paths.erase(it);
    has_path_key_ = false;
  }
  if (domain == LAF_UNIX && bound && local.kind == SockAddr::Abstract) {
    auto it = r.abstract.find(local.path);
    if (it != r.abstract.end() && mine(it->second)) r.abstract.erase(it);
  }
  if (has_port_) {
    auto it = r.ports.find({proto_of(*this), local.port});
    if (it != r.ports.end()) {
      auto& l = it->second;
      l.erase(std::remove_if(l.begin(), l.end(), mine), l.end());
      if (l.empty()) r.ports.erase(it);
    }
    has_port_ = false;
  }
}

// Binds an unbound inet socket to an ephemeral port on "any" (or keeps its address).
int Socket::autobind(bool) {
  if (bound) return 0;
  SockAddr a = domain == LAF_INET ? SockAddr::inet4(0, 0) : SockAddr::inet6_any(0);
  SocketRegistry& r = reg_;
  const int span = kEphHi - kEphLo + 1;
  for (int i = 0; i < span; i++) {
    const uint16_t port = r.next_eph;
    r.next_eph = r.next_eph >= kEphHi ? kEphLo : (uint16_t)(r.next_eph + 1);
    if (!bound_at(r, proto_of(*this), port).empty()) continue;
    a.port = port;
    local = a;
    bound = true;
    has_port_ = true;
    r.ports[{proto_of(*this), port}].push_back(std::static_pointer_cast<Socket>(shared_from_this()));
    return 0;
  }
  return -LX_EADDRINUSE;
}

// ---- 3. Socket ----------------------------------------------------------------------------

uint64_t Socket::wait_timeout_ns(bool send) const {
  int64_t tv[2];  // struct timeval: seconds, microseconds
  memcpy(tv, send ? sndtimeo : rcvtimeo, sizeof tv);
  if (tv[0] < 0 || tv[1] < 0) return 0;
  return (uint64_t)tv[0] * 1000000000ull + (uint64_t)tv[1] * 1000ull;
}

Socket::Socket(SocketRegistry& reg, int d, int t, int proto) : domain(d), type(t), protocol(proto), reg_(reg) {
  ino_ = reg_.anon.next_ino();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  created_ = {(int64_t)ts.tv_sec, (int64_t)ts.tv_nsec};
  if (inet() && type == LSOCK_STREAM) { rcvbuf = 131072; sndbuf = 16384; }
  if (domain == LAF_UNIX) reg_.unix_live.insert(this);
}

Socket::~Socket() {
  if (domain == LAF_UNIX) reg_.unix_live.erase(this);
  // Names held by a socket that was never opened (or already closed) go with it.
  if (!closed_) drop_names();
}

void Socket::on_close(uint32_t) {
  if (--opens_ <= 0 && !closed_) close_now();
}

void Socket::close_now() {
  closed_ = true;
  drop_names();
  std::deque<std::shared_ptr<Socket>> pending;
  pending.swap(accq_);
  const bool embryo_or_unread = rq_bytes_ > 0 || !rq_.empty();
  if (connection_oriented()) {
    if (auto pr = peer_.lock()) {
      pr->peer_gone = true;
      // Linux resets the connection when unread data is thrown away (TCP RST; unix
      // sets ECONNRESET on the peer the same way).
      if (embryo_or_unread) pr->so_error = LX_ECONNRESET;
    }
  }
  std::deque<SockMsg> q;
  q.swap(rq_);
  rq_bytes_ = 0;
  state = Closed;
  // Connections nobody accepted: their clients see a reset.
  for (auto& e : pending) {
    if (auto c = e->peer_.lock()) { c->peer_gone = true; c->so_error = LX_ECONNRESET; }
    e->closed_ = true;
  }
  pending.clear();
  q.clear();  // may close other sockets (SCM_RIGHTS in flight)
  wake();
}

bool Socket::peer_alive() const {
  auto pr = peer_.lock();
  return pr && !pr->closed_ && !peer_gone;
}

size_t Socket::capacity() const { return (size_t)std::max<int32_t>(rcvbuf, 2048); }

int Socket::getattr(Stat& st) {
  st = Stat{};
  st.dev = reg_.anon.dev();
  st.ino = ino_;
  st.mode = LS_IFSOCK | 0777;
  st.nlink = 1;
  st.uid = owner.uid;
  st.gid = owner.gid;
  st.blksize = 4096;
  st.atime = st.mtime = st.ctime = created_;
  return 0;
}

int64_t Socket::read(uint64_t, void* buf, uint64_t n, uint32_t oflags) {
  RecvResult r;
  int64_t got = recv((size_t)n, 0, (oflags & LO_NONBLOCK) != 0, r);
  if (got < 0) return got;
  if (!r.data.empty()) memcpy(buf, r.data.data(), r.data.size());
  return (int64_t)r.data.size();
}

int64_t Socket::write(uint64_t, const void* buf, uint64_t n, uint32_t oflags) {
  return send((const uint8_t*)buf, (size_t)n, {}, owner, nullptr, 0, (oflags & LO_NONBLOCK) != 0);
}

uint32_t Socket::poll(uint32_t events) {
  uint32_t m = 0;
  if (state == Listening) {
    if (!accq_.empty()) m |= LPOLLIN | LPOLLRDNORM;
    return m & (events | LPOLLERR | LPOLLHUP);
  }
  if (syn_sent) syn_retry();
  if (syn_sent) return 0;  // SYN_SENT: neither readable nor writable yet
  if (net_opening) return 0;  // [net] the relay has not answered the CONNECT yet
  if (so_error) m |= LPOLLERR;
  auto pr = peer_.lock();
  const bool gone = !pr || pr->closed_ || peer_gone;
  if (connection_oriented()) {
    const bool connected = state == Connected && !(connect_pending && so_error);
    const bool rcv_shut = shut_rd || peer_shut_wr || (connected && gone);
    const bool snd_shut = shut_wr || (connected && gone) || (domain == LAF_UNIX && pr && pr->shut_rd);
    if (rcv_shut && snd_shut) m |= LPOLLHUP;
    if (rcv_shut) m |= LPOLLIN | LPOLLRDNORM | LPOLLRDHUP;
    if (!rq_.empty()) m |= LPOLLIN | LPOLLRDNORM;
    if (domain == LAF_UNIX) {
      if (!connected) m |= LPOLLHUP;
      // unix_writable(): what we queued at the peer is at most a quarter of sndbuf
      const size_t queued_at_peer = connected && pr ? pr->rq_bytes_ : 0;
      if (queued_at_peer * 4 <= (size_t)sndbuf || gone) m |= LPOLLOUT | LPOLLWRNORM | LPOLLWRBAND;
    } else {
      if (!connected) m |= LPOLLHUP;  // TCP_CLOSE (never connected, or refused / reset)
      if (connected && gone && so_error) m |= LPOLLHUP;
      const bool space = !connected || gone || !pr || pr->rq_bytes_ < pr->capacity();
      if (shut_wr || space) m |= LPOLLOUT | LPOLLWRNORM;
    }
  } else {
    if (!rq_.empty()) m |= LPOLLIN | LPOLLRDNORM;
    if (shut_rd) m |= LPOLLIN | LPOLLRDNORM | LPOLLRDHUP;
    if (shut_rd && shut_wr) m |= LPOLLHUP;
    bool writable = true;
    if (domain == LAF_UNIX && state == Connected && pr && !pr->closed_) writable = pr->rq_bytes_ < pr->capacity();
    if (writable) m |= LPOLLOUT | LPOLLWRNORM | LPOLLWRBAND;
  }
  return m & (events | LPOLLERR | LPOLLHUP);
}

int64_t Socket::readable_bytes(uint64_t) {
  if (state == Listening) return -LX_EINVAL;
  if (type == LSOCK_DGRAM) return rq_.empty() ? 0 : (int64_t)rq_.front().data.size();
  return (int64_t)rq_bytes_;
}

int64_t Socket::ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) {
  constexpr uint32_t kSIOCOUTQ = 0x5411, kSIOCINQ = 0x541b;
  if (req == kSIOCOUTQ || req == kSIOCINQ) {
    int64_t n = 0;
    if (req == kSIOCINQ) n = readable_bytes(0);
    else if (auto pr = peer_.lock()) n = connection_oriented() ? (int64_t)pr->rq_bytes_ : 0;
    if (n < 0) return n;
    int32_t v = (int32_t)n;
    return mem.copy_out(arg, &v, 4) ? 0 : -LX_EFAULT;
  }
  // Interface queries (struct ifreq: a 16-byte name, then a 24-byte union). The VM has
  // one interface, lo, index 1 (netlink.cpp says the same).
  constexpr uint32_t kSIOCGIFNAME = 0x8910, kSIOCGIFFLAGS = 0x8913, kSIOCGIFMTU = 0x8921, kSIOCGIFINDEX = 0x8933;
  if (req == kSIOCGIFNAME || req == kSIOCGIFFLAGS || req == kSIOCGIFMTU || req == kSIOCGIFINDEX) {
    uint8_t ifr[40];
    if (!mem.copy_in(ifr, arg, sizeof ifr)) return -LX_EFAULT;
    int32_t v = 0;
    if (req == kSIOCGIFNAME) {
      memcpy(&v, ifr + 16, 4);
      if (v != 1) return -LX_ENODEV;
      memset(ifr, 0, 16);
      memcpy(ifr, "lo", 3);
      return mem.copy_out(arg, ifr, 16) ? 0 : -LX_EFAULT;
    }
    if (strncmp((const char*)ifr, "lo", 16) != 0) return -LX_ENODEV;
    if (req == kSIOCGIFINDEX) v = 1;
    else if (req == kSIOCGIFMTU) v = 65536;
    else v = 0x1 | 0x8 | 0x40;  // IFF_UP | IFF_LOOPBACK | IFF_RUNNING (the short ifr_flags)
    const size_t n = req == kSIOCGIFFLAGS ? 2 : 4;
    return mem.copy_out(arg + 16, &v, n) ? 0 : -LX_EFAULT;
  }
  return -LX_ENOTTY;
}

// ---- 4. bind / listen / connect / accept ---------------------------------------------

int Socket::bind(const SockAddr& a0) {
  if (domain == LAF_NETLINK) {  // port id 0 asks for one: the creator's pid, as Linux gives first
    if (bound && a0.nl_pid && a0.nl_pid != local.nl_pid) return -LX_EINVAL;
    local = a0;
    if (!local.nl_pid) local.nl_pid = (uint32_t)owner.pid;
    bound = true;
    return 0;
  }
  if (bound) return -LX_EINVAL;
  SocketRegistry& r = reg_;
  if (domain == LAF_UNIX) {
    SockAddr a = a0;
    if (a.kind == SockAddr::Unnamed) {  // autobind: an abstract name of 5 hex digits
      for (int i = 0; i < 0x100000; i++) {
        char name[8];
        snprintf(name, sizeof name, "%05x", (r.next_autobind++) & 0xfffff);
        if (!reg_.find_unix_abstract(name)) { a.kind = SockAddr::Abstract; a.path = name; break; }
      }
      if (a.kind != SockAddr::Abstract) return -LX_ENOSPC;
    }
    if (a.kind != SockAddr::Abstract) return -LX_EINVAL;  // paths: bind_path
    if (reg_.find_unix_abstract(a.path)) return -LX_EADDRINUSE;
    r.abstract[a.path] = std::static_pointer_cast<Socket>(shared_from_this());
    local = a;
    bound = true;
    return 0;
  }
  SockAddr a = a0;
  a.family = domain;
  if (domain == LAF_INET6 && a.is_v4mapped() && v6only) return -LX_EINVAL;
  if (!a.local()) return -LX_EADDRNOTAVAIL;
  if (a.port == 0) {
    SockAddr keep = a;
    int e = autobind(false);
    if (e < 0) return e;
    const uint16_t port = local.port;
    local = keep;
    local.port = port;
    return 0;
  }
  int e = port_conflict(reg_, *this, a);
  if (e < 0) return e;
  local = a;
  bound = true;
  has_port_ = true;
  r.ports[{proto_of(*this), a.port}].push_back(std::static_pointer_cast<Socket>(shared_from_this()));
  return 0;
}

int Socket::bind_path(const SockAddr& a, const FileSystem* fs, uint64_t ino) {
  if (bound) return -LX_EINVAL;
  auto cur = reg_.find_unix_path(fs, ino);
  if (cur) return -LX_EADDRINUSE;
  reg_.paths[{fs, ino}] = std::static_pointer_cast<Socket>(shared_from_this());
  has_path_key_ = true;
  path_key_ = {fs, ino};
  local = a;
  local.family = LAF_UNIX;
  local.kind = SockAddr::Path;
  bound = true;
  return 0;
}

int Socket::listen(int bl) {
  if (!connection_oriented()) return -LX_EOPNOTSUPP;
  if (state == Connected || state == Closed) return -LX_EINVAL;
  if (domain == LAF_UNIX && !bound) return -LX_EINVAL;
  if (inet() && !bound) {
    int e = autobind(false);
    if (e < 0) return e;
  }
  if (bl < 0) bl = 0;
  if (bl > 4096) bl = 4096;
  backlog = bl;
  state = Listening;
  wake();
  return 0;
}

void Socket::link_pair(const std::shared_ptr<Socket>& a, const std::shared_ptr<Socket>& b) {
  a->peer_ = b;
  b->peer_ = a;
  a->state = b->state = Connected;
}

int Socket::connect(const SockAddr& a0, bool nonblock, const SockCred& me, std::shared_ptr<Socket> target) {
  if (a0.family == LAF_UNSPEC && !connection_oriented()) {  // dissolve the association
    peer_.reset();
    has_peer_addr = false;
    if (state == Connected) state = Unconnected;
    return 0;
  }
  if (domain == LAF_NETLINK) {  // the default destination: only the kernel (0) answers
    if (a0.nl_pid != 0) return -LX_ECONNREFUSED;
    if (!bound) bind(SockAddr{LAF_NETLINK});
    peer_addr = a0;
    has_peer_addr = true;
    return 0;
  }
  if (connection_oriented()) {
    if (net_id && reg_.net) {  // [net] an outbound connect in progress (net_out.cpp)
      bool mine = false;
      const int r = reg_.net->connect_again(*this, nonblock, &mine);
      if (mine) return r;
    }
    if (connect_pending && syn_sent) {  // still waiting for room in the accept queue
      syn_retry();
      if (syn_sent) return -LX_EALREADY;
    }
    if (connect_pending) {  // the second connect() after EINPROGRESS
      connect_pending = false;
      if (state != Connected) {
        const int e = take_error();
        return e ? -e : -LX_ECONNABORTED;
      }
      return 0;
    }
    if (state == Connected) return -LX_EISCONN;
    if (state == Listening) return inet() ? -LX_EISCONN : -LX_EINVAL;
    if (state == Closed) return inet() ? -LX_EISCONN : -LX_EINVAL;
  }
  if (domain == LAF_UNIX) {
    if (!target && a0.kind == SockAddr::Abstract) target = reg_.find_unix_abstract(a0.path);
    if (!target || target->closed_) return -LX_ECONNREFUSED;
    if (target->type != type) return -LX_EPROTOTYPE;
    if (!connection_oriented()) {
      peer_ = target;
      peer_addr = target->local;
      has_peer_addr = true;
      state = Connected;
      return 0;
    }
    if (target->state != Listening) return -LX_ECONNREFUSED;
    if (target->accq_.size() > (size_t)target->backlog) return nonblock ? -LX_EAGAIN : kBlock;
    auto s = std::make_shared<Socket>(reg_, domain, type, protocol);
    s->owner = target->owner;
    s->local = target->local;
    s->bound = target->bound;
    s->peer_addr = bound ? local : SockAddr{};
    s->peer_addr.family = LAF_UNIX;
    s->has_peer_addr = true;
    s->peer_cred = me;
    s->has_peer_cred = true;
    s->passcred = target->passcred;
    peer_addr = target->local;
    has_peer_addr = true;
    peer_cred = target->owner;
    has_peer_cred = true;
    link_pair(std::static_pointer_cast<Socket>(shared_from_this()), s);
    target->accq_.push_back(s);
    wake();
    return 0;
  }
  // inet
  SockAddr d = a0;
  if (domain == LAF_INET6 && d.is_v4mapped() && v6only) return -LX_ENETUNREACH;
  if (!d.local()) {  // [net] outside: through the relay (net_out.cpp), if there is one
    if (!reg_.net) return -LX_ENETUNREACH;
    d.family = domain;
    if (d.port == 0 && connection_oriented()) return -LX_ECONNREFUSED;
    if (connection_oriented()) return reg_.net->connect(*this, d, nonblock);
    int e = autobind(false);
    if (e < 0) return e;
    if (local.is_any()) { const uint16_t port = local.port; local = NetOut::source_for(d, domain); local.port = port; }
    peer_addr = d;
    has_peer_addr = true;
    state = Connected;
    return 0;
  }
  if (d.is_any()) { const uint16_t port = d.port; d = loopback_for(d, domain); d.port = port; }
  d.family = domain;
  if (d.port == 0 && connection_oriented()) return -LX_ECONNREFUSED;
  int e = autobind(false);
  if (e < 0) return e;
  if (local.is_any()) {  // the source address of a loopback route
    const uint16_t port = local.port;
    local = loopback_for(d, domain);
    local.port = port;
  }
  if (!connection_oriented()) {  // UDP: remember the default destination
    peer_addr = d;
    has_peer_addr = true;
    state = Connected;
    return 0;
  }
  std::shared_ptr<Socket> lst = tcp_listener(d);
  if (!lst) {
    if (nonblock) {  // Linux reports the refusal through SO_ERROR after EINPROGRESS
      so_error = LX_ECONNREFUSED;
      connect_pending = true;
      wake();
      return -LX_EINPROGRESS;
    }
    return -LX_ECONNREFUSED;
  }
  if (lst->accq_.size() > (size_t)lst->backlog) {
    // The listener's accept queue is full: Linux drops the SYN and the client sends it
    // again later. A blocking connect waits for room; a non-blocking one is in progress
    // (not writable) until an accept makes room (syn_retry, from poll and connect).
    syn_sent = true;
    syn_dest = d;
    syn_cred = me;
    if (nonblock) {
      connect_pending = true;
      return -LX_EINPROGRESS;
    }
    return kBlock;
  }
  syn_sent = false;
  tcp_join(lst, d, me);
  if (nonblock) {
    connect_pending = true;
    return -LX_EINPROGRESS;
  }
  return 0;
}

std::shared_ptr<Socket> Socket::tcp_listener(const SockAddr& d) {
  for (auto& s : bound_at(reg_, LIPPROTO_TCP, d.port))
    if (s->state == Listening && !s->closed_ && accepts(*s, d)) return s;
  return nullptr;
}

void Socket::syn_retry() {
  if (!syn_sent || state == Connected) return;
  std::shared_ptr<Socket> lst = tcp_listener(syn_dest);
  if (!lst) {  // the listener went: the retransmitted SYN draws a reset
    syn_sent = false;
    so_error = LX_ECONNREFUSED;
    return;
  }
  if (lst->accq_.size() > (size_t)lst->backlog) return;
  syn_sent = false;
  tcp_join(lst, syn_dest, syn_cred);
}

// The handshake completed: a connected socket for `lst`'s accept queue, linked to us.
void Socket::tcp_join(const std::shared_ptr<Socket>& lst, const SockAddr& d, const SockCred& me) {
  auto s = std::make_shared<Socket>(reg_, lst->domain, type, protocol);
  s->owner = lst->owner;
  s->local = d;
  s->local.family = lst->domain;
  s->bound = true;
  s->peer_addr = local;
  s->has_peer_addr = true;
  s->peer_cred = me;
  s->has_peer_cred = true;
  s->nodelay = lst->nodelay;
  s->keepalive = lst->keepalive;
  s->rcvbuf = lst->rcvbuf;
  s->sndbuf = lst->sndbuf;
  peer_addr = d;
  has_peer_addr = true;
  peer_cred = lst->owner;
  has_peer_cred = true;
  link_pair(std::static_pointer_cast<Socket>(shared_from_this()), s);
  lst->accq_.push_back(s);
  wake();
}

int Socket::accept(bool nonblock, std::shared_ptr<Socket>& out) {
  if (state != Listening) return -LX_EINVAL;
  if (accq_.empty()) return nonblock ? -LX_EAGAIN : kBlock;
  out = accq_.front();
  accq_.pop_front();
  wake();  // a connect waiting for backlog space
  return 0;
}

void Socket::unaccept(std::shared_ptr<Socket> s) { accq_.push_front(std::move(s)); }

// ---- 5. send / recv / shutdown ---------------------------------------------------------

int64_t Socket::deliver_dgram(Socket& to, const uint8_t* data, size_t n, std::vector<FileRef>& fds,
                              const SockCred& cred, bool nonblock, bool drop_when_full) {
  if (to.rq_bytes_ + n > to.capacity() && !to.rq_.empty()) {
    if (drop_when_full) return (int64_t)n;
    return nonblock ? -LX_EAGAIN : kBlock;
  }
  SockMsg m;
  m.data.assign(data, data + n);
  m.fds = std::move(fds);
  m.cred = cred;
  m.from = bound ? local : SockAddr{};
  if (domain == LAF_UNIX) { m.from.family = LAF_UNIX; if (!bound) m.from.kind = SockAddr::Unnamed; }
  to.rq_bytes_ += n;
  to.rq_.push_back(std::move(m));
  wake();
  return (int64_t)n;
}

int64_t Socket::send(const uint8_t* data, size_t n, std::vector<FileRef> fds, const SockCred& cred,
                     const SockAddr* to, uint32_t flags, bool nonblock, std::shared_ptr<Socket> target,
                     const SockIpFields& ip) {
  if (domain == LAF_NETLINK) {
    if (to && to->nl_pid != 0) return -LX_ECONNREFUSED;  // only the kernel listens here
    if (!bound) bind(SockAddr{LAF_NETLINK});                // autobind, as the first send does
    return netlink_send(data, n);
  }
  if (connection_oriented()) {
    if (to && domain == LAF_UNIX) return state == Connected ? -LX_EISCONN : -LX_EOPNOTSUPP;
    if (so_error) return -take_error();
    if (shut_wr) return -LX_EPIPE;
    if (state != Connected || connect_pending) {
      if (state == Connected && connect_pending) connect_pending = false;  // completed
      else return inet() ? -LX_EPIPE : -LX_ENOTCONN;
    }
    auto pr = peer_.lock();
    if (!pr || pr->closed_ || peer_gone) {
      // TCP: the first write after the peer closed still goes out (the peer answers with
      // a reset); a zero-length one never fails. Later writes get EPIPE. AF_UNIX: EPIPE.
      if (domain == LAF_UNIX || reset_seen) return -LX_EPIPE;
      if (n == 0) return 0;
      reset_seen = true;
      return (int64_t)n;
    }
    if (pr->shut_rd) {
      if (domain == LAF_UNIX) return -LX_EPIPE;
      return (int64_t)n;  // TCP: the peer throws it away
    }
    if (type == LSOCK_STREAM && n == 0) return 0;
    const size_t cap = pr->capacity();
    if (type == LSOCK_SEQPACKET) {
      if (n > cap) return -LX_EMSGSIZE;
      if (pr->rq_bytes_ + n > cap && !pr->rq_.empty()) return nonblock ? -LX_EAGAIN : kBlock;
    }
    size_t k = n;
    if (type == LSOCK_STREAM) {
      const size_t space = pr->rq_bytes_ < cap ? cap - pr->rq_bytes_ : 0;
      if (space == 0) return nonblock ? -LX_EAGAIN : kBlock;
      k = std::min(n, space);
    }
    SockMsg m;
    m.data.assign(data, data + k);
    m.fds = std::move(fds);
    m.cred = cred;
    pr->rq_bytes_ += k;
    pr->rq_.push_back(std::move(m));
    wake();
    return (int64_t)k;
  }
  // datagrams
  if (shut_wr) return -LX_EPIPE;
  if (so_error) return -take_error();
  if (domain == LAF_UNIX) {
    if (n > (size_t)std::max<int32_t>(sndbuf, 2048) - 32) return -LX_EMSGSIZE;
    std::shared_ptr<Socket> t = target;
    if (!to) {
      if (state != Connected) return -LX_ENOTCONN;
      t = peer_.lock();
    } else if (!t && to->kind == SockAddr::Abstract) {
      t = reg_.find_unix_abstract(to->path);
    }
    if (!t || t->closed_) return -LX_ECONNREFUSED;
    if (t->type != type) return -LX_EPROTOTYPE;
    if (t->state == Connected && t->peer_.lock().get() != this) return -LX_EPERM;
    return deliver_dgram(*t, data, n, fds, cred, nonblock, false);
  }
  // UDP
  if (n > kUdpMax) return -LX_EMSGSIZE;
  SockAddr d;
  if (to && to->family != LAF_UNSPEC) {
    d = *to;
  } else {
    if (!has_peer_addr) return -LX_EDESTADDRREQ;
    d = peer_addr;
  }
  if (domain == LAF_INET6 && d.is_v4mapped() && v6only) return -LX_ENETUNREACH;
  if (!d.local()) {  // [net] outside: a Wisp UDP stream, or the DNS stub (net_out.cpp)
    if (!reg_.net) return -LX_ENETUNREACH;
    if (d.port == 0) return -LX_EINVAL;
    int e = autobind(false);
    if (e < 0) return e;
    return reg_.net->udp_send(*this, d, data, n);
  }
  if (d.is_any()) { const uint16_t port = d.port; d = loopback_for(d, domain); d.port = port; }
  if (d.port == 0) return -LX_EINVAL;
  int e = autobind(false);
  if (e < 0) return e;
  SockAddr src = local;
  if (src.is_any()) { const uint16_t port = local.port; src = loopback_for(d, domain); src.port = port; }
  for (auto& s : bound_at(reg_, protocol, d.port)) {
    if (s->closed_ || !accepts(*s, d)) continue;
    if (s->has_peer_addr && (memcmp(s->peer_addr.ip, src.ip, 16) != 0 || s->peer_addr.port != src.port)) continue;
    if (s->shut_rd) return (int64_t)n;
    if (s->rq_bytes_ + n > s->capacity() && !s->rq_.empty()) return (int64_t)n;  // dropped, as UDP does
    SockMsg m;
    m.data.assign(data, data + n);
    m.cred = cred;
    m.from = src;
    m.ip = ip;
    s->rq_bytes_ += n;
    s->rq_.push_back(std::move(m));
    wake();
    return (int64_t)n;
  }
  // [net] glibc's default resolver (no nameserver in resolv.conf) is 127.0.0.1:53: with a
  // relay and no guest server there, the engine's DNS stub answers (net_out.cpp).
  if (reg_.net && d.port == 53) return reg_.net->dns_query(*this, d, data, n);
  return (int64_t)n;  // nobody bound there: the datagram is lost
}

int64_t Socket::recv(size_t n, uint32_t flags, bool nonblock, RecvResult& out) {
  const bool peek = flags & LMSG_PEEK;
  out = RecvResult{};
  if (state == Listening) return inet() ? -LX_ENOTCONN : -LX_EINVAL;
  if (connection_oriented()) {
    if (state != Connected || (connect_pending && so_error)) {
      if (so_error) return -take_error();
      if (state == Closed && rq_.empty()) return 0;
      if (state != Connected) return (domain == LAF_UNIX && type == LSOCK_STREAM) ? -LX_EINVAL : -LX_ENOTCONN;
    }
    const bool eof = shut_rd || peer_shut_wr || !peer_alive();
    if (rq_.empty()) {
      if (so_error) return -take_error();
      if (eof) return 0;
      return nonblock ? -LX_EAGAIN : kBlock;
    }
    if (type == LSOCK_SEQPACKET) goto one_message;
    if (n == 0) return 0;
    if ((flags & LMSG_WAITALL) && !peek && !eof && !nonblock && rq_bytes_ < std::min(n, capacity())) return kBlock;
    {
      size_t copied = 0;
      out.has_cred = passcred;
      out.cred = rq_.front().cred;
      out.from = peer_addr;
      out.has_from = domain == LAF_UNIX;
      for (size_t i = 0; i < rq_.size() && copied < n;) {
        SockMsg& m = rq_[i];
        if (copied && !m.fds.empty()) break;
        const size_t k = std::min(m.left(), n - copied);
        out.data.insert(out.data.end(), m.data.begin() + (long)m.off, m.data.begin() + (long)(m.off + k));
        copied += k;
        const bool had_fds = !m.fds.empty();
        if (had_fds) {
          if (peek) out.fds = m.fds;
          else out.fds = std::move(m.fds);
        }
        if (!peek) {
          m.off += k;
          rq_bytes_ -= k;
          if (m.left() == 0) rq_.erase(rq_.begin() + (long)i);
          else i++;
        } else {
          i++;
        }
        if (had_fds) break;
      }
      if (!peek) wake();
      out.full_len = copied;
      return (int64_t)copied;
    }
  }
  // datagrams
  if (domain == LAF_NETLINK && so_error) return -take_error();  // an overrun is reported first
  if (rq_.empty()) {
    if (so_error) return -take_error();
    if (shut_rd) return 0;
    return nonblock ? -LX_EAGAIN : kBlock;
  }
one_message : {
  SockMsg& m = rq_.front();
  const size_t k = std::min(n, m.data.size());
  out.data.assign(m.data.begin(), m.data.begin() + (long)k);
  out.full_len = m.data.size();
  if (k < m.data.size()) out.msg_flags |= LMSG_TRUNC;
  out.has_cred = passcred;
  out.cred = m.cred;
  out.from = m.from;
  out.has_from = true;
  out.ip = m.ip;
  if (type == LSOCK_SEQPACKET) out.from = peer_addr;
  if (peek) {
    out.fds = m.fds;
  } else {
    out.fds = std::move(m.fds);
    rq_bytes_ -= m.data.size();
    rq_.pop_front();
    wake();
  }
  return (int64_t)k;
}
}

int Socket::shutdown(int how) {
  if (how < LSHUT_RD || how > LSHUT_RDWR) return -LX_EINVAL;
  if (connection_oriented() && state != Connected) return -LX_ENOTCONN;
  if (inet() && !connection_oriented() && state != Connected) return -LX_ENOTCONN;
  auto pr = peer_.lock();
  if (how != LSHUT_WR) shut_rd = true;
  if (how != LSHUT_RD) {
    shut_wr = true;
    if (pr && connection_oriented()) pr->peer_shut_wr = true;
  }
  wake();
  return 0;
}

// ---- 6. construction ------------------------------------------------------------------

constexpr int kIpprotoUdplite = 136;

int socket_create(SocketRegistry& reg, int domain, int type, int protocol, const SockCred& owner,
                  std::shared_ptr<Socket>& out) {
  if (domain != LAF_UNIX && domain != LAF_INET && domain != LAF_INET6 && domain != LAF_NETLINK)
    return -LX_EAFNOSUPPORT;
  if (type < 1 || type > 10) return -LX_EINVAL;
  if (domain == LAF_NETLINK) {  // NETLINK_ROUTE only (netlink.cpp)
    if (type != LSOCK_RAW && type != LSOCK_DGRAM) return -LX_ESOCKTNOSUPPORT;
    if (protocol != 0) return -LX_EPROTONOSUPPORT;
  } else if (domain == LAF_UNIX) {
    if (type != LSOCK_STREAM && type != LSOCK_DGRAM && type != LSOCK_SEQPACKET) return -LX_ESOCKTNOSUPPORT;
    if (protocol != 0 && protocol != LAF_UNIX) return -LX_EPROTONOSUPPORT;
    protocol = 0;
  } else {
    if (type == LSOCK_STREAM) {
      if (protocol != 0 && protocol != LIPPROTO_TCP) return -LX_EPROTONOSUPPORT;
      protocol = LIPPROTO_TCP;
    } else if (type == LSOCK_DGRAM) {
      // [net] ICMP echo sockets (ping): net.ipv4.ping_group_range defaults to "1 0", no group.
      if ((domain == LAF_INET && protocol == 1) || (domain == LAF_INET6 && protocol == 58)) return -LX_EACCES;
      if (protocol != 0 && protocol != LIPPROTO_UDP && protocol != kIpprotoUdplite) return -LX_EPROTONOSUPPORT;
      if (protocol == 0) protocol = LIPPROTO_UDP;
    } else if (type == LSOCK_RAW) {
      return -LX_EPERM;  // [net] raw sockets need CAP_NET_RAW (the VM grants none)
    } else {
      return -LX_ESOCKTNOSUPPORT;
    }
  }
  out = std::make_shared<Socket>(reg, domain, type, protocol);
  out->owner = owner;
  return 0;
}

int socket_pair(SocketRegistry& reg, int domain, int type, int protocol, const SockCred& owner,
                std::shared_ptr<Socket>& a, std::shared_ptr<Socket>& b) {
  if (domain == LAF_INET || domain == LAF_INET6 || domain == LAF_NETLINK) {
    std::shared_ptr<Socket> probe;
    int e = socket_create(reg, domain, type, protocol, owner, probe);
    return e < 0 ? e : -LX_EOPNOTSUPP;
  }
  int e = socket_create(reg, domain, type, protocol, owner, a);
  if (e < 0) return e;
  socket_create(reg, domain, type, protocol, owner, b);
  Socket::link_pair(a, b);
  for (auto* s : {a.get(), b.get()}) {
    s->peer_addr = SockAddr{};
    s->peer_addr.family = LAF_UNIX;
    s->has_peer_addr = true;
    s->peer_cred = owner;
    s->has_peer_cred = true;
  }
  return 0;
}

Socket* as_socket(Inode* n) { return dynamic_cast<Socket*>(n); }

}  // namespace gb

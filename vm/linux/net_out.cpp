// vm/linux/net_out.cpp — outbound TCP/UDP through a Wisp relay and the DNS stub (net_out.h).
//
// Index
//   1. helpers (clock, addresses)
//   2. NetOut: construction, the link
//   3. TCP: connect, confirmation, failure
//   4. UDP and the DNS stub
//   5. pump: frames out (credit), frames in, timeouts
#include "vm/linux/net_out.h"

#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "vm/linux/kernel.h"
#include "vm/linux/socket.h"
#include "vm/linux/wisp.h"

namespace gb {

// ---- 1. helpers ------------------------------------------------------------------------------
namespace {
uint64_t mono_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
uint32_t v4_of(const SockAddr& d) {
  return (uint32_t)d.ip[12] << 24 | (uint32_t)d.ip[13] << 16 | (uint32_t)d.ip[14] << 8 | d.ip[15];
}
constexpr uint32_t kFakeBase = 0xc6120000;  // 198.18.0.0/15
constexpr uint32_t kFakeCount = 1u << 17;
constexpr uint32_t kDnsAddr = 0x0affff35;   // 10.255.255.53
constexpr uint32_t kOwnAddr = 0x0a00020f;   // 10.0.2.15: the VM's outside address
}  // namespace

struct NetOut::Stream {
  uint32_t id = 0;
  bool tcp = true;
  std::weak_ptr<Socket> guest;
  std::shared_ptr<Socket> remote;  // TCP: the far end of the guest's socket
  SockAddr dest;                   // UDP: the destination this stream carries
  bool opening = true;             // TCP: not confirmed yet
  bool blocking_connect = false;   // a blocking connect() waits for the outcome
  uint64_t grace_at = 0, deadline = 0;
  uint32_t credit = 0;
};

// ---- 2. NetOut -----------------------------------------------------------------------------
NetOut::NetOut(SocketRegistry& reg, NetOptions o) : reg_(reg), o_(std::move(o)) {}
NetOut::~NetOut() = default;

void Kernel::enable_net(const NetOptions& opts) {
  if (opts.relay.empty()) return;
  net = std::make_unique<NetOut>(*sockets, opts);
  sockets->net = net.get();
  net->online();  // opens the link now: the page shows online/offline before the first connect
}

bool NetOut::is_dns(const SockAddr& d) { return d.is_v4mapped() && v4_of(d) == kDnsAddr && d.port == 53; }

SockAddr NetOut::source_for(const SockAddr& d, int domain) {
  SockAddr s = SockAddr::inet4(kOwnAddr, 0);
  s.family = domain;
  if (!d.is_v4mapped()) {  // IPv6 destinations: a unique-local address of our own
    s = SockAddr{};
    s.family = domain;
    const uint8_t ula[16] = {0xfd, 0x67, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f};
    memcpy(s.ip, ula, 16);
  }
  return s;
}

WispLink* NetOut::link() {
  if (link_failed_) return nullptr;
  if (!link_) {
    std::string err;
    link_ = make_wisp_link(o_.relay, &err);
    if (!link_) {
      // Said once, on the engine's stderr (the browser's console): the guest itself only
      // sees ENETUNREACH, as on a machine whose network is down.
      fprintf(stderr, "glassbox: the network relay %s cannot be used: %s; the machine has no network\n",
              o_.relay.c_str(), err.empty() ? "unknown error" : err.c_str());
      link_failed_ = true;
      return nullptr;
    }
  }
  return link_.get();
}

bool NetOut::online() {
  WispLink* l = link();
  return l && l->state() == WispLink::Up;
}

std::string NetOut::host_for(const SockAddr& d) const {
  if (d.is_v4mapped()) {
    const uint32_t a = v4_of(d);
    if (a - kFakeBase < kFakeCount) {
      auto it = name_of_.find(a);
      if (it != name_of_.end()) return it->second;
    }
    char b[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, d.ip + 12, b, sizeof b);
    return b;
  }
  char b[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, d.ip, b, sizeof b);
  return b;
}

// ---- 3. TCP --------------------------------------------------------------------------------
int NetOut::connect(Socket& s, const SockAddr& d, bool nonblock) {
  WispLink* l = link();
  if (!l || l->state() == WispLink::Down) return -LX_ENETUNREACH;
  if ((int)streams_.size() >= o_.max_streams) return -LX_EADDRNOTAVAIL;
  int e = s.autobind(false);
  if (e < 0) return e;
  const uint16_t port = s.local.port;
  s.local = source_for(d, s.domain);
  s.local.port = port;
  auto st = std::make_unique<Stream>();
  st->id = next_id_++;
  st->tcp = true;
  st->guest = std::static_pointer_cast<Socket>(s.shared_from_this());
  st->remote = std::make_shared<Socket>(reg_, s.domain, s.type, s.protocol);
  st->remote->state = Socket::Connected;
  st->remote->local = d;
  st->credit = initial_credit_;
  const uint64_t now = mono_ns();
  st->deadline = now + (uint64_t)o_.connect_timeout_ms * 1000000ull;
  st->grace_at = relay_confirms_ ? 0 : now + (uint64_t)o_.open_grace_ms * 1000000ull;
  st->blocking_connect = !nonblock;
  s.peer_addr = d;
  s.peer_addr.family = s.domain;
  s.has_peer_addr = true;
  s.net_id = st->id;
  s.net_opening = true;
  s.connect_pending = nonblock;
  l->send(wisp::connect_frame(st->id, wisp::kTcp, d.port, host_for(d)));
  streams_[st->id] = std::move(st);
  pump();
  if (!s.net_opening) {  // answered at once (or the link went down)
    bool mine = false;
    const int r = connect_again(s, nonblock, &mine);
    if (nonblock && r == 0) { s.connect_pending = true; return -LX_EINPROGRESS; }
    return r;
  }
  if (nonblock) return -LX_EINPROGRESS;
  const Stream& w = *streams_[s.net_id];
  reg_.anon.waits.note_deadline(w.grace_at ? std::min(w.grace_at, w.deadline) : w.deadline);
  return kBlock;
}

int NetOut::connect_again(Socket& s, bool nonblock, bool* mine) {
  *mine = false;
  auto it = streams_.find(s.net_id);
  Stream* st = it == streams_.end() ? nullptr : it->second.get();
  if (s.net_opening && st) {
    *mine = true;
    if (nonblock || !st->blocking_connect) return -LX_EALREADY;
    reg_.anon.waits.note_deadline(st->grace_at ? std::min(st->grace_at, st->deadline) : st->deadline);
    return kBlock;
  }
  if (!s.net_blocking_result) return 0;
  // The outcome of a blocking connect() that parked.
  *mine = true;
  s.net_blocking_result = false;
  if (s.state == Socket::Connected) return 0;
  const int e = s.take_error();
  return e ? -e : -LX_ECONNREFUSED;
}

void NetOut::opened(Stream& st) {
  st.opening = false;
  auto g = st.guest.lock();
  if (!g) return;
  g->net_opening = false;
  g->net_blocking_result = st.blocking_connect;
  Socket::link_pair(g, st.remote);
  g->state = Socket::Connected;
  reg_.anon.waits.wake();
}

void NetOut::open_failed(Stream& st, int err) {
  st.opening = false;
  if (auto g = st.guest.lock()) {
    g->net_opening = false;
    g->net_blocking_result = st.blocking_connect;
    g->so_error = err;
    g->has_peer_addr = false;
  }
  reg_.anon.waits.wake();
}

// Ends stream `id`: tells the relay (send_close) and forgets it.
void NetOut::finish(uint32_t id, uint8_t reason, bool send_close) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  if (send_close && link_ && link_->state() != WispLink::Down) link_->send(wisp::close_frame(id, reason));
  if (it->second->remote) it->second->remote->closed_ = true;
  streams_.erase(it);
  reg_.anon.waits.wake();
}

// ---- 4. UDP and the DNS stub ---------------------------------------------------------------
int64_t NetOut::udp_send(Socket& s, const SockAddr& d, const uint8_t* p, size_t n) {
  if (is_dns(d)) return dns_answer(s, d, p, n);
  WispLink* l = link();
  if (!l || l->state() == WispLink::Down) return -LX_ENETUNREACH;
  Stream* st = nullptr;
  for (auto& [id, x] : streams_)
    if (!x->tcp && x->guest.lock().get() == &s && memcmp(x->dest.ip, d.ip, 16) == 0 && x->dest.port == d.port) {
      st = x.get();
      break;
    }
  if (!st) {
    if ((int)streams_.size() >= o_.max_streams) return -LX_EADDRNOTAVAIL;
    auto ns = std::make_unique<Stream>();
    ns->id = next_id_++;
    ns->tcp = false;
    ns->opening = false;
    ns->guest = std::static_pointer_cast<Socket>(s.shared_from_this());
    ns->dest = d;
    l->send(wisp::connect_frame(ns->id, wisp::kUdp, d.port, host_for(d)));
    st = ns.get();
    streams_[ns->id] = std::move(ns);
  }
  l->send(wisp::data_frame(st->id, p, n));  // UDP streams have no credit
  return (int64_t)n;
}

// Answers one DNS query (RFC 1035) on the guest socket: A gets a fake address that
// connect() maps back to the name; AAAA and other types an empty answer (the guest
// then uses IPv4); malformed queries FORMERR.
int64_t NetOut::dns_answer(Socket& s, const SockAddr& d, const uint8_t* q, size_t n) {
  if (n < 12) return (int64_t)n;  // not even a header: dropped, as a server would
  std::vector<uint8_t> r(q, q + n);
  r[2] = 0x80 | (q[2] & 0x01);  // QR, RD copied
  r[3] = 0x80;                  // RA, NOERROR
  for (int i = 6; i < 12; i++) r[i] = 0;  // ANCOUNT, NSCOUNT, ARCOUNT
  std::string name;
  size_t i = 12;
  bool ok = q[4] == 0 && q[5] == 1;
  while (ok && i < n && q[i]) {
    const size_t len = q[i];
    if (len > 63 || i + 1 + len >= n) { ok = false; break; }
    if (!name.empty()) name.push_back('.');
    for (size_t k = 0; k < len; k++) name.push_back((char)tolower(q[i + 1 + k]));
    i += 1 + len;
  }
  if (ok && i + 5 <= n) {
    const uint16_t qtype = (uint16_t)(q[i + 1] << 8 | q[i + 2]);
    r.resize(i + 5);  // header + the question (drops an EDNS OPT record)
    r[10] = r[11] = 0;
    if (qtype == 1 && !name.empty()) {
      uint32_t a;
      auto it = addr_of_.find(name);
      if (it != addr_of_.end()) {
        a = it->second;
      } else {
        a = kFakeBase + (next_fake_++ % kFakeCount);
        if (auto old = name_of_.find(a); old != name_of_.end()) addr_of_.erase(old->second);
        addr_of_[name] = a;
        name_of_[a] = name;
      }
      const uint8_t ans[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
                               (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
      r.insert(r.end(), ans, ans + 16);
      r[7] = 1;
    }
  } else {
    r.resize(12);
    r[3] = 0x81;  // FORMERR
    r[4] = r[5] = 0;
  }
  if (s.rq_bytes_ + r.size() > s.capacity() && !s.rq_.empty()) return (int64_t)n;
  SockMsg m;
  m.data = std::move(r);
  m.from = d;
  m.from.family = s.domain;
  s.rq_bytes_ += m.data.size();
  s.rq_.push_back(std::move(m));
  reg_.anon.waits.wake();
  return (int64_t)n;
}

// ---- 5. pump ---------------------------------------------------------------------------------
void NetOut::flush_out(Stream& st) {
  Socket& r = *st.remote;
  bool sent = false;
  while (!r.rq_.empty() && st.credit > 0) {
    std::vector<uint8_t> buf;
    while (!r.rq_.empty() && buf.size() < kMaxFrame) {
      SockMsg& m = r.rq_.front();
      const size_t k = std::min(m.left(), kMaxFrame - buf.size());
      buf.insert(buf.end(), m.data.begin() + (long)m.off, m.data.begin() + (long)(m.off + k));
      m.off += k;
      r.rq_bytes_ -= k;
      if (m.left() == 0) r.rq_.pop_front();
    }
    link_->send(wisp::data_frame(st.id, buf.data(), buf.size()));
    st.credit--;
    sent = true;
  }
  if (sent) reg_.anon.waits.wake();
}

bool NetOut::deliver(const std::vector<uint8_t>& bytes) {
  wisp::Frame f;
  if (!wisp::parse(bytes.data(), bytes.size(), f)) return true;  // malformed: dropped
  if (f.stream == 0) {
    if (f.type == wisp::kContinue) { initial_credit_ = f.credit; have_credit_ = true; }
    return true;
  }
  auto it = streams_.find(f.stream);
  if (it == streams_.end()) return true;  // a stream we ended already
  Stream& st = *it->second;
  auto g = st.guest.lock();
  switch (f.type) {
    case wisp::kContinue:
      st.credit = f.credit;
      if (st.tcp && st.opening) { relay_confirms_ = true; opened(st); }
      return true;
    case wisp::kData: {
      if (st.tcp && st.opening) opened(st);
      if (!g || g->closed_) return true;
      if (st.tcp && g->rq_bytes_ > g->capacity() + kInboundCap) return false;
      if (!st.tcp && g->rq_bytes_ + f.len > g->capacity() && !g->rq_.empty()) return true;  // UDP: dropped
      SockMsg m;
      m.data.assign(f.data, f.data + f.len);
      if (!st.tcp) { m.from = st.dest; m.from.family = g->domain; }
      g->rq_bytes_ += f.len;
      g->rq_.push_back(std::move(m));
      reg_.anon.waits.wake();
      return true;
    }
    case wisp::kClose: {
      const int e = wisp::close_errno(f.reason, st.tcp && st.opening);
      if (st.tcp && st.opening) {
        open_failed(st, e ? e : LX_ECONNREFUSED);
      } else if (g && e) {
        if (st.tcp || g->state == Socket::Connected) g->so_error = e;  // UDP: like an ICMP error
      }
      finish(f.stream, 0, false);
      return true;
    }
    default:
      return true;  // INFO (v2) and unknown types: a v1 client ignores them
  }
}

void NetOut::pump() {
  if (!link_) return;
  WispLink& l = *link_;
  l.wait(0);
  if (l.state() == WispLink::Down) {
    for (auto it = streams_.begin(); it != streams_.end();) {
      Stream& st = *it->second;
      if (st.tcp && st.opening) open_failed(st, LX_ENETUNREACH);
      else if (auto g = st.guest.lock(); g && st.tcp) g->so_error = LX_ECONNRESET;
      if (st.remote) st.remote->closed_ = true;
      it = streams_.erase(it);
    }
    reg_.anon.waits.wake();
    return;
  }
  // frames in
  for (int budget = 256; budget-- > 0;) {
    if (!has_held_) {
      if (!l.recv(held_)) break;
      has_held_ = true;
    }
    if (!deliver(held_)) break;
    has_held_ = false;
  }
  // frames out, ends, timeouts
  const uint64_t now = mono_ns();
  std::vector<std::pair<uint32_t, uint8_t>> ends;
  for (auto& [id, sp] : streams_) {
    Stream& st = *sp;
    auto g = st.guest.lock();
    const bool gone = !g || g->closed_;
    if (st.tcp && st.opening) {
      if (gone) { ends.push_back({id, wisp::kVoluntary}); continue; }
      if (now >= st.deadline) { open_failed(st, LX_ETIMEDOUT); ends.push_back({id, wisp::kTimeout}); continue; }
      if (st.grace_at && now >= st.grace_at && !relay_confirms_) opened(st);
      else continue;
    }
    if (st.tcp) {
      flush_out(st);
      // The guest closed its socket: the stream ends once what it wrote went out.
      if ((gone || st.remote->peer_gone) && st.remote->rq_.empty()) ends.push_back({id, wisp::kVoluntary});
    } else if (gone) {
      ends.push_back({id, wisp::kVoluntary});
    }
  }
  for (auto& [id, why] : ends) finish(id, why, true);
  l.wait(0);  // flush what we queued
}

void NetOut::wait(int timeout_ms) {
  if (!link_) return;
  bool opening = false;
  for (auto& [id, st] : streams_) opening |= st->opening;
  if (opening) timeout_ms = std::min(timeout_ms < 0 ? 50 : timeout_ms, 50);
  if (!has_held_) link_->wait(timeout_ms < 0 ? 1000 : timeout_ms);
  pump();
}

}  // namespace gb

// vm/linux/net_inbound.cpp — the host's connections into the machine and the list of
// listening TCP ports (net_inbound.h). Uses only the socket layer's public interface.
#include "vm/linux/net_inbound.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "vm/linux/kernel.h"

namespace gb {

namespace {

SockAddr loop6(uint16_t port) {
  SockAddr a;
  a.family = LAF_INET6;
  a.ip[15] = 1;
  a.port = port;
  return a;
}

std::string addr_text(const SockAddr& a) {
  char b[64];
  if (a.is_v4mapped()) {
    snprintf(b, sizeof b, "%u.%u.%u.%u", a.ip[12], a.ip[13], a.ip[14], a.ip[15]);
    return b;
  }
  // IPv6: the listeners here are :: and ::1 (only loopback and "any" can be bound); the
  // general form is written without zero compression.
  bool zero = true;
  for (int i = 0; i < 15; i++) zero = zero && a.ip[i] == 0;
  if (zero && a.ip[15] == 0) return "::";
  if (zero && a.ip[15] == 1) return "::1";
  std::string s;
  for (int i = 0; i < 16; i += 2) {
    snprintf(b, sizeof b, "%s%x", i ? ":" : "", (unsigned)(a.ip[i] << 8 | a.ip[i + 1]));
    s += b;
  }
  return s;
}

}  // namespace

int InboundConn::open(Kernel& k, uint16_t port, std::unique_ptr<InboundConn>& out) {
  if (port == 0) return -LX_EINVAL;
  // 127.0.0.1 reaches IPv4 listeners and dual-stack IPv6 ones; ::1 the IPv6-only ones.
  int last = -LX_ECONNREFUSED;
  for (int domain : {LAF_INET, LAF_INET6}) {
    std::shared_ptr<Socket> s;
    int e = socket_create(*k.sockets, domain, LSOCK_STREAM, 0, SockCred{0, 0, 0}, s);
    if (e < 0) return e;
    s->on_open(LO_RDWR);
    const SockAddr to = domain == LAF_INET ? SockAddr::inet4(0x7f000001, port) : loop6(port);
    // Blocking form: on loopback the handshake completes at once, or the listener's
    // accept queue is full (kBlock: reported as EAGAIN, the caller may retry).
    e = s->connect(to, false, SockCred{0, 0, 0});
    if (e == 0) {
      out.reset(new InboundConn(std::move(s)));
      return 0;
    }
    s->on_close(LO_RDWR);
    last = e == kBlock ? -LX_EAGAIN : e;
    if (last != -LX_ECONNREFUSED) break;
  }
  return last;
}

InboundConn::~InboundConn() {
  if (s_) s_->on_close(LO_RDWR);  // the guest sees EOF (or a reset if it had unread bytes for us)
}

int64_t InboundConn::write(const uint8_t* data, size_t n) {
  const int64_t r = s_->send(data, n, {}, SockCred{0, 0, 0}, nullptr, LMSG_NOSIGNAL, true);
  if (r == -LX_EAGAIN) return 0;
  return r;
}

int64_t InboundConn::read(uint8_t* buf, size_t n) {
  RecvResult r;
  const int64_t got = s_->recv(n, 0, true, r);
  if (got > 0) std::copy(r.data.begin(), r.data.begin() + (long)got, buf);
  return got;
}

int InboundConn::shutdown_write() { return s_->shutdown(LSHUT_WR); }

uint32_t InboundConn::poll() { return s_->poll(LPOLLIN | LPOLLOUT); }

uint16_t InboundConn::local_port() const { return s_->local.port; }

std::vector<ListeningPort> listening_tcp_ports(Kernel& k) {
  // The listening sockets, then the processes whose descriptors hold them.
  std::map<const Socket*, ListeningPort> found;
  for (auto& [key, list] : k.sockets->ports) {
    if (key.first != LIPPROTO_TCP) continue;
    for (auto& w : list) {
      auto s = w.lock();
      if (!s || s->state != Socket::Listening) continue;
      ListeningPort p;
      p.port = key.second;
      p.address = addr_text(s->local);
      found[s.get()] = p;
    }
  }
  if (!found.empty())
    for (Task* t : k.procs) {
      if (!t || t->state == Task::State::Dead || !t->is_leader()) continue;
      for (int fd : t->fds.list()) {
        FileRef f = t->fds.get(fd);
        if (!f || !f->node) continue;
        auto it = found.find(as_socket(f->node.get()));
        if (it == found.end() || it->second.pid) continue;
        it->second.pid = t->pid;
        std::string cmd;
        for (auto& a : t->cmdline) cmd += (cmd.empty() ? "" : " ") + a;
        if (cmd.empty()) cmd = t->exe.substr(t->exe.rfind('/') + 1);
        it->second.command = cmd;
      }
    }
  std::vector<ListeningPort> v;
  for (auto& [s, p] : found) v.push_back(p);
  std::sort(v.begin(), v.end(), [](const ListeningPort& a, const ListeningPort& b) {
    return a.port != b.port ? a.port < b.port : a.address < b.address;
  });
  return v;
}

}  // namespace gb

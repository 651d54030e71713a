// tests/unit/test_net_inbound.cpp — the host's connections into the machine
// (vm/linux/net_inbound.h): a listening socket of a guest process (made in-engine and
// installed in the process's descriptor table, as socket()+listen() would leave it) accepts
// the host's connection; request and response bytes both ways, half-close, the listening
// ports with their owner, a port nobody listens on (ECONNREFUSED as a value), the host
// closing early, and a guest that never answers (bounded: writes stop at the guest's
// receive queue, reads say EAGAIN, nothing blocks).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "vm/fs/tmpfs.h"
#include "vm/linux/kernel.h"
#include "vm/linux/net_inbound.h"

using namespace gb;

namespace {

struct Machine {
  std::shared_ptr<FileSystem> root = make_tmpfs();
  std::unique_ptr<Kernel> k;
  Task* init = nullptr;
  Machine() {
    KernelOptions o;
    o.quiet = true;
    k = std::make_unique<Kernel>(root, o);
    init = k->create_init(100);
    init->cmdline = {"python3", "-m", "http.server", "8000"};
  }
  // A listening TCP socket at addr:port held by init as a descriptor.
  std::shared_ptr<Socket> listen(int domain, const SockAddr& at) {
    std::shared_ptr<Socket> s;
    REQUIRE(socket_create(*k->sockets, domain, LSOCK_STREAM, 0, SockCred{100, 1000, 1000}, s) == 0);
    FileRef f;
    REQUIRE(open_inode(k->phys->shared, Loc{s, ""}, LO_RDWR, f) == 0);
    REQUIRE(init->fds.alloc(f, false, 3) >= 3);
    REQUIRE(s->bind(at) == 0);
    REQUIRE(s->listen(5) == 0);
    return s;
  }
};

std::string recv_all(Socket& s) {
  RecvResult r;
  std::string out;
  while (s.recv(4096, 0, true, r) > 0) out.append(r.data.begin(), r.data.end());
  return out;
}

}  // namespace

TEST_CASE("inbound: a request in, a response out, half-close both ways; the port list") {
  Machine m;
  auto l = m.listen(LAF_INET, SockAddr::inet4(0, 8000));  // 0.0.0.0:8000
  auto ports = listening_tcp_ports(*m.k);
  REQUIRE(ports.size() == 1);
  CHECK(ports[0].port == 8000);
  CHECK(ports[0].address == "0.0.0.0");
  CHECK(ports[0].pid == 100);
  CHECK(ports[0].command == "python3 -m http.server 8000");

  std::unique_ptr<InboundConn> c;
  REQUIRE(InboundConn::open(*m.k, 8000, c) == 0);
  std::shared_ptr<Socket> srv;
  REQUIRE(l->accept(true, srv) == 0);
  CHECK(srv->peer_addr.is_loopback());
  CHECK(srv->peer_addr.port == c->local_port());
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(c->write((const uint8_t*)req.data(), req.size()) == (int64_t)req.size());
  CHECK(c->shutdown_write() == 0);
  CHECK(recv_all(*srv) == req);
  RecvResult r;
  CHECK(srv->recv(10, 0, true, r) == 0);  // the host's half-close: EOF after the request
  uint8_t buf[64];
  CHECK(c->read(buf, sizeof buf) == -LX_EAGAIN);  // nothing yet: a value, not a wait
  CHECK((c->poll() & LPOLLIN) == 0);
  const std::string resp = "HTTP/1.0 200 OK\r\n\r\nhello";
  CHECK(srv->send((const uint8_t*)resp.data(), resp.size(), {}, SockCred{}, nullptr, 0, true) == (int64_t)resp.size());
  CHECK((c->poll() & LPOLLIN) != 0);
  CHECK(c->read(buf, sizeof buf) == (int64_t)resp.size());
  CHECK(std::string((char*)buf, resp.size()) == resp);
  srv->on_close(LO_RDWR);  // the server closes: EOF for the host
  CHECK(c->read(buf, sizeof buf) == 0);
  CHECK((c->poll() & LPOLLHUP) != 0);
}

TEST_CASE("inbound: nothing listening is ECONNREFUSED; an IPv6-only listener on ::1 is found") {
  Machine m;
  std::unique_ptr<InboundConn> c;
  CHECK(InboundConn::open(*m.k, 8000, c) == -LX_ECONNREFUSED);
  CHECK(InboundConn::open(*m.k, 0, c) == -LX_EINVAL);
  CHECK(listening_tcp_ports(*m.k).empty());
  SockAddr v6;
  v6.family = LAF_INET6;
  v6.ip[15] = 1;
  v6.port = 5000;
  auto l = m.listen(LAF_INET6, v6);
  l->v6only = true;
  REQUIRE(InboundConn::open(*m.k, 5000, c) == 0);
  std::shared_ptr<Socket> srv;
  CHECK(l->accept(true, srv) == 0);
  auto ports = listening_tcp_ports(*m.k);
  REQUIRE(ports.size() == 1);
  CHECK(ports[0].address == "::1");
  // a listener that was closed is gone from the list and refuses
  l->on_close(LO_RDWR);
  m.init->fds.close(3);
  CHECK(listening_tcp_ports(*m.k).empty());
  std::unique_ptr<InboundConn> d;
  CHECK(InboundConn::open(*m.k, 5000, d) == -LX_ECONNREFUSED);
}

TEST_CASE("inbound: the host closes early; a guest that never answers stays bounded") {
  Machine m;
  auto l = m.listen(LAF_INET, SockAddr::inet4(0x7f000001, 8080));
  std::unique_ptr<InboundConn> c;
  REQUIRE(InboundConn::open(*m.k, 8080, c) == 0);
  std::shared_ptr<Socket> srv;
  REQUIRE(l->accept(true, srv) == 0);
  // a request far larger than the guest reads: the host's writes stop at the guest's
  // receive queue (no unbounded buffer), then take nothing until the guest reads
  std::vector<uint8_t> big(4 << 20, 'x');
  int64_t total = 0;
  for (int i = 0; i < 100; i++) {
    const int64_t n = c->write(big.data(), big.size());
    REQUIRE(n >= 0);
    if (n == 0) break;
    total += n;
  }
  CHECK(total > 0);
  CHECK(total < (int64_t)big.size());
  CHECK(c->write(big.data(), 1) == 0);
  CHECK((c->poll() & LPOLLOUT) == 0);
  uint8_t buf[16];
  for (int i = 0; i < 3; i++) CHECK(c->read(buf, sizeof buf) == -LX_EAGAIN);
  // the host gives up (its timeout) and closes: the guest sees the reset or EOF after
  // the queued bytes, and its response has nowhere to go
  c.reset();
  RecvResult r;
  int64_t got = 0, e = 0;
  for (;;) {
    e = srv->recv(1 << 20, 0, true, r);
    if (e <= 0) break;
    got += e;
  }
  CHECK(got == total);
  CHECK(e == 0);
  const uint8_t x = 'y';
  int64_t w1 = srv->send(&x, 1, {}, SockCred{}, nullptr, LMSG_NOSIGNAL, true);
  int64_t w2 = srv->send(&x, 1, {}, SockCred{}, nullptr, LMSG_NOSIGNAL, true);
  CHECK((w1 == -LX_EPIPE || w2 == -LX_EPIPE));  // TCP: the first write may still go out
  srv->on_close(LO_RDWR);
}

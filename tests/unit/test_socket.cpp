// tests/unit/test_socket.cpp — the socket layer (vm/linux/socket.h) driven directly:
// what the syscall suite cannot compare with the host (non-loopback addresses give
// ENETUNREACH / EADDRNOTAVAIL here, the host may route them), plus blocking answers
// (kBlock) and the EOF/EPIPE/ECONNRESET rules on close.
#include <doctest/doctest.h>

#include "vm/linux/socket.h"

using namespace gb;

namespace {

// The machine state these sockets belong to (a Kernel owns one of each).
SocketRegistry& reg() {
  static Waits waits;
  static AnonFs anon(waits);
  static SocketRegistry r(anon);
  return r;
}

std::shared_ptr<Socket> make(int domain, int type) {
  std::shared_ptr<Socket> s;
  REQUIRE(socket_create(reg(), domain, type, 0, SockCred{1, 0, 0}, s) == 0);
  s->on_open(LO_RDWR);  // as an open file description would
  return s;
}

}  // namespace

TEST_CASE("socket: only loopback is reachable") {
  auto t = make(LAF_INET, LSOCK_STREAM);
  CHECK(t->connect(SockAddr::inet4(0x0a010203, 80), false, SockCred{}) == -LX_ENETUNREACH);  // 10.1.2.3
  CHECK(t->connect(SockAddr::inet4(0x08080808, 53), true, SockCred{}) == -LX_ENETUNREACH);
  CHECK(t->bind(SockAddr::inet4(0xc0a80001, 0)) == -LX_EADDRNOTAVAIL);  // 192.168.0.1
  auto u = make(LAF_INET, LSOCK_DGRAM);
  const uint8_t x = 1;
  CHECK(u->send(&x, 1, {}, SockCred{}, nullptr, 0, true) == -LX_EDESTADDRREQ);
  SockAddr far = SockAddr::inet4(0x01020304, 9);
  CHECK(u->send(&x, 1, {}, SockCred{}, &far, 0, true) == -LX_ENETUNREACH);
  auto v6 = make(LAF_INET6, LSOCK_STREAM);
  SockAddr g;
  g.family = LAF_INET6;
  g.ip[0] = 0x20;
  g.ip[1] = 0x01;
  g.ip[15] = 1;
  g.port = 80;
  CHECK(v6->connect(g, false, SockCred{}) == -LX_ENETUNREACH);
  t->on_close(LO_RDWR);
  u->on_close(LO_RDWR);
  v6->on_close(LO_RDWR);
}

TEST_CASE("socket: blocking answers and close rules") {
  std::shared_ptr<Socket> a, b;
  REQUIRE(socket_pair(reg(), LAF_UNIX, LSOCK_STREAM, 0, SockCred{1, 0, 0}, a, b) == 0);
  a->on_open(LO_RDWR);
  b->on_open(LO_RDWR);
  RecvResult r;
  CHECK(b->recv(10, 0, false, r) == kBlock);
  CHECK(b->recv(10, 0, true, r) == -LX_EAGAIN);
  // MSG_WAITALL asks for more than is queued: parks without consuming
  const uint8_t abc[3] = {'a', 'b', 'c'};
  CHECK(a->send(abc, 3, {}, SockCred{}, nullptr, 0, false) == 3);
  CHECK(b->recv(10, LMSG_WAITALL, false, r) == kBlock);
  CHECK(b->queued() == 3);
  CHECK(b->recv(1, 0, false, r) == 1);
  // fill the peer's queue: then a blocking write parks and a non-blocking one fails
  std::vector<uint8_t> big(1 << 20, 'x');
  const int64_t n = a->send(big.data(), big.size(), {}, SockCred{}, nullptr, 0, false);
  CHECK(n > 0);
  CHECK(n < (int64_t)big.size());
  CHECK(a->send(big.data(), 1, {}, SockCred{}, nullptr, 0, false) == kBlock);
  CHECK(a->send(big.data(), 1, {}, SockCred{}, nullptr, 0, true) == -LX_EAGAIN);
  CHECK(b->recv(5, 0, false, r) == 5);
  // closing b with unread data resets a
  b->on_close(LO_RDWR);
  CHECK(a->recv(10, 0, false, r) == -LX_ECONNRESET);
  CHECK(a->recv(10, 0, false, r) == 0);
  CHECK(a->send(big.data(), 1, {}, SockCred{}, nullptr, 0, false) == -LX_EPIPE);
  a->on_close(LO_RDWR);
}

TEST_CASE("socket: listener backlog and accept") {
  auto l = make(LAF_INET, LSOCK_STREAM);
  CHECK(l->bind(SockAddr::inet4(0x7f000001, 0)) == 0);
  CHECK(l->local.port >= 32768);
  CHECK(l->listen(1) == 0);
  std::shared_ptr<Socket> got;
  CHECK(l->accept(false, got) == kBlock);
  auto c = make(LAF_INET, LSOCK_STREAM);
  SockAddr to = l->local;
  CHECK(c->connect(to, false, SockCred{2, 0, 0}) == 0);
  CHECK(l->accept(false, got) == 0);
  REQUIRE((bool)got);
  CHECK(got->peer_cred.pid == 2);
  CHECK(got->peer_addr.port == c->local.port);
  // the listener's port is taken; another port of the same kind is not
  auto d = make(LAF_INET, LSOCK_STREAM);
  CHECK(d->bind(to) == -LX_EADDRINUSE);
  // 0.0.0.0 connects to loopback
  auto e = make(LAF_INET, LSOCK_STREAM);
  SockAddr any = SockAddr::inet4(0, to.port);
  CHECK(e->connect(any, false, SockCred{}) == 0);
  for (auto* s : {l.get(), c.get(), d.get(), e.get()}) s->on_close(LO_RDWR);
}

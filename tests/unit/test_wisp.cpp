// tests/unit/test_wisp.cpp — the Wisp client (vm/linux/wisp.h, net_out.h) without a relay:
// the frame codec, CLOSE reasons -> errno, and a NetOut driven through a scripted link:
// connect confirmed / refused / timed out, credit -> EAGAIN and POLLOUT, EOF on CLOSE,
// the DNS stub's fake addresses mapping back to names in CONNECT.
#include <doctest/doctest.h>

#include <deque>

#include "vm/linux/net_out.h"
#include "vm/linux/socket.h"
#include "vm/linux/wisp.h"

using namespace gb;

namespace {

struct FakeLink : WispLink {
  std::vector<std::vector<uint8_t>> sent;
  std::deque<std::vector<uint8_t>> in;
  State st = Up;
  State state() override { return st; }
  void send(std::vector<uint8_t> f) override { sent.push_back(std::move(f)); }
  bool recv(std::vector<uint8_t>& f) override {
    if (in.empty()) return false;
    f = std::move(in.front());
    in.pop_front();
    return true;
  }
  void wait(int) override {}
};

struct Machine {
  Waits waits;
  AnonFs anon{waits};
  SocketRegistry reg{anon};
  NetOut net;
  FakeLink* link;
  explicit Machine(int grace_ms = 60000, int timeout_ms = 60000)
      : net(reg, NetOptions{"ws://unused/", timeout_ms, grace_ms, 4}) {
    auto l = std::make_unique<FakeLink>();
    link = l.get();
    net.use_link(std::move(l));
    reg.net = &net;
  }
  std::shared_ptr<Socket> make(int type) {
    std::shared_ptr<Socket> s;
    REQUIRE(socket_create(reg, LAF_INET, type, 0, SockCred{1, 0, 0}, s) == 0);
    s->on_open(LO_RDWR);
    return s;
  }
};

wisp::Frame parsed(const std::vector<uint8_t>& v) {
  wisp::Frame f;
  REQUIRE(wisp::parse(v.data(), v.size(), f));
  return f;
}

}  // namespace

TEST_CASE("wisp: frames encode and parse") {
  auto c = wisp::connect_frame(0x01020304, wisp::kTcp, 8080, "example.org");
  REQUIRE(c.size() == 5 + 3 + 11);
  CHECK(c[0] == 1);
  CHECK(c[1] == 4);  // stream id little-endian
  CHECK(c[4] == 1);
  CHECK(c[5] == wisp::kTcp);
  CHECK((c[6] | c[7] << 8) == 8080);
  CHECK(std::string(c.begin() + 8, c.end()) == "example.org");
  auto k = wisp::continue_frame(7, 128);
  wisp::Frame f = parsed(k);
  CHECK(f.type == wisp::kContinue);
  CHECK(f.stream == 7);
  CHECK(f.credit == 128);
  const uint8_t payload[3] = {9, 8, 7};
  const auto d = wisp::data_frame(3, payload, 3);
  f = parsed(d);
  CHECK(f.type == wisp::kData);
  CHECK(f.len == 3);
  CHECK(f.data[2] == 7);
  f = parsed(wisp::close_frame(3, wisp::kRefused));
  CHECK(f.reason == 0x44);
  const uint8_t short_close[5] = {4, 1, 0, 0, 0}, short_cont[7] = {3, 1, 0, 0, 0, 1, 0}, tiny[4] = {2, 0, 0, 0};
  CHECK_FALSE(wisp::parse(short_close, 5, f));
  CHECK_FALSE(wisp::parse(short_cont, 7, f));
  CHECK_FALSE(wisp::parse(tiny, 4, f));
}

TEST_CASE("wisp: CLOSE reasons give Linux errnos") {
  CHECK(wisp::close_errno(wisp::kRefused, true) == LX_ECONNREFUSED);
  CHECK(wisp::close_errno(wisp::kUnreachable, true) == LX_EHOSTUNREACH);
  CHECK(wisp::close_errno(wisp::kTimeout, true) == LX_ETIMEDOUT);
  CHECK(wisp::close_errno(wisp::kBlocked, true) == LX_EACCES);
  CHECK(wisp::close_errno(wisp::kThrottled, false) == LX_ENOBUFS);
  CHECK(wisp::close_errno(wisp::kVoluntary, false) == 0);            // EOF
  CHECK(wisp::close_errno(wisp::kVoluntary, true) == LX_ECONNREFUSED);
  CHECK(wisp::close_errno(wisp::kNetworkError, true) == LX_ECONNREFUSED);  // wisp-js's failed connect
  CHECK(wisp::close_errno(wisp::kNetworkError, false) == LX_ECONNRESET);
}

TEST_CASE("wisp: connect, credit, EOF") {
  Machine m;
  auto s = m.make(LSOCK_STREAM);
  const SockAddr dst = SockAddr::inet4(0x5db8d822, 80);  // 93.184.216.34
  CHECK(s->connect(dst, true, SockCred{}) == -LX_EINPROGRESS);
  REQUIRE(m.link->sent.size() == 1);
  wisp::Frame f = parsed(m.link->sent[0]);
  CHECK(f.type == wisp::kConnect);
  const uint32_t id = f.stream;
  CHECK(std::string((const char*)f.data + 3, f.len - 3) == "93.184.216.34");
  CHECK(s->poll(LPOLLOUT | LPOLLIN) == 0);  // not confirmed yet
  CHECK(s->connect(dst, true, SockCred{}) == -LX_EALREADY);
  m.link->in.push_back(wisp::continue_frame(0, 2));
  m.link->in.push_back(wisp::continue_frame(id, 2));
  m.net.pump();
  CHECK((s->poll(LPOLLOUT) & LPOLLOUT) != 0);
  CHECK(s->connect(dst, true, SockCred{}) == 0);  // the second connect after EINPROGRESS
  // Two packets of credit: the writes fill two DATA frames, then the socket's queue, then EAGAIN.
  std::vector<uint8_t> big(NetOut::kMaxFrame, 'x');
  int64_t total = 0, r;
  for (int i = 0; i < 100 && (r = s->send(big.data(), big.size(), {}, SockCred{}, nullptr, 0, true)) > 0; i++) {
    total += r;
    m.net.pump();
  }
  CHECK(r == -LX_EAGAIN);
  CHECK(s->poll(LPOLLOUT) == 0);
  size_t data_frames = 0;
  for (auto& v : m.link->sent) data_frames += parsed(v).type == wisp::kData;
  CHECK(data_frames == 2);
  // More credit: the queue drains, the socket is writable again.
  m.link->in.push_back(wisp::continue_frame(id, 100));
  m.net.pump();
  CHECK((s->poll(LPOLLOUT) & LPOLLOUT) != 0);
  size_t bytes = 0;
  for (auto& v : m.link->sent) if (parsed(v).type == wisp::kData) bytes += parsed(v).len;
  CHECK((int64_t)bytes == total);
  // DATA in, then CLOSE voluntary: the bytes, then EOF.
  const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
  m.link->in.push_back(wisp::data_frame(id, hello, 5));
  m.link->in.push_back(wisp::close_frame(id, wisp::kVoluntary));
  m.net.pump();
  RecvResult rr;
  CHECK(s->recv(100, 0, true, rr) == 5);
  CHECK(s->recv(100, 0, true, rr) == 0);
  CHECK_FALSE(m.net.busy());
  s->on_close(LO_RDWR);
}

TEST_CASE("wisp: refused, timed out, the guest's close, limits") {
  Machine m;
  auto a = m.make(LSOCK_STREAM);
  CHECK(a->connect(SockAddr::inet4(0x01010101, 81), true, SockCred{}) == -LX_EINPROGRESS);
  const uint32_t id = parsed(m.link->sent.back()).stream;
  m.link->in.push_back(wisp::close_frame(id, wisp::kRefused));
  m.net.pump();
  CHECK((a->poll(LPOLLOUT) & (LPOLLERR | LPOLLOUT)) == (LPOLLERR | LPOLLOUT));
  CHECK(a->connect(SockAddr::inet4(0x01010101, 81), true, SockCred{}) == -LX_ECONNREFUSED);
  a->on_close(LO_RDWR);
  // connect_timeout_ms 0: the next pump times the CONNECT out and tells the relay.
  Machine m0(60000, 0);
  auto b = m0.make(LSOCK_STREAM);
  CHECK(b->connect(SockAddr::inet4(0x01010101, 82), true, SockCred{}) == -LX_EINPROGRESS);
  m0.net.pump();
  CHECK(b->take_error() == LX_ETIMEDOUT);
  CHECK(parsed(m0.link->sent.back()).type == wisp::kClose);
  b->on_close(LO_RDWR);
  // max_streams 4
  Machine n;
  std::vector<std::shared_ptr<Socket>> v;
  for (int i = 0; i < 4; i++) {
    v.push_back(n.make(LSOCK_STREAM));
    CHECK(v.back()->connect(SockAddr::inet4(0x01010101, 80), true, SockCred{}) == -LX_EINPROGRESS);
  }
  auto c = n.make(LSOCK_STREAM);
  CHECK(c->connect(SockAddr::inet4(0x01010101, 80), true, SockCred{}) == -LX_EADDRNOTAVAIL);
  // The guest closes one: its stream ends with CLOSE 0x02.
  v[0]->on_close(LO_RDWR);
  n.net.pump();
  wisp::Frame f = parsed(n.link->sent.back());
  CHECK(f.type == wisp::kClose);
  CHECK(f.reason == wisp::kVoluntary);
  for (auto& s : v) s->on_close(LO_RDWR);
  c->on_close(LO_RDWR);
}

TEST_CASE("wisp: the DNS stub's names reach the relay; ping and raw sockets") {
  Machine m;
  auto u = m.make(LSOCK_DGRAM);
  // a query for A example.org
  std::vector<uint8_t> q = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0, 0, 1, 0, 1};
  SockAddr ns = SockAddr::inet4(0x0affff35, 53);
  CHECK(u->send(q.data(), q.size(), {}, SockCred{}, &ns, 0, true) == (int64_t)q.size());
  RecvResult r;
  REQUIRE(u->recv(512, 0, true, r) > 0);
  REQUIRE(r.data.size() == q.size() + 16);
  CHECK(r.data[0] == 0x12);
  CHECK((r.data[2] & 0x80) != 0);
  CHECK(r.data[7] == 1);  // one answer
  const uint8_t* ip = r.data.data() + r.data.size() - 4;
  CHECK(ip[0] == 198);
  CHECK((ip[1] & 0xfe) == 18);
  CHECK(r.from.port == 53);
  auto t = m.make(LSOCK_STREAM);
  const uint32_t a = (uint32_t)ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3];
  CHECK(t->connect(SockAddr::inet4(a, 443), true, SockCred{}) == -LX_EINPROGRESS);
  wisp::Frame f = parsed(m.link->sent.back());
  CHECK(std::string((const char*)f.data + 3, f.len - 3) == "example.org");
  CHECK((f.data[1] | f.data[2] << 8) == 443);
  // glibc's default nameserver (127.0.0.1:53) with nobody bound there: the stub answers too
  SockAddr lo = SockAddr::inet4(0x7f000001, 53);
  CHECK(u->send(q.data(), q.size(), {}, SockCred{}, &lo, 0, true) == (int64_t)q.size());
  REQUIRE(u->recv(512, 0, true, r) == (int64_t)q.size() + 16);
  CHECK(r.from.is_loopback());
  // a malformed query: FORMERR, never a crash
  std::vector<uint8_t> bad = {1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 60, 'x'};
  CHECK(u->send(bad.data(), bad.size(), {}, SockCred{}, &ns, 0, true) == (int64_t)bad.size());
  REQUIRE(u->recv(512, 0, true, r) == 12);
  CHECK((r.data[3] & 0xf) == 1);
  std::shared_ptr<Socket> x;
  CHECK(socket_create(m.reg, LAF_INET, LSOCK_RAW, 1, SockCred{}, x) == -LX_EPERM);
  CHECK(socket_create(m.reg, LAF_INET, LSOCK_DGRAM, 1, SockCred{}, x) == -LX_EACCES);
  CHECK(socket_create(m.reg, LAF_INET6, LSOCK_DGRAM, 58, SockCred{}, x) == -LX_EACCES);
  u->on_close(LO_RDWR);
  t->on_close(LO_RDWR);
}

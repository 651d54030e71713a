// vm/linux/netlink.cpp — the kernel side of NETLINK_ROUTE sockets, enough for what
// glibc asks: if_nameindex() (RTM_GETLINK dump), getifaddrs() and getaddrinfo's
// AI_ADDRCONFIG check (RTM_GETLINK + RTM_GETADDR dumps). The VM has one interface, the
// loopback: lo, index 1, 127.0.0.1/8 and ::1/128.
//
// Index
//   1. message building (nlmsghdr, rtattr)
//   2. the answers: links, addresses, errors and acks
//   3. Socket::netlink_send
//
// A request is answered at once: the replies go on the asking socket's receive queue as
// one datagram (every message of a dump and its NLMSG_DONE), with nlmsg_seq copied from
// the request and nlmsg_pid the socket's port id, from port 0 (the kernel). Other
// message types get NLMSG_ERROR -EOPNOTSUPP (with the request, as Linux quotes it).
#include <cstring>

#include "vm/linux/socket.h"

namespace gb {

namespace {

// ---- 1. message building ----------------------------------------------------------------
constexpr uint16_t kNlmsgError = 2, kNlmsgDone = 3, kNlmMinType = 0x10;
constexpr uint16_t kFRequest = 0x1, kFMulti = 0x2, kFAck = 0x4, kFDump = 0x300;
constexpr uint16_t kRtmNewLink = 16, kRtmGetLink = 18, kRtmNewAddr = 20, kRtmGetAddr = 22;
constexpr uint32_t kLoIndex = 1;

struct NlHeader {
  uint32_t len;
  uint16_t type, flags;
  uint32_t seq, pid;
};

size_t align4(size_t n) { return (n + 3) & ~size_t(3); }

// Appends to `out`; begin() returns the offset of a message whose length end() fills in.
struct Builder {
  std::vector<uint8_t>& out;
  uint32_t seq, pid;
  size_t begin(uint16_t type, uint16_t flags) {
    const size_t at = out.size();
    NlHeader h{0, type, flags, seq, pid};
    add(&h, sizeof h);
    return at;
  }
  void add(const void* p, size_t n) {
    out.insert(out.end(), (const uint8_t*)p, (const uint8_t*)p + n);
    out.resize(align4(out.size()));
  }
  void attr(uint16_t type, const void* p, uint16_t n) {  // struct rtattr + payload
    const uint16_t hdr[2] = {(uint16_t)(4 + n), type};
    out.insert(out.end(), (const uint8_t*)hdr, (const uint8_t*)hdr + 4);
    add(p, n);
  }
  void end(size_t at) {
    const uint32_t len = (uint32_t)(out.size() - at);
    memcpy(out.data() + at, &len, 4);
  }
};

// ---- 2. the answers --------------------------------------------------------------------
void add_link(Builder& b, uint16_t flags) {
  const size_t at = b.begin(kRtmNewLink, flags);
  struct { uint8_t family, pad; uint16_t type; int32_t index; uint32_t flags, change; } ifi{};
  ifi.type = 772;  // ARPHRD_LOOPBACK
  ifi.index = (int32_t)kLoIndex;
  ifi.flags = 0x1 | 0x8 | 0x40 | 0x10000;  // IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP
  b.add(&ifi, sizeof ifi);
  b.attr(3, "lo", 3);                        // IFLA_IFNAME
  const uint8_t mac[6] = {};
  b.attr(1, mac, 6);                         // IFLA_ADDRESS
  b.attr(2, mac, 6);                         // IFLA_BROADCAST
  const uint32_t mtu = 65536, txq = 1000;
  b.attr(4, &mtu, 4);                        // IFLA_MTU
  b.attr(13, &txq, 4);                       // IFLA_TXQLEN
  const uint8_t oper = 0;                    // IF_OPER_UNKNOWN, what lo reports
  b.attr(16, &oper, 1);                      // IFLA_OPERSTATE
  b.end(at);
}

void add_addr(Builder& b, uint8_t family) {
  const size_t at = b.begin(kRtmNewAddr, kFMulti);
  struct { uint8_t family, prefixlen, flags, scope; uint32_t index; } ifa{};
  ifa.family = family;
  ifa.prefixlen = family == LAF_INET ? 8 : 128;
  ifa.flags = 0x80;   // IFA_F_PERMANENT
  ifa.scope = 254;    // RT_SCOPE_HOST
  ifa.index = kLoIndex;
  b.add(&ifa, sizeof ifa);
  if (family == LAF_INET) {
    const uint8_t ip[4] = {127, 0, 0, 1};
    b.attr(1, ip, 4);     // IFA_ADDRESS
    b.attr(2, ip, 4);     // IFA_LOCAL
    b.attr(3, "lo", 3);   // IFA_LABEL
  } else {
    uint8_t ip[16] = {};
    ip[15] = 1;
    b.attr(1, ip, 16);    // IFA_ADDRESS
  }
  const uint32_t fl = 0x80;
  b.attr(8, &fl, 4);      // IFA_FLAGS
  b.end(at);
}

void add_done(Builder& b) {
  const size_t at = b.begin(kNlmsgDone, kFMulti);
  const int32_t zero = 0;
  b.add(&zero, 4);
  b.end(at);
}

// NLMSG_ERROR: `err` (0 for an ack) and the request's header (an error quotes the whole
// request, as Linux does without NETLINK_CAP_ACK).
void add_error(Builder& b, int32_t err, const uint8_t* req, size_t req_len) {
  const size_t at = b.begin(kNlmsgError, 0);
  b.add(&err, 4);
  b.add(req, err ? req_len : sizeof(NlHeader));
  b.end(at);
}

}  // namespace

// ---- 3. Socket::netlink_send --------------------------------------------------------------
int64_t Socket::netlink_send(const uint8_t* data, size_t n) {
  std::vector<uint8_t> reply;
  size_t off = 0;
  while (off + sizeof(NlHeader) <= n) {
    NlHeader h;
    memcpy(&h, data + off, sizeof h);
    if (h.len < sizeof h || h.len > n - off) break;  // Linux drops the rest of a bad batch
    const uint8_t* req = data + off;
    const uint8_t* body = req + sizeof h;
    const size_t body_len = h.len - sizeof h;
    Builder b{reply, h.seq, local.nl_pid};
    if ((h.flags & kFRequest) && h.type >= kNlmMinType) {
      const bool dump = (h.flags & kFDump) == kFDump;
      bool failed = false;
      if (h.type == kRtmGetLink && dump) {
        add_link(b, kFMulti);
        add_done(b);
      } else if (h.type == kRtmGetAddr && dump) {
        const uint8_t fam = body_len >= 1 ? body[0] : 0;  // rtgenmsg / ifaddrmsg family filter
        if (fam == 0 || fam == LAF_INET) add_addr(b, LAF_INET);
        if (fam == 0 || fam == LAF_INET6) add_addr(b, LAF_INET6);
        add_done(b);
      } else if (h.type == kRtmGetLink && body_len >= 8) {  // one link, by index
        int32_t index;
        memcpy(&index, body + 4, 4);
        if (index == (int32_t)kLoIndex) add_link(b, 0);  // not part of a dump: no NLM_F_MULTI
        else { add_error(b, -LX_ENODEV, req, h.len); failed = true; }
      } else {
        add_error(b, -LX_EOPNOTSUPP, req, h.len);
        failed = true;
      }
      if ((h.flags & kFAck) && !dump && !failed) add_error(b, 0, req, h.len);
    }
    off += align4(h.len);
  }
  if (!reply.empty() && rq_bytes_ >= capacity()) {
    // The receive queue is full (SO_RCVBUF): the reply is dropped and the reader's next
    // recv reports ENOBUFS, as Linux's netlink_overrun.
    so_error = LX_ENOBUFS;
    wake();
  } else if (!reply.empty()) {
    SockMsg m;
    m.data = std::move(reply);
    m.from.family = LAF_NETLINK;
    rq_bytes_ += m.data.size();
    rq_.push_back(std::move(m));
    wake();
  }
  return (int64_t)n;
}

}  // namespace gb

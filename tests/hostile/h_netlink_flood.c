// Netlink requests never read (native: yes). Replies past SO_RCVBUF are dropped (the
// reader sees ENOBUFS once); the queue never holds much more than the buffer.
#include "common.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

int main(void) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int rcv = 0;
  socklen_t l = sizeof rcv;
  getsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, &l);
  struct { struct nlmsghdr h; struct ifinfomsg i; } req;
  int sent = 0, failed = 0;
  for (int n = 0; n < 200000; n++) {
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_GETLINK;
    req.h.nlmsg_flags = NLM_F_REQUEST;  // one link by index: a unicast reply each time
    req.h.nlmsg_seq = n;
    req.i.ifi_index = 1;
    if (send(s, &req, sizeof req, 0) < 0) failed++;
    else sent++;
  }
  CHECK(sent + failed == 200000, "every request answered or refused");
  long total = 0;
  int enobufs = 0;
  char buf[65536];
  for (;;) {
    long r = recv(s, buf, sizeof buf, MSG_DONTWAIT);
    if (r < 0 && errno == ENOBUFS) { enobufs++; continue; }
    if (r <= 0) break;
    total += r;
  }
  CHECK(total <= 2L * rcv + 65536, "queued replies bounded by SO_RCVBUF");
  CHECK(total > 0, "some replies queued");
  CHECK(enobufs >= 1, "the overrun was reported (ENOBUFS)");
  return finish();
}

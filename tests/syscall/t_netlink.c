// tests/syscall/t_netlink.c — interfaces as glibc sees them: if_nameindex (netlink
// RTM_GETLINK), getifaddrs (RTM_GETLINK + RTM_GETADDR), if_nametoindex/if_indextoname
// (SIOCGIFINDEX/SIOCGIFNAME), and a raw NETLINK_ROUTE exchange (port id, sequence
// numbers, NLMSG_DONE, an error for an unknown type). The host has more interfaces than
// the VM's loopback, so only facts about lo are printed. Regression: python's
// socket.if_nameindex() failed with EAFNOSUPPORT.
#include "common.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct if_nameindex* ni = if_nameindex();
  CHECK(ni != NULL);
  int lo_index = 0;
  for (struct if_nameindex* p = ni; p && p->if_index; p++)
    if (strcmp(p->if_name, "lo") == 0) lo_index = (int)p->if_index;
  printf("if_nameindex has lo: %s\n", lo_index ? "yes" : "no");
  if_freenameindex(ni);
  printf("if_nametoindex(lo) matches: %s\n", (int)if_nametoindex("lo") == lo_index ? "yes" : "no");
  char name[IF_NAMESIZE] = {0};
  printf("if_indextoname: %s\n", if_indextoname((unsigned)lo_index, name) ? name : strerrorname_np(errno));
  errno = 0;
  unsigned bad_index = if_nametoindex("nosuch0");
  printf("if_nametoindex(nosuch0) = %u %s\n", bad_index, strerrorname_np(errno));

  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  SHOW(ioctl(s, SIOCGIFFLAGS, &ifr));
  printf("lo flags: up %d loopback %d running %d\n", !!(ifr.ifr_flags & IFF_UP), !!(ifr.ifr_flags & IFF_LOOPBACK),
         !!(ifr.ifr_flags & IFF_RUNNING));
  strcpy(ifr.ifr_name, "nosuch0");
  SHOW(ioctl(s, SIOCGIFINDEX, &ifr));
  close(s);

  struct ifaddrs* ifa = NULL;
  SHOW(getifaddrs(&ifa));
  int v4 = 0, v6 = 0, link = 0;
  for (struct ifaddrs* p = ifa; p; p = p->ifa_next) {
    if (strcmp(p->ifa_name, "lo") != 0 || !p->ifa_addr) continue;
    char buf[64];
    if (p->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &((struct sockaddr_in*)p->ifa_addr)->sin_addr, buf, sizeof buf);
      v4 += strcmp(buf, "127.0.0.1") == 0;
    } else if (p->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &((struct sockaddr_in6*)p->ifa_addr)->sin6_addr, buf, sizeof buf);
      v6 += strcmp(buf, "::1") == 0;
    } else if (p->ifa_addr->sa_family == AF_PACKET) {
      link++;
    }
  }
  printf("getifaddrs lo: 127.0.0.1 %d, ::1 %d, link %d\n", v4, v6, link);
  freeifaddrs(ifa);

  // raw netlink
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  CHECK(nl >= 0);
  struct sockaddr_nl me = {0};
  me.nl_family = AF_NETLINK;
  SHOW(bind(nl, (struct sockaddr*)&me, sizeof me));
  socklen_t ml = sizeof me;
  SHOW(getsockname(nl, (struct sockaddr*)&me, &ml));
  printf("port id is the pid: %s\n", me.nl_pid == (unsigned)getpid() ? "yes" : "no");
  struct {
    struct nlmsghdr h;
    struct rtgenmsg g;
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 4242;
  req.g.rtgen_family = AF_UNSPEC;
  struct sockaddr_nl kern = {0};
  kern.nl_family = AF_NETLINK;
  SHOW(sendto(nl, &req, sizeof req, 0, (struct sockaddr*)&kern, sizeof kern));
  int seen_lo = 0, done = 0, bad = 0;
  while (!done) {
    char buf[16384];
    struct sockaddr_nl from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(nl, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl);
    if (r <= 0) { printf("recv %zd %s\n", r, strerrorname_np(errno)); break; }
    if (from.nl_pid != 0) bad++;
    for (struct nlmsghdr* h = (struct nlmsghdr*)buf; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
      if (h->nlmsg_seq != 4242 || h->nlmsg_pid != me.nl_pid) bad++;
      if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
      if (h->nlmsg_type != RTM_NEWLINK) { bad++; continue; }
      struct ifinfomsg* ifi = NLMSG_DATA(h);
      int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *ifi);
      for (struct rtattr* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_IFNAME && strcmp(RTA_DATA(a), "lo") == 0 && ifi->ifi_index == lo_index) seen_lo = 1;
    }
  }
  printf("dump: lo %d, done %d, bad %d\n", seen_lo, done, bad);
  // an unknown message type: NLMSG_ERROR quoting our header
  req.h.nlmsg_type = 0x7ff0;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = 7;
  SHOW(send(nl, &req, sizeof req, 0));
  char buf[4096];
  ssize_t r = recv(nl, buf, sizeof buf, 0);
  struct nlmsghdr* h = (struct nlmsghdr*)buf;
  if (r > 0 && h->nlmsg_type == NLMSG_ERROR) {
    struct nlmsgerr* e = NLMSG_DATA(h);
    printf("unknown type: error %s, quotes seq %u\n", strerrorname_np(-e->error), e->msg.nlmsg_seq);
  } else {
    printf("unknown type: no error message (%zd)\n", r);
  }
  close(nl);
  errno = 0;
  printf("NETLINK_GENERIC... socket: %s\n", socket(AF_NETLINK, SOCK_RAW, 99) < 0 ? strerrorname_np(errno) : "ok");
  return 0;
}

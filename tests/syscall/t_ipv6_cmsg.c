// tests/syscall/t_ipv6_cmsg.c — RFC 3542 ancillary data on UDP over IPv6 loopback: the
// hop limit and traffic class a datagram was sent with come back as IPV6_HOPLIMIT and
// IPV6_TCLASS control messages (from the sender's options or its own cmsgs), and control
// buffers that are too small are cut the way Linux's put_cmsg cuts them (MSG_CTRUNC, a
// partial header length). Regression: python's RecvmsgRFC3542Ancillary tests (72) failed
// with ENOPROTOOPT.
#include "common.h"
#include <netinet/in.h>
#include <sys/socket.h>

static int srv, cli;
static struct sockaddr_in6 srv_addr;

// A message to the server with one data buffer and no control data yet.
static struct msghdr to_server(struct iovec* iov) {
  struct msghdr m = {0};
  m.msg_name = &srv_addr;
  m.msg_namelen = sizeof srv_addr;
  m.msg_iov = iov;
  m.msg_iovlen = 1;
  return m;
}

// Appends an int-valued IPv6 control message at cbuf + *len.
static void add_int_cmsg(char* cbuf, size_t* len, int type, int value) {
  struct cmsghdr* c = (struct cmsghdr*)(cbuf + *len);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &value, sizeof value);
  *len += CMSG_SPACE(sizeof(int));
}

// Sends "ping"; hop / tclass -2 leave that control message out.
static void send_one(int hop, int tclass) {
  char cbuf[CMSG_SPACE(sizeof(int)) * 2];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {"ping", 4};
  struct msghdr m = to_server(&iov);
  size_t len = 0;
  if (hop != -2) add_int_cmsg(cbuf, &len, IPV6_HOPLIMIT, hop);
  if (tclass != -2) add_int_cmsg(cbuf, &len, IPV6_TCLASS, tclass);
  m.msg_control = len ? cbuf : NULL;
  m.msg_controllen = len;
  long r = sendmsg(cli, &m, 0);
  if (r != 4) printf("sendmsg(hop %d, tclass %d) = %ld %s\n", hop, tclass, r, r < 0 ? strerrorname_np(errno) : "");
}

// Receives one datagram with `room` bytes of control buffer and prints what came back.
static void recv_show(const char* what, size_t room) {
  char data[16];
  char cbuf[256];
  memset(cbuf, 0xee, sizeof cbuf);
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = room ? cbuf : NULL;
  m.msg_controllen = room;
  long r = recvmsg(srv, &m, 0);
  printf("%s: %ld bytes, controllen %zu, %s", what, r, (size_t)m.msg_controllen,
         (m.msg_flags & MSG_CTRUNC) ? "CTRUNC" : "whole");
  size_t off = 0;
  while (off + sizeof(struct cmsghdr) <= m.msg_controllen) {
    struct cmsghdr* c = (struct cmsghdr*)(cbuf + off);
    int v = -1;
    size_t dl = c->cmsg_len > CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
    if (dl >= sizeof v) memcpy(&v, CMSG_DATA(c), sizeof v);
    printf(" [%s len %zu", c->cmsg_type == IPV6_HOPLIMIT ? "HOPLIMIT" : c->cmsg_type == IPV6_TCLASS ? "TCLASS" : "?",
           (size_t)c->cmsg_len);
    if (dl >= sizeof v) printf(" = %d", v);
    printf("]");
    if (c->cmsg_len < sizeof(struct cmsghdr)) break;
    off += CMSG_ALIGN(c->cmsg_len);
  }
  printf("\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  srv = socket(AF_INET6, SOCK_DGRAM, 0);
  cli = socket(AF_INET6, SOCK_DGRAM, 0);
  memset(&srv_addr, 0, sizeof srv_addr);
  srv_addr.sin6_family = AF_INET6;
  srv_addr.sin6_addr = in6addr_loopback;
  if (bind(srv, (struct sockaddr*)&srv_addr, sizeof srv_addr) != 0) { perror("bind ::1"); return 1; }
  socklen_t al = sizeof srv_addr;
  getsockname(srv, (struct sockaddr*)&srv_addr, &al);

  int one = 1, v;
  socklen_t vl = sizeof v;
  // nothing asked for: no control messages
  send_one(-2, -2);
  recv_show("not asked", 256);
  SHOW(setsockopt(srv, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one));
  send_one(-2, -2);
  recv_show("hop limit, default", 256);
  send_one(2, -2);
  recv_show("hop limit 2 from a cmsg", 256);
  SHOW(setsockopt(srv, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one));
  send_one(-2, -2);
  recv_show("both, defaults", 256);
  int hops = 9, tc = 0x28;
  SHOW(setsockopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops));
  SHOW(setsockopt(cli, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof tc));
  send_one(-2, -2);
  recv_show("both, from the sender's options", 256);
  send_one(-1, 7);
  recv_show("cmsg -1 (the option) and 7", 256);
  int bad = 300;
  SHOW(setsockopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &bad, sizeof bad));
  int dflt = -1;
  SHOW(setsockopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &dflt, sizeof dflt));
  SHOW(getsockopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &vl));
  printf("unicast hops after -1: %d\n", v);
  // a bad cmsg: one byte too long, and a value out of range
  {
    char cbuf[CMSG_SPACE(sizeof(int) + 1)];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"x", 1};
    struct msghdr m = to_server(&iov);
    struct cmsghdr* c = (struct cmsghdr*)cbuf;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_TCLASS;
    c->cmsg_len = CMSG_LEN(sizeof(int) + 1);
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    SHOW(sendmsg(cli, &m, 0));
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int big = 256;
    memcpy(CMSG_DATA(c), &big, sizeof big);
    SHOW(sendmsg(cli, &m, 0));
  }
  // small control buffers (both messages asked for)
  const size_t rooms[] = {0, 1, 2 * sizeof(int), CMSG_LEN(0) - 1, CMSG_LEN(0), CMSG_LEN(sizeof(int)) - 1,
                          CMSG_LEN(sizeof(int)), CMSG_SPACE(sizeof(int)), CMSG_SPACE(sizeof(int)) + CMSG_LEN(0) - 1,
                          CMSG_SPACE(sizeof(int)) + CMSG_LEN(sizeof(int)) - 1, CMSG_SPACE(sizeof(int)) * 2};
  for (size_t i = 0; i < sizeof rooms / sizeof rooms[0]; i++) {
    char what[32];
    snprintf(what, sizeof what, "room %zu", rooms[i]);
    send_one(3, 4);
    recv_show(what, rooms[i]);
  }
  return 0;
}

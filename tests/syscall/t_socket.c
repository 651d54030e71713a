// tests/syscall/t_socket.c — sockets inside one process: AF_UNIX socketpairs (stream,
// datagram, seqpacket), SCM_RIGHTS and SCM_CREDENTIALS, path and abstract names,
// listen/connect/accept, loopback TCP and UDP over IPv4 and IPv6, options, poll,
// shutdown, EPIPE, ECONNREFUSED, EADDRINUSE, MSG_PEEK/MSG_DONTWAIT/MSG_TRUNC, FIONREAD.
// Prints only facts that are the same natively and in the engine (no ports, no fds).
#include "common.h"  // first: it defines _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

// Waits (up to 2 s) until fd reports one of `ev`; returns revents.
static int wait_ev(int fd, short ev) {
  struct pollfd p = {fd, ev, 0};
  if (poll(&p, 1, 2000) < 0) return -1;
  return p.revents;
}

static void rd(int fd, size_t n) {
  char buf[256] = {0};
  wait_ev(fd, POLLIN);
  errno = 0;
  long r = recv(fd, buf, n < sizeof buf ? n : sizeof buf - 1, 0);
  if (r < 0) printf("recv: -1 %s\n", strerrorname_np(errno));
  else printf("recv %ld [%.*s]\n", r, (int)r, buf);
  fflush(stdout);
}

static void pairs(void) {
  printf("-- socketpair stream\n");
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  struct stat st;
  SHOW(fstat(sv[0], &st));
  CHECK(S_ISSOCK(st.st_mode));
  int v = 0;
  socklen_t l = sizeof v;
  SHOW(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
  printf("type %d len %d\n", v, (int)l);
  l = sizeof v;
  SHOW(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &l));
  printf("domain %d\n", v);
  struct ucred cr;
  l = sizeof cr;
  SHOW(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
  CHECK(cr.pid == getpid() && cr.uid == geteuid() && cr.gid == getegid() && l == sizeof cr);
  struct sockaddr_un un;
  l = sizeof un;
  SHOW(getsockname(sv[0], (struct sockaddr*)&un, &l));
  printf("name len %d family %d\n", (int)l, un.sun_family);
  l = sizeof un;
  SHOW(getpeername(sv[0], (struct sockaddr*)&un, &l));
  printf("peer len %d\n", (int)l);
  SHOW(write(sv[0], "hello", 5));
  SHOW(send(sv[0], " world", 6, 0));
  int n = -1;
  SHOW(ioctl(sv[1], FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  char buf[64] = {0};
  SHOW(recv(sv[1], buf, 3, MSG_PEEK));
  printf("peek [%.3s]\n", buf);
  memset(buf, 0, sizeof buf);
  SHOW(read(sv[1], buf, sizeof buf));
  printf("[%s]\n", buf);
  SHOW(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));  // EAGAIN
  struct pollfd pf[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN | POLLOUT, 0}};
  SHOW(poll(pf, 2, 0));
  printf("revents %#x %#x\n", pf[0].revents & (POLLIN | POLLOUT | POLLHUP), pf[1].revents & (POLLIN | POLLOUT | POLLHUP));
  // the other direction
  SHOW(write(sv[1], "back", 4));
  rd(sv[0], 64);
  // shutdown(SHUT_WR): the peer reads EOF and sees POLLRDHUP
  SHOW(shutdown(sv[0], SHUT_WR));
  pf[1].events = POLLIN | POLLRDHUP;
  SHOW(poll(&pf[1], 1, 0));
  printf("revents %#x\n", pf[1].revents & (POLLIN | POLLRDHUP | POLLHUP));
  SHOW(read(sv[1], buf, sizeof buf));
  SHOW(send(sv[0], "x", 1, MSG_NOSIGNAL));  // EPIPE
  SHOW(write(sv[1], "still", 5));           // the other direction still works
  rd(sv[0], 64);
  // close: the peer reads EOF, writes get EPIPE (SIGPIPE ignored here)
  SHOW(close(sv[0]));
  pf[1].events = POLLIN | POLLRDHUP;
  SHOW(poll(&pf[1], 1, 0));
  printf("revents %#x\n", pf[1].revents & (POLLIN | POLLRDHUP | POLLHUP));
  SHOW(read(sv[1], buf, sizeof buf));
  SHOW(write(sv[1], "x", 1));
  SHOW(close(sv[1]));

  printf("-- socketpair dgram\n");
  SHOW(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  SHOW(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  SHOW(fcntl(sv[0], F_GETFD));
  SHOW(send(sv[0], "one", 3, 0));
  SHOW(send(sv[0], "two!", 4, 0));
  SHOW(send(sv[0], "three", 5, 0));
  SHOW(send(sv[0], "", 0, 0));
  SHOW(ioctl(sv[1], FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  memset(buf, 0, sizeof buf);
  SHOW(recv(sv[1], buf, sizeof buf, 0));
  printf("[%s]\n", buf);
  SHOW(recv(sv[1], buf, 2, MSG_TRUNC));
  struct iovec iov = {buf, 2};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  SHOW(recvmsg(sv[1], &mh, 0));
  printf("flags trunc=%d\n", !!(mh.msg_flags & MSG_TRUNC));
  SHOW(recv(sv[1], buf, sizeof buf, 0));  // the empty datagram
  SHOW(recv(sv[1], buf, sizeof buf, 0));  // EAGAIN
  SHOW(close(sv[0]));
  SHOW(close(sv[1]));

  printf("-- socketpair seqpacket\n");
  SHOW(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
  SHOW(send(sv[0], "abc", 3, 0));
  SHOW(send(sv[0], "defgh", 5, 0));
  memset(buf, 0, sizeof buf);
  SHOW(recv(sv[1], buf, 2, 0));
  printf("[%s]\n", buf);
  memset(buf, 0, sizeof buf);
  SHOW(recv(sv[1], buf, sizeof buf, 0));
  printf("[%s]\n", buf);
  SHOW(close(sv[0]));
  SHOW(recv(sv[1], buf, sizeof buf, 0));
  SHOW(close(sv[1]));

  printf("-- errors\n");
  SHOW(socketpair(AF_INET, SOCK_STREAM, 0, sv));
  SHOW(socket(12345, SOCK_STREAM, 0));
  SHOW(socket(AF_UNIX, SOCK_STREAM, 99));
  SHOW(socket(AF_INET, SOCK_SEQPACKET, 0));
  SHOW(getsockopt(0 + 1000, SOL_SOCKET, SO_TYPE, &v, &l));
  int pp[2];
  SHOW(pipe(pp));
  l = sizeof v;
  SHOW(getsockopt(pp[0], SOL_SOCKET, SO_TYPE, &v, &l));
  SHOW(shutdown(pp[0], SHUT_RD));
  close(pp[0]);
  close(pp[1]);
}

static void rights(void) {
  printf("-- SCM_RIGHTS\n");
  int sv[2], pp[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  SHOW(pipe(pp));
  union { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {"F", 1};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.b;
  mh.msg_controllen = CMSG_SPACE(2 * sizeof(int));
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  memcpy(CMSG_DATA(c), pp, 2 * sizeof(int));
  SHOW(sendmsg(sv[0], &mh, 0));
  SHOW(send(sv[0], "after", 5, 0));
  SHOW(close(pp[0]));
  SHOW(close(pp[1]));
  char buf[64] = {0};
  union { struct cmsghdr h; char b[256]; } r;
  memset(&r, 0, sizeof r);
  struct iovec riov = {buf, sizeof buf};
  struct msghdr rm = {0};
  rm.msg_iov = &riov;
  rm.msg_iovlen = 1;
  rm.msg_control = r.b;
  rm.msg_controllen = sizeof r.b;
  SHOW(recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC));  // stops after the message carrying fds
  printf("data [%s] controllen %d flags %#x\n", buf, (int)rm.msg_controllen, rm.msg_flags);
  c = CMSG_FIRSTHDR(&rm);
  int fds[2] = {-1, -1};
  if (c) {
    printf("cmsg level %d type %d len %d\n", c->cmsg_level, c->cmsg_type, (int)c->cmsg_len);
    memcpy(fds, CMSG_DATA(c), sizeof fds);
  }
  SHOW(fcntl(fds[0], F_GETFD));
  SHOW(write(fds[1], "through the socket", 18));
  memset(buf, 0, sizeof buf);
  SHOW(read(fds[0], buf, sizeof buf));
  printf("[%s]\n", buf);
  struct stat st;
  SHOW(fstat(fds[0], &st));
  CHECK(S_ISFIFO(st.st_mode));
  close(fds[0]);
  close(fds[1]);
  rd(sv[1], 64);

  // a control buffer too small for the fds: MSG_CTRUNC
  SHOW(pipe(pp));
  mh.msg_control = u.b;
  mh.msg_controllen = CMSG_SPACE(2 * sizeof(int));
  c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  memcpy(CMSG_DATA(c), pp, 2 * sizeof(int));
  SHOW(sendmsg(sv[0], &mh, 0));
  close(pp[0]);
  close(pp[1]);
  rm.msg_control = r.b;
  rm.msg_controllen = CMSG_SPACE(sizeof(int));
  SHOW(recvmsg(sv[1], &rm, 0));
  printf("controllen %d ctrunc %d\n", (int)rm.msg_controllen, !!(rm.msg_flags & MSG_CTRUNC));
  c = CMSG_FIRSTHDR(&rm);
  if (c) {
    printf("cmsg len %d\n", (int)c->cmsg_len);
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    SHOW(fcntl(fd, F_GETFD));
    close(fd);
  }
  // a bad fd in SCM_RIGHTS
  int bad[2] = {999, 998};
  mh.msg_controllen = CMSG_SPACE(2 * sizeof(int));
  c = CMSG_FIRSTHDR(&mh);
  memcpy(CMSG_DATA(c), bad, sizeof bad);
  SHOW(sendmsg(sv[0], &mh, 0));

  printf("-- SCM_CREDENTIALS\n");
  int one = 1;
  SHOW(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
  SHOW(send(sv[0], "cred", 4, 0));
  rm.msg_control = r.b;
  rm.msg_controllen = sizeof r.b;
  memset(buf, 0, sizeof buf);
  SHOW(recvmsg(sv[1], &rm, 0));
  c = CMSG_FIRSTHDR(&rm);
  if (c) {
    printf("cmsg level %d type %d len %d\n", c->cmsg_level, c->cmsg_type, (int)c->cmsg_len);
    struct ucred uc;
    memcpy(&uc, CMSG_DATA(c), sizeof uc);
    CHECK(uc.pid == getpid() && uc.uid == geteuid() && uc.gid == getegid());
  }
  // explicit credentials
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } cu;
  memset(&cu, 0, sizeof cu);
  struct ucred mine = {getpid(), geteuid(), getegid()};
  mh.msg_control = cu.b;
  mh.msg_controllen = sizeof cu.b;
  c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof mine);
  memcpy(CMSG_DATA(c), &mine, sizeof mine);
  SHOW(sendmsg(sv[0], &mh, 0));
  rm.msg_control = r.b;
  rm.msg_controllen = sizeof r.b;
  SHOW(recvmsg(sv[1], &rm, 0));
  printf("controllen %d\n", (int)rm.msg_controllen);
  close(sv[0]);
  close(sv[1]);
}

static void unix_names(void) {
  printf("-- AF_UNIX path names\n");
  enter_scratch("sock");
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  strcpy(a.sun_path, "srv.sock");
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1;
  SHOW(listen(s, 5));  // not bound: EINVAL
  SHOW(bind(s, (struct sockaddr*)&a, alen));
  SHOW(access("srv.sock", F_OK));
  SHOW(bind(s, (struct sockaddr*)&a, alen));  // already bound: EINVAL
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(s2, (struct sockaddr*)&a, alen));  // EADDRINUSE
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  SHOW(connect(c, (struct sockaddr*)&a, alen));  // not listening: ECONNREFUSED
  SHOW(listen(s, 5));
  int v = 0;
  socklen_t l = sizeof v;
  SHOW(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &l));
  printf("acceptconn %d\n", v);
  SHOW(accept(s2, NULL, NULL));  // not listening: EINVAL
  SHOW(connect(c, (struct sockaddr*)&a, alen));
  SHOW(connect(c, (struct sockaddr*)&a, alen));  // EISCONN
  printf("listener revents %#x\n", wait_ev(s, POLLIN));
  struct sockaddr_un peer;
  socklen_t plen = sizeof peer;
  int d = accept4(s, (struct sockaddr*)&peer, &plen, SOCK_CLOEXEC);
  printf("accept4 %s peer len %d\n", d >= 0 ? "ok" : strerrorname_np(errno), (int)plen);
  SHOW(fcntl(d, F_GETFD));
  struct sockaddr_un got;
  socklen_t glen = sizeof got;
  SHOW(getsockname(d, (struct sockaddr*)&got, &glen));
  printf("accepted name [%s] len %d\n", got.sun_path, (int)glen);
  glen = sizeof got;
  SHOW(getpeername(c, (struct sockaddr*)&got, &glen));
  printf("client peer [%s] len %d\n", got.sun_path, (int)glen);
  struct ucred cr;
  l = sizeof cr;
  SHOW(getsockopt(d, SOL_SOCKET, SO_PEERCRED, &cr, &l));
  CHECK(cr.pid == getpid());
  SHOW(send(c, "ping", 4, 0));
  rd(d, 64);
  SHOW(send(d, "pong", 4, 0));
  rd(c, 64);
  SHOW(fcntl(s, F_SETFL, O_NONBLOCK));
  SHOW(accept(s, NULL, NULL));  // nothing queued: EAGAIN
  close(d);
  close(c);
  // connect to a missing path, to a non-socket
  strcpy(a.sun_path, "missing.sock");
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, sizeof a));
  close(c);
  // datagrams to a named socket
  int ds = socket(AF_UNIX, SOCK_DGRAM, 0);
  strcpy(a.sun_path, "dg.sock");
  SHOW(bind(ds, (struct sockaddr*)&a, sizeof a));
  int dc = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(sendto(dc, "to dg", 5, 0, (struct sockaddr*)&a, sizeof a));
  char buf[64] = {0};
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  SHOW(recvfrom(ds, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen));
  printf("[%s] from len %d\n", buf, (int)flen);
  SHOW(send(dc, "x", 1, 0));  // not connected: ENOTCONN
  SHOW(connect(dc, (struct sockaddr*)&a, sizeof a));
  SHOW(send(dc, "connected", 9, 0));
  memset(buf, 0, sizeof buf);
  SHOW(recv(ds, buf, sizeof buf, 0));
  printf("[%s]\n", buf);
  close(ds);
  SHOW(send(dc, "x", 1, 0));  // the peer is gone: ECONNREFUSED
  close(dc);
  close(s);
  close(s2);
  // the name stays until unlinked; connecting to it is refused
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  strcpy(a.sun_path, "srv.sock");
  SHOW(connect(c, (struct sockaddr*)&a, sizeof a));
  close(c);
  SHOW(unlink("srv.sock"));
  SHOW(unlink("dg.sock"));
  SHOW(chdir("/"));
  SHOW(rmdir(scratch_dir));

  printf("-- abstract names\n");
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  char name[64];
  int nl = snprintf(name, sizeof name, "gbtest-%d-abstract", (int)getpid());
  memcpy(a.sun_path + 1, name, (size_t)nl);
  alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nl);
  SHOW(bind(s, (struct sockaddr*)&a, alen));
  SHOW(listen(s, 1));
  s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(s2, (struct sockaddr*)&a, alen));  // EADDRINUSE
  glen = sizeof got;
  SHOW(getsockname(s, (struct sockaddr*)&got, &glen));
  CHECK(glen == alen && memcmp(&got, &a, alen) == 0);
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, alen));
  d = accept(s, NULL, NULL);
  CHECK(d >= 0);
  SHOW(write(c, "abstract", 8));
  rd(d, 64);
  close(d);
  close(c);
  close(s);
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, alen));  // ECONNREFUSED: the name went with the socket
  close(c);
  SHOW(bind(s2, (struct sockaddr*)&a, alen));     // free again
  close(s2);
  // autobind: bind with only the family
  s = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind(s, (struct sockaddr*)&a, sizeof(sa_family_t)));
  glen = sizeof got;
  SHOW(getsockname(s, (struct sockaddr*)&got, &glen));
  printf("autobind len %d first byte %d\n", (int)glen, got.sun_path[0]);
  close(s);
}

static void tcp(int family) {
  printf("-- TCP over %s\n", family == AF_INET ? "IPv4" : "IPv6");
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t alen;
  if (family == AF_INET) {
    struct sockaddr_in* a = (struct sockaddr_in*)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof *a;
  } else {
    struct sockaddr_in6* a = (struct sockaddr_in6*)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    alen = sizeof *a;
  }
  int ls = socket(family, SOCK_STREAM, 0);
  int one = 1, v = 0;
  socklen_t l = sizeof v;
  SHOW(getsockopt(ls, SOL_SOCKET, SO_PROTOCOL, &v, &l));
  printf("protocol %d\n", v);
  SHOW(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  l = sizeof v;
  SHOW(getsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &v, &l));
  printf("reuseaddr %d\n", v);
  SHOW(bind(ls, (struct sockaddr*)&ss, alen));
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  SHOW(getsockname(ls, (struct sockaddr*)&bound, &blen));
  int port = family == AF_INET ? ntohs(((struct sockaddr_in*)&bound)->sin_port)
                               : ntohs(((struct sockaddr_in6*)&bound)->sin6_port);
  printf("len %d family %d port nonzero %d\n", (int)blen, ((struct sockaddr*)&bound)->sa_family, port != 0);
  if (family == AF_INET) {
    char txt[32];
    inet_ntop(AF_INET, &((struct sockaddr_in*)&bound)->sin_addr, txt, sizeof txt);
    printf("addr %s\n", txt);
  }
  SHOW(listen(ls, 8));
  int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct pollfd pf = {c, POLLOUT, 0};
  errno = 0;
  int r = connect(c, (struct sockaddr*)&bound, blen);
  printf("connect %s\n", r == 0 || errno == EINPROGRESS ? "started" : strerrorname_np(errno));
  SHOW(poll(&pf, 1, 2000));
  printf("revents %#x\n", pf.revents);
  l = sizeof v;
  v = -1;
  SHOW(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &l));
  printf("so_error %d\n", v);
  printf("listener revents %#x\n", wait_ev(ls, POLLIN));
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  int d = accept4(ls, (struct sockaddr*)&peer, &plen, SOCK_NONBLOCK);
  CHECK(d >= 0);
  SHOW(fcntl(d, F_GETFL) & O_NONBLOCK);
  struct sockaddr_storage cname;
  socklen_t clen = sizeof cname;
  SHOW(getsockname(c, (struct sockaddr*)&cname, &clen));
  CHECK(clen == plen && memcmp(&cname, &peer, plen) == 0);
  struct sockaddr_storage cpeer, dname;
  socklen_t cplen = sizeof cpeer, dlen = sizeof dname;
  SHOW(getpeername(c, (struct sockaddr*)&cpeer, &cplen));
  SHOW(getsockname(d, (struct sockaddr*)&dname, &dlen));
  CHECK(cplen == dlen && memcmp(&cpeer, &dname, dlen) == 0 && memcmp(&cpeer, &bound, blen) == 0);
  SHOW(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  l = sizeof v;
  SHOW(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &l));
  printf("nodelay %d\n", v != 0);
  SHOW(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one));
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, &l));
  printf("keepalive %d\n", v);
  l = sizeof v;
  SHOW(getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &l));
  printf("acceptconn %d\n", v);
  int rb = 32768;
  SHOW(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb));
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &l));
  printf("rcvbuf %d\n", v);
  struct linger lg = {1, 5};
  SHOW(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  memset(&lg, 0, sizeof lg);
  l = sizeof lg;
  SHOW(getsockopt(c, SOL_SOCKET, SO_LINGER, &lg, &l));
  printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
  struct timeval tv = {3, 500000};
  SHOW(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  memset(&tv, 0, sizeof tv);
  l = sizeof tv;
  SHOW(getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
  printf("rcvtimeo %ld %ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
  if (family == AF_INET6) {
    l = sizeof v;
    SHOW(getsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l));
    printf("v6only %d\n", v);
  }
  SHOW(getsockopt(c, SOL_SOCKET, 9999, &v, &l));  // ENOPROTOOPT

  // data both ways
  SHOW(send(c, "GET / HTTP/1.0\r\n\r\n", 18, 0));
  wait_ev(d, POLLIN);
  int n = -1;
  SHOW(ioctl(d, FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  char buf[128] = {0};
  SHOW(recv(d, buf, 3, MSG_PEEK));
  printf("peek [%s]\n", buf);
  memset(buf, 0, sizeof buf);
  SHOW(recv(d, buf, sizeof buf, 0));
  printf("[%.14s]\n", buf);
  SHOW(recv(d, buf, sizeof buf, 0));  // EAGAIN (non-blocking from accept4)
  const char* resp = "HTTP/1.0 200 OK\r\n\r\nhi";
  SHOW(send(d, resp, strlen(resp), 0));
  wait_ev(c, POLLIN);
  memset(buf, 0, sizeof buf);
  SHOW(recv(c, buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT));
  printf("[%.15s]\n", buf);
  // half close
  SHOW(shutdown(c, SHUT_WR));
  printf("server revents %#x\n", wait_ev(d, POLLIN | POLLRDHUP) & (POLLIN | POLLRDHUP | POLLHUP));
  SHOW(recv(d, buf, sizeof buf, 0));  // EOF
  SHOW(send(d, "bye", 3, 0));
  rd(c, 64);
  SHOW(send(c, "x", 1, MSG_NOSIGNAL));  // EPIPE after SHUT_WR
  SHOW(close(d));
  printf("client revents %#x\n", wait_ev(c, POLLIN) & (POLLIN | POLLRDHUP | POLLHUP));
  SHOW(recv(c, buf, sizeof buf, 0));  // EOF
  SHOW(close(c));

  // EADDRINUSE on the listener's port, even with SO_REUSEADDR while it listens
  int b = socket(family, SOCK_STREAM, 0);
  SHOW(bind(b, (struct sockaddr*)&bound, blen));
  SHOW(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  SHOW(bind(b, (struct sockaddr*)&bound, blen));
  close(b);
  // nobody listens any more: ECONNREFUSED
  SHOW(close(ls));
  c = socket(family, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&bound, blen));
  l = sizeof v;
  SHOW(getpeername(c, (struct sockaddr*)&peer, &l));  // ENOTCONN
  SHOW(send(c, "x", 1, MSG_NOSIGNAL));                 // EPIPE
  SHOW(recv(c, buf, sizeof buf, 0));                   // ENOTCONN
  close(c);
  // non-blocking: EINPROGRESS, then POLLERR and SO_ERROR
  c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  r = connect(c, (struct sockaddr*)&bound, blen);
  printf("connect %s\n", r == 0 ? "0" : strerrorname_np(errno));
  pf.fd = c;
  pf.events = POLLOUT;
  SHOW(poll(&pf, 1, 2000));
  printf("revents %#x\n", pf.revents & (POLLOUT | POLLERR));
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &l));
  printf("so_error %s\n", strerrorname_np(v));
  close(c);
}

static void udp(void) {
  printf("-- UDP\n");
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int x = socket(AF_INET, SOCK_DGRAM, 0), y = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW(bind(x, (struct sockaddr*)&a, sizeof a));
  SHOW(bind(y, (struct sockaddr*)&a, sizeof a));
  struct sockaddr_in xa, ya;
  socklen_t l = sizeof xa;
  SHOW(getsockname(x, (struct sockaddr*)&xa, &l));
  l = sizeof ya;
  SHOW(getsockname(y, (struct sockaddr*)&ya, &l));
  SHOW(sendto(x, "datagram", 8, 0, (struct sockaddr*)&ya, sizeof ya));
  SHOW(sendto(x, "second", 6, 0, (struct sockaddr*)&ya, sizeof ya));
  wait_ev(y, POLLIN);
  int n = -1;
  SHOW(ioctl(y, FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  char buf[64] = {0};
  struct sockaddr_in from;
  l = sizeof from;
  SHOW(recvfrom(y, buf, sizeof buf, 0, (struct sockaddr*)&from, &l));
  printf("[%s] from matches %d\n", buf, l == sizeof from && from.sin_port == xa.sin_port &&
                                            from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  SHOW(recv(y, buf, 3, 0));
  SHOW(recv(y, buf, sizeof buf, MSG_DONTWAIT));  // EAGAIN: the rest of "second" is gone
  SHOW(send(x, "x", 1, 0));                      // EDESTADDRREQ
  SHOW(connect(x, (struct sockaddr*)&ya, sizeof ya));
  struct sockaddr_in pa;
  l = sizeof pa;
  SHOW(getpeername(x, (struct sockaddr*)&pa, &l));
  CHECK(pa.sin_port == ya.sin_port);
  SHOW(send(x, "conn", 4, 0));
  wait_ev(y, POLLIN);
  memset(buf, 0, sizeof buf);
  SHOW(recv(y, buf, sizeof buf, 0));
  printf("[%s]\n", buf);
  // sendmmsg / recvmmsg
  struct mmsghdr mm[2];
  struct iovec iv[2] = {{"m1", 2}, {"mm2", 3}};
  memset(mm, 0, sizeof mm);
  mm[0].msg_hdr.msg_iov = &iv[0];
  mm[0].msg_hdr.msg_iovlen = 1;
  mm[1].msg_hdr.msg_iov = &iv[1];
  mm[1].msg_hdr.msg_iovlen = 1;
  SHOW(sendmmsg(x, mm, 2, 0));
  printf("lens %u %u\n", mm[0].msg_len, mm[1].msg_len);
  wait_ev(y, POLLIN);
  char b1[8] = {0}, b2[8] = {0};
  struct iovec rv[2] = {{b1, sizeof b1}, {b2, sizeof b2}};
  struct mmsghdr rm[2];
  memset(rm, 0, sizeof rm);
  rm[0].msg_hdr.msg_iov = &rv[0];
  rm[0].msg_hdr.msg_iovlen = 1;
  rm[1].msg_hdr.msg_iov = &rv[1];
  rm[1].msg_hdr.msg_iovlen = 1;
  usleep(10000);
  SHOW(recvmmsg(y, rm, 2, MSG_DONTWAIT, NULL));
  printf("[%s] [%s]\n", b1, b2);
  close(x);
  close(y);
  // IPv6 UDP
  int z = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 a6 = {0};
  a6.sin6_family = AF_INET6;
  a6.sin6_addr = in6addr_loopback;
  SHOW(bind(z, (struct sockaddr*)&a6, sizeof a6));
  l = sizeof a6;
  SHOW(getsockname(z, (struct sockaddr*)&a6, &l));
  int w = socket(AF_INET6, SOCK_DGRAM, 0);
  SHOW(sendto(w, "six", 3, 0, (struct sockaddr*)&a6, sizeof a6));
  wait_ev(z, POLLIN);
  struct sockaddr_in6 f6;
  l = sizeof f6;
  memset(buf, 0, sizeof buf);
  SHOW(recvfrom(z, buf, sizeof buf, 0, (struct sockaddr*)&f6, &l));
  printf("[%s] from ::1 %d\n", buf, memcmp(&f6.sin6_addr, &in6addr_loopback, 16) == 0);
  close(z);
  close(w);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  pairs();
  rights();
  unix_names();
  tcp(AF_INET);
  tcp(AF_INET6);
  udp();
  return 0;
}

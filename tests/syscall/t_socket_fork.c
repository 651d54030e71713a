// tests/syscall/t_socket_fork.c — sockets between processes: blocking reads, writes,
// accept and connect that park until the other process acts; an HTTP-like exchange
// with a forked server; SCM_RIGHTS and SO_PEERCRED across processes; a 1 MiB transfer
// through a full socket buffer; MSG_WAITALL; UDP ping-pong; SIGPIPE killing a writer.
// Prints only facts that are the same natively and in the engine (no ports, no pids).
#include "common.h"  // first: it defines _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static void show_status(const char* what, int st) {
  if (WIFEXITED(st)) printf("%s: exit %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: signal %s\n", what, sigabbrev_np(WTERMSIG(st)));
  else printf("%s: status %#x\n", what, st);
  fflush(stdout);
}

static int listen_loopback(struct sockaddr_in* a) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls, (struct sockaddr*)a, sizeof *a) != 0 || listen(ls, 4) != 0) { perror("listen"); exit(99); }
  socklen_t l = sizeof *a;
  getsockname(ls, (struct sockaddr*)a, &l);
  return ls;
}

// Reads until EOF (or n-1 bytes); returns the count.
static long read_all(int fd, char* buf, size_t n) {
  size_t got = 0;
  for (;;) {
    long r = read(fd, buf + got, n - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
    if (got >= n - 1) break;
  }
  buf[got] = 0;
  return (long)got;
}

static void pair_exchange(void) {
  printf("-- socketpair between processes\n");
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    usleep(20000);  // the parent's read blocks first
    write(sv[1], "hello from child", 16);
    char buf[64] = {0};
    long r = read(sv[1], buf, sizeof buf);
    _exit(r == 5 && memcmp(buf, "reply", 5) == 0 ? 7 : 1);
  }
  close(sv[1]);
  char buf[64] = {0};
  SHOW(read(sv[0], buf, sizeof buf));
  printf("[%s]\n", buf);
  struct ucred cr;
  socklen_t l = sizeof cr;
  SHOW(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
  CHECK(cr.pid == getpid());  // socketpair: the creator's credentials on both ends
  SHOW(write(sv[0], "reply", 5));
  SHOW(read(sv[0], buf, sizeof buf));  // EOF once the child exits
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("child", st);
  close(sv[0]);
}

static void http(void) {
  printf("-- HTTP-like exchange with a forked server\n");
  struct sockaddr_in a;
  int ls = listen_loopback(&a);
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 2; i++) {
      int c = accept(ls, NULL, NULL);  // parks until the parent connects
      if (c < 0) _exit(2);
      char req[512];
      size_t got = 0;
      while (got < sizeof req - 1) {
        long r = recv(c, req + got, sizeof req - 1 - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
        req[got] = 0;
        if (strstr(req, "\r\n\r\n")) break;
      }
      char path[64] = "?";
      sscanf(req, "GET %63s", path);
      char resp[256];
      int n = snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nyou asked for %s\n", path);
      send(c, resp, (size_t)n, 0);
      close(c);
    }
    _exit(0);
  }
  close(ls);
  const char* paths[2] = {"/index.html", "/other"};
  for (int i = 0; i < 2; i++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW(connect(c, (struct sockaddr*)&a, sizeof a));
    struct ucred cr;
    socklen_t l = sizeof cr;
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l);
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", paths[i]);
    SHOW(send(c, req, (size_t)n, 0));
    char buf[512];
    long r = read_all(c, buf, sizeof buf);
    printf("response %ld bytes:\n%s", r, buf);
    close(c);
  }
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("server", st);
}

static void rights_and_creds(void) {
  printf("-- SCM_RIGHTS and SO_PEERCRED across processes\n");
  char path[] = "/tmp/gbsockfork-XXXXXX";
  if (!mkdtemp(path)) { perror("mkdtemp"); exit(99); }
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s/s", path);
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(ls, (struct sockaddr*)&a, sizeof a));
  SHOW(listen(ls, 1));
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr*)&a, sizeof a) != 0) _exit(2);
    int pp[2];
    pipe(pp);
    write(pp[1], "written by the child", 20);
    close(pp[1]);
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {"R", 1};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.b;
    mh.msg_controllen = sizeof u.b;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pp[0], sizeof(int));
    if (sendmsg(c, &mh, 0) != 1) _exit(3);
    close(pp[0]);
    char ack[8];
    read(c, ack, sizeof ack);  // wait until the parent is done
    _exit(0);
  }
  int d = accept(ls, NULL, NULL);
  CHECK(d >= 0);
  struct ucred cr;
  socklen_t l = sizeof cr;
  SHOW(getsockopt(d, SOL_SOCKET, SO_PEERCRED, &cr, &l));
  CHECK(cr.pid == pid);
  char c1;
  union { struct cmsghdr h; char b[64]; } r;
  struct iovec iov = {&c1, 1};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = r.b;
  mh.msg_controllen = sizeof r.b;
  SHOW(recvmsg(d, &mh, 0));
  struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  int fd = -1;
  if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  char buf[64];
  long n = read_all(fd, buf, sizeof buf);
  printf("via passed fd: %ld [%s]\n", n, buf);
  close(fd);
  SHOW(write(d, "ok", 2));
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("child", st);
  close(d);
  close(ls);
  unlink(a.sun_path);
  rmdir(path);
}

static void bulk(void) {
  printf("-- 1 MiB through a stream socket, MSG_WAITALL\n");
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    static unsigned char big[1 << 20];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + (i >> 10));
    size_t sent = 0;
    while (sent < sizeof big) {
      long w = write(sv[1], big + sent, sizeof big - sent);  // blocks while the buffer is full
      if (w <= 0) _exit(2);
      sent += (size_t)w;
    }
    // then three pieces for MSG_WAITALL
    usleep(10000);
    write(sv[1], "abc", 3);
    usleep(10000);
    write(sv[1], "def", 3);
    usleep(10000);
    write(sv[1], "ghij", 4);
    _exit(0);
  }
  close(sv[1]);
  unsigned long sum = 0, total = 0;
  static unsigned char buf[65536];
  while (total < (1 << 20)) {
    size_t want = sizeof buf;
    if (want > (1 << 20) - total) want = (1 << 20) - total;
    long r = read(sv[0], buf, want);
    if (r <= 0) break;
    for (long i = 0; i < r; i++) sum = sum * 31 + buf[i];
    total += (unsigned long)r;
  }
  unsigned long want_sum = 0;
  for (size_t i = 0; i < (1 << 20); i++) want_sum = want_sum * 31 + (unsigned char)(i * 7 + (i >> 10));
  printf("received %lu bytes, checksum %s\n", total, sum == want_sum ? "ok" : "BAD");
  char w[16] = {0};
  SHOW(recv(sv[0], w, 10, MSG_WAITALL));
  printf("[%s]\n", w);
  SHOW(recv(sv[0], w, 10, 0));  // EOF
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("writer", st);
  close(sv[0]);
}

static void udp_pingpong(void) {
  printf("-- UDP ping-pong\n");
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, (struct sockaddr*)&a, sizeof a);
  socklen_t l = sizeof a;
  getsockname(s, (struct sockaddr*)&a, &l);
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 3; i++) {
      char buf[64];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      long r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl);  // parks
      if (r <= 0) _exit(2);
      for (long k = 0; k < r; k++) buf[k] = (char)(buf[k] >= 'a' && buf[k] <= 'z' ? buf[k] - 32 : buf[k]);
      sendto(s, buf, (size_t)r, 0, (struct sockaddr*)&from, fl);
    }
    _exit(0);
  }
  int c = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, sizeof a));
  const char* words[3] = {"ping", "pong", "done"};
  for (int i = 0; i < 3; i++) {
    SHOW(send(c, words[i], 4, 0));
    char buf[16] = {0};
    SHOW(recv(c, buf, sizeof buf, 0));
    printf("[%s]\n", buf);
  }
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("echo", st);
  close(c);
  close(s);
}

static void sigpipe(void) {
  printf("-- SIGPIPE\n");
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  close(sv[1]);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    write(sv[0], "x", 1);
    _exit(0);
  }
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("writer", st);
  pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    long r = send(sv[0], "x", 1, MSG_NOSIGNAL);
    _exit(r < 0 && errno == EPIPE ? 5 : 1);
  }
  SHOW(waitpid(pid, &st, 0) == pid);
  show_status("MSG_NOSIGNAL writer", st);
  close(sv[0]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pair_exchange();
  http();
  rights_and_creds();
  bulk();
  udp_pingpong();
  sigpipe();
  return 0;
}

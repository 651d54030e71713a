// tests/syscall/t_pipe.c — pipes inside one process, nonblocking I/O, poll, FIONREAD.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>

int main(void) {
  int p[2];
  SHOW(pipe2(p, O_CLOEXEC));
  printf("fds %d %d\n", p[0], p[1]);
  SHOW(fcntl(p[0], F_GETFD));
  SHOW(fcntl(p[0], F_GETFL) & O_ACCMODE);
  SHOW(fcntl(p[1], F_GETFL) & O_ACCMODE);
  struct stat st;
  SHOW(fstat(p[0], &st));
  CHECK(S_ISFIFO(st.st_mode));
  SHOW(write(p[1], "hello pipe", 10));
  int n = -1;
  SHOW(ioctl(p[0], FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
  SHOW(poll(pf, 2, 0));
  printf("revents %#x %#x\n", pf[0].revents, pf[1].revents);
  char buf[64] = {0};
  SHOW(read(p[0], buf, 5));
  printf("[%s]\n", buf);
  SHOW(read(p[0], buf, sizeof buf));
  SHOW(fcntl(p[0], F_SETFL, O_NONBLOCK));
  SHOW(read(p[0], buf, sizeof buf));                // EAGAIN
  pf[0].revents = 0;
  SHOW(poll(pf, 1, 0));
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(p[0], &rs);
  struct timeval tv = {0, 0};
  SHOW(select(p[0] + 1, &rs, NULL, NULL, &tv));
  SHOW(write(p[1], "x", 1));
  FD_ZERO(&rs);
  FD_SET(p[0], &rs);
  SHOW(select(p[0] + 1, &rs, NULL, NULL, &tv));
  CHECK(FD_ISSET(p[0], &rs));
  SHOW(read(p[0], buf, sizeof buf));
  // fill the pipe: 64 KiB, then EAGAIN
  SHOW(fcntl(p[1], F_SETFL, O_NONBLOCK));
  static char big[100000];
  SHOW(write(p[1], big, sizeof big));
  SHOW(write(p[1], big, 1));                        // EAGAIN
  SHOW(fcntl(p[1], F_GETPIPE_SZ));
  long total = 0;
  for (;;) {
    long r = read(p[0], big, sizeof big);
    if (r <= 0) break;
    total += r;
  }
  printf("drained %ld\n", total);
  // writer closed: EOF and POLLHUP
  int d = dup(p[1]);
  SHOW(close(p[1]));
  SHOW(write(d, "y", 1));
  SHOW(close(d));
  SHOW(read(p[0], buf, sizeof buf));
  SHOW(read(p[0], buf, sizeof buf));                // EOF
  pf[0].revents = 0;
  SHOW(poll(pf, 1, 0));
  printf("revents %#x\n", pf[0].revents);
  SHOW(close(p[0]));
  struct pollfd bad = {77, POLLIN, 0};
  SHOW(poll(&bad, 1, 0));
  printf("revents %#x\n", bad.revents);
  SHOW(pipe2(p, 12345));                            // EINVAL
  return 0;
}

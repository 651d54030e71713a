// tests/syscall/t_socktimeo.c — SO_RCVTIMEO and SO_SNDTIMEO bound blocking socket calls:
// recv, read and accept give EAGAIN after the receive timeout, send and write after the
// send timeout (a send that got part of its data out returns that count). Regression:
// the options were stored but never bounded a wait, so a program with a timeout hung.
// Times are only checked against generous bounds (shared, noisy machines).
#include "common.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_timeo(int fd, int opt, long usec) {
  struct timeval tv = {usec / 1000000, usec % 1000000};
  SHOW(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv));
}

// Prints whether a call took between lo and hi seconds.
static void took(const char* what, double t0, double lo, double hi) {
  const double d = now() - t0;
  printf("%s waited %s\n", what, d >= lo && d < hi ? "about the timeout" : (d < lo ? "too little" : "too long"));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  struct timeval tv;
  socklen_t len = sizeof tv;
  set_timeo(sv[0], SO_RCVTIMEO, 200000);
  SHOW(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
  printf("rcvtimeo %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
  char b[64];
  double t0 = now();
  SHOW(recv(sv[0], b, sizeof b, 0));
  took("recv", t0, 0.15, 5);
  t0 = now();
  SHOW(read(sv[0], b, sizeof b));
  took("read", t0, 0.15, 5);
  // data before the timeout: no wait
  SHOW(write(sv[1], "x", 1));
  SHOW(recv(sv[0], b, sizeof b, 0));

  // fill sv[1] without blocking, then a timed blocking send / write
  int fl = fcntl(sv[1], F_GETFL);
  fcntl(sv[1], F_SETFL, fl | O_NONBLOCK);
  static char chunk[4096];
  long filled = 0;
  while (send(sv[1], chunk, sizeof chunk, 0) > 0) filled += sizeof chunk;
  printf("filled: %s\n", filled > 0 ? "yes" : "no");
  fcntl(sv[1], F_SETFL, fl);
  set_timeo(sv[1], SO_SNDTIMEO, 150000);
  t0 = now();
  SHOW(send(sv[1], chunk, sizeof chunk, 0));
  took("send", t0, 0.1, 5);
  t0 = now();
  SHOW(write(sv[1], chunk, sizeof chunk));
  took("write", t0, 0.1, 5);
  close(sv[0]);
  close(sv[1]);

  // accept on a listening TCP socket with nobody connecting
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  SHOW(bind(ls, (struct sockaddr*)&a, sizeof a));
  SHOW(listen(ls, 4));
  set_timeo(ls, SO_RCVTIMEO, 100000);
  t0 = now();
  SHOW(accept(ls, NULL, NULL));
  took("accept", t0, 0.05, 5);
  // a bad timeval
  struct timeval bad = {0, 1000000};
  SHOW(setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad));
  close(ls);
  return 0;
}

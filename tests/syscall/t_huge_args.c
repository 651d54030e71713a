// tests/syscall/t_huge_args.c — regression for the arithmetic the syscall fuzzer found
// under UBSan (signed overflow in the engine, undefined behaviour in C++): timeouts of
// ~2^62 seconds (Linux clamps them to KTIME_MAX and waits "forever"), select's tv_usec
// carrying into seconds, utimes with an out-of-range tv_usec, and kill/wait4 of INT_MIN
// (whose negation is undefined; Linux answers ESRCH).
#include "common.h"  // first: it defines _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  enter_scratch("huge_args");
  int fds[2];
  SHOW(pipe(fds));
  SHOW(write(fds[1], "x", 1));  // the read end is ready: huge timeouts return at once

  fd_set r;
  FD_ZERO(&r);
  FD_SET(fds[0], &r);
  struct timeval tv = {LLONG_MAX / 2, 999999};
  SHOW(select(fds[0] + 1, &r, NULL, NULL, &tv));
  FD_ZERO(&r);
  FD_SET(fds[0], &r);
  struct timeval carry = {1, 2500000};  // 2.5 s more in tv_usec: Linux carries it
  SHOW(select(fds[0] + 1, &r, NULL, NULL, &carry));
  FD_ZERO(&r);
  FD_SET(fds[0], &r);
  struct timespec big = {LLONG_MAX / 2, 999999999};
  SHOW(pselect(fds[0] + 1, &r, NULL, NULL, &big, NULL));
  struct pollfd pf = {fds[0], POLLIN, 0};
  SHOW(ppoll(&pf, 1, &big, NULL));
  struct timespec max = {LLONG_MAX, 999999999};
  SHOW(ppoll(&pf, 1, &max, NULL));

  // A sleep of 2^62 s ends by a signal, on time.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  SHOW(sigaction(SIGALRM, &sa, NULL));
  struct itimerval it = {{0, 0}, {0, 100000}};
  SHOW(setitimer(ITIMER_REAL, &it, NULL));
  SHOW(nanosleep(&big, NULL));  // EINTR
  SHOW(setitimer(ITIMER_REAL, &it, NULL));
  SHOW(clock_nanosleep(CLOCK_MONOTONIC, 0, &max, NULL) == EINTR);

  // utimes: tv_usec outside [0, 1000000) is EINVAL.
  SHOW(close(open("f", O_CREAT | O_WRONLY, 0644)));
  struct timeval times[2] = {{1000, 1000000}, {1000, 0}};
  SHOW(utimes("f", times));
  times[0].tv_usec = -1;
  SHOW(utimes("f", times));
  times[0].tv_usec = 999999;
  times[0].tv_sec = 4000000000LL;
  SHOW(utimes("f", times));

  // INT_MIN names no process group.
  SHOW(kill(INT_MIN, 0));
  SHOW(syscall(SYS_wait4, INT_MIN, NULL, WNOHANG, NULL));
  leave_scratch();
  return 0;
}

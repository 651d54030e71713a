// tests/syscall/t_event.c — waiting on many things: poll and select across processes,
// epoll (level-triggered, ONESHOT, MOD/DEL, closed fds), eventfd (counter, semaphore,
// nonblocking), timerfd (one-shot, periodic, gettime), ppoll with a signal mask.
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_sig(int s) { got = s; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) { usleep(30000); write(p[1], "x", 1); _exit(0); }
  struct pollfd pf = {p[0], POLLIN, 0};
  SHOW(poll(&pf, 1, 0));
  SHOW(poll(&pf, 1, 5000));
  printf("revents POLLIN %d\n", (pf.revents & POLLIN) != 0);
  char b;
  read(p[0], &b, 1);
  waitpid(c, NULL, 0);
  close(p[1]);
  SHOW(poll(&pf, 1, 1000));
  printf("after writer closed: POLLHUP %d\n", (pf.revents & POLLHUP) != 0);
  close(p[0]);

  pipe(p);
  c = fork();
  if (c == 0) { usleep(30000); write(p[1], "y", 1); _exit(0); }
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(p[0], &rs);
  struct timeval tv = {5, 0};
  SHOW(select(p[0] + 1, &rs, NULL, NULL, &tv));
  printf("select readable %d\n", FD_ISSET(p[0], &rs));
  waitpid(c, NULL, 0);
  tv.tv_sec = 0;
  tv.tv_usec = 20000;
  FD_ZERO(&rs);
  FD_SET(p[1], &rs);
  SHOW(select(p[1] + 1, NULL, &rs, NULL, &tv));

  // epoll
  int ep = epoll_create1(EPOLL_CLOEXEC);
  CHECK(ep >= 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));  // EEXIST
  struct epoll_event out[4];
  SHOW(epoll_wait(ep, out, 4, 0));  // "y" is still unread
  printf("data %llu events %u\n", (unsigned long long)out[0].data.u64, out[0].events);
  read(p[0], &b, 1);
  SHOW(epoll_wait(ep, out, 4, 20));
  ev.events = EPOLLOUT;
  ev.data.u64 = 5;
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
  SHOW(epoll_wait(ep, out, 4, 0));
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = 6;
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));  // EPOLLIN on a write end: never
  SHOW(epoll_wait(ep, out, 4, 0));
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));  // ENOENT
  int f = open("/proc/self/status", O_RDONLY);
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));  // EPERM: regular files always ready
  close(f);
  c = fork();
  if (c == 0) { usleep(30000); write(p[1], "z", 1); _exit(0); }
  SHOW(epoll_wait(ep, out, 4, 5000));  // wakes when the child writes
  waitpid(c, NULL, 0);

  // eventfd
  int e = eventfd(3, EFD_NONBLOCK);
  uint64_t v;
  SHOW(read(e, &v, 8));
  printf("eventfd value %llu\n", (unsigned long long)v);
  SHOW(read(e, &v, 8));  // EAGAIN
  v = 2;
  write(e, &v, 8);
  ev.events = EPOLLIN;
  ev.data.u64 = 9;
  epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
  SHOW(epoll_wait(ep, out, 4, 0));
  close(e);
  int sem = eventfd(2, EFD_SEMAPHORE);
  read(sem, &v, 8);
  printf("semaphore read %llu\n", (unsigned long long)v);
  c = fork();
  if (c == 0) { usleep(20000); v = 1; write(sem, &v, 8); _exit(0); }
  read(sem, &v, 8);
  read(sem, &v, 8);  // blocks until the child adds one
  printf("semaphore read after wait %llu\n", (unsigned long long)v);
  waitpid(c, NULL, 0);

  // timerfd
  int tf = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {{0, 10000000}, {0, 20000000}};
  SHOW(timerfd_settime(tf, 0, &its, NULL));
  SHOW(read(tf, &v, 8));
  printf("first expiration count >= 1: %d\n", v >= 1);
  usleep(35000);
  read(tf, &v, 8);
  printf("periodic expirations >= 2: %d\n", v >= 2);
  struct itimerspec cur;
  timerfd_gettime(tf, &cur);
  printf("interval %ld ns\n", cur.it_interval.tv_nsec);
  its.it_value.tv_nsec = 0;
  timerfd_settime(tf, 0, &its, NULL);  // disarm
  pf.fd = tf;
  pf.events = POLLIN;
  SHOW(poll(&pf, 1, 30));

  // ppoll with a mask that lets SIGUSR1 in
  signal(SIGUSR1, on_sig);
  sigset_t blk, none;
  sigemptyset(&blk);
  sigaddset(&blk, SIGUSR1);
  sigprocmask(SIG_BLOCK, &blk, NULL);
  c = fork();
  if (c == 0) { usleep(30000); kill(getppid(), SIGUSR1); _exit(0); }
  sigemptyset(&none);
  pf.fd = p[0];
  pf.events = POLLIN;
  struct timespec to = {5, 0};
  SHOW(ppoll(&pf, 1, &to, &none));  // EINTR
  printf("handler ran %d\n", got == SIGUSR1);
  waitpid(c, NULL, 0);
  return 0;
}

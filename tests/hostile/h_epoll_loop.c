// Epoll instances watching each other (native: yes). Linux refuses the add that would
// close a cycle with ELOOP, and nesting deeper than 5 instances (4 edges) as well.
#include "common.h"
#include <sys/epoll.h>

int main(void) {
  struct epoll_event ev = {.events = EPOLLIN};
  int a = epoll_create1(0), b = epoll_create1(0);
  SHOW(epoll_ctl(a, EPOLL_CTL_ADD, b, &ev));
  SHOW(epoll_ctl(b, EPOLL_CTL_ADD, a, &ev));
  SHOW(epoll_ctl(a, EPOLL_CTL_ADD, a, &ev));
  int c = epoll_create1(0);
  SHOW(epoll_ctl(b, EPOLL_CTL_ADD, c, &ev));
  SHOW(epoll_ctl(c, EPOLL_CTL_ADD, a, &ev));
  struct epoll_event out[4];
  SHOW(epoll_wait(a, out, 4, 0));
  // chains: e[0] watches e[1] watches e[2] ...; built top-down and bottom-up
  int e[12];
  for (int i = 0; i < 12; i++) e[i] = epoll_create1(0);
  int first = -1;
  for (int i = 0; i + 1 < 12; i++)
    if (epoll_ctl(e[i], EPOLL_CTL_ADD, e[i + 1], &ev) < 0 && first < 0) { first = i; printf("top-down: edge %d -> %d: %s\n", i, i + 1, err_name(-1)); }
  int f[12];
  for (int i = 0; i < 12; i++) f[i] = epoll_create1(0);
  first = -1;
  for (int i = 10; i >= 0; i--)
    if (epoll_ctl(f[i], EPOLL_CTL_ADD, f[i + 1], &ev) < 0 && first < 0) { first = i; printf("bottom-up: edge %d -> %d: %s\n", i, i + 1, err_name(-1)); }
  SHOW(epoll_wait(e[0], out, 4, 0));
  SHOW(epoll_wait(f[0], out, 4, 0));
  CHECK(1, "engine still running");
  return finish();
}

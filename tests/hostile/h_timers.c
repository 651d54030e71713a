// A flood of timers (native: yes): armed timerfds until the descriptor limit (EMFILE).
#include "common.h"
#include <sys/resource.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/timerfd.h>

int main(void) {
  struct rlimit rl = {20000, 20000};
  SHOW(setrlimit(RLIMIT_NOFILE, &rl));
  int open_before = 0;  // descriptors inherited (0, 1, 2 and whatever the runner left)
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0) open_before++;
  int n = 0;
  struct itimerspec its = {{0, 1000000}, {0, 1000000}};  // every millisecond
  for (;;) {
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (t < 0) { printf("timerfd_create stopped with %s\n", err_name(-1)); break; }
    if (timerfd_settime(t, 0, &its, NULL) < 0) { failures++; break; }
    n++;
  }
  CHECK(n + open_before == 20000, "timers armed up to the descriptor limit");
  usleep(20000);
  uint64_t ticks = 0;
  CHECK(read(open_before, &ticks, 8) == 8 && ticks >= 1, "the first timer ticked");
  return finish();
}

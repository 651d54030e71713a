// tests/syscall/t_time.c — clocks, gettimeofday, time, nanosleep, clock_nanosleep.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  struct timespec a, b, res;
  SHOW(clock_gettime(CLOCK_MONOTONIC, &a));
  SHOW(clock_gettime(CLOCK_MONOTONIC, &b));
  CHECK(ns(b) >= ns(a));
  SHOW(clock_gettime(CLOCK_REALTIME, &a));
  CHECK(a.tv_sec > 1600000000);
  time_t t = time(NULL);
  // time() reads the coarse clock: it may lag CLOCK_REALTIME by one tick across a second boundary.
  CHECK(t - a.tv_sec >= -1 && t - a.tv_sec <= 2);
  struct timeval tv;
  SHOW(gettimeofday(&tv, NULL));
  CHECK(tv.tv_sec - a.tv_sec >= 0 && tv.tv_sec - a.tv_sec <= 2 && tv.tv_usec < 1000000);
  SHOW(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
  SHOW(clock_gettime(CLOCK_BOOTTIME, &a));
  SHOW(clock_gettime(CLOCK_MONOTONIC_COARSE, &a));
  SHOW(clock_gettime(12345, &a));                    // EINVAL
  SHOW(clock_getres(CLOCK_MONOTONIC, &res));
  CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
  SHOW(clock_gettime(CLOCK_MONOTONIC, &a));
  struct timespec d = {0, 20 * 1000 * 1000};
  SHOW(nanosleep(&d, NULL));
  SHOW(clock_gettime(CLOCK_MONOTONIC, &b));
  CHECK(ns(b) - ns(a) >= 20 * 1000 * 1000);
  struct timespec bad = {0, 2000000000};
  SHOW(nanosleep(&bad, NULL));                       // EINVAL
  SHOW(clock_gettime(CLOCK_MONOTONIC, &a));
  a.tv_nsec += 10 * 1000 * 1000;
  if (a.tv_nsec >= 1000000000) { a.tv_sec++; a.tv_nsec -= 1000000000; }
  printf("clock_nanosleep abs = %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL));
  SHOW(clock_gettime(CLOCK_MONOTONIC, &b));
  CHECK(ns(b) >= ns(a));
  struct timespec rel = {0, 1000000};
  printf("clock_nanosleep rel = %d\n", clock_nanosleep(CLOCK_REALTIME, 0, &rel, NULL));
  CHECK(clock() >= 0);
  return 0;
}

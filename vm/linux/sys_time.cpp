// vm/linux/sys_time.cpp — time syscalls: clock_gettime/getres, gettimeofday, time,
// nanosleep, clock_nanosleep, getrusage, times. Guest time is host time; CPU time is
// the engine's own CPU time.
#include "vm/linux/sys_common.h"

#include <time.h>

namespace gb {

int64_t host_clock_ns(int id) {
  clockid_t c;
  switch (id) {
    case 0: case 5: case 8: case 11: c = CLOCK_REALTIME; break;
    case 2: case 3: c = CLOCK_PROCESS_CPUTIME_ID; break;
    default: c = CLOCK_MONOTONIC; break;
  }
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void host_sleep_ns(int64_t ns) {
  if (ns <= 0) return;
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

namespace {

bool valid_clock(int id) { return id >= 0 && id <= 11 && id != 10; }

SYS(clock_gettime) {
  const int id = arg_int(a, 0);
  if (!valid_clock(id)) return -LX_EINVAL;
  const int64_t ns = id == 2 ? (int64_t)p.k.group_cpu_ns(p) : id == 3 ? (int64_t)p.k.task_cpu_ns(p) : host_clock_ns(id);
  lx_timespec ts = {ns / 1000000000, ns % 1000000000};
  return p.put(a[1], &ts, sizeof ts) ? 0 : -LX_EFAULT;
}
SYS(clock_getres) {
  const int id = arg_int(a, 0);
  if (!valid_clock(id)) return -LX_EINVAL;
  lx_timespec ts = {0, (id == 5 || id == 6) ? 4000000 : 1};
  if (a[1] && !p.put(a[1], &ts, sizeof ts)) return -LX_EFAULT;
  return 0;
}
SYS(gettimeofday) {
  if (a[0]) {
    const int64_t ns = host_clock_ns(0);
    lx_timeval tv = {ns / 1000000000, (ns % 1000000000) / 1000};
    if (!p.put(a[0], &tv, sizeof tv)) return -LX_EFAULT;
  }
  if (a[1]) {
    const int32_t tz[2] = {0, 0};
    if (!p.put(a[1], tz, sizeof tz)) return -LX_EFAULT;
  }
  return 0;
}
SYS(time) {
  const int64_t t = host_clock_ns(0) / 1000000000;
  if (a[0] && !p.put(a[0], &t, 8)) return -LX_EFAULT;
  return t;
}

// Parks the task until the deadline (other tasks run meanwhile). On EINTR the
// remaining time goes to `rem` (nanosleep).
int64_t sleep_for(Task& p, int64_t ns, uint64_t rem = 0) {
  const uint64_t deadline = p.deadline_for(ns > 0 ? (uint64_t)ns : 0);
  const uint64_t now = Task::now_ns();
  if (now >= deadline) return 0;
  p.wake_at(deadline);
  if (rem) {  // what an interruption would leave: written now, harmless if we sleep on
    const uint64_t left = deadline - now;
    lx_timespec r = {(int64_t)(left / 1000000000ull), (int64_t)(left % 1000000000ull)};
    p.put(rem, &r, sizeof r);
  }
  return kBlock;
}

SYS(nanosleep) {
  lx_timespec ts;
  if (!p.get(&ts, a[0], sizeof ts)) return -LX_EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -LX_EINVAL;
  return sleep_for(p, lx_ns(ts), a[1]);
}
SYS(clock_nanosleep) {
  const int id = arg_int(a, 0);
  if (!valid_clock(id) || id == 3) return -LX_EINVAL;
  lx_timespec ts;
  if (!p.get(&ts, a[2], sizeof ts)) return -LX_EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -LX_EINVAL;
  int64_t ns = lx_ns(ts);
  if (a[1] & 1) ns -= host_clock_ns(id);  // TIMER_ABSTIME
  return sleep_for(p, ns, (a[1] & 1) ? 0 : a[3]);
}

SYS(getrusage) {
  const int who = arg_int(a, 0);
  if (who != 0 && who != -1 && who != 1) return -LX_EINVAL;
  lx_rusage r;
  memset(&r, 0, sizeof r);
  const int64_t cpu = who == -1 ? (int64_t)p.tg->child_cpu_ns : who == 1 ? (int64_t)p.k.task_cpu_ns(p)
                                                                          : (int64_t)p.k.group_cpu_ns(p);
  r.ru_utime = {cpu / 1000000000, (cpu % 1000000000) / 1000};
  if (who != -1) r.ru_maxrss = (int64_t)p.mem->resident_pages() * 4;
  return p.put(a[1], &r, sizeof r) ? 0 : -LX_EFAULT;
}
SYS(times) {
  const int64_t cpu = (int64_t)p.k.group_cpu_ns(p);
  if (a[0]) {
    lx_tms t = {cpu / 10000000, 0, (int64_t)p.tg->child_cpu_ns / 10000000, 0};
    if (!p.put(a[0], &t, sizeof t)) return -LX_EFAULT;
  }
  return (host_clock_ns(1) - (int64_t)p.k.boot_mono_ns) / 10000000 + 100;
}

}  // namespace

void register_sys_time(SyscallTable& t) {
  t.add(35, "nanosleep", sys_nanosleep, {K(A_TIMESPEC), P()});
  t.add(96, "gettimeofday", sys_gettimeofday, {P(), P()});
  t.add(98, "getrusage", sys_getrusage, {I(), K(A_OUT_PTR)});
  t.add(100, "times", sys_times, {K(A_OUT_PTR)});
  t.add(201, "time", sys_time, {P()});
  t.add(228, "clock_gettime", sys_clock_gettime, {K(A_CLOCK), K(A_OUT_PTR)});
  t.add(229, "clock_getres", sys_clock_getres, {K(A_CLOCK), K(A_OUT_PTR)});
  t.add(230, "clock_nanosleep", sys_clock_nanosleep, {K(A_CLOCK), I(), K(A_TIMESPEC), P()});
}

}  // namespace gb

// vm/linux/sys_misc.cpp — the rest: getrandom, sysinfo,
// sched_*, rseq/membarrier (ENOSYS, quietly: glibc probes them), getcpu.
#include "vm/linux/sys_common.h"
#include "vm/linux/entropy.h"

#include <unistd.h>
#include <vector>

namespace gb {

namespace {

SYS(getrandom) {
  if (a[2] & ~7ull) return -LX_EINVAL;
  if ((a[2] & 4) && (a[2] & 2)) return -LX_EINVAL;  // GRND_INSECURE with GRND_RANDOM
  const uint64_t n = a[1] > 33554431 ? 33554431 : a[1];
  std::vector<uint8_t> buf(n > 65536 ? 65536 : n);
  uint64_t done = 0;
  while (done < n) {
    const uint64_t k = std::min<uint64_t>(n - done, buf.size());
    if (!host_entropy(buf.data(), (size_t)k)) return done ? (int64_t)done : -LX_EIO;
    if (!p.put(a[0] + done, buf.data(), (size_t)k)) return done ? (int64_t)done : -LX_EFAULT;
    done += k;
  }
  return (int64_t)done;
}

SYS(sysinfo) {
  lx_sysinfo s;
  memset(&s, 0, sizeof s);
  s.uptime = (int64_t)((host_clock_ns(1) - (int64_t)p.k.boot_mono_ns) / 1000000000) + 1;
  const FramePool& fp = p.k.phys->frames;  // the guest-memory budget is the machine's RAM
  s.totalram = fp.limit_bytes();
  s.freeram = s.totalram > fp.in_use() * PAGE ? s.totalram - fp.in_use() * PAGE : 0;
  s.bufferram = 0;
  s.procs = (uint16_t)p.k.procs.size();  // tasks, as Linux counts them
  s.mem_unit = 1;
  return p.put(a[0], &s, sizeof s) ? 0 : -LX_EFAULT;
}

SYS(sched_getaffinity) {
  const int pid = arg_int(a, 0);
  if (pid != 0 && pid != p.pid) return -LX_ESRCH;
  if (a[1] < 8 || (a[1] & 7)) return -LX_EINVAL;
  const uint64_t mask = 1;  // one CPU
  std::vector<uint8_t> buf((size_t)std::min<uint64_t>(a[1], 128), 0);
  memcpy(buf.data(), &mask, 8);
  return p.put(a[2], buf.data(), 8) ? 8 : -LX_EFAULT;
}
SYS(sched_setaffinity) {
  const int pid = arg_int(a, 0);
  if (pid != 0 && pid != p.pid) return -LX_ESRCH;
  return 0;
}
SYS(sched_yield) {  // ends the slice: another task runs
  p.cpu.stop = true;
  return 0;
}
SYS(sched_getscheduler) { return 0; }  // SCHED_OTHER
SYS(sched_getparam) {
  const int32_t z = 0;
  return p.put(a[1], &z, 4) ? 0 : -LX_EFAULT;
}
SYS(sched_prio) { return 0; }
SYS(getcpu) {
  const uint32_t z = 0;
  if (a[0] && !p.put(a[0], &z, 4)) return -LX_EFAULT;
  if (a[1] && !p.put(a[1], &z, 4)) return -LX_EFAULT;
  return 0;
}
SYS(enosys) { return -LX_ENOSYS; }

SYS(ioprio) { return 0; }

}  // namespace

void register_sys_misc(SyscallTable& t) {
  t.add(24, "sched_yield", sys_sched_yield, {});
  t.add(99, "sysinfo", sys_sysinfo, {K(A_OUT_PTR)});
  t.add(143, "sched_getparam", sys_sched_getparam, {I(), P()});
  t.add(145, "sched_getscheduler", sys_sched_getscheduler, {I()});
  t.add(146, "sched_get_priority_max", sys_sched_prio, {I()});
  t.add(147, "sched_get_priority_min", sys_sched_prio, {I()});
  t.add(203, "sched_setaffinity", sys_sched_setaffinity, {I(), U(), P()});
  t.add(204, "sched_getaffinity", sys_sched_getaffinity, {I(), U(), P()});
  t.add(251, "ioprio_set", sys_ioprio, {I(), I(), I()});
  t.add(252, "ioprio_get", sys_ioprio, {I(), I()});
  t.add(309, "getcpu", sys_getcpu, {P(), P(), P()});
  t.add(318, "getrandom", sys_getrandom, {K(A_OUT_PTR), U(), H()});
  t.add(324, "membarrier", sys_enosys, {I(), I(), I()});
  t.add(334, "rseq", sys_enosys, {P(), U(), I(), H()});
}

}  // namespace gb

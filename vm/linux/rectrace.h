// vm/linux/rectrace.h — the kernel's producers of binary trace records (vm/trace/record.h).
// Each is called only behind `if (k.records.enabled())`: with the inspector closed the
// engine pays that one branch. No text is formatted here; raw guest bytes are copied.
#pragma once
#include <cstdint>

#include "vm/trace/record.h"

namespace gb {

class Task;
class Kernel;
struct SyscallDef;

// kind SysEnter (ret ignored) or SysExit. `d` may be null (an unknown syscall).
void record_syscall(Task& p, RecKind kind, const SyscallDef* d, uint64_t nr, const uint64_t* a, int64_t ret);
void record_fork(Task& parent, Task& child, uint64_t flags);
void record_exec(Task& p, uint64_t entry);
void record_exit(Task& p, int64_t status);
// A signal acted on: `action` SigHandled (with the handler's address), SigStopped or
// SigKilled; `si` is its siginfo (struct lx_siginfo, vm/linux/kernel.h).
struct lx_siginfo;
void record_signal(Task& p, int sig, const lx_siginfo& si, SignalAction action, uint64_t handler);
// A Stat record for `p` if its last one is 100 ms old (called after each of its slices).
void record_stat_due(Task& p);
// The attach snapshot of the syscall table: SysShapes records, 10 calls each.
void record_syscall_shapes(RecordRing& ring);
// The attach snapshot: one Fd record per open fd of every live process.
void record_fd_snapshot(Kernel& k);
// The attach snapshot of the image's chunk cache: Chunks records over `n` chunks,
// `cached(i)` says whether chunk i is held.
template <class F> void record_chunk_state(RecordRing& ring, uint64_t n, F&& cached) {
  constexpr uint64_t per = TraceRecord::kData * 8;
  for (uint64_t first = 0; first < n; first += per) {
    TraceRecord r = ring.make(RecKind::Chunks, 0, 0, 0);
    const uint64_t cnt = n - first < per ? n - first : per;
    r.a[0] = first;
    r.a[1] = cnt;
    r.a[2] = n;
    for (uint64_t i = 0; i < cnt; i++)
      if (cached(first + i)) r.data[i / 8] |= (uint8_t)(1u << (i % 8));
    r.data_len = (uint16_t)((cnt + 7) / 8);
    ring.push(r);
  }
}

}  // namespace gb

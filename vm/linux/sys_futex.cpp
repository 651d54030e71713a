// vm/linux/sys_futex.cpp — futex: WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET,
// WAKE_BITSET; enough for glibc's mutexes, condition variables, pthread_join and
// python's GIL.
//
// Design notes
//   * A waiter parks (kBlock) with futex_key = the address; FUTEX_WAKE marks up to n
//     parked tasks of the same address space with futex_woken and bumps the wait
//     generation; their re-executed FUTEX_WAIT sees futex_woken and returns 0.
//   * A retry that was not woken re-checks the word: if it changed, it returns EAGAIN
//     (a spurious wake-up, which every futex user must accept); otherwise it parks again.
//   * Requeue wakes the requeued waiters instead of moving them (allowed: spurious).
//   * Keys are (address space, address) for private futexes and words in private
//     mappings, and (nullptr, host address of the word) for shared futexes in MAP_SHARED
//     memory, so that processes sharing a page (POSIX semaphores, process-shared
//     mutexes) wake each other.
#include "vm/linux/sys_common.h"

namespace gb {

int futex_wake(Kernel& k, const void* space, uint64_t addr, int n, uint32_t bitset) {
  int woken = 0;
  for (Task* t : k.procs) {
    if (woken >= n) break;
    if (t->state != Task::State::Blocked || t->futex_key != addr || t->futex_space != space || t->futex_woken)
      continue;
    if (!(t->futex_bitset & bitset)) continue;
    t->futex_woken = true;
    t->futex_key = 0;
    woken++;
  }
  if (woken) k.waits.wake();
  return woken;
}

namespace {

struct Key {
  const void* space;
  uint64_t addr;
};
Key key_of(Task& p, uint64_t uaddr, bool priv) {
  if (!priv) {
    const Vma* v = p.mem->vma_at(uaddr);
    if (v && v->shared) {
      try {
        return {nullptr, (uint64_t)(uintptr_t)p.mem->host_read_ptr(uaddr)};
      } catch (...) {
      }
    }
  }
  return {p.mm.get(), uaddr};
}
int wake(Task& p, uint64_t uaddr, bool priv, int n, uint32_t bitset = 0xffffffffu) {
  const Key k = key_of(p, uaddr, priv);
  return futex_wake(p.k, k.space, k.addr, n, bitset);
}

enum { FWAIT = 0, FWAKE = 1, FREQUEUE = 3, FCMP_REQUEUE = 4, FWAKE_OP = 5, FLOCK_PI = 6, FUNLOCK_PI = 7,
       FTRYLOCK_PI = 8, FWAIT_BITSET = 9, FWAKE_BITSET = 10 };
constexpr int kPrivate = 128, kClockRealtime = 256;

int64_t futex_wait(Task& p, uint64_t uaddr, bool priv, uint32_t val, uint64_t timeout, bool absolute,
                   bool realtime, uint32_t bitset) {
  if (uaddr & 3) return -LX_EINVAL;
  if (!bitset) return -LX_EINVAL;
  if (p.restarting && p.futex_woken) return 0;
  uint32_t v;
  if (!p.get(&v, uaddr, 4)) return -LX_EFAULT;
  if (v != val) return -LX_EAGAIN;
  if (timeout) {
    lx_timespec ts;
    if (!p.get(&ts, timeout, sizeof ts)) return -LX_EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -LX_EINVAL;
    const int64_t ns = lx_ns(ts);
    uint64_t deadline;
    if (absolute) {
      // Convert the absolute time on its clock to our monotonic deadline.
      const int64_t now_clock = host_clock_ns(realtime ? 0 : 1);
      const int64_t rel = ns - now_clock;
      deadline = p.restarting && p.block_deadline ? p.block_deadline : Task::now_ns() + (uint64_t)std::max<int64_t>(rel, 0);
      p.block_deadline = deadline;
    } else {
      deadline = p.deadline_for((uint64_t)ns);
    }
    if (Task::now_ns() >= deadline) return -LX_ETIMEDOUT;
    p.wake_at(deadline);
  }
  const Key k = key_of(p, uaddr, priv);
  p.futex_space = k.space;
  p.futex_key = k.addr;
  p.futex_bitset = bitset;
  p.futex_woken = false;
  return kBlock;
}

// FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake uaddr; if cmp(old, cmparg) wake uaddr2.
int64_t wake_op(Task& p, bool priv, uint64_t uaddr, int n, int n2, uint64_t uaddr2, uint32_t encoded) {
  const int op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
  int oparg = (int)((encoded >> 12) & 0xfff), cmparg = (int)(encoded & 0xfff);
  if (oparg & 0x800) oparg |= ~0xfff;  // sign-extend the 12-bit fields
  if (cmparg & 0x800) cmparg |= ~0xfff;
  if ((encoded >> 28) & 8) oparg = 1 << (oparg & 31);  // FUTEX_OP_OPARG_SHIFT
  uint32_t old;
  if (!p.get(&old, uaddr2, 4)) return -LX_EFAULT;
  uint32_t nv;
  switch (op) {
    case 0: nv = (uint32_t)oparg; break;           // SET
    case 1: nv = old + (uint32_t)oparg; break;     // ADD
    case 2: nv = old | (uint32_t)oparg; break;     // OR
    case 3: nv = old & ~(uint32_t)oparg; break;    // ANDN
    case 4: nv = old ^ (uint32_t)oparg; break;     // XOR
    default: return -LX_ENOSYS;
  }
  if (!p.put(uaddr2, &nv, 4)) return -LX_EFAULT;
  int r = wake(p, uaddr, priv, n);
  bool c;
  const int o = (int)old;
  switch (cmp) {
    case 0: c = o == cmparg; break;
    case 1: c = o != cmparg; break;
    case 2: c = o < cmparg; break;
    case 3: c = o <= cmparg; break;
    case 4: c = o > cmparg; break;
    case 5: c = o >= cmparg; break;
    default: return -LX_ENOSYS;
  }
  if (c) r += wake(p, uaddr2, priv, n2);
  return r;
}

SYS(futex) {
  const int opfull = arg_int(a, 1);
  const int op = opfull & ~(kPrivate | kClockRealtime);
  const uint64_t uaddr = a[0];
  const uint32_t val = (uint32_t)a[2];
  const bool priv = (opfull & kPrivate) != 0;
  switch (op) {
    case FWAIT: return futex_wait(p, uaddr, priv, val, a[3], false, false, 0xffffffffu);
    case FWAIT_BITSET:
      return futex_wait(p, uaddr, priv, val, a[3], true, (opfull & kClockRealtime) != 0, (uint32_t)a[5]);
    case FWAKE: return wake(p, uaddr, priv, (int)std::min<uint32_t>(val, 0x7fffffff));
    case FWAKE_BITSET:
      if (!(uint32_t)a[5]) return -LX_EINVAL;
      return wake(p, uaddr, priv, (int)std::min<uint32_t>(val, 0x7fffffff), (uint32_t)a[5]);
    case FREQUEUE:
    case FCMP_REQUEUE: {
      if (op == FCMP_REQUEUE) {
        uint32_t v;
        if (!p.get(&v, uaddr, 4)) return -LX_EFAULT;
        if (v != (uint32_t)a[5]) return -LX_EAGAIN;
      }
      const int n = (int)std::min<uint32_t>(val, 0x7fffffff);
      const int n2 = (int)std::min<uint64_t>(a[3], 0x7fffffff);
      const int w = wake(p, uaddr, priv, n);
      // Requeued waiters are woken instead (spurious wake-ups are allowed).
      const int rq = wake(p, uaddr, priv, n2);
      return w + rq;
    }
    case FWAKE_OP:
      return wake_op(p, priv, uaddr, (int)val, (int)std::min<uint64_t>(a[3], 0x7fffffff), a[4], (uint32_t)a[5]);
    case FLOCK_PI: case FUNLOCK_PI: case FTRYLOCK_PI:
      if (p.k.log_once("futex_pi")) p.k.message("priority-inheritance futexes are not implemented (ENOSYS)");
      return -LX_ENOSYS;
    default: return -LX_ENOSYS;
  }
}

}  // namespace

void register_sys_futex(SyscallTable& t) {
  t.add(202, "futex", sys_futex, {P(), K(A_FUTEX_OP), I(), P(), P(), I()});
}

}  // namespace gb

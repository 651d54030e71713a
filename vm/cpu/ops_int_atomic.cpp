// vm/cpu/ops_int_atomic.cpp — cmpxchg, cmpxchg8b/16b and xadd.
// All guest threads run on one host thread (DESIGN.md), so these are atomic by
// construction; the lock prefix needs no extra work.
#include "vm/cpu/exec.h"

namespace gb {

static void cmpxchg(Cpu& c, const Insn& i, int size) {
  const uint64_t acc = c.getr(RAX, size, false);
  const uint64_t src = rd_G(c, i, size);
  const uint64_t a = i.mod == 3 ? 0 : ea(c, i);
  const uint64_t dst = i.mod == 3 ? c.getr(i.rm, size, i.rex) : rd_mem(c, a, size);
  const bool eq = acc == dst;
  // The memory form always writes (the old value when the compare fails).
  if (i.mod != 3) wr_mem(c, a, size, eq ? src : dst);
  else if (eq) c.setr(i.rm, size, i.rex, src);
  if (!eq) c.setr(RAX, size, false, dst);
  c.set_lazy(CC_SUB, size, acc, dst, acc - dst);
}
void cmpxchg_Eb_Gb(Cpu& c, const Insn& i) { cmpxchg(c, i, 1); }
void cmpxchg_Ev_Gv(Cpu& c, const Insn& i) { cmpxchg(c, i, i.osz); }

void cmpxchg8b_16b_Mq(Cpu& c, const Insn& i) {
  const uint64_t a = ea(c, i);
  if (i.rex & 8) {
    if (a & 15) throw GpFault{};
    const uint64_t lo = rd_mem(c, a, 8), hi = rd_mem(c, a + 8, 8);
    if (lo == c.r[RAX] && hi == c.r[RDX]) {
      c.mem->probe_write(a, 16);
      wr_mem(c, a, 8, c.r[RBX]);
      wr_mem(c, a + 8, 8, c.r[RCX]);
      c.set_flags(FL_ZF, FL_ZF);
    } else {
      c.mem->probe_write(a, 16);
      wr_mem(c, a, 8, lo);
      wr_mem(c, a + 8, 8, hi);
      c.r[RAX] = lo;
      c.r[RDX] = hi;
      c.set_flags(FL_ZF, 0);
    }
    return;
  }
  const uint64_t m = rd_mem(c, a, 8);
  const uint64_t cmp = ((c.r[RDX] & 0xffffffff) << 32) | (c.r[RAX] & 0xffffffff);
  if (m == cmp) {
    wr_mem(c, a, 8, ((c.r[RCX] & 0xffffffff) << 32) | (c.r[RBX] & 0xffffffff));
    c.set_flags(FL_ZF, FL_ZF);
  } else {
    wr_mem(c, a, 8, m);
    c.r[RAX] = (uint32_t)m;
    c.r[RDX] = m >> 32;
    c.set_flags(FL_ZF, 0);
  }
}

static void xadd(Cpu& c, const Insn& i, int size) {
  const uint64_t src = rd_G(c, i, size);
  if (i.mod == 3) {
    const uint64_t d = c.getr(i.rm, size, i.rex);
    const uint64_t r = d + src;
    c.setr(i.reg, size, i.rex, d);
    c.setr(i.rm, size, i.rex, r);  // when reg == rm the sum wins
    c.set_lazy(CC_ADD, size, d, src, r);
    return;
  }
  const uint64_t a = ea(c, i);
  const uint64_t d = rd_mem(c, a, size);
  const uint64_t r = d + src;
  wr_mem(c, a, size, r);
  c.setr(i.reg, size, i.rex, d);
  c.set_lazy(CC_ADD, size, d, src, r);
}
void xadd_Eb_Gb(Cpu& c, const Insn& i) { xadd(c, i, 1); }
void xadd_Ev_Gv(Cpu& c, const Insn& i) { xadd(c, i, i.osz); }

}  // namespace gb

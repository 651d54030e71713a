// vm/cpu/ops_int_string.cpp — string instructions movs, cmps, stos, lods, scas with
// rep / repe / repne.
//
// Registers are updated after every element, so a fault in the middle of a rep leaves
// rsi/rdi/rcx pointing at the element that faulted and the instruction restartable,
// as on hardware. With the 67 prefix the registers are esi/edi/ecx.
// Fast paths: rep movsb/movsq and rep stosb/stosq with DF = 0 copy or fill whole
// page runs at a time through the TLB-free slow accessors (bounded per call).
// Long reps are interruptible, as on hardware: one execution moves at most kRepBytes
// bytes (kRepElems elements), then leaves rip on the instruction with the registers
// saying how far it got and ends the slice; the next slice resumes it. So ^C, timers
// and other tasks run during a rep over a gigabyte.
#include <algorithm>

#include "vm/cpu/exec.h"

namespace gb {

namespace {

struct StrRegs {
  Cpu& c;
  const Insn& i;
  uint64_t amask() const { return i.asz == 4 ? 0xffffffffull : ~0ull; }
  uint64_t si() const { return c.r[RSI] & amask(); }
  uint64_t di() const { return c.r[RDI] & amask(); }
  uint64_t cx() const { return c.r[RCX] & amask(); }
  uint64_t src_addr() const {
    uint64_t a = si();
    if (i.seg) a += i.seg == SEG_FS ? c.fs_base : c.gs_base;
    return a;
  }
  void set(int reg, uint64_t v) {
    if (i.asz == 4) c.r[reg] = (uint32_t)v;
    else c.r[reg] = v;
  }
  void step(int reg, int size) { set(reg, c.r[reg] + (c.df() ? -(int64_t)size : size)); }
  void dec_cx() { set(RCX, c.r[RCX] - 1); }
};

constexpr uint64_t kRepBytes = 1 << 20;
constexpr uint64_t kRepElems = 1 << 18;

// Ends this execution of a rep part-way; counts the work against the slice budget.
void rep_yield(Cpu& c, const Insn& i, uint64_t elems) {
  c.rip -= i.len;
  c.icount += elems / 16;
  c.stop = true;
}

}  // namespace

static void movs(Cpu& c, const Insn& i, int size) {
  StrRegs s{c, i};
  if (!i.rep) {
    wr_mem(c, s.di(), size, rd_mem(c, s.src_addr(), size));
    s.step(RSI, size);
    s.step(RDI, size);
    return;
  }
  // Bulk copy forward, in chunks that stay within one page on both sides.
  uint64_t moved = 0, elems = 0;
  while (s.cx()) {
    if (moved >= kRepBytes || elems >= kRepElems) return rep_yield(c, i, elems);
    if (!c.df() && s.cx() > 1 && !i.seg) {
      const uint64_t src = s.si(), dst = s.di();
      uint64_t n = s.cx() * size;
      n = std::min<uint64_t>(n, PAGE - (src & (PAGE - 1)));
      n = std::min<uint64_t>(n, PAGE - (dst & (PAGE - 1)));
      n = n / size * size;
      // Overlap where dst is just above src must replicate element by element.
      if (n >= (uint64_t)size && (dst >= src + n || dst + n <= src)) {
        uint8_t buf[PAGE];
        c.mem->read_bytes(src, buf, n);
        c.mem->write_bytes(dst, buf, n);
        s.set(RSI, c.r[RSI] + n);
        s.set(RDI, c.r[RDI] + n);
        s.set(RCX, c.r[RCX] - n / size);
        moved += n;
        continue;
      }
    }
    wr_mem(c, s.di(), size, rd_mem(c, s.src_addr(), size));
    s.step(RSI, size);
    s.step(RDI, size);
    s.dec_cx();
    elems++;
  }
}

static void stos(Cpu& c, const Insn& i, int size) {
  StrRegs s{c, i};
  const uint64_t v = c.r[RAX];
  if (!i.rep) {
    wr_mem(c, s.di(), size, v);
    s.step(RDI, size);
    return;
  }
  uint64_t moved = 0, elems = 0;
  while (s.cx()) {
    if (moved >= kRepBytes || elems >= kRepElems) return rep_yield(c, i, elems);
    if (!c.df() && s.cx() > 1) {
      const uint64_t dst = s.di();
      uint64_t n = std::min<uint64_t>(s.cx() * size, PAGE - (dst & (PAGE - 1)));
      n = n / size * size;
      if (n >= (uint64_t)size) {
        uint8_t buf[PAGE];
        for (uint64_t k = 0; k < n; k += size) memcpy(buf + k, &v, size);
        c.mem->write_bytes(dst, buf, n);
        s.set(RDI, c.r[RDI] + n);
        s.set(RCX, c.r[RCX] - n / size);
        moved += n;
        continue;
      }
    }
    wr_mem(c, s.di(), size, v);
    s.step(RDI, size);
    s.dec_cx();
    elems++;
  }
}

static void lods(Cpu& c, const Insn& i, int size) {
  StrRegs s{c, i};
  if (i.rep && !s.cx()) return;
  uint64_t elems = 0;
  do {
    if (elems >= kRepElems) return rep_yield(c, i, elems);
    c.setr(RAX, size, false, rd_mem(c, s.src_addr(), size));
    s.step(RSI, size);
    if (i.rep) s.dec_cx();
    elems++;
  } while (i.rep && s.cx());
}

static void cmps(Cpu& c, const Insn& i, int size) {
  StrRegs s{c, i};
  if (i.rep && !s.cx()) return;
  for (uint64_t elems = 1;; elems++) {
    const uint64_t a = rd_mem(c, s.src_addr(), size), b = rd_mem(c, s.di(), size);
    c.set_lazy(CC_SUB, size, a, b, a - b);
    s.step(RSI, size);
    s.step(RDI, size);
    if (!i.rep) return;
    s.dec_cx();
    if (!s.cx()) return;
    const bool eq = ((a - b) & size_mask(size)) == 0;
    if (i.rep == 0xf3 ? !eq : eq) return;
    if (elems >= kRepElems) return rep_yield(c, i, elems);  // flags: the last compare, as on hardware
  }
}

static void scas(Cpu& c, const Insn& i, int size) {
  StrRegs s{c, i};
  if (i.rep && !s.cx()) return;
  const uint64_t a = c.r[RAX] & size_mask(size);
  for (uint64_t elems = 1;; elems++) {
    const uint64_t b = rd_mem(c, s.di(), size);
    c.set_lazy(CC_SUB, size, a, b, a - b);
    s.step(RDI, size);
    if (!i.rep) return;
    s.dec_cx();
    if (!s.cx()) return;
    const bool eq = a == b;
    if (i.rep == 0xf3 ? !eq : eq) return;
    if (elems >= kRepElems) return rep_yield(c, i, elems);
  }
}

void movs_Yb_Xb(Cpu& c, const Insn& i) { movs(c, i, 1); }
void movs_Yv_Xv(Cpu& c, const Insn& i) { movs(c, i, i.osz); }
void cmps_Xb_Yb(Cpu& c, const Insn& i) { cmps(c, i, 1); }
void cmps_Xv_Yv(Cpu& c, const Insn& i) { cmps(c, i, i.osz); }
void stos_Yb_AL(Cpu& c, const Insn& i) { stos(c, i, 1); }
void stos_Yv_rAX(Cpu& c, const Insn& i) { stos(c, i, i.osz); }
void lods_AL_Xb(Cpu& c, const Insn& i) { lods(c, i, 1); }
void lods_rAX_Xv(Cpu& c, const Insn& i) { lods(c, i, i.osz); }
void scas_AL_Yb(Cpu& c, const Insn& i) { scas(c, i, 1); }
void scas_rAX_Yv(Cpu& c, const Insn& i) { scas(c, i, i.osz); }

}  // namespace gb

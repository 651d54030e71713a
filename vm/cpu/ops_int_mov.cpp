// vm/cpu/ops_int_mov.cpp — data movement: mov (all forms), movzx/movsx/movsxd, lea,
// xchg, push/pop, cbw/cwd families, bswap, cmovcc, setcc, lahf/sahf, pushf/popf,
// enter/leave.
#include "vm/cpu/exec.h"

namespace gb {

void mov_Eb_Gb(Cpu& c, const Insn& i) { wr_E(c, i, 1, rd_G(c, i, 1)); }
void mov_Ev_Gv(Cpu& c, const Insn& i) { wr_E(c, i, i.osz, rd_G(c, i, i.osz)); }
void mov_Gb_Eb(Cpu& c, const Insn& i) { wr_G(c, i, 1, rd_E(c, i, 1)); }
void mov_Gv_Ev(Cpu& c, const Insn& i) { wr_G(c, i, i.osz, rd_E(c, i, i.osz)); }
void mov_Eb_Ib(Cpu& c, const Insn& i) { wr_E(c, i, 1, i.imm); }
void mov_Ev_Iz(Cpu& c, const Insn& i) { wr_E(c, i, i.osz, i.imm); }
void mov_Zb_Ib(Cpu& c, const Insn& i) { c.set8(i.reg, i.rex, (uint8_t)i.imm); }
void mov_Zv_Iv(Cpu& c, const Insn& i) { c.setr(i.reg, i.osz, i.rex, i.imm); }
// Segment registers read as the selectors Linux gives 64-bit user code.
void mov_Ev_Sw(Cpu& c, const Insn& i) {
  static const uint16_t sel[8] = {0, 0x33, 0x2b, 0, 0, 0, 0, 0};  // es cs ss ds fs gs
  wr_E(c, i, i.mod == 3 ? i.osz : 2, sel[i.reg & 7]);
}

static uint64_t moffs(const Cpu& c, const Insn& i) {
  uint64_t a = i.imm;
  if (i.seg) a += (i.seg == SEG_FS) ? c.fs_base : c.gs_base;
  return a;
}
void mov_AL_Ob(Cpu& c, const Insn& i) { c.set8(RAX, false, (uint8_t)rd_mem(c, moffs(c, i), 1)); }
void mov_rAX_Ov(Cpu& c, const Insn& i) { c.setr(RAX, i.osz, false, rd_mem(c, moffs(c, i), i.osz)); }
void mov_Ob_AL(Cpu& c, const Insn& i) { wr_mem(c, moffs(c, i), 1, c.r[RAX]); }
void mov_Ov_rAX(Cpu& c, const Insn& i) { wr_mem(c, moffs(c, i), i.osz, c.r[RAX]); }

void movzx_Gv_Eb(Cpu& c, const Insn& i) { wr_G(c, i, i.osz, rd_E(c, i, 1)); }
void movzx_Gv_Ew(Cpu& c, const Insn& i) { wr_G(c, i, i.osz, rd_E(c, i, 2)); }
void movsx_Gv_Eb(Cpu& c, const Insn& i) { wr_G(c, i, i.osz, (uint64_t)(int64_t)(int8_t)rd_E(c, i, 1)); }
void movsx_Gv_Ew(Cpu& c, const Insn& i) { wr_G(c, i, i.osz, (uint64_t)(int64_t)(int16_t)rd_E(c, i, 2)); }
void movsxd_Gv_Ed(Cpu& c, const Insn& i) { wr_G(c, i, i.osz, (uint64_t)(int64_t)(int32_t)rd_E(c, i, 4)); }

void lea_Gv_M(Cpu& c, const Insn& i) {
  // lea ignores segment overrides.
  uint64_t a = (uint64_t)(int64_t)i.disp;
  if (i.base == RIPREL) a += c.rip;
  else if (i.base != NOREG) a += c.r[i.base];
  if (i.index != NOREG) a += c.r[i.index] << i.scale;
  if (i.asz == 4) a = (uint32_t)a;
  wr_G(c, i, i.osz, a);
}

void xchg_Eb_Gb(Cpu& c, const Insn& i) {
  const uint64_t g = rd_G(c, i, 1);
  if (i.mod == 3) {
    const uint64_t e = c.getr(i.rm, 1, i.rex);
    c.setr(i.rm, 1, i.rex, g);
    wr_G(c, i, 1, e);
    return;
  }
  const uint64_t a = ea(c, i);
  const uint64_t e = rd_mem(c, a, 1);
  wr_mem(c, a, 1, g);
  wr_G(c, i, 1, e);
}
void xchg_Ev_Gv(Cpu& c, const Insn& i) {
  const uint64_t g = rd_G(c, i, i.osz);
  if (i.mod == 3) {
    const uint64_t e = c.getr(i.rm, i.osz, i.rex);
    c.setr(i.rm, i.osz, i.rex, g);
    wr_G(c, i, i.osz, e);
    return;
  }
  const uint64_t a = ea(c, i);
  const uint64_t e = rd_mem(c, a, i.osz);
  wr_mem(c, a, i.osz, g);
  wr_G(c, i, i.osz, e);
}
void xchg_Zv_rAX(Cpu& c, const Insn& i) {
  if (i.reg == RAX) return;  // 90: nop (does not zero-extend eax)
  const uint64_t a = c.getr(RAX, i.osz, false), b = c.getr(i.reg, i.osz, false);
  c.setr(RAX, i.osz, false, b);
  c.setr(i.reg, i.osz, false, a);
}

void push_Zv(Cpu& c, const Insn& i) { push(c, c.r[i.reg], i.osz); }
void pop_Zv(Cpu& c, const Insn& i) {
  const uint64_t v = pop(c, i.osz);
  c.setr(i.reg, i.osz, false, v);
}
void push_Iz(Cpu& c, const Insn& i) { push(c, i.imm, i.osz); }
void push_Ib(Cpu& c, const Insn& i) { push(c, i.imm, i.osz); }
void push_Ev(Cpu& c, const Insn& i) { push(c, rd_E(c, i, i.osz), i.osz); }
void pop_Ev(Cpu& c, const Insn& i) {
  // The address is computed with rsp already incremented.
  const uint64_t v = rd_mem(c, c.r[RSP], i.osz);
  const uint64_t old = c.r[RSP];
  c.r[RSP] += i.osz;
  try {
    wr_E(c, i, i.osz, v);
  } catch (...) {
    c.r[RSP] = old;
    throw;
  }
}

void cbw_cwde_cdqe(Cpu& c, const Insn& i) {
  switch (i.osz) {
    case 2: c.setr(RAX, 2, false, (uint64_t)(int64_t)(int8_t)c.r[RAX]); break;
    case 4: c.setr(RAX, 4, false, (uint64_t)(int64_t)(int16_t)c.r[RAX]); break;
    default: c.r[RAX] = (uint64_t)(int64_t)(int32_t)c.r[RAX]; break;
  }
}
void cwd_cdq_cqo(Cpu& c, const Insn& i) {
  const bool neg = c.r[RAX] & sign_bit(i.osz);
  c.setr(RDX, i.osz, false, neg ? ~0ull : 0);
}

void bswap_Zv(Cpu& c, const Insn& i) {
  if (i.osz == 8) c.r[i.reg] = __builtin_bswap64(c.r[i.reg]);
  else if (i.osz == 4) c.r[i.reg] = __builtin_bswap32((uint32_t)c.r[i.reg]);
  else c.setr(i.reg, 2, false, 0);  // bswap r16 is undefined; hardware gives 0
}

void cmovcc_Gv_Ev(Cpu& c, const Insn& i) {
  const uint64_t v = rd_E(c, i, i.osz);  // the source is read (and may fault) either way
  if (c.cond(i.opc & 15)) wr_G(c, i, i.osz, v);
  else if (i.osz == 4) c.r[i.reg] = (uint32_t)c.r[i.reg];  // 32-bit form zero-extends even when false
}

void setcc_Eb(Cpu& c, const Insn& i) { wr_E(c, i, 1, c.cond(i.opc & 15) ? 1 : 0); }

void lahf(Cpu& c, const Insn& i) { c.set8(4, false, (uint8_t)(c.get_rflags() & 0xd5) | 2); }
void sahf(Cpu& c, const Insn& i) { c.set_flags(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF, (c.r[RAX] >> 8) & 0xd5); }

void pushf_Fv(Cpu& c, const Insn& i) {
  // RF and VM read as 0 from pushf.
  push(c, c.get_rflags() & ~0x30000ull, i.osz);
}
void popf_Fv(Cpu& c, const Insn& i) {
  uint64_t v = pop(c, i.osz);
  if (i.osz == 2) v = (c.get_rflags() & ~0xffffull) | v;
  c.set_rflags(v);
}

void enter_Iw_Ib(Cpu& c, const Insn& i) {
  const uint64_t size = i.imm & 0xffff;
  const int level = i.imm2 & 31;
  const int os = i.osz;
  uint64_t sp = c.r[RSP];
  const uint64_t rbp = c.r[RBP];
  // Probe everything first so a fault commits nothing.
  c.mem->probe_write(sp - (uint64_t)os * (level + 1), (uint64_t)os * (level + 1));
  sp -= os;
  wr_mem(c, sp, os, rbp);
  const uint64_t frame = sp;
  if (level > 0) {
    uint64_t bp = rbp;
    for (int k = 1; k < level; k++) {
      bp -= os;
      sp -= os;
      wr_mem(c, sp, os, rd_mem(c, bp, os));
    }
    sp -= os;
    wr_mem(c, sp, os, frame);
  }
  c.setr(RBP, os, false, frame);
  c.r[RSP] = sp - size;
}

void leave(Cpu& c, const Insn& i) {
  const uint64_t v = rd_mem(c, c.r[RBP], i.osz);
  c.r[RSP] = c.r[RBP] + i.osz;
  c.setr(RBP, i.osz, false, v);
}

}  // namespace gb

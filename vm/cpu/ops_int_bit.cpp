// vm/cpu/ops_int_bit.cpp — bit test (bt bts btr btc, register and imm8 offsets),
// bit scan (bsf bsr) and popcnt.
//
// bt* with a register offset and a memory operand addresses the bit string at
// ea + (offset >> log2(bits)) * bytes with the offset taken as signed: the bit can be
// far outside the operand. With an imm8 offset it is masked to the operand size.
// Only CF is defined (OF SF AF PF undefined; we keep them, ZF is preserved as on
// current Intel cores).
#include "vm/cpu/exec.h"

namespace gb {

enum BitOp { BT, BTS, BTR, BTC };

static void bitop(Cpu& c, const Insn& i, int op, uint64_t off, bool reg_off) {
  const int size = i.osz, bits = size * 8;
  uint64_t v, a = 0;
  unsigned bit;
  if (i.mod == 3) {
    bit = (unsigned)(off & (bits - 1));
    v = c.getr(i.rm, size, i.rex);
  } else {
    a = ea(c, i);
    if (reg_off) {
      const int64_t so = sext(off, size);
      a += (uint64_t)((so >> (size == 8 ? 6 : size == 4 ? 5 : 4)) * size);
      if (i.asz == 4) a = (uint32_t)a;
    }
    bit = (unsigned)(off & (bits - 1));
    v = rd_mem(c, a, size);
  }
  const bool cf = (v >> bit) & 1;
  uint64_t r = v;
  switch (op) {
    case BTS: r |= 1ull << bit; break;
    case BTR: r &= ~(1ull << bit); break;
    case BTC: r ^= 1ull << bit; break;
    default: break;
  }
  if (op != BT) {
    if (i.mod == 3) c.setr(i.rm, size, i.rex, r);
    else wr_mem(c, a, size, r);
  }
  c.set_flags(FL_CF, cf ? FL_CF : 0);
}

void bt_Ev_Gv(Cpu& c, const Insn& i) { bitop(c, i, BT, rd_G(c, i, i.osz), true); }
void bts_Ev_Gv(Cpu& c, const Insn& i) { bitop(c, i, BTS, rd_G(c, i, i.osz), true); }
void btr_Ev_Gv(Cpu& c, const Insn& i) { bitop(c, i, BTR, rd_G(c, i, i.osz), true); }
void btc_Ev_Gv(Cpu& c, const Insn& i) { bitop(c, i, BTC, rd_G(c, i, i.osz), true); }
void bt_Ev_Ib(Cpu& c, const Insn& i) { bitop(c, i, BT, i.imm & 0xff, false); }
void bts_Ev_Ib(Cpu& c, const Insn& i) { bitop(c, i, BTS, i.imm & 0xff, false); }
void btr_Ev_Ib(Cpu& c, const Insn& i) { bitop(c, i, BTR, i.imm & 0xff, false); }
void btc_Ev_Ib(Cpu& c, const Insn& i) { bitop(c, i, BTC, i.imm & 0xff, false); }

// bsf/bsr: ZF = (source == 0), destination unchanged then (as on Intel and AMD).
// Other flags undefined; we clear them like current Intel cores.
void bsf_Gv_Ev(Cpu& c, const Insn& i) {
  const uint64_t v = rd_E(c, i, i.osz);
  if (!v) { c.set_flags(FL_ARITH, FL_ZF); return; }
  wr_G(c, i, i.osz, (uint64_t)__builtin_ctzll(v));
  c.set_flags(FL_ARITH, 0);
}
void bsr_Gv_Ev(Cpu& c, const Insn& i) {
  const uint64_t v = rd_E(c, i, i.osz);
  if (!v) { c.set_flags(FL_ARITH, FL_ZF); return; }
  wr_G(c, i, i.osz, (uint64_t)(63 - __builtin_clzll(v)));
  c.set_flags(FL_ARITH, 0);
}
void popcnt_Gv_Ev(Cpu& c, const Insn& i) {
  const uint64_t v = rd_E(c, i, i.osz);
  wr_G(c, i, i.osz, (uint64_t)__builtin_popcountll(v));
  c.set_flags(FL_ARITH, v ? 0 : FL_ZF);
}

}  // namespace gb

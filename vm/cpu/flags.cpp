// vm/cpu/flags.cpp — materialising lazy flags and evaluating condition codes.
//
// Each arithmetic flag is derived from the recorded (op, size, dst, src, res).
// Formulas (size-truncated values, SB = sign bit of the size):
//   ADD/ADC: CF = res < dst (or res == dst when carry in), OF = (dst^res)&(src^res)&SB
//   SUB/SBB: CF = dst < src (or dst <= src when borrow in), OF = (dst^src)&(dst^res)&SB
//   INC/DEC: CF kept from before (cin), OF = res == 0x80..0 / 0x7f..f
//   LOGIC:   CF = OF = AF = 0
//   AF = (dst ^ src ^ res) & 0x10 for the add/sub family.
#include "vm/cpu/cpu.h"

namespace gb {

bool Cpu::cf() const {
  const uint64_t m = size_mask(cc.size);
  switch (cc.op) {
    case CC_NONE: return rflags & FL_CF;
    case CC_ADD: return (cc.res & m) < (cc.dst & m);
    case CC_ADC: return cc.cin ? (cc.res & m) <= (cc.dst & m) : (cc.res & m) < (cc.dst & m);
    case CC_SUB: return (cc.dst & m) < (cc.src & m);
    case CC_SBB: return cc.cin ? (cc.dst & m) <= (cc.src & m) : (cc.dst & m) < (cc.src & m);
    case CC_LOGIC: return false;
    case CC_INC: case CC_DEC: return cc.cin;
  }
  return false;
}

bool Cpu::zf() const {
  if (cc.op == CC_NONE) return rflags & FL_ZF;
  return (cc.res & size_mask(cc.size)) == 0;
}

bool Cpu::sf() const {
  if (cc.op == CC_NONE) return rflags & FL_SF;
  return cc.res & sign_bit(cc.size);
}

bool Cpu::pf() const {
  if (cc.op == CC_NONE) return rflags & FL_PF;
  return parity8(cc.res);
}

bool Cpu::af() const {
  switch (cc.op) {
    case CC_NONE: return rflags & FL_AF;
    case CC_LOGIC: return false;
    case CC_INC: case CC_DEC: return ((cc.res ^ cc.dst ^ 1) & 0x10) != 0;
    default: return ((cc.dst ^ cc.src ^ cc.res) & 0x10) != 0;
  }
}

bool Cpu::of() const {
  const uint64_t sb = sign_bit(cc.size);
  switch (cc.op) {
    case CC_NONE: return rflags & FL_OF;
    case CC_ADD: case CC_ADC: return ((cc.dst ^ cc.res) & (cc.src ^ cc.res) & sb) != 0;
    case CC_SUB: case CC_SBB: return ((cc.dst ^ cc.src) & (cc.dst ^ cc.res) & sb) != 0;
    case CC_LOGIC: return false;
    case CC_INC: return (cc.res & size_mask(cc.size)) == sb;
    case CC_DEC: return (cc.res & size_mask(cc.size)) == sb - 1;
  }
  return false;
}

uint64_t Cpu::get_rflags() const {
  if (cc.op == CC_NONE) return rflags;
  uint64_t f = rflags & ~FL_ARITH;
  if (cf()) f |= FL_CF;
  if (pf()) f |= FL_PF;
  if (af()) f |= FL_AF;
  if (zf()) f |= FL_ZF;
  if (sf()) f |= FL_SF;
  if (of()) f |= FL_OF;
  return f;
}

void Cpu::set_rflags(uint64_t v) {
  // User mode may change the arithmetic flags, TF, DF, AC and ID; bit 1 is always set.
  const uint64_t writable = FL_ARITH | FL_TF | FL_DF | FL_AC | FL_ID;
  cc.op = CC_NONE;
  rflags = (rflags & ~writable) | (v & writable) | 2;
}

bool Cpu::cond_slow(int c) const {
  bool v;
  switch (c >> 1) {
    case 0: v = of(); break;
    case 1: v = cf(); break;
    case 2: v = zf(); break;
    case 3: v = cf() || zf(); break;
    case 4: v = sf(); break;
    case 5: v = pf(); break;
    case 6: v = sf() != of(); break;
    default: v = zf() || (sf() != of()); break;
  }
  return (c & 1) ? !v : v;
}

}  // namespace gb

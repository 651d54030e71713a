// vm/cpu/ops_int_shift.cpp — group 2 shifts and rotates (rol ror rcl rcr shl shr sal sar)
// and the double shifts shld/shrd.
//
// Flag rules (SDM vol. 2B, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD):
//   * The count is masked to 5 bits (6 with REX.W). A masked count of 0 changes nothing,
//     not even flags.
//   * Shifts: CF = last bit shifted out; SF ZF PF from the result; AF undefined (0 here);
//     OF defined only for count 1 (shl: MSB(result) ^ CF; shr: MSB(original); sar: 0);
//     we compute the count-1 formula for every count.
//   * Rotates touch only CF and OF. rol: CF = LSB(result), OF = MSB ^ CF;
//     ror: CF = MSB(result), OF = MSB ^ next bit; rcl/rcr rotate through CF with the
//     count taken modulo size+1 for 8 and 16 bit operands.
#include "vm/cpu/exec.h"

namespace gb {

static uint64_t szf(int size, uint64_t r) {
  uint64_t f = 0;
  r &= size_mask(size);
  if (!r) f |= FL_ZF;
  if (r & sign_bit(size)) f |= FL_SF;
  if (parity8(r)) f |= FL_PF;
  return f;
}

// Returns the new value; sets flags. `op` is ModRM.reg of group 2.
static uint64_t shift(Cpu& c, int op, int size, uint64_t d, unsigned count) {
  const int bits = size * 8;
  const uint64_t m = size_mask(size), sb = sign_bit(size);
  count &= size == 8 ? 63 : 31;
  if (!count) return d;
  d &= m;
  uint64_t r = d;
  switch (op) {
    case 0: {  // rol
      const unsigned n = count % bits;
      r = n ? ((d << n) | (d >> (bits - n))) & m : d;
      const bool cf = r & 1;
      c.set_flags(FL_CF | FL_OF, (cf ? FL_CF : 0) | ((((r & sb) != 0) ^ cf) ? FL_OF : 0));
      return r;
    }
    case 1: {  // ror
      const unsigned n = count % bits;
      r = n ? ((d >> n) | (d << (bits - n))) & m : d;
      const bool msb = r & sb, next = r & (sb >> 1);
      c.set_flags(FL_CF | FL_OF, (msb ? FL_CF : 0) | ((msb ^ next) ? FL_OF : 0));
      return r;
    }
    case 2: {  // rcl: rotate the (bits+1)-bit value CF:d left
      const unsigned n = size <= 2 ? count % (bits + 1) : count;
      bool cf = c.cf();
      for (unsigned k = 0; k < n; k++) {
        const bool out = r & sb;
        r = ((r << 1) | (cf ? 1 : 0)) & m;
        cf = out;
      }
      c.set_flags(FL_CF | FL_OF, (cf ? FL_CF : 0) | ((((r & sb) != 0) ^ cf) ? FL_OF : 0));
      return r;
    }
    case 3: {  // rcr
      const unsigned n = size <= 2 ? count % (bits + 1) : count;
      bool cf = c.cf();
      const bool of = ((d & sb) != 0) ^ cf;
      for (unsigned k = 0; k < n; k++) {
        const bool out = r & 1;
        r = (r >> 1) | (cf ? sb : 0);
        cf = out;
      }
      c.set_flags(FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
      return r;
    }
    case 4: case 6: {  // shl / sal
      bool cf;
      if (count < (unsigned)bits) { r = (d << count) & m; cf = (d >> (bits - count)) & 1; }
      else { r = 0; cf = count == (unsigned)bits ? (d & 1) : false; }
      const bool of = ((r & sb) != 0) ^ cf;
      c.set_flags(FL_ARITH, szf(size, r) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
      return r;
    }
    case 5: {  // shr
      bool cf;
      if (count < (unsigned)bits) { r = d >> count; cf = (d >> (count - 1)) & 1; }
      else { r = 0; cf = count == (unsigned)bits ? ((d & sb) != 0) : false; }
      const bool of = (d & sb) != 0;
      c.set_flags(FL_ARITH, szf(size, r) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
      return r;
    }
    default: {  // sar
      const int64_t s = sext(d, size);
      const unsigned n = count < (unsigned)bits ? count : bits - 1;
      r = (uint64_t)(s >> n) & m;
      const bool cf = count < (unsigned)bits ? ((s >> (count - 1)) & 1) : (s < 0);
      c.set_flags(FL_ARITH, szf(size, r) | (cf ? FL_CF : 0));
      return r;
    }
  }
}

static void grp2(Cpu& c, const Insn& i, int size, unsigned count) {
  const int op = i.reg & 7;
  if (i.mod == 3) {
    c.setr(i.rm, size, i.rex, shift(c, op, size, c.getr(i.rm, size, i.rex), count));
    return;
  }
  const uint64_t a = ea(c, i);
  const uint64_t d = rd_mem(c, a, size);
  c.mem->probe_write(a, size);  // fault before the flags change
  wr_mem(c, a, size, shift(c, op, size, d, count));
}

void grp2_Eb_Ib(Cpu& c, const Insn& i) { grp2(c, i, 1, (unsigned)i.imm & 0xff); }
void grp2_Ev_Ib(Cpu& c, const Insn& i) { grp2(c, i, i.osz, (unsigned)i.imm & 0xff); }
void grp2_Eb_1(Cpu& c, const Insn& i) { grp2(c, i, 1, 1); }
void grp2_Ev_1(Cpu& c, const Insn& i) { grp2(c, i, i.osz, 1); }
void grp2_Eb_CL(Cpu& c, const Insn& i) { grp2(c, i, 1, (unsigned)c.r[RCX] & 0xff); }
void grp2_Ev_CL(Cpu& c, const Insn& i) { grp2(c, i, i.osz, (unsigned)c.r[RCX] & 0xff); }

// shld: dst = dst << n | src >> (bits - n); shrd mirrors it.
static void dshift(Cpu& c, const Insn& i, unsigned count, bool left) {
  const int size = i.osz, bits = size * 8;
  const uint64_t m = size_mask(size), sb = sign_bit(size);
  count &= size == 8 ? 63 : 31;
  if (!count) {
    // Nothing shifts and no flag changes, but a 32-bit register destination is still
    // written (upper half zeroed), and a memory operand is still read.
    if (i.mod != 3) rd_mem(c, ea(c, i), size);
    else if (size == 4) c.r[i.rm] = (uint32_t)c.r[i.rm];
    return;
  }
  const uint64_t a = i.mod == 3 ? 0 : ea(c, i);
  const uint64_t d = (i.mod == 3 ? c.getr(i.rm, size, i.rex) : rd_mem(c, a, size)) & m;
  const uint64_t s = rd_G(c, i, size) & m;
  uint64_t r;
  bool cf;
  if (size == 2 && count > 16) {
    // Undefined result for 16-bit counts above 16; model as a 48-bit rotate like Intel.
    const uint64_t wide = (d << 32) | (s << 16) | d;
    r = left ? (wide >> (32 - (count - 16))) & m : (wide >> count) & m;
    cf = left ? (d >> (16 - (count - 16))) & 1 : (wide >> (count - 1)) & 1;
  } else if (left) {
    r = ((d << count) | (count == (unsigned)bits ? s : s >> (bits - count))) & m;
    cf = (d >> (bits - count)) & 1;
  } else {
    r = ((d >> count) | (count == (unsigned)bits ? s : s << (bits - count))) & m;
    cf = (d >> (count - 1)) & 1;
  }
  if (i.mod == 3) c.setr(i.rm, size, i.rex, r);
  else wr_mem(c, a, size, r);
  const bool of = ((r ^ d) & sb) != 0;
  c.set_flags(FL_ARITH, szf(size, r) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void shld_Ev_Gv_Ib(Cpu& c, const Insn& i) { dshift(c, i, (unsigned)i.imm & 0xff, true); }
void shld_Ev_Gv_CL(Cpu& c, const Insn& i) { dshift(c, i, (unsigned)c.r[RCX] & 0xff, true); }
void shrd_Ev_Gv_Ib(Cpu& c, const Insn& i) { dshift(c, i, (unsigned)i.imm & 0xff, false); }
void shrd_Ev_Gv_CL(Cpu& c, const Insn& i) { dshift(c, i, (unsigned)c.r[RCX] & 0xff, false); }

}  // namespace gb

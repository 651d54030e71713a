// vm/cpu/ops_int_muldiv.cpp — mul, imul (one, two and three operand forms), div, idiv.
// Flags: mul/imul set CF = OF = "the result did not fit"; SF ZF AF PF undefined (we set
// SF/ZF/PF from the low half like Intel cores do, AF = 0). div/idiv leave every flag
// undefined (we leave them unchanged). Divide by zero or quotient overflow: #DE -> SIGFPE.
#include "vm/cpu/exec.h"

namespace gb {

typedef unsigned __int128 u128;
typedef __int128 s128;

static void mul_flags(Cpu& c, int size, uint64_t lo, bool overflow) {
  uint64_t f = overflow ? (FL_CF | FL_OF) : 0;
  if (parity8(lo)) f |= FL_PF;
  if ((lo & size_mask(size)) == 0) f |= FL_ZF;
  if (lo & sign_bit(size)) f |= FL_SF;
  c.set_flags(FL_ARITH, f);
}

void mul_Eb(Cpu& c, const Insn& i) {
  const uint64_t r = (c.r[RAX] & 0xff) * rd_E(c, i, 1);
  c.setr(RAX, 2, false, r);
  mul_flags(c, 1, r, (r >> 8) != 0);
}
void imul_Eb(Cpu& c, const Insn& i) {
  const int64_t r = (int64_t)(int8_t)c.r[RAX] * (int8_t)rd_E(c, i, 1);
  c.setr(RAX, 2, false, (uint64_t)r);
  mul_flags(c, 1, (uint64_t)r, r != (int8_t)r);
}
void mul_Ev(Cpu& c, const Insn& i) {
  const int s = i.osz;
  const uint64_t src = rd_E(c, i, s);
  const u128 r = (u128)(c.r[RAX] & size_mask(s)) * src;
  uint64_t lo, hi;
  if (s == 8) { lo = (uint64_t)r; hi = (uint64_t)(r >> 64); }
  else { lo = (uint64_t)r & size_mask(s); hi = (uint64_t)(r >> (8 * s)) & size_mask(s); }
  c.setr(RAX, s, false, lo);
  c.setr(RDX, s, false, hi);
  mul_flags(c, s, lo, hi != 0);
}
void imul_Ev(Cpu& c, const Insn& i) {
  const int s = i.osz;
  const int64_t src = sext(rd_E(c, i, s), s);
  const s128 r = (s128)sext(c.r[RAX], s) * src;
  uint64_t lo, hi;
  bool ovf;
  if (s == 8) { lo = (uint64_t)r; hi = (uint64_t)((u128)r >> 64); ovf = r != (s128)(int64_t)lo; }
  else {
    lo = (uint64_t)r & size_mask(s);
    hi = (uint64_t)(r >> (8 * s)) & size_mask(s);
    ovf = (int64_t)r != sext(lo, s);
  }
  c.setr(RAX, s, false, lo);
  c.setr(RDX, s, false, hi);
  mul_flags(c, s, lo, ovf);
}

static void imul3(Cpu& c, const Insn& i, int64_t a, int64_t b) {
  const int s = i.osz;
  const s128 r = (s128)a * b;
  const uint64_t lo = (uint64_t)r;
  const bool ovf = s == 8 ? r != (s128)(int64_t)lo : (int64_t)r != sext(lo, s);
  wr_G(c, i, s, lo);
  mul_flags(c, s, lo, ovf);
}
void imul_Gv_Ev(Cpu& c, const Insn& i) { imul3(c, i, sext(rd_G(c, i, i.osz), i.osz), sext(rd_E(c, i, i.osz), i.osz)); }
void imul_Gv_Ev_Iz(Cpu& c, const Insn& i) { imul3(c, i, sext(rd_E(c, i, i.osz), i.osz), (int64_t)i.imm); }
void imul_Gv_Ev_Ib(Cpu& c, const Insn& i) { imul3(c, i, sext(rd_E(c, i, i.osz), i.osz), (int64_t)i.imm); }

void div_Eb(Cpu& c, const Insn& i) {
  const uint64_t d = rd_E(c, i, 1);
  if (!d) throw DivFault{};
  const uint64_t n = c.r[RAX] & 0xffff;
  const uint64_t q = n / d;
  if (q > 0xff) throw DivFault{};
  c.setr(RAX, 2, false, ((n % d) << 8) | q);
}
void idiv_Eb(Cpu& c, const Insn& i) {
  const int64_t d = (int8_t)rd_E(c, i, 1);
  if (!d) throw DivFault{};
  const int64_t n = (int16_t)c.r[RAX];
  const int64_t q = n / d;
  if (q != (int8_t)q) throw DivFault{};
  c.setr(RAX, 2, false, (((uint64_t)(n % d) & 0xff) << 8) | ((uint64_t)q & 0xff));
}
void div_Ev(Cpu& c, const Insn& i) {
  const int s = i.osz;
  const uint64_t d = rd_E(c, i, s);
  if (!d) throw DivFault{};
  if (s == 8) {
    const u128 n = ((u128)c.r[RDX] << 64) | c.r[RAX];
    const u128 q = n / d;
    if (q >> 64) throw DivFault{};
    c.r[RDX] = (uint64_t)(n % d);
    c.r[RAX] = (uint64_t)q;
    return;
  }
  const uint64_t m = size_mask(s);
  const uint64_t n = ((c.r[RDX] & m) << (8 * s)) | (c.r[RAX] & m);
  const uint64_t q = n / d;
  if (q > m) throw DivFault{};
  c.setr(RAX, s, false, q);
  c.setr(RDX, s, false, n % d);
}
void idiv_Ev(Cpu& c, const Insn& i) {
  const int s = i.osz;
  const int64_t d = sext(rd_E(c, i, s), s);
  if (!d) throw DivFault{};
  if (s == 8) {
    const s128 n = (s128)(((u128)c.r[RDX] << 64) | c.r[RAX]);
    if (d == -1 && n == (s128)((u128)1 << 127)) throw DivFault{};
    const s128 q = n / d;
    if (q != (s128)(int64_t)q) throw DivFault{};
    c.r[RDX] = (uint64_t)(int64_t)(n % d);
    c.r[RAX] = (uint64_t)(int64_t)q;
    return;
  }
  const uint64_t m = size_mask(s);
  const int64_t n = sext(((c.r[RDX] & m) << (8 * s)) | (c.r[RAX] & m), 2 * s);
  const int64_t q = n / d;
  if (q != sext((uint64_t)q & m, s)) throw DivFault{};
  c.setr(RAX, s, false, (uint64_t)q);
  c.setr(RDX, s, false, (uint64_t)(n % d));
}

}  // namespace gb

// vm/cpu/ops_x87_load.cpp — x87 data movement: fld/fst/fstp (m32, m64, m80, st(i)),
// fild/fist/fistp (m16, m32, m64), fbld/fbstp, the constants, fxch, ffree/ffreep.
//
// The model (doubles, what is exact) is described in vm/cpu/f80.h. Stores compute the
// value and its flags first, write memory (the only thing that can fault), and only
// then touch the status word and the stack.
#include <cmath>

#include "vm/cpu/exec.h"
#include "vm/cpu/f80.h"

namespace gb {

using namespace x87;

namespace {

// Commit the flags of a store: a stack underflow, or the conversion's flags with C1.
inline void store_flags(Cpu& c, bool ok, uint16_t exc) {
  if (!ok) { stack_underflow(c); return; }
  set_c1(c, exc & FSW_C1);
  if (exc & FSW_EXC) raise(c, exc & FSW_EXC);
}

template <int SIZE>
void fld_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  uint16_t exc = 0;
  double v;
  if (SIZE == 4) v = f32_to_double((uint32_t)c.mem->read<uint32_t>(a), &exc);
  else if (SIZE == 8) v = f64_load(c.mem->read<uint64_t>(a), &exc);
  else v = f80_to_double(rd_m80(c, a));  // a move on hardware: no exceptions
  note(c, i, a);
  if (exc) raise(c, exc);
  fpush(c, v);
}

template <int SIZE, bool POP>
void fst_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const bool ok = !is_empty(c, 0);
  const double v = ok ? st(c, 0) : indefinite();
  uint16_t exc = 0;
  if (SIZE == 4) {
    c.mem->write<uint32_t>(a, double_to_f32(v, rc(c), &exc));
  } else if (SIZE == 8) {
    uint64_t b = double_to_bits(v);
    if (is_snan(v)) { exc = FSW_IE; b = double_to_bits(quiet(v)); }
    c.mem->write<uint64_t>(a, b);
  } else {
    wr_m80(c, a, double_to_f80(v));
  }
  note(c, i, a);
  store_flags(c, ok, exc);
  if (POP) fpop(c);
}

template <int SIZE>
void fild_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const int64_t v = sext(rd_mem(c, a, SIZE), SIZE);
  note(c, i, a);
  fpush(c, (double)v);  // exact below 2^53; fild m64 rounds to nearest above
}

// Integer conversion by RC; out-of-range, NaN and infinity give the integer indefinite.
template <int SIZE>
uint64_t to_int(const Cpu& c, double v, uint16_t& exc) {
  const double r = round_rc(v, rc(c));
  const double lim = (double)(1ull << (SIZE * 8 - 1));
  if (!(r >= -lim && r < lim)) {  // also NaN
    exc = FSW_IE;
    return 1ull << (SIZE * 8 - 1);
  }
  if (r != v) exc = (uint16_t)(FSW_PE | (std::fabs(r) > std::fabs(v) ? FSW_C1 : 0));
  return (uint64_t)(int64_t)r & size_mask(SIZE);
}

template <int SIZE, bool POP>
void fist_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const bool ok = !is_empty(c, 0);
  uint16_t exc = 0;
  const uint64_t v = ok ? to_int<SIZE>(c, st(c, 0), exc) : 1ull << (SIZE * 8 - 1);
  wr_mem(c, a, SIZE, v);
  note(c, i, a);
  store_flags(c, ok, exc);
  if (POP) fpop(c);
}

}  // namespace

// ---- loads and stores of floating-point memory operands ----
void fld_m32(Cpu& c, const Insn& i) { fld_mem<4>(c, i); }
void fld_m64(Cpu& c, const Insn& i) { fld_mem<8>(c, i); }
void fld_m80(Cpu& c, const Insn& i) { fld_mem<10>(c, i); }
void fst_m32(Cpu& c, const Insn& i) { fst_mem<4, false>(c, i); }
void fstp_m32(Cpu& c, const Insn& i) { fst_mem<4, true>(c, i); }
void fst_m64(Cpu& c, const Insn& i) { fst_mem<8, false>(c, i); }
void fstp_m64(Cpu& c, const Insn& i) { fst_mem<8, true>(c, i); }
void fstp_m80(Cpu& c, const Insn& i) { fst_mem<10, true>(c, i); }

// ---- integer loads and stores ----
void fild_m16(Cpu& c, const Insn& i) { fild_mem<2>(c, i); }
void fild_m32(Cpu& c, const Insn& i) { fild_mem<4>(c, i); }
void fild_m64(Cpu& c, const Insn& i) { fild_mem<8>(c, i); }
void fist_m16(Cpu& c, const Insn& i) { fist_mem<2, false>(c, i); }
void fistp_m16(Cpu& c, const Insn& i) { fist_mem<2, true>(c, i); }
void fist_m32(Cpu& c, const Insn& i) { fist_mem<4, false>(c, i); }
void fistp_m32(Cpu& c, const Insn& i) { fist_mem<4, true>(c, i); }
void fistp_m64(Cpu& c, const Insn& i) { fist_mem<8, true>(c, i); }

// ---- packed BCD: 9 bytes of two digits each (low digit in the low nibble), sign in bit 79 ----
void fbld_m80(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  uint8_t b[10];
  c.mem->read_bytes(a, b, 10);
  note(c, i, a);
  uint64_t v = 0;
  for (int k = 8; k >= 0; k--) v = v * 100 + (b[k] >> 4) * 10 + (b[k] & 15);  // invalid digits: undefined
  const double d = (double)v;
  fpush(c, (b[9] & 0x80) ? -d : d);
}

void fbstp_m80(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const bool ok = !is_empty(c, 0);
  uint16_t exc = 0;
  uint8_t b[10] = {};
  const double v = ok ? st(c, 0) : indefinite();
  const double r = round_rc(v, rc(c));
  if (!(std::fabs(r) <= 999999999999999999.0)) {  // also NaN: the BCD indefinite
    if (ok) exc = FSW_IE;
    b[7] = 0xc0; b[8] = 0xff; b[9] = 0xff;
  } else {
    if (r != v) exc = (uint16_t)(FSW_PE | (std::fabs(r) > std::fabs(v) ? FSW_C1 : 0));
    uint64_t n = (uint64_t)std::fabs(r);
    for (int k = 0; k < 9; k++) {
      const unsigned lo = (unsigned)(n % 10); n /= 10;
      const unsigned hi = (unsigned)(n % 10); n /= 10;
      b[k] = (uint8_t)(lo | (hi << 4));
    }
    if (std::signbit(r)) b[9] = 0x80;
  }
  c.mem->write_bytes(a, b, 10);
  note(c, i, a);
  store_flags(c, ok, exc);
  fpop(c);
}

// ---- register moves ----
void fld_STi(Cpu& c, const Insn& i) {
  enter(c, i);
  double v;
  get(c, i.rm & 7, v);  // empty: underflow, pushes the indefinite
  fpush(c, v);
}

void fst_STi(Cpu& c, const Insn& i) {
  enter(c, i);
  double v;
  if (get(c, 0, v)) c.fpu.fsw &= ~FSW_C1;
  put(c, i.rm & 7, v);
}

void fstp_STi(Cpu& c, const Insn& i) {
  fst_STi(c, i);
  fpop(c);
}

void fxch_STi(Cpu& c, const Insn& i) {
  enter(c, i);
  const int k = i.rm & 7;
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, k), 0)) {
    stack_underflow(c);
    if (is_empty(c, 0)) put(c, 0, indefinite());
    if (is_empty(c, k)) put(c, k, indefinite());
  } else {
    c.fpu.fsw &= ~FSW_C1;
  }
  const double t = st(c, 0);
  st(c, 0) = st(c, k);
  st(c, k) = t;
}

void ffree_STi(Cpu& c, const Insn& i) {
  enter(c, i);
  tag_empty(c, i.rm & 7);
}

void ffreep_STi(Cpu& c, const Insn& i) {
  ffree_STi(c, i);
  fpop(c);
}

// D9 E8-EE: fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz (the correctly rounded doubles).
void x87_D9_E8(Cpu& c, const Insn& i) {
  static const double k[7] = {1.0, 3.321928094887362347870, 1.442695040888963407360, 3.141592653589793238463,
                              0.301029995663981195214, 0.693147180559945309417, 0.0};
  const int r = i.rm & 7;
  if (r == 7) { op_ud(c, i); return; }
  enter(c, i);
  fpush(c, k[r]);
}

}  // namespace gb

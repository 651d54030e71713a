// vm/cpu/ops_x87_load.cpp — x87 data movement: fld/fst/fstp (m32, m64, m80, st(i)),
// fild/fist/fistp (m16, m32, m64), fbld/fbstp, the constants, fxch, ffree/ffreep.
//
// Conversions are vm/cpu/x87_softfloat.h (rounded by FCW.RC). Stores compute the
// value and its flags first, write memory (the only thing that can fault), and only
// then touch the status word and the stack.
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
  sf::Env e;
  F80 v;
  if (SIZE == 4) v = sf::from_f32((uint32_t)c.mem->read<uint32_t>(a), false, e);
  else if (SIZE == 8) v = sf::from_f64(c.mem->read<uint64_t>(a), false, e);
  else v = rd_m80(c, a);  // a move: no exceptions
  note(c, i, a);
  if (e.exc && is_empty_phys(c, (c.fpu.top - 1) & 7)) raise(c, e.exc);  // a stack overflow hides them
  fpush(c, v);
}

template <int SIZE, bool POP>
void fst_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const bool ok = !is_empty(c, 0);
  const F80 v = ok ? st(c, 0) : sf::kIndefinite;
  sf::Env e = env(c);
  if (SIZE == 4) c.mem->write<uint32_t>(a, sf::to_f32(v, e));
  else if (SIZE == 8) c.mem->write<uint64_t>(a, sf::to_f64(v, e));
  else wr_m80(c, a, v);
  note(c, i, a);
  store_flags(c, ok, e.exc);
  if (POP) fpop(c);
}

template <int SIZE>
void fild_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const int64_t v = sext(rd_mem(c, a, SIZE), SIZE);
  note(c, i, a);
  fpush(c, sf::from_i64(v));  // exact
}

template <int SIZE, bool POP>
void fist_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const bool ok = !is_empty(c, 0);
  sf::Env e = env(c);
  const uint64_t v = ok ? sf::to_int(st(c, 0), SIZE * 8, e) : 1ull << (SIZE * 8 - 1);
  wr_mem(c, a, SIZE, v);
  note(c, i, a);
  store_flags(c, ok, e.exc);
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
  F80 d = sf::from_i64((int64_t)v);  // < 10^18 < 2^63: exact
  if (b[9] & 0x80) d = sf::negate(d);
  fpush(c, d);
}

void fbstp_m80(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  const bool ok = !is_empty(c, 0);
  uint8_t b[10] = {};
  const F80 v = ok ? st(c, 0) : sf::kIndefinite;
  sf::Env e = env(c);
  const sf::Class cl = sf::classify(v);
  F80 r = v;
  bool bad = !(cl == sf::C_ZERO || cl == sf::C_NORMAL || cl == sf::C_DENORMAL);
  uint64_t n = 0;
  if (!bad && cl != sf::C_ZERO) {
    r = sf::round_int(v, e);
    e.exc &= (uint16_t)~sf::X_DE;  // not reported by fbstp (measured)
    if (sf::classify(r) != sf::C_ZERO) {
      const sf::Unp u = sf::unpack(r);
      const int ue = u.exp - 16383;
      if (ue >= 60) bad = true;
      else n = u.sig >> (63 - ue);
      if (n > 999999999999999999ull) bad = true;
    }
  }
  if (bad) {  // also NaN: the BCD indefinite
    e.exc = ok ? sf::X_IE : 0;
    b[7] = 0xc0; b[8] = 0xff; b[9] = 0xff;
  } else {
    for (int k = 0; k < 9; k++) {
      const unsigned lo = (unsigned)(n % 10); n /= 10;
      const unsigned hi = (unsigned)(n % 10); n /= 10;
      b[k] = (uint8_t)(lo | (hi << 4));
    }
    if (sf::sign_of(r)) b[9] = 0x80;
  }
  c.mem->write_bytes(a, b, 10);
  note(c, i, a);
  store_flags(c, ok, e.exc);
  fpop(c);
}

// ---- register moves ----
void fld_STi(Cpu& c, const Insn& i) {
  enter(c, i);
  F80 v;
  get(c, i.rm & 7, v);  // empty: underflow, pushes the indefinite
  fpush(c, v);
}

void fst_STi(Cpu& c, const Insn& i) {
  enter(c, i);
  F80 v;
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
    if (is_empty(c, 0)) put(c, 0, sf::kIndefinite);
    if (is_empty(c, k)) put(c, k, sf::kIndefinite);
  } else {
    c.fpu.fsw &= ~FSW_C1;
  }
  const F80 t = st(c, 0);
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

// D9 E8-EE: fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz (rounded by RC from the exact
// values, as the x87 rounds its internal 66-bit constants; no exceptions).
void x87_D9_E8(Cpu& c, const Insn& i) {
  const int r = i.rm & 7;
  if (r == 7) { op_ud(c, i); return; }
  enter(c, i);
  fpush(c, sf::constant(r, rc(c)));
}

}  // namespace gb

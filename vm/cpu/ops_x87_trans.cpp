// vm/cpu/ops_x87_trans.cpp — the D9 F0-FF group: f2xm1 fyl2x fptan fpatan fxtract
// fprem1 fdecstp fincstp fprem fyl2xp1 fsqrt fsincos frndint fscale fsin fcos.
//
// Exact ones (as on hardware, vm/cpu/x87_softfloat.cpp): fsqrt (with precision
// control), frndint (by RC), fscale, fxtract, fprem and fprem1 (quotient bits in C0 C3
// C1; the partial reduction for exponent differences >= 64 uses N = 32 + (D mod 32),
// measured on hardware). Transcendentals: vm/cpu/x87_transcendental.cpp. fsin fcos
// fsincos fptan leave st0 alone and set C2 when |x| >= 2^63, like hardware.
#include "vm/cpu/exec.h"
#include "vm/cpu/f80.h"

namespace gb {

using namespace x87;

namespace {

// Unary op on st0. Returns false (having applied the masked response) if st0 is empty.
inline bool get0(Cpu& c, F80& v) {
  if (__builtin_expect(is_empty(c, 0), 0)) {
    stack_underflow(c);
    put(c, 0, sf::kIndefinite);
    return false;
  }
  c.fpu.fsw &= ~FSW_C1;
  v = st(c, 0);
  return true;
}

// Binary op on st0 (x) and st1 (y) whose result goes to st1, then pop.
template <class F>
void binary_pop(Cpu& c, F f) {
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, 1), 0)) {
    stack_underflow(c);
    put(c, 1, sf::kIndefinite);
  } else {
    sf::Env e = env(c);
    const F80 r = f(st(c, 0), st(c, 1), e);
    put(c, 1, r);
    commit(c, e);
  }
  fpop(c);
}

template <class F>
void unary(Cpu& c, bool use_pc, F f) {
  F80 x;
  if (!get0(c, x)) return;
  sf::Env e = env(c, use_pc);
  st(c, 0) = f(x, e);
  commit(c, e);
}

void f2xm1(Cpu& c) { unary(c, false, [](F80 x, sf::Env& e) { return sf::f2xm1(x, e); }); }
void fsqrt(Cpu& c) { unary(c, true, [](F80 x, sf::Env& e) { return sf::sqrt(x, e); }); }
void frndint(Cpu& c) { unary(c, false, [](F80 x, sf::Env& e) { return sf::round_int(x, e); }); }
void fyl2x(Cpu& c) { binary_pop(c, [](F80 x, F80 y, sf::Env& e) { return sf::fyl2x(x, y, e); }); }
void fyl2xp1(Cpu& c) { binary_pop(c, [](F80 x, F80 y, sf::Env& e) { return sf::fyl2xp1(x, y, e); }); }
void fpatan(Cpu& c) { binary_pop(c, [](F80 x, F80 y, sf::Env& e) { return sf::fpatan(x, y, e); }); }

// Operand checks of fsin fcos fsincos fptan: NaN, unsupported, infinity and the 2^63
// range limit. Returns false when st0 needs no computation (`two`: fptan/fsincos, which
// on NaN and invalid operands put the result in both registers).
inline bool trig_special(Cpu& c, F80 x, bool two) {
  const sf::Class cl = sf::classify(x);
  F80 r;
  if (cl == sf::C_QNAN || cl == sf::C_SNAN) {
    sf::Env e;
    r = sf::nan_pick(x, x, e);
    if (e.exc) raise(c, e.exc);
  } else if (cl == sf::C_INF || cl == sf::C_UNSUPPORTED) {
    raise(c, FSW_IE);
    r = sf::kIndefinite;
  } else {
    if (cl != sf::C_ZERO && sf::biased_exp(x) >= 16383 + 63) { c.fpu.fsw |= FSW_C2; return false; }
    return true;
  }
  st(c, 0) = r;
  if (two) fpush(c, r);
  return false;
}

void fsin_fcos(Cpu& c, bool cosine) {
  c.fpu.fsw &= ~FSW_C2;
  F80 x;
  if (!get0(c, x) || !trig_special(c, x, false)) return;
  sf::Env e = env(c);
  F80 r;
  if (cosine) sf::sincos(x, nullptr, &r, e);
  else sf::sincos(x, &r, nullptr, e);
  st(c, 0) = r;
  commit(c, e);
}

// fptan fsincos fxtract replace st0 and push a second value. Masked responses (measured
// on hardware): stack overflow or an empty st0 leave the indefinite in both, a NaN is
// propagated into both. Returns false when the instruction is finished.
inline bool two_results(Cpu& c, F80& x, bool trig) {
  if (trig) c.fpu.fsw &= ~FSW_C2;
  if (__builtin_expect(!is_empty(c, 7), 0)) {
    stack_overflow(c);
    put(c, 0, sf::kIndefinite);
    fpush(c, sf::kIndefinite);
    return false;
  }
  if (__builtin_expect(is_empty(c, 0), 0)) {
    stack_underflow(c);
    put(c, 0, sf::kIndefinite);
    fpush(c, sf::kIndefinite);
    return false;
  }
  c.fpu.fsw &= ~FSW_C1;
  x = st(c, 0);
  return true;
}

void fptan(Cpu& c) {
  F80 x;
  if (!two_results(c, x, true) || !trig_special(c, x, true)) return;
  sf::Env e = env(c);
  st(c, 0) = sf::tan(x, e);
  fpush(c, sf::constant(0, RC_NEAREST));
  commit(c, e);
}

void fsincos(Cpu& c) {
  F80 x;
  if (!two_results(c, x, true) || !trig_special(c, x, true)) return;
  sf::Env e = env(c);
  F80 s, co;
  sf::sincos(x, &s, &co, e);
  st(c, 0) = s;
  fpush(c, co);
  commit(c, e);
}

void fxtract(Cpu& c) {
  F80 x;
  if (!two_results(c, x, false)) return;
  const sf::Class cl = sf::classify(x);
  F80 ex, sig;
  switch (cl) {
    case sf::C_QNAN: case sf::C_SNAN: {
      sf::Env e;
      ex = sig = sf::nan_pick(x, x, e);
      if (e.exc) raise(c, e.exc);
      break;
    }
    case sf::C_UNSUPPORTED: raise(c, FSW_IE); ex = sig = sf::kIndefinite; break;
    case sf::C_ZERO: raise(c, FSW_ZE); ex = sf::inf(true); sig = x; break;
    case sf::C_INF: ex = sf::inf(false); sig = x; break;
    default: {
      if (cl == sf::C_DENORMAL) raise(c, FSW_DE);
      const sf::Unp u = sf::unpack(x);
      ex = sf::from_i64(u.exp - 16383);
      sig = sf::make(u.sign, 16383, u.sig);
      break;
    }
  }
  st(c, 0) = ex;
  fpush(c, sig);
}

// fprem (truncating quotient) and fprem1 (IEEE: nearest-even quotient).
void fprem_common(Cpu& c, bool ieee) {
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, 1), 0)) {
    stack_underflow(c);
    c.fpu.fsw &= ~FSW_C2;
    put(c, 0, sf::kIndefinite);
    return;
  }
  sf::Env e = env(c);
  unsigned q = 0;
  bool partial = false;
  const sf::Class ca = sf::classify(st(c, 0)), cb = sf::classify(st(c, 1));
  // A NaN or invalid case: C0 and C3 are left alone (measured), C1 and C2 cleared.
  const auto nan_or_bad = [](sf::Class k) { return k >= sf::C_QNAN; };
  const bool special = nan_or_bad(ca) || nan_or_bad(cb) || ca == sf::C_INF || cb == sf::C_ZERO;
  st(c, 0) = sf::remainder(st(c, 0), st(c, 1), ieee, &q, &partial, e);
  uint16_t cc = 0;
  if (special) cc = c.fpu.fsw & (FSW_C0 | FSW_C3);
  else if (partial) cc = FSW_C2;
  else {
    if (q & 4) cc |= FSW_C0;
    if (q & 2) cc |= FSW_C3;
    if (q & 1) cc |= FSW_C1;
  }
  set_cc(c, cc);
  sf::finish(e);
  if (e.exc & FSW_EXC) raise(c, e.exc & FSW_EXC);
}

void fscale(Cpu& c) {
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, 1), 0)) {
    stack_underflow(c);
    put(c, 0, sf::kIndefinite);
    return;
  }
  sf::Env e = env(c);
  st(c, 0) = sf::scale(st(c, 0), st(c, 1), e);
  commit(c, e);
}

}  // namespace

// D9 F0-F7: f2xm1 fyl2x fptan fpatan fxtract fprem1 fdecstp fincstp
void x87_D9_F0(Cpu& c, const Insn& i) {
  enter(c, i);
  switch (i.rm & 7) {
    case 0: f2xm1(c); break;
    case 1: fyl2x(c); break;
    case 2: fptan(c); break;
    case 3: fpatan(c); break;
    case 4: fxtract(c); break;
    case 5: fprem_common(c, true); break;
    case 6: set_top(c, c.fpu.top - 1); c.fpu.fsw &= ~FSW_C1; break;  // fdecstp: tags unchanged
    default: set_top(c, c.fpu.top + 1); c.fpu.fsw &= ~FSW_C1; break;  // fincstp
  }
}

// D9 F8-FF: fprem fyl2xp1 fsqrt fsincos frndint fscale fsin fcos
void x87_D9_F8(Cpu& c, const Insn& i) {
  enter(c, i);
  switch (i.rm & 7) {
    case 0: fprem_common(c, false); break;
    case 1: fyl2xp1(c); break;
    case 2: fsqrt(c); break;
    case 3: fsincos(c); break;
    case 4: frndint(c); break;
    case 5: fscale(c); break;
    case 6: fsin_fcos(c, false); break;
    default: fsin_fcos(c, true); break;
  }
}

}  // namespace gb

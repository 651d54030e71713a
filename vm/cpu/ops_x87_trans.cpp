// vm/cpu/ops_x87_trans.cpp — the D9 F0-FF group: f2xm1 fyl2x fptan fpatan fxtract
// fprem1 fdecstp fincstp fprem fyl2xp1 fsqrt fsincos frndint fscale fsin fcos.
//
// Exact ones (as on hardware): fsqrt (IEEE), frndint (by RC), fscale, fxtract, fprem
// and fprem1 (fmod/remquo are exact; quotient bits in C0 C3 C1; the partial reduction
// for exponent differences >= 64 uses N = 32 + (D mod 32), measured on hardware).
// Transcendentals use the host libm in double (see vm/cpu/f80.h for what that means).
// fsin fcos fsincos fptan leave st0 alone and set C2 when |x| >= 2^63, like hardware.
#include <cmath>

#include "vm/cpu/exec.h"
#include "vm/cpu/f80.h"

namespace gb {

using namespace x87;

namespace {

constexpr double kTwo63 = 9223372036854775808.0;

// Unary op on st0. Returns false (having applied the masked response) if st0 is empty.
inline bool get0(Cpu& c, double& v) {
  if (__builtin_expect(is_empty(c, 0), 0)) {
    stack_underflow(c);
    put(c, 0, indefinite());
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
    put(c, 1, indefinite());
  } else {
    c.fpu.fsw &= ~FSW_C1;
    const double x = st(c, 0), y = st(c, 1);
    double r;
    if (std::isnan(x) || std::isnan(y)) r = nan_result(c, x, y);
    else r = f(x, y);
    put(c, 1, r);
  }
  fpop(c);
}

// Invalid result -> IE and the indefinite.
inline double checked(Cpu& c, double r) {
  if (std::isnan(r)) { raise(c, FSW_IE); return indefinite(); }
  return r;
}

void f2xm1(Cpu& c) {
  double x;
  if (!get0(c, x)) return;
  double r;
  if (std::isnan(x)) r = nan_result1(c, x);
  else if (std::fabs(x) >= 0.5) r = std::exp2(x) - 1.0;  // exact subtraction (Sterbenz) for |x| <= 1
  else r = std::expm1(x * 0.693147180559945309417);
  st(c, 0) = r;
}

void fyl2x(Cpu& c) {
  binary_pop(c, [&](double x, double y) {
    if (x == 0.0) {
      if (y == 0.0) return checked(c, NAN);
      if (!std::isinf(y)) raise(c, FSW_ZE);
      return std::copysign(INFINITY, -y);
    }
    if (x < 0.0) return checked(c, NAN);
    return checked(c, y * std::log2(x));
  });
}

void fyl2xp1(Cpu& c) {
  binary_pop(c, [&](double x, double y) {
    if (x == -1.0 && y != 0.0 && !std::isinf(y)) raise(c, FSW_ZE);
    return checked(c, y * (std::log1p(x) / 0.693147180559945309417));
  });
}

void fpatan(Cpu& c) {
  binary_pop(c, [&](double x, double y) { return std::atan2(y, x); });
}

// fsin fcos: NaN/inf handling and the 2^63 range limit. Returns false when the
// instruction is finished (st0 holds the masked response or is left unchanged).
inline bool trig_arg(Cpu& c, double& x) {
  c.fpu.fsw &= ~FSW_C2;
  if (!get0(c, x)) return false;
  if (std::isnan(x)) { st(c, 0) = nan_result1(c, x); return false; }
  if (std::isinf(x)) { raise(c, FSW_IE); st(c, 0) = indefinite(); return false; }
  if (std::fabs(x) >= kTwo63) { c.fpu.fsw |= FSW_C2; return false; }
  return true;
}

void fsin(Cpu& c) {
  double x;
  if (trig_arg(c, x)) st(c, 0) = std::sin(x);
}

void fcos(Cpu& c) {
  double x;
  if (trig_arg(c, x)) st(c, 0) = std::cos(x);
}

// fptan fsincos fxtract replace st0 and push a second value. Masked responses (measured
// on hardware): stack overflow or an empty st0 leave the indefinite in both, a NaN is
// propagated into both. Returns false when the instruction is finished.
inline bool two_results(Cpu& c, double& x) {
  c.fpu.fsw &= ~FSW_C2;
  if (__builtin_expect(!is_empty(c, 7), 0)) {
    stack_overflow(c);
    put(c, 0, indefinite());
    fpush(c, indefinite());
    return false;
  }
  if (__builtin_expect(is_empty(c, 0), 0)) {
    stack_underflow(c);
    put(c, 0, indefinite());
    fpush(c, indefinite());
    return false;
  }
  c.fpu.fsw &= ~FSW_C1;
  x = st(c, 0);
  if (std::isnan(x)) {
    const double q = nan_result1(c, x);
    st(c, 0) = q;
    fpush(c, q);
    return false;
  }
  return true;
}

// fptan/fsincos on infinity or out of range; false when finished.
inline bool trig_range(Cpu& c, double x) {
  if (std::isinf(x)) {
    raise(c, FSW_IE);
    st(c, 0) = indefinite();
    fpush(c, indefinite());
    return false;
  }
  if (std::fabs(x) >= kTwo63) { c.fpu.fsw |= FSW_C2; return false; }
  return true;
}

void fptan(Cpu& c) {
  double x;
  if (!two_results(c, x) || !trig_range(c, x)) return;
  st(c, 0) = std::tan(x);
  fpush(c, 1.0);
}

void fsincos(Cpu& c) {
  double x;
  if (!two_results(c, x) || !trig_range(c, x)) return;
  st(c, 0) = std::sin(x);
  fpush(c, std::cos(x));
}

void fxtract(Cpu& c) {
  double x;
  if (!two_results(c, x)) return;
  double e, s = x;
  if (x == 0.0) {
    raise(c, FSW_ZE);
    e = -INFINITY;
  } else if (std::isinf(x)) {
    e = INFINITY;
  } else {
    const int k = std::ilogb(x);
    e = (double)k;
    s = std::scalbn(x, -k);
  }
  st(c, 0) = e;
  fpush(c, s);
}

// fprem (truncating quotient) and fprem1 (IEEE: nearest-even quotient).
void fprem_common(Cpu& c, bool ieee) {
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, 1), 0)) {
    stack_underflow(c);
    put(c, 0, indefinite());
    return;
  }
  const double a = st(c, 0), b = st(c, 1);
  uint16_t cc = 0;
  double r;
  if (std::isnan(a) || std::isnan(b)) {
    r = nan_result(c, a, b);
  } else if (std::isinf(a) || b == 0.0) {
    raise(c, FSW_IE);
    r = indefinite();
  } else if (std::isinf(b) || a == 0.0) {
    r = a;
  } else {
    const int d = std::ilogb(a) - std::ilogb(b);
    if (d >= 64) {
      // Partial remainder: reduce by b * 2^(d - N) * QQ; fmod does that exactly.
      const int n = 32 + (d & 31);
      r = std::fmod(a, std::scalbn(b, d - n));
      cc = FSW_C2;
    } else {
      int q = 0;
      const double rn = std::remquo(a, b, &q);  // low 3 bits of the nearest quotient
      unsigned qm = (unsigned)(q < 0 ? -q : q);
      if (ieee) {
        r = rn;
      } else {
        r = std::fmod(a, b);
        if (rn != 0.0 && std::signbit(rn) != std::signbit(a)) qm -= 1;  // truncated = nearest - 1
      }
      if (qm & 4) cc |= FSW_C0;
      if (qm & 2) cc |= FSW_C3;
      if (qm & 1) cc |= FSW_C1;
    }
  }
  st(c, 0) = r;
  set_cc(c, cc);
}

void fsqrt(Cpu& c) {
  double x;
  if (!get0(c, x)) return;
  double r;
  if (std::isnan(x)) r = nan_result1(c, x);
  else if (x < 0.0) { raise(c, FSW_IE); r = indefinite(); }
  else r = std::sqrt(x);
  st(c, 0) = r;
}

void frndint(Cpu& c) {
  double x;
  if (!get0(c, x)) return;
  double r;
  if (std::isnan(x)) {
    r = nan_result1(c, x);
  } else {
    r = round_rc(x, rc(c));
    if (r != x) {
      raise(c, FSW_PE);
      if (std::fabs(r) > std::fabs(x)) c.fpu.fsw |= FSW_C1;
    }
  }
  st(c, 0) = r;
}

void fscale(Cpu& c) {
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, 1), 0)) {
    stack_underflow(c);
    put(c, 0, indefinite());
    return;
  }
  c.fpu.fsw &= ~FSW_C1;
  const double a = st(c, 0), b = st(c, 1);
  double r;
  if (std::isnan(a) || std::isnan(b)) {
    r = nan_result(c, a, b);
  } else if (std::isinf(b)) {
    if (b > 0) r = a == 0.0 ? checked(c, NAN) : std::copysign(INFINITY, a);
    else r = std::isinf(a) ? checked(c, NAN) : std::copysign(0.0, a);
  } else {
    double t = std::trunc(b);
    if (t > 100000.0) t = 100000.0;  // far beyond any double exponent: same result
    if (t < -100000.0) t = -100000.0;
    r = std::scalbn(a, (int)t);
    if (std::isinf(r) && !std::isinf(a)) { raise(c, FSW_OE | FSW_PE); c.fpu.fsw |= FSW_C1; }
  }
  st(c, 0) = r;
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
    case 6: fsin(c); break;
    default: fcos(c); break;
  }
}

}  // namespace gb

// vm/cpu/x87_transcendental.cpp — f2xm1 fyl2x fyl2xp1 fpatan fsin fcos fsincos fptan
// on 80-bit values (x87_softfloat.h), computed in a 128-bit binary floating point (BF,
// truncating arithmetic, ~125 good bits) by Taylor/atanh series, then rounded once to
// 64 bits by RC. The host x87 is not correctly rounded either; the differential tests
// accept one unit in the last place against it.
//
// Argument reduction for fsin/fcos/fsincos/fptan is what the hardware documents: modulo
// a 66-bit approximation of pi/2 (SDM vol. 1 8.3.10), done exactly in integers, so
// results near multiples of pi follow the hardware rather than the true function.
#include "vm/cpu/x87_softfloat.h"

#include <cmath>

namespace gb {
namespace sf {

namespace {

// value = m * 2^(e - 127), m normalised (bit 127) or zero.
struct BF {
  bool neg = false;
  int32_t e = 0;
  u128 m = 0;
};

inline int clz128(u128 v) {
  const uint64_t hi = (uint64_t)(v >> 64);
  return hi ? __builtin_clzll(hi) : 64 + (v ? __builtin_clzll((uint64_t)v) : 64);
}
BF norm(bool neg, int32_t e, u128 m) {
  BF r;
  if (!m) return r;
  const int z = clz128(m);
  r.neg = neg;
  r.e = e - z;
  r.m = m << z;
  return r;
}
BF from_u128(u128 v, int32_t e2) { return norm(false, 127 + e2, v); }  // v * 2^e2
BF from_int(int64_t v) {
  BF r = from_u128((u128)(v < 0 ? 0 - (uint64_t)v : (uint64_t)v), 0);
  r.neg = v < 0;
  return r;
}
BF from_f80(F80 a) {  // finite
  if (classify(a) == C_ZERO) return BF{};
  const Unp u = unpack(a);
  BF r;
  r.neg = u.sign;
  r.e = u.exp - 16383;
  r.m = (u128)u.sig << 64;
  return r;
}
F80 to_f80(const BF& a, Env& env) {
  if (!a.m) return zero(a.neg);
  return round_pack(a.neg, a.e + 16383, a.m, 64, env);
}
BF neg(BF a) { a.neg = !a.neg; return a; }
BF scale2(BF a, int k) { if (a.m) a.e += k; return a; }

BF add(const BF& a, const BF& b) {
  if (!a.m) return b;
  if (!b.m) return a;
  const BF* x = &a;
  const BF* y = &b;
  if (y->e > x->e || (y->e == x->e && y->m > x->m)) { const BF* t = x; x = y; y = t; }
  const int d = x->e - y->e;
  const u128 ym = d >= 128 ? 0 : y->m >> d;
  // Bits of y shifted out: kept as a sticky bit, so that a negligible addend still
  // makes the result inexact (and rounds in the right direction).
  const bool lost = d >= 128 ? true : d > 0 && (y->m & (((u128)1 << d) - 1)) != 0;
  if (x->neg == y->neg) {
    const u128 s = x->m + ym;
    if (s < x->m) return norm(x->neg, x->e + 1, (s >> 1) | ((u128)1 << 127) | (lost || (s & 1)));  // carry
    return norm(x->neg, x->e, s | lost);
  }
  return norm(x->neg, x->e, (x->m - ym - lost) | lost);
}
BF sub(const BF& a, const BF& b) { return add(a, neg(b)); }

BF mul(const BF& a, const BF& b) {
  if (!a.m || !b.m) return BF{};
  const uint64_t ah = (uint64_t)(a.m >> 64), al = (uint64_t)a.m, bh = (uint64_t)(b.m >> 64), bl = (uint64_t)b.m;
  const u128 hh = (u128)ah * bh, hl = (u128)ah * bl, lh = (u128)al * bh, ll = (u128)al * bl;
  // 256-bit product, high half
  u128 mid = (hl & ~0ull) + (lh & ~0ull) + (ll >> 64);
  u128 hi = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
  // hi >= 2^126: normalise by at most one bit
  return norm(a.neg != b.neg, a.e + b.e + 1, hi);
}

BF div(const BF& a, const BF& b) {
  if (!a.m) return BF{};
  u128 r = a.m;
  const u128 d = b.m;
  int32_t e = a.e - b.e;
  bool c = false;
  if (r < d) { c = r >> 127; r <<= 1; e--; }
  u128 q = 0;
  for (int i = 0; i < 128; i++) {
    q <<= 1;
    if (c || r >= d) { r -= d; q |= 1; }
    c = r >> 127;
    r <<= 1;
  }
  BF out;
  out.neg = a.neg != b.neg;
  out.e = e;
  // A remainder left: the quotient is not exact. Kept as a sticky bit (as add() keeps the
  // bits it shifts out), or a quotient of two nearly-cancelling inexact values, tan(x) =
  // sin(x)/cos(x) of a tiny x, would look exact and miss the hardware's PE and UE.
  out.m = q | (u128)(c || r != 0);
  return out;
}
BF div_small(const BF& a, uint64_t k) { return norm(a.neg, a.e, a.m / k); }

BF sqrt_bf(const BF& a) {  // a > 0
  // estimate from the top 53 bits, then Newton steps (53 -> 106 -> 212 bits)
  const int32_t e = a.e;
  const bool odd = e & 1;
  const double top = std::ldexp((double)(uint64_t)(a.m >> 64), -63);  // in [1, 2)
  const double est = std::sqrt(odd ? top * 2 : top);                  // in [1, 2)
  BF x;
  x.e = (e - (odd ? 1 : 0)) / 2;
  x.m = (u128)(uint64_t)std::ldexp(est, 63) << 64;
  for (int i = 0; i < 3; i++) x = scale2(add(x, div(a, x)), -1);
  return x;
}

const BF& k_ln2() {
  static const BF v = {false, -1, ((u128)0xb17217f7d1cf79abull << 64) | 0xc9e3b39803f2f6afull};
  return v;
}
const BF& k_pi() {
  static const BF v = {false, 1, ((u128)0xc90fdaa22168c234ull << 64) | 0xc4c6628b80dc1cd1ull};
  return v;
}
BF one() { return from_int(1); }

// Series stop: a term below 2^-130 of the sum.
inline bool negligible(const BF& term, const BF& sum) { return !term.m || (sum.m && term.e < sum.e - 130); }

// e^y - 1 for |y| <= 1.
BF expm1_small(const BF& y) {
  BF sum = y, term = y;
  for (uint64_t k = 2; k < 60; k++) {
    term = div_small(mul(term, y), k);
    sum = add(sum, term);
    if (negligible(term, sum)) break;
  }
  return sum;
}

// 2 * atanh(z) = ln((1 + z) / (1 - z)), |z| <= 0.18.
BF atanh2(const BF& z) {
  const BF z2 = mul(z, z);
  BF sum = z, p = z;
  for (uint64_t k = 3; k < 200; k += 2) {
    p = mul(p, z2);
    const BF t = div_small(p, k);
    sum = add(sum, t);
    if (negligible(t, sum)) break;
  }
  return scale2(sum, 1);
}

// log2(x) for finite x > 0.
BF log2_bf(const BF& x) {
  // x = m * 2^k with m in [sqrt(1/2), sqrt(2))
  BF m = x;
  int32_t k = m.e;
  m.e = 0;
  static const u128 kSqrt2 = ((u128)0xb504f333f9de6484ull << 64) | 0x597d89b3754abe9full;  // sqrt(2) * 2^127
  if (m.m > kSqrt2) { m.e = -1; k++; }
  const BF num = sub(m, one()), den = add(m, one());
  const BF ln = atanh2(div(num, den));
  return add(from_int(k), div(ln, k_ln2()));
}

// atan(t) for 0 <= t <= 1.
BF atan_unit(BF t) {
  // three halvings: t -> t / (1 + sqrt(1 + t^2)), then the series
  for (int i = 0; i < 3; i++) {
    if (!t.m) return t;
    t = div(t, add(one(), sqrt_bf(add(one(), mul(t, t)))));
  }
  const BF t2 = mul(t, t);
  BF sum = t, p = t;
  for (uint64_t k = 3; k < 200; k += 2) {
    p = mul(p, t2);
    const BF term = div_small(p, k);
    sum = (k & 2) ? sub(sum, term) : add(sum, term);
    if (negligible(term, sum)) break;
  }
  return scale2(sum, 3);
}

// sin and cos of |r| <= pi/4 (series).
void sincos_small(const BF& r, BF* s, BF* c) {
  const BF r2 = mul(r, r);
  if (s) {
    BF sum = r, term = r;
    for (uint64_t k = 2; k < 80; k += 2) {
      term = div_small(div_small(mul(term, r2), k), k + 1);
      sum = (k & 2) ? sub(sum, term) : add(sum, term);
      if (negligible(term, sum)) break;
    }
    *s = sum;
  }
  if (c) {
    BF sum = one(), term = one();
    for (uint64_t k = 1; k < 80; k += 2) {
      term = div_small(div_small(mul(term, r2), k), k + 1);
      sum = (k & 2) ? add(sum, term) : sub(sum, term);
      if (negligible(term, sum)) break;
    }
    *c = sum;
  }
}

// Reduction of finite x (|x| < 2^63) modulo the hardware's 66-bit pi/2: x = k * pi66/2 + r,
// |r| <= pi66/4. Returns k mod 4 and r (exact).
unsigned reduce(F80 x, BF* r) {
  const bool s = sign_of(x);
  if (classify(x) == C_ZERO) { *r = BF{}; r->neg = s; return 0; }
  const Unp u = unpack(x);
  const int32_t ue = u.exp - 16383;
  if (ue < -1) { *r = from_f80(x); return 0; }  // |x| < 1/2 < pi/4
  static const u128 P = ((u128)0x3 << 64) | 0x243f6a8885a308d3ull;  // pi66 * 2^64
  const u128 n = (u128)u.sig << (ue + 2);  // |x| * 2^65, exact
  u128 k = n / P;
  u128 rem = n - k * P;
  bool rneg = false;
  if (rem * 2 > P) { rem = P - rem; k++; rneg = true; }
  BF v = from_u128(rem, -65);
  v.neg = rneg != s;
  *r = v;
  const unsigned q = (unsigned)(k & 3);
  return s ? (4 - q) & 3 : q;  // sin/cos of -x: quadrant of -k
}

}  // namespace

// ---- the instructions' functions ----
namespace {
inline bool finite_operand(F80 a, Class c, Env& env) {
  if (c == C_DENORMAL) env.exc |= X_DE;
  (void)a;
  return c == C_NORMAL || c == C_DENORMAL;
}
}  // namespace

F80 f2xm1(F80 x, Env& env) {
  const Class c = classify(x);
  if (c == C_UNSUPPORTED) { env.exc |= X_IE; return kIndefinite; }
  if (c >= C_QNAN) return nan_pick(x, x, env);
  if (c == C_ZERO) return x;
  if (c == C_INF) return sign_of(x) ? make(true, 16383, 1ull << 63) : x;
  finite_operand(x, c, env);
  BF bx = from_f80(x);
  if (bx.e > 14) bx.e = 14;  // outside [-1, 1] the result is undefined; keep it bounded
  // 2^x - 1 = expm1(x ln2); for |x| > 1 split off the integer part.
  if (bx.e >= 0) {
    const int64_t n = (int64_t)std::floor(std::ldexp((double)(uint64_t)(bx.m >> 64), bx.e - 63) * (bx.neg ? -1 : 1));
    const BF f = sub(bx, from_int(n));
    const BF p = scale2(add(one(), expm1_small(mul(f, k_ln2()))), (int)n);
    return to_f80(sub(p, one()), env);
  }
  return to_f80(expm1_small(mul(bx, k_ln2())), env);
}

F80 fyl2x(F80 x, F80 y, Env& env) {
  const Class cx = classify(x), cy = classify(y);
  if (F80 r; binary_special(x, y, cx, cy, r, env)) return r;
  const bool sx = sign_of(x), sy = sign_of(y);
  if (sx && cx != C_ZERO) { env.exc |= X_IE; return kIndefinite; }
  if (cx == C_ZERO) {
    if (cy == C_ZERO) { env.exc |= X_IE; return kIndefinite; }
    if (cy != C_INF) env.exc |= X_ZE;
    return inf(!sy);
  }
  // log2(x): sign and class
  const BF l = cx == C_INF ? BF{} : log2_bf(from_f80(x));
  const bool lzero = cx != C_INF && !l.m;  // x == 1
  if (cx == C_INF) {
    if (cy == C_ZERO) { env.exc |= X_IE; return kIndefinite; }
    return inf(sy);
  }
  if (cy == C_INF) {
    if (lzero) { env.exc |= X_IE; return kIndefinite; }
    return inf(sy != l.neg);
  }
  if (cy == C_ZERO || lzero) return zero(sy != l.neg);
  return to_f80(mul(from_f80(y), l), env);
}

F80 fyl2xp1(F80 x, F80 y, Env& env) {
  const Class cx = classify(x), cy = classify(y);
  if (F80 r; binary_special(x, y, cx, cy, r, env)) return r;
  const bool sx = sign_of(x), sy = sign_of(y);
  if (cx == C_INF) {
    if (sx || cy == C_ZERO) { env.exc |= X_IE; return kIndefinite; }
    return inf(sy);
  }
  const BF bx = from_f80(x);
  const BF onep = add(one(), bx);
  if (!onep.m || onep.neg) {
    if (!onep.m && cy != C_ZERO) { if (cy != C_INF) env.exc |= X_ZE; return inf(!sy); }
    env.exc |= X_IE;
    return kIndefinite;
  }
  if (cx == C_ZERO) {
    if (cy == C_INF) { env.exc |= X_IE; return kIndefinite; }
    return zero(sx != sy);
  }
  if (cy == C_INF) return inf(sx != sy);
  if (cy == C_ZERO) return zero(sx != sy);
  const BF l = div(atanh2(div(bx, add(from_int(2), bx))), k_ln2());
  return to_f80(mul(from_f80(y), l), env);
}

F80 fpatan(F80 x, F80 y, Env& env) {
  const Class cx = classify(x), cy = classify(y);
  if (F80 r; binary_special(x, y, cx, cy, r, env)) return r;
  const bool sx = sign_of(x), sy = sign_of(y);
  BF a;
  if (cy == C_ZERO) {
    if (!sx) return y;
    a = k_pi();
  } else if (cy == C_INF) {
    if (cx == C_INF) a = sx ? add(k_pi(), scale2(neg(k_pi()), -2)) : scale2(k_pi(), -2);
    else a = scale2(k_pi(), -1);
  } else if (cx == C_INF) {
    if (!sx) return zero(sy);
    a = k_pi();
  } else if (cx == C_ZERO) {
    a = scale2(k_pi(), -1);
  } else {
    BF ax = from_f80(x), ay = from_f80(y);
    ax.neg = ay.neg = false;
    const bool ylarger = ay.e > ax.e || (ay.e == ax.e && ay.m > ax.m);
    if (!ylarger) {
      a = atan_unit(div(ay, ax));
      if (sx) a = sub(k_pi(), a);
    } else {
      a = atan_unit(div(ax, ay));
      a = sx ? add(scale2(k_pi(), -1), a) : sub(scale2(k_pi(), -1), a);
    }
  }
  a.neg = sy;
  return to_f80(a, env);
}

namespace {
// sin, cos and tan of a finite nonzero x are never exactly representable (they are
// transcendental there), so the hardware always reports them inexact (PE), and
// underflow (UE) when the result is tiny (denormal). The series can make a tiny x's
// result come out exact (sin x = x, cos x = 1 within the 128 bits), so say it here.
F80 transcendental_result(F80 r, Env& env) {
  env.exc |= X_PE;
  if (biased_exp(r) == 0 && r.mant) env.exc |= X_UE;
  return r;
}
}  // namespace

void sincos(F80 x, F80* s, F80* c, Env& env) {
  const Class cx = classify(x);
  if (cx == C_DENORMAL) env.exc |= X_DE;
  if (cx == C_ZERO) {
    if (s) *s = x;
    if (c) *c = make(false, 16383, 1ull << 63);
    return;
  }
  BF r;
  const unsigned q = reduce(x, &r);
  BF sr, cr;
  sincos_small(r, &sr, &cr);
  const BF sv[4] = {sr, cr, neg(sr), neg(cr)};
  const BF cv[4] = {cr, neg(sr), neg(cr), sr};
  if (s) *s = transcendental_result(to_f80(sv[q], env), env);
  if (c) *c = transcendental_result(to_f80(cv[q], env), env);
}

F80 tan(F80 x, Env& env) {
  const Class cx = classify(x);
  if (cx == C_DENORMAL) env.exc |= X_DE;
  if (cx == C_ZERO) return x;
  BF r;
  const unsigned q = reduce(x, &r);
  BF sr, cr;
  sincos_small(r, &sr, &cr);
  return transcendental_result(to_f80((q & 1) ? neg(div(cr, sr)) : div(sr, cr), env), env);
}

}  // namespace sf
}  // namespace gb

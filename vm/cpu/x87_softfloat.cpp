// vm/cpu/x87_softfloat.cpp — the 80-bit soft-float of x87_softfloat.h: rounding, the
// basic operations and conversions, in 64/128-bit integer arithmetic.
//
// Index: helpers, round_pack, NaN and operand checks, add/sub, mul, div, sqrt, compare,
// remainder, round_int, scale, integer and float conversions, constants.
#include "vm/cpu/x87_softfloat.h"

#include <cmath>
#include <cstring>

namespace gb {
namespace sf {

namespace {

inline int clz64(uint64_t v) { return v ? __builtin_clzll(v) : 64; }
inline int clz128(u128 v) {
  const uint64_t hi = (uint64_t)(v >> 64);
  return hi ? __builtin_clzll(hi) : 64 + clz64((uint64_t)v);
}
// Shift right with the shifted-out bits ORed into bit 0 (sticky).
inline u128 shr_sticky(u128 v, int n) {
  if (n <= 0) return v;
  if (n >= 128) return v != 0;
  return (v >> n) | ((v & (((u128)1 << n) - 1)) != 0);
}
// Whether rounding the dropped part `rem` (of a field whose half is `half`) by rc
// increments the kept value (`odd`: its lowest kept bit).
inline bool round_up(int rc, bool sign, u128 rem, u128 half, bool odd) {
  if (!rem) return false;
  switch (rc) {
    case R_NEAREST: return rem > half || (rem == half && odd);
    case R_DOWN: return sign;
    case R_UP: return !sign;
    default: return false;
  }
}

}  // namespace

Unp unpack(F80 v) {
  Unp u;
  u.sign = sign_of(v);
  int e = biased_exp(v);
  uint64_t m = v.mant;
  if (e == 0) {
    e = 1;  // denormals and pseudo-denormals
    const int s = clz64(m);
    m <<= s;
    e -= s;
  }
  u.exp = e;
  u.sig = m;
  return u;
}

// ---- rounding ----
F80 round_pack(bool sign, int32_t exp, u128 v, int prec, Env& env) {
  const int s = 128 - prec;  // dropped bits
  const u128 mask = ((u128)1 << s) - 1, half = (u128)1 << (s - 1), one = (u128)1 << s;
  if (exp >= 1) {
    const u128 rem = v & mask;
    u128 k = v & ~mask;
    bool up = round_up(env.rc, sign, rem, half, (k >> s) & 1);
    if (rem) env.exc |= X_PE;
    if (up) {
      k += one;
      if (k == 0) { k = (u128)1 << 127; exp++; }
      env.exc |= X_C1;
    }
    if (exp >= 0x7fff) {
      env.exc = (uint16_t)((env.exc & ~X_C1) | X_OE | X_PE);
      const bool to_inf = env.rc == R_NEAREST || (env.rc == R_UP && !sign) || (env.rc == R_DOWN && sign);
      if (to_inf) { env.exc |= X_C1; return inf(sign); }
      return make(sign, 0x7ffe, ~0ull << (64 - prec));
    }
    return make(sign, exp, (uint64_t)(k >> 64));
  }
  // Tiny before rounding. Tiny after rounding unless exp == 0 and rounding carries out.
  bool tiny = true;
  if (exp == 0) {
    const u128 rem = v & mask;
    const u128 k = v & ~mask;
    if (round_up(env.rc, sign, rem, half, (k >> s) & 1) && k + one == 0) tiny = false;
  }
  v = shr_sticky(v, 1 - exp);
  const u128 rem = v & mask;
  u128 k = v & ~mask;
  const bool up = round_up(env.rc, sign, rem, half, (k >> s) & 1);
  if (rem) env.exc |= X_PE;
  if (up) { k += one; env.exc |= X_C1; }
  if (tiny && (rem || !(env.masks & X_UE))) env.exc |= X_UE;
  const uint64_t m = (uint64_t)(k >> 64);
  return make(sign, (m >> 63) ? 1 : 0, m);
}

// ---- NaNs and operand checks ----
F80 nan_pick(F80 a, F80 b, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  const bool na = ca == C_QNAN || ca == C_SNAN, nb = cb == C_QNAN || cb == C_SNAN;
  if (ca == C_SNAN || cb == C_SNAN) env.exc |= X_IE;
  if (na && nb) {
    if (ca != cb) return quiet(ca == C_SNAN ? b : a);  // a QNaN wins over an SNaN
    const uint64_t ma = a.mant & ~(1ull << 63 | 1ull << 62), mb = b.mant & ~(1ull << 63 | 1ull << 62);
    if (ma != mb) return quiet(ma > mb ? a : b);
    return quiet(sign_of(a) ? b : a);  // equal significands: the positive one
  }
  return quiet(na ? a : b);
}

namespace {

inline F80 invalid(Env& env) {
  env.exc |= X_IE;
  return kIndefinite;
}

}  // namespace

// ---- add / sub ----
F80 add(F80 a, F80 b, bool subtract, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  F80 out;
  if (binary_special(a, b, ca, cb, out, env)) return out;
  if (subtract) b = negate(b);
  const bool sa = sign_of(a), sb = sign_of(b);
  if (ca == C_INF || cb == C_INF) {
    if (ca == C_INF && cb == C_INF && sa != sb) return invalid(env);
    return ca == C_INF ? a : b;
  }
  if (ca == C_ZERO && cb == C_ZERO) {
    if (sa == sb) return a;
    return zero(env.rc == R_DOWN);
  }
  if (ca == C_ZERO || cb == C_ZERO) {
    // x + 0 = x, rounded to the precision (a 64-bit value under PC 24/53 is rounded).
    const Unp u = unpack(ca == C_ZERO ? b : a);
    return round_pack(u.sign, u.exp, (u128)u.sig << 64, env.prec, env);
  }
  Unp x = unpack(a), y = unpack(b);
  if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) { Unp t = x; x = y; y = t; }
  const int d = x.exp - y.exp;
  const u128 vx = (u128)x.sig << 63;
  const u128 vy = shr_sticky((u128)y.sig << 63, d);
  u128 v;
  if (x.sign == y.sign) {
    v = vx + vy;
  } else {
    v = vx - vy;
    if (v == 0) return zero(env.rc == R_DOWN);
  }
  const int n = clz128(v);
  return round_pack(x.sign, x.exp + 1 - n, v << n, env.prec, env);
}

// ---- mul ----
F80 mul(F80 a, F80 b, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  F80 out;
  if (binary_special(a, b, ca, cb, out, env)) return out;
  const bool s = sign_of(a) != sign_of(b);
  if (ca == C_INF || cb == C_INF) {
    if (ca == C_ZERO || cb == C_ZERO) return invalid(env);
    return inf(s);
  }
  if (ca == C_ZERO || cb == C_ZERO) return zero(s);
  const Unp x = unpack(a), y = unpack(b);
  u128 v = (u128)x.sig * y.sig;
  int32_t e = x.exp + y.exp - 16383 + 1;
  if (!(v >> 127)) { v <<= 1; e--; }
  return round_pack(s, e, v, env.prec, env);
}

// ---- div ----
F80 div(F80 a, F80 b, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  F80 out;
  if (binary_special(a, b, ca, cb, out, env)) return out;
  const bool s = sign_of(a) != sign_of(b);
  if (ca == C_INF) return cb == C_INF ? invalid(env) : inf(s);
  if (cb == C_INF) return zero(s);
  if (cb == C_ZERO) {
    if (ca == C_ZERO) return invalid(env);
    env.exc |= X_ZE;
    return inf(s);
  }
  if (ca == C_ZERO) return zero(s);
  const Unp x = unpack(a), y = unpack(b);
  int32_t e = x.exp - y.exp + 16383;
  u128 num;
  if (x.sig < y.sig) { num = (u128)x.sig << 64; e--; }
  else num = (u128)x.sig << 63;
  const uint64_t q = (uint64_t)(num / y.sig);
  const uint64_t r = (uint64_t)(num % y.sig);
  const u128 num2 = (u128)r << 64;
  const uint64_t q2 = (uint64_t)(num2 / y.sig);
  const bool sticky = (num2 % y.sig) != 0;
  const u128 v = ((u128)q << 64) | q2 | (sticky ? 1 : 0);
  return round_pack(s, e, v, env.prec, env);
}

// ---- sqrt ----
namespace {
// floor(sqrt(n)) for n in [2^126, 2^128).
uint64_t isqrt128(u128 n) {
  double est = std::sqrt((double)n);
  u128 r = est >= 18446744073709551615.0 ? (u128)~0ull : (u128)(uint64_t)est;
  r = (r + n / r) >> 1;  // one Newton step from a 53-bit estimate
  if (r > (u128)~0ull) r = (u128)~0ull;
  while (r * r > n) r--;
  while (r < (u128)~0ull && (r + 1) * (r + 1) <= n) r++;
  return (uint64_t)r;
}
}  // namespace

F80 sqrt(F80 a, Env& env) {
  const Class ca = classify(a);
  if (ca == C_UNSUPPORTED) return invalid(env);
  if (ca >= C_QNAN) return nan_pick(a, a, env);
  if (ca == C_ZERO) return a;
  if (sign_of(a)) return invalid(env);
  if (ca == C_INF) return a;
  if (ca == C_DENORMAL) env.exc |= X_DE;
  const Unp x = unpack(a);
  const int32_t ue = x.exp - 16383;  // unbiased
  const bool odd = ue & 1;
  const u128 n = (u128)x.sig << (odd ? 64 : 63);
  const uint64_t r = isqrt128(n);
  const u128 rem = n - (u128)r * r;
  uint64_t lo = 0;
  if (rem > r) lo = 0xc000000000000000ull;
  else if (rem) lo = 0x4000000000000000ull;
  const int32_t he = (ue - (odd ? 1 : 0)) / 2;  // exact: even
  return round_pack(false, he + 16383, ((u128)r << 64) | lo, env.prec, env);
}

// ---- compare ----
int compare(F80 a, F80 b, bool quiet_nan_ok, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  if (ca == C_UNSUPPORTED || cb == C_UNSUPPORTED) { env.exc |= X_IE; return 3; }
  if (ca >= C_QNAN || cb >= C_QNAN) {
    if (!quiet_nan_ok || ca == C_SNAN || cb == C_SNAN) env.exc |= X_IE;
    return 3;
  }
  if (ca == C_DENORMAL || cb == C_DENORMAL) env.exc |= X_DE;
  if (ca == C_ZERO && cb == C_ZERO) return 2;
  const bool sa = sign_of(a), sb = sign_of(b);
  if (ca == C_ZERO) return sb ? 0 : 1;
  if (cb == C_ZERO) return sa ? 1 : 0;
  if (sa != sb) return sa ? 1 : 0;
  int mag;  // -1, 0, 1: |a| vs |b|
  if (ca == C_INF || cb == C_INF) {
    mag = ca == cb ? 0 : ca == C_INF ? 1 : -1;
  } else {
    const Unp x = unpack(a), y = unpack(b);
    mag = x.exp != y.exp ? (x.exp > y.exp ? 1 : -1) : x.sig != y.sig ? (x.sig > y.sig ? 1 : -1) : 0;
  }
  if (mag == 0) return 2;
  return (mag > 0) != sa ? 0 : 1;
}

// ---- fprem / fprem1 ----
F80 remainder(F80 a, F80 b, bool ieee, unsigned* q, bool* partial, Env& env) {
  *q = 0;
  *partial = false;
  const Class ca = classify(a), cb = classify(b);
  F80 out;
  if (binary_special(a, b, ca, cb, out, env)) return out;
  if (ca == C_INF || cb == C_ZERO) return invalid(env);
  if (cb == C_INF || ca == C_ZERO) return a;
  const Unp x = unpack(a), y = unpack(b);
  const int d = x.exp - y.exp;
  if (d >= 64) {
    // Partial: reduce by b * 2^(d - N) * QQ, QQ = trunc(a / (b * 2^(d - N))), with
    // N = 32 + (d mod 32) (measured).
    const int n = 32 + (d & 31);
    const u128 num = (u128)x.sig << n;
    const uint64_t r = (uint64_t)(num % y.sig);
    *partial = true;
    if (!r) return zero(x.sign);
    const int z = clz64(r);
    // r * 2^(y.exp - 16383 - 63 + d - n)
    return round_pack(x.sign, y.exp + d - n - z, (u128)(r << z) << 64, 64, env);
  }
  if (d < 0) {
    if (ieee && d == -1 && x.sig > y.sig) {
      // |b|/2 < |a| < |b|: the nearest quotient is 1, the remainder -(|b| - |a|), exact
      // in units of a's last bit: 2 * y.sig - x.sig (< 2^64).
      const uint64_t r = (uint64_t)(((u128)y.sig << 1) - x.sig);
      const int z = clz64(r);
      *q = 1;
      return round_pack(!x.sign, x.exp - z, (u128)(r << z) << 64, 64, env);
    }
    // |a| < |b| (fprem) or |a| <= |b|/2 (fprem1): quotient 0, the remainder a (a
    // pseudo-denormal comes back normalised)
    return round_pack(x.sign, x.exp, (u128)x.sig << 64, 64, env);
  }
  const u128 num = (u128)x.sig << d;
  uint64_t quo = (uint64_t)(num / y.sig), r = (uint64_t)(num % y.sig);
  const int32_t re = y.exp;  // r is in units of 2^(re - 16383 - 63)
  bool sign = x.sign;
  if (ieee) {
    const u128 r2 = (u128)r << 1;
    if (r2 > y.sig || (r2 == y.sig && (quo & 1))) {
      r = y.sig - r;
      quo++;
      sign = !sign;
    }
  }
  *q = (unsigned)(quo & 7);
  if (!r) return zero(x.sign);
  const int z = clz64(r);
  return round_pack(sign, re - z, (u128)(r << z) << 64, 64, env);
}

// ---- frndint ----
F80 round_int(F80 a, Env& env) {
  const Class ca = classify(a);
  if (ca == C_UNSUPPORTED) return invalid(env);
  if (ca >= C_QNAN) return nan_pick(a, a, env);
  if (ca == C_ZERO || ca == C_INF) return a;
  if (ca == C_DENORMAL) env.exc |= X_DE;
  const Unp x = unpack(a);
  const int32_t ue = x.exp - 16383;
  if (ue >= 63) return a;
  // Fraction bits: 63 - ue of the significand (all of them when ue < 0).
  const int fb = 63 - ue;
  u128 v = (u128)x.sig << 64;  // value = v * 2^(ue - 127)
  const int s = 64 + fb;       // bits below the units position
  u128 k, rem, half;
  if (s >= 128) {  // |a| < 1: the units position is bit 128 of v
    k = 0;
    half = (u128)1 << 127;
    rem = s == 128 ? v : 1;  // 0.5 <= |a| < 1: the fraction itself; below 0.5: nonzero, under half
  } else {
    rem = v & (((u128)1 << s) - 1);
    k = v >> s;
    half = (u128)1 << (s - 1);
  }
  if (!rem) return a;
  env.exc |= X_PE;
  if (round_up(env.rc, x.sign, rem, half, k & 1)) { k++; env.exc |= X_C1; }
  if (k == 0) return zero(x.sign);
  const uint64_t m = (uint64_t)k;  // < 2^64: |a| < 2^63 here
  const int z = clz64(m);
  return make(x.sign, 16383 + 63 - z, m << z);
}

// ---- fscale ----
F80 scale(F80 a, F80 b, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  F80 out;
  if (binary_special(a, b, ca, cb, out, env)) return out;
  if (cb == C_INF) {
    if (!sign_of(b)) return ca == C_ZERO ? invalid(env) : ca == C_INF ? a : inf(sign_of(a));
    return ca == C_INF ? invalid(env) : zero(sign_of(a));
  }
  if (ca == C_ZERO || ca == C_INF) return a;
  // trunc(b), clamped far beyond any exponent
  int32_t t = 0;
  if (cb != C_ZERO) {
    const Unp y = unpack(b);
    const int32_t ue = y.exp - 16383;
    int64_t m;
    if (ue < 0) m = 0;
    else if (ue > 20) m = 1 << 20;
    else m = (int64_t)(y.sig >> (63 - ue));
    t = (int32_t)(y.sign ? -m : m);
  }
  const Unp x = unpack(a);
  return round_pack(x.sign, x.exp + t, (u128)x.sig << 64, 64, env);
}

// ---- integer conversions ----
F80 from_i64(int64_t v) {
  if (!v) return zero(false);
  const bool s = v < 0;
  const uint64_t m = s ? 0 - (uint64_t)v : (uint64_t)v;
  const int z = clz64(m);
  return make(s, 16383 + 63 - z, m << z);
}

uint64_t to_int(F80 a, int bits, Env& env) {
  const uint64_t indef = 1ull << (bits - 1);
  const Class ca = classify(a);
  if (ca == C_ZERO) return 0;
  if (ca != C_NORMAL && ca != C_DENORMAL) { env.exc |= X_IE; return indef; }
  F80 r = round_int(a, env);
  env.exc &= (uint16_t)~X_DE;  // fist does not report denormal operands (measured)
  if (classify(r) == C_ZERO) return 0;
  const Unp x = unpack(r);
  const int32_t ue = x.exp - 16383;
  if (ue >= bits) { env.exc = (uint16_t)((env.exc & ~(X_PE | X_C1)) | X_IE); return indef; }
  const uint64_t m = x.sig >> (63 - ue);
  if (x.sign ? m > indef : m >= indef) { env.exc = (uint16_t)((env.exc & ~(X_PE | X_C1)) | X_IE); return indef; }
  const uint64_t v = x.sign ? 0 - m : m;
  return bits == 64 ? v : v & ((1ull << bits) - 1);
}

// ---- float formats ----
namespace {
// Load an IEEE binary format (m32: 23/8, m64: 52/11).
F80 from_ieee(uint64_t bits, int fbits, int ebits, bool keep_snan, Env& env) {
  const bool s = bits >> (fbits + ebits);
  const int emax = (1 << ebits) - 1, bias = emax >> 1;
  const int e = (int)((bits >> fbits) & emax);
  const uint64_t f = bits & ((1ull << fbits) - 1);
  if (e == emax) {
    if (!f) return inf(s);
    F80 v = make(s, 0x7fff, (1ull << 63) | (f << (63 - fbits)));
    if (!((f >> (fbits - 1)) & 1)) {  // SNaN
      if (!keep_snan) { env.exc |= X_IE; v = quiet(v); }
    }
    return v;
  }
  if (e == 0) {
    if (!f) return zero(s);
    env.exc |= X_DE;
    const int z = clz64(f);  // f = value * 2^(bias - 1 + fbits)
    return make(s, 16383 + (1 - bias - fbits) + (63 - z), f << z);
  }
  return make(s, e - bias + 16383, (1ull << 63) | (f << (63 - fbits)));
}

// Store to an IEEE binary format with `p` significand bits (24 / 53).
uint64_t to_ieee(F80 a, int p, int ebits, Env& env) {
  const int fbits = p - 1;
  const int emax = (1 << ebits) - 1, bias = emax >> 1;
  const bool s = sign_of(a);
  const uint64_t sbit = (uint64_t)s << (fbits + ebits);
  const Class ca = classify(a);
  switch (ca) {
    case C_ZERO: return sbit;
    case C_INF: return sbit | ((uint64_t)emax << fbits);
    case C_UNSUPPORTED: env.exc |= X_IE; return ((uint64_t)1 << (fbits + ebits)) | ((uint64_t)emax << fbits) | (1ull << (fbits - 1));
    case C_QNAN: case C_SNAN:
      if (ca == C_SNAN) env.exc |= X_IE;
      return sbit | ((uint64_t)emax << fbits) | (1ull << (fbits - 1)) | ((a.mant << 1) >> (64 - fbits));
    default: break;
  }
  const Unp x = unpack(a);
  int32_t e = x.exp - 16383 + bias;  // biased in the destination
  const u128 v = (u128)x.sig << 64;
  const int sh = 128 - p;
  const u128 mask = ((u128)1 << sh) - 1, half = (u128)1 << (sh - 1), one = (u128)1 << sh;
  if (e >= 1) {
    const u128 rem = v & mask;
    u128 k = v & ~mask;
    if (rem) env.exc |= X_PE;
    if (round_up(env.rc, s, rem, half, (k >> sh) & 1)) {
      k += one;
      env.exc |= X_C1;
      if (k == 0) { k = (u128)1 << 127; e++; }
    }
    if (e >= emax) {
      env.exc = (uint16_t)((env.exc & ~X_C1) | X_OE | X_PE);
      const bool to_inf = env.rc == R_NEAREST || (env.rc == R_UP && !s) || (env.rc == R_DOWN && s);
      if (to_inf) { env.exc |= X_C1; return sbit | ((uint64_t)emax << fbits); }
      return sbit | ((uint64_t)(emax - 1) << fbits) | ((1ull << fbits) - 1);
    }
    return sbit | ((uint64_t)e << fbits) | ((uint64_t)(k >> sh) & ((1ull << fbits) - 1));
  }
  bool tiny = true;
  if (e == 0) {
    const u128 rem = v & mask, k = v & ~mask;
    if (round_up(env.rc, s, rem, half, (k >> sh) & 1) && k + one == 0) tiny = false;
  }
  const u128 w = shr_sticky(v, 1 - e);
  const u128 rem = w & mask;
  u128 k = w >> sh;
  if (rem) env.exc |= X_PE;
  if (round_up(env.rc, s, rem, half, k & 1)) { k++; env.exc |= X_C1; }
  if (tiny && (rem || !(env.masks & X_UE))) env.exc |= X_UE;
  return sbit | (uint64_t)k;  // k == 2^fbits carries into the exponent field: the smallest normal
}
}  // namespace

F80 from_f32(uint32_t bits, bool keep_snan, Env& env) { return from_ieee(bits, 23, 8, keep_snan, env); }
F80 from_f64(uint64_t bits, bool keep_snan, Env& env) { return from_ieee(bits, 52, 11, keep_snan, env); }
uint32_t to_f32(F80 a, Env& env) { return (uint32_t)to_ieee(a, 24, 8, env); }
uint64_t to_f64(F80 a, Env& env) { return to_ieee(a, 53, 11, env); }

double to_double(F80 a) {
  Env e;
  const uint64_t b = to_f64(a, e);
  double d;
  memcpy(&d, &b, 8);
  return d;
}
F80 from_double(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  Env e;
  return from_f64(b, true, e);
}

// ---- constants (128-bit values, rounded by RC as the x87 does) ----
F80 constant(int k, int rc) {
  struct K { uint64_t hi, lo; int e; };
  static const K t[7] = {
      {0x8000000000000000ull, 0, 0},                                     // 1
      {0xd49a784bcd1b8afeull, 0x492bf6ff4dafdb4cull, 1},                 // log2(10)
      {0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull, 0},                 // log2(e)
      {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1},                 // pi
      {0x9a209a84fbcff798ull, 0x8f8959ac0b7c9178ull, -2},                // log10(2)
      {0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1},                // ln(2)
      {0, 0, 0},                                                          // +0
  };
  if (k == 6) return zero(false);
  Env env;
  env.rc = rc;
  return round_pack(false, t[k].e + 16383, ((u128)t[k].hi << 64) | t[k].lo, 64, env);
}

}  // namespace sf
}  // namespace gb

// vm/cpu/sse_helpers.cpp — SSE operand access (rd_W128/wr_W128 of exec.h), MXCSR
// exception delivery, and the exact software floating-point core used by the SSE
// handlers whenever the host fast path (sse.h) cannot be trusted to give the x86 result.
//
// Index
//   1. rd_W128 / wr_W128 and mx_raise
//   2. round_pack: rounds an exact value m * 2^e (m with a sticky low bit) to binary32 or
//      binary64 under MXCSR.RC, with x86 overflow, underflow (tininess after rounding),
//      FTZ and the OE/UE/PE flags
//   3. add/sub/mul/div/sqrt on bits (NaN rules, invalid cases, DAZ, DE, ZE)
//   4. conversions (float <-> double, integer -> float, float -> integer)
//   5. rcp/rsqrt
//
// Why software: the engine also runs as wasm, which has only round-to-nearest, no
// exception flags, no FTZ/DAZ and canonicalises NaNs. The software path is exact for all
// of these; the fast path in sse.h only handles cases where the host result is provably
// the same. tests/unit/test_sse.cpp checks both against the host CPU in every mode.
#include <cmath>

#include "vm/cpu/sse.h"

namespace gb {

// ---- 1. operands and exceptions ------------------------------------------------------------
Xmm rd_W128_mem(Cpu& c, const Insn& i, bool aligned) {
  const uint64_t a = ea(c, i);
  if (aligned && (a & 15)) throw GpFault{};
  Xmm v;
  v.q[0] = c.mem->read<uint64_t>(a);
  v.q[1] = c.mem->read<uint64_t>(a + 8);
  return v;
}

void wr_W128_mem(Cpu& c, const Insn& i, const Xmm& v, bool aligned) {
  const uint64_t a = ea(c, i);
  if (aligned && (a & 15)) throw GpFault{};
  const uint64_t lo = v.q[0], hi = v.q[1];
  if ((a & (PAGE - 1)) > PAGE - 16) c.mem->probe_write(a, 16);  // no half-written store
  c.mem->write<uint64_t>(a, lo);
  c.mem->write<uint64_t>(a + 8, hi);
}

void mx_raise(Cpu& c, uint32_t ex) {
  ex &= MX_FLAGS;
  c.mxcsr |= ex;
  if (!(ex & ~(c.mxcsr >> 7) & MX_FLAGS)) return;
  // Unmasked: #XM. si_code as Linux derives it from the pending unmasked flags.
  const uint32_t err = c.mxcsr & ~(c.mxcsr >> 7) & MX_FLAGS;
  int code = 6;                               // FPE_FLTRES
  if (err & MX_IE) code = 7;                  // FPE_FLTINV
  else if (err & MX_ZE) code = 3;             // FPE_FLTDIV
  else if (err & MX_OE) code = 4;             // FPE_FLTOVF
  else if (err & (MX_UE | MX_DE)) code = 5;   // FPE_FLTUND
  throw FpFault{code};
}

// ---- 2. rounding ----------------------------------------------------------------------------
namespace {

using u128 = unsigned __int128;

inline int bitlen64(uint64_t x) { return x ? 64 - __builtin_clzll(x) : 0; }
inline int bitlen128(u128 x) {
  const uint64_t hi = (uint64_t)(x >> 64);
  return hi ? 128 - __builtin_clzll(hi) : bitlen64((uint64_t)x);
}

// `rest` is the discarded fraction scaled to 2^64 (half = 1 << 63); the low bit of a
// sticky value only says "non-zero".
inline bool round_up(int rc, bool sign, bool lsb, uint64_t rest) {
  switch (rc) {
    case RC_RN: return rest > (1ull << 63) || (rest == (1ull << 63) && lsb);
    case RC_RD: return sign && rest;
    case RC_RU: return !sign && rest;
    default: return false;
  }
}

struct Unp {
  bool s;
  int e;
  uint64_t m;  // value = (-1)^s * m * 2^e; m == 0 for zeros
};

template <class T>
Unp unpack(typename Fp<T>::U u) {
  using B = FpBits<T>;
  const bool s = (u & B::SIGN) != 0;
  const int ef = (int)((u & B::EXPM) >> B::MANT);
  const uint64_t frac = u & B::FRAC;
  if (ef == 0) return {s, 1 - B::BIAS - B::MANT, frac};
  return {s, ef - B::BIAS - B::MANT, frac | (1ull << B::MANT)};
}

// Rounds (-1)^sign * m * 2^e. If m carries a sticky bit (bit 0 standing for "something
// non-zero below"), it must hold at least MANT+3 significant bits so that the sticky
// bit lies below the rounding and guard positions.
template <class T>
typename Fp<T>::U round_pack(bool sign, int e, uint64_t m, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  using U = typename Fp<T>::U;
  const U S = sign ? B::SIGN : 0;
  if (m == 0) return S;
  const int n = __builtin_clzll(m);
  m <<= n;
  e -= n;
  int X = e + 63;  // value in [2^X, 2^(X+1))
  constexpr int P = B::MANT + 1;
  constexpr int EMIN = 1 - B::BIAS, EMAX = B::BIAS;
  const int rc = mx_rc(mx);
  uint64_t keep = m >> (64 - P), rest = m << P;
  const bool up = round_up(rc, sign, keep & 1, rest);
  if (X < EMIN) {
    // x86 detects tininess after rounding (to P bits with an unbounded exponent).
    const bool tiny = !(X == EMIN - 1 && up && keep == (1ull << P) - 1);
    const int drop = (64 - P) + (EMIN - X);
    if (drop < 64) { keep = m >> drop; rest = m << (64 - drop); }
    else if (drop == 64) { keep = 0; rest = m; }
    else { keep = 0; rest = 1; }
    if (tiny) {
      if (!(mx & MX_UM)) ex |= MX_UE;  // unmasked underflow traps on tininess alone
      else if (mx & MX_FTZ) { ex |= MX_UE | MX_PE; return S; }
      else if (rest) ex |= MX_UE;      // masked: tiny and inexact
    }
    if (rest) ex |= MX_PE;
    if (round_up(rc, sign, keep & 1, rest)) keep++;  // 2^MANT encodes the smallest normal
    return S | (U)keep;
  }
  if (up) {
    keep++;
    if (keep >> P) { keep >>= 1; X++; }
  }
  if (X > EMAX) {
    ex |= MX_OE | MX_PE;
    const bool to_inf = rc == RC_RN || (rc == RC_RU && !sign) || (rc == RC_RD && sign);
    return to_inf ? (S | B::EXPM) : (S | (B::EXPM - B::MINNORM) | B::FRAC);
  }
  if (rest) ex |= MX_PE;
  return S | ((U)(X + B::BIAS) << B::MANT) | ((U)keep & B::FRAC);
}

// Shifts a 128-bit exact value down to 64 bits, folding what falls off into bit 0.
inline uint64_t jam128(u128 v, int& e) {
  const int len = bitlen128(v);
  if (len <= 64) return (uint64_t)v;
  const int k = len - 64;
  const bool sticky = (v & (((u128)1 << k) - 1)) != 0;
  e += k;
  return (uint64_t)(v >> k) | (sticky ? 1 : 0);
}

u128 isqrt128(u128 M) {
  uint64_t q = (uint64_t)std::sqrt((double)M);
  if (q == 0) q = 1;
  u128 q1 = ((u128)q + M / q) >> 1;  // one Newton step from a 53-bit estimate
  u128 r = q1;
  while (r * r > M) r--;
  while ((r + 1) * (r + 1) <= M) r++;
  return r;
}

// Denormal operand bookkeeping: with DAZ a denormal input counts as a zero of its sign;
// without, it raises DE.
template <class T>
inline typename Fp<T>::U denorm_in(typename Fp<T>::U u, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  if (!B::denorm(u)) return u;
  if (mx & MX_DAZ) return u & B::SIGN;
  ex |= MX_DE;
  return u;
}

template <class T>
typename Fp<T>::U add_core(Unp x, Unp y, uint32_t mx, uint32_t& ex) {
  if (x.m == 0) return round_pack<T>(y.s, y.e, y.m, mx, ex);
  if (y.m == 0) return round_pack<T>(x.s, x.e, x.m, mx, ex);
  int sx = __builtin_clzll(x.m) - 1, sy = __builtin_clzll(y.m) - 1;  // top bit at 62
  x.m <<= sx; x.e -= sx;
  y.m <<= sy; y.e -= sy;
  if (x.e < y.e || (x.e == y.e && x.m < y.m)) { Unp t = x; x = y; y = t; }
  const int d = x.e - y.e;
  uint64_t ym;
  if (d == 0) ym = y.m;
  else if (d < 63) ym = (y.m >> d) | ((y.m << (64 - d)) != 0 ? 1 : 0);
  else ym = 1;
  uint64_t m;
  if (x.s == y.s) m = x.m + ym;
  else {
    m = x.m - ym;
    if (m == 0) return mx_rc(mx) == RC_RD ? FpBits<T>::SIGN : 0;  // x - x: +0, -0 rounding down
  }
  return round_pack<T>(x.s, x.e, m, mx, ex);
}

// ---- 3. arithmetic ---------------------------------------------------------------------------
template <class T>
typename Fp<T>::U bin_exact(int op, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  using U = typename Fp<T>::U;
  if (B::nan(a) || B::nan(b)) {
    if (B::snan(a) || B::snan(b)) ex |= MX_IE;
    return B::nan(a) ? B::quiet(a) : B::quiet(b);
  }
  a = denorm_in<T>(a, mx, ex);
  b = denorm_in<T>(b, mx, ex);
  const bool sa = (a & B::SIGN) != 0;
  bool sb = (b & B::SIGN) != 0;
  if (op == FOP_SUB) sb = !sb;
  const U sx = (sa != sb) ? B::SIGN : 0;  // sign of a product or quotient
  switch (op) {
    case FOP_ADD:
    case FOP_SUB: {
      if (B::inf(a) && B::inf(b)) {
        if (sa != sb) { ex |= MX_IE; return B::DEFNAN; }
        return a;
      }
      if (B::inf(a)) return a;
      if (B::inf(b)) return (sb ? B::SIGN : 0) | B::EXPM;
      Unp x = unpack<T>(a), y = unpack<T>(b);
      y.s = sb;
      if (x.m == 0 && y.m == 0) {
        if (sa == sb) return sa ? B::SIGN : 0;
        return mx_rc(mx) == RC_RD ? B::SIGN : 0;
      }
      return add_core<T>(x, y, mx, ex);
    }
    case FOP_MUL: {
      if (B::inf(a) || B::inf(b)) {
        if (B::zero(a) || B::zero(b)) { ex |= MX_IE; return B::DEFNAN; }
        return sx | B::EXPM;
      }
      if (B::zero(a) || B::zero(b)) return sx;
      const Unp x = unpack<T>(a), y = unpack<T>(b);
      int e = x.e + y.e;
      const uint64_t m = jam128((u128)x.m * y.m, e);
      return round_pack<T>(sx != 0, e, m, mx, ex);
    }
    default: {  // FOP_DIV
      if (B::inf(a)) {
        if (B::inf(b)) { ex |= MX_IE; return B::DEFNAN; }
        return sx | B::EXPM;
      }
      if (B::inf(b)) return sx;
      if (B::zero(b)) {
        if (B::zero(a)) { ex |= MX_IE; return B::DEFNAN; }
        ex |= MX_ZE;
        return sx | B::EXPM;
      }
      if (B::zero(a)) return sx;
      Unp x = unpack<T>(a), y = unpack<T>(b);
      const int nx = B::MANT + 1 - bitlen64(x.m), ny = B::MANT + 1 - bitlen64(y.m);
      x.m <<= nx; x.e -= nx;
      y.m <<= ny; y.e -= ny;
      const u128 num = (u128)x.m << 63;
      const uint64_t q = (uint64_t)(num / y.m);  // in (2^62, 2^64)
      const bool r = (num % y.m) != 0;
      return round_pack<T>(sx != 0, x.e - y.e - 63, q | (r ? 1 : 0), mx, ex);
    }
  }
}

template <class T>
typename Fp<T>::U sqrt_exact(typename Fp<T>::U a, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  if (B::nan(a)) {
    if (B::snan(a)) ex |= MX_IE;
    return B::quiet(a);
  }
  a = denorm_in<T>(a, mx, ex);
  if (B::zero(a)) return a;
  if (a & B::SIGN) { ex |= MX_IE; return B::DEFNAN; }
  if (B::inf(a)) return a;
  const Unp x = unpack<T>(a);
  const int L = bitlen64(x.m) - 1;
  int s = 124 - L;
  if ((x.e - s) & 1) s--;
  const u128 M = (u128)x.m << s;
  const u128 q = isqrt128(M);
  const bool inexact = q * q != M;
  return round_pack<T>(false, (x.e - s) / 2, (uint64_t)q | (inexact ? 1 : 0), mx, ex);
}

}  // namespace

// A lane that raises IE or ZE does not also report DE (den/0 is ZE only, sqrt(-den) IE
// only), so flags are gathered per lane first.
template <class T>
typename Fp<T>::U fp_bin_slow(int op, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex) {
  uint32_t lx = 0;
  const typename Fp<T>::U r = bin_exact<T>(op, a, b, mx, lx);
  if (lx & (MX_IE | MX_ZE)) lx &= ~MX_DE;
  ex |= lx;
  return r;
}
template <class T>
typename Fp<T>::U fp_sqrt_slow(typename Fp<T>::U a, uint32_t mx, uint32_t& ex) {
  uint32_t lx = 0;
  const typename Fp<T>::U r = sqrt_exact<T>(a, mx, lx);
  if (lx & MX_IE) lx &= ~MX_DE;
  ex |= lx;
  return r;
}

template uint32_t fp_bin_slow<float>(int, uint32_t, uint32_t, uint32_t, uint32_t&);
template uint64_t fp_bin_slow<double>(int, uint64_t, uint64_t, uint32_t, uint32_t&);
template uint32_t fp_sqrt_slow<float>(uint32_t, uint32_t, uint32_t&);
template uint64_t fp_sqrt_slow<double>(uint64_t, uint32_t, uint32_t&);

// ---- 4. conversions --------------------------------------------------------------------------
uint32_t fp_cvt_d2f(uint64_t a, uint32_t mx, uint32_t& ex) {
  const uint32_t s = (uint32_t)(a >> 32) & 0x80000000u;
  if (F64::nan(a)) {
    if (F64::snan(a)) ex |= MX_IE;
    return s | 0x7fc00000u | (uint32_t)((a & F64::FRAC) >> 29);  // quiet, payload truncated
  }
  if (F64::inf(a)) return s | 0x7f800000u;
  if (mx_fast(mx) && F64::normal(a)) {
    const uint32_t u = F32::bits((float)F64::val(a));
    if (F32::big(u)) return u;
  }
  a = denorm_in<double>(a, mx, ex);
  const Unp x = unpack<double>(a);
  return round_pack<float>(x.s, x.e, x.m, mx, ex);
}

uint64_t fp_cvt_f2d(uint32_t a, uint32_t mx, uint32_t& ex) {
  const uint64_t s = (uint64_t)(a & 0x80000000u) << 32;
  if (F32::nan(a)) {
    if (F32::snan(a)) ex |= MX_IE;
    return s | 0x7ff8000000000000ull | ((uint64_t)(a & F32::FRAC) << 29);
  }
  a = denorm_in<float>(a, mx, ex);
  return F64::bits((double)F32::val(a));  // exact (denormal floats are normal doubles)
}

template <class T>
typename Fp<T>::U fp_from_int(int64_t v, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  const uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  if (mag < (1ull << (B::MANT + 1))) return B::bits((T)v);  // exact on every host
  return round_pack<T>(v < 0, 0, mag, mx, ex);
}
template uint32_t fp_from_int<float>(int64_t, uint32_t, uint32_t&);
template uint64_t fp_from_int<double>(int64_t, uint32_t, uint32_t&);

template <class T>
uint64_t fp_to_int(typename Fp<T>::U a, int bits, bool trunc, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  const uint64_t indef = 1ull << (bits - 1);
  if (B::nan(a) || B::inf(a)) { ex |= MX_IE; return indef; }
  if ((mx & MX_DAZ) && B::denorm(a)) return 0;
  const Unp x = unpack<T>(a);
  if (x.m == 0) return 0;
  const int rc = trunc ? RC_RZ : mx_rc(mx);
  uint64_t mag, rest = 0;
  if (x.e >= 0) {
    if (bitlen64(x.m) + x.e > 64) { ex |= MX_IE; return indef; }
    mag = x.m << x.e;
  } else {
    const int sh = -x.e;
    if (sh < 64) { mag = x.m >> sh; rest = x.m << (64 - sh); }
    else { mag = 0; rest = sh == 64 ? x.m : 1; }
    if (round_up(rc, x.s, mag & 1, rest)) mag++;
  }
  const uint64_t limit = x.s ? indef : indef - 1;
  if (mag > limit) { ex |= MX_IE; return indef; }
  if (rest) ex |= MX_PE;
  return x.s ? 0 - mag : mag;
}
template uint64_t fp_to_int<float>(uint32_t, int, bool, uint32_t, uint32_t&);
template uint64_t fp_to_int<double>(uint64_t, int, bool, uint32_t, uint32_t&);

// ---- 5. rcp / rsqrt -------------------------------------------------------------------------
// Hardware returns a table-based approximation with relative error <= 1.5 * 2^-12 whose
// exact bits differ between Intel and AMD generations. We return the correctly rounded
// value instead (well inside that bound), with hardware's special cases: denormal
// inputs count as zero, tiny results are flushed to zero, no MXCSR flags are raised.
uint32_t fp_rcp(uint32_t a) {
  const uint32_t s = a & 0x80000000u;
  if (F32::nan(a)) return F32::quiet(a);
  if (F32::zero(a) || F32::denorm(a)) return s | 0x7f800000u;
  if (F32::inf(a)) return s;
  const uint32_t r = F32::bits(1.0f / F32::val(a));
  return F32::denorm(r) ? s : r;
}

uint32_t fp_rsqrt(uint32_t a) {
  const uint32_t s = a & 0x80000000u;
  if (F32::nan(a)) return F32::quiet(a);
  if (F32::zero(a) || F32::denorm(a)) return s | 0x7f800000u;
  if (s) return F32::DEFNAN;
  if (F32::inf(a)) return 0;
  return F32::bits((float)(1.0 / std::sqrt((double)F32::val(a))));
}

}  // namespace gb

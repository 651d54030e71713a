// vm/cpu/x87_softfloat.h — 80-bit extended precision soft-float: what the x87 computes,
// bit for bit, in integer arithmetic (identical natively and in wasm).
//
// Index
//   1. Env: rounding control, precision control, the status bits an operation raises
//   2. Classification and unpacking of the 80-bit format
//   3. Rounding (round_pack): precision control, overflow, underflow, denormals, C1
//   4. Operations: add/sub, mul, div, sqrt, compare, remainder, round to integer, scale
//   5. Conversions: integers, float/double bits, the constants (rounded by RC)
//
// Facts the code relies on (Intel SDM vol. 1 ch. 4 and 8; checked against the host's x87
// by tests/unit/test_x87.cpp and the cpu-diff stream):
//   * Precision control (FCW.PC: 24, 53 or 64 bits) rounds the significand of fadd fsub
//     fmul fdiv fsqrt (all forms) and keeps the 15-bit exponent range; everything else
//     rounds to 64 bits.
//   * Tininess is detected after rounding (with an unbounded exponent); a masked
//     underflow is raised only when the result is also inexact. Denormal results are
//     rounded at the same absolute bit position as the smallest normal.
//   * Masked overflow gives infinity or the largest finite value of the precision,
//     depending on the rounding direction and the sign.
//   * C1 is set when the rounded result has a larger magnitude than the exact one.
//   * Pseudo-denormals (exponent 0, integer bit set) are read as exponent 1; unnormals,
//     pseudo-infinities and pseudo-NaNs are invalid operands (IE, the indefinite).
#pragma once
#include <cstdint>

#include "vm/cpu/cpu.h"

namespace gb {
namespace sf {

typedef unsigned __int128 u128;

// ---- 1. Environment ---------------------------------------------------------------------
enum : uint16_t {
  X_IE = 0x0001, X_DE = 0x0002, X_ZE = 0x0004, X_OE = 0x0008, X_UE = 0x0010, X_PE = 0x0020,
  X_C1 = 0x0200,
};
enum : int { R_NEAREST = 0, R_DOWN = 1, R_UP = 2, R_ZERO = 3 };

struct Env {
  int rc = R_NEAREST;
  int prec = 64;       // significand bits: 24, 53 or 64
  uint16_t masks = 0x3f;  // FCW exception masks (an unmasked underflow is raised on tininess alone)
  uint16_t exc = 0;    // raised: X_* bits, X_C1 when rounded up
};
// Env from a control word: RC, PC (00 -> 24, 10 -> 53, 11 -> 64; 01 is reserved and
// behaves as 64) and the masks.
inline Env env_from_fcw(uint16_t fcw, bool use_pc) {
  Env e;
  e.rc = (fcw >> 10) & 3;
  const int pc = (fcw >> 8) & 3;
  e.prec = !use_pc ? 64 : pc == 0 ? 24 : pc == 2 ? 53 : 64;
  e.masks = fcw & 0x3f;
  return e;
}

// The denormal-operand exception is not reported when the operation is invalid or a
// division by zero (measured): call before committing an Env.
inline void finish(Env& e) {
  if (e.exc & (X_IE | X_ZE)) e.exc &= (uint16_t)~X_DE;
}

// ---- 2. Classes -----------------------------------------------------------------------------
enum Class : uint8_t { C_ZERO, C_NORMAL, C_DENORMAL, C_INF, C_QNAN, C_SNAN, C_UNSUPPORTED };

inline int biased_exp(F80 v) { return v.se & 0x7fff; }
inline bool sign_of(F80 v) { return v.se >> 15; }
inline Class classify(F80 v) {
  const int e = biased_exp(v);
  const bool j = v.mant >> 63;
  if (e == 0x7fff) {
    if (!j) return C_UNSUPPORTED;
    if (!(v.mant << 1)) return C_INF;
    return (v.mant >> 62) & 1 ? C_QNAN : C_SNAN;
  }
  if (e == 0) return v.mant ? C_DENORMAL : C_ZERO;  // pseudo-denormals are denormals too
  return j ? C_NORMAL : C_UNSUPPORTED;
}
inline bool is_nan(F80 v) { return biased_exp(v) == 0x7fff && (v.mant << 1) && (v.mant >> 63); }

constexpr F80 kIndefinite = {0xc000000000000000ull, 0xffff};
inline F80 make(bool s, int e, uint64_t m) { return F80{m, (uint16_t)((s ? 0x8000 : 0) | e)}; }
inline F80 zero(bool s) { return make(s, 0, 0); }
inline F80 inf(bool s) { return make(s, 0x7fff, 1ull << 63); }
inline F80 quiet(F80 v) { v.mant |= 1ull << 62; return v; }
inline F80 negate(F80 v) { v.se ^= 0x8000; return v; }
inline F80 fabs_(F80 v) { v.se &= 0x7fff; return v; }

// A finite nonzero value unpacked: value = sig * 2^(exp - 16383 - 63), sig normalised
// (bit 63 set); exp may be below 1 for denormals.
struct Unp {
  bool sign;
  int32_t exp;
  uint64_t sig;
};
Unp unpack(F80 v);  // for C_NORMAL / C_DENORMAL only

// ---- 3. Rounding ------------------------------------------------------------------------------
// Rounds sign * v * 2^(exp - 16383 - 127) (v normalised: bit 127 set) to `prec` bits by
// env.rc, with the extended exponent range; raises PE/UE/OE and C1 in env.
F80 round_pack(bool sign, int32_t exp, u128 v, int prec, Env& env);

// ---- 4. Operations (operands already checked: both finite or special as noted) ----------
// Each handles every class of operand (NaN rules, invalid operations, DE on denormal
// operands, ZE) and returns the result; env.exc collects the flags.
F80 nan_pick(F80 a, F80 b, Env& env);  // at least one NaN: the x87 propagation rule

// Common checks of a binary operation. Returns true when `out` is the result (NaN,
// unsupported operand); raises DE for denormal operands otherwise.
inline bool binary_special(F80 a, F80 b, Class ca, Class cb, F80& out, Env& env) {
  if (ca == C_UNSUPPORTED || cb == C_UNSUPPORTED) {
    env.exc |= X_IE;
    out = kIndefinite;
    return true;
  }
  if (ca >= C_QNAN || cb >= C_QNAN) {
    out = nan_pick(a, b, env);
    return true;
  }
  if (ca == C_DENORMAL || cb == C_DENORMAL) env.exc |= X_DE;
  return false;
}
F80 add(F80 a, F80 b, bool subtract, Env& env);
F80 mul(F80 a, F80 b, Env& env);
F80 div(F80 a, F80 b, Env& env);
F80 sqrt(F80 a, Env& env);
// Compare: 0 greater, 1 less, 2 equal, 3 unordered. `quiet_nan_ok`: only SNaNs (and
// unsupported encodings) raise IE (fucom); otherwise every NaN does (fcom).
int compare(F80 a, F80 b, bool quiet_nan_ok, Env& env);
// fprem (ieee = false, truncated quotient) / fprem1. Returns the (partial) remainder;
// *q gets the low 3 quotient bits, *partial whether the reduction is incomplete (C2).
F80 remainder(F80 a, F80 b, bool ieee, unsigned* q, bool* partial, Env& env);
F80 round_int(F80 a, Env& env);  // frndint by env.rc
F80 scale(F80 a, F80 b, Env& env);  // fscale: a * 2^trunc(b)

// ---- 5. Conversions -------------------------------------------------------------------------
F80 from_i64(int64_t v);
// Rounds to an integer of `bits` (16, 32, 64) by env.rc; out of range, NaN, infinity and
// unsupported give IE and the integer indefinite (1 << (bits - 1)).
uint64_t to_int(F80 a, int bits, Env& env);
// Loads (fld m32 / m64): exact; SNaN raises IE and is quieted unless keep_snan (operands
// of arithmetic keep their kind for the NaN rule); denormals raise DE.
F80 from_f32(uint32_t bits, bool keep_snan, Env& env);
F80 from_f64(uint64_t bits, bool keep_snan, Env& env);
// Stores (fst m32 / m64): rounded by env.rc with the format's range.
uint32_t to_f32(F80 a, Env& env);
uint64_t to_f64(F80 a, Env& env);
// Constants fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz (index 0..6), rounded by rc.
F80 constant(int k, int rc);
// To and from the host's double (tests, diagnostics): exact where possible, nearest even.
double to_double(F80 a);
F80 from_double(double d);

// ---- 6. Transcendentals (x87_transcendental.cpp) -------------------------------------------
// Each is computed with ~120-bit intermediates and rounded once by env.rc.
F80 f2xm1(F80 x, Env& env);
F80 fyl2x(F80 x, F80 y, Env& env);
F80 fyl2xp1(F80 x, F80 y, Env& env);
F80 fpatan(F80 x, F80 y, Env& env);  // atan2(y = st1, x = st0)
// fsin fcos fsincos fptan for finite |x| < 2^63 (the caller handles the rest).
void sincos(F80 x, F80* s, F80* c, Env& env);  // either pointer may be null
F80 tan(F80 x, Env& env);

}  // namespace sf
}  // namespace gb

// vm/cpu/sse.h — internal helpers of the SSE/SSE2 handlers (ops_sse_*.cpp): MXCSR bits,
// operand access for scalar and 64-bit forms, IEEE classification on raw bits, and the
// floating-point core (fast paths here, the exact software paths in sse_helpers.cpp).
//
// Index
//   1. MXCSR bits and mx_commit (sticky flags, unmasked exceptions -> FpFault)
//   2. Operand access: rd_Wd / rd_Wq (xmm low lane or m32/m64), lane views of Xmm
//   3. Fp<T>: the binary32/binary64 formats on raw bits (NaN, denormal, quieting)
//   4. Arithmetic entry points: fp_bin (add sub mul div), fp_sqrt, fp_minmax, fp_cmp,
//      conversions (fp_cvt_fd, fp_cvt_df, fp_from_int, fp_to_int), rcp/rsqrt
//
// Design notes
//   * Every float value travels as its bit pattern (uint32_t/uint64_t), never through
//     host float arithmetic when a NaN may be involved: wasm canonicalises NaNs and does
//     not keep x86's payload and sign rules, so NaN results are built here from bits.
//   * Fast path: host arithmetic is used when MXCSR is round-to-nearest with every
//     exception masked, the inputs are finite normal numbers, the result is a normal
//     number above the smallest normal, and PE (precision) is already set — then the
//     host result is the x86 result and no new flag can appear. Anything else (NaN,
//     infinity, zero, denormal, overflow, underflow, directed rounding, FTZ/DAZ, the
//     first inexact operation of a program, unmasked exceptions) goes to the exact
//     software path, which computes the result and all six flags as hardware does.
//   * Handlers compute results into temporaries, then call mx_commit (which may throw
//     FpFault for an unmasked exception), then write the destination.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "vm/cpu/exec.h"

namespace gb {

// ---- 1. MXCSR -------------------------------------------------------------------------
enum : uint32_t {
  MX_IE = 0x1, MX_DE = 0x2, MX_ZE = 0x4, MX_OE = 0x8, MX_UE = 0x10, MX_PE = 0x20,
  MX_DAZ = 0x40,
  MX_IM = 0x80, MX_DM = 0x100, MX_ZM = 0x200, MX_OM = 0x400, MX_UM = 0x800, MX_PM = 0x1000,
  MX_RC = 0x6000, MX_FTZ = 0x8000,
};
constexpr uint32_t MX_FLAGS = 0x3f;
constexpr uint32_t MX_MASKS = 0x1f80;
constexpr uint32_t MXCSR_MASK = 0xffff;  // writable bits (DAZ supported), as fxsave reports
enum Rc { RC_RN = 0, RC_RD = 1, RC_RU = 2, RC_RZ = 3 };
inline int mx_rc(uint32_t mx) { return (mx >> 13) & 3; }
// True when fast paths may run: RN, everything masked, PE already set.
inline bool mx_fast(uint32_t mx) { return (mx & (MX_RC | MX_MASKS | MX_PE)) == (MX_MASKS | MX_PE); }

// Adds the sticky flags `ex`; an unmasked one raises #XM (SIGFPE) before the
// destination is written.
void mx_raise(Cpu& c, uint32_t ex);
inline void mx_commit(Cpu& c, uint32_t ex) {
  if (ex) mx_raise(c, ex);
}

// ---- 2. Operands -------------------------------------------------------------------------
GB_INLINE uint32_t rd_Wd(Cpu& c, const Insn& i) {
  return i.mod == 3 ? c.xmm[i.rm].d[0] : c.mem->read<uint32_t>(ea(c, i));
}
GB_INLINE uint64_t rd_Wq(Cpu& c, const Insn& i) {
  return i.mod == 3 ? c.xmm[i.rm].q[0] : c.mem->read<uint64_t>(ea(c, i));
}

// Typed lane views: lanes<uint16_t>(x)[k] is word k.
template <class L> inline L* lanes(Xmm& x);
template <> inline uint8_t* lanes<uint8_t>(Xmm& x) { return x.b; }
template <> inline int8_t* lanes<int8_t>(Xmm& x) { return x.sb; }
template <> inline uint16_t* lanes<uint16_t>(Xmm& x) { return x.w; }
template <> inline int16_t* lanes<int16_t>(Xmm& x) { return x.sw; }
template <> inline uint32_t* lanes<uint32_t>(Xmm& x) { return x.d; }
template <> inline int32_t* lanes<int32_t>(Xmm& x) { return x.sd; }
template <> inline uint64_t* lanes<uint64_t>(Xmm& x) { return x.q; }
template <> inline int64_t* lanes<int64_t>(Xmm& x) { return x.sq; }

// ---- 3. Formats on bits --------------------------------------------------------------------
template <class T> struct Fp;
template <> struct Fp<float> {
  using U = uint32_t;
  static constexpr int MANT = 23, EXPB = 8, BIAS = 127;
};
template <> struct Fp<double> {
  using U = uint64_t;
  static constexpr int MANT = 52, EXPB = 11, BIAS = 1023;
};

template <class T> struct FpBits : Fp<T> {
  using U = typename Fp<T>::U;
  using Fp<T>::MANT;
  using Fp<T>::EXPB;
  static constexpr U SIGN = U(1) << (MANT + EXPB);
  static constexpr U EXPM = ((U(1) << EXPB) - 1) << MANT;
  static constexpr U FRAC = (U(1) << MANT) - 1;
  static constexpr U QBIT = U(1) << (MANT - 1);
  static constexpr U MINNORM = U(1) << MANT;
  static constexpr U DEFNAN = SIGN | EXPM | QBIT;  // x86 "real indefinite"
  static bool nan(U u) { return (u & ~SIGN) > EXPM; }
  static bool snan(U u) { return nan(u) && !(u & QBIT); }
  static bool inf(U u) { return (u & ~SIGN) == EXPM; }
  static bool zero(U u) { return (u & ~SIGN) == 0; }
  static bool denorm(U u) { return (u & EXPM) == 0 && (u & FRAC) != 0; }
  // finite, non-zero, not denormal
  static bool normal(U u) { return (u & EXPM) != 0 && (u & EXPM) != EXPM; }
  // normal and strictly above the smallest normal magnitude (no underflow question)
  static bool big(U u) { return (u & ~SIGN) > MINNORM && (u & EXPM) != EXPM; }
  static U quiet(U u) { return u | QBIT; }
  static U daz(U u, uint32_t mx) { return ((mx & MX_DAZ) && denorm(u)) ? (u & SIGN) : u; }
  static T val(U u) { T t; memcpy(&t, &u, sizeof t); return t; }
  static U bits(T t) { U u; memcpy(&u, &t, sizeof u); return u; }
};
using F32 = FpBits<float>;
using F64 = FpBits<double>;

// ---- 4. Arithmetic ---------------------------------------------------------------------------
enum FpOp { FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV };

// Exact software paths (sse_helpers.cpp). `ex` accumulates MXCSR flag bits.
template <class T> typename Fp<T>::U fp_bin_slow(int op, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex);
template <class T> typename Fp<T>::U fp_sqrt_slow(typename Fp<T>::U a, uint32_t mx, uint32_t& ex);

// a op b with x86 semantics (a is the first source = destination operand).
template <class T>
inline typename Fp<T>::U fp_bin(int op, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  if (__builtin_expect(mx_fast(mx) && B::normal(a) && B::normal(b), 1)) {
    const T x = B::val(a), y = B::val(b);
    T r;
    switch (op) {
      case FOP_ADD: r = x + y; break;
      case FOP_SUB: r = x - y; break;
      case FOP_MUL: r = x * y; break;
      default: r = x / y; break;
    }
    const typename Fp<T>::U u = B::bits(r);
    if (__builtin_expect(B::big(u), 1)) return u;
  }
  return fp_bin_slow<T>(op, a, b, mx, ex);
}

template <class T>
inline typename Fp<T>::U fp_sqrt(typename Fp<T>::U a, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  // The square root of a positive normal number is normal; only PE can be new.
  if (__builtin_expect(mx_fast(mx) && B::normal(a) && !(a & B::SIGN), 1)) return B::bits(std::sqrt(B::val(a)));
  return fp_sqrt_slow<T>(a, mx, ex);
}

// minss/maxss...: (a < b) ? a : b, and b whenever either is NaN or both are zero.
template <class T>
inline typename Fp<T>::U fp_minmax(bool is_max, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  // DAZ applies first: the second operand returned for a NaN is the flushed value.
  if ((mx & MX_DAZ) && (B::denorm(a) || B::denorm(b))) { a = B::daz(a, mx); b = B::daz(b, mx); }
  if (B::nan(a) || B::nan(b)) { ex |= MX_IE; return b; }
  if (B::denorm(a) || B::denorm(b)) ex |= MX_DE;
  const T x = B::val(a), y = B::val(b);
  return (is_max ? (x > y) : (x < y)) ? a : b;
}

// cmpps predicates 0..7 (eq lt le unord neq nlt nle ord): all-ones or zero.
template <class T>
inline bool fp_cmp(int pred, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  const bool un = B::nan(a) || B::nan(b);
  if (un) {
    // lt le nlt nle signal on any NaN; the others only on SNaN.
    if (((pred & 3) == 1 || (pred & 3) == 2) || B::snan(a) || B::snan(b)) ex |= MX_IE;
  } else if (B::denorm(a) || B::denorm(b)) {
    if (mx & MX_DAZ) { a = B::daz(a, mx); b = B::daz(b, mx); }
    else ex |= MX_DE;
  }
  const T x = B::val(a), y = B::val(b);
  switch (pred & 7) {
    case 0: return !un && x == y;
    case 1: return !un && x < y;
    case 2: return !un && x <= y;
    case 3: return un;
    case 4: return un || x != y;
    case 5: return un || !(x < y);
    case 6: return un || !(x <= y);
    default: return !un;
  }
}

// comiss/ucomiss: the rflags value (ZF PF CF; OF SF AF cleared).
template <class T>
inline uint64_t fp_comi(bool signal_qnan, typename Fp<T>::U a, typename Fp<T>::U b, uint32_t mx, uint32_t& ex) {
  using B = FpBits<T>;
  if (B::nan(a) || B::nan(b)) {
    if (signal_qnan || B::snan(a) || B::snan(b)) ex |= MX_IE;
    return FL_ZF | FL_PF | FL_CF;
  }
  if (B::denorm(a) || B::denorm(b)) {
    if (mx & MX_DAZ) { a = B::daz(a, mx); b = B::daz(b, mx); }
    else ex |= MX_DE;
  }
  const T x = B::val(a), y = B::val(b);
  if (x < y) return FL_CF;
  if (x == y) return FL_ZF;
  return 0;
}

// Conversions (sse_helpers.cpp).
uint32_t fp_cvt_d2f(uint64_t a, uint32_t mx, uint32_t& ex);  // cvtsd2ss: rounds per RC
uint64_t fp_cvt_f2d(uint32_t a, uint32_t mx, uint32_t& ex);  // cvtss2sd: exact
template <class T> typename Fp<T>::U fp_from_int(int64_t v, uint32_t mx, uint32_t& ex);  // cvtsi2ss/sd, cvtdq2ps/pd
// cvt(t)ss2si/sd2si, cvt(t)ps2dq/pd2dq: `bits` 32 or 64; `trunc` ignores RC.
// Out of range or NaN: the integer indefinite (1 << (bits-1)) and IE.
template <class T> uint64_t fp_to_int(typename Fp<T>::U a, int bits, bool trunc, uint32_t mx, uint32_t& ex);
// rcpss/rsqrtss and packed forms: computed exactly (rounded to nearest) instead of
// hardware's 12-bit approximation; see sse_helpers.cpp.
uint32_t fp_rcp(uint32_t a);
uint32_t fp_rsqrt(uint32_t a);

}  // namespace gb

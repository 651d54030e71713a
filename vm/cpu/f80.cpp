// vm/cpu/f80.cpp — format conversions of the x87 model (see f80.h for the model).
//
// Everything here is integer bit manipulation or exactly specified IEEE operations
// (float<->double of non-NaNs, floor/ceil/trunc, nextafterf), so the native and the
// wasm builds agree bit for bit.
#include "vm/cpu/f80.h"

#include <cfloat>
#include <cmath>

namespace gb {

namespace {
constexpr uint64_t kExpMask = 0x7ff0000000000000ull;
constexpr uint64_t kFracMask = 0x000fffffffffffffull;
constexpr uint64_t kQuietBit = 0x0008000000000000ull;
}  // namespace

double f80_to_double(F80 v, uint16_t* exc) {
  const uint64_t sign = (uint64_t)(v.se >> 15) << 63;
  const int e = v.se & 0x7fff;
  const uint64_t m = v.mant;
  uint16_t x = 0;
  uint64_t out;
  if (e == 0x7fff) {
    if (!(m >> 63)) {  // pseudo-infinity / pseudo-NaN: unsupported
      x = FSW_IE;
      out = kIndefiniteBits;
    } else if (!(m << 1)) {
      out = sign | kExpMask;  // infinity
    } else {
      uint64_t f = (m << 1) >> 12;  // the 63 fraction bits, top 52 kept (truncated)
      if (!(m & (1ull << 62)) && !f) f = 1;  // SNaN whose payload vanished stays an SNaN
      out = sign | kExpMask | f;
    }
  } else if (e == 0) {
    // Denormals and pseudo-denormals are below 2^-16382: far under the double range.
    if (m) x = FSW_UE | FSW_PE;
    out = sign;
  } else if (!(m >> 63)) {  // unnormal: unsupported
    x = FSW_IE;
    out = kIndefiniteBits;
  } else {
    int E = e - 16383;
    if (E > 1023) {
      x = FSW_OE | FSW_PE | FSW_C1;
      out = sign | kExpMask;
    } else if (E >= -1022) {
      uint64_t mant = m >> 11;
      const uint64_t low = m & 0x7ff;
      if (low) x |= FSW_PE;
      if (low > 0x400 || (low == 0x400 && (mant & 1))) { mant++; x |= FSW_C1; }
      if (mant >> 53) { mant >>= 1; E++; }
      if (E > 1023) {
        x |= FSW_OE;
        out = sign | kExpMask;
      } else {
        out = sign | ((uint64_t)(E + 1023) << 52) | (mant & kFracMask);
      }
    } else {
      // Subnormal double: f * 2^-1074 with f = m * 2^(E + 1011).
      const int s = -1011 - E;  // >= 12
      uint64_t f, rem, half;
      if (s > 64) { f = 0; rem = 1; half = ~0ull; }  // rem: nonzero, below half
      else if (s == 64) { f = 0; rem = m; half = 1ull << 63; }
      else { f = m >> s; rem = m & ((1ull << s) - 1); half = 1ull << (s - 1); }
      if (rem > half || (rem == half && (f & 1))) { f++; x |= FSW_C1; }
      // Masked underflow: tiny after rounding (to 53 bits, unbounded exponent) and
      // inexact. Only a value just below 2^-1022 can round up out of tininess.
      const bool to_min_normal = E == -1023 && (m >> 11) == 0x1fffffffffffffull && (m & 0x7ff) >= 0x400;
      if (rem) x |= to_min_normal ? FSW_PE : (FSW_UE | FSW_PE);
      out = sign | f;  // f == 2^52 is the smallest normal: the encoding carries over
    }
  }
  if (exc) *exc |= x;
  return bits_to_double(out);
}

F80 double_to_f80(double d) {
  const uint64_t b = double_to_bits(d);
  const uint16_t sign = (uint16_t)((b >> 63) << 15);
  const int e = (int)((b >> 52) & 0x7ff);
  const uint64_t frac = b & kFracMask;
  if (e == 0x7ff) return F80{(1ull << 63) | (frac << 11), (uint16_t)(sign | 0x7fff)};
  if (e == 0) {
    if (!frac) return F80{0, sign};
    const int p = 63 - __builtin_clzll(frac);  // highest set bit, 0..51
    return F80{frac << (63 - p), (uint16_t)(sign | (p - 1074 + 16383))};
  }
  return F80{(1ull << 63) | (frac << 11), (uint16_t)(sign | (e - 1023 + 16383))};
}

double f32_to_double(uint32_t bits, uint16_t* exc) {
  const uint32_t e = (bits >> 23) & 0xff, frac = bits & 0x7fffff;
  if (e == 0xff && frac) {
    uint32_t f = frac;
    if (!(f & 0x400000)) {
      if (exc) *exc |= FSW_IE;
      f |= 0x400000;
    }
    return bits_to_double(((uint64_t)(bits >> 31) << 63) | kExpMask | ((uint64_t)f << 29));
  }
  if (e == 0 && frac && exc) *exc |= FSW_DE;
  float f;
  memcpy(&f, &bits, 4);
  return (double)f;
}

namespace {
// Round a (non-NaN) double to float by rc: the cast rounds to nearest even, then step
// one float toward the requested direction if that went the wrong way.
float round_f32(double d, int rc) {
  float f = (float)d;
  const double fd = (double)f;
  if (fd == d) return f;
  switch (rc) {
    case RC_DOWN: if (fd > d) f = std::nextafter(f, -INFINITY); break;
    case RC_UP: if (fd < d) f = std::nextafter(f, INFINITY); break;
    case RC_ZERO: if (std::fabs(fd) > std::fabs(d)) f = std::nextafter(f, 0.0f); break;
    default: break;
  }
  return f;
}
}  // namespace

uint32_t double_to_f32(double d, int rc, uint16_t* exc) {
  const uint64_t b = double_to_bits(d);
  if (is_nan_bits(b)) {
    if (!(b & kQuietBit) && exc) *exc |= FSW_IE;
    return (uint32_t)((b >> 63) << 31) | 0x7fc00000u | (uint32_t)((b & kFracMask) >> 29);
  }
  const float f = round_f32(d, rc);
  uint16_t x = 0;
  if ((double)f != d) {
    x |= FSW_PE;
    if (std::fabs((double)f) > std::fabs(d)) x |= FSW_C1;
    // Overflow: the result rounded with an unbounded exponent exceeds FLT_MAX.
    if (std::isinf(f) || std::fabs(d) >= 0x1p128) x |= FSW_OE;
    // Underflow (masked): tiny after rounding with an unbounded exponent, and inexact
    // (what the x87 does, measured). Scaling by 2^64 is exact and leaves the range.
    else if (std::fabs(d) < (double)FLT_MIN && std::fabs((double)round_f32(d * 0x1p64, rc)) < (double)FLT_MIN * 0x1p64)
      x |= FSW_UE;
  }
  if (exc) *exc |= x;
  uint32_t out;
  memcpy(&out, &f, 4);
  return out;
}

double f64_load(uint64_t bits, uint16_t* exc) {
  if (is_nan_bits(bits)) {
    if (!(bits & kQuietBit)) {
      if (exc) *exc |= FSW_IE;
      bits |= kQuietBit;
    }
  } else if (!(bits & kExpMask) && (bits & kFracMask)) {
    if (exc) *exc |= FSW_DE;
  }
  return bits_to_double(bits);
}

double round_rc(double x, int rc) {
  if (!(std::fabs(x) < 4503599627370496.0)) return x;  // >= 2^52: integral; inf; NaN
  double r;
  switch (rc) {
    case RC_DOWN: r = std::floor(x); break;
    case RC_UP: r = std::ceil(x); break;
    case RC_ZERO: r = std::trunc(x); break;
    default: {
      r = std::floor(x);
      const double d = x - r;  // exact: the fraction bits of x
      if (d > 0.5 || (d == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
      break;
    }
  }
  return std::copysign(r, x);  // -0.3 -> -0, like hardware
}

namespace x87 {

double nan_result(Cpu& c, double a, double b) {
  const uint64_t ba = double_to_bits(a), bb = double_to_bits(b);
  const bool na = is_nan_bits(ba), nb = is_nan_bits(bb);
  const bool sa = na && !(ba & kQuietBit), sb = nb && !(bb & kQuietBit);
  if (sa || sb) raise(c, FSW_IE);
  if (na && nb) {
    if (sa != sb) return quiet(sa ? b : a);  // a QNaN wins over an SNaN
    const uint64_t ma = ba & kFracMask, mb = bb & kFracMask;
    if (ma != mb) return quiet(ma > mb ? a : b);
    return quiet((ba >> 63) ? b : a);  // equal significands: the positive one
  }
  return quiet(na ? a : b);
}

int fpe_code(const Cpu& c) {
  const unsigned err = c.fpu.fsw & ~c.fpu.fcw & 0x3f;
  if (err & FSW_IE) return FPE_FLTINV_;
  if (err & FSW_ZE) return FPE_FLTDIV_;
  if (err & FSW_OE) return FPE_FLTOVF_;
  if (err & (FSW_UE | FSW_DE)) return FPE_FLTUND_;
  if (err & FSW_PE) return FPE_FLTRES_;
  return 0;
}

void pending_fault(const Cpu& c) { throw FpFault{fpe_code(c)}; }

}  // namespace x87
}  // namespace gb

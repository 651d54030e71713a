// vm/cpu/f80.h — the x87 FPU model: 80-bit extended <-> double conversion, and the
// register-stack helpers shared by the x87 handlers (ops_x87_*.cpp).
//
// Index
//   1. F80 and the status-word bits
//   2. Format conversions (pure functions; no Cpu): 80-bit, 32-bit float, rounding by RC
//   3. x87 state API for the rest of the engine (status/tag words, FXSAVE images)
//   4. Register-stack helpers for the handlers (namespace gb::x87)
//
// The model (read this before trusting a last bit)
//   * Values live in double precision (Cpu::fpu.st[8] are doubles; DESIGN.md). Real
//     hardware computes with a 64-bit significand and a 15-bit exponent. Consequences:
//       - fadd/fsub/fmul/fdiv/fsqrt/fscale/fprem results are the correctly rounded
//         *double* results (round to nearest even); hardware rounds to 64 bits first, so
//         a long double result differs in its low 11 bits, and a value stored with fstp
//         m64 can differ in the last bit (double rounding). Results exactly
//         representable in double (integers below 2^53, dyadic fractions) are identical.
//         Chains with cancellation amplify this: gcc -O2 code for a*b + a/b - b with
//         a = 1, b = 7 returns 0.14285714285714324 here, 0.14285714285714286 natively
//         (measured by running gcc's own output for such functions in the VM).
//       - the exponent range is the double one: results beyond ~1.8e308 become inf (OE
//         is raised), below ~4.9e-324 become 0; 80-bit values outside the double range
//         load as inf / 0 (fld m80).
//       - fld m80 rounds the 64-bit significand to 53 bits (nearest even); fild m64 and
//         fbld round likewise above 2^53. Loads of m32/m64 and stores to m64/m80 are exact.
//       - Transcendentals (fsin fcos fsincos fptan fpatan f2xm1 fyl2x fyl2xp1) use the
//         host libm in double (glibc natively, musl under Emscripten): within an ulp or
//         so of the true value, not bit-identical to hardware (nor between the builds in
//         rare cases). fsin/fcos/fptan reduce exactly (hardware uses a 66-bit pi).
//       - fprem/fprem1/fxtract/fscale/frndint/fist/fbstp/compares are exact, as on
//         hardware; fprem's partial reduction uses hardware's N = 32 + (D mod 32)
//         (measured on an Intel Xeon), so glibc's fmodl loop runs the same iterations.
//   * Precision control (FCW bits 8-9) is stored and returned, and otherwise ignored:
//     everything is computed in double.
//   * Rounding control (FCW bits 10-11) is implemented in software (same results
//     natively and in wasm) for fist/fistp, frndint, fbstp and fst/fstp m32. Arithmetic
//     always rounds to nearest even.
//   * NaNs follow the x87 rules in software (never the host's NaN propagation, which
//     differs between x86 SSE and wasm): an SNaN operand raises IE and is quieted; of two
//     NaNs the QNaN wins over an SNaN, else the larger significand, equal significands
//     give the positive one (measured); invalid operations give the QNaN indefinite
//     (0xFFF8000000000000 as a double, FFFF C000000000000000 as 80-bit).
//   * Exception flags: IE (invalid, incl. stack faults with SF), ZE and DE (fld of an
//     m32/m64 denormal) are raised as on hardware; OE when a finite operation overflows
//     the double range; PE/UE/C1 ("rounded up") only where the rounding is done in
//     software (fist, frndint, fbstp, fst m32; fld m80 is a move on hardware and raises
//     nothing here either, even when it rounds). Masked responses are always
//     applied. If the guest unmasks an exception (FCW) and it occurs, ES and B are set
//     and the next waiting x87 instruction (or fwait) raises SIGFPE (FpFault), like #MF;
//     the faulting instruction itself still completes with the masked response.
//   * Tags: Cpu::fpu.ftw keeps 11 (empty) or 00 (in use) per physical register, which
//     is all modern hardware keeps internally; the full tag word (valid / zero /
//     special) is computed from the values when it is stored (fnstenv, fnsave).
//   * Unsupported 80-bit encodings (unnormals, pseudo-NaN, pseudo-infinity) load as the
//     QNaN indefinite (hardware raises IE when they are used); pseudo-denormals and
//     denormals are far below the double range and load as +-0.
//   * Cpu::fpu.fsw bits 11-13 always mirror Cpu::fpu.top. FOP is stored as 0 (what
//     Pentium 4 and later CPUs report without FOP compatibility mode); FIP and FDP are
//     the address of the last non-control x87 instruction and of its memory operand.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "vm/cpu/cpu.h"
#include "vm/cpu/exec.h"

namespace gb {

// ---- 1. The 80-bit format and status bits -------------------------------------------------

struct F80 {
  uint64_t mant;  // explicit integer bit 63
  uint16_t se;    // sign (bit 15) and biased exponent (bias 16383)
};

enum : uint16_t {
  FSW_IE = 0x0001, FSW_DE = 0x0002, FSW_ZE = 0x0004, FSW_OE = 0x0008, FSW_UE = 0x0010,
  FSW_PE = 0x0020, FSW_SF = 0x0040, FSW_ES = 0x0080, FSW_C0 = 0x0100, FSW_C1 = 0x0200,
  FSW_C2 = 0x0400, FSW_TOP = 0x3800, FSW_C3 = 0x4000, FSW_B = 0x8000,
  FSW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3,
  FSW_EXC = 0x003f,
};

// Rounding control values (FCW bits 10-11).
enum : int { RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3 };

constexpr uint64_t kIndefiniteBits = 0xfff8000000000000ull;  // QNaN indefinite (double)
inline double bits_to_double(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
inline uint64_t double_to_bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
inline double indefinite() { return bits_to_double(kIndefiniteBits); }
inline bool is_nan_bits(uint64_t b) { return (b & 0x7fffffffffffffffull) > 0x7ff0000000000000ull; }
inline bool is_snan(double d) {
  const uint64_t b = double_to_bits(d);
  return is_nan_bits(b) && !(b & 0x0008000000000000ull);
}
inline double quiet(double d) { return bits_to_double(double_to_bits(d) | 0x0008000000000000ull); }

// ---- 2. Conversions -----------------------------------------------------------------------
// Each takes `exc` (may be null) and ORs FSW exception bits into it, plus FSW_C1 when the
// result was rounded up in magnitude (what hardware reports in C1).

// 80-bit -> double, round to nearest even. SNaNs stay signalling (payload truncated; an
// SNaN whose payload would vanish keeps its lowest bit set); QNaNs keep their top 51
// payload bits; unsupported encodings give the indefinite (and IE in exc).
double f80_to_double(F80 v, uint16_t* exc = nullptr);
// double -> 80-bit: always exact (doubles are a subset; double denormals become normal).
F80 double_to_f80(double d);
// float bits -> double (exact). SNaN: IE and quieted (as fld m32); denormal: DE.
double f32_to_double(uint32_t bits, uint16_t* exc = nullptr);
// double -> float bits by rounding control `rc` (software: identical natively and in
// wasm). SNaN: IE and quieted; NaN payloads truncated. PE/OE/UE and C1 as hardware.
uint32_t double_to_f32(double d, int rc, uint16_t* exc = nullptr);
// double bits as loaded by fld m64: SNaN -> IE + quiet, denormal -> DE.
double f64_load(uint64_t bits, uint16_t* exc = nullptr);
// Round to an integral value by rounding control (frndint, fist). Exact; NaN/inf pass.
double round_rc(double x, int rc);

// Raw memory image of a 10-byte value.
inline void f80_to_bytes(F80 v, uint8_t out[10]) { memcpy(out, &v.mant, 8); memcpy(out + 8, &v.se, 2); }
inline F80 f80_from_bytes(const uint8_t in[10]) { F80 v; memcpy(&v.mant, in, 8); memcpy(&v.se, in + 8, 2); return v; }

// ---- 3. State API (status and tag words, FXSAVE images) -----------------------------------

namespace x87 {

// The architectural status word (TOP in bits 11-13).
inline uint16_t status_word(const Cpu& c) { return (uint16_t)((c.fpu.fsw & ~FSW_TOP) | (c.fpu.top << 11)); }
// The full 16-bit tag word (00 valid, 01 zero, 10 special, 11 empty) by physical register.
uint16_t full_tag_word(const Cpu& c);
// The abridged (FXSAVE) tag byte: bit i set when physical register i is in use.
uint8_t abridged_tag(const Cpu& c);
// FXSAVE image: writes bytes 0-415 of the 512-byte area (416-511 are left alone, as
// hardware does). `fmt64`: the REX.W layout (64-bit FIP/FDP) instead of the default
// one (32-bit offsets plus zero selectors).
void fxsave_image(const Cpu& c, uint8_t* out, bool fmt64);
// FXRSTOR from an image (bytes 0-415 are read). Returns false (and changes nothing) when MXCSR has bits
// outside MXCSR_MASK (0xFFFF): the caller raises #GP.
bool fxrstor_image(Cpu& c, const uint8_t* in, bool fmt64);
// fninit: the x87 part of the reset state.
void reset(Cpu& c);

}  // namespace x87

// ---- 4. Register-stack helpers (used by ops_x87_*.cpp) ------------------------------------

namespace x87 {

// Linux si_code values for SIGFPE.
enum : int { FPE_FLTDIV_ = 3, FPE_FLTOVF_ = 4, FPE_FLTUND_ = 5, FPE_FLTRES_ = 6, FPE_FLTINV_ = 7 };
// si_code for a pending unmasked x87 exception (what Linux computes from FSW and FCW).
int fpe_code(const Cpu& c);

inline int rc(const Cpu& c) { return (c.fpu.fcw >> 10) & 3; }
inline int phys(const Cpu& c, int i) { return (c.fpu.top + i) & 7; }
inline bool is_empty_phys(const Cpu& c, int p) { return ((c.fpu.ftw >> (2 * p)) & 3) == 3; }
inline bool is_empty(const Cpu& c, int i) { return is_empty_phys(c, phys(c, i)); }
inline double& st(Cpu& c, int i) { return c.fpu.st[phys(c, i)]; }
inline void set_top(Cpu& c, int t) {
  c.fpu.top = (uint8_t)(t & 7);
  c.fpu.fsw = (uint16_t)((c.fpu.fsw & ~FSW_TOP) | (c.fpu.top << 11));
}
inline void tag_valid(Cpu& c, int i) { c.fpu.ftw &= (uint16_t)~(3u << (2 * phys(c, i))); }
inline void tag_empty(Cpu& c, int i) { c.fpu.ftw |= (uint16_t)(3u << (2 * phys(c, i))); }

// Raise exception flags; an unmasked one becomes pending (ES and B).
inline void raise(Cpu& c, uint16_t flags) {
  c.fpu.fsw |= flags;
  if (flags & ~c.fpu.fcw & FSW_EXC) c.fpu.fsw |= FSW_ES | FSW_B;
}
inline void set_c1(Cpu& c, bool v) { c.fpu.fsw = (uint16_t)((c.fpu.fsw & ~FSW_C1) | (v ? FSW_C1 : 0)); }

// Every waiting (non-control) instruction starts with wait(): a pending unmasked
// exception is delivered (#MF -> SIGFPE) before anything happens. Register forms then
// record FIP with enter(); memory forms call note() after their memory access (so a
// page fault leaves FIP/FDP untouched).
[[noreturn]] void pending_fault(const Cpu& c);
inline void wait(Cpu& c) {
  if (__builtin_expect(c.fpu.fsw & FSW_ES, 0)) pending_fault(c);
}
inline void enter(Cpu& c, const Insn& i) {
  wait(c);
  c.fpu.fip = c.rip - i.len;
}
inline void note(Cpu& c, const Insn& i, uint64_t a) {
  c.fpu.fip = c.rip - i.len;
  c.fpu.fdp = a;
}
// ES and B follow the exception flags and masks (after fldcw, fldenv, frstor, fxrstor).
inline void update_es(Cpu& c) {
  if (c.fpu.fsw & ~c.fpu.fcw & FSW_EXC) c.fpu.fsw |= FSW_ES | FSW_B;
  else c.fpu.fsw &= (uint16_t)~(FSW_ES | FSW_B);
}

// 10-byte memory operands. A store that crosses a page goes through write_bytes, which
// checks both pages before writing, so it never half-completes.
inline F80 rd_m80(Cpu& c, uint64_t a) {
  F80 v;
  v.mant = c.mem->read<uint64_t>(a);
  v.se = c.mem->read<uint16_t>(a + 8);
  return v;
}
inline void wr_m80(Cpu& c, uint64_t a, F80 v) {
  if ((a & 4095) <= 4096 - 10) {
    c.mem->write<uint64_t>(a, v.mant);
    c.mem->write<uint16_t>(a + 8, v.se);
  } else {
    uint8_t b[10];
    f80_to_bytes(v, b);
    c.mem->write_bytes(a, b, 10);
  }
}

// Stack fault: invalid + SF, C1 = 1 for overflow, 0 for underflow.
inline void stack_overflow(Cpu& c) { raise(c, FSW_IE | FSW_SF); c.fpu.fsw |= FSW_C1; }
inline void stack_underflow(Cpu& c) { raise(c, FSW_IE | FSW_SF); c.fpu.fsw &= ~FSW_C1; }

// Push: on overflow (st(7) in use) the masked response pushes the indefinite.
inline void fpush(Cpu& c, double v) {
  const int t = (c.fpu.top - 1) & 7;
  if (__builtin_expect(!is_empty_phys(c, t), 0)) { stack_overflow(c); v = indefinite(); }
  else c.fpu.fsw &= ~FSW_C1;
  set_top(c, t);
  c.fpu.st[t] = v;
  c.fpu.ftw &= (uint16_t)~(3u << (2 * t));
}
inline void fpop(Cpu& c) {
  c.fpu.ftw |= (uint16_t)(3u << (2 * c.fpu.top));
  set_top(c, c.fpu.top + 1);
}
// Read st(i); if it is empty, raise the stack underflow and return false (the caller
// applies the masked response: usually the indefinite as the result).
inline bool get(Cpu& c, int i, double& v) {
  if (__builtin_expect(is_empty(c, i), 0)) { stack_underflow(c); v = indefinite(); return false; }
  v = st(c, i);
  return true;
}
// Write st(i) and mark it in use.
inline void put(Cpu& c, int i, double v) { st(c, i) = v; tag_valid(c, i); }

// Result of an operation with at least one NaN operand (x87 propagation rules).
double nan_result(Cpu& c, double a, double b);
inline double nan_result1(Cpu& c, double a) {
  if (is_snan(a)) raise(c, FSW_IE);
  return quiet(a);
}

// Condition codes for compares: 0 greater, 1 less, 2 equal, 3 unordered.
inline int compare(double a, double b) {
  if (a > b) return 0;
  if (a < b) return 1;
  if (a == b) return 2;
  return 3;
}
inline void set_cc(Cpu& c, uint16_t cc) { c.fpu.fsw = (uint16_t)((c.fpu.fsw & ~FSW_CC) | cc); }

}  // namespace x87
}  // namespace gb

// vm/cpu/f80.h — the x87 FPU model: register-stack helpers and the state API shared by
// the x87 handlers (ops_x87_*.cpp); the arithmetic is vm/cpu/x87_softfloat.h.
//
// Index
//   1. Status-word bits
//   2. Raw 10-byte memory images
//   3. x87 state API for the rest of the engine (status/tag words, FXSAVE images)
//   4. Register-stack helpers for the handlers (namespace gb::x87)
//
// The model
//   * Registers are exact 80-bit values (Cpu::fpu.st[8] are F80). Every operation is
//     computed in software (x87_softfloat.cpp) as the hardware computes it: 64-bit
//     significand, 15-bit exponent, rounding control and precision control, denormals,
//     the NaN rules, the indefinite, IE DE ZE OE UE PE and C1; identical natively and in
//     wasm. Transcendentals (x87_transcendental.cpp) are computed with ~125-bit
//     intermediates and rounded once: the host x87 is not correctly rounded either, and
//     the tests accept one unit in the last place against it.
//   * fld m80 / fstp m80 are moves (no exceptions, unsupported encodings kept); an
//     unsupported encoding used as an operand raises IE and gives the indefinite.
//   * Exception flags are raised as on hardware. If the guest unmasks an exception (FCW)
//     and it occurs, ES and B are set and the next waiting x87 instruction (or fwait)
//     raises SIGFPE (FpFault), like #MF; the faulting instruction itself still completes
//     with the masked response (hardware leaves the operands or a rebiased result).
//   * Tags: Cpu::fpu.ftw keeps 11 (empty) or 00 (in use) per physical register, which
//     is all modern hardware keeps internally; the full tag word (valid / zero /
//     special) is computed from the values when it is stored (fnstenv, fnsave).
//   * Cpu::fpu.fsw bits 11-13 always mirror Cpu::fpu.top. FOP is stored as 0 (what
//     Pentium 4 and later CPUs report without FOP compatibility mode); FIP and FDP are
//     the address of the last non-control x87 instruction and of its memory operand.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "vm/cpu/cpu.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/x87_softfloat.h"

namespace gb {

// ---- 1. Status bits -------------------------------------------------


enum : uint16_t {
  FSW_IE = 0x0001, FSW_DE = 0x0002, FSW_ZE = 0x0004, FSW_OE = 0x0008, FSW_UE = 0x0010,
  FSW_PE = 0x0020, FSW_SF = 0x0040, FSW_ES = 0x0080, FSW_C0 = 0x0100, FSW_C1 = 0x0200,
  FSW_C2 = 0x0400, FSW_TOP = 0x3800, FSW_C3 = 0x4000, FSW_B = 0x8000,
  FSW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3,
  FSW_EXC = 0x003f,
};

// Rounding control values (FCW bits 10-11).
enum : int { RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3 };

// ---- 2. Raw memory images -----------------------------------------------------------------
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
inline F80& st(Cpu& c, int i) { return c.fpu.st[phys(c, i)]; }
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
inline void fpush(Cpu& c, F80 v) {
  const int t = (c.fpu.top - 1) & 7;
  if (__builtin_expect(!is_empty_phys(c, t), 0)) { stack_overflow(c); v = sf::kIndefinite; }
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
inline bool get(Cpu& c, int i, F80& v) {
  if (__builtin_expect(is_empty(c, i), 0)) { stack_underflow(c); v = sf::kIndefinite; return false; }
  v = st(c, i);
  return true;
}
// Write st(i) and mark it in use.
inline void put(Cpu& c, int i, F80 v) { st(c, i) = v; tag_valid(c, i); }

// Soft-float environment from FCW (use_pc: the operation obeys precision control), and
// committing its flags: C1 from the rounding, exceptions raised (maybe pending).
inline sf::Env env(const Cpu& c, bool use_pc = false) { return sf::env_from_fcw(c.fpu.fcw, use_pc); }
inline void commit(Cpu& c, sf::Env& e) {
  sf::finish(e);
  set_c1(c, e.exc & sf::X_C1);
  if (e.exc & FSW_EXC) raise(c, e.exc & FSW_EXC);
}

inline void set_cc(Cpu& c, uint16_t cc) { c.fpu.fsw = (uint16_t)((c.fpu.fsw & ~FSW_CC) | cc); }

}  // namespace x87
}  // namespace gb

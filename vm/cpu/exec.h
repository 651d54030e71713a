// vm/cpu/exec.h — helpers shared by all instruction handlers (ops_*.cpp).
//
//   ea(c, i)                 effective address of the ModRM memory operand
//   rd_mem / wr_mem          sized memory access (1, 2, 4, 8 bytes)
//   rd_E / wr_E / rd_G / wr_G operand access by the decoded ModRM
//   push / pop               stack at the current operand size
//   Xmm helpers              rd_W128 / xmm_V / xmm_U
//
// Convention: when an instruction writes memory and registers, write memory first:
// the memory access is the only thing that can fault (GuestFault), and nothing may be
// committed before it.
#pragma once
#include "vm/cpu/cpu.h"
#include "vm/cpu/optable.h"
#include "vm/mem/address_space.h"

namespace gb {

GB_INLINE uint64_t ea(const Cpu& c, const Insn& i) {
  uint64_t a = (uint64_t)(int64_t)i.disp;
  if (i.base == RIPREL) a += c.rip;  // c.rip already points at the next instruction
  else if (i.base != NOREG) a += c.r[i.base];
  if (i.index != NOREG) a += c.r[i.index] << i.scale;
  if (i.asz == 4) a = (uint32_t)a;
  if (i.seg) a += (i.seg == SEG_FS) ? c.fs_base : c.gs_base;
  return a;
}

GB_INLINE uint64_t rd_mem(Cpu& c, uint64_t a, int size) {
  switch (size) {
    case 1: return c.mem->read<uint8_t>(a);
    case 2: return c.mem->read<uint16_t>(a);
    case 4: return c.mem->read<uint32_t>(a);
    default: return c.mem->read<uint64_t>(a);
  }
}

GB_INLINE void wr_mem(Cpu& c, uint64_t a, int size, uint64_t v) {
  switch (size) {
    case 1: c.mem->write<uint8_t>(a, (uint8_t)v); break;
    case 2: c.mem->write<uint16_t>(a, (uint16_t)v); break;
    case 4: c.mem->write<uint32_t>(a, (uint32_t)v); break;
    default: c.mem->write<uint64_t>(a, v); break;
  }
}

GB_INLINE uint64_t rd_E(Cpu& c, const Insn& i, int size) {
  if (i.mod == 3) return c.getr(i.rm, size, i.rex);
  return rd_mem(c, ea(c, i), size);
}
GB_INLINE void wr_E(Cpu& c, const Insn& i, int size, uint64_t v) {
  if (i.mod == 3) c.setr(i.rm, size, i.rex, v);
  else wr_mem(c, ea(c, i), size, v);
}
GB_INLINE uint64_t rd_G(const Cpu& c, const Insn& i, int size) { return c.getr(i.reg, size, i.rex); }
GB_INLINE void wr_G(Cpu& c, const Insn& i, int size, uint64_t v) { c.setr(i.reg, size, i.rex, v); }

// Stack: operand size 8 (or 2 with a 66 prefix).
GB_INLINE void push(Cpu& c, uint64_t v, int size = 8) {
  const uint64_t sp = c.r[RSP] - size;
  wr_mem(c, sp, size, v);
  c.r[RSP] = sp;
}
GB_INLINE uint64_t pop(Cpu& c, int size = 8) {
  const uint64_t v = rd_mem(c, c.r[RSP], size);
  c.r[RSP] += size;
  return v;
}

// Relative branch target (imm holds the sign-extended displacement).
GB_INLINE uint64_t rel_target(const Cpu& c, const Insn& i) {
  uint64_t t = c.rip + i.imm;
  if (i.osz == 2) t &= 0xffff;
  return t;
}

// ---- SSE operand helpers ----
inline Xmm& xmm_V(Cpu& c, const Insn& i) { return c.xmm[i.reg]; }
inline Xmm& xmm_U(Cpu& c, const Insn& i) { return c.xmm[i.rm]; }
// W operand, 128 bits. `aligned`: movaps-style #GP on misalignment (SIGSEGV).
// The register form inline, the memory form in sse_helpers.cpp.
Xmm rd_W128_mem(Cpu& c, const Insn& i, bool aligned);
void wr_W128_mem(Cpu& c, const Insn& i, const Xmm& v, bool aligned);
GB_INLINE Xmm rd_W128(Cpu& c, const Insn& i, bool aligned) {
  if (i.mod == 3) return c.xmm[i.rm];
  return rd_W128_mem(c, i, aligned);
}
GB_INLINE void wr_W128(Cpu& c, const Insn& i, const Xmm& v, bool aligned) {
  if (i.mod == 3) c.xmm[i.rm] = v;
  else wr_W128_mem(c, i, v, aligned);
}

// A general-protection fault in user mode (misaligned SSE access, privileged
// instruction): Linux delivers SIGSEGV with si_addr 0.
struct GpFault {};
// Divide error: SIGFPE (FPE_INTDIV).
struct DivFault {};
// Breakpoint (int3): SIGTRAP.
struct TrapFault {};
// SIMD floating-point exception unmasked in mxcsr, or x87 unmasked: SIGFPE.
struct FpFault { int code; };

}  // namespace gb

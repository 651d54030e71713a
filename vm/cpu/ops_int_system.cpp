// vm/cpu/ops_int_system.cpp — syscall, cpuid, rdtsc, fences, nops and the flag
// instructions (clc stc cmc cld std).
//
// CPUID describes a baseline x86-64 CPU (FPU TSC CX8 CMOV CLFSH MMX FXSR SSE SSE2,
// SYSCALL NX LM LAHF) and nothing newer: glibc then picks its SSE2 code paths, and the
// ISA-level check of ld.so ("x86-64-baseline") passes. OSXSAVE/AVX are never reported,
// so xgetbv is never executed by well-behaved code (and is #UD here). Cache geometry
// (leaf 4) is fixed so glibc's memcpy thresholds are deterministic: L1d 32 KiB, L2 256 KiB,
// L3 8 MiB, 64-byte lines.
#include <cstring>

#include "vm/cpu/exec.h"

namespace gb {

void syscall(Cpu& c, const Insn& i) {
  c.r[RCX] = c.rip;
  c.r[R11] = c.get_rflags();
  c.host->syscall(c);
}

static void brand(uint32_t leaf, uint32_t out[4]) {
  static const char kBrand[49] = "Glassbox virtual x86-64 CPU (baseline + SSE2)   ";
  memcpy(out, kBrand + (leaf - 0x80000002u) * 16, 16);
}

void cpuid(Cpu& c, const Insn& i) {
  const uint32_t leaf = (uint32_t)c.r[RAX], sub = (uint32_t)c.r[RCX];
  uint32_t r[4] = {0, 0, 0, 0};  // eax ebx ecx edx
  switch (leaf) {
    case 0:
      r[0] = 7;
      memcpy(&r[1], "Genu", 4);
      memcpy(&r[3], "ineI", 4);
      memcpy(&r[2], "ntel", 4);
      break;
    case 1:
      r[0] = 0x000306a9;  // family 6 model 0x3a stepping 9
      r[1] = 0x00010800;  // clflush 64 bytes, 1 logical processor
      r[2] = 0;
      r[3] = (1u << 0) | (1u << 4) | (1u << 8) | (1u << 15) | (1u << 19) | (1u << 23) | (1u << 24) |
             (1u << 25) | (1u << 26);
      break;
    case 2:
      r[0] = 0x00ff0001;  // descriptor 0xff: use leaf 4
      break;
    case 4: {
      // sub-leaf: 0 L1d, 1 L1i, 2 L2, 3 L3, then none.
      static const uint32_t t[4][3] = {
          {1 | (1 << 5) | (1 << 8), (7u << 22) | 63, 63},
          {2 | (1 << 5) | (1 << 8), (7u << 22) | 63, 63},
          {3 | (2 << 5) | (1 << 8), (3u << 22) | 63, 1023},
          {3 | (3 << 5) | (1 << 8), (15u << 22) | 63, 8191},
      };
      if (sub < 4) { r[0] = t[sub][0]; r[1] = t[sub][1]; r[2] = t[sub][2]; }
      break;
    }
    case 0x80000000: r[0] = 0x80000008; break;
    case 0x80000001: r[2] = 1; r[3] = (1u << 11) | (1u << 20) | (1u << 29); break;
    case 0x80000002: case 0x80000003: case 0x80000004: brand(leaf, r); break;
    case 0x80000006: r[2] = (256u << 16) | (4u << 12) | 64; break;
    case 0x80000008: r[0] = 0x3030; break;
    default: break;
  }
  c.r[RAX] = r[0];
  c.r[RBX] = r[1];
  c.r[RCX] = r[2];
  c.r[RDX] = r[3];
}

void rdtsc(Cpu& c, const Insn& i) {
  const uint64_t t = c.host->rdtsc();
  c.r[RAX] = (uint32_t)t;
  c.r[RDX] = t >> 32;
}

void fence(Cpu& c, const Insn& i) {}
void nop_Ev(Cpu& c, const Insn& i) {}
void clc(Cpu& c, const Insn& i) { c.set_flags(FL_CF, 0); }
void stc(Cpu& c, const Insn& i) { c.set_flags(FL_CF, FL_CF); }
void cmc(Cpu& c, const Insn& i) { c.set_flags(FL_CF, c.cf() ? 0 : FL_CF); }
void cld(Cpu& c, const Insn& i) { c.rflags &= ~FL_DF; }
void std_(Cpu& c, const Insn& i) { c.rflags |= FL_DF; }

}  // namespace gb

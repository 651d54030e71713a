// tests/jit/flags.c — the JIT's flag families with their flags read right after
// (tests/jit/run.sh runs it with --jit always, on and off against the host):
//   shl/shr/sar by an immediate (count 1, larger, masked, 0) and by cl (0, masked),
//   imul (two and three operands, 32 and 64 bit), inc/dec (CF kept through them), each
//   followed by a reader: jcc (fused in compiled code), setcc, adc, pushf (materialised).
// Every case runs in a loop over 3000 operand pairs (hot enough for --jit on) and prints
// one hash. By default only the flags x86 defines are hashed (the host's CPU may differ
// on the others); with "full" as argv[1] every arithmetic flag is, for the JIT-on versus
// JIT-off comparison (the engine must be bit-exact with its interpreter there too).
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, ARITH = 0x8d5 };
static int full;
static uint64_t vals[3000], vals2[3000];

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }
static uint64_t defined(uint64_t fl, uint64_t def) { return fl & (full ? ARITH : def); }

// add sets known flags first (count 0 must pass them through).
#define SHIFT_IMM(name, insn, def)                                                              \
  static uint64_t name(void) {                                                                  \
    uint64_t h = 0;                                                                             \
    for (int i = 0; i < 3000; i++) {                                                            \
      uint64_t x = vals[i], y = vals2[i], fl;                                                   \
      __asm__ volatile("add %2, %2\n\t" insn "\n\tpushfq\n\tpop %1" : "+r"(x), "=r"(fl), "+r"(y) : : "cc"); \
      h = mix(mix(h, x), defined(fl, def));                                                     \
    }                                                                                           \
    return h;                                                                                   \
  }
SHIFT_IMM(shl1_64, "shl $1, %0", CF | PF | ZF | SF | OF)
SHIFT_IMM(shl5_64, "shl $5, %0", CF | PF | ZF | SF)
SHIFT_IMM(shl65_64, "shl $65, %0", CF | PF | ZF | SF | OF)  // (masked to 1)
SHIFT_IMM(shr1_32, "shr $1, %k0", CF | PF | ZF | SF | OF)
SHIFT_IMM(shr31_32, "shr $31, %k0", CF | PF | ZF | SF)
SHIFT_IMM(sar7_64, "sar $7, %0", CF | PF | ZF | SF)
SHIFT_IMM(sar1_32, "sar $1, %k0", CF | PF | ZF | SF | OF)
SHIFT_IMM(sal3_32, "sal $3, %k0", CF | PF | ZF | SF)
SHIFT_IMM(rol9_64, "rol $9, %0", CF)
SHIFT_IMM(shl32_32, "shl $32, %k0", ARITH)  // (masked to 0: add's flags stay, the upper half is zeroed)

// By cl: counts 0..80 (0 and 64: no change; 33 on 32 bits: 1), the flags by setc/adc.
#define SHIFT_CL(name, insn, def)                                                               \
  static uint64_t name(void) {                                                                  \
    uint64_t h = 0;                                                                             \
    for (int i = 0; i < 3000; i++) {                                                            \
      uint64_t x = vals[i], y = vals2[i], c = (uint64_t)(i % 81), fl, a = 0;                   \
      __asm__ volatile("add %2, %2\n\t" insn "\n\tsetc %b4\n\tadc $0, %4\n\tpushfq\n\tpop %1"   \
                       : "+r"(x), "=r"(fl), "+r"(y), "+c"(c), "+r"(a) : : "cc");                \
      h = mix(mix(mix(h, x), a), defined(fl, (c & (strstr(#insn, "%k0") ? 31 : 63)) == 1 ? (def) | OF : (def))); \
    }                                                                                           \
    return h;                                                                                   \
  }
SHIFT_CL(shl_cl_64, "shl %%cl, %0", CF | PF | ZF | SF)
SHIFT_CL(shr_cl_32, "shr %%cl, %k0", CF | PF | ZF | SF)
SHIFT_CL(sar_cl_64, "sar %%cl, %0", CF | PF | ZF | SF)
SHIFT_CL(sar_cl_32, "sar %%cl, %k0", CF | PF | ZF | SF)

// A conditional jump right after the shift (fused in compiled code): which way it went.
#define SHIFT_JCC(name, insn, jcc)                                                              \
  static uint64_t name(void) {                                                                  \
    uint64_t h = 0;                                                                             \
    for (int i = 0; i < 3000; i++) {                                                            \
      uint64_t x = vals[i], t = 0;                                                              \
      __asm__ volatile(insn "\n\t" jcc " 1f\n\tmov $1, %1\n1:" : "+r"(x), "+r"(t) : : "cc");    \
      h = mix(mix(h, x), t);                                                                    \
    }                                                                                           \
    return h;                                                                                   \
  }
SHIFT_JCC(shl_jc, "shl $3, %0", "jc")
SHIFT_JCC(shr_jz, "shr $60, %0", "jz")
SHIFT_JCC(sar_js, "sar $1, %k0", "js")
SHIFT_JCC(shl_jo, "shl $1, %0", "jo")
SHIFT_JCC(shr_jp, "shr $2, %k0", "jp")
SHIFT_JCC(sar_jle, "sar $1, %0", "jle")
SHIFT_JCC(shl_jbe, "shl $1, %k0", "jbe")

// imul: CF = OF defined, the rest by "full"; jo right after; three operands.
#define IMUL(name, insn)                                                                        \
  static uint64_t name(void) {                                                                  \
    uint64_t h = 0;                                                                             \
    for (int i = 0; i < 3000; i++) {                                                            \
      uint64_t x = vals[i], y = vals2[i], fl, t = 0;                                            \
      __asm__ volatile(insn "\n\tpushfq\n\tpop %1\n\t" insn "\n\tjo 1f\n\tmov $1, %3\n1:"        \
                       : "+r"(x), "=r"(fl), "+r"(y), "+r"(t) : : "cc");                          \
      h = mix(mix(mix(h, x), t), defined(fl, CF | OF));                                         \
    }                                                                                           \
    return h;                                                                                   \
  }
IMUL(imul_64, "imul %2, %0")
IMUL(imul_32, "imul %k2, %k0")
IMUL(imul3_64, "imul $-3, %2, %0")
IMUL(imul3_64m1, "imul $-1, %2, %0")
IMUL(imul3_32, "imul $100000, %k2, %k0")

// inc/dec keep CF: add (CF), then inc and dec, then jb/setc/adc/pushf read it.
static uint64_t incdec_chain(void) {
  uint64_t h = 0;
  for (int i = 0; i < 3000; i++) {
    uint64_t x = vals[i], y = vals2[i], c = vals[(i + 1) % 3000], d = vals2[(i + 7) % 3000], fl, t = 0, a = 0;
    __asm__ volatile(
        "add %2, %0\n\tinc %3\n\tdec %k4\n\tjb 1f\n\tmov $1, %5\n1:\n\t"
        "add %2, %0\n\tdec %4\n\tsetbe %b6\n\tinc %k3\n\tadc $0, %6\n\tpushfq\n\tpop %1"
        : "+r"(x), "=r"(fl), "+r"(y), "+r"(c), "+r"(d), "+r"(t), "+r"(a) : : "cc");
    h = mix(mix(mix(mix(mix(h, x), c), d), t), mix(a, defined(fl, ARITH)));
  }
  return h;
}
// inc/dec with the previous flags unknown to the compiler (a block start), read by jo/jle.
static uint64_t incdec_jcc(void) {
  uint64_t h = 0;
  for (int i = 0; i < 3000; i++) {
    uint64_t x = vals[i] | ((uint64_t)(i & 1) << 63), y = (uint32_t)vals2[i], t = 0, u = 0;
    if (i % 3 == 0) x = 0x7fffffffffffffffull;
    if (i % 5 == 0) y = 0x80000000u;
    __asm__ volatile("stc\n\tjmp 2f\n2:\n\tinc %0\n\tjo 1f\n\tmov $1, %2\n1:\n\tdec %k1\n\tjle 3f\n\tmov $1, %3\n3:"
                     : "+r"(x), "+r"(y), "+r"(t), "+r"(u) : : "cc");
    h = mix(mix(mix(mix(h, x), y), t), u);
  }
  return h;
}

int main(int argc, char** argv) {
  full = argc > 1 && !strcmp(argv[1], "full");
  static const uint64_t special[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull, 3, 5, 0x40};
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 3000; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    vals[i] = i < 16 ? special[i] : (i % 4 == 0 ? s >> (s & 63) : s);
    vals2[i] = i < 256 ? special[i % 16] + (uint64_t)(i / 16) - 1 : (i % 3 == 0 ? (s >> 40) - 0x800000 : s * 3);
  }
  struct { const char* name; uint64_t (*fn)(void); } cases[] = {
      {"shl $1 (64)", shl1_64}, {"shl $5 (64)", shl5_64}, {"shl $65 (64, masked to 1)", shl65_64},
      {"shr $1 (32)", shr1_32}, {"shr $31 (32)", shr31_32}, {"sar $7 (64)", sar7_64}, {"sar $1 (32)", sar1_32},
      {"sal $3 (32)", sal3_32}, {"rol $9 (64)", rol9_64},
      {"shl $32 (32, masked to 0)", shl32_32},
      {"shl cl (64)", shl_cl_64}, {"shr cl (32)", shr_cl_32}, {"sar cl (64)", sar_cl_64}, {"sar cl (32)", sar_cl_32},
      {"shl jc", shl_jc}, {"shr jz", shr_jz}, {"sar js", sar_js}, {"shl jo", shl_jo}, {"shr jp", shr_jp},
      {"sar jle", sar_jle}, {"shl jbe", shl_jbe},
      {"imul r64", imul_64}, {"imul r32", imul_32}, {"imul3 -3 (64)", imul3_64}, {"imul3 -1 (64)", imul3_64m1},
      {"imul3 100000 (32)", imul3_32},
      {"inc/dec CF chain", incdec_chain}, {"inc/dec jo jle", incdec_jcc},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
    printf("%-28s %016llx\n", cases[i].name, (unsigned long long)cases[i].fn());
  return 0;
}

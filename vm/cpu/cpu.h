// vm/cpu/cpu.h — the guest CPU state of one x86-64 thread, and the helpers every
// instruction handler uses to read and write registers, memory and flags.
//
// Index
//   1. Register numbering and the Cpu struct (GPRs, rip, lazy flags, x87, SSE)
//   2. Lazy flags: how arithmetic flags are recorded and materialised
//   3. Register accessors by operand size (with the AH..BH rule for byte registers)
//   4. The CpuHost interface: what the CPU needs from the OS personality
//
// Design notes
//   * Flags are lazy. An ALU instruction records (op, size, dst, src, res) in `cc`
//     and the flags are computed only when read (jcc, setcc, pushf, adc ...). Rare
//     instructions (shifts, mul, bt) materialise them eagerly with set_flags().
//     While cc.op == CC_NONE the arithmetic bits live in `rflags` itself.
//   * Guest memory faults are C++ exceptions (GuestFault) thrown by the memory
//     accessors before anything is committed, so an instruction either completes or
//     leaves the CPU exactly as it was; handlers must write memory before registers.
//   * This header knows nothing about Linux: syscall, cpuid's vendor string and the
//     time stamp counter go through CpuHost.
#pragma once
#include <cstdint>
#include <cstring>

#include "vm/base/counters.h"

// Hot helpers every handler uses are forced inline: clang's wasm inliner otherwise
// leaves them as calls (measured: alu, rd_mem, wr_mem, cond were calls in the node build).
#define GB_INLINE inline __attribute__((always_inline))

namespace gb {

class AddressSpace;
struct Insn;

enum Reg : uint8_t { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

// rflags bits (FL_*; the opcode table's form flags are optable.h's F_*).
enum Flag : uint64_t {
  FL_CF = 1u << 0, FL_PF = 1u << 2, FL_AF = 1u << 4, FL_ZF = 1u << 6, FL_SF = 1u << 7,
  FL_TF = 1u << 8, FL_IF = 1u << 9, FL_DF = 1u << 10, FL_OF = 1u << 11, FL_AC = 1u << 18, FL_ID = 1u << 21,
};
constexpr uint64_t FL_ARITH = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF;

// Which operation produced the current arithmetic flags.
enum CcOp : uint8_t {
  CC_NONE,   // flags are materialised in Cpu::rflags
  CC_ADD,    // res = dst + src
  CC_ADC,    // res = dst + src + cin
  CC_SUB,    // res = dst - src (also cmp, neg with dst = 0)
  CC_SBB,    // res = dst - src - cin
  CC_LOGIC,  // and/or/xor/test: CF = OF = AF = 0
  CC_INC,    // res = dst + 1, CF preserved in cin
  CC_DEC,    // res = dst - 1, CF preserved in cin
};

struct LazyFlags {
  uint64_t dst, src, res;
  uint8_t op;    // CcOp
  uint8_t size;  // operand size in bytes
  uint8_t cin;   // carry in (adc/sbb) or preserved CF (inc/dec)
};

union Xmm {
  uint8_t b[16];
  uint16_t w[8];
  uint32_t d[4];
  uint64_t q[2];
  int8_t sb[16];
  int16_t sw[8];
  int32_t sd[4];
  int64_t sq[2];
  float f[4];
  double g[2];
};

// An 80-bit extended precision value (the x87 register format, in memory order).
struct F80 {
  uint64_t mant;  // explicit integer bit 63
  uint16_t se;    // sign (bit 15) and biased exponent (bias 16383)
};

// x87 state: exact 80-bit registers (vm/cpu/x87_softfloat.h computes on them).
struct X87 {
  F80 st[8] = {};  // physical registers, st(i) = st[(top + i) & 7]
  uint16_t fcw = 0x037f;
  uint16_t fsw = 0;
  uint16_t ftw = 0xffff;  // 2 bits per register, 3 = empty
  uint8_t top = 0;
  uint16_t fop = 0;
  uint64_t fip = 0, fdp = 0;
};

// The JIT tier's figures for one task, counted by run() and compiled code (Abi::off_chained);
// the scheduler adds each slice's share to the machine's counters (add_since).
struct JitCounts {
  uint64_t icount = 0;    // of the instructions retired, those in compiled regions
  uint64_t entries = 0;   // compiled regions called by the run loop
  uint64_t chained = 0;   // compiled regions entered by another's tail call
  uint64_t declined = 0;  // entries a region declined (a loop's held operand a denormal)
  void add_since(const JitCounts& before, Counters& c) const {
    c.jit_retired += icount - before.icount;
    c.jit_entries += entries - before.entries;
    c.jit_chained += chained - before.chained;
    c.jit_declined += declined - before.declined;
  }
};

class Cpu;

// What the CPU needs from outside: the OS personality implements it.
class CpuHost {
 public:
  virtual ~CpuHost() = default;
  virtual void syscall(Cpu& cpu) = 0;           // rax = number, args in rdi rsi rdx r10 r8 r9
  virtual uint64_t rdtsc() = 0;
  // An instruction the engine does not implement (or a #UD): deliver SIGILL.
  virtual void illegal_instruction(Cpu& cpu, uint64_t rip, const uint8_t* bytes, int n) = 0;
};

class Cpu {
 public:
  uint64_t r[16] = {};
  uint64_t rip = 0;
  uint64_t rflags = 0x202;  // IF and the always-one bit 1
  LazyFlags cc = {};
  uint64_t fs_base = 0, gs_base = 0;
  alignas(16) Xmm xmm[16] = {};
  uint32_t mxcsr = 0x1f80;
  X87 fpu;

  AddressSpace* mem = nullptr;
  CpuHost* host = nullptr;

  // Set by anything that must end the current block at once: a syscall that changed
  // the address space or the task, a write to a code page, a signal.
  bool stop = false;
  uint64_t icount = 0;  // guest instructions retired
  JitCounts jit;        // the JIT tier's figures for this task

  // ---- flags -----------------------------------------------------------------
  bool cf() const;
  bool pf() const;
  bool af() const;
  bool zf() const;
  bool sf() const;
  bool of() const;
  bool df() const { return rflags & FL_DF; }
  // The 16 x86 condition codes (o no b ae e ne be a s ns p np l ge le g): inline for the
  // common producers (cmp/sub, test/and/or/xor), flags.cpp's cond_slow otherwise.
  GB_INLINE bool cond(int cc4) const;
  bool cond_slow(int cc4) const;
  uint64_t get_rflags() const;
  void set_rflags(uint64_t v);  // writes the user-modifiable bits
  void materialize() { if (cc.op != CC_NONE) { rflags = get_rflags(); cc.op = CC_NONE; } }

  GB_INLINE void set_lazy(CcOp op, int size, uint64_t dst, uint64_t src, uint64_t res) {
    cc.op = op; cc.size = (uint8_t)size; cc.dst = dst; cc.src = src; cc.res = res;
  }
  // Eager flags: `mask` says which arithmetic bits the instruction defines; `val` their values.
  // When every arithmetic bit is defined anew (shifts, imul, bsf ...) the previous
  // operation's flags are not computed at all.
  GB_INLINE void set_flags(uint64_t mask, uint64_t val) {
    if ((mask & FL_ARITH) == FL_ARITH) cc.op = CC_NONE;
    else materialize();
    rflags = (rflags & ~mask) | (val & mask);
  }

  // ---- registers by size -------------------------------------------------------
  // Byte registers: without REX, 4..7 are AH CH DH BH; with any REX they are SPL..DIL.
  GB_INLINE uint8_t get8(int reg, bool rex) const {
    if (!rex && reg >= 4 && reg < 8) return (uint8_t)(r[reg - 4] >> 8);
    return (uint8_t)r[reg];
  }
  GB_INLINE void set8(int reg, bool rex, uint8_t v) {
    if (!rex && reg >= 4 && reg < 8) { r[reg - 4] = (r[reg - 4] & ~0xff00ull) | ((uint64_t)v << 8); return; }
    r[reg] = (r[reg] & ~0xffull) | v;
  }
  // Reads of size 2/4/8 zero-extended; size 1 uses the low byte (callers pass rex for AH..BH).
  GB_INLINE uint64_t getr(int reg, int size, bool rex) const {
    switch (size) {
      case 1: return get8(reg, rex);
      case 2: return (uint16_t)r[reg];
      case 4: return (uint32_t)r[reg];
      default: return r[reg];
    }
  }
  // Writes follow x86-64: 32-bit writes zero the upper half, 8/16-bit writes merge.
  GB_INLINE void setr(int reg, int size, bool rex, uint64_t v) {
    switch (size) {
      case 1: set8(reg, rex, (uint8_t)v); break;
      case 2: r[reg] = (r[reg] & ~0xffffull) | (uint16_t)v; break;
      case 4: r[reg] = (uint32_t)v; break;
      default: r[reg] = v; break;
    }
  }
};

// Size helpers shared by handlers.
inline uint64_t size_mask(int size) { return size == 8 ? ~0ull : ((1ull << (size * 8)) - 1); }
inline uint64_t sign_bit(int size) { return 1ull << (size * 8 - 1); }
inline int64_t sext(uint64_t v, int size) {
  switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
  }
}
inline bool parity8(uint64_t v) { return !__builtin_parity((unsigned)(v & 0xff)); }

GB_INLINE bool Cpu::cond(int c) const {
  if (cc.op == CC_SUB) {  // cmp, sub: compare the operands directly
    const uint64_t m = size_mask(cc.size);
    const uint64_t d = cc.dst & m, s = cc.src & m;
    const int64_t sd = sext(d, cc.size), ss = sext(s, cc.size);
    switch (c) {
      case 0x2: return d < s;
      case 0x3: return d >= s;
      case 0x4: return d == s;
      case 0x5: return d != s;
      case 0x6: return d <= s;
      case 0x7: return d > s;
      case 0xc: return sd < ss;
      case 0xd: return sd >= ss;
      case 0xe: return sd <= ss;
      case 0xf: return sd > ss;
      default: break;
    }
  } else if (cc.op == CC_LOGIC) {  // test, and, or, xor: CF = OF = 0
    const bool z = (cc.res & size_mask(cc.size)) == 0, s = (cc.res & sign_bit(cc.size)) != 0;
    switch (c) {
      case 0x4: case 0x6: return z;
      case 0x5: case 0x7: return !z;
      case 0x8: case 0xc: return s;
      case 0x9: case 0xd: return !s;
      case 0xe: return z || s;
      case 0xf: return !z && !s;
      default: break;
    }
  }
  return cond_slow(c);
}

}  // namespace gb

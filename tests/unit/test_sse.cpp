// tests/unit/test_sse.cpp — SSE/SSE2: every implemented form, run through the decoder
// and its handler (and through run() for a small program), compared with the host CPU.
//
// Index
//   1. Harness: an AddressSpace with a code page and a data page, an instruction encoder,
//      one-instruction execution in the engine (decode + handler)
//   2. Host oracle (native x86-64 builds only): the same instruction bytes executed on the
//      host CPU between a full load and a full store of xmm0-15, the general registers,
//      rflags and MXCSR; memory operands point at a buffer with the same contents
//   3. Random differential tests, one TEST_CASE per family (moves, float arithmetic,
//      compares, conversions, integer SIMD, shuffles/packs, misc): random registers,
//      operands biased toward NaN/inf/denormal/zero/boundaries, random MXCSR (rounding
//      mode, FTZ, DAZ, sticky flags); everything compared bit for bit, MXCSR included
//   4. Value tables that run in every build (native and wasm): the x86 rules written
//      out (default NaN, NaN propagation, min/max, integer indefinite, rounding modes,
//      FTZ/DAZ, flags), alignment faults, unmasked exceptions, and a run() program
//
// Seeds are fixed, so failures reproduce; GB_SSE_ITERS scales the iteration counts. The
// generators make at most one RNG call per full expression: g++ and clang evaluate
// operands and arguments in different orders, and the digests must match across builds.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/interp.h"
#include "vm/mem/address_space.h"

#if !defined(__EMSCRIPTEN__) && defined(__x86_64__)
#include <sys/mman.h>
#define GB_SSE_ORACLE 1
#endif

using namespace gb;

namespace {

// ---- 1. harness ------------------------------------------------------------------------------

struct IllegalInsn : std::runtime_error {
  IllegalInsn() : std::runtime_error("illegal instruction") {}
};

struct TestHost : CpuHost {
  void syscall(Cpu& c) override { c.stop = true; }
  uint64_t rdtsc() override { return 0; }
  void illegal_instruction(Cpu&, uint64_t, const uint8_t*, int) override { throw IllegalInsn(); }
};

constexpr uint64_t CODE = 0x400000;
constexpr uint64_t DATA = 0x600000;  // two pages: the test buffer is the first 256 bytes
constexpr int BUF = 256;

using Bytes = std::vector<uint8_t>;

// Encodes [pfx] [REX] 0F opc ModRM [disp8] [imm8]. `mem`: [base + disp8] with base = rm
// (rsi, rdi or r9..r11, never rsp/r12 which need a SIB byte).
Bytes enc(int pfx, int opc, int reg, int rm, bool mem, int disp, int imm, bool w) {
  Bytes v;
  if (pfx) v.push_back((uint8_t)pfx);
  const uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
  if (rex != 0x40) v.push_back(rex);
  v.push_back(0x0f);
  v.push_back((uint8_t)opc);
  if (mem) {
    v.push_back((uint8_t)(0x40 | ((reg & 7) << 3) | (rm & 7)));
    v.push_back((uint8_t)disp);
  } else {
    v.push_back((uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
  }
  if (imm >= 0) v.push_back((uint8_t)imm);
  return v;
}

std::string hex(const Bytes& b) {
  std::string s;
  char t[4];
  for (uint8_t x : b) { snprintf(t, sizeof t, "%02x ", x); s += t; }
  return s;
}

// Machine state compared between engine and host. Pointer registers (rsi, rdi) hold
// offsets into the buffer here and are rebased on each side.
struct St {
  Xmm x[16];
  uint64_t r[16];
  uint64_t flags;  // arithmetic bits only
  uint32_t mxcsr;
  alignas(16) uint8_t mem[BUF];
};

enum Outcome { OK, GP, PF, FPE, ILL };

struct Engine {
  AddressSpace as;
  TestHost host;
  Cpu c;
  Engine() {
    as.map(CODE, PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "code");
    as.map(DATA, 2 * PAGE, PROT_R | PROT_W, true, false, false, nullptr, 0, "data");
    c.mem = &as;
    c.host = &host;
  }
  // Runs one instruction; `len` receives the decoded length.
  Outcome exec(const Bytes& code, int* len = nullptr, int* fpcode = nullptr) {
    as.write_bytes(CODE, code.data(), code.size());
    Insn in;
    decode(as, CODE, in);
    if (len) *len = in.len;
    if (in.fn == &op_ud) return ILL;
    c.rip = CODE + in.len;
    try {
      in.fn(c, in);
    } catch (const GpFault&) { return GP; }
    catch (const GuestFault&) { return PF; }
    catch (const FpFault& f) { if (fpcode) *fpcode = f.code; return FPE; }
    catch (const IllegalInsn&) { return ILL; }
    return OK;
  }
  void load(const St& s) {
    for (int k = 0; k < 16; k++) c.xmm[k] = s.x[k];
    for (int k = 0; k < 16; k++) c.r[k] = s.r[k];
    c.r[RSI] = DATA + s.r[RSI];
    c.r[RDI] = DATA + s.r[RDI];
    c.set_flags(FL_ARITH, s.flags);
    c.mxcsr = s.mxcsr;
    as.write_bytes(DATA, s.mem, BUF);
  }
  St save() {
    St s;
    for (int k = 0; k < 16; k++) s.x[k] = c.xmm[k];
    for (int k = 0; k < 16; k++) s.r[k] = c.r[k];
    s.r[RSI] -= DATA;
    s.r[RDI] -= DATA;
    s.flags = c.get_rflags() & FL_ARITH;
    s.mxcsr = c.mxcsr;
    as.read_bytes(DATA, s.mem, BUF);
    return s;
  }
};

// ---- 2. host oracle ----------------------------------------------------------------------------
#ifdef GB_SSE_ORACLE
struct alignas(16) OState {
  uint8_t xmm[16][16];  // 0
  uint64_t gpr[16];     // 256 (rsp unused)
  uint64_t rflags;      // 384
  uint32_t mxcsr;       // 392
  uint32_t host_mxcsr;  // 396
};
static_assert(sizeof(OState) == 400, "layout used by the assembly below");

extern "C" void gb_sse_oracle_run(OState* s, const void* code);
asm(R"(
  .text
  .globl gb_sse_oracle_run
  .type gb_sse_oracle_run, @function
gb_sse_oracle_run:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  push %rdi
  push %rsi
  stmxcsr 396(%rdi)
  ldmxcsr 392(%rdi)
  pushq 384(%rdi)
  popfq
  movdqu 0(%rdi), %xmm0
  movdqu 16(%rdi), %xmm1
  movdqu 32(%rdi), %xmm2
  movdqu 48(%rdi), %xmm3
  movdqu 64(%rdi), %xmm4
  movdqu 80(%rdi), %xmm5
  movdqu 96(%rdi), %xmm6
  movdqu 112(%rdi), %xmm7
  movdqu 128(%rdi), %xmm8
  movdqu 144(%rdi), %xmm9
  movdqu 160(%rdi), %xmm10
  movdqu 176(%rdi), %xmm11
  movdqu 192(%rdi), %xmm12
  movdqu 208(%rdi), %xmm13
  movdqu 224(%rdi), %xmm14
  movdqu 240(%rdi), %xmm15
  mov 256(%rdi), %rax
  mov 264(%rdi), %rcx
  mov 272(%rdi), %rdx
  mov 280(%rdi), %rbx
  mov 296(%rdi), %rbp
  mov 304(%rdi), %rsi
  mov 320(%rdi), %r8
  mov 328(%rdi), %r9
  mov 336(%rdi), %r10
  mov 344(%rdi), %r11
  mov 352(%rdi), %r12
  mov 360(%rdi), %r13
  mov 368(%rdi), %r14
  mov 376(%rdi), %r15
  mov 312(%rdi), %rdi
  call *(%rsp)
  push %rdi
  mov 16(%rsp), %rdi
  mov %rax, 256(%rdi)
  mov %rcx, 264(%rdi)
  mov %rdx, 272(%rdi)
  mov %rbx, 280(%rdi)
  mov %rbp, 296(%rdi)
  mov %rsi, 304(%rdi)
  mov %r8, 320(%rdi)
  mov %r9, 328(%rdi)
  mov %r10, 336(%rdi)
  mov %r11, 344(%rdi)
  mov %r12, 352(%rdi)
  mov %r13, 360(%rdi)
  mov %r14, 368(%rdi)
  mov %r15, 376(%rdi)
  pop %rax
  mov %rax, 312(%rdi)
  pushfq
  pop %rax
  mov %rax, 384(%rdi)
  movdqu %xmm0, 0(%rdi)
  movdqu %xmm1, 16(%rdi)
  movdqu %xmm2, 32(%rdi)
  movdqu %xmm3, 48(%rdi)
  movdqu %xmm4, 64(%rdi)
  movdqu %xmm5, 80(%rdi)
  movdqu %xmm6, 96(%rdi)
  movdqu %xmm7, 112(%rdi)
  movdqu %xmm8, 128(%rdi)
  movdqu %xmm9, 144(%rdi)
  movdqu %xmm10, 160(%rdi)
  movdqu %xmm11, 176(%rdi)
  movdqu %xmm12, 192(%rdi)
  movdqu %xmm13, 208(%rdi)
  movdqu %xmm14, 224(%rdi)
  movdqu %xmm15, 240(%rdi)
  stmxcsr 392(%rdi)
  ldmxcsr 396(%rdi)
  add $16, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret
  .size gb_sse_oracle_run, .-gb_sse_oracle_run
)");

struct Host {
  uint8_t* code;
  uint8_t* buf;  // page aligned, like DATA
  Host() {
    code = (uint8_t*)mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    buf = (uint8_t*)mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(code != MAP_FAILED);
    REQUIRE(buf != MAP_FAILED);
  }
  ~Host() {
    munmap(code, 4096);
    munmap(buf, 8192);
  }
  St exec(const Bytes& insn, const St& in) {
    memcpy(code, insn.data(), insn.size());
    code[insn.size()] = 0xc3;  // ret
    OState o;
    memset(&o, 0, sizeof o);
    for (int k = 0; k < 16; k++) memcpy(o.xmm[k], &in.x[k], 16);
    for (int k = 0; k < 16; k++) o.gpr[k] = in.r[k];
    o.gpr[RSI] = (uint64_t)buf + in.r[RSI];
    o.gpr[RDI] = (uint64_t)buf + in.r[RDI];
    o.rflags = 0x202 | (in.flags & FL_ARITH);
    o.mxcsr = in.mxcsr;
    memcpy(buf, in.mem, BUF);
    gb_sse_oracle_run(&o, code);
    St s;
    for (int k = 0; k < 16; k++) memcpy(&s.x[k], o.xmm[k], 16);
    for (int k = 0; k < 16; k++) s.r[k] = o.gpr[k];
    s.r[RSI] -= (uint64_t)buf;
    s.r[RDI] -= (uint64_t)buf;
    s.flags = o.rflags & FL_ARITH;
    s.mxcsr = o.mxcsr;
    memcpy(s.mem, buf, BUF);
    return s;
  }
};
#endif

// ---- random operands -------------------------------------------------------------------------

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  uint64_t u64() { return g(); }
  uint32_t u32() { return (uint32_t)g(); }
  int below(int n) { return (int)(g() % (uint64_t)n); }
  bool chance(int percent) { return below(100) < percent; }
};

enum Kind { K_INT, K_F32, K_F64, K_CVT32, K_CVT64 };

uint32_t rand_f32(Rng& r) {
  static const uint32_t special[] = {
      0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000,
      0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 0x00800001, 0x007fffff, 0x807fffff, 0x00000001,
      0x80000001, 0x00400000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0xffd00001,
      0x7f800001, 0xff800001, 0x7fa12345, 0x7fbfffff, 0x4f000000, 0xcf000000, 0x4effffff, 0xcf000001,
      0x5f000000, 0xdf000000, 0x5effffff, 0xdf000001, 0x3effffff, 0x3f7fffff, 0x4b400000, 0x4b7fffff,
      0x34000000, 0x0c000000, 0x1f800000, 0x5f800000, 0x60000000, 0x20000000, 0x00ffffff, 0x00800000};
  switch (r.below(6)) {
    case 0: return special[r.below(sizeof special / sizeof special[0])];
    case 1: return r.u32();
    case 2: {  // few mantissa bits near 1: exact results are common
      const uint32_t e = 120 + r.below(16);
      const uint32_t sg = r.u32() & 0x80000000u;
      return sg | (e << 23) | ((r.u32() & 0xff) << 15);
    }
    case 3: {  // near the underflow boundary
      const uint32_t e = r.below(40);
      const uint32_t sg = r.u32() & 0x80000000u;
      return sg | (e << 23) | (r.u32() & 0x7fffff);
    }
    case 4: {  // near overflow, or halves of the range (products overflow/underflow)
      static const int es[] = {254, 253, 190, 191, 64, 63, 127 + 31, 127 + 32, 127 + 63, 127 + 64, 127 - 63};
      const uint32_t e = (uint32_t)es[r.below(sizeof es / sizeof es[0])];
      const uint32_t sg = r.u32() & 0x80000000u;
      return sg | (e << 23) | (r.u32() & 0x7fffff);
    }
    default: {  // small integers and halves
      const int num = (int)r.below(2000) - 1000;
      const float v = (float)num / (float)(1 << r.below(3));
      uint32_t u;
      memcpy(&u, &v, 4);
      return u;
    }
  }
}

uint64_t rand_f64(Rng& r) {
  static const uint64_t special[] = {
      0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x3fe0000000000000,
      0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
      0x0010000000000000, 0x8010000000000000, 0x0010000000000001, 0x000fffffffffffff, 0x800fffffffffffff,
      0x0000000000000001, 0x8000000000000001, 0x0008000000000000, 0x7ff0000000000000, 0xfff0000000000000,
      0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000012345678, 0xfffc000000000001, 0x7ff0000000000001,
      0xfff0000000000001, 0x7ff4000012345678, 0x7ff7ffffffffffff, 0x41e0000000000000, 0xc1e0000000000000,
      0x41dfffffffffffff, 0xc1e0000000200000, 0x41dfffffffe00000, 0xc1e00000001fffff, 0x43e0000000000000,
      0xc3e0000000000000, 0x43dfffffffffffff, 0xc3e0000000000001, 0x3fdfffffffffffff, 0x4338000000000000,
      0x3ca0000000000000, 0x36a0000000000000, 0x3810000000000000, 0x47efffffe0000000, 0x47effffff0000000,
      0x3690000000000000, 0x380fffffe0000000, 0x0000000100000000, 0x41dfffffffc00000};
  switch (r.below(6)) {
    case 0: return special[r.below(sizeof special / sizeof special[0])];
    case 1: return r.u64();
    case 2: {
      const uint64_t e = 1016 + r.below(16);
      const uint64_t sg = r.u64() & 0x8000000000000000ull;
      return sg | (e << 52) | ((r.u64() & 0xfff) << 40);
    }
    case 3: {
      const uint64_t e = r.below(60);
      const uint64_t sg = r.u64() & 0x8000000000000000ull;
      return sg | (e << 52) | (r.u64() & 0xfffffffffffffull);
    }
    case 4: {
      static const int es[] = {2046, 2045, 1534, 1535, 512, 511, 1023 + 31, 1023 + 32, 1023 + 63, 1023 + 64,
                               1023 - 63, 1023 + 127, 1023 + 128, 1023 - 150, 1023 - 126, 1023 - 127};
      const uint64_t e = (uint64_t)es[r.below(sizeof es / sizeof es[0])];
      const uint64_t sg = r.u64() & 0x8000000000000000ull;
      return sg | (e << 52) | (r.u64() & 0xfffffffffffffull);
    }
    default: {
      const int num = (int)r.below(2000) - 1000;
      const double v = (double)num / (double)(1 << r.below(3));
      uint64_t u;
      memcpy(&u, &v, 8);
      return u;
    }
  }
}

uint64_t rand_int(Rng& r) {
  static const uint64_t special[] = {0, 1, 0xffffffffffffffffull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                     0x7fffffff, 0x80000000, 0xffffffff, 0x7f7f7f7f7f7f7f7full,
                                     0x8080808080808080ull, 0x7fff7fff7fff7fffull, 0x8000800080008000ull,
                                     0x00ff00ff00ff00ffull, 0xff00ff00ff00ff00ull, 0x0001000100010001ull,
                                     0x8000000080000000ull, 0x7fffffff7fffffffull, 0x0000000100000001ull};
  switch (r.below(5)) {
    case 0: return special[r.below(sizeof special / sizeof special[0])];
    case 1: {  // bytes from a small alphabet: equal lanes, saturation edges
      static const uint8_t al[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x40};
      uint64_t v = 0;
      for (int k = 0; k < 8; k++) v |= (uint64_t)al[r.below(8)] << (8 * k);
      return v;
    }
    case 2: return (uint64_t)(int64_t)(int32_t)r.u32();
    case 3: {
      const uint64_t v = r.u64();
      return v >> r.below(64);
    }
    default: return r.u64();
  }
}

// 64 random bits of the given kind (two floats for K_F32).
uint64_t rand_q(Rng& r, Kind k) {
  switch (k) {
    case K_F32: {
      const uint64_t lo = rand_f32(r);
      return lo | ((uint64_t)rand_f32(r) << 32);
    }
    case K_F64: return rand_f64(r);
    case K_CVT32: {  // float lanes around integer boundaries
      auto one = [&]() -> uint32_t {
        if (r.chance(50)) return rand_f32(r);
        const float m = (float)(r.u32() & 0xffffff) / 16777216.0f + 0.5f;
        const int e = r.below(70);
        const float v = std::ldexp(m, e) * (r.chance(50) ? -1.0f : 1.0f);
        uint32_t u;
        memcpy(&u, &v, 4);
        return r.chance(20) ? u + r.below(3) - 1 : u;
      };
      const uint64_t lo = one();
      return lo | ((uint64_t)one() << 32);
    }
    case K_CVT64: {
      if (r.chance(40)) return rand_f64(r);
      const double m = (double)(r.u64() >> 11) / 9007199254740992.0 + 0.5;
      const int e = r.below(70);
      const double v = std::ldexp(m, e) * (r.chance(50) ? -1.0 : 1.0);
      uint64_t u;
      memcpy(&u, &v, 8);
      return r.chance(20) ? u + r.below(3) - 1 : u;
    }
    default: return rand_int(r);
  }
}

uint32_t rand_mxcsr(Rng& r) {
  uint32_t m = 0x1f80;
  if (r.chance(50)) m |= (uint32_t)r.below(4) << 13;
  if (r.chance(20)) m |= 0x8000;  // FTZ
  if (r.chance(20)) m |= 0x40;    // DAZ
  if (r.chance(60)) m |= 0x20;    // PE already set: the fast paths
  if (r.chance(20)) m |= (uint32_t)r.below(64);
  return m;
}

St rand_state(Rng& r, Kind k) {
  St s;
  for (int x = 0; x < 16; x++) {
    s.x[x].q[0] = rand_q(r, k);
    s.x[x].q[1] = rand_q(r, k);
  }
  for (int x = 0; x < 16; x++) s.r[x] = rand_int(r);
  s.r[RSP] = 0;
  s.r[RSI] = 0;
  s.r[RDI] = 128;
  s.flags = r.u64() & FL_ARITH;
  s.mxcsr = rand_mxcsr(r);
  for (int x = 0; x < BUF; x += 8) {
    const uint64_t q = rand_q(r, k);
    memcpy(s.mem + x, &q, 8);
  }
  return s;
}

// ---- instruction descriptions ----------------------------------------------------------------

enum Form {
  VW,      // xmm, xmm/m      (msz: memory operand size; al: aligned)
  WV,      // xmm/m, xmm (stores)
  VM,      // xmm, m only
  MV,      // m, xmm only
  VU,      // xmm, xmm only
  UI,      // group shift: xmm (rm) by imm8, ext in reg
  VE,      // xmm, r/m32|64
  GW,      // r32|64, xmm/m
  EV,      // r/m32|64, xmm
  GU,      // r32, xmm (register only)
  MG,      // m, r32|64 (movnti)
};

struct OpDesc {
  const char* name;
  int pfx, opc;
  Form form;
  int msz;      // memory operand bytes (16, 8, 4, 2)
  bool al;      // memory operand must be 16-byte aligned
  int imm;      // -1: none, 0: random imm8, 1: predicate 0..7 (sometimes any), 2: shift count
  int ext;      // ModRM.reg for UI forms
  bool w;       // REX.W variant
  bool approx;  // rcp/rsqrt: compare the result within 2^-11 relative
};

const int kGprs[] = {RAX, RCX, RDX, RBX, RBP, R8, R9, R10, R11, R12, R13, R14, R15};

// Builds one random encoding of `d`; returns false if the form has no memory variant etc.
Bytes make_insn(Rng& r, const OpDesc& d, bool& used_mem) {
  const int x1 = r.below(16), x2 = r.below(16);
  const int g = kGprs[r.below(sizeof kGprs / sizeof kGprs[0])];
  int imm = -1;
  if (d.imm == 0) imm = r.below(256);
  else if (d.imm == 1) imm = r.chance(90) ? r.below(8) : r.below(256);
  else if (d.imm == 2) imm = r.chance(80) ? r.below(d.ext == 3 || d.ext == 7 ? 18 : 66) : r.below(256);
  bool mem;
  switch (d.form) {
    case VM: case MV: case MG: mem = true; break;
    case VU: case UI: case GU: mem = false; break;
    default: mem = r.chance(40);
  }
  used_mem = mem;
  int disp = 0;
  if (mem) {
    if (d.al) disp = 16 * r.below(8);
    else disp = r.below(BUF / 2 - d.msz + 1);
  }
  const int base = RSI;
  switch (d.form) {
    case VW: case WV: case VM: case MV: return enc(d.pfx, d.opc, x1, mem ? base : x2, mem, disp, imm, false);
    case VU: return enc(d.pfx, d.opc, x1, x2, false, 0, imm, false);
    case UI: return enc(d.pfx, d.opc, d.ext, x2, false, 0, imm, false);
    case VE: return enc(d.pfx, d.opc, x1, mem ? base : g, mem, disp, imm, d.w);
    case GW: return enc(d.pfx, d.opc, g, mem ? base : x2, mem, disp, imm, d.w);
    case EV: return enc(d.pfx, d.opc, x1, mem ? base : g, mem, disp, imm, d.w);
    case GU: return enc(d.pfx, d.opc, g, x2, false, 0, imm, d.w);
    case MG: return enc(d.pfx, d.opc, g, base, true, disp, imm, d.w);
  }
  return {};
}

std::string show_xmm(const Xmm& x) {
  char t[64];
  snprintf(t, sizeof t, "%016llx:%016llx", (unsigned long long)x.q[1], (unsigned long long)x.q[0]);
  return t;
}

bool close_f32(uint32_t a, uint32_t b) {
  if (a == b) return true;
  float fa, fb;
  memcpy(&fa, &a, 4);
  memcpy(&fb, &b, 4);
  if (!std::isfinite(fa) || !std::isfinite(fb) || fa == 0 || fb == 0) return false;
  return std::fabs(fa - fb) <= std::fabs(fb) * (1.0f / 2048);
}

// Compares engine and host final states; prints the first difference.
bool same(const St& e, const St& h, const OpDesc& d, const Bytes& insn, const St& in) {
  std::string why;
  for (int k = 0; k < 16 && why.empty(); k++) {
    if (memcmp(&e.x[k], &h.x[k], 16) == 0) continue;
    if (d.approx) {
      bool ok = true;
      for (int l = 0; l < 4; l++) ok = ok && close_f32(e.x[k].d[l], h.x[k].d[l]);
      if (ok) continue;
    }
    why = "xmm" + std::to_string(k) + " engine " + show_xmm(e.x[k]) + " host " + show_xmm(h.x[k]) +
          " (in " + show_xmm(in.x[k]) + ")";
  }
  for (int k = 0; k < 16 && why.empty(); k++)
    if (k != RSP && e.r[k] != h.r[k]) {
      char t[96];
      snprintf(t, sizeof t, "gpr%d engine %llx host %llx", k, (unsigned long long)e.r[k], (unsigned long long)h.r[k]);
      why = t;
    }
  if (why.empty() && e.flags != h.flags) why = "rflags engine " + std::to_string(e.flags) + " host " + std::to_string(h.flags);
  if (why.empty() && e.mxcsr != h.mxcsr) {
    char t[96];
    snprintf(t, sizeof t, "mxcsr in %04x engine %04x host %04x", in.mxcsr, e.mxcsr, h.mxcsr);
    why = t;
  }
  if (why.empty() && memcmp(e.mem, h.mem, BUF) != 0) why = "memory differs";
  if (why.empty()) return true;
  std::string ops;
  // The operands most likely involved: the two xmm registers named by ModRM and the buffer start.
  MESSAGE(d.name << " [" << hex(insn) << "]: " << why);
  return false;
}

int iters(int n) {
  const char* s = getenv("GB_SSE_ITERS");
  if (!s) return n;
  const double f = atof(s);
  return f > 0 ? (int)(n * f) : n;
}

#ifdef GB_SSE_ORACLE
// Runs every op of a family many times against the host; returns the number of failing ops.
void diff_family(const char* family, const OpDesc* ops, int nops, Kind kind, int n, uint64_t seed) {
  Host host;
  Engine eng;
  Rng r(seed);
  int failed = 0;
  long total = 0;
  for (int o = 0; o < nops; o++) {
    const OpDesc& d = ops[o];
    for (int it = 0; it < n; it++) {
      bool mem = false;
      const Bytes insn = make_insn(r, d, mem);
      const St in = rand_state(r, kind);
      eng.load(in);
      int len = 0;
      const Outcome oc = eng.exec(insn, &len);
      if (oc != OK || len != (int)insn.size()) {
        MESSAGE(family << ": " << d.name << " [" << hex(insn) << "] outcome " << oc << " len " << len);
        failed++;
        break;
      }
      const St he = eng.save();
      const St hh = host.exec(insn, in);
      total++;
      if (!same(he, hh, d, insn, in)) {
        failed++;
        break;
      }
    }
  }
  MESSAGE(family << ": " << total << " instructions compared with the host CPU, " << failed << " ops failing");
  CHECK(failed == 0);
}
#endif

// ---- descriptions per family -------------------------------------------------------------------

const OpDesc kMoves[] = {
    {"movups load", 0, 0x10, VW, 16, false, -1}, {"movupd load", 0x66, 0x10, VW, 16, false, -1},
    {"movss load", 0xf3, 0x10, VW, 4, false, -1}, {"movsd load", 0xf2, 0x10, VW, 8, false, -1},
    {"movups store", 0, 0x11, WV, 16, false, -1}, {"movupd store", 0x66, 0x11, WV, 16, false, -1},
    {"movss store", 0xf3, 0x11, WV, 4, false, -1}, {"movsd store", 0xf2, 0x11, WV, 8, false, -1},
    {"movhlps", 0, 0x12, VU, 0, false, -1}, {"movlps load", 0, 0x12, VM, 8, false, -1},
    {"movlpd load", 0x66, 0x12, VM, 8, false, -1}, {"movlps store", 0, 0x13, MV, 8, false, -1},
    {"movlpd store", 0x66, 0x13, MV, 8, false, -1}, {"movlhps", 0, 0x16, VU, 0, false, -1},
    {"movhps load", 0, 0x16, VM, 8, false, -1}, {"movhpd load", 0x66, 0x16, VM, 8, false, -1},
    {"movhps store", 0, 0x17, MV, 8, false, -1}, {"movhpd store", 0x66, 0x17, MV, 8, false, -1},
    {"movaps load", 0, 0x28, VW, 16, true, -1}, {"movapd load", 0x66, 0x28, VW, 16, true, -1},
    {"movaps store", 0, 0x29, WV, 16, true, -1}, {"movapd store", 0x66, 0x29, WV, 16, true, -1},
    {"movntps", 0, 0x2b, MV, 16, true, -1}, {"movntpd", 0x66, 0x2b, MV, 16, true, -1},
    {"movmskps", 0, 0x50, GU, 0, false, -1}, {"movmskpd", 0x66, 0x50, GU, 0, false, -1},
    {"movd xmm,r/m32", 0x66, 0x6e, VE, 4, false, -1}, {"movq xmm,r/m64", 0x66, 0x6e, VE, 8, false, -1, 0, true},
    {"movdqa load", 0x66, 0x6f, VW, 16, true, -1}, {"movdqu load", 0xf3, 0x6f, VW, 16, false, -1},
    {"movd r/m32,xmm", 0x66, 0x7e, EV, 4, false, -1}, {"movq r/m64,xmm", 0x66, 0x7e, EV, 8, false, -1, 0, true},
    {"movq xmm,xmm/m64", 0xf3, 0x7e, VW, 8, false, -1}, {"movdqa store", 0x66, 0x7f, WV, 16, true, -1},
    {"movdqu store", 0xf3, 0x7f, WV, 16, false, -1}, {"movnti m32", 0, 0xc3, MG, 4, false, -1},
    {"movnti m64", 0, 0xc3, MG, 8, false, -1, 0, true}, {"movq xmm/m64,xmm", 0x66, 0xd6, WV, 8, false, -1},
    {"pmovmskb", 0x66, 0xd7, GU, 0, false, -1}, {"movntdq", 0x66, 0xe7, MV, 16, true, -1},
};

const OpDesc kArithF32[] = {
    {"addps", 0, 0x58, VW, 16, true, -1}, {"addss", 0xf3, 0x58, VW, 4, false, -1},
    {"subps", 0, 0x5c, VW, 16, true, -1}, {"subss", 0xf3, 0x5c, VW, 4, false, -1},
    {"mulps", 0, 0x59, VW, 16, true, -1}, {"mulss", 0xf3, 0x59, VW, 4, false, -1},
    {"divps", 0, 0x5e, VW, 16, true, -1}, {"divss", 0xf3, 0x5e, VW, 4, false, -1},
    {"minps", 0, 0x5d, VW, 16, true, -1}, {"minss", 0xf3, 0x5d, VW, 4, false, -1},
    {"maxps", 0, 0x5f, VW, 16, true, -1}, {"maxss", 0xf3, 0x5f, VW, 4, false, -1},
    {"sqrtps", 0, 0x51, VW, 16, true, -1}, {"sqrtss", 0xf3, 0x51, VW, 4, false, -1},
    {"andps", 0, 0x54, VW, 16, true, -1}, {"andnps", 0, 0x55, VW, 16, true, -1},
    {"orps", 0, 0x56, VW, 16, true, -1}, {"xorps", 0, 0x57, VW, 16, true, -1},
    {"rcpps", 0, 0x53, VW, 16, true, -1, 0, false, true}, {"rcpss", 0xf3, 0x53, VW, 4, false, -1, 0, false, true},
    {"rsqrtps", 0, 0x52, VW, 16, true, -1, 0, false, true}, {"rsqrtss", 0xf3, 0x52, VW, 4, false, -1, 0, false, true},
};

const OpDesc kArithF64[] = {
    {"addpd", 0x66, 0x58, VW, 16, true, -1}, {"addsd", 0xf2, 0x58, VW, 8, false, -1},
    {"subpd", 0x66, 0x5c, VW, 16, true, -1}, {"subsd", 0xf2, 0x5c, VW, 8, false, -1},
    {"mulpd", 0x66, 0x59, VW, 16, true, -1}, {"mulsd", 0xf2, 0x59, VW, 8, false, -1},
    {"divpd", 0x66, 0x5e, VW, 16, true, -1}, {"divsd", 0xf2, 0x5e, VW, 8, false, -1},
    {"minpd", 0x66, 0x5d, VW, 16, true, -1}, {"minsd", 0xf2, 0x5d, VW, 8, false, -1},
    {"maxpd", 0x66, 0x5f, VW, 16, true, -1}, {"maxsd", 0xf2, 0x5f, VW, 8, false, -1},
    {"sqrtpd", 0x66, 0x51, VW, 16, true, -1}, {"sqrtsd", 0xf2, 0x51, VW, 8, false, -1},
    {"andpd", 0x66, 0x54, VW, 16, true, -1}, {"andnpd", 0x66, 0x55, VW, 16, true, -1},
    {"orpd", 0x66, 0x56, VW, 16, true, -1}, {"xorpd", 0x66, 0x57, VW, 16, true, -1},
};

const OpDesc kCmpF32[] = {
    {"cmpps", 0, 0xc2, VW, 16, true, 1}, {"cmpss", 0xf3, 0xc2, VW, 4, false, 1},
    {"comiss", 0, 0x2f, VW, 4, false, -1}, {"ucomiss", 0, 0x2e, VW, 4, false, -1},
};
const OpDesc kCmpF64[] = {
    {"cmppd", 0x66, 0xc2, VW, 16, true, 1}, {"cmpsd", 0xf2, 0xc2, VW, 8, false, 1},
    {"comisd", 0x66, 0x2f, VW, 8, false, -1}, {"ucomisd", 0x66, 0x2e, VW, 8, false, -1},
};

const OpDesc kCvtFromF32[] = {
    {"cvttss2si r32", 0xf3, 0x2c, GW, 4, false, -1}, {"cvttss2si r64", 0xf3, 0x2c, GW, 4, false, -1, 0, true},
    {"cvtss2si r32", 0xf3, 0x2d, GW, 4, false, -1}, {"cvtss2si r64", 0xf3, 0x2d, GW, 4, false, -1, 0, true},
    {"cvtps2pd", 0, 0x5a, VW, 8, false, -1}, {"cvtss2sd", 0xf3, 0x5a, VW, 4, false, -1},
    {"cvtps2dq", 0x66, 0x5b, VW, 16, true, -1}, {"cvttps2dq", 0xf3, 0x5b, VW, 16, true, -1},
};
const OpDesc kCvtFromF64[] = {
    {"cvttsd2si r32", 0xf2, 0x2c, GW, 8, false, -1}, {"cvttsd2si r64", 0xf2, 0x2c, GW, 8, false, -1, 0, true},
    {"cvtsd2si r32", 0xf2, 0x2d, GW, 8, false, -1}, {"cvtsd2si r64", 0xf2, 0x2d, GW, 8, false, -1, 0, true},
    {"cvtpd2ps", 0x66, 0x5a, VW, 16, true, -1}, {"cvtsd2ss", 0xf2, 0x5a, VW, 8, false, -1},
    {"cvttpd2dq", 0x66, 0xe6, VW, 16, true, -1}, {"cvtpd2dq", 0xf2, 0xe6, VW, 16, true, -1},
};
const OpDesc kCvtFromInt[] = {
    {"cvtsi2ss r/m32", 0xf3, 0x2a, VE, 4, false, -1}, {"cvtsi2ss r/m64", 0xf3, 0x2a, VE, 8, false, -1, 0, true},
    {"cvtsi2sd r/m32", 0xf2, 0x2a, VE, 4, false, -1}, {"cvtsi2sd r/m64", 0xf2, 0x2a, VE, 8, false, -1, 0, true},
    {"cvtdq2ps", 0, 0x5b, VW, 16, true, -1}, {"cvtdq2pd", 0xf3, 0xe6, VW, 8, false, -1},
};

const OpDesc kIntSimd[] = {
    {"paddb", 0x66, 0xfc, VW, 16, true, -1}, {"paddw", 0x66, 0xfd, VW, 16, true, -1},
    {"paddd", 0x66, 0xfe, VW, 16, true, -1}, {"paddq", 0x66, 0xd4, VW, 16, true, -1},
    {"psubb", 0x66, 0xf8, VW, 16, true, -1}, {"psubw", 0x66, 0xf9, VW, 16, true, -1},
    {"psubd", 0x66, 0xfa, VW, 16, true, -1}, {"psubq", 0x66, 0xfb, VW, 16, true, -1},
    {"paddsb", 0x66, 0xec, VW, 16, true, -1}, {"paddsw", 0x66, 0xed, VW, 16, true, -1},
    {"paddusb", 0x66, 0xdc, VW, 16, true, -1}, {"paddusw", 0x66, 0xdd, VW, 16, true, -1},
    {"psubsb", 0x66, 0xe8, VW, 16, true, -1}, {"psubsw", 0x66, 0xe9, VW, 16, true, -1},
    {"psubusb", 0x66, 0xd8, VW, 16, true, -1}, {"psubusw", 0x66, 0xd9, VW, 16, true, -1},
    {"pmullw", 0x66, 0xd5, VW, 16, true, -1}, {"pmulhw", 0x66, 0xe5, VW, 16, true, -1},
    {"pmulhuw", 0x66, 0xe4, VW, 16, true, -1}, {"pmuludq", 0x66, 0xf4, VW, 16, true, -1},
    {"pmaddwd", 0x66, 0xf5, VW, 16, true, -1}, {"pavgb", 0x66, 0xe0, VW, 16, true, -1},
    {"pavgw", 0x66, 0xe3, VW, 16, true, -1}, {"pminub", 0x66, 0xda, VW, 16, true, -1},
    {"pmaxub", 0x66, 0xde, VW, 16, true, -1}, {"pminsw", 0x66, 0xea, VW, 16, true, -1},
    {"pmaxsw", 0x66, 0xee, VW, 16, true, -1}, {"psadbw", 0x66, 0xf6, VW, 16, true, -1},
    {"pand", 0x66, 0xdb, VW, 16, true, -1}, {"pandn", 0x66, 0xdf, VW, 16, true, -1},
    {"por", 0x66, 0xeb, VW, 16, true, -1}, {"pxor", 0x66, 0xef, VW, 16, true, -1},
    {"pcmpeqb", 0x66, 0x74, VW, 16, true, -1}, {"pcmpeqw", 0x66, 0x75, VW, 16, true, -1},
    {"pcmpeqd", 0x66, 0x76, VW, 16, true, -1}, {"pcmpgtb", 0x66, 0x64, VW, 16, true, -1},
    {"pcmpgtw", 0x66, 0x65, VW, 16, true, -1}, {"pcmpgtd", 0x66, 0x66, VW, 16, true, -1},
    {"psllw", 0x66, 0xf1, VW, 16, true, -1}, {"pslld", 0x66, 0xf2, VW, 16, true, -1},
    {"psllq", 0x66, 0xf3, VW, 16, true, -1}, {"psrlw", 0x66, 0xd1, VW, 16, true, -1},
    {"psrld", 0x66, 0xd2, VW, 16, true, -1}, {"psrlq", 0x66, 0xd3, VW, 16, true, -1},
    {"psraw", 0x66, 0xe1, VW, 16, true, -1}, {"psrad", 0x66, 0xe2, VW, 16, true, -1},
    {"psrlw imm", 0x66, 0x71, UI, 0, false, 2, 2}, {"psraw imm", 0x66, 0x71, UI, 0, false, 2, 4},
    {"psllw imm", 0x66, 0x71, UI, 0, false, 2, 6}, {"psrld imm", 0x66, 0x72, UI, 0, false, 2, 2},
    {"psrad imm", 0x66, 0x72, UI, 0, false, 2, 4}, {"pslld imm", 0x66, 0x72, UI, 0, false, 2, 6},
    {"psrlq imm", 0x66, 0x73, UI, 0, false, 2, 2}, {"psrldq imm", 0x66, 0x73, UI, 0, false, 2, 3},
    {"psllq imm", 0x66, 0x73, UI, 0, false, 2, 6}, {"pslldq imm", 0x66, 0x73, UI, 0, false, 2, 7},
};

const OpDesc kShuffle[] = {
    {"unpcklps", 0, 0x14, VW, 16, true, -1}, {"unpcklpd", 0x66, 0x14, VW, 16, true, -1},
    {"unpckhps", 0, 0x15, VW, 16, true, -1}, {"unpckhpd", 0x66, 0x15, VW, 16, true, -1},
    {"shufps", 0, 0xc6, VW, 16, true, 0}, {"shufpd", 0x66, 0xc6, VW, 16, true, 0},
    {"pshufd", 0x66, 0x70, VW, 16, true, 0}, {"pshufhw", 0xf3, 0x70, VW, 16, true, 0},
    {"pshuflw", 0xf2, 0x70, VW, 16, true, 0}, {"punpcklbw", 0x66, 0x60, VW, 16, true, -1},
    {"punpcklwd", 0x66, 0x61, VW, 16, true, -1}, {"punpckldq", 0x66, 0x62, VW, 16, true, -1},
    {"punpcklqdq", 0x66, 0x6c, VW, 16, true, -1}, {"punpckhbw", 0x66, 0x68, VW, 16, true, -1},
    {"punpckhwd", 0x66, 0x69, VW, 16, true, -1}, {"punpckhdq", 0x66, 0x6a, VW, 16, true, -1},
    {"punpckhqdq", 0x66, 0x6d, VW, 16, true, -1}, {"packsswb", 0x66, 0x63, VW, 16, true, -1},
    {"packssdw", 0x66, 0x6b, VW, 16, true, -1}, {"packuswb", 0x66, 0x67, VW, 16, true, -1},
    {"pinsrw", 0x66, 0xc4, VE, 2, false, 0}, {"pextrw", 0x66, 0xc5, GU, 0, false, 0},
};

// ---- engine-only helpers for the value tables ------------------------------------------------

// Runs `insn` with xmm1 = a (low lane) and xmm2 = b (low lane) and the given MXCSR.
struct Scalar {
  uint64_t res;
  uint32_t mxcsr;
  uint64_t flags;
  Outcome oc;
};
Scalar run_scalar(int pfx, int opc, uint64_t a, uint64_t b, uint32_t mxcsr, int imm = -1, bool w = false) {
  Engine e;
  e.c.xmm[1].q[0] = a;
  e.c.xmm[1].q[1] = 0x1111111122222222ull;
  e.c.xmm[2].q[0] = b;
  e.c.xmm[2].q[1] = 0x3333333344444444ull;
  e.c.mxcsr = mxcsr;
  Scalar s;
  s.oc = e.exec(enc(pfx, opc, 1, 2, false, 0, imm, w));
  s.res = e.c.xmm[1].q[0];
  s.mxcsr = e.c.mxcsr;
  s.flags = e.c.get_rflags() & FL_ARITH;
  if (s.oc == OK) CHECK(e.c.xmm[1].q[1] == 0x1111111122222222ull);  // scalar forms keep the upper lanes
  return s;
}
uint32_t f32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
uint64_t f64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

// Integer result of a conversion to a general register (rax) from xmm2.
Scalar run_to_int(int pfx, int opc, uint64_t a, uint32_t mxcsr, bool w) {
  Engine e;
  e.c.xmm[2].q[0] = a;
  e.c.r[RAX] = 0x5555555555555555ull;
  e.c.mxcsr = mxcsr;
  Scalar s;
  s.oc = e.exec(enc(pfx, opc, RAX, 2, false, 0, -1, w));
  s.res = e.c.r[RAX];
  s.mxcsr = e.c.mxcsr;
  return s;
}

}  // namespace

// =================================================================================================
// 3. differential tests against the host CPU
// =================================================================================================
#ifdef GB_SSE_ORACLE
TEST_CASE("sse moves: all forms against the host CPU") {
  diff_family("moves", kMoves, sizeof kMoves / sizeof kMoves[0], K_INT, iters(300), 101);
}
TEST_CASE("sse float arithmetic (ss ps sd pd, min max sqrt rcp rsqrt logic) against the host CPU") {
  diff_family("float32 arithmetic", kArithF32, sizeof kArithF32 / sizeof kArithF32[0], K_F32, iters(6000), 201);
  diff_family("float64 arithmetic", kArithF64, sizeof kArithF64 / sizeof kArithF64[0], K_F64, iters(6000), 202);
}
TEST_CASE("sse float compares (cmpps/pd/ss/sd, comis, ucomis) against the host CPU") {
  diff_family("float32 compares", kCmpF32, sizeof kCmpF32 / sizeof kCmpF32[0], K_F32, iters(4000), 301);
  diff_family("float64 compares", kCmpF64, sizeof kCmpF64 / sizeof kCmpF64[0], K_F64, iters(4000), 302);
}
TEST_CASE("sse conversions against the host CPU") {
  diff_family("from float32", kCvtFromF32, sizeof kCvtFromF32 / sizeof kCvtFromF32[0], K_CVT32, iters(6000), 401);
  diff_family("from float64", kCvtFromF64, sizeof kCvtFromF64 / sizeof kCvtFromF64[0], K_CVT64, iters(6000), 402);
  diff_family("from integers", kCvtFromInt, sizeof kCvtFromInt / sizeof kCvtFromInt[0], K_INT, iters(6000), 403);
}
TEST_CASE("sse2 integer SIMD (add sub mul avg min max sad logic compare shifts) against the host CPU") {
  diff_family("integer SIMD", kIntSimd, sizeof kIntSimd / sizeof kIntSimd[0], K_INT, iters(1000), 501);
}
TEST_CASE("sse shuffles, unpacks, packs, pinsrw/pextrw against the host CPU") {
  diff_family("shuffles", kShuffle, sizeof kShuffle / sizeof kShuffle[0], K_INT, iters(1000), 601);
}
TEST_CASE("sse misc: ldmxcsr/stmxcsr and maskmovdqu against the host CPU") {
  Host host;
  Engine eng;
  Rng r(701);
  int bad = 0;
  for (int it = 0; it < iters(2000) && bad == 0; it++) {
    St in = rand_state(r, K_INT);
    Bytes insn;
    switch (r.below(3)) {
      case 0: {  // ldmxcsr [rsi+disp]: a valid random MXCSR with every exception masked
        const int disp = 4 * r.below(32);
        const uint32_t v = rand_mxcsr(r);
        memcpy(in.mem + disp, &v, 4);
        insn = enc(0, 0xae, 2, RSI, true, disp, -1, false);
        break;
      }
      case 1: insn = enc(0, 0xae, 3, RSI, true, r.below(120), -1, false); break;  // stmxcsr
      default: {  // maskmovdqu [rdi]
        const int v = r.below(16);
        insn = enc(0x66, 0xf7, v, r.below(16), false, 0, -1, false);
      }
    }
    eng.load(in);
    REQUIRE(eng.exec(insn) == OK);
    const St e = eng.save();
    const St h = host.exec(insn, in);
    static const OpDesc d{"misc", 0, 0, VW, 0, false, -1};
    if (!same(e, h, d, insn, in)) bad++;
  }
  CHECK(bad == 0);
}

// Operands built so that the exact result lies within a few ulps of the smallest normal
// (tininess before/after rounding, FTZ), of the largest finite value (overflow in each
// rounding mode) or of the float range for cvtsd2ss.
TEST_CASE("sse float boundaries: underflow and overflow edges against the host CPU") {
  Host host;
  Engine eng;
  Rng r(801);
  struct Op { const char* name; int pfx, opc; bool dbl; } ops[] = {
      {"mulsd", 0xf2, 0x59, true},  {"divsd", 0xf2, 0x5e, true},  {"addsd", 0xf2, 0x58, true},
      {"subsd", 0xf2, 0x5c, true},  {"mulss", 0xf3, 0x59, false}, {"divss", 0xf3, 0x5e, false},
      {"addss", 0xf3, 0x58, false}, {"cvtsd2ss", 0xf2, 0x5a, true}, {"mulpd", 0x66, 0x59, true},
      {"mulps", 0, 0x59, false},
  };
  int bad = 0;
  long n = 0, n_ue = 0, n_oe = 0, n_min = 0;
  for (int it = 0; it < iters(40000) && bad < 3; it++) {
    const Op& op = ops[r.below(sizeof ops / sizeof ops[0])];
    const bool cvt = op.opc == 0x5a;
    const bool f = !op.dbl || cvt;  // result format is float
    // target: smallest normal, largest finite, or a power of two just below the normal range
    const int which = r.below(3);
    const double target = which == 0 ? (f ? std::ldexp(1.0, -126) : std::ldexp(1.0, -1022))
                        : which == 1 ? (f ? (double)3.4028234663852886e38 : 1.7976931348623157e308)
                                     : (f ? std::ldexp(1.0, -127 - r.below(24)) : std::ldexp(1.0, -1023 - r.below(53)));
    const double sgn = r.chance(50) ? -1.0 : 1.0;
    St in = rand_state(r, op.dbl ? K_F64 : K_F32);
    uint64_t a, b;
    if (cvt) {
      uint64_t t = f64(target * sgn);
      const int64_t delta = r.below(1 << 20) - (1 << 19);
      t += (uint64_t)delta << r.below(30);
      a = in.x[1].q[0];
      b = t;
    } else if (op.dbl) {
      const double m = 1.0 + (double)(r.u64() >> 11) / 9007199254740992.0;
      const double x = std::ldexp(m, r.below(5) - 2) * sgn;
      double y;
      switch (op.opc) {
        case 0x59: y = target / x; break;
        case 0x5e: y = x / target; break;
        case 0x58: y = target - x; break;
        default: y = x - target; break;
      }
      uint64_t yb = f64(y) + r.below(5) - 2;
      if (op.opc == 0x58 || op.opc == 0x5c) {  // make x and y comparable in size to the target
        const double xs = std::ldexp(x, (int)std::log2(target)), ys = (op.opc == 0x58 ? target - xs : xs - target);
        a = f64(xs);
        yb = f64(ys) + r.below(5) - 2;
      } else {
        a = f64(x);
      }
      b = yb;
    } else {
      const float m = 1.0f + (float)(r.u32() >> 8) / 16777216.0f;
      const float x = std::ldexp(m, r.below(5) - 2) * (float)sgn;
      const float t = (float)target;
      float y;
      float xs = x;
      switch (op.opc) {
        case 0x59: y = t / x; break;
        case 0x5e: y = x / t; break;
        default: xs = std::ldexp(x, (int)std::log2(target)); y = t - xs; break;
      }
      a = f32(xs);
      b = f32(y) + r.below(5) - 2;
    }
    in.x[1].q[0] = a;
    in.x[2].q[0] = b;
    if (op.pfx == 0 || op.pfx == 0x66) { in.x[1].q[1] = a; in.x[2].q[1] = b; }
    const Bytes insn = enc(op.pfx, op.opc, 1, 2, false, 0, -1, false);
    eng.load(in);
    REQUIRE(eng.exec(insn) == OK);
    const St e = eng.save();
    const St h = host.exec(insn, in);
    n++;
    if ((h.mxcsr & ~in.mxcsr) & 0x10) n_ue++;
    if ((h.mxcsr & ~in.mxcsr) & 0x08) n_oe++;
    if (f ? (h.x[1].d[0] & 0x7fffffffu) == 0x00800000u : (h.x[1].q[0] & ~(1ull << 63)) == (1ull << 52)) n_min++;
    const OpDesc d{op.name, op.pfx, op.opc, VW, 0, false, -1};
    if (!same(e, h, d, insn, in)) {
      bad++;
      char t[64];
      snprintf(t, sizeof t, "a %llx b %llx", (unsigned long long)a, (unsigned long long)b);
      MESSAGE(t);
    }
  }
  MESSAGE("boundaries: " << n << " instructions compared with the host CPU (" << n_ue << " new UE, " << n_oe
                         << " new OE, " << n_min << " results equal to the smallest normal)");
  CHECK(bad == 0);
}
#endif

// =================================================================================================
// 4. digests (every build): fixed random streams per family through the engine, final states
//    hashed. The native build also compares each instruction with the host CPU, so the
//    constants below are hardware results; the wasm build checks it computes the same.
//    GB_SSE_DIGEST_VERBOSE=1 prints per-op digests to find a divergence.
// =================================================================================================
namespace {

struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void add(const void* p, size_t n) {
    const uint8_t* b = (const uint8_t*)p;
    for (size_t k = 0; k < n; k++) h = (h ^ b[k]) * 1099511628211ull;
  }
  void add64(uint64_t v) { add(&v, 8); }
};

uint64_t digest_family(const char* family, const OpDesc* ops, int nops, Kind kind, int n, uint64_t seed) {
  Engine eng;
  Rng r(seed);
  Fnv all;
#ifdef GB_SSE_FORCE_VERBOSE
  const bool verbose = true;
#else
  const bool verbose = getenv("GB_SSE_DIGEST_VERBOSE") != nullptr;
#endif
#ifdef GB_SSE_ORACLE
  Host host;
  int bad = 0;
#endif
  for (int o = 0; o < nops; o++) {
    const OpDesc& d = ops[o];
    Fnv one;
    for (int it = 0; it < n; it++) {
      bool mem = false;
      const Bytes insn = make_insn(r, d, mem);
      const St in = rand_state(r, kind);
      eng.load(in);
      const Outcome oc = eng.exec(insn);
      const St e = eng.save();
      one.add64((uint64_t)oc);
      one.add(e.x, sizeof e.x);
      one.add(e.r, sizeof e.r);
      one.add64(e.flags);
      one.add64(e.mxcsr);
      one.add(e.mem, BUF);
#ifdef GB_SSE_ORACLE
      if (bad < 3 && (oc != OK || !same(e, host.exec(insn, in), d, insn, in))) bad++;
#endif
    }
    if (verbose) printf("digest %s %s %016llx\n", family, d.name, (unsigned long long)one.h);
    all.add64(one.h);
  }
#ifdef GB_SSE_ORACLE
  CHECK(bad == 0);
#endif
  return all.h;
}

#define GB_DIGEST(fam, ops, kind, seed, expect)                                                        \
  do {                                                                                                 \
    const uint64_t got = digest_family(fam, ops, sizeof ops / sizeof ops[0], kind, 200, seed);         \
    char t[80];                                                                                        \
    snprintf(t, sizeof t, "%s digest %016llx", fam, (unsigned long long)got);                          \
    INFO(t);                                                                                           \
    CHECK(got == expect##ull);                                                                         \
  } while (0)

}  // namespace

TEST_CASE("sse digests: moves, arithmetic, compares, conversions, integer SIMD, shuffles") {
  GB_DIGEST("moves", kMoves, K_INT, 1001, 0x5148e1d00e5d4d26);
  GB_DIGEST("float32 arithmetic", kArithF32, K_F32, 1002, 0x85c86a10e869b8fe);
  GB_DIGEST("float64 arithmetic", kArithF64, K_F64, 1003, 0x38bef3a951009906);
  GB_DIGEST("float32 compares", kCmpF32, K_F32, 1004, 0x977cd7409e80b324);
  GB_DIGEST("float64 compares", kCmpF64, K_F64, 1005, 0xc76566f8ece78c9a);
  GB_DIGEST("from float32", kCvtFromF32, K_CVT32, 1006, 0x271d422900340edf);
  GB_DIGEST("from float64", kCvtFromF64, K_CVT64, 1007, 0xfe3dc27bd8d40ff9);
  GB_DIGEST("from integers", kCvtFromInt, K_INT, 1008, 0x9519c6b9be6205c6);
  GB_DIGEST("integer SIMD", kIntSimd, K_INT, 1009, 0x5297c7061cdbf940);
  GB_DIGEST("shuffles", kShuffle, K_INT, 1010, 0x7df50c1213172bd8);
}

// =================================================================================================
// 5. value tables (every build)
// =================================================================================================
TEST_CASE("sse value table: NaN rules, default NaN, min/max, signed zeros") {
  const uint32_t RN = 0x1f80;
  const uint64_t QNAN_A = 0x7ff8000000000abcull, QNAN_B = 0xfff8000000000def, SNAN_A = 0x7ff0000000000123ull,
                 SNAN_B = 0xfff4000000000456ull, ONE = f64(1.0), INF = 0x7ff0000000000000ull;
  // 0/0, inf-inf, 0*inf: the negative default NaN, IE.
  auto s = run_scalar(0xf2, 0x5e, 0, 0, RN);  // divsd 0/0
  CHECK(s.res == 0xfff8000000000000ull);
  CHECK(s.mxcsr == (RN | 0x01));
  s = run_scalar(0xf2, 0x5c, INF, INF, RN);  // subsd inf-inf
  CHECK(s.res == 0xfff8000000000000ull);
  s = run_scalar(0xf3, 0x59, 0, f32(INFINITY), RN);  // mulss 0*inf
  CHECK((uint32_t)s.res == 0xffc00000u);
  s = run_scalar(0xf2, 0x51, 0, f64(-1.0), RN);  // sqrtsd(-1)
  CHECK(s.res == 0xfff8000000000000ull);
  s = run_scalar(0xf2, 0x51, 0, f64(-0.0), RN);  // sqrtsd(-0) = -0, no flags
  CHECK(s.res == f64(-0.0));
  CHECK(s.mxcsr == RN);
  // x/0: ZE and a signed infinity.
  s = run_scalar(0xf2, 0x5e, f64(-3.0), 0, RN);
  CHECK(s.res == 0xfff0000000000000ull);
  CHECK(s.mxcsr == (RN | 0x04));
  // NaN propagation: the first source's NaN wins; an SNaN is quietened and sets IE.
  s = run_scalar(0xf2, 0x58, QNAN_A, QNAN_B, RN);
  CHECK(s.res == QNAN_A);
  CHECK(s.mxcsr == RN);
  s = run_scalar(0xf2, 0x58, ONE, QNAN_B, RN);
  CHECK(s.res == QNAN_B);
  s = run_scalar(0xf2, 0x59, QNAN_A, SNAN_B, RN);
  CHECK(s.res == QNAN_A);
  CHECK(s.mxcsr == (RN | 0x01));
  s = run_scalar(0xf2, 0x5c, SNAN_A, QNAN_B, RN);
  CHECK(s.res == (SNAN_A | 0x0008000000000000ull));
  s = run_scalar(0xf2, 0x5e, ONE, SNAN_B, RN);
  CHECK(s.res == (SNAN_B | 0x0008000000000000ull));
  s = run_scalar(0xf3, 0x58, 0x7f800001u, 0xffc00000u, RN);  // addss SNaN + QNaN -> quiet first
  CHECK((uint32_t)s.res == 0x7fc00001u);
  // min/max: the second operand when either is a NaN (unchanged, even an SNaN) or both are zero.
  s = run_scalar(0xf2, 0x5d, QNAN_A, ONE, RN);
  CHECK(s.res == ONE);
  CHECK(s.mxcsr == (RN | 0x01));
  s = run_scalar(0xf2, 0x5f, ONE, SNAN_B, RN);
  CHECK(s.res == SNAN_B);
  s = run_scalar(0xf2, 0x5d, f64(-0.0), 0, RN);
  CHECK(s.res == 0);
  s = run_scalar(0xf2, 0x5f, 0, f64(-0.0), RN);
  CHECK(s.res == f64(-0.0));
  s = run_scalar(0xf2, 0x5d, f64(-2.0), f64(5.0), RN);
  CHECK(s.res == f64(-2.0));
  s = run_scalar(0xf3, 0x5f, f32(-2.0f), f32(5.0f), RN);
  CHECK((uint32_t)s.res == f32(5.0f));
  // x - x is +0, and -0 when rounding down.
  s = run_scalar(0xf2, 0x5c, f64(1.5), f64(1.5), RN);
  CHECK(s.res == 0);
  s = run_scalar(0xf2, 0x5c, f64(1.5), f64(1.5), RN | 0x2000);
  CHECK(s.res == f64(-0.0));
  s = run_scalar(0xf2, 0x58, f64(-0.0), f64(-0.0), RN);
  CHECK(s.res == f64(-0.0));
  // Exact results leave PE clear, inexact ones set it.
  s = run_scalar(0xf2, 0x58, f64(1.5), f64(2.25), RN);
  CHECK(s.res == f64(3.75));
  CHECK(s.mxcsr == RN);
  s = run_scalar(0xf2, 0x5e, ONE, f64(3.0), RN);
  CHECK(s.res == f64(1.0 / 3.0));
  CHECK(s.mxcsr == (RN | 0x20));
}

TEST_CASE("sse value table: rounding modes, overflow, underflow, FTZ, DAZ") {
  const uint32_t RN = 0x1f80, RD = 0x3f80, RU = 0x5f80, RZ = 0x7f80;
  const uint64_t third = f64(1.0 / 3.0);
  // 1/3 in each rounding mode.
  CHECK(run_scalar(0xf2, 0x5e, f64(1.0), f64(3.0), RN).res == third);
  CHECK(run_scalar(0xf2, 0x5e, f64(1.0), f64(3.0), RD).res == third);
  CHECK(run_scalar(0xf2, 0x5e, f64(1.0), f64(3.0), RU).res == third + 1);
  CHECK(run_scalar(0xf2, 0x5e, f64(1.0), f64(3.0), RZ).res == third);
  CHECK(run_scalar(0xf2, 0x5e, f64(-1.0), f64(3.0), RD).res == (third | 0x8000000000000000ull) + 1);
  CHECK(run_scalar(0xf2, 0x5e, f64(-1.0), f64(3.0), RZ).res == (third | 0x8000000000000000ull));
  // 1 + 2^-60 rounds up only in RU.
  CHECK(run_scalar(0xf2, 0x58, f64(1.0), f64(std::ldexp(1.0, -60)), RU).res == f64(1.0) + 1);
  CHECK(run_scalar(0xf2, 0x58, f64(1.0), f64(std::ldexp(1.0, -60)), RN).res == f64(1.0));
  // Overflow: inf in RN, the largest finite value toward zero; OE and PE.
  auto s = run_scalar(0xf2, 0x59, f64(1e300), f64(1e300), RN);
  CHECK(s.res == 0x7ff0000000000000ull);
  CHECK(s.mxcsr == (RN | 0x28));
  CHECK(run_scalar(0xf2, 0x59, f64(1e300), f64(1e300), RZ).res == 0x7fefffffffffffffull);
  CHECK(run_scalar(0xf2, 0x59, f64(-1e300), f64(1e300), RU).res == 0xffefffffffffffffull);
  CHECK(run_scalar(0xf2, 0x59, f64(-1e300), f64(1e300), RD).res == 0xfff0000000000000ull);
  // Underflow: a denormal result that is inexact sets UE and PE; exact denormals set nothing.
  s = run_scalar(0xf2, 0x59, f64(std::ldexp(1.0, -1000)), f64(std::ldexp(1.1, -60)), RN);
  CHECK(s.mxcsr == (RN | 0x30));
  s = run_scalar(0xf2, 0x59, f64(std::ldexp(1.0, -1000)), f64(std::ldexp(1.0, -60)), RN);
  CHECK(s.res == 0x0000000000004000ull);  // 2^-1060 = 2^14 * 2^-1074
  CHECK(s.mxcsr == RN);
  // FTZ: the tiny result becomes +0 with UE and PE.
  s = run_scalar(0xf2, 0x59, f64(std::ldexp(1.0, -1000)), f64(std::ldexp(1.0, -60)), RN | 0x8000);
  CHECK(s.res == 0);
  CHECK(s.mxcsr == (RN | 0x8000 | 0x30));
  // A denormal operand sets DE; DAZ treats it as zero instead.
  s = run_scalar(0xf2, 0x58, f64(1.0), 1, RN);
  CHECK(s.res == f64(1.0));
  CHECK(s.mxcsr == (RN | 0x22));
  s = run_scalar(0xf2, 0x58, f64(1.0), 1, RN | 0x40);
  CHECK(s.res == f64(1.0));
  CHECK(s.mxcsr == (RN | 0x40));
  // double -> float rounding.
  CHECK((uint32_t)run_scalar(0xf2, 0x5a, 0, f64(0.1), RN).res == f32(0.1f));
  CHECK((uint32_t)run_scalar(0xf2, 0x5a, 0, f64(0.1), RD).res == f32(0.1f) - 1);
  CHECK((uint32_t)run_scalar(0xf2, 0x5a, 0, 0x7ff4000012345678ull, RN).res == 0x7fe00000u);  // SNaN quietened, payload top
  // int64 -> float/double rounding (2^62 + 1 is not representable).
  Engine e;
  e.c.r[RAX] = (1ull << 62) + 1;
  for (uint32_t m : {RN, RD, RU, RZ}) {
    e.c.mxcsr = m;
    REQUIRE(e.exec(enc(0xf2, 0x2a, 0, RAX, false, 0, -1, true)) == OK);  // cvtsi2sd xmm0, rax
    CHECK(e.c.xmm[0].q[0] == (m == RU ? f64(std::ldexp(1.0, 62)) + 1 : f64(std::ldexp(1.0, 62))));
    CHECK((e.c.mxcsr & 0x20) != 0);
  }
}

TEST_CASE("sse value table: float -> integer, integer indefinite, rounding per RC") {
  const uint32_t RN = 0x1f80, RD = 0x3f80, RU = 0x5f80, RZ = 0x7f80;
  struct Row { double v; uint32_t mx; bool trunc; bool w; uint64_t expect; uint32_t flags; };
  const Row rows[] = {
      {2.5, RN, false, false, 2, 0x20},   {3.5, RN, false, false, 4, 0x20},  {-2.5, RN, false, false, (uint32_t)-2, 0x20},
      {2.5, RD, false, false, 2, 0x20},   {2.5, RU, false, false, 3, 0x20},  {-2.5, RZ, false, false, (uint32_t)-2, 0x20},
      {-2.5, RD, false, false, (uint32_t)-3, 0x20}, {2.7, RN, true, false, 2, 0x20}, {-2.7, RU, true, false, (uint32_t)-2, 0x20},
      {7.0, RN, false, false, 7, 0},      {2147483647.0, RN, false, false, 0x7fffffff, 0},
      {2147483648.0, RN, false, false, 0x80000000, 0x01}, {-2147483648.0, RN, false, false, 0x80000000, 0},
      {-2147483648.5, RN, true, false, 0x80000000, 0x20}, {-2147483649.0, RN, true, false, 0x80000000, 0x01},
      {NAN, RN, false, false, 0x80000000, 0x01}, {INFINITY, RN, true, true, 0x8000000000000000ull, 0x01},
      {9223372036854775808.0, RN, true, true, 0x8000000000000000ull, 0x01},
      {-9223372036854775808.0, RN, true, true, 0x8000000000000000ull, 0},
      {1e18, RN, false, true, 1000000000000000000ull, 0}, {-0.5, RU, false, true, 0, 0x20},
      {0.25, RU, false, true, 1, 0x20},
  };
  for (const Row& r : rows) {
    const Scalar s = run_to_int(0xf2, r.trunc ? 0x2c : 0x2d, f64(r.v), r.mx, r.w);
    CAPTURE(r.v);
    CAPTURE(r.mx);
    REQUIRE(s.oc == OK);
    CHECK(s.res == r.expect);  // a 32-bit destination is zero-extended
    CHECK((s.mxcsr & 0x3f) == r.flags);
  }
  // Single precision, both widths.
  CHECK(run_to_int(0xf3, 0x2d, f32(-1.5f), RN, false).res == (uint32_t)-2);
  CHECK(run_to_int(0xf3, 0x2c, f32(3e9f), RN, false).res == 0x80000000u);
  CHECK(run_to_int(0xf3, 0x2c, f32(3e9f), RN, true).res == 3000000000ull);
}

TEST_CASE("sse value table: compares and comis flags") {
  const uint32_t RN = 0x1f80;
  const uint64_t QN = 0x7ff8000000000000ull, SN = 0x7ff0000000000001ull;
  // cmpsd predicates on (1, 2), (2, 2), (NaN, 2).
  const bool lt12[8] = {false, true, true, false, true, false, false, true};
  const bool eq22[8] = {true, false, true, false, false, true, false, true};
  const bool un[8] = {false, false, false, true, true, true, true, false};
  for (int p = 0; p < 8; p++) {
    CHECK((run_scalar(0xf2, 0xc2, f64(1), f64(2), RN, p).res != 0) == lt12[p]);
    CHECK((run_scalar(0xf2, 0xc2, f64(2), f64(2), RN, p).res != 0) == eq22[p]);
    const Scalar s = run_scalar(0xf2, 0xc2, QN, f64(2), RN, p);
    CHECK((s.res != 0) == un[p]);
    CHECK(s.res == (un[p] ? ~0ull : 0));
    const bool signals = (p & 3) == 1 || (p & 3) == 2;
    CHECK((s.mxcsr & 1) == (signals ? 1u : 0u));
  }
  // comisd / ucomisd.
  auto s = run_scalar(0x66, 0x2f, f64(1), f64(2), RN);
  CHECK(s.flags == FL_CF);
  s = run_scalar(0x66, 0x2f, f64(2), f64(2), RN);
  CHECK(s.flags == FL_ZF);
  s = run_scalar(0x66, 0x2f, f64(3), f64(2), RN);
  CHECK(s.flags == 0);
  s = run_scalar(0x66, 0x2e, QN, f64(2), RN);
  CHECK(s.flags == (FL_ZF | FL_PF | FL_CF));
  CHECK(s.mxcsr == RN);  // ucomisd: a QNaN does not signal
  s = run_scalar(0x66, 0x2f, QN, f64(2), RN);
  CHECK(s.mxcsr == (RN | 1));  // comisd does
  s = run_scalar(0x66, 0x2e, SN, f64(2), RN);
  CHECK(s.mxcsr == (RN | 1));
  s = run_scalar(0, 0x2e, f32(-0.0f), f32(0.0f), RN);  // ucomiss -0 == +0
  CHECK(s.flags == FL_ZF);
}

TEST_CASE("sse value table: integer SIMD and shuffles") {
  Engine e;
  auto set = [&](int x, uint64_t lo, uint64_t hi) { e.c.xmm[x].q[0] = lo; e.c.xmm[x].q[1] = hi; };
  // paddsb / psubusb / pmaddwd / psadbw / pavgb
  set(1, 0x7f80017f80017f80ull, 0x0102030405060708ull);
  set(2, 0x0101ff01ff01ff01ull, 0x0807060504030201ull);
  REQUIRE(e.exec(enc(0x66, 0xec, 1, 2, false, 0, -1, false)) == OK);  // paddsb
  CHECK(e.c.xmm[1].q[0] == 0x7f81007f80027e81ull);
  set(1, 0x8000800080008000ull, 0x0001000200030004ull);
  set(2, 0x8000800080008000ull, 0xffff0001ffff0001ull);
  REQUIRE(e.exec(enc(0x66, 0xf5, 1, 2, false, 0, -1, false)) == OK);  // pmaddwd
  CHECK(e.c.xmm[1].q[0] == 0x8000000080000000ull);
  CHECK(e.c.xmm[1].d[2] == 1u);                 // 2*1 + 1*-1
  CHECK(e.c.xmm[1].d[3] == 1u);                 // 4*1 + 3*-1
  set(1, 0x00ff00ff00ff00ffull, 0);
  set(2, 0xff00ff00ff00ff00ull, 0x0101010101010101ull);
  REQUIRE(e.exec(enc(0x66, 0xf6, 1, 2, false, 0, -1, false)) == OK);  // psadbw
  CHECK(e.c.xmm[1].q[0] == 8 * 255);
  CHECK(e.c.xmm[1].q[1] == 8);
  // shifts: counts >= width clear (logical) or fill with the sign (arithmetic)
  set(3, 0x8000400020001000ull, 0xffff0000ffff0000ull);
  REQUIRE(e.exec(enc(0x66, 0x71, 4, 3, false, 0, 40, false)) == OK);  // psraw xmm3, 40
  CHECK(e.c.xmm[3].q[0] == 0xffff000000000000ull);
  REQUIRE(e.exec(enc(0x66, 0x73, 7, 3, false, 0, 3, false)) == OK);  // pslldq xmm3, 3
  CHECK(e.c.xmm[3].q[0] == 0x0000000000000000ull);
  CHECK(e.c.xmm[3].q[1] == 0x00ffff0000ffff00ull);
  REQUIRE(e.exec(enc(0x66, 0x73, 3, 3, false, 0, 20, false)) == OK);  // psrldq xmm3, 20
  CHECK(e.c.xmm[3].q[0] == 0);
  CHECK(e.c.xmm[3].q[1] == 0);
  // pshufd reverse, packuswb saturation, pmovmskb
  set(4, 0x0000000100000000ull, 0x0000000300000002ull);
  REQUIRE(e.exec(enc(0x66, 0x70, 5, 4, false, 0, 0x1b, false)) == OK);
  CHECK(e.c.xmm[5].q[0] == 0x0000000200000003ull);
  CHECK(e.c.xmm[5].q[1] == 0x0000000000000001ull);
  set(6, 0xff80007f01000100ull, 0x8000ffff7fff0100ull);
  REQUIRE(e.exec(enc(0x66, 0x67, 6, 6, false, 0, -1, false)) == OK);  // packuswb
  CHECK(e.c.xmm[6].q[0] == 0x0000ffff007fffffull);
  set(7, 0x8000000000000080ull, 0x0000000000008000ull);
  e.c.r[RCX] = ~0ull;
  REQUIRE(e.exec(enc(0x66, 0xd7, RCX, 7, false, 0, -1, false)) == OK);  // pmovmskb ecx, xmm7
  CHECK(e.c.r[RCX] == 0x281u);
  // pinsrw/pextrw
  e.c.r[RDX] = 0x12345678abcdull;
  REQUIRE(e.exec(enc(0x66, 0xc4, 7, RDX, false, 0, 13, false)) == OK);  // pinsrw xmm7, edx, 5 (13 & 7)
  CHECK(e.c.xmm[7].w[5] == 0xabcd);
  REQUIRE(e.exec(enc(0x66, 0xc5, RBX, 7, false, 0, 5, false)) == OK);  // pextrw ebx, xmm7, 5
  CHECK(e.c.r[RBX] == 0xabcd);
}

TEST_CASE("sse memory: alignment faults, partial-lane stores, movd/movq zero-extension, page faults") {
  Engine e;
  e.c.r[RSI] = DATA;
  e.c.xmm[1].q[0] = 0x1122334455667788ull;
  e.c.xmm[1].q[1] = 0x99aabbccddeeff00ull;
  // movaps / movdqa / addps / pshufd with a misaligned m128: #GP, nothing written.
  CHECK(e.exec(enc(0, 0x29, 1, RSI, true, 8, -1, false)) == GP);
  CHECK(e.exec(enc(0x66, 0x6f, 2, RSI, true, 4, -1, false)) == GP);
  CHECK(e.exec(enc(0, 0x58, 2, RSI, true, 1, -1, false)) == GP);
  CHECK(e.exec(enc(0x66, 0x70, 2, RSI, true, 12, 0, false)) == GP);
  CHECK(e.exec(enc(0x66, 0x60, 2, RSI, true, 8, -1, false)) == GP);  // punpcklbw m128 too
  uint8_t z[32];
  e.as.read_bytes(DATA, z, 32);
  for (uint8_t b : z) CHECK(b == 0);
  // movups / movdqu / scalar forms accept any alignment.
  CHECK(e.exec(enc(0, 0x11, 1, RSI, true, 3, -1, false)) == OK);
  uint64_t q[2];
  e.as.read_bytes(DATA + 3, q, 16);
  CHECK(q[0] == e.c.xmm[1].q[0]);
  CHECK(q[1] == e.c.xmm[1].q[1]);
  CHECK(e.exec(enc(0xf2, 0x58, 3, RSI, true, 5, -1, false)) == OK);
  // movss load zeroes the upper lanes, register form merges.
  e.c.xmm[4].q[0] = e.c.xmm[4].q[1] = ~0ull;
  CHECK(e.exec(enc(0xf3, 0x10, 4, RSI, true, 3, -1, false)) == OK);
  CHECK(e.c.xmm[4].q[0] == 0x55667788ull);
  CHECK(e.c.xmm[4].q[1] == 0);
  e.c.xmm[4].q[0] = e.c.xmm[4].q[1] = ~0ull;
  CHECK(e.exec(enc(0xf3, 0x10, 4, 1, false, 0, -1, false)) == OK);
  CHECK(e.c.xmm[4].q[0] == 0xffffffff55667788ull);
  CHECK(e.c.xmm[4].q[1] == ~0ull);
  // movd r32 zero-extends into the 64-bit register; movq xmm, r64 zeroes the upper lane.
  e.c.r[RAX] = ~0ull;
  CHECK(e.exec(enc(0x66, 0x7e, 1, RAX, false, 0, -1, false)) == OK);
  CHECK(e.c.r[RAX] == 0x55667788ull);
  e.c.r[RBX] = 0x0123456789abcdefull;
  CHECK(e.exec(enc(0x66, 0x6e, 5, RBX, false, 0, -1, true)) == OK);
  CHECK(e.c.xmm[5].q[0] == 0x0123456789abcdefull);
  CHECK(e.c.xmm[5].q[1] == 0);
  // A 16-byte store that crosses into an unmapped page faults and writes nothing.
  const uint64_t edge = DATA + 2 * PAGE - 8;
  e.c.r[RDI] = edge;
  uint64_t before = 0;
  e.as.read_bytes(edge, &before, 8);
  CHECK(e.exec(enc(0xf3, 0x7f, 1, RDI, true, 0, -1, false)) == PF);  // movdqu [rdi], xmm1
  uint64_t after = 1;
  e.as.read_bytes(edge, &after, 8);
  CHECK(after == before);
  // ldmxcsr with reserved bits: #GP, MXCSR unchanged.
  const uint32_t bad = 0x10000 | 0x1f80;
  e.as.write_bytes(DATA + 64, &bad, 4);
  e.c.mxcsr = 0x1f80;
  CHECK(e.exec(enc(0, 0xae, 2, RSI, true, 64, -1, false)) == GP);
  CHECK(e.c.mxcsr == 0x1f80);
  // Encodings that are not SSE2 (MMX paddb, SSE3 movddup) are #UD.
  CHECK(e.exec(enc(0, 0xfc, 1, 2, false, 0, -1, false)) == ILL);
  CHECK(e.exec(enc(0xf2, 0x12, 1, 2, false, 0, -1, false)) == ILL);
  CHECK(e.exec(enc(0x66, 0x71, 3, 2, false, 0, 1, false)) == ILL);  // group 12 /3 does not exist
}

TEST_CASE("sse unmasked exceptions raise SIGFPE without writing the destination") {
  Engine e;
  e.c.xmm[1].g[0] = 1.0;
  e.c.xmm[2].g[0] = 0.0;
  e.c.mxcsr = 0x1f80 & ~0x200;  // ZM clear
  int code = 0;
  CHECK(e.exec(enc(0xf2, 0x5e, 1, 2, false, 0, -1, false), nullptr, &code) == FPE);  // divsd
  CHECK(code == 3);                  // FPE_FLTDIV
  CHECK(e.c.xmm[1].g[0] == 1.0);     // unchanged
  CHECK((e.c.mxcsr & 0x04) != 0);    // the flag is set
  e.c.mxcsr = 0x1f80 & ~0x80;        // IM clear
  e.c.xmm[2].q[0] = 0x7ff0000000000001ull;
  CHECK(e.exec(enc(0xf2, 0x58, 1, 2, false, 0, -1, false), nullptr, &code) == FPE);
  CHECK(code == 7);                  // FPE_FLTINV
  e.c.mxcsr = 0x1f80 & ~0x1000;      // PM clear: an inexact conversion traps
  e.c.xmm[2].g[0] = 2.5;
  CHECK(e.exec(enc(0xf2, 0x2d, RAX, 2, false, 0, -1, false), nullptr, &code) == FPE);
  CHECK(code == 6);                  // FPE_FLTRES
}

TEST_CASE("sse through run(): a loop summing doubles and counting bytes") {
  // rsi -> 8 doubles; computes their sum with addsd, converts with cvttsd2si, counts
  // bytes equal to 'a' in 16 bytes with pcmpeqb/pmovmskb/popcnt-free bit loop, then hlt.
  Engine e;
  const double vals[8] = {0.5, 1.25, -3.0, 10.0, 1e-3, 2.0, 0.25, 100.0};
  e.as.write_bytes(DATA, vals, sizeof vals);
  const char text[17] = "banana and a cat";
  e.as.write_bytes(DATA + 64, text, 16);
  const uint8_t prog[] = {
      0x66, 0x0f, 0xef, 0xc0,                    // pxor xmm0, xmm0
      0xb9, 0x08, 0x00, 0x00, 0x00,              // mov ecx, 8
      0x31, 0xc0,                                // xor eax, eax
      // loop:
      0xf2, 0x0f, 0x58, 0x04, 0xc6,              // addsd xmm0, [rsi + rax*8]
      0x48, 0xff, 0xc0,                          // inc rax
      0xff, 0xc9,                                // dec ecx
      0x75, 0xf4,                                // jnz loop
      0xf2, 0x48, 0x0f, 0x2c, 0xd8,              // cvttsd2si rbx, xmm0
      0xb8, 0x61, 0x61, 0x61, 0x61,              // mov eax, 0x61616161
      0x66, 0x0f, 0x6e, 0xc8,                    // movd xmm1, eax
      0x66, 0x0f, 0x70, 0xc9, 0x00,              // pshufd xmm1, xmm1, 0
      0xf3, 0x0f, 0x6f, 0x56, 0x40,              // movdqu xmm2, [rsi+64]
      0x66, 0x0f, 0x74, 0xd1,                    // pcmpeqb xmm2, xmm1
      0x66, 0x0f, 0xd7, 0xd2,                    // pmovmskb edx, xmm2
      0xf4,                                      // hlt (ends the run with #GP)
  };
  e.as.write_bytes(CODE, prog, sizeof prog);
  e.c.rip = CODE;
  e.c.r[RSI] = DATA;
  BlockCache bc;
  const CpuException ex = run(e.c, bc, 1000);
  CHECK(ex.kind == CpuException::GP);
  CHECK(e.c.rip == CODE + sizeof prog - 1);
  double sum = 0;
  for (double v : vals) sum += v;
  CHECK(e.c.xmm[0].g[0] == sum);
  CHECK(e.c.r[RBX] == (uint64_t)(int64_t)sum);
  uint32_t mask = 0;
  for (int k = 0; k < 16; k++) mask |= (text[k] == 'a' ? 1u : 0u) << k;
  CHECK(e.c.r[RDX] == mask);
}

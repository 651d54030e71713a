// tests/jit/sse.c — the SSE2 forms the JIT compiles inline (vm/jit/compile_sse.cpp),
// differential: prints hashes of every result's bits and of MXCSR after it, which must
// equal the host's with --jit always, on and off (tests/jit/run.sh).
//
// Each op runs on a few thousand operand pairs: every pair of a pool of special values
// (zeros of both signs, denormals, DBL_MIN and its neighbours, DBL_MAX, infinities, quiet
// and signalling NaNs with payloads and both signs, values whose sums/products/quotients
// overflow or underflow), in both orders, then random values; each pair under every MXCSR
// mode below (set by ldmxcsr just before the op: each rounding mode, FTZ, DAZ, PE clear
// and set, status flags already set). The op's code is hot (thousands of runs), so --jit
// on compiles it too. Register and memory operand forms both.
//   sse [N]    N random pairs per op after the special ones (default 1500)
#include <emmintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const unsigned kModes[] = {0x1f80, 0x1fa0, 0x1fbf, 0x3fa0, 0x5fa0, 0x7fa0, 0x5f80,
                                  0x9fa0, 0x1fe0, 0x9fe0, 0x1f81, 0x9f80};
#define NMODES (int)(sizeof kModes / sizeof kModes[0])

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

static uint64_t hashes[NMODES];
static void mix(int m, uint64_t v) { hashes[m] = (hashes[m] ^ v) * 0x100000001b3ull + 0x9e37; }

static unsigned get_mx(void) { unsigned m; __asm__ volatile("stmxcsr %0" : "=m"(m)); return m; }
static void set_mx(unsigned m) { __asm__ volatile("ldmxcsr %0" : : "m"(m)); }

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double dval(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float fval(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static const uint64_t dspecial[] = {
    0, 0x8000000000000000ull,                                   // +0 -0
    1, 0x800fffffffffffffull, 0x0008000000000000ull,            // denormals
    0x0010000000000000ull, 0x8010000000000001ull, 0x001fffffffffffffull,  // DBL_MIN and around
    0x7fefffffffffffffull, 0xffefffffffffffffull,               // DBL_MAX
    0x7ff0000000000000ull, 0xfff0000000000000ull,               // inf
    0x7ff8000000000000ull, 0xfff8000000000001ull, 0x7ffc00000000beefull,  // QNaN
    0x7ff0000000000001ull, 0xfff4000000001234ull,               // SNaN
    0x3ff0000000000000ull, 0xbff0000000000000ull, 0x4008000000000000ull,  // 1 -1 3
    0x7e37e43c8800759cull, 0x01a56e1fc2f8f359ull, 0x5fe0000000000000ull, 0x2000000000000000ull,  // 1e300 1e-300 2^511 2^-511
    0x3ff000001ad7f29bull, 0x3fb999999999999aull, 0xc34fffffffffffffull,  // 1.0000001, 0.1, -2^53+...
    0x41dfffffffc00000ull, 0xc1e0000000200000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,  // int edges
};
#define NDS (int)(sizeof dspecial / sizeof dspecial[0])
static const uint32_t fspecial[] = {
    0, 0x80000000u, 1, 0x807fffffu, 0x00400000u, 0x00800000u, 0x80800001u, 0x00ffffffu,
    0x7f7fffffu, 0xff7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u, 0x7fe0beefu,
    0x7f800001u, 0xffa01234u, 0x3f800000u, 0xbf800000u, 0x40400000u, 0x7e967699u, 0x0DA24260u,
    0x5f000000u, 0x20000000u, 0x3f800001u, 0x3dcccccdu, 0x4effffffu, 0xcf000000u, 0x5f000000u, 0xdf000000u,
};
#define NFS (int)(sizeof fspecial / sizeof fspecial[0])

static uint64_t rand_d(void) {
  const uint64_t r = rnd();
  switch (r & 7) {
    case 0: return dspecial[(r >> 8) % NDS];
    case 1: return rnd() & 0x800fffffffffffffull;                            // denormal
    case 2: return (rnd() & 0x800fffffffffffffull) | ((uint64_t)(1 + (r >> 8) % 60) << 52);   // tiny normal
    case 3: return (rnd() & 0x800fffffffffffffull) | ((uint64_t)(0x7fe - (r >> 8) % 60) << 52);  // huge
    default: return (rnd() & 0x800fffffffffffffull) | ((uint64_t)(0x3ff - 40 + (r >> 8) % 80) << 52);  // ordinary
  }
}
static uint32_t rand_f(void) {
  const uint64_t r = rnd();
  switch (r & 7) {
    case 0: return fspecial[(r >> 8) % NFS];
    case 1: return (uint32_t)rnd() & 0x807fffffu;
    case 2: return ((uint32_t)rnd() & 0x807fffffu) | (uint32_t)(1 + (r >> 8) % 20) << 23;
    case 3: return ((uint32_t)rnd() & 0x807fffffu) | (uint32_t)(0xfe - (r >> 8) % 20) << 23;
    default: return ((uint32_t)rnd() & 0x807fffffu) | (uint32_t)(0x7f - 20 + (r >> 8) % 40) << 23;
  }
}

// ---- the ops: one function each, result bits out (flags for the compares) ----
#define SD_BIN(name, insn)                                                                      \
  static uint64_t name##_r(uint64_t a, uint64_t b) {                                            \
    double x = dval(a), y = dval(b);                                                            \
    __asm__ volatile(insn " %1, %0" : "+x"(x) : "x"(y));                                        \
    return dbits(x);                                                                            \
  }                                                                                             \
  static uint64_t name##_m(uint64_t a, uint64_t b) {                                            \
    double x = dval(a), y = dval(b);                                                            \
    __asm__ volatile(insn " %1, %0" : "+x"(x) : "m"(y));                                        \
    return dbits(x);                                                                            \
  }
SD_BIN(addsd, "addsd") SD_BIN(subsd, "subsd") SD_BIN(mulsd, "mulsd") SD_BIN(divsd, "divsd")
SD_BIN(sqrtsd, "sqrtsd")
#define SS_BIN(name, insn)                                                                      \
  static uint64_t name##_r(uint64_t a, uint64_t b) {                                            \
    float x = fval((uint32_t)a), y = fval((uint32_t)b);                                         \
    __asm__ volatile(insn " %1, %0" : "+x"(x) : "x"(y));                                        \
    return fbits(x);                                                                            \
  }                                                                                             \
  static uint64_t name##_m(uint64_t a, uint64_t b) {                                            \
    float x = fval((uint32_t)a), y = fval((uint32_t)b);                                         \
    __asm__ volatile(insn " %1, %0" : "+x"(x) : "m"(y));                                        \
    return fbits(x);                                                                            \
  }
SS_BIN(addss, "addss") SS_BIN(subss, "subss") SS_BIN(mulss, "mulss") SS_BIN(divss, "divss")
SS_BIN(sqrtss, "sqrtss")
// packed: lane 0 = (a, b), lane 1 = (b, a)
#define PD_BIN(name, insn)                                                                      \
  static uint64_t name##_r(uint64_t a, uint64_t b) {                                            \
    __m128d x = _mm_set_pd(dval(b), dval(a)), y = _mm_set_pd(dval(a), dval(b));               \
    __asm__ volatile(insn " %1, %0" : "+x"(x) : "x"(y));                                        \
    uint64_t o[2]; memcpy(o, &x, 16); return o[0] * 31 + o[1];                                  \
  }                                                                                             \
  static uint64_t name##_m(uint64_t a, uint64_t b) {                                            \
    __m128d x = _mm_set_pd(dval(b), dval(a)), y = _mm_set_pd(dval(a), dval(b));               \
    __asm__ volatile(insn " %1, %0" : "+x"(x) : "m"(y));                                        \
    uint64_t o[2]; memcpy(o, &x, 16); return o[0] * 31 + o[1];                                  \
  }
PD_BIN(addpd, "addpd") PD_BIN(subpd, "subpd") PD_BIN(mulpd, "mulpd")
PD_BIN(andpd, "andpd") PD_BIN(andnpd, "andnpd") PD_BIN(orps, "orps") PD_BIN(xorpd, "xorpd") PD_BIN(pxor, "pxor")
// conversions: the integer is a's bits (64) or its low half (32)
static uint64_t cvtsi2sdl_r(uint64_t a, uint64_t b) {
  double x = dval(b); int32_t v = (int32_t)a;
  __asm__ volatile("cvtsi2sdl %1, %0" : "+x"(x) : "r"(v)); return dbits(x);
}
static uint64_t cvtsi2sdq_r(uint64_t a, uint64_t b) {
  double x = dval(b); int64_t v = (int64_t)a >> (a & 63);
  __asm__ volatile("cvtsi2sdq %1, %0" : "+x"(x) : "r"(v)); return dbits(x);
}
static uint64_t cvtsi2sdq_m(uint64_t a, uint64_t b) {
  double x = dval(b); int64_t v = (int64_t)a >> (b & 63);
  __asm__ volatile("cvtsi2sdq %1, %0" : "+x"(x) : "m"(v)); return dbits(x);
}
static uint64_t cvtsi2ssl_r(uint64_t a, uint64_t b) {
  float x = fval((uint32_t)b); int32_t v = (int32_t)a >> (b & 31);
  __asm__ volatile("cvtsi2ssl %1, %0" : "+x"(x) : "r"(v)); return fbits(x);
}
static uint64_t cvtsi2ssq_r(uint64_t a, uint64_t b) {
  float x = fval((uint32_t)b); int64_t v = (int64_t)a >> (b & 63);
  __asm__ volatile("cvtsi2ssq %1, %0" : "+x"(x) : "r"(v)); return fbits(x);
}
static uint64_t cvttsd2sil_r(uint64_t a, uint64_t b) {
  int32_t r = (int32_t)b; double x = dval(a);
  __asm__ volatile("cvttsd2si %1, %0" : "=r"(r) : "x"(x)); return (uint32_t)r;
}
static uint64_t cvttsd2siq_m(uint64_t a, uint64_t b) {
  int64_t r = (int64_t)b; double x = dval(a);
  __asm__ volatile("cvttsd2si %1, %0" : "=r"(r) : "m"(x)); return (uint64_t)r;
}
static uint64_t cvttss2sil_r(uint64_t a, uint64_t b) {
  int32_t r = (int32_t)b; float x = fval((uint32_t)a);
  __asm__ volatile("cvttss2si %1, %0" : "=r"(r) : "x"(x)); return (uint32_t)r;
}
static uint64_t cvttss2siq_r(uint64_t a, uint64_t b) {
  int64_t r = (int64_t)b; float x = fval((uint32_t)a);
  __asm__ volatile("cvttss2si %1, %0" : "=r"(r) : "x"(x)); return (uint64_t)r;
}
// compares: every arithmetic flag (pushf), and each jcc right after (the fused form)
#define CMP_FL(name, insn, T, cv)                                                               \
  static uint64_t name##_fl(uint64_t a, uint64_t b) {                                           \
    T x = cv(a), y = cv(b); uint64_t f;                                                         \
    __asm__ volatile("cmp %1, %1\n\t" insn " %2, %3\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(a), "x"(y), "x"(x) : "cc"); \
    return f & 0x8d5;                                                                           \
  }                                                                                             \
  static uint64_t name##_j(uint64_t a, uint64_t b) {                                            \
    T x = cv(a), y = cv(b); uint64_t r = 0;                                                     \
    __asm__ volatile(insn " %1, %2\n\tja 1f\n\tor $1, %0\n1:\n\t"                             \
                     insn " %1, %2\n\tjb 1f\n\tor $2, %0\n1:\n\t"                              \
                     insn " %1, %2\n\tje 1f\n\tor $4, %0\n1:\n\t"                              \
                     insn " %1, %2\n\tjp 1f\n\tor $8, %0\n1:\n\t"                              \
                     insn " %1, %2\n\tjbe 1f\n\tor $16, %0\n1:\n\t"                            \
                     insn " %1, %2\n\tjae 1f\n\tor $32, %0\n1:\n\t"                            \
                     insn " %1, %2\n\tjne 1f\n\tor $64, %0\n1:\n\t"                            \
                     insn " %1, %2\n\tjs 1f\n\tor $128, %0\n1:\n\t"                            \
                     : "+r"(r) : "x"(y), "x"(x) : "cc");                                       \
    return r;                                                                                   \
  }
static float fcv(uint64_t a) { return fval((uint32_t)a); }
CMP_FL(ucomisd, "ucomisd", double, dval) CMP_FL(comisd, "comisd", double, dval)
CMP_FL(ucomiss, "ucomiss", float, fcv) CMP_FL(comiss, "comiss", float, fcv)
// moves through memory and registers
static uint64_t moves_r(uint64_t a, uint64_t b) {
  __m128d x = _mm_set_pd(dval(b), dval(a)), y, z; double s; uint64_t g = a; float t = fval((uint32_t)b);
  __asm__ volatile("movapd %4, %1\n\tmovaps %1, %2\n\tmovsd %2, %0\n\tmovq %2, %3\n\tmovd %3, %1\n\tmovss %5, %1"
                   : "=&x"(s), "=&x"(y), "=&x"(z), "+r"(g) : "x"(x), "x"(t));
  uint64_t o[2]; memcpy(o, &y, 16);
  return dbits(s) ^ o[0] * 7 ^ o[1] * 13 ^ g;
}
static uint64_t moves_m(uint64_t a, uint64_t b) {
  double in[2] __attribute__((aligned(16))) = {dval(a), dval(b)}, out[6] __attribute__((aligned(16))) = {0};
  __asm__ volatile("movapd %1, %%xmm5\n\tmovups %%xmm5, %0\n\tmovsd 8+%1, %%xmm6\n\tmovsd %%xmm6, 16+%0\n\t"
                   "movss %1, %%xmm7\n\tmovss %%xmm7, 24+%0\n\tmovq 8+%1, %%xmm7\n\tmovq %%xmm7, 28+%0"
                   : "=m"(out) : "m"(in) : "xmm5", "xmm6", "xmm7", "memory");
  uint64_t o[6]; memcpy(o, out, 48);
  return o[0] ^ o[1] * 3 ^ o[2] * 5 ^ o[3] * 7 ^ o[4] * 11;
}

// A chain of dependent double ops in one block: the compiler skips the denormal test of an
// operand it knows is not one (a guarded result, a copy of one, an integer converted, a
// zero); a result a handler left denormal must leave the region or be tested again.
static uint64_t chain_r(uint64_t a, uint64_t b) {
  double x = dval(a), y = dval(b), z, w = 0, t;
  int32_t i = (int32_t)(a >> 40);
  __asm__ volatile(
      "mulsd %[y], %[x]\n\tmovapd %[x], %[z]\n\taddsd %[x], %[z]\n\tcvtsi2sdl %[i], %[w]\n\t"
      "divsd %[w], %[z]\n\txorpd %[t], %[t]\n\tsubsd %[z], %[t]\n\tmulsd %[y], %[t]\n\taddsd %[t], %[x]\n\t"
      "movsd %[x], %[w]\n\tmulsd %[w], %[w]"
      : [x] "+x"(x), [z] "=&x"(z), [w] "+x"(w), [t] "=&x"(t)
      : [y] "x"(y), [i] "r"(i));
  return dbits(x) ^ dbits(z) * 3 ^ dbits(t) * 5 ^ dbits(w) * 7;
}

// A loop of one block that holds double operands across its iterations (y, c and the
// carried x): the compiler tests them for denormals once on entry to the loop instead of
// at every use, and declines the entry when one is (the run loop then interprets the
// block once). The loop is entered by a jump to its test, so that its first iteration
// runs in the loop's own block. x += y with y a denormal and x normal stays normal and
// inexact: no guard inside the loop would refuse it, only DE tells (a wrong entry test
// loses it); x can also become a denormal inside the loop (a handler's result: the
// region leaves).
#define HELD_LOOP(name, count, code)                                                            \
  static uint64_t name(uint64_t a, uint64_t b) {                                                \
    double x = dval(a), y = dval(b), c = dval((a ^ b) << 17 | (a ^ b) >> 47), t = 0;            \
    long n = count;                                                                             \
    __asm__ volatile(code : [x] "+x"(x), [t] "+x"(t), [n] "+r"(n) : [y] "x"(y), [c] "x"(c));    \
    return dbits(x) ^ dbits(t) * 3;                                                             \
  }
HELD_LOOP(loop_r, 5,
          "jmp 2f\n1:\n\taddsd %[y], %[x]\n\tmovapd %[c], %[t]\n\tmulsd %[x], %[t]\n\taddsd %[t], %[x]\n"
          "2:\n\tsub $1, %[n]\n\tjnz 1b")
// The same in a loop of three blocks (a span: the head, and two bodies that branch back
// to it): after a declined entry the interpreter runs one block, then the region is
// entered again at the next one, and a second decline there must leave at that block
// (rip chosen by the entry's block index), not at the loop's head.
HELD_LOOP(loop3_r, 7,
          "jmp 3f\n"
          "1:\n\taddsd %[y], %[x]\n\ttest $1, %[n]\n\tjz 2f\n\t"
          "movapd %[c], %[t]\n\tmulsd %[x], %[t]\n"
          "2:\n\taddsd %[t], %[x]\n"
          "3:\n\tsub $1, %[n]\n\tjnz 1b")

typedef uint64_t (*Op)(uint64_t, uint64_t);
struct Case { const char* name; Op f; int dbl; };
static const struct Case cases[] = {
    {"addsd", addsd_r, 1}, {"addsd m", addsd_m, 1}, {"subsd", subsd_r, 1}, {"subsd m", subsd_m, 1},
    {"mulsd", mulsd_r, 1}, {"mulsd m", mulsd_m, 1}, {"divsd", divsd_r, 1}, {"divsd m", divsd_m, 1},
    {"sqrtsd", sqrtsd_r, 1}, {"sqrtsd m", sqrtsd_m, 1},
    {"addss", addss_r, 0}, {"addss m", addss_m, 0}, {"subss", subss_r, 0}, {"subss m", subss_m, 0},
    {"mulss", mulss_r, 0}, {"mulss m", mulss_m, 0}, {"divss", divss_r, 0}, {"divss m", divss_m, 0},
    {"sqrtss", sqrtss_r, 0}, {"sqrtss m", sqrtss_m, 0},
    {"addpd", addpd_r, 1}, {"addpd m", addpd_m, 1}, {"subpd", subpd_r, 1}, {"subpd m", subpd_m, 1},
    {"mulpd", mulpd_r, 1}, {"mulpd m", mulpd_m, 1},
    {"andpd", andpd_r, 1}, {"andpd m", andpd_m, 1}, {"andnpd", andnpd_r, 1}, {"andnpd m", andnpd_m, 1},
    {"orps", orps_r, 1}, {"orps m", orps_m, 1}, {"xorpd", xorpd_r, 1}, {"xorpd m", xorpd_m, 1},
    {"pxor", pxor_r, 1}, {"pxor m", pxor_m, 1},
    {"cvtsi2sd r32", cvtsi2sdl_r, 1}, {"cvtsi2sd r64", cvtsi2sdq_r, 1}, {"cvtsi2sd m64", cvtsi2sdq_m, 1},
    {"cvtsi2ss r32", cvtsi2ssl_r, 0}, {"cvtsi2ss r64", cvtsi2ssq_r, 0},
    {"cvttsd2si r32", cvttsd2sil_r, 1}, {"cvttsd2si m64", cvttsd2siq_m, 1},
    {"cvttss2si r32", cvttss2sil_r, 0}, {"cvttss2si r64", cvttss2siq_r, 0},
    {"ucomisd flags", ucomisd_fl, 1}, {"ucomisd jcc", ucomisd_j, 1}, {"comisd flags", comisd_fl, 1},
    {"comisd jcc", comisd_j, 1}, {"ucomiss flags", ucomiss_fl, 0}, {"ucomiss jcc", ucomiss_j, 0},
    {"comiss flags", comiss_fl, 0}, {"comiss jcc", comiss_j, 0},
    {"moves", moves_r, 1}, {"moves m", moves_m, 1}, {"chain (known operands)", chain_r, 1},
    {"loop (held operands)", loop_r, 1}, {"loop of 3 blocks", loop3_r, 1},
};

static void run(const struct Case* c, uint64_t a, uint64_t b) {
  for (int m = 0; m < NMODES; m++) {
    set_mx(kModes[m]);
    const uint64_t r = c->f(a, b);
    const unsigned mx = get_mx();
    set_mx(0x1f80);
    mix(m, r);
    mix(m, mx);
  }
}

// Faults in inline forms: movaps from a misaligned address (#GP: the handler, SIGSEGV)
// and movsd / movups from a PROT_NONE page (the TLB slow path and the handler): the
// signal arrives with the destination unchanged and si_addr the interpreter's.
static sigjmp_buf jb;
static volatile uintptr_t fault_addr;
static void on_segv(int sig, siginfo_t* si, void* uc) {
  (void)sig; (void)uc;
  fault_addr = (uintptr_t)si->si_addr;
  siglongjmp(jb, 1);
}
static void faults(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  char* p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(p + 4096, 4096, PROT_NONE);
  for (int i = 0; i < 64; i++) p[4032 + i] = (char)i;
  uint64_t h = 0;
  int n = 0;
  for (int k = 0; k < 3000; k++) {
    const int which = k % 3;
    volatile double keep = 1.5;
    __m128d v = _mm_set_pd(2.5, 3.5);
    if (sigsetjmp(jb, 1)) {
      n++;
      h = h * 31 + (fault_addr ? fault_addr - (uintptr_t)p : 1) + (uint64_t)which;
      continue;
    }
    fault_addr = 0;
    if (which == 0) __asm__ volatile("movaps %1, %0" : "+x"(v) : "m"(*(__m128d*)(p + 4040)));
    else if (which == 1) { double d = keep; __asm__ volatile("movsd %1, %0" : "+x"(d) : "m"(*(double*)(p + 4096 + (k & 7)))); keep = d; }
    else __asm__ volatile("movups %1, %0" : "+x"(v) : "m"(*(__m128d*)(p + 4088)));
    h = h * 31 + 7;
  }
  printf("faults         %d %016llx\n", n, (unsigned long long)h);
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 1500;
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const struct Case* c = &cases[ci];
    memset(hashes, 0, sizeof hashes);
    rng = 0x9e3779b97f4a7c15ull + ci;
    const int ns = c->dbl ? NDS : NFS;
    for (int i = 0; i < ns; i++)
      for (int j = 0; j < ns; j++)
        run(c, c->dbl ? dspecial[i] : fspecial[i], c->dbl ? dspecial[j] : fspecial[j]);
    for (int i = 0; i < n; i++) {
      const uint64_t a = c->dbl ? rand_d() : rand_f(), b = c->dbl ? rand_d() : rand_f();
      run(c, a, b);
      run(c, b, a);
    }
    printf("%-14s", c->name);
    for (int m = 0; m < NMODES; m++) printf(" %04x:%016llx", kModes[m], (unsigned long long)hashes[m]);
    printf("\n");
  }
  faults();
  return 0;
}

// vm/jit/compile_sse.h — the SSE2 forms the region compiler emits inline (compile_sse.cpp):
// xmm moves, the bitwise ops, scalar double/float arithmetic, conversions and ucomis/comis,
// as wasm f64/f32 operations kept only where the result is bit-identical to x86 (with the
// MXCSR flags), else the interpreter's handler. The guest's xmm registers live in the
// region's locals (two i64 halves each), as its general registers do.
// compiler.cpp calls sse_classify() from classify() and sse_emit() from block_code(); the
// region compiler's services the SSE code needs are the SseHost interface (its Gen).
#pragma once
#include <cstdint>

#include "vm/cpu/optable.h"
#include "vm/jit/compiler.h"
#include "vm/jit/wasm_emit.h"

namespace gb::jit {

// What compile_sse.cpp does with an instruction (0: not an inline SSE form).
enum SseOp : int {
  SSE_NONE = 0,
  SSE_MOV128,    // movaps/movapd/movups/movupd/movdqa/movdqu: register, load, store
  SSE_MOVSD, SSE_MOVSS,      // movsd/movss V,W (reg: merge the low lane; load: zero the rest)
  SSE_MOVSD_ST, SSE_MOVSS_ST,  // movsd/movss W,V
  SSE_MOVQ_LD,   // movq xmm, xmm/m64 (F3 0F 7E): low 64, upper zeroed
  SSE_MOVQ_ST,   // movq xmm/m64, xmm (66 0F D6): reg: upper zeroed
  SSE_MOVD_LD,   // movd/movq xmm, r/m32/64 (66 0F 6E): zero-extended
  SSE_MOVD_ST,   // movd/movq r/m32/64, xmm (66 0F 7E)
  SSE_AND, SSE_ANDN, SSE_OR, SSE_XOR,  // and/andn/or/xor ps/pd, pand/pandn/por/pxor
  SSE_ADDSD, SSE_SUBSD, SSE_MULSD, SSE_DIVSD, SSE_SQRTSD,
  SSE_ADDSS, SSE_SUBSS, SSE_MULSS, SSE_DIVSS, SSE_SQRTSS,
  SSE_ADDPD, SSE_SUBPD, SSE_MULPD,
  SSE_CVTSI2SD, SSE_CVTSI2SS,
  SSE_CVTTSD2SI, SSE_CVTTSS2SI,
  SSE_UCOMISD, SSE_COMISD, SSE_UCOMISS, SSE_COMISS,  // set ZF PF CF (OF SF AF cleared)
};
int sse_classify(const Insn& in);
// ucomis/comis: writes the arithmetic flags (rflags bits, the compiler's kEager state).
inline bool sse_sets_flags(int op) { return op >= SSE_UCOMISD && op <= SSE_COMISS; }
// Register-only forms with no fallback (a move or a bitwise op of registers): they never
// call out, so the flags before them need not be exact.
bool sse_pure(int op, const Insn& in);

// What the SSE generator needs from the region compiler (implemented by its Gen).
class SseHost {
 public:
  virtual ~SseHost() = default;
  virtual Body& sse_body() = 0;
  virtual const Abi& sse_abi() = 0;
  virtual void sse_ea(const Insn& in, uint64_t next) = 0;              // local a = the address
  virtual void sse_load(int size, uint64_t next, int k) = 0;           // pushes [a] (i64, zero-extended)
  virtual void sse_store(int size, uint64_t next, int k) = 0;          // [a] = local v
  virtual void sse_probe(int size, bool write) = 0;  // pushes "the TLB maps [a, a+size) in one page" (i32)
  virtual void sse_host_addr() = 0;                  // pushes the host address of a (after a probe)
  virtual void sse_get(int r) = 0;                   // pushes guest register r (i64)
  virtual void sse_set(int r, int size) = 0;         // pops into r (4: zero-extended)
  // xmm r's half (0: bits 0..63, 1: 64..127) in its local: xget pushes it, xset pops into
  // it (dirty), xload makes sure the local holds it (before an `if` whose branches use
  // it), xreload reads it back from the Cpu after a handler ran as a slow path.
  virtual void sse_xload(int r, int half) = 0;
  virtual void sse_xget(int r, int half) = 0;
  virtual void sse_xset(int r, int half) = 0;
  virtual void sse_xreload(int r, int half) = 0;
  // The instruction's handler as a slow path inside an inline form: pending flags and
  // dirty registers (xmm halves too) written back (locals kept), rip = next, the call,
  // cpu.stop tested.
  virtual void sse_slow(const Insn& in, uint64_t next, int k) = 0;
  virtual void sse_flags_eager() = 0;  // local ffl holds the rflags bits: the pending state is kEager
  virtual void sse_mx_ok() = 0;  // pushes (mxcsr & 0xffe0) == 0x1fa0 (i32; kept in a local by the region)
  // Known "not denormal" low lanes (doubles) within the block: sse_nd reads, sse_set_nd
  // records after a form that guarantees it on every path (a write of the lane forgets).
  virtual bool sse_nd(int r) = 0;
  virtual void sse_set_nd(int r, bool known) = 0;
  virtual void sse_copy_nd(int d, int s) = 0;  // d's low lane was just copied from s's
  // Leave the region after instruction k retired in a handler (registers in memory).
  virtual void sse_exit_retired(int k) = 0;
  struct Locals { uint32_t cpu, a, e, v, ffl, xa, xb, xr; };
  virtual Locals sse_locals() = 0;
};

void sse_emit(SseHost& h, int op, const Insn& in, uint64_t next, int k);
// Pushes (i32) whether the double whose bits are in i64 `local` is a denormal: the guards'
// operand test, negated ((|x| - 1) <u largest denormal; compiler.cpp's loop entries).
void sse_push_denormal(Body& b, uint32_t local);

}  // namespace gb::jit

// vm/jit/compiler.cpp — region → wasm (see compiler.h; the design is in jit.h).
//
// Shape of the function (param 0: the Cpu, param 1: the entry block's index):
//   loop                      ;; the dispatcher: `next` selects a block
//     block … block           ;; one per region block
//       local.get next  br_table 0 1 … n-1
//     end  code of block 0    ;; falls into the next laid-out block when that is its successor
//     end  code of block 1 …
//   end  unreachable
// With a chain table (Abi::chain_table; jit.h "Chained regions"), all of that sits in a
// `block` whose end is the chain lookup (chain_dispatch): exits `br` there with the
// target in L_RIP, and it tail-calls the region holding the target through the hub
// (import kHubImport) or returns to the run loop. A region that may grow (Abi::addr_grow,
// its exit cell: jit.h "Regions that grow") counts its exits there first and, at the
// grow_at-th, stores its entry in bc.grow_request and returns to the run loop instead.
// Each block's code: budget check (exit with rip = its start when the count reached the
// run's limit; only in blocks a back edge enters), its instructions, L_IC += n, then its
// successor: fall into the next laid-out block, `br` out of a later block's wrapper
// (forward edges), `br` to its own loop's head (a block that is its own successor is a
// wasm `loop`), `next = j; br` to the dispatcher (other back edges), else cpu.rip =
// target; return (or the chain lookup). The count (L_IC) and the budget's end (L_LIM) live in locals; the
// count, bc.running and the registers go to memory only before a call that may fault or
// look at them (a handler, a slow path) and at exits: the interpreter's values there.
// Registers: in memory between loops, in locals inside them. A block in no loop of the
// region loads a register from the Cpu on its first use and writes the ones it changed
// back before it leaves (its edges, its exits, its calls); nothing lives across such
// blocks, so TurboFan's register allocator sees short live ranges (with every register
// kept in locals across the whole function, python's regions of 30-60 blocks spilled
// heavily, and every region entry loaded ~13 registers whatever path it took). A loop (a
// span of blocks, or a block that is its own successor) loads the registers its blocks
// use on entry and keeps them in locals across its iterations: its edges that stay in it
// carry them (dirty_in_), every other edge writes the dirty ones back first (in_group),
// and the pending flags too where the target may read them (live_in_); a block in no
// loop starts with no flags pending (L_FOP = 0), so the flag locals do not span the region.
// Engine functions (handlers, slow-path helpers) are imported by the module, one import
// per distinct function, taken from the engine's table at instantiation: direct calls,
// and no table import (V8 gives each instance importing a table its own copy of it, so
// instantiation and every table.set cost O(table size + instances): quadratic).
// Per instruction: the common integer forms inline on register locals (i64, loaded on
// first use in the block, written back before every call and at the end), loads and
// stores through an inline TLB lookup with a call to a C++ helper on a miss, deferred
// flags written to the Cpu only where something may look (a call, an exit), the flags of
// shifts, imul and inc/dec computed only where the region's liveness says they may be
// read, jcc fused with the flag producer before it; SSE2 moves, bitwise ops, scalar
// arithmetic, conversions and ucomis/comis inline where bit-exact (compile_sse.cpp);
// anything else calls the interpreter's handler with its Insn.
// Branch hints (docs/jit.md, "Branch hints"): the TLB probe's hit, the SSE guards' fast
// arm and the chain lookup's hit are hinted likely, the budget check and the stop checks
// after calls unlikely, and a fused jcc whose one edge stays in the block's loop while
// the other leaves it is hinted towards the loop. TurboFan then lays the other arm out of
// line as a deferred block and puts the spills a slow path needs there, not on the fast path.
// The probe memo ("[SECTION] probe memo" above Gen::load; docs/jit.md, "The probe memo"):
// an access through the same base and index registers as an earlier access whose page
// is known (its probe hit, or it was served so itself), neither register written since
// and no join or call between, takes that access's host page without a probe while it
// stays in the page; a block (a loop's head: its back edge's) may start with the memo
// of one edge in, when every other way in says none.
#include "vm/jit/compiler.h"

#include <chrono>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>

#include "vm/cpu/cpu.h"
#include "vm/cpu/decode.h"
#include "vm/jit/compile_sse.h"
#include "vm/jit/wasm_emit.h"

namespace gb::jit {

namespace {

// Locals: params, then the registers, then scratch.
enum : uint32_t {
  L_CPU = 0, L_NEXT = 1, L_R0 = 2,  // 16 i64: guest registers
  L_TLB = 18,                       // i32: address of the TLB
  L_A = 19,                         // i64: guest address
  L_E = 20,                         // i32: TLB entry
  L_FD = 21, L_FS = 22, L_FR = 23,  // i64: last ALU operands and result (fused jcc)
  L_V = 24,                         // i64: value to store
  L_RIP = 25,                       // i64: rip after a handler branch
  L_FOP = 26,                       // i32: deferred flags: cc op | size << 8 of FD/FS/FR (0: none; kEager)
  L_FCIN = 27,                      // i32: inc/dec's preserved CF (cc.cin) when L_FOP is CC_INC/CC_DEC
  L_FFL = 28,                       // i64: the arithmetic rflags bits when L_FOP is kEager (shifts, imul)
  L_XA = 29, L_XB = 30, L_XR = 31,  // i64: SSE operand and result bits (compile_sse.cpp)
  L_IC = 32,                        // i64: cpu.icount at the current block's start (written back before calls, at exits)
  L_LIM = 33,                       // i64: bc.limit (run()'s budget end: set by run() alone, loaded once)
  L_X0 = 34,                        // 32 i64: the guest's xmm registers, two halves each (xmm r half h: L_X0 + 2r + h)
  L_MXOK = 66,                      // i32: (cpu.mxcsr & 0xffe0) == 0x1fa0, the SSE guards' MXCSR test (regions with SSE forms)
  L_MOFF = 67,                      // i64: the probe memo's access: its page offset while it hit, else kMoffNone
  L_MHOST = 68,                     // i32: the probe memo's access: its host address
};
// Register slots: the locals the region keeps guest registers in, with one loaded/dirty
// bit each. Slots 0..15 are the general registers, 16 + 2r + h the xmm halves.
constexpr int kSlots = 48;
constexpr int xslot(int r, int half) { return 16 + 2 * r + half; }
using SlotSet = uint64_t;
const std::vector<uint8_t> kLocals = {
    T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64,
    T_I32, T_I64, T_I32, T_I64, T_I64, T_I64, T_I64, T_I64, T_I32, T_I32, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64,
    T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64,
    T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64,
    T_I32, T_I64, T_I32};
// L_MOFF when the memo's access missed (its helper ran): no displacement (|d| < 4096)
// brings it into a page, so the same-page test fails
constexpr int64_t kMoffNone = (int64_t)1 << 40;
// L_FOP's tag for flags computed as rflags bits (L_FFL): what the interpreter's
// set_flags(FL_ARITH, ...) leaves (cc.op = CC_NONE, the bits in rflags).
constexpr int kEager = 0x80;

enum AluOp { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST };

// What the compiler does with one instruction.
enum Kind {
  K_HANDLER,   // call the interpreter's handler
  K_ALU_RR,    // r/m(reg) op= reg          (add_Ev_Gv ... test_Ev_Gv, mod 3)
  K_ALU_GR,    // reg op= r/m(reg)          (add_Gv_Ev ..., mod 3)
  K_ALU_GM,    // reg op= [mem]
  K_ALU_RI,    // r/m(reg) op= imm          (grp1)
  K_CMP_MR,    // cmp [mem], reg
  K_CMP_MI,    // cmp [mem], imm
  K_MOV_RR,    // mov r/m(reg), reg
  K_MOV_GR,    // mov reg, r/m(reg)
  K_LOAD,      // mov reg, [mem]
  K_STORE,     // mov [mem], reg
  K_MOV_RI,    // mov r/m(reg), imm / mov reg, imm (F_REGOP)
  K_STORE_I,   // mov [mem], imm
  K_LEA,       // lea reg, [base + index*scale + disp] (any address form; no segment base)
  K_MOVZX_M,   // movzx reg, byte/word [mem]
  K_MOVSXD_R, K_MOVSXD_M,
  K_JCC,       // jcc rel (fused with the flag producer before it, else handler)
  K_JMP,       // jmp rel
  K_PUSH, K_POP,  // push/pop of a 64-bit register
  // The flag families: inline, their flags computed only where live (the backward
  // liveness of the block): shifts and imul as rflags bits (L_FFL, kEager), inc/dec as
  // the interpreter's CC_INC/CC_DEC record with the preserved CF (L_FCIN). Rotates with
  // live flags call their handler.
  K_SHIFT,     // shl/shr/sar/rol/ror/(any, count 0) r, imm (src: the masked count)
  K_SHIFT_CL,  // shl/shr/sar r, cl (a masked count of 0 changes no flag)
  K_IMUL,      // imul r, r/m(reg) [, imm]
  K_INCDEC,    // inc/dec r
  K_NOP,       // multi-byte nop
  K_SSE,       // an SSE2 form of compile_sse.cpp (op: its SseOp)
  // The general ALU form (alu_x): sizes 1, 2, 4, 8; the destination a register (byte
  // registers with the REX rules: ah..bh without REX) or memory (read-modify-write: the
  // store commits before the flags, as the interpreter's alu_E), the source a register,
  // an immediate or memory (when the destination is a register).
  K_ALU_X,
  K_STORE8,    // mov [mem], r8
  K_LOAD8,     // mov r8, [mem]
  K_MOV8,      // mov r8, r8
  K_MOVZX_R,   // movzx r32/64, r8 / r16
  K_MOVSX_R, K_MOVSX_M,  // movsx r32/64, r8 / r16 / [mem]
  // Branches inline (64-bit operand size): call rel pushes its return address and goes to
  // its target (in the region or out); ret pops and dispatches to the region's return
  // points (the blocks after its calls) or leaves; call/jmp through a register or memory
  // leave with rip = the target.
  K_CALL, K_RET, K_CALL_IND, K_JMP_IND,
  // setcc r/m8 and cmovcc r, r/m (32/64-bit) right after a flags producer whose
  // condition a jcc would fuse (else their handler): the condition from its locals.
  K_SETCC, K_CMOV,
  // neg r (16/32/64-bit): sub 0, r for every flag (the interpreter's own CC_SUB record,
  // fused like sub); not r (16/32/64-bit): no flags. python's dispatch runs `neg %cx; sbb
  // %sil, %sil` (the tracing test) and `neg; cmovs` (abs of an int's size) all the time.
  K_NEG, K_NOT,
  // sbb r, r with one register (8/32/64-bit): r = -CF; its flags (a flag family: live
  // or dead) as rflags bits, CF SF AF = CF, ZF = !CF, PF = 1, OF = 0.
  K_SBB_SELF,
  K_CBW,       // cbw/cwde/cdqe: rax = the accumulator's lower half sign-extended (no flags)
};
bool flag_family(int k) {
  return k == K_SHIFT || k == K_SHIFT_CL || k == K_IMUL || k == K_INCDEC || k == K_SBB_SELF;
}
// Instructions with a slow path (a call that may fault or look at the state): the
// flags before them must be exact there.
bool has_slow_path(int k) {
  return k == K_ALU_GM || k == K_CMP_MR || k == K_CMP_MI || k == K_LOAD || k == K_STORE || k == K_STORE_I ||
         k == K_MOVZX_M || k == K_MOVSXD_M || k == K_PUSH || k == K_POP || k == K_STORE8 || k == K_LOAD8 ||
         k == K_MOVSX_M || k == K_CALL || k == K_RET || k == K_CALL_IND || k == K_JMP_IND;
}
bool flags_reader(int k) { return k == K_JCC || k == K_SETCC || k == K_CMOV; }

struct Plan {
  Kind k = K_HANDLER;
  int op = 0;     // AluOp
  int size = 0;   // operand size (4 or 8); memory width for movzx
  uint8_t dst = 0;  // register written / compared (r/m or reg by form)
  uint8_t src = 0;
  bool live = true;  // its flags may be read (the block's backward liveness)
  bool pure = false;  // K_SSE: registers only, no slow path (sse_pure)
  bool dmem = false;  // K_ALU_X: the destination is memory
  int smode = 0;      // K_ALU_X: the source is a register (0), an immediate (1), memory (2)
  bool mem = false;   // a memory operand (K_ALU_X, K_IMUL, K_CALL_IND, K_JMP_IND): a slow path
};
bool slow_path(const Plan& p) { return has_slow_path(p.k) || p.mem; }
constexpr size_t kMaxRetPoints = 8;  // ret compares its target with at most this many blocks


int64_t imm_sized(uint64_t imm, int size) {
  return size == 8 ? (int64_t)imm : size == 4 ? (int64_t)(uint32_t)imm : size == 2 ? (int64_t)(uint16_t)imm : (int64_t)(uint8_t)imm;
}

bool writes_result(int op) { return op != CMP && op != TEST; }
bool flags_writer(const Plan& p) {
  return p.k == K_ALU_RR || p.k == K_ALU_GR || p.k == K_ALU_GM || p.k == K_ALU_RI || p.k == K_CMP_MR || p.k == K_CMP_MI ||
         p.k == K_ALU_X || p.k == K_NEG;
}

Plan classify(const Insn& in) {
  Plan p;
  if (in.row == 0xffff || in.lock) return p;
  const Handler f = op_table()[in.row].fn;
  if (const int s = sse_classify(in)) { p.k = K_SSE; p.op = s; p.pure = sse_pure(s, in); return p; }
  const bool wide = in.osz == 4 || in.osz == 8;
  p.size = in.osz;
  const bool reg = in.mod == 3;
  struct A { Handler ev_gv, gv_ev; int op; };
  static const A alus[] = {
      {&add_Ev_Gv, &add_Gv_Ev, ADD}, {&or_Ev_Gv, &or_Gv_Ev, OR}, {&and_Ev_Gv, &and_Gv_Ev, AND},
      {&sub_Ev_Gv, &sub_Gv_Ev, SUB}, {&xor_Ev_Gv, &xor_Gv_Ev, XOR}, {&cmp_Ev_Gv, &cmp_Gv_Ev, CMP},
      {&test_Ev_Gv, nullptr, TEST}};
  // alu_x plans (K_ALU_X, any size): r/m op= reg, reg op= r/m, r/m op= imm
  auto x_to_rm = [&](int op) { p.k = K_ALU_X; p.op = op; p.dst = in.rm; p.src = in.reg; p.dmem = p.mem = !reg; return p; };
  auto x_to_reg = [&](int op) { p.k = K_ALU_X; p.op = op; p.dst = in.reg; p.src = in.rm; p.smode = reg ? 0 : 2; p.mem = !reg; return p; };
  auto x_imm = [&](int op) { p.k = K_ALU_X; p.op = op; p.dst = in.rm; p.smode = 1; p.dmem = p.mem = !reg; return p; };
  if (f == &jcc_Jb || f == &jcc_Jz) { if (in.osz != 2) p.k = K_JCC; return p; }
  if (f == &jmp_Jb || f == &jmp_Jz) { if (in.osz != 2) p.k = K_JMP; return p; }
  if (f == &nop_Ev || (f == &xchg_Zv_rAX && in.reg == RAX)) { p.k = K_NOP; return p; }  // (90, 66 90, f3 90)
  if (f == &cbw_cwde_cdqe) { p.k = K_CBW; return p; }
  // 16-bit ALU forms (alu_x at size 2; python: `cmpw $0, eval_breaker(%rip)`, `cmp $0xf, %ax`)
  if (in.osz == 2) {
    for (const A& a : alus) {
      if (f == a.ev_gv) return x_to_rm(a.op);
      if (a.gv_ev && f == a.gv_ev) return x_to_reg(a.op);
    }
    if (f == &grp1_Ev_Ib || f == &grp1_Ev_Iz || f == &test_Ev_Iz) {
      p.op = f == &test_Ev_Iz ? TEST : in.reg & 7;
      return p.op == ADC || p.op == SBB ? p : x_imm(p.op);
    }
  }
  // 16-bit moves: register to register, load and store (a register merges its low half)
  if (in.osz == 2 && (f == &mov_Ev_Gv || f == &mov_Gv_Ev || (f == &mov_Ev_Iz && !reg))) {
    if (f == &mov_Ev_Iz) p.k = K_STORE_I;
    else if (f == &mov_Ev_Gv) { if (reg) { p.k = K_MOV_RR; p.dst = in.rm; p.src = in.reg; } else { p.k = K_STORE; p.src = in.reg; } }
    else if (reg) { p.k = K_MOV_GR; p.dst = in.reg; p.src = in.rm; }
    else { p.k = K_LOAD; p.dst = in.reg; }
    return p;
  }
  if (f == &mov_Eb_Ib && !reg) { p.k = K_STORE_I; p.size = 1; return p; }
  if (f == &grp1_Eb_Ib && !reg && (in.reg & 7) == CMP) { p.k = K_CMP_MI; p.op = CMP; p.size = 1; return p; }
  // bytes: the ALU family, test, moves (alu_x; byte registers by the REX rules)
  {
    struct B { Handler eb_gb, gb_eb, al_ib; int op; };
    static const B bytes[] = {
        {&add_Eb_Gb, &add_Gb_Eb, &add_AL_Ib, ADD}, {&or_Eb_Gb, &or_Gb_Eb, &or_AL_Ib, OR},
        {&and_Eb_Gb, &and_Gb_Eb, &and_AL_Ib, AND}, {&sub_Eb_Gb, &sub_Gb_Eb, &sub_AL_Ib, SUB},
        {&xor_Eb_Gb, &xor_Gb_Eb, &xor_AL_Ib, XOR}, {&cmp_Eb_Gb, &cmp_Gb_Eb, &cmp_AL_Ib, CMP},
        {&test_Eb_Gb, nullptr, &test_AL_Ib, TEST}};
    for (const B& b : bytes) {
      if (f == b.eb_gb) { p.size = 1; return x_to_rm(b.op); }
      if (b.gb_eb && f == b.gb_eb) { p.size = 1; return x_to_reg(b.op); }
      if (f == b.al_ib) { p.k = K_ALU_X; p.op = b.op; p.size = 1; p.dst = RAX; p.smode = 1; return p; }
    }
    if (f == &grp1_Eb_Ib || f == &test_Eb_Ib) {
      p.op = f == &test_Eb_Ib ? TEST : in.reg & 7;
      if (p.op == ADC || p.op == SBB) return p;
      p.size = 1;
      return x_imm(p.op);
    }
    if (f == &mov_Eb_Gb) { if (reg) { p.k = K_MOV8; p.dst = in.rm; p.src = in.reg; } else { p.k = K_STORE8; p.src = in.reg; } return p; }
    if (f == &mov_Gb_Eb) { if (reg) { p.k = K_MOV8; p.dst = in.reg; p.src = in.rm; } else { p.k = K_LOAD8; p.dst = in.reg; } return p; }
  }
  if (f == &setcc_Eb) { p.k = K_SETCC; p.dst = in.rm; p.mem = !reg; return p; }
  if (f == &cmovcc_Gv_Ev && (in.osz == 4 || in.osz == 8)) { p.k = K_CMOV; p.dst = in.reg; p.src = in.rm; p.mem = !reg; return p; }
  // branches (64-bit operand size only)
  if (in.osz == 8) {
    if (f == &call_Jz) { p.k = K_CALL; return p; }
    if (f == &ret) { p.k = K_RET; return p; }
    if (f == &call_Ev) { p.k = K_CALL_IND; p.src = in.rm; p.mem = !reg; return p; }
    if (f == &jmp_Ev) { p.k = K_JMP_IND; p.src = in.rm; p.mem = !reg; return p; }
  }
  if (f == &push_Zv && in.osz == 8) { p.k = K_PUSH; p.src = in.reg; return p; }
  if (f == &pop_Zv && in.osz == 8) { p.k = K_POP; p.dst = in.reg; return p; }
  if ((f == &neg_Ev || f == &not_Ev) && reg) {
    p.k = f == &neg_Ev ? K_NEG : K_NOT; p.op = f == &neg_Ev ? SUB : 0; p.dst = in.rm;
    return p;
  }
  if (reg && in.rm == in.reg && ((f == &sbb_Eb_Gb || f == &sbb_Gb_Eb) || ((f == &sbb_Ev_Gv || f == &sbb_Gv_Ev) && wide))) {
    p.k = K_SBB_SELF; p.dst = in.rm; p.size = f == &sbb_Eb_Gb || f == &sbb_Gb_Eb ? 1 : in.osz;
    return p;
  }
  // 16-bit shl/shr/sar of a register by a count that is not 0: inline when their flags
  // are dead (python's `shr $8, %r9w`, the oparg), else the handler (block_liveness)
  if ((f == &grp2_Ev_Ib || f == &grp2_Ev_1) && reg && in.osz == 2) {
    const int op = (in.reg & 7) == 6 ? 4 : in.reg & 7;
    const int count = f == &grp2_Ev_1 ? 1 : (int)(in.imm & 31);
    if (op >= 4 && count != 0) { p.k = K_SHIFT; p.op = op; p.dst = in.rm; p.src = (uint8_t)count; }
    return p;
  }
  if (!wide) return p;
  struct R { Handler h; int op; };
  static const R accs[] = {{&add_rAX_Iz, ADD}, {&or_rAX_Iz, OR}, {&and_rAX_Iz, AND}, {&sub_rAX_Iz, SUB},
                           {&xor_rAX_Iz, XOR}, {&cmp_rAX_Iz, CMP}, {&test_rAX_Iz, TEST}};
  for (const R& r : accs)
    if (f == r.h) { p.k = K_ALU_RI; p.op = r.op; p.dst = RAX; return p; }
  if ((f == &grp2_Ev_Ib || f == &grp2_Ev_1) && reg) {
    p.op = (in.reg & 7) == 6 ? 4 : in.reg & 7;  // (sal is shl)
    const int count = f == &grp2_Ev_1 ? 1 : (int)(in.imm & (in.osz == 8 ? 63 : 31));
    if (count != 0 && (p.op == 2 || p.op == 3)) return p;  // (rcl/rcr read CF)
    p.k = K_SHIFT; p.dst = in.rm; p.src = (uint8_t)count;  // (count 0: only a 32-bit zero extension)
    return p;
  }
  if (f == &grp2_Ev_CL && reg) {
    p.op = (in.reg & 7) == 6 ? 4 : in.reg & 7;
    if (p.op < 4) return p;  // rotates by cl: the handler
    p.k = K_SHIFT_CL; p.dst = in.rm;
    return p;
  }
  if (f == &imul_Gv_Ev || f == &imul_Gv_Ev_Iz || f == &imul_Gv_Ev_Ib) {
    p.k = K_IMUL; p.dst = in.reg; p.src = in.rm; p.op = f == &imul_Gv_Ev ? 0 : 1; p.mem = !reg;
    return p;
  }
  if ((f == &inc_Ev || f == &dec_Ev) && reg) { p.k = K_INCDEC; p.dst = in.rm; p.op = f == &inc_Ev ? 0 : 1; return p; }
  for (const A& a : alus) {
    if (f == a.ev_gv) {
      p.op = a.op;
      if (reg) { p.k = K_ALU_RR; p.dst = in.rm; p.src = in.reg; }
      else if (a.op == CMP) { p.k = K_CMP_MR; p.src = in.reg; }
      else { p.k = K_ALU_X; p.src = in.reg; p.dmem = p.mem = true; }  // [mem] op= reg
      return p;
    }
    if (a.gv_ev && f == a.gv_ev) {
      p.op = a.op; p.dst = in.reg; p.src = in.rm;
      p.k = reg ? K_ALU_GR : K_ALU_GM;
      return p;
    }
  }
  if (f == &grp1_Ev_Ib || f == &grp1_Ev_Iz) {
    p.op = in.reg & 7;
    if (p.op == ADC || p.op == SBB) return p;
    if (reg) { p.k = K_ALU_RI; p.dst = in.rm; }
    else if (p.op == CMP) p.k = K_CMP_MI;
    else { p.k = K_ALU_X; p.smode = 1; p.dmem = p.mem = true; }  // [mem] op= imm
    return p;
  }
  if (f == &test_Ev_Iz) return x_imm(TEST);
  if (f == &mov_Ev_Gv) { if (reg) { p.k = K_MOV_RR; p.dst = in.rm; p.src = in.reg; } else { p.k = K_STORE; p.src = in.reg; } return p; }
  if (f == &mov_Gv_Ev) { if (reg) { p.k = K_MOV_GR; p.dst = in.reg; p.src = in.rm; } else { p.k = K_LOAD; p.dst = in.reg; } return p; }
  if (f == &mov_Ev_Iz) { if (reg) { p.k = K_MOV_RI; p.dst = in.rm; } else p.k = K_STORE_I; return p; }
  if (f == &mov_Zv_Iv) { p.k = K_MOV_RI; p.dst = in.reg; return p; }
  if (f == &lea_Gv_M) { p.k = K_LEA; p.dst = in.reg; return p; }
  if (f == &movzx_Gv_Eb || f == &movzx_Gv_Ew) {
    p.k = reg ? K_MOVZX_R : K_MOVZX_M; p.dst = in.reg; p.src = in.rm; p.size = f == &movzx_Gv_Eb ? 1 : 2;
    return p;
  }
  if (f == &movsx_Gv_Eb || f == &movsx_Gv_Ew) {
    p.k = reg ? K_MOVSX_R : K_MOVSX_M; p.dst = in.reg; p.src = in.rm; p.size = f == &movsx_Gv_Eb ? 1 : 2;
    p.op = in.osz;  // (the destination's size: 4 or 8)
    return p;
  }
  if (f == &movsxd_Gv_Ed && in.osz == 8) { p.k = reg ? K_MOVSXD_R : K_MOVSXD_M; p.dst = in.reg; p.src = in.rm; return p; }
  return p;
}

// An inline indirect branch's profiled target (Block::ind_target: where it went the last
// time the interpreter ran it), or 0: compiled as a compare, then a region edge.
uint64_t ind_succ(const Block& bl) {
  if (!bl.ends_indirect || !bl.ind_target) return 0;
  const Kind k = classify(bl.insns[bl.n - 1]).k;
  return k == K_RET || k == K_JMP_IND || k == K_CALL_IND ? bl.ind_target : 0;
}

// Inline forms a flags reader (jcc, setcc, cmov) looks past to the producer it fuses
// with: they neither read nor write the flags nor touch the flag locals (moves, loads,
// stores, lea, push/pop, not; a slow path writes the pending flags and keeps the locals).
// python: `subq $1, (%rbp); mov 0x28(%rsp), %r10; mov %eax, %r14d; je` (a refcount).
bool flags_transparent(int k) {
  return k == K_MOV_RR || k == K_MOV_GR || k == K_LOAD || k == K_STORE || k == K_MOV_RI || k == K_STORE_I ||
         k == K_LEA || k == K_MOVZX_M || k == K_MOVZX_R || k == K_MOVSX_R || k == K_MOVSX_M || k == K_MOVSXD_R ||
         k == K_MOVSXD_M || k == K_LOAD8 || k == K_STORE8 || k == K_MOV8 || k == K_NOP || k == K_PUSH || k == K_POP ||
         k == K_NOT || k == K_CBW;
}

// The instruction a flags reader at k fuses with: the nearest one before it in its block
// past transparent ones only (or -1).
int producer_of(const std::vector<Plan>& plans, uint32_t k) {
  int j = (int)k - 1;
  while (j >= 0 && flags_transparent(plans[j].k)) j--;
  return j;
}

// Conditions the fused jcc computes from the producer's operands (else: handler).
bool fusable(const Plan& prod, int cc) {
  if (!flags_writer(prod)) return false;
  if (prod.op == SUB || prod.op == CMP) return (cc >= 2 && cc <= 9) || cc >= 0xc;
  if (prod.op == AND || prod.op == OR || prod.op == XOR || prod.op == TEST) return cc >= 4 && cc != 0xa && cc != 0xb;
  return false;
}

// Conditions a jcc computes from the flag family's state just before it (a live
// inc/dec: its record and L_FCIN, no PF; a live shl/shr/sar or imul: L_FFL, all).
bool fusable_family(const Plan& prod, int cc) {
  if (!prod.live) return false;
  if (prod.k == K_SSE) return sse_sets_flags(prod.op);  // ucomis/comis: kEager, every condition
  if (prod.k == K_INCDEC) return cc != 0xa && cc != 0xb;
  if (prod.k == K_SBB_SELF) return true;  // (kEager: every condition)
  if (prod.k == K_SHIFT) return prod.src != 0 && prod.op >= 4;
  return prod.k == K_IMUL;
}

// Flag liveness, backward through a block's plans from `live_out` (its flags live at its
// end); marks each flag-family plan live or dead (a rotate with live flags becomes a
// handler call) and returns whether the flags are live at the block's start. Readers:
// handlers, jcc, and every slow path (a fault there shows the flags before the
// instruction).
bool block_liveness(std::vector<Plan>& plans, bool live_out) {
  bool lv = live_out;
  for (int k = (int)plans.size() - 1; k >= 0; k--) {
    Plan& p = plans[k];
    if (flags_writer(p)) { p.live = lv; lv = slow_path(p); }
    else if (flag_family(p.k)) {
      p.live = lv;
      if (p.k == K_SHIFT && p.src == 0) {}                         // count 0: no flag changes
      else if (p.k == K_SHIFT && p.op < 4 && lv) p.k = K_HANDLER;  // a rotate with live flags
      else if (p.k == K_SHIFT && p.size == 2 && lv) p.k = K_HANDLER;  // a 16-bit shift with live flags
      else if (p.k == K_SBB_SELF) lv = true;  // (it reads CF)
      else if (p.k == K_SHIFT_CL || p.k == K_INCDEC) {}  // (count 0 passes the flags; inc/dec keeps CF)
      else lv = false;
      if (p.mem) lv = true;  // (imul from memory: its load's slow path shows the flags before it)
    } else if (p.k == K_SSE) {
      // ucomis/comis write every arithmetic flag, but their slow path (the handler) may
      // fault: the flags before them are live; so are those before any SSE form with a
      // slow path (memory, or a handler when its result is not exact)
      if (sse_sets_flags(p.op)) p.live = lv;
      if (!p.pure) lv = true;
    } else if (p.k == K_HANDLER || flags_reader(p.k) || slow_path(p)) lv = true;
  }
  return lv;
}

// The engine functions a module imports (env."0", env."1"...), shared by its regions.
struct Imports {
  std::map<uint32_t, uint32_t> index;  // engine table index -> import number
  std::vector<uint32_t> table, types;  // by import number
};

class Gen : public SseHost {
 public:
  Gen(const std::vector<const Block*>& blocks, const Abi& abi, bool listing, Imports& im, uint32_t exit_cell = 0)
      : im_(im), abi_(abi), b_(listing), listing_(listing) {
    exit_cell_ = exit_cell;  // (members declared before abi_: set here, not out of order above)
    entry_start_ = blocks[0]->start;
    lay_out(blocks);
  }
  Compiled run();  // the body in body(); out.wasm and out.imports are the caller's
  const Body& body() const { return b_; }

 private:
  // registers
  void get(int r);            // pushes r (i64)
  void get_sized(int r, int size);  // pushes r truncated to size (4: zero-extended)
  void set_from_stack(int r, int size);  // pops into r with x86-64 write rules (2, 4 or 8)
  void flush(bool forget);    // dirty locals to memory; forget: mark clean
  void invalidate() {
    memo_.on = false;
    for (int i = 0; i < kSlots; i++) loaded_[i] = dirty_[i] = false;
    for (int r = 0; r < 16; r++) xkill(r);
  }
  // xmm r's low lane, as a double, known not to be a denormal (zero, normal, inf or NaN)
  // since its last write in this block: a guarded result, an integer converted, a zero, a
  // copy of a known one (compile_sse.cpp; any other write of the lane clears it, as do a
  // handler call and a block's start). A guard skips the test of such an operand.
  // Across the iterations of a loop (a span, or a block that is its own loop: a group,
  // see group_): in a block of a loop, xdep_[r] is the set of xmm registers whose values
  // at the block's start r's low lane is a copy of (itself at the start, then through
  // register moves; 0 once written otherwise). Pass 1 records the ones a guard tested
  // (xwant_, by loop) and the state on every edge that stays in the loop (xedge_); the
  // loop's xnd_loop_ is the largest subset of its wanted registers that every such edge
  // leaves known or a copy of one of the set's start values: then they hold no denormal
  // at the start of any of the loop's blocks once they held none on entry. Pass 2 tests
  // them there (loop_entry_guard: a denormal leaves the region with nothing run, and the
  // run loop interprets the block once) and no more inside the loop. (The float loop of
  // bench/cpu_bound.c: three of its four operand tests per iteration go.)
  bool xnd_[16] = {};
  uint16_t xdep_[16] = {};
  struct XEdge { uint16_t known; uint16_t dep[16]; };  // the state on an edge
  std::vector<uint16_t> xwant_, xnd_loop_;
  std::vector<std::vector<XEdge>> xedge_;
  bool pass2_ = false;
  int xgroup(uint32_t b) const {  // group_[b] (set from this after pass 1)
    return span_of_[b] >= 0 ? span_of_[b] : self_loop_[b] ? (int)(spans_.size() + b) : -1;
  }
  void xkill(int r) { xnd_[r] = false; xdep_[r] = 0; }
  void loop_entry_guard(int g, uint32_t h, uint32_t t);
  uint16_t solve_xnd_loop(int g) const;
  uint32_t slot_local(int s) const { return s < 16 ? L_R0 + s : L_X0 + (s - 16); }
  uint32_t slot_off(int s) const { return s < 16 ? abi_.off_r + 8 * s : abi_.off_xmm + 8 * (s - 16); }
  void load_slot(int s);      // local = the Cpu's copy; loaded
  void make_resident(int s) {  // slot s used; loaded if it is not
    block_used_[cur_] |= (SlotSet)1 << s;
    if (!loaded_[s]) load_slot(s);
  }
  void mark_set(int s) {  // slot s's local was just set: newer than the Cpu's copy
    if (s < 16) memo_kill_reg(s);
    loaded_[s] = dirty_[s] = true;
    block_used_[cur_] |= (SlotSet)1 << s;
  }
  void sync_in();             // loads the loop's registers not in locals (before a region edge)
  void pass();                // one generation of the whole function into b_
  // pieces
  void ea(const Insn& in, uint64_t next_rip);  // L_A = effective address
  void address(const Insn& in, uint64_t next_rip);  // pushes it without the segment base
  // The probe memo (see "[SECTION] probe memo" above load()).
  struct MemKey {  // L_A as base + (index << scale) + disp (+ the segment's base)
    bool ok = false;  // known (64-bit addressing; push, pop); else no memo for it
    uint8_t base = NOREG, index = NOREG, scale = 0, seg = 0;
    int64_t disp = 0;  // (rip-relative: the address itself, base NOREG)
  };
  struct Memo {
    bool on = false;
    bool write = false;  // a write tag hit: the page is writable and holds no code
    bool from_load = false;  // load() made it: its probe can test the write tag (memo_store_)
    MemKey key;
    int depth = 0;        // b_.depth, b_.joins and b_.loops after it was made
    uint32_t joins = 0;
    uint32_t loops = 0;
    uint32_t site = 0;    // the number of the access that made it, or moved it there last (memo_used_)
    uint32_t origin = 0;  // the number of the probe whose tag it has (memo_store_)
    int32_t carried = -1;  // the block it came into over the start of (in_memo_), or -1
    // still valid here: no join and no loop head since it was made (deeper is fine: the
    // structures opened since are entered only through it)
    bool holds(const Body& b) const { return on && b.joins == joins && b.loops == loops && b.depth >= depth; }
    void rebase(const Body& b) { depth = b.depth; joins = b.joins; loops = b.loops; }
  };
  MemKey key_;                    // L_A's, for the next load/store/rmw
  void set_a(const MemKey& k) {   // L_A = the value on the stack, whose key is k (every write of L_A)
    b_.local_set(L_A);
    key_ = k;
  }
  static MemKey rsp_key(int64_t disp) {
    MemKey k;
    k.ok = true;
    k.base = RSP;
    k.disp = disp;
    return k;
  }
  Memo memo_;
  // Across a block's start (in_memo_, "[SECTION] probe memo"): a block may start with the
  // memo one of its edges in has (a loop's head: its back edge's), if every other edge
  // in sets L_MOFF to kMoffNone (goto_block) and so does the prologue.
  static bool same_memo(const Memo& a, const Memo& b) {
    return a.key.ok && b.key.ok && a.key.base == b.key.base && a.key.index == b.key.index &&
           a.key.scale == b.key.scale && a.key.seg == b.key.seg && a.key.disp == b.key.disp;
  }
  struct EdgeMemo { uint32_t from; Memo m; };
  std::vector<std::vector<EdgeMemo>> edge_memo_;  // pass 1: the memo each edge into a block had
  std::vector<MemKey> first_key_;                 // pass 1: each block's first access
  std::vector<Memo> in_memo_;                     // the memo each block starts with (.on), if any
  std::vector<bool> in_used_, in_matched_;        // the carry pass: it served an access; an edge had it
  bool in_any_ = false;                           // some block starts with a memo: the prologue sets L_MOFF
  int carry_pass_ = 0;                            // 0: pass 1, 1: the carry pass, 2: pass 2
  bool memo_rec_ = true;                          // passes 0 and 1: record memo_used_, memo_store_
  bool choose_in_memos();
  uint32_t probe_seq_ = 0;        // probes so far in this pass
  std::vector<bool> memo_used_;   // by probe: pass 1 saw a later access in its page
  std::vector<bool> memo_store_;  // by load probe: pass 1 saw a later store or rmw in its page
  static constexpr int64_t kNoMemo = INT64_MIN;
  int64_t memo_delta(bool write);            // L_A - the memo's address, or kNoMemo
  bool memo_site(uint32_t& site);            // an access's number; true: the memo goes on from it
  void memo_follow(int64_t d);               // MHOST += d, MOFF += d (a served access: the memo moves to it)
  uint32_t memo_host(int64_t d);             // pushes L_MHOST (+ d < 0); returns the memarg offset
  // Around a probe (load, store, rmw): memo_open opens `if (same page) {` when the memo
  // serves this access (u.d its distance: the caller emits the access at memo_host(d)
  // and else_()), then decides whether this access's probe makes the memo (u.make: the
  // caller's hit arm calls memo_make); memo_close, after the probe's `end`, closes the
  // memo's `if` and leaves the memo as the probe left it.
  struct MemoUse {
    int64_t d = kNoMemo;
    uint32_t site = 0;  // this access's number
    bool make = false;  // the memo goes on from this access (a later one uses it)
    bool wtag = false;   // a load whose probe tests the write tag (memo_store_): its memo serves stores
    uint32_t joins = 0;  // b_.joins before: the probe's own arms do not count
    Memo before;
  };
  MemoUse memo_open(int size, bool write, uint8_t type);
  void memo_close(const MemoUse& u, bool write);
  bool memo_live(const MemoUse& u) const { return u.make || u.d != kNoMemo; }  // a slow path ends with memo_none
  void memo_kill_reg(int r) {
    if (memo_.on && (memo_.key.base == r || memo_.key.index == r)) memo_.on = false;
  }
  // r += by was just compiled (push, pop, add/sub of an immediate, lea r, [r + d]): the
  // memo's address in terms of the new r (a join or call in between still voids it)
  void memo_moved(int r, int64_t by, const Memo& before) {
    if (!before.on || (before.key.base == r) == (before.key.index == r)) return;
    memo_ = before;
    memo_.key.disp -= before.key.base == r ? by : (int64_t)((uint64_t)by << before.key.scale);
  }
  void load(int size, uint64_t next_rip, int k);   // pushes [L_A] zero-extended
  void store(int size, uint64_t next_rip, int k);  // [L_A] = L_V
  void load_slow(int size, uint64_t next_rip);     // load()'s miss: the state to memory, the read helper
  void rmw(const Plan& p, int ccop, uint64_t next_rip, int k);  // [L_A] = [L_A] op L_XB, one probe
  int chain_depth_ = -1;               // the block whose end leads to chain_dispatch (-1: no chaining)
  uint32_t exit_cell_ = 0;             // its exits through chain_dispatch, counted (0: not; "Regions that grow")
  uint64_t entry_start_ = 0;           // its entry block's address (what a grow request names)
  void chain_exit(uint64_t target);    // rip = target; leave(), through chain_dispatch
  void chain_exit_to(uint32_t local);  // leave_to(local), through chain_dispatch
  void chain_dispatch();               // the chain table's lookup and the tail call (after the body)
  void exit_stop_check(int k);  // after a call: cpu.stop -> fix icount, return
  void exit_retired(int k);     // instruction k retired (after a call): fix icount, return
  // What an instruction whose store stopped the block (a store into the running block's
  // code) must still commit in exit_stop_check's branch: it retired. cc >= 0: the flags
  // of a read-modify-write (dst L_XA, src L_XB, result L_V, op|size cc); rsp_a: rsp =
  // L_A (push, call); rip_local/rip_const: rip = the call's target.
  struct StopFix { int cc = -1; bool rsp_a = false; int rip_local = -1; bool rip_const = false; uint64_t rip = 0; };
  StopFix stop_fix_;
  void store_fixed(int size, uint64_t next, int k, const StopFix& fix) {
    stop_fix_ = fix;
    store(size, next, k);
    stop_fix_ = StopFix();
  }
  // The count: L_IC holds cpu.icount at the block's start; where something may look (a
  // call, an exit) cpu.icount = L_IC + ic_off_ (the interpreter's count there: n-1 inside
  // a block, 0 after its end). bc.running is stored before the first call of a block
  // (running_set_), in each slow path, never on the fast paths.
  void icount_add(int64_t d);   // the block's end: L_IC += d, ic_off_ = 0
  void write_ic();              // cpu.icount = L_IC + ic_off_
  void set_running();           // bc.running = the current block
  void write_back();            // flags, registers and the count to memory
  void leave();                 // write_back(); return (rip set)
  int64_t ic_off_ = 0;
  bool running_set_ = false;    // stored in this block on the main path (before a handler)
  bool ic_stored_ = false;      // cpu.icount == L_IC + ic_off_ (written before a handler)
  void set_rip(uint64_t v);
  // Deferred flags: an inline ALU instruction leaves its operands in FD/FS/FR and its
  // cc op in L_FOP; the cc record is written only where something may look (before a
  // handler call, a slow path, an exit): materialize(). pend_ is what the compiler knows
  // of L_FOP here: none (0), known (pend_op_), or unknown (at a block's start).
  enum { P_NONE, P_KNOWN, P_UNKNOWN };
  int pend_ = P_UNKNOWN, pend_op_ = 0;
  void defer_flags(int op, int size);
  void set_pending(int tag);    // L_FOP = tag, known to the compiler from here
  void materialize(bool zero);  // zero: L_FOP = 0 after (a handler may change the flags)
  void store_record(bool known);  // the cc record from FD/FS/FR, op|size (pend_op_ or L_FOP), cin
  void store_eager();             // rflags' arithmetic bits = L_FFL, cc.op = CC_NONE
  void push_cf();                 // pushes the current CF (i32) into L_FCIN's use (may materialize)
  void push_szp(int size);        // pushes PF|ZF|SF (i64 rflags bits) of L_FR (zero-extended, size)
  void push_family_cond(int cc);  // pushes cc (i32) from the known family state (fusable_family)
  void shift(const Plan& p, const Insn& in);
  void imul(const Plan& p, const Insn& in, uint64_t next, int k);
  void incdec(const Plan& p);
  void negnot(const Plan& p);
  void sbb_self(const Plan& p, const Insn& in);
  bool has_eager_ = false, has_incdec_ = false;  // the region holds such flag states
  // The region holds inline SSE forms: L_MXOK is computed at its entry and again after
  // every call that can change cpu.mxcsr (a handler, an SSE form's slow path; loads,
  // stores and their helpers cannot, signals and syscalls leave the region), so a guard
  // reads one local instead of loading and masking mxcsr.
  bool has_sse_ = false;
  void mx_compute();
  void sse_mx_ok() override { b_.local_get(L_MXOK); }
  bool sse_nd(int r) override {
    if (xnd_[r]) return true;
    if (!xdep_[r]) return false;
    if (pass2_) return (xdep_[r] & ~xnd_loop_[(size_t)xgroup(cur_)]) == 0;
    xwant_[(size_t)xgroup(cur_)] |= xdep_[r];
    return false;
  }
  void sse_set_nd(int r, bool k) override { xnd_[r] = k; xdep_[r] = 0; }
  void sse_copy_nd(int d, int s) override { xnd_[d] = xnd_[s]; xdep_[d] = xdep_[s]; }
  void sse_exit_retired(int k) override { exit_retired(k); }
  void alu_op(int op);               // the i64 operation of an ALU row (cmp subtracts, test ands)
  void goto_block(uint64_t target, bool can_fall);
  int loop_hint(uint64_t taken, uint64_t fall) const;  // a jcc's hint: 1 likely, 0 unlikely, -1 none
  void alu(const Plan& p, const Insn& in, bool live);
  // bytes and the general ALU form
  void get_r8(int r, bool rex);                 // pushes byte register r (i64, zero-extended)
  void set_r8(int r, bool rex, uint32_t local);  // byte register r = the low byte of `local`
  void get_operand(int r, int size, bool rex) { if (size == 1) get_r8(r, rex); else get_sized(r, size); }
  void alu_x(const Plan& p, const Insn& in, uint64_t next, int k);
  void push_fused_cond(const Plan& prod, int cc, bool family);  // i32 condition from the previous instruction's flags
  void push8(int src, uint64_t imm, uint64_t next, int k, const StopFix& fix);  // [rsp-8] = src (or imm), rsp -= 8
  void leave_to(uint32_t local);                // cpu.rip = local; leave
  void goto_if_rip(const std::vector<uint64_t>& cands);  // L_RIP == t: goto t (held ones)
  std::vector<uint64_t> ret_points_;            // region blocks that follow a call (ret's candidates)
  void handler(const Insn& in, uint64_t next_rip);
  void block_code(uint32_t bi);
  // SseHost: the services compile_sse.cpp's forms use
  Body& sse_body() override { return b_; }
  const Abi& sse_abi() override { return abi_; }
  void sse_ea(const Insn& in, uint64_t next) override { ea(in, next); }
  void sse_load(int size, uint64_t next, int k) override { load(size, next, k); }
  void sse_store(int size, uint64_t next, int k) override { store(size, next, k); }
  void sse_probe(int size, bool write) override;
  void sse_host_addr() override;
  void sse_get(int r) override { get(r); }
  void sse_set(int r, int size) override { set_from_stack(r, size); }
  void sse_xload(int r, int half) override;
  void sse_xget(int r, int half) override;
  void sse_xset(int r, int half) override;
  void sse_xreload(int r, int half) override;
  void sse_slow(const Insn& in, uint64_t next, int k) override;
  void sse_flags_eager() override { set_pending(kEager); }
  Locals sse_locals() override { return {L_CPU, L_A, L_E, L_V, L_FFL, L_XA, L_XB, L_XR}; }
  // the module's function index of engine function `table_index` (imported on first use;
  // shared by the regions of one module)
  uint32_t import(uint32_t table_index, uint32_t type) {
    auto it = im_.index.find(table_index);
    if (it != im_.index.end()) return it->second;
    const uint32_t f = (uint32_t)im_.table.size();
    im_.table.push_back(table_index);
    im_.types.push_back(type);
    im_.index[table_index] = f;
    return f;
  }
  Imports& im_;

  // The layout: the region's blocks in reverse postorder from its entry (a jcc's
  // fall-through right after it; only loops' back edges go backwards). blocks_[i] is
  // region block orig_[i]; `next` (the param, and the dispatcher's selector) holds region
  // indices, so the run loop's jit_entry is unchanged.
  std::vector<const Block*> blocks_;
  std::vector<uint32_t> orig_;
  void lay_out(const std::vector<const Block*>& region);
  const Abi& abi_;
  Body b_;
  bool listing_;
  std::map<uint64_t, uint32_t> index_;
  bool loaded_[kSlots] = {}, dirty_[kSlots] = {};
  // Registers across blocks, by loop (see "Registers: in memory between loops, in
  // locals inside them" at the top). group_[b]: the loop block b belongs to (a span's
  // index, spans_.size() + b for a block that is its own loop outside spans, -1 for a
  // block in no loop); block_used_[b]: the slots b reads or writes inline (pass 1);
  // group_regs_[g]: those of g's blocks, loaded on entry to g and kept in locals inside
  // it. dirty_in_[b]: the slots whose local may be newer than memory when b starts (the
  // union over the edges into b that stay in its loop; every other edge writes the
  // dirty ones back first: in_group()).
  struct Edge { uint32_t from, to; SlotSet dirty; };
  std::vector<int> group_;
  std::vector<SlotSet> block_used_, group_regs_;
  SlotSet group_regs(uint32_t b) const { return group_[b] < 0 ? 0 : group_regs_[(size_t)group_[b]]; }
  bool in_group(uint32_t from, uint32_t to) const;
  void load_group(int g);  // a loop's registers into locals, on entry to it
  std::vector<SlotSet> dirty_in_;
  std::vector<Edge> edges_;
  std::vector<bool> flushes_;  // the block called a handler (which writes everything back)
  // Flags across the region (solved before pass 1): a block's flags are live at its end
  // when an edge leaves the region or a successor's are live at its start; a block that
  // can be entered by a back edge checks the budget at its start (it may leave there:
  // its flags are live at its start). Blocks entered only by forward edges and from
  // outside (the run loop checked the budget) skip the check.
  std::vector<bool> live_out_, checks_, live_in_;
  void region_liveness();
  int loop_depth_ = 0;
  // Structured edges. wrap_depth_[j]: the label of block j's wrapper (a br to it from an
  // earlier block's code lands on block j: forward edges skip the dispatcher). A block
  // whose successor is itself is a wasm loop (self_depth_ while its code is generated).
  // A loop of several blocks, h..t laid out in a row with back edges to h from inside
  // (the innermost first, disjoint), is a wasm loop too: its blocks' wrappers are inside
  // it, the dispatcher enters it through one wrapper (reg_depth_) and, at its head, `next`
  // (== h inside it) selects the block; a back edge to h is a `br` to the head.
  struct Span { uint32_t h, t; int loop_depth = 0, reg_depth = 0; };
  std::vector<Span> spans_;
  std::vector<int> span_of_;  // block -> index in spans_, or -1
  std::vector<int> wrap_depth_;
  std::vector<bool> self_loop_;
  int self_depth_ = -1;
  void choose_spans();
  uint32_t cur_ = 0, n_ = 0;  // block index, its instruction count
  uint32_t end_add_ = 1;      // the count added at the block's end
  Compiled out_;
};

void Gen::load_slot(int s) {
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, slot_off(s));
  b_.local_set(slot_local(s));
  loaded_[s] = true;  // (the guest's value is the same: the probe memo holds)
}

void Gen::get(int r) {
  make_resident(r);
  b_.local_get(L_R0 + r);
}

void Gen::get_sized(int r, int size) {
  get(r);
  if (size == 4) { b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u"); }
  if (size == 2) { b_.i64_const(0xffff); b_.op0(I64_AND, "i64.and"); }
}

void Gen::set_from_stack(int r, int size) {
  if (size == 4) { b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u"); }
  if (size == 2) {  // the low 16 bits merge into the register
    b_.i64_const(0xffff); b_.op0(I64_AND, "i64.and");
    get(r); b_.i64_const(~(int64_t)0xffff); b_.op0(I64_AND, "i64.and");
    b_.op0(I64_OR, "i64.or");
  }
  b_.local_set(L_R0 + r);
  mark_set(r);
}

void Gen::sync_in() {
  const SlotSet regs = group_regs(cur_);
  for (int s = 0; s < kSlots; s++)
    if ((regs >> s & 1) && !loaded_[s]) load_slot(s);
}

// An edge that stays in a loop (its registers stay in locals): a block's own back edge,
// and inside a span a back edge to its head or a forward edge (to an inner wrapper).
// Every other edge goes through a loop's entry or the dispatcher: the dirty registers
// are written back before it, and the loop it enters loads its own.
bool Gen::in_group(uint32_t from, uint32_t to) const {
  if (from == to && self_loop_[from]) return true;
  const int s = span_of_[from];
  return s >= 0 && span_of_[to] == s && (to == spans_[(size_t)s].h || to > from);
}

void Gen::load_group(int g) {
  const SlotSet regs = group_regs_[(size_t)g];
  for (int s = 0; s < kSlots; s++)
    if (regs >> s & 1) load_slot(s);
}

void Gen::flush(bool forget) {
  for (int s = 0; s < kSlots; s++) {
    if (!dirty_[s]) continue;
    b_.local_get(L_CPU);
    b_.local_get(slot_local(s));
    b_.mem(I64_STORE, 3, slot_off(s));
    if (forget) dirty_[s] = false;
  }
}

// xmm halves (compile_sse.cpp): as get/set_from_stack, in their own slots
void Gen::sse_xload(int r, int half) { make_resident(xslot(r, half)); }
void Gen::sse_xget(int r, int half) {
  sse_xload(r, half);
  b_.local_get(slot_local(xslot(r, half)));
}
void Gen::sse_xset(int r, int half) {
  if (half == 0) xkill(r);
  const int s = xslot(r, half);
  b_.local_set(slot_local(s));
  mark_set(s);
}
void Gen::sse_xreload(int r, int half) {
  if (half == 0) xkill(r);
  const int s = xslot(r, half);
  load_slot(s);  // (clean on this path; dirty where the other path of the `if` set it)
}

void Gen::icount_add(int64_t d) {
  ic_off_ = 0;
  ic_stored_ = false;
  if (d == 0) return;
  b_.local_get(L_IC);
  b_.i64_const(d);
  b_.op0(I64_ADD, "i64.add");
  b_.local_set(L_IC);
}

void Gen::write_ic() {
  b_.local_get(L_CPU);
  b_.local_get(L_IC);
  if (ic_off_) { b_.i64_const(ic_off_); b_.op0(I64_ADD, "i64.add"); }
  b_.mem(I64_STORE, 3, abi_.off_icount);
}

void Gen::set_running() {
  b_.i32_const((int32_t)abi_.addr_running);
  b_.i32_const((int32_t)abi_.addr(blocks_[cur_]));
  b_.mem(I32_STORE, 2, 0);
}

// Flags, registers and the count to memory, as the run loop must find them at an exit.
void Gen::write_back() {
  materialize(false);
  flush(false);  // (another path may stay in the region with the same locals)
  write_ic();
}

void Gen::leave() {
  write_back();
  b_.i32_const(0);
  b_.ret();
}

// Chaining (docs/jit.md, "Chained regions"). An exit leaves the state in memory as
// leave() does, then, instead of returning to the run loop, looks its target up in the
// tier's chain table (every block of every live compiled region of this address space,
// by address: its Block, its region's slot in the hub's table, its entry index) and
// enters that region by a tail call, unless the run loop must look (the budget is spent
// or cpu.stop is set). The run loop's part of an entry (bc.running, the count) is done
// here. One copy of the lookup per function, after its body: the exits `br` to it.
void Gen::chain_exit(uint64_t target) {
  if (chain_depth_ < 0) {
    set_rip(target);
    leave();
    return;
  }
  write_back();
  b_.i64_const((int64_t)target);
  b_.local_set(L_RIP);
  b_.br((uint32_t)(b_.depth - chain_depth_));
}

void Gen::chain_exit_to(uint32_t local) {
  if (chain_depth_ < 0) {
    leave_to(local);
    return;
  }
  write_back();
  if (local != L_RIP) { b_.local_get(local); b_.local_set(L_RIP); }
  b_.br((uint32_t)(b_.depth - chain_depth_));  // (chain_dispatch stores L_RIP as cpu.rip)
}

// The state is in memory but rip, the target in L_RIP.
//   if (cpu.icount < limit && !cpu.stop) {
//     if (++exits == grow_at) { bc.grow_request = entry; return 0 }   (a region that may grow)
//     e = chain_table + chain_slot(rip) * 16
//     if (e.addr == rip && e.block) {
//       bc.running = e.block; cpu.jit.chained++
//       return_call hub(cpu, e.target & 0xff, e.target >> 8) } }   (the hub: return_call_indirect
//       of the region in that slot of its own table, jit_host.cpp)
//   return 0
void Gen::chain_dispatch() {
  if (listing_) b_.text += ";; chaining: an exit goes on in the region holding its target, if any\n";
  b_.local_get(L_CPU);
  b_.local_get(L_RIP);
  b_.mem(I64_STORE, 3, abi_.off_rip);
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, abi_.off_icount);
  b_.local_get(L_LIM);
  b_.op0(I64_LT_U, "i64.lt_u");
  b_.local_get(L_CPU);
  b_.mem(I32_LOAD8_U, 0, abi_.off_stop);
  b_.op0(I32_EQZ, "i32.eqz");
  b_.op0(I32_AND, "i32.and");
  b_.if_hint(true);
  if (exit_cell_ && abi_.addr_grow && abi_.grow_at) {
    // This region's exits to other regions, counted: at grow_at of them the run loop
    // compiles it again, bigger (jit.h "Regions that grow"); the state is in memory.
    if (listing_) b_.text += ";; counted: at the grow_at-th exit here, ask the tier to grow this region\n";
    b_.i32_const((int32_t)exit_cell_);
    b_.i32_const((int32_t)exit_cell_);
    b_.mem(I32_LOAD, 2, 0);
    b_.i32_const(1);
    b_.op0(I32_ADD, "i32.add");
    b_.local_tee(L_E);  // (free until the lookup below)
    b_.mem(I32_STORE, 2, 0);
    b_.local_get(L_E);
    b_.i32_const((int32_t)abi_.grow_at);
    b_.op0(I32_EQ, "i32.eq");
    b_.if_hint(false);
    b_.i32_const((int32_t)abi_.addr_grow);
    b_.i64_const((int64_t)entry_start_);
    b_.mem(I64_STORE, 3, 0);
    b_.i32_const(0);
    b_.ret();
    b_.end();
  }
  b_.local_get(L_RIP);
  b_.i64_const((int64_t)kChainHash);
  b_.op0(I64_MUL, "i64.mul");
  b_.i64_const(64 - (int64_t)abi_.chain_bits);
  b_.op0(I64_SHR_U, "i64.shr_u");
  b_.op0(I32_WRAP_I64, "i32.wrap_i64");
  b_.i32_const(4);
  b_.op0(I32_SHL, "i32.shl");
  b_.i32_const((int32_t)abi_.chain_table);
  b_.op0(I32_ADD, "i32.add");
  b_.local_tee(L_E);
  b_.mem(I64_LOAD, 3, offsetof(ChainSlot, addr));
  b_.local_get(L_RIP);
  b_.op0(I64_EQ, "i64.eq");
  b_.local_get(L_E);  // (an empty slot, all 0, has no block: rip 0 must not match it)
  b_.mem(I32_LOAD, 2, offsetof(ChainSlot, block));
  b_.i32_const(0);
  b_.op0(I32_NE, "i32.ne");
  b_.op0(I32_AND, "i32.and");
  b_.if_hint(true);
  b_.i32_const((int32_t)abi_.addr_running);
  b_.local_get(L_E);
  b_.mem(I32_LOAD, 2, offsetof(ChainSlot, block));
  b_.mem(I32_STORE, 2, 0);
  b_.local_get(L_CPU);
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, abi_.off_chained);
  b_.i64_const(1);
  b_.op0(I64_ADD, "i64.add");
  b_.mem(I64_STORE, 3, abi_.off_chained);
  b_.local_get(L_CPU);
  b_.local_get(L_E);
  b_.mem(I32_LOAD, 2, offsetof(ChainSlot, target));
  b_.i32_const(0xff);
  b_.op0(I32_AND, "i32.and");
  b_.local_get(L_E);
  b_.mem(I32_LOAD, 2, offsetof(ChainSlot, target));
  b_.i32_const(8);
  b_.op0(I32_SHR_U, "i32.shr_u");
  b_.return_call(import(kHubImport, TY_HUB), "the hub: return_call_indirect of the region in that slot");
  b_.end();
  b_.end();
  b_.i32_const(0);
  b_.ret();
}

void Gen::set_rip(uint64_t v) {
  b_.local_get(L_CPU);
  b_.i64_const((int64_t)v);
  b_.mem(I64_STORE, 3, abi_.off_rip);
}

// After a call that may set cpu.stop: instruction k retired; leave with rip (already
// set by the call's instruction) and the count exact. Registers are in memory, and so is
// the count (start + n-1) plus what the handler added: a rep string instruction that
// yields counts its work and stops (rep_yield), the only handler that changes the count.
void Gen::exit_stop_check(int k) {
  b_.local_get(L_CPU);
  b_.mem(I32_LOAD8_U, 0, abi_.off_stop);
  b_.if_hint(false);
  exit_retired(k);
  b_.end();
}

void Gen::exit_retired(int k) {
  b_.local_get(L_CPU);
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, abi_.off_icount);
  b_.i64_const((int64_t)(k + 1) - ic_off_);
  b_.op0(I64_ADD, "i64.add");
  b_.mem(I64_STORE, 3, abi_.off_icount);
  const StopFix& f = stop_fix_;
  if (f.cc >= 0) {  // the read-modify-write's flags (its store committed)
    const uint32_t o = abi_.off_cc;
    b_.local_get(L_CPU); b_.local_get(L_XA); b_.mem(I64_STORE, 3, o + offsetof(LazyFlags, dst));
    b_.local_get(L_CPU); b_.local_get(L_XB); b_.mem(I64_STORE, 3, o + offsetof(LazyFlags, src));
    b_.local_get(L_CPU); b_.local_get(L_V); b_.mem(I64_STORE, 3, o + offsetof(LazyFlags, res));
    b_.local_get(L_CPU); b_.i32_const(f.cc); b_.mem(I32_STORE16, 0, o + offsetof(LazyFlags, op));
  }
  if (f.rsp_a) { b_.local_get(L_CPU); b_.local_get(L_A); b_.mem(I64_STORE, 3, abi_.off_r + 8 * RSP); }
  if (f.rip_const) set_rip(f.rip);
  if (f.rip_local >= 0) { b_.local_get(L_CPU); b_.local_get((uint32_t)f.rip_local); b_.mem(I64_STORE, 3, abi_.off_rip); }
  b_.i32_const(0);
  b_.ret();
}

void Gen::ea(const Insn& in, uint64_t next_rip) {
  address(in, next_rip);
  if (in.seg) {
    b_.local_get(L_CPU);
    b_.mem(I64_LOAD, 3, in.seg == SEG_FS ? abi_.off_fs : abi_.off_gs);
    b_.op0(I64_ADD, "i64.add");
  }
  MemKey key;
  if (in.asz == 8) {  // (32-bit addresses wrap: no fixed distance between two of them)
    key.ok = true;
    key.base = in.base == RIPREL ? NOREG : in.base;
    key.index = in.index;
    key.scale = in.scale;
    key.seg = in.seg;
    key.disp = (int64_t)in.disp + (in.base == RIPREL ? (int64_t)next_rip : 0);
  }
  set_a(key);
}

// base + index << scale + disp (rip-relative: from the next instruction), truncated to
// 32 bits for a 32-bit address size; the segment base is ea()'s (lea has none).
void Gen::address(const Insn& in, uint64_t next_rip) {
  int64_t disp = in.disp;
  bool have = false;
  if (in.base == RIPREL) disp += (int64_t)next_rip;
  else if (in.base != NOREG) { get(in.base); have = true; }
  if (in.index != NOREG) {
    get(in.index);
    if (in.scale) { b_.i64_const(in.scale); b_.op0(I64_SHL, "i64.shl"); }
    if (have) b_.op0(I64_ADD, "i64.add");
    have = true;
  }
  if (!have) b_.i64_const(disp);
  else if (disp) { b_.i64_const(disp); b_.op0(I64_ADD, "i64.add"); }
  if (in.asz == 4) { b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u"); }
}

static int log2size(int size) { return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3; }

// L_E = the TLB entry of L_A; pushes "tag matches and the access stays in the page".
// One compare does both (as QEMU's softmmu fast path): the tag is tested against the page
// of the access's last byte, the entry is the one of its first byte. If the access crosses
// a page, the last byte's page indexes the next entry, so the entry of the first byte
// never holds it: a miss, and the helper does the split access.
// The entry size is a power of two (32), so the index's multiply is folded into the shift:
//   e = tlb + ((a >> (12 - log2(entry_size))) & (mask * entry_size))   (= ((a >> 12) & mask) * entry_size)
//   hit = e.tag == ((a + size - 1) & ~0xfff)
static void tlb_probe(Body& b, const Abi& abi, int size, uint32_t tag_off) {
  const uint32_t sh = abi.tlb_entry_log2;
  b.local_get(L_A);
  b.i64_const(12 - (int)sh);
  b.op0(I64_SHR_U, "i64.shr_u");
  b.op0(I32_WRAP_I64, "i32.wrap_i64");
  b.i32_const((int32_t)(abi.tlb_mask << sh));
  b.op0(I32_AND, "i32.and");
  b.local_get(L_TLB);
  b.op0(I32_ADD, "i32.add");
  b.local_tee(L_E);
  b.mem(I64_LOAD, 3, tag_off);
  b.local_get(L_A);
  if (size > 1) {  // (a byte never crosses a page)
    b.i64_const(size - 1);
    b.op0(I64_ADD, "i64.add");
  }
  b.i64_const((int64_t)~0xfffull);
  b.op0(I64_AND, "i64.and");
  b.op0(I64_EQ, "i64.eq");
}

// host address of L_A through entry L_E (delta at +16)
static void host_addr(Body& b) {
  b.local_get(L_E);
  b.mem(I64_LOAD, 3, 16);
  b.local_get(L_A);
  b.op0(I64_ADD, "i64.add");
  b.op0(I32_WRAP_I64, "i32.wrap_i64");
}

// [SECTION] probe memo
// Two accesses through the same base and index registers, unchanged between them, are a
// known distance d apart (their displacements' difference; push and pop move rsp by a
// known 8 too). When the first one's probe hit, the second needs no probe of its own if
// it lies in the same page: its host address is the first one's plus d. Python's C code
// reads and writes an object's fields through one pointer (`ob->ob_refcnt`, `ob_type`,
// a frame's slots), a function's prologue pushes five registers in a row: 22% of the
// memory operands in python3's code have such a predecessor in their basic block.
//   first (a probe whose page a later access uses; pass 1 finds which):
//     if (probe hits) { MHOST = host(a); MOFF = a & 0xfff; ... } else { slow path; MOFF = kMoffNone }
//   a later one, d = its address - the first one's:
//     if (MOFF + d <=u 4096 - size) { [MHOST + d]; MHOST += d; MOFF += d }
//     else { its own probe, which makes the memo as the first one's did }
// So after every access the memo is that access's (when a later one uses it): the
// memo's state at a block's end does not depend on which accesses were served, and a
// loop's `a[i]` moves it along (memo_moved: i += 1 moves the key's displacement).
// The memo holds while no control flow joins (Body::joins: the probes' own arms keep
// MOFF true, every slow path ends by setting it to kMoffNone, since a helper may change
// any page's frame: a copy-on-write, an munmap), no call is made (a handler: invalidate),
// and neither register is written (mark_set; push, pop, add/sub of an immediate and lea
// move it: memo_moved). A write probe's memo serves loads and stores (writable, no code,
// readable: x86 has no write-only pages); a read probe's serves loads only, unless pass 1
// saw a later store use it (memo_store_): then that load tests the write tag first.
// Across a block's start (in_memo_): pass 1 records the memo each edge has and each
// block's first access; choose_in_memos gives a block the memo of an edge in through
// that access's registers (a back edge first: a loop's head then takes the memo its
// last iteration left; only in regions where a loop's head has one); a carry pass (pass
// 2's code, recording like pass 1) keeps the blocks whose memo served an access and
// came in on some edge; in pass 2 every other
// edge into such a block sets MOFF = kMoffNone (goto_block), and so does the prologue
// (the function's entry, the dispatcher). Accesses are numbered in order (memo_site),
// served or not, so the passes' numbers name the same accesses.
int64_t Gen::memo_delta(bool write) {
  if (!memo_.on || !key_.ok) return kNoMemo;
  const MemKey& m = memo_.key;
  if (m.base != key_.base || m.index != key_.index || m.scale != key_.scale || m.seg != key_.seg) return kNoMemo;
  if (b_.depth != memo_.depth || b_.joins != memo_.joins || b_.loops != memo_.loops) return kNoMemo;
  const int64_t d = key_.disp - m.disp;
  if (d <= -4096 || d >= 4096) return kNoMemo;
  if (write && !memo_.write) {
    // A load's read memo: pass 1 asks for that load to probe the write tag (then its memo
    // serves stores too, and pass 2 decides as pass 1 did); in pass 2 the load did not.
    if (!memo_rec_ || !memo_.from_load) return kNoMemo;
    if (memo_store_.size() <= memo_.origin) memo_store_.resize(memo_.origin + 1, false);
    memo_store_[memo_.origin] = true;
  }
  if (memo_.carried >= 0 && memo_rec_) in_used_[(size_t)memo_.carried] = true;
  if (memo_rec_) {  // (a carried memo's site may come later in the pass: a loop's back edge)
    if (memo_used_.size() <= memo_.site) memo_used_.resize(memo_.site + 1, false);
    memo_used_[memo_.site] = true;
  }
  return d;
}

bool Gen::memo_site(uint32_t& site) {
  site = probe_seq_++;
  if (memo_rec_) {
    if (memo_used_.size() <= site) memo_used_.resize(site + 1, false);
    return key_.ok;
  }
  return key_.ok && site < memo_used_.size() && memo_used_[site];
}

void Gen::memo_follow(int64_t d) {
  if (d == 0) return;
  b_.local_get(L_MHOST);
  b_.i32_const((int32_t)d);
  b_.op0(I32_ADD, "i32.add");
  b_.local_set(L_MHOST);
  b_.local_get(L_MOFF);
  b_.i64_const(d);
  b_.op0(I64_ADD, "i64.add");
  b_.local_set(L_MOFF);
}

uint32_t Gen::memo_host(int64_t d) {
  b_.local_get(L_MHOST);
  if (d >= 0) return (uint32_t)d;
  b_.i32_const((int32_t)d);
  b_.op0(I32_ADD, "i32.add");
  return 0;
}

// pushes "L_MOFF + d stays in the page for `size` bytes"
static void memo_test(Body& b, int64_t d, int size) {
  b.local_get(L_MOFF);
  if (d) {
    b.i64_const(d);
    b.op0(I64_ADD, "i64.add");
  }
  b.i64_const(4096 - size);
  b.op0(I64_LE_U, "i64.le_u");
}

// In a probe's hit arm, the host address on the stack: it and L_A's page offset become
// the memo's (the host address stays on the stack).
static void memo_make(Body& b) {
  b.local_tee(L_MHOST);
  b.local_get(L_A);
  b.i64_const(0xfff);
  b.op0(I64_AND, "i64.and");
  b.local_set(L_MOFF);
}

static void memo_none(Body& b) {
  b.i64_const(kMoffNone);
  b.local_set(L_MOFF);
}

Gen::MemoUse Gen::memo_open(int size, bool write, uint8_t type) {
  MemoUse u;
  u.joins = b_.joins;
  u.before = memo_;
  if (carry_pass_ == 0 && !first_key_[cur_].ok) first_key_[cur_] = key_;
  u.d = memo_delta(write);
  u.make = memo_site(u.site);  // (served or not: every access has its number, alike in both passes)
  if (u.d != kNoMemo) {
    if (listing_) b_.text += ";; (the page of an access before: no probe while it stays there)\n";
    memo_test(b_, u.d, size);
    b_.if_hint(true, type);
  }
  return u;
}

void Gen::memo_close(const MemoUse& u, bool write) {
  const bool served = u.d != kNoMemo;
  if (served) b_.end();
  b_.joins = u.joins;
  memo_ = Memo();
  if (!u.make) return;
  memo_.on = true;
  memo_.key = key_;
  memo_.site = u.site;
  // (a served access keeps the tag of the probe that made the memo; its else arm probes
  // that tag again)
  memo_.write = served ? u.before.write : write || u.wtag;
  memo_.from_load = served ? u.before.from_load : !write;
  memo_.origin = served ? u.before.origin : u.site;
  memo_.rebase(b_);
}

void Gen::load(int size, uint64_t next_rip, int k) {
  static const uint8_t ops[4] = {I64_LOAD8_U, I64_LOAD16_U, I64_LOAD32_U, I64_LOAD};
  MemoUse u = memo_open(size, false, T_I64);
  if (u.d != kNoMemo) {
    b_.mem(ops[log2size(size)], 0, memo_host(u.d));
    if (u.make) memo_follow(u.d);
    b_.else_();
    u.wtag = u.make && u.before.write;  // (the memo keeps serving stores from the next page)
  } else {
    u.wtag = !memo_rec_ && u.make && u.site < memo_store_.size() && memo_store_[u.site];
  }
  // a probe of one tag (0: read, 8: write) whose hit arm loads (and makes the memo)
  auto probe_hit = [&](uint32_t tag, bool make) {
    tlb_probe(b_, abi_, size, tag);
    b_.if_hint(true, T_I64);
    host_addr(b_);
    if (make) memo_make(b_);
    b_.mem(ops[log2size(size)], 0, 0);
    b_.else_();
  };
  if (u.wtag) {
    // A later access of the block stores through this one's page: test the write tag
    // (writable, no code, so readable too) and make a memo that serves stores; a page
    // that is only readable (read-only, copy-on-write, holding code) loads through its
    // read tag and makes none.
    if (listing_) b_.text += ";; (a later store uses this page: the write tag first)\n";
    probe_hit(8, true);
  }
  probe_hit(0, u.make && !u.wtag);
  load_slow(size, next_rip);
  if (memo_live(u) && !u.wtag) memo_none(b_);
  b_.end();
  if (u.wtag) {
    memo_none(b_);
    b_.end();
  }
  memo_close(u, false);
}

// Slow path of a load (may fault): state as the interpreter has it before this
// instruction, then the read helper (pushes the value).
void Gen::load_slow(int size, uint64_t next_rip) {
  materialize(false);
  flush(false);
  if (!ic_stored_) write_ic();
  if (!running_set_) set_running();
  set_rip(next_rip);
  b_.local_get(L_CPU);
  b_.local_get(L_A);
  b_.call(import(abi_.rd_helper[log2size(size)], TY_READ), "read slow path");
}

// A read-modify-write of memory (add/sub/and/or/xor [mem], src: python's refcounts) with
// one TLB probe: a write tag that matches says the page is writable and holds no code, so
// it is also readable (x86 has no write-only pages), and the load and the store use the
// one host address. A miss reads and writes through the helpers, as load() and store()
// would (the write may still fault, or hit code: the stop check commits the flags).
//   if (tlb[a].write_tag == page(a + size - 1)) {
//     h = host(a); XA = [h]; V = XR = XA op XB; [h] = V
//   } else {
//     state to memory; XA = read_helper(a); V = XR = XA op XB
//     write_helper(a, V); if (cpu.stop) { the flags of the retired rmw; return }
//   }
void Gen::rmw(const Plan& p, int ccop, uint64_t next_rip, int k) {
  const int S = p.size;
  static const uint8_t lds[4] = {I64_LOAD8_U, I64_LOAD16_U, I64_LOAD32_U, I64_LOAD};
  static const uint8_t sts[4] = {I64_STORE8, I64_STORE16, I64_STORE32, I64_STORE};
  auto compute = [&] {  // the loaded value on the stack: XA = it; V = XR = XA op XB
    b_.local_set(L_XA);
    b_.local_get(L_XA);
    b_.local_get(L_XB);
    alu_op(p.op);
    b_.local_tee(L_V);
    b_.local_set(L_XR);
  };
  auto inline_rmw = [&](uint32_t off) {  // the host address on the stack
    b_.local_tee(L_E);  // (the entry is not needed again: L_E = the host address)
    b_.mem(lds[log2size(S)], 0, off);
    compute();
    b_.local_get(L_E);
    b_.local_get(L_V);
    b_.mem(sts[log2size(S)], 0, off);
  };
  MemoUse u = memo_open(S, true, T_VOID);
  if (u.d != kNoMemo) {
    inline_rmw(memo_host(u.d));
    if (u.make) memo_follow(u.d);
    b_.else_();
  }
  tlb_probe(b_, abi_, S, 8);
  b_.if_hint(true);
  host_addr(b_);
  if (u.make) memo_make(b_);
  inline_rmw(0);
  b_.else_();
  load_slow(S, next_rip);
  compute();
  // (the state is in memory and rip set: load_slow did it, the read helper changed neither)
  b_.local_get(L_CPU);
  b_.local_get(L_A);
  b_.local_get(L_V);
  b_.call(import(abi_.wr_helper[log2size(S)], TY_WRITE), "write slow path");
  StopFix fix;
  fix.cc = ccop;
  stop_fix_ = fix;
  exit_stop_check(k);
  stop_fix_ = StopFix();
  if (memo_live(u)) memo_none(b_);
  b_.end();
  memo_close(u, true);
}

void Gen::store(int size, uint64_t next_rip, int k) {
  static const uint8_t ops[4] = {I64_STORE8, I64_STORE16, I64_STORE32, I64_STORE};
  MemoUse u = memo_open(size, true, T_VOID);
  if (u.d != kNoMemo) {
    const uint32_t off = memo_host(u.d);
    b_.local_get(L_V);
    b_.mem(ops[log2size(size)], 0, off);
    if (u.make) memo_follow(u.d);
    b_.else_();
  }
  tlb_probe(b_, abi_, size, 8);
  b_.if_hint(true);
  host_addr(b_);
  if (u.make) memo_make(b_);
  b_.local_get(L_V);
  b_.mem(ops[log2size(size)], 0, 0);
  b_.else_();
  // Slow path: may fault, or hit a page holding code (the block cache drops its blocks
  // and this region; cpu.stop is set when the running block was one of them).
  materialize(false);
  flush(false);
  if (!ic_stored_) write_ic();
  if (!running_set_) set_running();
  set_rip(next_rip);
  b_.local_get(L_CPU);
  b_.local_get(L_A);
  b_.local_get(L_V);
  b_.call(import(abi_.wr_helper[log2size(size)], TY_WRITE), "write slow path");
  exit_stop_check(k);
  if (memo_live(u)) memo_none(b_);
  b_.end();
  memo_close(u, true);
}

void Gen::sse_probe(int size, bool write) { tlb_probe(b_, abi_, size, write ? 8 : 0); }
void Gen::sse_host_addr() { host_addr(b_); }

// The handler as the slow path of an inline SSE form (inside its `if`): as a load's slow
// path, the state is written back without forgetting the locals (the other path keeps
// them); the SSE handlers change no general register (cvtt*2si's result is re-read).
void Gen::sse_slow(const Insn& in, uint64_t next, int k) {
  materialize(false);
  flush(false);
  // The handler may fault: the count and the running block as the interpreter has them
  // (found by the cpu-diff replay: a misaligned movaps in compiled code left icount stale).
  if (!ic_stored_) write_ic();
  if (!running_set_) set_running();
  set_rip(next);
  b_.local_get(L_CPU);
  b_.i32_const((int32_t)abi_.addr(&in));
  b_.call(import(abi_.handler(in.fn), TY_HANDLER), insn_text(in));
  mx_compute();  // (the handler set MXCSR flags)
  exit_stop_check(k);
}

// FD op FS on the stack -> the i64 result (cmp is a subtraction, test an and).
void Gen::alu_op(int op) {
  switch (op) {
    case ADD: b_.op0(I64_ADD, "i64.add"); break;
    case SUB: case CMP: b_.op0(I64_SUB, "i64.sub"); break;
    case OR: b_.op0(I64_OR, "i64.or"); break;
    case AND: case TEST: b_.op0(I64_AND, "i64.and"); break;
    default: b_.op0(I64_XOR, "i64.xor"); break;
  }
}

void Gen::set_pending(int tag) {
  pend_op_ = tag;
  pend_ = P_KNOWN;
  b_.i32_const(tag);
  b_.local_set(L_FOP);
}

void Gen::defer_flags(int op, int size) {
  const int ccop = op == ADD ? CC_ADD : (op == SUB || op == CMP) ? CC_SUB : CC_LOGIC;
  set_pending(ccop | size << 8);
}

void Gen::store_record(bool known) {
  const uint32_t o = abi_.off_cc;
  b_.local_get(L_CPU); b_.local_get(L_FD); b_.mem(I64_STORE, 3, o + offsetof(LazyFlags, dst));
  b_.local_get(L_CPU); b_.local_get(L_FS); b_.mem(I64_STORE, 3, o + offsetof(LazyFlags, src));
  b_.local_get(L_CPU); b_.local_get(L_FR); b_.mem(I64_STORE, 3, o + offsetof(LazyFlags, res));
  b_.local_get(L_CPU);
  if (known) b_.i32_const(pend_op_); else b_.local_get(L_FOP);
  b_.mem(I32_STORE16, 0, o + offsetof(LazyFlags, op));
  const int op = pend_op_ & 0xff;
  if (known ? op == CC_INC || op == CC_DEC : has_incdec_) {  // (harmless for the other ops)
    b_.local_get(L_CPU); b_.local_get(L_FCIN); b_.mem(I32_STORE8, 0, o + offsetof(LazyFlags, cin));
  }
}

void Gen::store_eager() {
  b_.local_get(L_CPU);
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, abi_.off_rflags);
  b_.i64_const((int64_t)~FL_ARITH);
  b_.op0(I64_AND, "i64.and");
  b_.local_get(L_FFL);
  b_.op0(I64_OR, "i64.or");
  b_.mem(I64_STORE, 3, abi_.off_rflags);
  b_.local_get(L_CPU);
  b_.i32_const(CC_NONE);
  b_.mem(I32_STORE8, 0, abi_.off_cc + offsetof(LazyFlags, op));
}

void Gen::materialize(bool zero) {
  if (pend_ == P_NONE) return;
  if (pend_ == P_KNOWN) {
    if (pend_op_ == kEager) store_eager();
    else store_record(true);
  } else {
    b_.local_get(L_FOP);
    b_.if_();
    if (has_eager_) {
      b_.local_get(L_FOP);
      b_.i32_const(kEager);
      b_.op0(I32_AND, "i32.and");
      b_.if_();
      store_eager();
      b_.else_();
      store_record(false);
      b_.end();
    } else {
      store_record(false);
    }
  }
  if (zero) { b_.i32_const(0); b_.local_set(L_FOP); }
  if (pend_ == P_UNKNOWN) b_.end();
  if (zero) pend_ = P_NONE;
}

// The carry flag before an inc/dec (its preserved CF): from the locals when the
// compiler knows the pending state, else from the materialised record (helper_cf).
void Gen::push_cf() {
  if (pend_ == P_KNOWN) {
    const int op = pend_op_ & 0xff, S = pend_op_ >> 8;
    if (pend_op_ == kEager) {
      b_.local_get(L_FFL); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.i32_const(1); b_.op0(I32_AND, "i32.and");
    } else if (op == CC_ADD) {  // res < dst (size-truncated; FD is, FR may carry out)
      b_.local_get(L_FR);
      if (S == 4) b_.op0(I32_WRAP_I64, "i32.wrap_i64");
      if (S == 1 || S == 2) { b_.i64_const(S == 1 ? 0xff : 0xffff); b_.op0(I64_AND, "i64.and"); }
      b_.local_get(L_FD);
      if (S == 4) b_.op0(I32_WRAP_I64, "i32.wrap_i64");
      b_.op0(S == 4 ? I32_LT_U : I64_LT_U, S == 4 ? "i32.lt_u" : "i64.lt_u");
    } else if (op == CC_SUB) {  // dst < src (both truncated)
      b_.local_get(L_FD); b_.local_get(L_FS); b_.op0(I64_LT_U, "i64.lt_u");
    } else if (op == CC_LOGIC) {
      b_.i32_const(0);
    } else {  // CC_INC, CC_DEC: the CF they kept
      b_.local_get(L_FCIN);
    }
    return;
  }
  materialize(true);
  b_.local_get(L_CPU);
  b_.i64_const(0);
  b_.call(import(abi_.cf_helper, TY_READ), "helper_cf");
  b_.op0(I32_WRAP_I64, "i32.wrap_i64");
}

// PF | ZF | SF as rflags bits (i64) of L_FR, a value zero-extended from `size`.
void Gen::push_szp(int size) {
  b_.local_get(L_FR);
  b_.i64_const(0xff); b_.op0(I64_AND, "i64.and");
  b_.op0(I64_POPCNT, "i64.popcnt");
  b_.i64_const(1); b_.op0(I64_AND, "i64.and");
  b_.i64_const(1); b_.op0(I64_XOR, "i64.xor");
  b_.i64_const(2); b_.op0(I64_SHL, "i64.shl");  // PF: an even count of ones in the low byte
  b_.local_get(L_FR);
  b_.op0(I64_EQZ, "i64.eqz"); b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
  b_.i64_const(6); b_.op0(I64_SHL, "i64.shl");
  b_.op0(I64_OR, "i64.or");
  b_.local_get(L_FR);
  b_.i64_const(size * 8 - 1); b_.op0(I64_SHR_U, "i64.shr_u");
  b_.i64_const(7); b_.op0(I64_SHL, "i64.shl");
  b_.op0(I64_OR, "i64.or");
}

// Condition cc (i32) of the state a live flag-family instruction just left (pend_ known).
void Gen::push_family_cond(int cc) {
  const int S = pend_op_ >> 8;
  const bool inc = (pend_op_ & 0xff) == CC_INC;
  auto flag = [&](int which) {  // 0 OF, 1 CF, 2 ZF, 4 SF, 5 PF
    if (pend_op_ == kEager) {
      static const uint64_t bits[6] = {FL_OF, FL_CF, FL_ZF, 0, FL_SF, FL_PF};
      b_.local_get(L_FFL); b_.i64_const((int64_t)bits[which]); b_.op0(I64_AND, "i64.and");
      b_.i64_const(0); b_.op0(I64_NE, "i64.ne");
      return;
    }
    if (which == 1) { b_.local_get(L_FCIN); return; }
    b_.local_get(L_FR);
    if (S == 4) b_.op0(I32_WRAP_I64, "i32.wrap_i64");
    switch (which) {
      case 2: b_.op0(S == 4 ? I32_EQZ : I64_EQZ, S == 4 ? "i32.eqz" : "i64.eqz"); break;
      case 4:
        if (S == 4) { b_.i32_const(0); b_.op0(I32_LT_S, "i32.lt_s"); } else { b_.i64_const(0); b_.op0(I64_LT_S, "i64.lt_s"); }
        break;
      default:  // OF: inc made the sign bit alone, dec the largest positive value
        if (S == 4) { b_.i32_const(inc ? INT32_MIN : INT32_MAX); b_.op0(I32_EQ, "i32.eq"); }
        else { b_.i64_const(inc ? INT64_MIN : INT64_MAX); b_.op0(I64_EQ, "i64.eq"); }
        break;
    }
  };
  switch (cc >> 1) {
    case 0: flag(0); break;
    case 1: flag(1); break;
    case 2: flag(2); break;
    case 3: flag(1); flag(2); b_.op0(I32_OR, "i32.or"); break;
    case 4: flag(4); break;
    case 5: flag(5); break;
    case 6: flag(4); flag(0); b_.op0(I32_NE, "i32.ne"); break;
    default: flag(2); flag(4); flag(0); b_.op0(I32_NE, "i32.ne"); b_.op0(I32_OR, "i32.or"); break;
  }
  if (cc & 1) b_.op0(I32_EQZ, "i32.eqz");
}

// shl/shr/sar/rol/ror by an immediate or cl. Dead flags: the result only. Live (shl,
// shr, sar): CF = the last bit out, OF by the count-1 formula for every count (shl:
// MSB(res) ^ CF, shr: MSB(dst), sar: 0), SF ZF PF of the result, AF = 0, as rflags bits
// (kEager); by cl, only when the masked count is not 0 (else no flag changes).
void Gen::shift(const Plan& p, const Insn& in) {
  (void)in;
  static const uint8_t op32[8] = {I32_ROTL, I32_ROTR, 0, 0, I32_SHL, I32_SHR_U, 0, I32_SHR_S};
  static const uint8_t op64[8] = {I64_ROTL, I64_ROTR, 0, 0, I64_SHL, I64_SHR_U, 0, I64_SHR_S};
  static const char* names[8] = {"rotl", "rotr", "", "", "shl", "shr_u", "", "shr_s"};
  const int S = p.size, bits = 8 * S;
  const bool cl = p.k == K_SHIFT_CL;
  const std::string n32 = std::string("i32.") + names[p.op], n64 = std::string("i64.") + names[p.op];
  if (!cl && p.src == 0) {  // nothing shifts and no flag changes; a 32-bit register is still written
    if (S == 4) { get(p.dst); set_from_stack(p.dst, 4); }
    return;
  }
  if (!p.live) {
    get(p.dst);
    if (S == 2) {  // (shl/shr/sar by 1..31 alone: the 16-bit operand widened, shifted, merged back)
      if (p.op == 5) { b_.i64_const(0xffff); b_.op0(I64_AND, "i64.and"); }
      if (p.op == 7) { b_.i64_const(48); b_.op0(I64_SHL, "i64.shl"); b_.i64_const(48); b_.op0(I64_SHR_S, "i64.shr_s"); }
      b_.i64_const(p.src);
      b_.op0(op64[p.op], n64.c_str());
      set_from_stack(p.dst, 2);
      return;
    }
    if (S == 4) {
      b_.op0(I32_WRAP_I64, "i32.wrap_i64");
      if (cl) { get(RCX); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); } else b_.i32_const(p.src);
      b_.op0(op32[p.op], n32.c_str());  // (wasm masks the count as x86 does: mod 32, mod 64)
      b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
    } else {
      if (cl) get(RCX); else b_.i64_const(p.src);
      b_.op0(op64[p.op], n64.c_str());
    }
    set_from_stack(p.dst, 8);
    return;
  }
  // live: L_V = the operand, L_A = the masked count (cl)
  get_sized(p.dst, S);
  b_.local_set(L_V);
  if (cl) { get(RCX); b_.i64_const(bits - 1); b_.op0(I64_AND, "i64.and"); set_a(MemKey()); }
  b_.local_get(L_V);
  if (S == 4) {
    b_.op0(I32_WRAP_I64, "i32.wrap_i64");
    if (cl) { b_.local_get(L_A); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); } else b_.i32_const(p.src);
    b_.op0(op32[p.op], n32.c_str());
    b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
  } else {
    if (cl) b_.local_get(L_A); else b_.i64_const(p.src);
    b_.op0(op64[p.op], n64.c_str());
  }
  if (cl) {
    set_from_stack(p.dst, 8);
    b_.local_get(L_A); b_.op0(I64_EQZ, "i64.eqz"); b_.op0(I32_EQZ, "i32.eqz");
    b_.if_();  // a count of 0 leaves the flags as they are
    get(p.dst);
    b_.local_set(L_FR);
  } else {
    b_.local_tee(L_FR);
    set_from_stack(p.dst, 8);
  }
  // CF = bit (bits - n) of dst for shl, bit (n - 1) for shr and sar
  b_.local_get(L_V);
  if (p.op == 4) {
    if (cl) { b_.i64_const(bits); b_.local_get(L_A); b_.op0(I64_SUB, "i64.sub"); } else b_.i64_const(bits - p.src);
  } else {
    if (cl) { b_.local_get(L_A); b_.i64_const(1); b_.op0(I64_SUB, "i64.sub"); } else b_.i64_const(p.src - 1);
  }
  b_.op0(I64_SHR_U, "i64.shr_u");
  b_.i64_const(1); b_.op0(I64_AND, "i64.and");
  b_.local_tee(L_FFL);
  if (p.op == 4) {  // OF = MSB(res) ^ CF
    b_.local_get(L_FR); b_.i64_const(bits - 1); b_.op0(I64_SHR_U, "i64.shr_u");
    b_.local_get(L_FFL); b_.op0(I64_XOR, "i64.xor");
    b_.i64_const(11); b_.op0(I64_SHL, "i64.shl");
    b_.op0(I64_OR, "i64.or");
  } else if (p.op == 5) {  // OF = MSB(dst)
    b_.local_get(L_V); b_.i64_const(bits - 1); b_.op0(I64_SHR_U, "i64.shr_u");
    b_.i64_const(11); b_.op0(I64_SHL, "i64.shl");
    b_.op0(I64_OR, "i64.or");
  }
  push_szp(S);
  b_.op0(I64_OR, "i64.or");
  b_.local_set(L_FFL);
  if (cl) {
    b_.i32_const(kEager);
    b_.local_set(L_FOP);
    b_.end();
    pend_ = P_UNKNOWN;  // (the previous state, or kEager)
  } else {
    set_pending(kEager);
  }
}

// imul r, r/m [, imm]: the low half; live flags: CF = OF = the product did not fit,
// SF ZF PF of the low half, AF = 0 (mul_flags in ops_int_muldiv.cpp).
void Gen::imul(const Plan& p, const Insn& in, uint64_t next, int k) {
  const bool imm = p.op != 0;
  if (p.mem) {  // the memory operand first (its slow path may fault: nothing changed yet)
    ea(in, next);
    load(p.size, next, k);
    b_.local_set(L_XB);
  }
  auto src = [&] { if (p.mem) b_.local_get(L_XB); else get(p.src); };
  if (!p.live) {
    src();
    if (imm) b_.i64_const((int64_t)in.imm); else get(p.dst);
    b_.op0(I64_MUL, "i64.mul");  // (the low 32 bits of the 64-bit product are the 32-bit one's)
    set_from_stack(p.dst, p.size);
    return;
  }
  const int S = p.size;
  if (S == 4) {  // the product of the sign-extended operands is exact in 64 bits
    src(); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_S, "i64.extend_i32_s");
    if (imm) b_.i64_const((int64_t)in.imm);
    else { get(p.dst); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_S, "i64.extend_i32_s"); }
    b_.op0(I64_MUL, "i64.mul");
    b_.local_tee(L_V);
    b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
    b_.local_tee(L_FR);
    set_from_stack(p.dst, 8);
    b_.local_get(L_V);
    b_.local_get(L_V); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.op0(I64_EXTEND_I32_S, "i64.extend_i32_s");
    b_.op0(I64_NE, "i64.ne");
  } else {  // 64-bit: it fit iff res / b == a (b != 0; b == -1: iff a != INT64_MIN)
    src();
    b_.local_set(L_V);
    if (imm) {
      const int64_t m = (int64_t)in.imm;
      b_.local_get(L_V); b_.i64_const(m); b_.op0(I64_MUL, "i64.mul");
      b_.local_tee(L_FR);
      set_from_stack(p.dst, 8);
      if (m == 0 || m == 1) b_.i32_const(0);
      else if (m == -1) { b_.local_get(L_V); b_.i64_const(INT64_MIN); b_.op0(I64_EQ, "i64.eq"); }
      else { b_.local_get(L_FR); b_.i64_const(m); b_.op0(I64_DIV_S, "i64.div_s"); b_.local_get(L_V); b_.op0(I64_NE, "i64.ne"); }
    } else {
      get(p.dst);
      set_a(MemKey());
      b_.local_get(L_V); b_.local_get(L_A); b_.op0(I64_MUL, "i64.mul");
      b_.local_tee(L_FR);
      set_from_stack(p.dst, 8);
      b_.local_get(L_A); b_.i64_const(-1); b_.op0(I64_EQ, "i64.eq");
      b_.if_(T_I32);
      b_.local_get(L_V); b_.i64_const(INT64_MIN); b_.op0(I64_EQ, "i64.eq");
      b_.else_();
      b_.local_get(L_A); b_.op0(I64_EQZ, "i64.eqz");
      b_.if_(T_I32);
      b_.i32_const(0);
      b_.else_();
      b_.local_get(L_FR); b_.local_get(L_A); b_.op0(I64_DIV_S, "i64.div_s"); b_.local_get(L_V); b_.op0(I64_NE, "i64.ne");
      b_.end();
      b_.end();
    }
  }
  b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
  b_.i64_const((int64_t)(FL_CF | FL_OF));
  b_.op0(I64_MUL, "i64.mul");
  push_szp(S);
  b_.op0(I64_OR, "i64.or");
  b_.local_set(L_FFL);
  set_pending(kEager);
}

// inc/dec r: dead flags, the sum only; live, the interpreter's record (CC_INC/CC_DEC,
// dst, src 1, res) with the previous CF kept in L_FCIN.
void Gen::incdec(const Plan& p) {
  const int S = p.size;
  if (!p.live) {
    get(p.dst);
    b_.i64_const(p.op ? -1 : 1);
    b_.op0(I64_ADD, "i64.add");
    set_from_stack(p.dst, S);
    return;
  }
  const bool keeps = pend_ == P_KNOWN && ((pend_op_ & 0xff) == CC_INC || (pend_op_ & 0xff) == CC_DEC) && pend_op_ != kEager;
  if (!keeps) { push_cf(); b_.local_set(L_FCIN); }
  get_sized(p.dst, S);
  b_.local_tee(L_FD);
  b_.i64_const(1);
  b_.local_set(L_FS);
  b_.i64_const(p.op ? -1 : 1);
  b_.op0(I64_ADD, "i64.add");
  b_.local_tee(L_FR);
  set_from_stack(p.dst, S);
  set_pending((p.op ? CC_DEC : CC_INC) | S << 8);
}

// neg r: FD = 0, FS = r, FR = 0 - r, the deferred CC_SUB record (the interpreter's
// negnot leaves the same); not r: ~r, no flags.
//   neg: r = 0 - r (sized; 16-bit merges)     not: r = ~r
void Gen::negnot(const Plan& p) {
  const int S = p.size;
  if (p.k == K_NOT) {
    get(p.dst);
    b_.i64_const(-1);
    b_.op0(I64_XOR, "i64.xor");
    set_from_stack(p.dst, S);
    return;
  }
  b_.i64_const(0);
  b_.local_set(L_FD);
  get_sized(p.dst, S);
  b_.local_set(L_FS);
  b_.i64_const(0);
  b_.local_get(L_FS);
  b_.op0(I64_SUB, "i64.sub");
  b_.local_tee(L_FR);
  set_from_stack(p.dst, S);
  defer_flags(SUB, S);
}

// sbb r, r (one register): r = 0 - CF, sized (a byte merges into its register). Live
// flags as rflags bits (kEager): CF ? CF|PF|AF|SF : PF|ZF (0x00 and 0xff both have even
// parity; x - x - CF never overflows).
//   cf = CF; r = -cf; FFL = cf ? CF|PF|AF|SF : PF|ZF
void Gen::sbb_self(const Plan& p, const Insn& in) {
  const int S = p.size;
  push_cf();
  b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
  b_.local_set(L_XA);
  b_.i64_const(0);
  b_.local_get(L_XA);
  b_.op0(I64_SUB, "i64.sub");
  if (S == 1) { b_.local_set(L_XR); set_r8(p.dst, in.rex != 0, L_XR); }
  else set_from_stack(p.dst, S);
  if (!p.live) return;
  b_.i64_const((int64_t)(FL_CF | FL_PF | FL_AF | FL_SF));
  b_.i64_const((int64_t)(FL_PF | FL_ZF));
  b_.local_get(L_XA);
  b_.op0(I32_WRAP_I64, "i32.wrap_i64");
  b_.select();
  b_.local_set(L_FFL);
  set_pending(kEager);
}

void Gen::alu(const Plan& p, const Insn& in, bool live) {
  const int S = p.size;
  // FD = destination operand, FS = source operand (both truncated to S)
  switch (p.k) {
    case K_ALU_RR: case K_ALU_GR: get_sized(p.dst, S); b_.local_set(L_FD); get_sized(p.src, S); break;
    case K_ALU_RI: get_sized(p.dst, S); b_.local_set(L_FD); b_.i64_const(imm_sized(in.imm, S)); break;
    case K_CMP_MR: b_.local_set(L_FD); get_sized(p.src, S); break;  // FD pushed by caller
    case K_CMP_MI: b_.local_set(L_FD); b_.i64_const(imm_sized(in.imm, S)); break;
    default: break;
  }
  b_.local_set(L_FS);
  b_.local_get(L_FD);
  b_.local_get(L_FS);
  alu_op(p.op);
  b_.local_tee(L_FR);
  if (writes_result(p.op)) set_from_stack(p.dst, S);
  else b_.drop();
  (void)live;
  defer_flags(p.op, S);
}

// Byte register r: without REX, 4..7 are ah ch dh bh (bits 8..15 of rax..rbx).
void Gen::get_r8(int r, bool rex) {
  if (!rex && r >= 4 && r < 8) { get(r - 4); b_.i64_const(8); b_.op0(I64_SHR_U, "i64.shr_u"); }
  else get(r);
  b_.i64_const(0xff);
  b_.op0(I64_AND, "i64.and");
}

void Gen::set_r8(int r, bool rex, uint32_t local) {
  const bool high = !rex && r >= 4 && r < 8;
  const int base = high ? r - 4 : r;
  get(base);
  b_.i64_const(high ? ~(int64_t)0xff00 : ~(int64_t)0xff);
  b_.op0(I64_AND, "i64.and");
  b_.local_get(local);
  b_.i64_const(0xff);
  b_.op0(I64_AND, "i64.and");
  if (high) { b_.i64_const(8); b_.op0(I64_SHL, "i64.shl"); }
  b_.op0(I64_OR, "i64.or");
  set_from_stack(base, 8);
}

// The general ALU form: L_XA = dst, L_XB = src (both truncated to the size), L_XR (or
// L_V, stored) = XA op XB; then FD/FS/FR and the deferred op, as alu().
//   dst = reg or [ea]          ;; a load's slow path may fault: nothing changed yet
//   src = reg, imm or [ea]
//   res = dst op src
//   [ea] = res (memory dst)    ;; the store commits before the flags (a fault keeps the old ones)
//   reg = res (register dst)   ;; bytes merge into their register; 32-bit zero-extends
//   FD, FS, FR = dst, src, res ;; flags deferred
void Gen::alu_x(const Plan& p, const Insn& in, uint64_t next, int k) {
  const int S = p.size;
  const bool rex = in.rex != 0;
  const int ccop = (p.op == ADD ? CC_ADD : (p.op == SUB || p.op == CMP) ? CC_SUB : CC_LOGIC) | S << 8;
  if (p.mem) ea(in, next);
  if (p.dmem && writes_result(p.op)) {  // read-modify-write: one probe (rmw)
    if (p.smode == 1) { b_.i64_const(imm_sized(in.imm, S)); b_.local_set(L_XB); }
    else { get_operand(p.src, S, rex); b_.local_set(L_XB); }
    rmw(p, ccop, next, k);
    b_.local_get(L_XA); b_.local_set(L_FD);
    b_.local_get(L_XB); b_.local_set(L_FS);
    b_.local_get(L_XR); b_.local_set(L_FR);
    defer_flags(p.op, S);
    return;
  }
  if (p.dmem) { load(S, next, k); b_.local_set(L_XA); }
  else if (p.smode == 2) { load(S, next, k); b_.local_set(L_XB); }
  if (p.smode == 1) { b_.i64_const(imm_sized(in.imm, S)); b_.local_set(L_XB); }
  else if (p.smode == 0) { get_operand(p.src, S, rex); b_.local_set(L_XB); }
  if (!p.dmem) { get_operand(p.dst, S, rex); b_.local_set(L_XA); }
  b_.local_get(L_XA);
  b_.local_get(L_XB);
  alu_op(p.op);
  if (!writes_result(p.op)) {
    b_.local_set(L_XR);
  } else {
    b_.local_set(L_XR);
    if (S == 1) set_r8(p.dst, rex, L_XR);
    else { b_.local_get(L_XR); set_from_stack(p.dst, S); }
  }
  b_.local_get(L_XA); b_.local_set(L_FD);
  b_.local_get(L_XB); b_.local_set(L_FS);
  b_.local_get(L_XR); b_.local_set(L_FR);
  defer_flags(p.op, S);
}

// push (src: a register) and a call's push of its return address (src < 0: the constant
// imm): [rsp - 8] = the value, then rsp -= 8. A store into code that stops the block still
// commits what `fix` says (rsp; a call's rip). L_A is the stack slot with rsp's key, also
// after `call [mem]` read its target through L_A (the probe memo must not take that
// operand's page for the push: found by the cpu-diff replay); the memo moves with rsp.
void Gen::push8(int src, uint64_t imm, uint64_t next, int k, const StopFix& fix) {
  get(RSP);
  b_.i64_const(8);
  b_.op0(I64_SUB, "i64.sub");
  set_a(rsp_key(-8));
  if (src >= 0) get(src);
  else b_.i64_const((int64_t)imm);
  b_.local_set(L_V);
  store_fixed(8, next, k, fix);
  const Memo m = memo_;
  b_.local_get(L_A);
  set_from_stack(RSP, 8);
  memo_moved(RSP, -8, m);
}

// For each candidate this region holds, in order:
//   if (L_RIP == t) goto block t
// (the caller then leaves with the rip: no candidate matched)
void Gen::goto_if_rip(const std::vector<uint64_t>& cands) {
  for (uint64_t t : cands) {
    if (!index_.count(t)) continue;
    b_.local_get(L_RIP);
    b_.i64_const((int64_t)t);
    b_.op0(I64_EQ, "i64.eq");
    b_.if_();
    goto_block(t, false);
    b_.end();
  }
}

void Gen::leave_to(uint32_t local) {
  b_.local_get(L_CPU);
  b_.local_get(local);
  b_.mem(I64_STORE, 3, abi_.off_rip);
  leave();
}

// The condition cc (i32) of the flags the instruction just before left, fused: a flags
// writer's operands (fusable) or a flag family's state (fusable_family, `family`).
void Gen::push_fused_cond(const Plan& prod, int cc, bool family) {
  const int S = prod.size;
  const bool sub = prod.op == SUB || prod.op == CMP;
  if (family) {
    push_family_cond(cc);
  } else if (sub && (cc == 8 || cc == 9)) {
    // s / ns: the sign bit of the result at its size
    b_.local_get(L_FR);
    b_.i64_const(S * 8 - 1); b_.op0(I64_SHR_U, "i64.shr_u");
    b_.op0(I32_WRAP_I64, "i32.wrap_i64");
    b_.i32_const(1); b_.op0(I32_AND, "i32.and");
    if (cc == 9) b_.op0(I32_EQZ, "i32.eqz");
  } else if (sub) {
    // (signed: 32-bit as i32; a byte sign-extended to i64 by shifts)
    auto operand = [&](uint32_t l) {
      b_.local_get(l);
      if (S == 4 && cc >= 0xc) b_.op0(I32_WRAP_I64, "i32.wrap_i64");
      if ((S == 1 || S == 2) && cc >= 0xc) {  // (sign-extended from 8 or 16 bits)
        b_.i64_const(64 - 8 * S); b_.op0(I64_SHL, "i64.shl");
        b_.i64_const(64 - 8 * S); b_.op0(I64_SHR_S, "i64.shr_s");
      }
    };
    operand(L_FD);
    operand(L_FS);
    static const uint8_t u64[8] = {I64_LT_U, I64_GE_U, I64_EQ, I64_NE, I64_LE_U, I64_GT_U, 0, 0};
    static const uint8_t s64[4] = {I64_LT_S, I64_GE_S, I64_LE_S, I64_GT_S};
    static const uint8_t s32[4] = {I32_LT_S, I32_GE_S, I32_LE_S, I32_GT_S};
    uint8_t o = cc < 8 ? u64[cc - 2] : S == 4 ? s32[cc - 0xc] : s64[cc - 0xc];
    b_.op0(o, op_name(o));
  } else {
    // logic: CF = OF = 0; z = res == 0, s = sign bit of res (res fits in S)
    auto z = [&] { b_.local_get(L_FR); b_.op0(I64_EQZ, "i64.eqz"); };
    auto s = [&] {
      b_.local_get(L_FR);
      if (S == 4) { b_.op0(I32_WRAP_I64, "i32.wrap_i64"); b_.i32_const(0); b_.op0(I32_LT_S, "i32.lt_s"); }
      else if (S == 1 || S == 2) { b_.i64_const(8 * S - 1); b_.op0(I64_SHR_U, "i64.shr_u"); b_.op0(I32_WRAP_I64, "i32.wrap_i64"); }
      else { b_.i64_const(0); b_.op0(I64_LT_S, "i64.lt_s"); }
    };
    switch (cc) {
      case 4: case 6: z(); break;
      case 5: case 7: z(); b_.op0(I32_EQZ, "i32.eqz"); break;
      case 8: case 0xc: s(); break;
      case 9: case 0xd: s(); b_.op0(I32_EQZ, "i32.eqz"); break;
      case 0xe: z(); s(); b_.op0(I32_OR, "i32.or"); break;
      default: z(); s(); b_.op0(I32_OR, "i32.or"); b_.op0(I32_EQZ, "i32.eqz"); break;  // 0xf
    }
  }
}

void Gen::handler(const Insn& in, uint64_t next_rip) {
  flushes_[cur_] = true;
  materialize(true);
  flush(true);
  if (!ic_stored_) write_ic();
  if (!running_set_) set_running();
  running_set_ = ic_stored_ = true;
  set_rip(next_rip);
  b_.local_get(L_CPU);
  b_.i32_const((int32_t)abi_.addr(&in));
  b_.call(import(abi_.handler(in.fn), TY_HANDLER), insn_text(in));
  invalidate();
  if (has_sse_) mx_compute();  // (ldmxcsr, fxrstor, an SSE handler's flags)
}

// L_MXOK = (cpu.mxcsr & 0xffe0) == 0x1fa0
void Gen::mx_compute() {
  b_.local_get(L_CPU);
  b_.mem(I32_LOAD, 2, abi_.off_mxcsr);
  b_.i32_const(0xffe0);
  b_.op0(I32_AND, "i32.and");
  b_.i32_const(0x1fa0);
  b_.op0(I32_EQ, "i32.eq");
  b_.local_set(L_MXOK);
}

// To block `target`: inside the region, next = its index and back to the dispatcher
// (or fall into it when it is laid out next and can_fall); outside, rip = target, return.
// 1: the edge to `taken` stays in the current block's loop and the one to `fall` leaves
// it; 0: the other way round; -1: neither (both stay, both leave, or no loop).
int Gen::loop_hint(uint64_t taken, uint64_t fall) const {
  const auto it = index_.find(taken), jt = index_.find(fall);
  const bool t_in = it != index_.end() && in_group(cur_, it->second);
  const bool f_in = jt != index_.end() && in_group(cur_, jt->second);
  return t_in == f_in ? -1 : t_in ? 1 : 0;
}

void Gen::goto_block(uint64_t target, bool can_fall) {
  auto it = index_.find(target);
  if (it == index_.end()) {
    chain_exit(target);
    return;
  }
  SlotSet d = 0;
  for (int s = 0; s < kSlots; s++) d |= (SlotSet)dirty_[s] << s;
  edges_.push_back({cur_, it->second, d});
  const uint32_t j = it->second;
  // the probe memo at this edge: pass 1 records it; where block j starts with a memo,
  // an edge with another one (or none) sets L_MOFF to kMoffNone
  const bool memo_holds = memo_.on && memo_.holds(b_);
  if (carry_pass_ == 0 && memo_holds) edge_memo_[j].push_back({cur_, memo_});
  if (carry_pass_ > 0 && in_memo_[j].on) {
    // (the carry pass does not know the write tags pass 2 probes yet)
    if (memo_holds && same_memo(memo_, in_memo_[j]) && (memo_.write || !in_memo_[j].write || memo_rec_)) {
      if (carry_pass_ == 1) in_matched_[j] = true;
    } else if (carry_pass_ == 2) {
      memo_none(b_);
    }
  }
  if (!pass2_ && in_group(cur_, j)) {
    XEdge x{0, {}};
    for (int r = 0; r < 16; r++) { x.known |= (uint16_t)(xnd_[r] << r); x.dep[r] = xdep_[r]; }
    xedge_[(size_t)xgroup(cur_)].push_back(x);
  }
  if (!in_group(cur_, j)) {  // (this path only: the caller goes on with its state)
    flush(false);
    if (live_in_[j]) materialize(false);  // (dead there: every path writes them before a reader)
  }
  const int sj = span_of_[j], sc = span_of_[cur_];
  if (j == cur_ && self_depth_ >= 0) {  // its own loop's head
    b_.br((uint32_t)(b_.depth - self_depth_));
    return;
  }
  if (sj >= 0 && sj == sc && j == spans_[sj].h) {  // a back edge of the span's loop (next == h)
    b_.br((uint32_t)(b_.depth - spans_[sj].loop_depth));
    return;
  }
  if (sj >= 0 && sj != sc) {  // into a span from outside: through its head, next = j
    b_.i32_const((int32_t)orig_[j]);
    b_.local_set(L_NEXT);
    if (can_fall && spans_[sj].h == cur_ + 1) return;
    if (spans_[sj].h > cur_) b_.br((uint32_t)(b_.depth - spans_[sj].reg_depth));
    else b_.br((uint32_t)(b_.depth - loop_depth_));
    return;
  }
  if (can_fall && j == cur_ + 1) return;  // (out of its own loop too, when it is one)
  if (j > cur_) {  // forward: out of block j's wrapper, which holds this code
    b_.br((uint32_t)(b_.depth - wrap_depth_[j]));
    return;
  }
  b_.i32_const((int32_t)orig_[j]);
  b_.local_set(L_NEXT);
  b_.br((uint32_t)(b_.depth - loop_depth_));
}

void Gen::block_code(uint32_t bi) {
  const Block& bl = *blocks_[bi];
  cur_ = bi;
  n_ = bl.n;
  // At a block's start its loop's registers are in locals (dirty_in_: newer than
  // memory); outside loops none are.
  const SlotSet regs = group_regs(bi);
  for (int s = 0; s < kSlots; s++) { loaded_[s] = regs >> s & 1; dirty_[s] = dirty_in_[bi] >> s & 1; }
  pend_ = P_UNKNOWN;  // (the region's entry from outside: L_FOP starts at 0)
  memo_.on = false;   // (edges join here; in_memo_ below)
  if (listing_) {
    char h[96];
    snprintf(h, sizeof h, ";; block %u: 0x%llx..0x%llx (%u insns)\n", bi, (unsigned long long)bl.start,
             (unsigned long long)bl.end, bl.n);
    b_.text += h;
  }
  // In no loop, the flags are in memory at the start (every edge in leaves the region's
  // loop or its dispatcher, and writes pending flags back where they are live: goto_block)
  // or dead there: nothing pending, and L_FOP's old value ends here (its live range, and
  // those of the operand locals, stop at the block's edge instead of spanning the region).
  if (group_[bi] < 0) {
    b_.i32_const(0);
    b_.local_set(L_FOP);
    pend_ = P_NONE;
  }
  // budget: leave when the run's instruction limit is reached (loops return on time);
  // only at blocks a back edge enters (every cycle of the region passes one)
  ic_off_ = 0;
  running_set_ = ic_stored_ = false;
  const bool xloop = xgroup(bi) >= 0;  // (xdep_: see xnd_)
  for (int r = 0; r < 16; r++) { xnd_[r] = false; xdep_[r] = xloop ? (uint16_t)(1u << r) : 0; }
  if (checks_[bi]) {
    b_.local_get(L_IC);
    b_.local_get(L_LIM);
    b_.op0(I64_GE_U, "i64.ge_u");
    b_.if_hint(false);
    set_rip(bl.start);
    leave();
    b_.end();
  } else if (listing_) {
    b_.text += ";; (no budget check: no back edge enters this block)\n";
  }
  // (after the budget check, whose arm leaves: the memo holds past its end)
  if (carry_pass_ > 0 && in_memo_[bi].on) {
    memo_ = in_memo_[bi];
    memo_.rebase(b_);
    memo_.carried = (int32_t)bi;
    if (listing_) b_.text += ";; (the probe memo of an edge in goes on; the other ways in set MOFF to none)\n";
  }
  std::vector<Plan> plans(bl.n);
  for (uint32_t k = 0; k < bl.n; k++) plans[k] = classify(bl.insns[k]);
  block_liveness(plans, live_out_[bi]);
  // A quiet block (registers only: nothing it runs can fault, stop or look at the count
  // or at bc.running) skips both and counts its n instructions at its end.
  bool quiet = true;
  for (uint32_t k = 0; k < bl.n && quiet; k++) {
    const Kind kk = plans[k].k;
    if (kk == K_JCC) {
      const int j = producer_of(plans, k);
      quiet = k + 1 == bl.n && j >= 0 &&
              (fusable(plans[j], bl.insns[k].opc & 15) || fusable_family(plans[j], bl.insns[k].opc & 15));
    }
    else quiet = kk == K_ALU_RR || kk == K_ALU_GR || kk == K_ALU_RI || kk == K_MOV_RR || kk == K_MOV_GR ||
                 kk == K_MOV_RI || kk == K_LEA || kk == K_MOVSXD_R || kk == K_SHIFT || kk == K_SHIFT_CL ||
                 (kk == K_IMUL && !plans[k].mem) || kk == K_INCDEC || kk == K_NOP || kk == K_JMP ||
                 kk == K_NEG || kk == K_NOT || kk == K_SBB_SELF || kk == K_CBW ||
                 (kk == K_ALU_X && !plans[k].mem) || kk == K_MOV8 || kk == K_MOVZX_R || kk == K_MOVSX_R;  // (helper_cf only reads cc)
  }
  // (the count where something may look: n-1 retired, as the interpreter's run loop
  // counts; a quiet block has no such place)
  end_add_ = bl.n;
  ic_off_ = quiet ? 0 : (int64_t)bl.n - 1;
  if (quiet && listing_) b_.text += ";; (quiet block: nothing looks at the count or bc.running)\n";
  uint64_t pc = bl.start;
  bool ended = false;
  for (uint32_t k = 0; k < bl.n; k++) {
    const Insn& in = bl.insns[k];
    const uint64_t next = pc + in.len;
    const Plan& p = plans[k];
    const size_t at = b_.size();
    if (listing_) {
      char h[160];
      const std::string bytes = abi_.bytes ? abi_.bytes(pc, in.len) : "";
      snprintf(h, sizeof h, ";; 0x%llx  %-24s %s\n", (unsigned long long)pc, bytes.c_str(), insn_text(in));
      b_.text += h;
    }
    const bool last = k + 1 == bl.n;
    bool via_handler = false;
    key_ = MemKey();  // (every write of L_A sets it: set_a)
    switch (p.k) {
      case K_ALU_RR: case K_ALU_GR: case K_ALU_RI: {
        const Memo m = memo_;
        alu(p, in, p.live);
        if (p.k == K_ALU_RI && p.size == 8 && (p.op == ADD || p.op == SUB)) {  // (rsp after a prologue's pushes)
          const int64_t imm = (int64_t)in.imm;
          memo_moved(p.dst, p.op == ADD ? imm : -imm, m);
        }
        break;
      }
      case K_ALU_GM:
        ea(in, next);
        {
          const int S = p.size;
          load(S, next, k);  // (before FD is set: its slow path may write the pending flags from FD)
          b_.local_set(L_FS);
          get_sized(p.dst, S); b_.local_set(L_FD);
          b_.local_get(L_FD); b_.local_get(L_FS);
          alu_op(p.op);
          b_.local_tee(L_FR);
          if (writes_result(p.op)) set_from_stack(p.dst, S);
          else b_.drop();
          defer_flags(p.op, S);
        }
        break;
      case K_CMP_MR: case K_CMP_MI:
        ea(in, next);
        load(p.size, next, k);
        alu(p, in, p.live);
        break;
      case K_MOV_RR: case K_MOV_GR:
        get(p.src);
        set_from_stack(p.dst, p.size);
        break;
      case K_MOV_RI:
        b_.i64_const(p.size == 4 ? (int64_t)(uint32_t)in.imm : (int64_t)in.imm);
        set_from_stack(p.dst, 8);
        break;
      case K_LOAD:
        ea(in, next);
        load(p.size, next, k);
        set_from_stack(p.dst, p.size == 2 ? 2 : 8);  // (zero-extended by the load; 16 bits merge)
        break;
      case K_MOVZX_M:
        ea(in, next);
        load(p.size, next, k);
        set_from_stack(p.dst, 8);
        break;
      case K_MOVSXD_R:
        get(p.src);
        b_.op0(I32_WRAP_I64, "i32.wrap_i64");
        b_.op0(I64_EXTEND_I32_S, "i64.extend_i32_s");
        set_from_stack(p.dst, 8);
        break;
      case K_MOVSXD_M:
        ea(in, next);
        load(4, next, k);
        b_.op0(I32_WRAP_I64, "i32.wrap_i64");
        b_.op0(I64_EXTEND_I32_S, "i64.extend_i32_s");
        set_from_stack(p.dst, 8);
        break;
      case K_STORE:
        ea(in, next);
        get(p.src);
        b_.local_set(L_V);
        store(p.size, next, k);
        break;
      case K_NOP:
        break;
      case K_CBW: {  // rax = sext(al | ax | eax) at 16 | 32 | 64 bits
        const int shift = 64 - 4 * p.size;
        get(RAX);
        b_.i64_const(shift); b_.op0(I64_SHL, "i64.shl");
        b_.i64_const(shift); b_.op0(I64_SHR_S, "i64.shr_s");
        set_from_stack(RAX, p.size);
        break;
      }
      case K_STORE_I:
        ea(in, next);
        b_.i64_const(imm_sized(in.imm, p.size));
        b_.local_set(L_V);
        store(p.size, next, k);
        break;
      case K_LEA: {
        const Memo m = memo_;
        address(in, next);
        set_from_stack(p.dst, p.size);
        if (p.size == 8 && in.asz == 8 && in.base == p.dst && in.index == NOREG) memo_moved(p.dst, in.disp, m);
        break;
      }
      case K_PUSH: {
        StopFix fix;  // (a push into the running block's code page retired: rsp moved)
        fix.rsp_a = true;
        push8(p.src, 0, next, (int)k, fix);
        break;
      }
      case K_POP: {
        get(RSP);
        set_a(rsp_key(0));
        load(8, next, k);
        b_.local_set(L_V);
        const Memo m = memo_;
        get(RSP);
        b_.i64_const(8);
        b_.op0(I64_ADD, "i64.add");
        set_from_stack(RSP, 8);
        memo_moved(RSP, 8, m);
        b_.local_get(L_V);
        set_from_stack(p.dst, 8);
        break;
      }
      case K_SHIFT: case K_SHIFT_CL:
        shift(p, in);
        break;
      case K_IMUL:
        imul(p, in, next, (int)k);
        break;
      case K_ALU_X:
        alu_x(p, in, next, (int)k);
        break;
      case K_STORE8:
        ea(in, next);
        get_r8(p.src, in.rex != 0);
        b_.local_set(L_V);
        store(1, next, k);
        break;
      case K_LOAD8:
        ea(in, next);
        load(1, next, k);
        b_.local_set(L_XR);
        set_r8(p.dst, in.rex != 0, L_XR);
        break;
      case K_MOV8:
        get_r8(p.src, in.rex != 0);
        b_.local_set(L_XR);
        set_r8(p.dst, in.rex != 0, L_XR);
        break;
      case K_MOVZX_R:
        if (p.size == 1) get_r8(p.src, in.rex != 0);
        else { get(p.src); b_.i64_const(0xffff); b_.op0(I64_AND, "i64.and"); }
        set_from_stack(p.dst, 8);
        break;
      case K_MOVSX_R: case K_MOVSX_M:
        if (p.k == K_MOVSX_M) { ea(in, next); load(p.size, next, k); }
        else if (p.size == 1) get_r8(p.src, in.rex != 0);
        else get(p.src);
        b_.i64_const(64 - 8 * p.size); b_.op0(I64_SHL, "i64.shl");
        b_.i64_const(64 - 8 * p.size); b_.op0(I64_SHR_S, "i64.shr_s");
        set_from_stack(p.dst, p.op);  // (p.op: the destination's size)
        break;
      case K_CALL: {
        // push next; goto target (in the region, or rip = target and return)
        const uint64_t target = next + in.imm;
        StopFix fix;
        fix.rsp_a = true; fix.rip_const = true; fix.rip = target;
        push8(-1, next, next, (int)k, fix);
        sync_in();
        icount_add(end_add_);
        goto_block(target, true);
        ended = true;
        break;
      }
      case K_CALL_IND: case K_JMP_IND: {
        // target = reg or [ea] (read before rsp moves); call: push next; rip = target; return
        if (p.mem) { ea(in, next); load(8, next, k); } else get(p.src);
        b_.local_set(L_RIP);
        if (p.k == K_CALL_IND) {
          StopFix fix;
          fix.rsp_a = true; fix.rip_local = L_RIP;
          push8(-1, next, next, (int)k, fix);
        }
        sync_in();
        icount_add(end_add_);
        // where it went last time (the profile), when that block is in the region
        if (const uint64_t t = ind_succ(bl)) goto_if_rip({t});
        chain_exit_to(L_RIP);
        ended = true;
        break;
      }
      case K_RET: {
        // rip = [rsp]; rsp += 8; a return point of this region: go on there; else return
        get(RSP);
        set_a(rsp_key(0));
        load(8, next, k);
        b_.local_set(L_RIP);
        get(RSP);
        b_.i64_const(8);
        b_.op0(I64_ADD, "i64.add");
        set_from_stack(RSP, 8);
        sync_in();
        icount_add(end_add_);
        std::vector<uint64_t> cands = ret_points_;  // (and where it went last time, first)
        if (const uint64_t t = ind_succ(bl); t && std::find(cands.begin(), cands.end(), t) == cands.end())
          cands.insert(cands.begin(), t);
        goto_if_rip(cands);
        chain_exit_to(L_RIP);
        ended = true;
        break;
      }
      case K_INCDEC:
        incdec(p);
        break;
      case K_NEG: case K_NOT:
        negnot(p);
        break;
      case K_SBB_SELF:
        sbb_self(p, in);
        break;
      case K_SSE:
        sse_emit(*this, p.op, in, next, (int)k);
        break;
      case K_JMP:
        if (!last) break;  // (a jmp always ends its block)
        sync_in();
        icount_add(end_add_);
        goto_block(next + in.imm, true);
        ended = true;
        break;
      case K_SETCC: case K_CMOV: {
        // fused with the flags producer just before (as a jcc), else the handler:
        //   setcc: r/m8 = cond              cmov: dst = cond ? src : dst (src always read;
        //                                         32-bit: the upper half cleared either way)
        const int cc = in.opc & 15;
        const int j = producer_of(plans, k);
        const bool alu_fused = j >= 0 && fusable(plans[j], cc);
        const bool family_fused = !alu_fused && j >= 0 && fusable_family(plans[j], cc);
        if (!alu_fused && !family_fused) {
          handler(in, next);
          exit_stop_check(k);
          via_handler = true;
          break;
        }
        if (p.k == K_SETCC) {
          if (p.mem) ea(in, next);
          push_fused_cond(plans[j], cc, family_fused);
          b_.op0(I64_EXTEND_I32_U, "i64.extend_i32_u");
          if (p.mem) { b_.local_set(L_V); store(1, next, k); }
          else { b_.local_set(L_XR); set_r8(p.dst, in.rex != 0, L_XR); }
        } else {
          const int S = in.osz;
          if (p.mem) { ea(in, next); load(S, next, k); }
          else get_sized(p.src, S);
          get_sized(p.dst, S);
          push_fused_cond(plans[j], cc, family_fused);
          b_.select();
          set_from_stack(p.dst, S);
        }
        break;
      }
      case K_JCC: {
        const int cc = in.opc & 15;
        const int j = producer_of(plans, k);
        const bool alu_fused = last && j >= 0 && fusable(plans[j], cc);
        const bool family_fused = !alu_fused && last && j >= 0 && fusable_family(plans[j], cc);
        if (alu_fused || family_fused) {
          const Plan& prod = plans[j];
          sync_in();
          icount_add(end_add_);
          push_fused_cond(prod, cc, family_fused);
          // A loop keeps going: the arm that stays in the block's loop is the likely one
          // when the other leaves it (TurboFan lays the exit out of line).
          const int hint = loop_hint(next + in.imm, next);
          if (hint >= 0) b_.if_hint(hint != 0);
          else b_.if_();
          const Memo m = memo_;
          const bool held = memo_.on && memo_.holds(b_);
          goto_block(next + in.imm, false);
          b_.end();
          // (the taken arm always branches away: a memo that held before it holds after)
          if (held) {
            memo_ = m;
            memo_.rebase(b_);
          }
          goto_block(next, true);
          ended = true;
          break;
        }
        [[fallthrough]];
      }
      default:  // K_HANDLER
        handler(in, next);
        exit_stop_check(k);
        via_handler = true;
        break;
    }
    if (!via_handler) out_.inline_insns++;
    (void)at;
    pc = next;
  }
  out_.insns += bl.n;
  if (ended) return;
  // The block ended without an inline branch: its last instruction (a handler, or a
  // block cut at kMaxBlock) left the next rip in cpu.rip (handlers) or it is the end.
  sync_in();
  icount_add(end_add_);
  const Insn& lastin = bl.insns[bl.n - 1];
  const Plan& lp = plans[bl.n - 1];
  if (lp.k != K_HANDLER && lp.k != K_JCC && !(lp.k == K_JMP)) {  // an inline non-branch: fall through
    goto_block(bl.end, true);
    return;
  }
  // after a handler: compare rip with the successors this region holds; after an
  // F_STOP instruction (syscall, cpuid...) always return to the run loop (a syscall may
  // have changed the code, the address space or the task)
  std::vector<uint64_t> cand;
  const uint32_t form = lastin.row != 0xffff ? op_table()[lastin.row].form : 0;
  if (form & F_STOP) {
    leave();
    return;
  }
  if (!(form & F_BRANCH)) cand.push_back(bl.end);
  else if (form & (F_REL8 | F_REL32)) { cand.push_back(bl.end + lastin.imm); cand.push_back(bl.end); }
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, abi_.off_rip);
  b_.local_set(L_RIP);
  goto_if_rip(cand);
  if (chain_depth_ >= 0) chain_exit_to(L_RIP);
  else leave();  // (rip is in memory already)
}

void Gen::region_liveness() {
  const uint32_t n = (uint32_t)blocks_.size();
  std::vector<std::vector<uint32_t>> succ(n);
  std::vector<bool> leaves(n, false);
  checks_.assign(n, false);
  self_loop_.assign(n, false);
  for (uint32_t i = 0; i < n; i++) {
    const Block& bl = *blocks_[i];
    const Insn& last = bl.insns[bl.n - 1];
    const uint32_t form = last.row != 0xffff ? op_table()[last.row].form : 0;
    std::vector<uint64_t> targets;
    if (form & F_STOP) leaves[i] = true;
    else if (!(form & F_BRANCH)) targets.push_back(bl.end);
    else if (form & (F_REL8 | F_REL32)) { targets.push_back(bl.end + last.imm); targets.push_back(bl.end); }
    else leaves[i] = true;  // (an indirect branch)
    if (classify(last).k == K_RET) targets.insert(targets.end(), ret_points_.begin(), ret_points_.end());
    if (const uint64_t t = ind_succ(bl)) targets.push_back(t);
    for (uint64_t t : targets) {
      auto it = index_.find(t);
      if (it == index_.end()) { leaves[i] = true; continue; }
      succ[i].push_back(it->second);
      if (it->second <= i) checks_[it->second] = true;  // a back edge
      if (it->second == i) self_loop_[i] = true;
    }
  }
  choose_spans();
  // live_in from live_out, to a fixed point (the flags are live wherever the region may
  // be left: at an exit edge, and at the start of a block that checks the budget)
  std::vector<bool>& live_in = live_in_;
  live_in.assign(n, false);
  live_out_.assign(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t i = n; i-- > 0;) {
      bool out = leaves[i];
      for (uint32_t s2 : succ[i]) out = out || live_in[s2];
      std::vector<Plan> plans(blocks_[i]->n);
      for (uint32_t k = 0; k < blocks_[i]->n; k++) plans[k] = classify(blocks_[i]->insns[k]);
      const bool in = checks_[i] || block_liveness(plans, out);
      if (out != live_out_[i] || in != live_in[i]) { live_out_[i] = out; live_in[i] = in; changed = true; }
    }
  }
}

// Successors of a block inside the region (layout indices): taken target, fall-through.
static void successors(const Block& bl, const std::map<uint64_t, uint32_t>& index, std::vector<uint32_t>& out) {
  out.clear();
  const Insn& in = bl.insns[bl.n - 1];
  const uint32_t form = in.row != 0xffff ? op_table()[in.row].form : 0;
  std::vector<uint64_t> targets;
  if (form & F_STOP) return;
  if (!(form & F_BRANCH)) targets.push_back(bl.end);
  else if (form & (F_REL8 | F_REL32)) { targets.push_back(bl.end + in.imm); targets.push_back(bl.end); }
  else if (const uint64_t t = ind_succ(bl)) targets.push_back(t);
  for (uint64_t t : targets) {
    auto it = index.find(t);
    if (it != index.end()) out.push_back(it->second);
  }
}

void Gen::lay_out(const std::vector<const Block*>& region) {
  const uint32_t n = (uint32_t)region.size();
  std::map<uint64_t, uint32_t> idx;
  for (uint32_t i = 0; i < n; i++) idx[region[i]->start] = i;
  std::vector<uint32_t> post;
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<std::pair<uint32_t, size_t>> stack;
  std::vector<std::vector<uint32_t>> succ(n);
  for (uint32_t i = 0; i < n; i++) successors(*region[i], idx, succ[i]);
  for (uint32_t root = 0; root < n; root++) {  // (every block is reachable from 0; the rest for safety)
    if (state[root]) continue;
    stack.push_back({root, 0});
    state[root] = 1;
    while (!stack.empty()) {
      auto& [b, k] = stack.back();
      if (k < succ[b].size()) {
        const uint32_t s2 = succ[b][k++];
        if (!state[s2]) { state[s2] = 1; stack.push_back({s2, 0}); }
      } else {
        post.push_back(b);
        state[b] = 2;
        stack.pop_back();
      }
    }
  }
  orig_.assign(post.rbegin(), post.rend());
  blocks_.clear();
  for (uint32_t i = 0; i < n; i++) {
    blocks_.push_back(region[orig_[i]]);
    index_[region[orig_[i]]->start] = i;
  }
  // ret's candidates: the blocks after the region's calls (a few: each is a compare)
  for (const Block* b : blocks_) {
    const Handler f = b->insns[b->n - 1].fn;
    if (b->insns[b->n - 1].osz != 8 || (f != &call_Jz && f != &call_Ev)) continue;
    if (index_.count(b->end) && ret_points_.size() < kMaxRetPoints &&
        std::find(ret_points_.begin(), ret_points_.end(), b->end) == ret_points_.end())
      ret_points_.push_back(b->end);
  }
}

// Loops of several blocks: for each block h entered by a back edge from a later block,
// the span h..t (t: the last such block); the entry's first, then the shortest, each
// disjoint from those taken (inner loops are the hot ones; an outer loop overlapping one
// keeps the dispatcher).
void Gen::choose_spans() {
  const uint32_t n = (uint32_t)blocks_.size();
  std::vector<uint32_t> last(n, 0);
  std::vector<uint32_t> succ;
  for (uint32_t i = 0; i < n; i++) {
    successors(*blocks_[i], index_, succ);
    for (uint32_t j : succ)
      if (j < i) last[j] = std::max(last[j], i);
  }
  std::vector<Span> cand;
  for (uint32_t h = 0; h < n; h++)
    if (last[h] > h) cand.push_back({h, last[h]});
  // the loop back to the region's entry first (the block that became hot: most often the
  // innermost loop, whose body the layout may split when the entry is inside it), then
  // the shortest
  std::stable_sort(cand.begin(), cand.end(), [](const Span& a, const Span& b) {
    return (a.h != 0) != (b.h != 0) ? a.h == 0 : a.t - a.h < b.t - b.h;
  });
  span_of_.assign(n, -1);
  spans_.clear();
  for (const Span& c : cand) {
    bool free = true;
    for (uint32_t j = c.h; j <= c.t && free; j++) free = span_of_[j] < 0;
    if (!free) continue;
    for (uint32_t j = c.h; j <= c.t; j++) span_of_[j] = (int)spans_.size();
    spans_.push_back(c);
  }
}

// Two passes: the first (registers clean at every block start) finds the registers each
// block touches and the dirty sets on its edges; between them, each loop's registers are
// gathered and dirty_in_ is solved over the edges that stay in a loop (out(b) = in(b) |
// written, or only written after b's last handler call, which writes everything back);
// the second generates with the loops' registers in locals across their blocks.
Compiled Gen::run() {
  const uint32_t n = (uint32_t)blocks_.size();
  for (const Block* bl : blocks_)
    for (uint32_t k = 0; k < bl->n; k++) {
      const Plan p = classify(bl->insns[k]);
      if (p.k == K_INCDEC) has_incdec_ = true;
      if ((p.k == K_SHIFT && p.src != 0) || p.k == K_SHIFT_CL || p.k == K_IMUL || p.k == K_SBB_SELF) has_eager_ = true;
      if (p.k == K_SSE && sse_sets_flags(p.op)) has_eager_ = true;
      if (p.k == K_SSE) has_sse_ = true;
    }
  region_liveness();
  dirty_in_.assign(n, 0);
  flushes_.assign(n, false);
  group_.assign(n, -1);
  block_used_.assign(n, 0);
  group_regs_.assign(spans_.size() + n, 0);
  xwant_.assign(spans_.size() + n, 0);
  xnd_loop_.assign(spans_.size() + n, 0);
  xedge_.assign(spans_.size() + n, {});
  pass2_ = false;
  memo_used_.clear();
  memo_store_.clear();
  carry_pass_ = 0;
  memo_rec_ = true;
  in_any_ = false;
  edge_memo_.assign(n, {});
  first_key_.assign(n, MemKey());
  in_memo_.assign(n, Memo());
  pass();
  for (uint32_t i = 0; i < n; i++) {
    group_[i] = xgroup(i);
    if (group_[i] >= 0) group_regs_[(size_t)group_[i]] |= block_used_[i];
  }
  std::vector<SlotSet> in(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (const Edge& e : edges_) {
      if (!in_group(e.from, e.to)) continue;  // (written back before it)
      const SlotSet out = e.dirty | (flushes_[e.from] ? 0 : in[e.from]);
      if ((in[e.to] | out) != in[e.to]) { in[e.to] |= out; changed = true; }
    }
  }
  for (size_t g = 0; g < xnd_loop_.size(); g++) xnd_loop_[g] = solve_xnd_loop((int)g);
  b_ = Body(listing_);
  out_ = Compiled();
  edges_.clear();
  dirty_in_ = in;
  pass2_ = true;
  if (choose_in_memos()) {
    // The carry pass: pass 2's code with the blocks' candidate memos, recording which
    // accesses they serve (memo_used_, memo_store_ again) and which edges have them; a
    // block keeps its memo where both hold.
    carry_pass_ = 1;
    memo_used_.clear();
    memo_store_.clear();
    in_used_.assign(n, false);
    in_matched_.assign(n, false);
    pass();
    for (uint32_t j = 0; j < n; j++) {
      Memo& m = in_memo_[j];
      if (!m.on) continue;
      m.on = in_used_[j] && in_matched_[j];
      if (m.from_load && m.origin < memo_store_.size() && memo_store_[m.origin]) m.write = true;  // (its load tests the write tag)
      in_any_ = in_any_ || m.on;
    }
    b_ = Body(listing_);
    out_ = Compiled();
    edges_.clear();
  }
  carry_pass_ = 2;
  memo_rec_ = false;
  pass();
  out_.listing = std::move(b_.text);
  out_.body_bytes = (uint32_t)b_.size();
  return out_;
}

// After pass 1: for each block, the memo of an edge in whose registers its first access
// uses (a back edge's first: a loop's head takes the memo its last iteration left, so
// `a[i]` in a loop probes once a page), as the carry pass's candidate. True if any.
bool Gen::choose_in_memos() {
  const uint32_t n = (uint32_t)blocks_.size();
  bool any = false;
  for (uint32_t j = 0; j < n; j++) {
    in_memo_[j] = Memo();
    const MemKey& f = first_key_[j];
    // (a rip-relative or absolute address is cheap to probe: no register to add; kept
    // live around a loop, the memo's two locals cost TurboFan more than the probe: the
    // float kernel's constant 1.08x, with SSE guards made no joins, a try since dropped)
    if (!f.ok || f.base == NOREG) continue;
    const EdgeMemo* best = nullptr;
    for (const EdgeMemo& e : edge_memo_[j]) {
      const MemKey& k = e.m.key;
      if (!k.ok || k.base != f.base || k.index != f.index || k.scale != f.scale || k.seg != f.seg) continue;
      const bool back = e.from >= j, best_back = best && best->from >= j;
      if (!best || back > best_back || (back == best_back && e.from > best->from)) best = &e;
    }
    if (!best) continue;
    in_memo_[j] = best->m;
    in_memo_[j].carried = -1;
    any = any || best->from >= j;
  }
  // Only a region where some loop's head has a candidate pays for the carry pass: a
  // second generation of every region pushed one of the compiler's own functions over
  // V8's tiering budget on short runs (python3 -c pass: a TurboFan job node waits for at
  // exit, +40 ms of wall time); forward-only candidates are dropped with it.
  if (!any) in_memo_.assign(n, Memo());
  return any;
}

// The xmm registers a loop may take as free of denormals at the start of its blocks
// (xnd_): of those its guards tested (xwant_), the largest set that every edge staying in
// the loop keeps so: a register known there (a guarded result, a converted integer, a
// zero) or still a copy of one of the set's values at the start of the edge's block.
uint16_t Gen::solve_xnd_loop(int g) const {
  uint16_t set = xwant_[(size_t)g];
  for (int r = 0; r < 16; r++)  // (the guard reads the lane from its local: loaded on entry)
    if (!(group_regs_[(size_t)g] >> xslot(r, 0) & 1)) set &= (uint16_t)~(1u << r);
  for (bool changed = true; changed;) {
    changed = false;
    for (const XEdge& x : xedge_[(size_t)g])
      for (int r = 0; r < 16; r++) {
        if (!(set >> r & 1) || (x.known >> r & 1) || (x.dep[r] && !(x.dep[r] & ~set))) continue;
        set &= (uint16_t)~(1u << r);
        changed = true;
      }
  }
  return set;
}

// On entry to a loop (blocks h..t; L_NEXT selects the block when t > h) whose guards take
// the registers of xnd_loop_ as free of denormals, right after their loads (load_group).
// Every register is in memory there (the edges into a loop write the dirty ones back),
// and the flags too where live:
//   if (denormal(xmm[r].q0) || ...)   (r in xnd_loop_[g]: (|x| - 1) <u largest denormal)
//     cpu.icount = L_IC; cpu.rip = the start of block next; return 1
//   (1: the run loop interprets that block once, then enters compiled code again)
void Gen::loop_entry_guard(int g, uint32_t h, uint32_t t) {
  if (listing_) b_.text += ";; the loop's entry: its double operands held across iterations are no denormals\n";
  bool first = true;
  for (int r = 0; r < 16; r++) {
    if (!(xnd_loop_[(size_t)g] >> r & 1)) continue;
    sse_push_denormal(b_, slot_local(xslot(r, 0)));
    if (!first) b_.op0(I32_OR, "i32.or");
    first = false;
  }
  b_.if_hint(false);
  b_.local_get(L_CPU);
  b_.local_get(L_IC);
  b_.mem(I64_STORE, 3, abi_.off_icount);
  b_.local_get(L_CPU);
  b_.i64_const((int64_t)blocks_[h]->start);
  for (uint32_t j = h + 1; j <= t; j++) {  // rip = next != j ? rip : start of j
    b_.i64_const((int64_t)blocks_[j]->start);
    b_.local_get(L_NEXT);
    b_.i32_const((int32_t)orig_[j]);
    b_.op0(I32_NE, "i32.ne");
    b_.select();
  }
  b_.mem(I64_STORE, 3, abi_.off_rip);
  b_.i32_const(1);
  b_.ret();
  b_.end();
}

void Gen::pass() {
  const uint32_t n = (uint32_t)blocks_.size();
  probe_seq_ = 0;
  memo_ = Memo();
  key_ = MemKey();
  if (carry_pass_ == 2 && in_any_) memo_none(b_);  // (the other ways into a block that starts with a memo)
  // L_TLB = cpu.mem + tlb_off
  b_.local_get(L_CPU);
  b_.mem(I32_LOAD, 2, abi_.off_mem);
  b_.i32_const((int32_t)abi_.tlb_off);
  b_.op0(I32_ADD, "i32.add");
  b_.local_set(L_TLB);
  // the count and the budget's end in locals (bc.limit changes only in run(), before it
  // calls us)
  b_.local_get(L_CPU);
  b_.mem(I64_LOAD, 3, abi_.off_icount);
  b_.local_set(L_IC);
  b_.i32_const((int32_t)abi_.addr_limit);
  b_.mem(I64_LOAD, 3, 0);
  b_.local_set(L_LIM);
  if (has_sse_) mx_compute();
  chain_depth_ = -1;
  if (abi_.chain_table) {
    b_.block();  // (its end: chain_dispatch)
    chain_depth_ = b_.depth;
  }
  b_.loop();
  loop_depth_ = b_.depth;
  wrap_depth_.assign(n, 0);
  // the dispatcher's wrappers: one per block outside spans, one per span (its head)
  std::vector<uint32_t> slots;  // first block of each wrapper, in layout order
  for (uint32_t i = 0; i < n; i++)
    if (span_of_[i] < 0 || spans_[span_of_[i]].h == i) slots.push_back(i);
  std::vector<uint32_t> tab(n);
  for (size_t k = slots.size(); k-- > 0;) {
    b_.block();
    const uint32_t i = slots[k];
    if (span_of_[i] < 0) wrap_depth_[i] = b_.depth;
    else spans_[span_of_[i]].reg_depth = b_.depth;
  }
  for (uint32_t i = 0, k = 0; i < n; i++) {
    if (k + 1 < slots.size() && slots[k + 1] == i) k++;
    tab[orig_[i]] = k;  // (the selector is a region index)
  }
  b_.local_get(L_NEXT);
  b_.br_table(tab, 0);
  auto code = [&](uint32_t i) {
    // a block that is its own successor: a wasm loop (its back edge branches to the
    // head, the budget check there, without the dispatcher)
    if (self_loop_[i]) {
      if (span_of_[i] < 0 && group_[i] >= 0) load_group(group_[i]);  // (in a span: loaded on entry to it; pass 1: none)
      if (span_of_[i] < 0 && group_[i] >= 0 && xnd_loop_[(size_t)group_[i]]) loop_entry_guard(group_[i], i, i);  // (pass 1: none)
      b_.loop();
      self_depth_ = b_.depth;
    }
    block_code(i);
    if (self_loop_[i]) { b_.end(); self_depth_ = -1; }
  };
  for (uint32_t i = 0; i < n; i++) {
    b_.end();
    if (span_of_[i] < 0) { code(i); continue; }
    Span& sp = spans_[span_of_[i]];
    if (listing_) b_.text += ";; a loop of blocks " + std::to_string(sp.h) + ".." + std::to_string(sp.t) + "\n";
    if (group_[i] >= 0) load_group(group_[i]);  // (pass 1: none)
    if (group_[i] >= 0 && xnd_loop_[(size_t)group_[i]]) loop_entry_guard(group_[i], sp.h, sp.t);
    b_.loop();
    sp.loop_depth = b_.depth;
    for (uint32_t j = sp.t; j > sp.h; j--) { b_.block(); wrap_depth_[j] = b_.depth; }
    b_.block();
    // entered at h (every back edge: next == h), else once from the dispatcher
    b_.local_get(L_NEXT);
    b_.i32_const((int32_t)orig_[sp.h]);
    b_.op0(I32_EQ, "i32.eq");
    b_.br_if(0);
    b_.local_get(L_NEXT);
    b_.i32_const((int32_t)orig_[sp.h]);
    b_.local_set(L_NEXT);
    std::vector<uint32_t> inner(n, 0);  // region index -> its wrapper (0: the head's)
    for (uint32_t j = sp.h + 1; j <= sp.t; j++) inner[orig_[j]] = j - sp.h;
    b_.br_table(inner, 0);
    b_.end();
    code(sp.h);
    for (uint32_t j = sp.h + 1; j <= sp.t; j++) { b_.end(); code(j); }
    b_.end();  // the span's loop
    i = sp.t;
  }
  b_.end();  // loop
  b_.unreachable();
  if (chain_depth_ >= 0) {
    b_.end();
    chain_dispatch();
  }
}

const std::vector<FuncType>& module_types(bool chained) {
  static const std::vector<FuncType> types = {
      {{T_I32, T_I32}, {T_I32}},         // region
      {{T_I32, T_I32}, {}},              // handler (Cpu&, const Insn&)
      {{T_I32, T_I64}, {T_I64}},         // read helper (Cpu*, addr) -> value
      {{T_I32, T_I64, T_I64}, {}},       // write helper (Cpu*, addr, value)
  };
  static const std::vector<FuncType> with_hub = [] {
    std::vector<FuncType> t = types;
    t.push_back({{T_I32, T_I32, T_I32}, {T_I32}});  // the chain hub (Cpu*, entry, region slot) -> region's result
    return t;
  }();
  return chained ? with_hub : types;
}

}  // namespace

Batch compile_batch(const std::vector<std::vector<const Block*>>& regions, const Abi& abi, bool listing,
                    const std::vector<uint32_t>* exit_cells) {
  Batch out;
  Imports im;
  std::vector<std::unique_ptr<Gen>> gens;
  std::vector<const Body*> bodies;
  for (size_t i = 0; i < regions.size(); i++) {
    const auto& blocks = regions[i];
    const auto t0 = std::chrono::steady_clock::now();
    const uint32_t cell = exit_cells && i < exit_cells->size() ? (*exit_cells)[i] : 0;
    gens.push_back(std::make_unique<Gen>(blocks, abi, listing, im, cell));
    out.regions.push_back(gens.back()->run());
    bodies.push_back(&gens.back()->body());
    out.regions.back().gen_us = (uint32_t)std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - t0).count();
  }
  out.wasm = build_module(module_types(abi.chain_table != 0), im.types, TY_REGION, kLocals, bodies);
  out.imports = im.table;
  return out;
}

Compiled compile_region(const std::vector<const Block*>& blocks, const Abi& abi, bool listing, uint32_t exit_cell) {
  const std::vector<uint32_t> cells{exit_cell};
  Batch b = compile_batch({blocks}, abi, listing, &cells);
  Compiled c = std::move(b.regions[0]);
  c.wasm = std::move(b.wasm);
  c.imports = std::move(b.imports);
  return c;
}

}  // namespace gb::jit

// vm/cpu/ops_fast.h — the specialised handlers of the hottest integer forms (the ones
// special.h's pickers choose, defined here so that two callers share one definition) and
// the interpreter's inline dispatch of them.
//
// Each handler is the generic one (ops_int_alu.cpp, ops_int_mov.cpp, ops_int_branch.cpp)
// with its form fixed: operand size S (4 or 8 only: 1 and 2 keep the byte-register and
// merge rules of the generic code), register or memory operand, the ALU operation, the
// condition code. Same reads, same writes, same order (memory before registers), same
// lazy-flag record.
//
// Why a second way in: the run loop calls a handler through Insn::fn, which in wasm is a
// call_indirect (a table bounds check, a signature check, a call, the callee's frame) for
// an instruction that is often two or three loads and a store. For the forms below the
// decoder also sets Insn::fast, and run() (interp.cpp) switches on it and runs the same
// template inline (step() below); Insn::fn stays the same function, for everything else
// that calls it (the JIT's handler calls, step_one, the debugger). docs/interpreter.md,
// "The inline dispatch"; the figures in docs/jit.md, "The interpreter's dispatch".
//
// Adding a form: its handler here (or a generic one in its ops_*.cpp), a Kind, a case in
// step(), an entry in kind_of (ops_special.cpp), an encoding in tests/unit/test_special.cpp.
#pragma once
#include "vm/cpu/exec.h"

namespace gb {
namespace fast {

enum AluOp { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST };  // ADD..CMP: the group-1 order

// Values truncated to S bytes; register writes at S = 4 or 8 (the upper half zeroed at 4).
template <int S> GB_INLINE uint64_t rd(uint64_t v) { return S == 8 ? v : S == 4 ? (uint32_t)v : S == 2 ? (uint16_t)v : (uint8_t)v; }
template <int S> GB_INLINE void wr(uint64_t& r, uint64_t v) { static_assert(S >= 4); r = S == 8 ? v : (uint32_t)v; }
template <int S> GB_INLINE uint64_t load(Cpu& c, uint64_t a) {
  if constexpr (S == 8) return c.mem->read<uint64_t>(a);
  else if constexpr (S == 4) return c.mem->read<uint32_t>(a);
  else if constexpr (S == 2) return c.mem->read<uint16_t>(a);
  else return c.mem->read<uint8_t>(a);
}
template <int S> GB_INLINE void store(Cpu& c, uint64_t a, uint64_t v) {
  if constexpr (S == 8) c.mem->write<uint64_t>(a, v);
  else if constexpr (S == 4) c.mem->write<uint32_t>(a, (uint32_t)v);
  else if constexpr (S == 2) c.mem->write<uint16_t>(a, (uint16_t)v);
  else c.mem->write<uint8_t>(a, (uint8_t)v);
}

// dst OP src at size S: records the flags as alu() in ops_int_alu.cpp does.
template <int OP, int S> GB_INLINE uint64_t alu(Cpu& c, uint64_t d, uint64_t s) {
  uint64_t r;
  if constexpr (OP == ADD) { r = d + s; c.set_lazy(CC_ADD, S, d, s, r); }
  else if constexpr (OP == SUB || OP == CMP) { r = d - s; c.set_lazy(CC_SUB, S, d, s, r); }
  else if constexpr (OP == OR) { r = d | s; c.set_lazy(CC_LOGIC, S, d, s, r); }
  else if constexpr (OP == AND || OP == TEST) { r = d & s; c.set_lazy(CC_LOGIC, S, d, s, r); }
  else { r = d ^ s; c.set_lazy(CC_LOGIC, S, d, s, r); }
  return r;
}
template <int OP> constexpr bool writes() { return OP != CMP && OP != TEST; }

// r/m (register) OP= reg
template <int OP, int S> GB_INLINE void alu_rr(Cpu& c, const Insn& i) {
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.rm]), rd<S>(c.r[i.reg]));
  if constexpr (writes<OP>()) wr<S>(c.r[i.rm], r);
}
// reg OP= r/m (register)
template <int OP, int S> GB_INLINE void alu_gr(Cpu& c, const Insn& i) {
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.reg]), rd<S>(c.r[i.rm]));
  if constexpr (writes<OP>()) wr<S>(c.r[i.reg], r);
}
// reg OP= [mem]
template <int OP, int S> GB_INLINE void alu_gm(Cpu& c, const Insn& i) {
  const uint64_t s = load<S>(c, ea(c, i));
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.reg]), s);
  if constexpr (writes<OP>()) wr<S>(c.r[i.reg], r);
}
// cmp [mem], reg
template <int S> GB_INLINE void cmp_mr(Cpu& c, const Insn& i) { alu<CMP, S>(c, load<S>(c, ea(c, i)), rd<S>(c.r[i.reg])); }
// r/m (register) OP= imm
template <int OP, int S> GB_INLINE void alu_ri(Cpu& c, const Insn& i) {
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.rm]), rd<S>(i.imm));
  if constexpr (writes<OP>()) wr<S>(c.r[i.rm], r);
}
// cmp [mem], imm
template <int S> GB_INLINE void cmp_mi(Cpu& c, const Insn& i) { alu<CMP, S>(c, load<S>(c, ea(c, i)), rd<S>(i.imm)); }

template <int S> GB_INLINE void mov_rr(Cpu& c, const Insn& i) { wr<S>(c.r[i.rm], c.r[i.reg]); }   // mov r/m, reg
template <int S> GB_INLINE void mov_gr(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], c.r[i.rm]); }   // mov reg, r/m
template <int S> GB_INLINE void mov_store(Cpu& c, const Insn& i) { store<S>(c, ea(c, i), c.r[i.reg]); }
template <int S> GB_INLINE void mov_load(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], load<S>(c, ea(c, i))); }

// lea with a 64-bit address of base + disp, or base + index*scale + disp.
template <int S> GB_INLINE void lea_b(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], c.r[i.base] + (uint64_t)(int64_t)i.disp); }
template <int S> GB_INLINE void lea_bi(Cpu& c, const Insn& i) {
  wr<S>(c.r[i.reg], c.r[i.base] + (c.r[i.index] << i.scale) + (uint64_t)(int64_t)i.disp);
}

GB_INLINE void push_r64(Cpu& c, const Insn& i) {
  const uint64_t sp = c.r[RSP] - 8;
  c.mem->write<uint64_t>(sp, c.r[i.reg]);
  c.r[RSP] = sp;
}
GB_INLINE void pop_r64(Cpu& c, const Insn& i) {
  const uint64_t v = c.mem->read<uint64_t>(c.r[RSP]);
  c.r[RSP] += 8;
  c.r[i.reg] = v;
}

template <int CC> GB_INLINE void jcc(Cpu& c, const Insn& i) { if (c.cond(CC)) c.rip += i.imm; }

// Immediates: mov r/m, imm (register or memory), mov r, imm.
template <int S> GB_INLINE void mov_ri(Cpu& c, const Insn& i) { wr<S>(c.r[i.rm], i.imm); }
template <int S> GB_INLINE void mov_mi(Cpu& c, const Insn& i) { store<S>(c, ea(c, i), i.imm); }
template <int S> GB_INLINE void mov_zi(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], i.imm); }
// Widening loads from memory: movzx (byte, word), movsxd (dword, 64-bit destination).
template <int N> GB_INLINE void movzx_m(Cpu& c, const Insn& i) { c.r[i.reg] = load<N>(c, ea(c, i)); }
GB_INLINE void movsxd_r(Cpu& c, const Insn& i) { c.r[i.reg] = (uint64_t)(int64_t)(int32_t)c.r[i.rm]; }
GB_INLINE void movsxd_m(Cpu& c, const Insn& i) { c.r[i.reg] = (uint64_t)(int64_t)(int32_t)load<4>(c, ea(c, i)); }

// Near branches (the generic handlers of ops_int_branch.cpp are these).
GB_INLINE void call_rel(Cpu& c, const Insn& i) {
  push(c, c.rip);
  c.rip = rel_target(c, i);
}
GB_INLINE void ret_near(Cpu& c, const Insn& i) { c.rip = pop(c); }
GB_INLINE void jmp_rel(Cpu& c, const Insn& i) { c.rip = rel_target(c, i); }
GB_INLINE void jmp_ind(Cpu& c, const Insn& i) { c.rip = rd_E(c, i, 8); }

// Insn::fast: 0 = none (call Insn::fn); the rest name one handler: an instance above, or
// one of the generic handlers at the end (called directly).
enum Kind : uint8_t {
  K_NONE,
  K_MOV_LOAD4, K_MOV_LOAD8, K_MOV_STORE4, K_MOV_STORE8, K_MOV_RR4, K_MOV_RR8, K_MOV_GR4, K_MOV_GR8,
  K_PUSH, K_POP, K_MOVZX1, K_MOVZX2, K_LEA_B8, K_LEA_BI8, K_MOV_ZI4, K_MOV_RI8,
  K_CMP_MI1, K_CMP_MI4, K_CMP_MI8, K_CMP_MR4, K_CMP_MR8, K_CALL, K_RET, K_JMP, K_JMP_EV,
  K_MOVSXD_R, K_MOVSXD_M, K_LEA_B4, K_LEA_BI4, K_MOV_MI1, K_MOV_MI4, K_MOV_MI8, K_MOV_ZI8, K_MOV_RI4,
  K_ALU_RR, K_ALU_RR_END = K_ALU_RR + 18,  // [op (ADD..TEST, 9)][size == 8]
  K_ALU_RI = K_ALU_RR_END, K_ALU_RI_END = K_ALU_RI + 18,
  K_ALU_GM = K_ALU_RI_END, K_ALU_GM_END = K_ALU_GM + 18,
  K_ALU_GR = K_ALU_GM_END, K_ALU_GR_END = K_ALU_GR + 18,
  K_JCC = K_ALU_GR_END, K_JCC_END = K_JCC + 16,
  // Generic handlers frequent in cold code (gcc, python's start-up): called directly,
  // which in wasm saves the call_indirect's table and signature checks.
  K_GRP2_EV_IB = K_JCC_END, K_SETCC, K_TEST_EB_GB, K_TEST_EB_IB, K_CMP_AL_IB, K_GRP1_EB_IB, K_GRP1_EV_IB,
  K_NOT_EV, K_MOVZX_GV_EB, K_CMOVCC, K_CALL_EV, K_MOV_EB_GB, K_MOVAPS_ST, K_MOVUPS_LD, K_MOVUPS_ST,
  K_GRP1_EV_IZ,
};

// (kind_of(fn), declared in special.h and defined in ops_special.cpp, maps a handler to
// its Kind; the decoder stores it in Insn::fast.)

#define GB_ALU_CASES(K, H, OP) \
  case K + 2 * OP: H<OP, 4>(c, i); break; \
  case K + 2 * OP + 1: H<OP, 8>(c, i); break;
// the six operations every ALU form has (adc/sbb have none; test only register/register)
#define GB_ALU_ROWS(K, H) \
  GB_ALU_CASES(K, H, ADD) GB_ALU_CASES(K, H, OR) GB_ALU_CASES(K, H, AND) \
  GB_ALU_CASES(K, H, SUB) GB_ALU_CASES(K, H, XOR) GB_ALU_CASES(K, H, CMP)
#define GB_JCC_CASE(CC) case K_JCC + CC: jcc<CC>(c, i); break;

// One instruction: inline for the kinds above, else through its handler.
GB_INLINE void step(Cpu& c, const Insn& i) {
  switch (i.fast) {
    case K_MOV_LOAD4: mov_load<4>(c, i); break;
    case K_MOV_LOAD8: mov_load<8>(c, i); break;
    case K_MOV_STORE4: mov_store<4>(c, i); break;
    case K_MOV_STORE8: mov_store<8>(c, i); break;
    case K_MOV_RR4: mov_rr<4>(c, i); break;
    case K_MOV_RR8: mov_rr<8>(c, i); break;
    case K_MOV_GR4: mov_gr<4>(c, i); break;
    case K_MOV_GR8: mov_gr<8>(c, i); break;
    case K_PUSH: push_r64(c, i); break;
    case K_POP: pop_r64(c, i); break;
    case K_MOVZX1: movzx_m<1>(c, i); break;
    case K_MOVZX2: movzx_m<2>(c, i); break;
    case K_LEA_B8: lea_b<8>(c, i); break;
    case K_LEA_BI8: lea_bi<8>(c, i); break;
    case K_MOV_ZI4: mov_zi<4>(c, i); break;
    case K_MOV_RI8: mov_ri<8>(c, i); break;
    case K_CMP_MI1: cmp_mi<1>(c, i); break;
    case K_CMP_MI4: cmp_mi<4>(c, i); break;
    case K_CMP_MI8: cmp_mi<8>(c, i); break;
    case K_CMP_MR4: cmp_mr<4>(c, i); break;
    case K_CMP_MR8: cmp_mr<8>(c, i); break;
    case K_MOVSXD_R: movsxd_r(c, i); break;
    case K_MOVSXD_M: movsxd_m(c, i); break;
    case K_LEA_B4: lea_b<4>(c, i); break;
    case K_LEA_BI4: lea_bi<4>(c, i); break;
    case K_MOV_MI1: mov_mi<1>(c, i); break;
    case K_MOV_MI4: mov_mi<4>(c, i); break;
    case K_MOV_MI8: mov_mi<8>(c, i); break;
    case K_MOV_ZI8: mov_zi<8>(c, i); break;
    case K_MOV_RI4: mov_ri<4>(c, i); break;
    case K_CALL: call_rel(c, i); break;
    case K_RET: ret_near(c, i); break;
    case K_JMP: jmp_rel(c, i); break;
    case K_JMP_EV: jmp_ind(c, i); break;
    GB_ALU_ROWS(K_ALU_RR, alu_rr) GB_ALU_CASES(K_ALU_RR, alu_rr, TEST)
    GB_ALU_ROWS(K_ALU_RI, alu_ri)
    GB_ALU_ROWS(K_ALU_GM, alu_gm)
    GB_ALU_ROWS(K_ALU_GR, alu_gr)
    case K_GRP2_EV_IB: grp2_Ev_Ib(c, i); break;
    case K_SETCC: setcc_Eb(c, i); break;
    case K_TEST_EB_GB: test_Eb_Gb(c, i); break;
    case K_TEST_EB_IB: test_Eb_Ib(c, i); break;
    case K_CMP_AL_IB: cmp_AL_Ib(c, i); break;
    case K_GRP1_EB_IB: grp1_Eb_Ib(c, i); break;
    case K_GRP1_EV_IB: grp1_Ev_Ib(c, i); break;
    case K_GRP1_EV_IZ: grp1_Ev_Iz(c, i); break;
    case K_NOT_EV: not_Ev(c, i); break;
    case K_MOVZX_GV_EB: movzx_Gv_Eb(c, i); break;
    case K_CMOVCC: cmovcc_Gv_Ev(c, i); break;
    case K_CALL_EV: call_Ev(c, i); break;
    case K_MOV_EB_GB: mov_Eb_Gb(c, i); break;
    case K_MOVAPS_ST: movaps_Wps_Vps(c, i); break;
    case K_MOVUPS_LD: movups_Vps_Wps(c, i); break;
    case K_MOVUPS_ST: movups_Wps_Vps(c, i); break;
    GB_JCC_CASE(0) GB_JCC_CASE(1) GB_JCC_CASE(2) GB_JCC_CASE(3) GB_JCC_CASE(4) GB_JCC_CASE(5)
    GB_JCC_CASE(6) GB_JCC_CASE(7) GB_JCC_CASE(8) GB_JCC_CASE(9) GB_JCC_CASE(10) GB_JCC_CASE(11)
    GB_JCC_CASE(12) GB_JCC_CASE(13) GB_JCC_CASE(14) GB_JCC_CASE(15)
    default: i.fn(c, i); break;
  }
}
#undef GB_ALU_CASES
#undef GB_ALU_ROWS
#undef GB_JCC_CASE

}  // namespace fast
}  // namespace gb

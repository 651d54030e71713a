// vm/cpu/ops_special.cpp — handlers specialised by form for the hottest integer rows,
// and the pickers the decoder calls through the table's `special` column (special.h).
//
// Each specialised handler is the generic one (ops_int_alu.cpp, ops_int_mov.cpp,
// ops_int_branch.cpp) with its form fixed: operand size S (4 or 8 only: 1 and 2 keep
// the byte-register and merge rules of the generic code), register or memory operand,
// the ALU operation, the condition code. Same reads, same writes, same order (memory
// before registers), same lazy-flag record. A picker returns the generic handler for any
// form it does not cover.
#include "vm/cpu/exec.h"
#include "vm/cpu/special.h"

namespace gb {

namespace {

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
template <int OP, int S> void alu_rr(Cpu& c, const Insn& i) {
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.rm]), rd<S>(c.r[i.reg]));
  if constexpr (writes<OP>()) wr<S>(c.r[i.rm], r);
}
// reg OP= r/m (register)
template <int OP, int S> void alu_gr(Cpu& c, const Insn& i) {
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.reg]), rd<S>(c.r[i.rm]));
  if constexpr (writes<OP>()) wr<S>(c.r[i.reg], r);
}
// reg OP= [mem]
template <int OP, int S> void alu_gm(Cpu& c, const Insn& i) {
  const uint64_t s = load<S>(c, ea(c, i));
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.reg]), s);
  if constexpr (writes<OP>()) wr<S>(c.r[i.reg], r);
}
// cmp [mem], reg
template <int S> void cmp_mr(Cpu& c, const Insn& i) { alu<CMP, S>(c, load<S>(c, ea(c, i)), rd<S>(c.r[i.reg])); }
// r/m (register) OP= imm
template <int OP, int S> void alu_ri(Cpu& c, const Insn& i) {
  const uint64_t r = alu<OP, S>(c, rd<S>(c.r[i.rm]), rd<S>(i.imm));
  if constexpr (writes<OP>()) wr<S>(c.r[i.rm], r);
}
// cmp [mem], imm
template <int S> void cmp_mi(Cpu& c, const Insn& i) { alu<CMP, S>(c, load<S>(c, ea(c, i)), rd<S>(i.imm)); }

template <int S> void mov_rr(Cpu& c, const Insn& i) { wr<S>(c.r[i.rm], c.r[i.reg]); }   // mov r/m, reg
template <int S> void mov_gr(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], c.r[i.rm]); }   // mov reg, r/m
template <int S> void mov_store(Cpu& c, const Insn& i) { store<S>(c, ea(c, i), c.r[i.reg]); }
template <int S> void mov_load(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], load<S>(c, ea(c, i))); }

// lea with a 64-bit address of base + disp, or base + index*scale + disp.
template <int S> void lea_b(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], c.r[i.base] + (uint64_t)(int64_t)i.disp); }
template <int S> void lea_bi(Cpu& c, const Insn& i) {
  wr<S>(c.r[i.reg], c.r[i.base] + (c.r[i.index] << i.scale) + (uint64_t)(int64_t)i.disp);
}

void push_r64(Cpu& c, const Insn& i) {
  const uint64_t sp = c.r[RSP] - 8;
  c.mem->write<uint64_t>(sp, c.r[i.reg]);
  c.r[RSP] = sp;
}
void pop_r64(Cpu& c, const Insn& i) {
  const uint64_t v = c.mem->read<uint64_t>(c.r[RSP]);
  c.r[RSP] += 8;
  c.r[i.reg] = v;
}

template <int CC> void jcc(Cpu& c, const Insn& i) { if (c.cond(CC)) c.rip += i.imm; }

// Immediates: mov r/m, imm (register or memory), mov r, imm.
template <int S> void mov_ri(Cpu& c, const Insn& i) { wr<S>(c.r[i.rm], i.imm); }
template <int S> void mov_mi(Cpu& c, const Insn& i) { store<S>(c, ea(c, i), i.imm); }
template <int S> void mov_zi(Cpu& c, const Insn& i) { wr<S>(c.r[i.reg], i.imm); }
// Widening loads from memory: movzx (byte, word), movsxd (dword, 64-bit destination).
template <int N> void movzx_m(Cpu& c, const Insn& i) { c.r[i.reg] = load<N>(c, ea(c, i)); }
void movsxd_r(Cpu& c, const Insn& i) { c.r[i.reg] = (uint64_t)(int64_t)(int32_t)c.r[i.rm]; }
void movsxd_m(Cpu& c, const Insn& i) { c.r[i.reg] = (uint64_t)(int64_t)(int32_t)load<4>(c, ea(c, i)); }

// Tables indexed [op][size == 8] (null: not specialised, e.g. adc/sbb).
#define ALU_ROW(H, OP) {&H<OP, 4>, &H<OP, 8>}
#define ALU_TABLE(H) \
  {ALU_ROW(H, ADD), ALU_ROW(H, OR), {nullptr, nullptr}, {nullptr, nullptr}, \
   ALU_ROW(H, AND), ALU_ROW(H, SUB), ALU_ROW(H, XOR), ALU_ROW(H, CMP), ALU_ROW(H, TEST)}
const Handler kAluRR[9][2] = ALU_TABLE(alu_rr);
const Handler kAluGR[9][2] = ALU_TABLE(alu_gr);
const Handler kAluGM[9][2] = ALU_TABLE(alu_gm);
const Handler kAluRI[9][2] = ALU_TABLE(alu_ri);
#undef ALU_TABLE
#undef ALU_ROW

bool wide(const Insn& i) { return i.osz == 4 || i.osz == 8; }
int w(const Insn& i) { return i.osz == 8; }

Handler pick_Ev_Gv(const Insn& i, int op, Handler generic) {
  if (!wide(i)) return generic;
  if (i.mod == 3) return kAluRR[op][w(i)];
  if (op == CMP) return i.osz == 8 ? &cmp_mr<8> : &cmp_mr<4>;
  return generic;
}
Handler pick_Gv_Ev(const Insn& i, int op, Handler generic) {
  if (!wide(i)) return generic;
  return i.mod == 3 ? kAluGR[op][w(i)] : kAluGM[op][w(i)];
}
Handler pick_grp1(const Insn& i, Handler generic) {
  const int op = i.reg & 7;
  if (!wide(i) || op == ADC || op == SBB) return generic;
  if (i.mod == 3) return kAluRI[op][w(i)];
  if (op == CMP) return i.osz == 8 ? &cmp_mi<8> : &cmp_mi<4>;
  return generic;
}

const Handler kJcc[16] = {&jcc<0>, &jcc<1>, &jcc<2>,  &jcc<3>,  &jcc<4>,  &jcc<5>,  &jcc<6>,  &jcc<7>,
                          &jcc<8>, &jcc<9>, &jcc<10>, &jcc<11>, &jcc<12>, &jcc<13>, &jcc<14>, &jcc<15>};

}  // namespace

#define PICK_ALU(name, OP)                                                                  \
  Handler pick_##name##_Ev_Gv(const Insn& i) { return pick_Ev_Gv(i, OP, &name##_Ev_Gv); }   \
  Handler pick_##name##_Gv_Ev(const Insn& i) { return pick_Gv_Ev(i, OP, &name##_Gv_Ev); }
PICK_ALU(add, ADD)
PICK_ALU(or, OR)
PICK_ALU(and, AND)
PICK_ALU(sub, SUB)
PICK_ALU(xor, XOR)
PICK_ALU(cmp, CMP)
#undef PICK_ALU

Handler pick_grp1_Ev_Ib(const Insn& i) { return pick_grp1(i, &grp1_Ev_Ib); }
Handler pick_grp1_Ev_Iz(const Insn& i) { return pick_grp1(i, &grp1_Ev_Iz); }
Handler pick_test_Ev_Gv(const Insn& i) { return wide(i) && i.mod == 3 ? kAluRR[TEST][w(i)] : &test_Ev_Gv; }

Handler pick_mov_Ev_Gv(const Insn& i) {
  if (!wide(i)) return &mov_Ev_Gv;
  if (i.mod == 3) return i.osz == 8 ? &mov_rr<8> : &mov_rr<4>;
  return i.osz == 8 ? &mov_store<8> : &mov_store<4>;
}
Handler pick_mov_Gv_Ev(const Insn& i) {
  if (!wide(i)) return &mov_Gv_Ev;
  if (i.mod == 3) return i.osz == 8 ? &mov_gr<8> : &mov_gr<4>;
  return i.osz == 8 ? &mov_load<8> : &mov_load<4>;
}
Handler pick_lea_Gv_M(const Insn& i) {
  if (!wide(i) || i.asz != 8 || i.base == NOREG || i.base == RIPREL) return &lea_Gv_M;
  if (i.index == NOREG) return i.osz == 8 ? &lea_b<8> : &lea_b<4>;
  return i.osz == 8 ? &lea_bi<8> : &lea_bi<4>;
}
Handler pick_push_Zv(const Insn& i) { return i.osz == 8 ? &push_r64 : &push_Zv; }
Handler pick_pop_Zv(const Insn& i) { return i.osz == 8 ? &pop_r64 : &pop_Zv; }
Handler pick_mov_Eb_Ib(const Insn& i) { return i.mod != 3 ? &mov_mi<1> : &mov_Eb_Ib; }
Handler pick_mov_Ev_Iz(const Insn& i) {
  if (!wide(i)) return &mov_Ev_Iz;
  if (i.mod == 3) return i.osz == 8 ? &mov_ri<8> : &mov_ri<4>;
  return i.osz == 8 ? &mov_mi<8> : &mov_mi<4>;
}
Handler pick_mov_Zv_Iv(const Insn& i) { return !wide(i) ? &mov_Zv_Iv : i.osz == 8 ? &mov_zi<8> : &mov_zi<4>; }
Handler pick_grp1_Eb_Ib(const Insn& i) { return i.mod != 3 && (i.reg & 7) == CMP ? &cmp_mi<1> : &grp1_Eb_Ib; }
// (a byte or word zero-extended fits 32 bits: the 32- and 64-bit forms write the same value)
Handler pick_movzx_Gv_Eb(const Insn& i) { return wide(i) && i.mod != 3 ? &movzx_m<1> : &movzx_Gv_Eb; }
Handler pick_movzx_Gv_Ew(const Insn& i) { return wide(i) && i.mod != 3 ? &movzx_m<2> : &movzx_Gv_Ew; }
Handler pick_movsxd_Gv_Ed(const Insn& i) {
  if (i.osz != 8) return &movsxd_Gv_Ed;
  return i.mod == 3 ? &movsxd_r : &movsxd_m;
}
Handler pick_jcc_Jb(const Insn& i) { return i.osz == 2 ? &jcc_Jb : kJcc[i.opc & 15]; }
Handler pick_jcc_Jz(const Insn& i) { return i.osz == 2 ? &jcc_Jz : kJcc[i.opc & 15]; }

}  // namespace gb

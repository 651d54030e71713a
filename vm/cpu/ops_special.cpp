// vm/cpu/ops_special.cpp — the pickers the decoder calls through the table's `special`
// column (special.h), the tables of specialised handlers they choose from, and kind_of
// (Insn::fast for a handler). The specialised handlers themselves are in ops_fast.h,
// where the run loop's inline dispatch (fast::step) shares their one definition.
//
// Each specialised handler is the generic one (ops_int_alu.cpp, ops_int_mov.cpp,
// ops_int_branch.cpp) with its form fixed: operand size S (4 or 8 only: 1 and 2 keep
// the byte-register and merge rules of the generic code), register or memory operand,
// the ALU operation, the condition code. Same reads, same writes, same order (memory
// before registers), same lazy-flag record. A picker returns the generic handler for any
// form it does not cover.
#include <algorithm>
#include <functional>
#include <vector>

#include "vm/cpu/ops_fast.h"
#include "vm/cpu/special.h"

namespace gb {

namespace {

using namespace fast;


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


namespace fast {
// Every handler with an inline form, sorted by address once; kind_of is a binary search
// (the decoder asks it for every instruction it decodes).
uint8_t kind_of(Handler fn) {
  struct Entry { Handler fn; uint8_t kind; };
  struct Sorted {
    std::vector<Entry> v;
    Sorted() {
      v = {{&mov_load<4>, K_MOV_LOAD4}, {&mov_load<8>, K_MOV_LOAD8}, {&mov_store<4>, K_MOV_STORE4},
           {&mov_store<8>, K_MOV_STORE8}, {&mov_rr<4>, K_MOV_RR4}, {&mov_rr<8>, K_MOV_RR8},
           {&mov_gr<4>, K_MOV_GR4}, {&mov_gr<8>, K_MOV_GR8}, {&push_r64, K_PUSH}, {&pop_r64, K_POP},
           {&movzx_m<1>, K_MOVZX1}, {&movzx_m<2>, K_MOVZX2}, {&lea_b<8>, K_LEA_B8}, {&lea_bi<8>, K_LEA_BI8},
           {&mov_zi<4>, K_MOV_ZI4}, {&mov_ri<8>, K_MOV_RI8}, {&cmp_mi<1>, K_CMP_MI1}, {&cmp_mi<4>, K_CMP_MI4},
           {&cmp_mi<8>, K_CMP_MI8}, {&cmp_mr<4>, K_CMP_MR4}, {&cmp_mr<8>, K_CMP_MR8},
           {&call_Jz, K_CALL}, {&ret, K_RET}, {&jmp_Jb, K_JMP}, {&jmp_Jz, K_JMP}, {&jmp_Ev, K_JMP_EV},
           {&movsxd_r, K_MOVSXD_R}, {&movsxd_m, K_MOVSXD_M}, {&lea_b<4>, K_LEA_B4}, {&lea_bi<4>, K_LEA_BI4},
           {&mov_mi<1>, K_MOV_MI1}, {&mov_mi<4>, K_MOV_MI4}, {&mov_mi<8>, K_MOV_MI8}, {&mov_zi<8>, K_MOV_ZI8},
           {&mov_ri<4>, K_MOV_RI4}, {&grp2_Ev_Ib, K_GRP2_EV_IB}, {&setcc_Eb, K_SETCC},
           {&test_Eb_Gb, K_TEST_EB_GB}, {&test_Eb_Ib, K_TEST_EB_IB}, {&cmp_AL_Ib, K_CMP_AL_IB},
           {&grp1_Eb_Ib, K_GRP1_EB_IB}, {&grp1_Ev_Ib, K_GRP1_EV_IB}, {&grp1_Ev_Iz, K_GRP1_EV_IZ}, {&not_Ev, K_NOT_EV},
           {&movzx_Gv_Eb, K_MOVZX_GV_EB}, {&cmovcc_Gv_Ev, K_CMOVCC}, {&call_Ev, K_CALL_EV},
           {&mov_Eb_Gb, K_MOV_EB_GB}, {&movaps_Wps_Vps, K_MOVAPS_ST}, {&movups_Vps_Wps, K_MOVUPS_LD},
           {&movups_Wps_Vps, K_MOVUPS_ST}};
      for (int op = 0; op < 9; op++)
        for (int s = 0; s < 2; s++) {
          if (op == ADC || op == SBB) continue;
          v.push_back({kAluRR[op][s], (uint8_t)(K_ALU_RR + 2 * op + s)});
          if (op != TEST) v.push_back({kAluRI[op][s], (uint8_t)(K_ALU_RI + 2 * op + s)});
          if (op != TEST) v.push_back({kAluGM[op][s], (uint8_t)(K_ALU_GM + 2 * op + s)});
          if (op != TEST) v.push_back({kAluGR[op][s], (uint8_t)(K_ALU_GR + 2 * op + s)});
        }
      for (int cc = 0; cc < 16; cc++) v.push_back({kJcc[cc], (uint8_t)(K_JCC + cc)});
      std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return std::less<Handler>()(a.fn, b.fn); });
    }
  };
  static const Sorted table;
  auto it = std::lower_bound(table.v.begin(), table.v.end(), fn,
                             [](const Entry& e, Handler f) { return std::less<Handler>()(e.fn, f); });
  return it != table.v.end() && it->fn == fn ? it->kind : (uint8_t)K_NONE;
}
}  // namespace fast

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

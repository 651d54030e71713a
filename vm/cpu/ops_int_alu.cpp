// vm/cpu/ops_int_alu.cpp — the eight-op ALU family (add or adc sbb and sub xor cmp),
// test, inc/dec, neg/not. Rows: table/int.inc "ALU family", group 1 (80/81/83),
// group 3 (f6/f7 /0-/3), group 4/5 (fe/ff /0-/1).
#include "vm/cpu/exec.h"

namespace gb {

namespace {

enum AluOp { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP };

// Computes dst OP src at `size`, records the flags, returns the (untruncated) result.
GB_INLINE uint64_t alu(Cpu& c, int op, int size, uint64_t d, uint64_t s) {
  uint64_t r;
  switch (op) {
    case ADD: r = d + s; c.set_lazy(CC_ADD, size, d, s, r); break;
    case OR: r = d | s; c.set_lazy(CC_LOGIC, size, d, s, r); break;
    case ADC: {
      const uint8_t cin = c.cf();
      r = d + s + cin;
      c.set_lazy(CC_ADC, size, d, s, r);
      c.cc.cin = cin;
      break;
    }
    case SBB: {
      const uint8_t cin = c.cf();
      r = d - s - cin;
      c.set_lazy(CC_SBB, size, d, s, r);
      c.cc.cin = cin;
      break;
    }
    case AND: r = d & s; c.set_lazy(CC_LOGIC, size, d, s, r); break;
    case SUB: case CMP: r = d - s; c.set_lazy(CC_SUB, size, d, s, r); break;
    default: r = d ^ s; c.set_lazy(CC_LOGIC, size, d, s, r); break;
  }
  return r;
}

// The result of dst OP src without touching the flags (for a store that may fault).
GB_INLINE uint64_t alu_value(const Cpu& c, int op, uint64_t d, uint64_t s) {
  switch (op) {
    case ADD: return d + s;
    case OR: return d | s;
    case ADC: return d + s + c.cf();
    case SBB: return d - s - c.cf();
    case AND: return d & s;
    case SUB: case CMP: return d - s;
    default: return d ^ s;
  }
}

// r/m OP= reg (or imm): read-modify-write of the E operand.
GB_INLINE void alu_E(Cpu& c, const Insn& i, int op, int size, uint64_t src) {
  if (i.mod == 3) {
    const uint64_t d = c.getr(i.rm, size, i.rex);
    const uint64_t r = alu(c, op, size, d, src);
    if (op != CMP) c.setr(i.rm, size, i.rex, r);
    return;
  }
  const uint64_t a = ea(c, i);
  const uint64_t d = rd_mem(c, a, size);
  // Store first, then record the flags: a faulting store commits nothing (no try/catch
  // on the hot path; the flags' inputs are unchanged by the store).
  if (op != CMP) wr_mem(c, a, size, alu_value(c, op, d, src));
  alu(c, op, size, d, src);
}

GB_INLINE void alu_G(Cpu& c, const Insn& i, int op, int size) {
  const uint64_t s = rd_E(c, i, size);
  const uint64_t d = c.getr(i.reg, size, i.rex);
  const uint64_t r = alu(c, op, size, d, s);
  if (op != CMP) c.setr(i.reg, size, i.rex, r);
}

GB_INLINE void alu_A(Cpu& c, const Insn& i, int op, int size) {
  const uint64_t d = c.getr(RAX, size, false);
  const uint64_t r = alu(c, op, size, d, i.imm & size_mask(size));
  if (op != CMP) c.setr(RAX, size, false, r);
}

}  // namespace

#define ALU_FORMS(name, OPK)                                                                  \
  void name##_Eb_Gb(Cpu& c, const Insn& i) { alu_E(c, i, OPK, 1, rd_G(c, i, 1)); }           \
  void name##_Ev_Gv(Cpu& c, const Insn& i) { alu_E(c, i, OPK, i.osz, rd_G(c, i, i.osz)); }   \
  void name##_Gb_Eb(Cpu& c, const Insn& i) { alu_G(c, i, OPK, 1); }                           \
  void name##_Gv_Ev(Cpu& c, const Insn& i) { alu_G(c, i, OPK, i.osz); }                       \
  void name##_AL_Ib(Cpu& c, const Insn& i) { alu_A(c, i, OPK, 1); }                           \
  void name##_rAX_Iz(Cpu& c, const Insn& i) { alu_A(c, i, OPK, i.osz); }

ALU_FORMS(add, ADD)
ALU_FORMS(or, OR)
ALU_FORMS(adc, ADC)
ALU_FORMS(sbb, SBB)
ALU_FORMS(and, AND)
ALU_FORMS(sub, SUB)
ALU_FORMS(xor, XOR)
ALU_FORMS(cmp, CMP)
#undef ALU_FORMS

// Group 1: the op is ModRM.reg.
void grp1_Eb_Ib(Cpu& c, const Insn& i) { alu_E(c, i, i.reg & 7, 1, i.imm & 0xff); }
void grp1_Ev_Iz(Cpu& c, const Insn& i) { alu_E(c, i, i.reg & 7, i.osz, i.imm & size_mask(i.osz)); }
void grp1_Ev_Ib(Cpu& c, const Insn& i) { alu_E(c, i, i.reg & 7, i.osz, i.imm & size_mask(i.osz)); }

// test: and without writing.
void test_Eb_Gb(Cpu& c, const Insn& i) { alu(c, AND, 1, rd_E(c, i, 1), rd_G(c, i, 1)); }
void test_Ev_Gv(Cpu& c, const Insn& i) { alu(c, AND, i.osz, rd_E(c, i, i.osz), rd_G(c, i, i.osz)); }
void test_AL_Ib(Cpu& c, const Insn& i) { alu(c, AND, 1, c.r[RAX] & 0xff, i.imm & 0xff); }
void test_rAX_Iz(Cpu& c, const Insn& i) { alu(c, AND, i.osz, c.r[RAX], i.imm); }
void test_Eb_Ib(Cpu& c, const Insn& i) { alu(c, AND, 1, rd_E(c, i, 1), i.imm & 0xff); }
void test_Ev_Iz(Cpu& c, const Insn& i) { alu(c, AND, i.osz, rd_E(c, i, i.osz), i.imm); }

// inc/dec keep CF.
static void incdec(Cpu& c, const Insn& i, int size, bool dec) {
  const uint64_t a = i.mod == 3 ? 0 : ea(c, i);
  const uint64_t d = i.mod == 3 ? c.getr(i.rm, size, i.rex) : rd_mem(c, a, size);
  const uint64_t r = dec ? d - 1 : d + 1;
  if (i.mod == 3) c.setr(i.rm, size, i.rex, r);
  else wr_mem(c, a, size, r);
  const uint8_t cf = c.cf();
  c.set_lazy(dec ? CC_DEC : CC_INC, size, d, 1, r);
  c.cc.cin = cf;
}
void inc_Eb(Cpu& c, const Insn& i) { incdec(c, i, 1, false); }
void dec_Eb(Cpu& c, const Insn& i) { incdec(c, i, 1, true); }
void inc_Ev(Cpu& c, const Insn& i) { incdec(c, i, i.osz, false); }
void dec_Ev(Cpu& c, const Insn& i) { incdec(c, i, i.osz, true); }

static void negnot(Cpu& c, const Insn& i, int size, bool neg) {
  const uint64_t a = i.mod == 3 ? 0 : ea(c, i);
  const uint64_t d = i.mod == 3 ? c.getr(i.rm, size, i.rex) : rd_mem(c, a, size);
  const uint64_t r = neg ? 0 - d : ~d;
  if (i.mod == 3) c.setr(i.rm, size, i.rex, r);
  else wr_mem(c, a, size, r);
  if (neg) c.set_lazy(CC_SUB, size, 0, d, r);
}
void not_Eb(Cpu& c, const Insn& i) { negnot(c, i, 1, false); }
void not_Ev(Cpu& c, const Insn& i) { negnot(c, i, i.osz, false); }
void neg_Eb(Cpu& c, const Insn& i) { negnot(c, i, 1, true); }
void neg_Ev(Cpu& c, const Insn& i) { negnot(c, i, i.osz, true); }

}  // namespace gb

// vm/cpu/ops_x87_arith.cpp — x87 arithmetic (fadd fsub fsubr fmul fdiv fdivr in every
// form, the fi* integer forms), compares (fcom fucom ficom ftst fcomi fucomi and the
// popping forms), fcmovcc, and fchs/fabs/ftst/fxam.
//
// Arithmetic is the 80-bit soft-float of vm/cpu/x87_softfloat.h, with FCW's rounding
// and precision control; the native and wasm builds agree bit for bit.
//
// The ModRM.reg field encodes the operation uniformly as dst = dst OP src:
//   0 add, 1 mul, 4 sub (dst - src), 5 subr (src - dst), 6 div (dst / src), 7 divr (src / dst)
// where (dst, src) is (st0, st(i)) for D8, (st(i), st0) for DC/DE, and (st0, m) for memory;
// that is why the mnemonics of DC/DE sub/div look swapped against D8.
#include "vm/cpu/exec.h"
#include "vm/cpu/f80.h"

namespace gb {

using namespace x87;

namespace {

enum { ADD = 0, MUL = 1, SUB = 4, SUBR = 5, DIV = 6, DIVR = 7 };
// Memory operand kinds.
enum { M32FP, M64FP, M16INT, M32INT };

// a OP b under `e` (exceptions accumulate in e.exc).
template <int OP>
inline F80 arith_env(F80 a, F80 b, sf::Env& e) {
  switch (OP) {
    case ADD: return sf::add(a, b, false, e);
    case MUL: return sf::mul(a, b, e);
    case SUB: return sf::add(a, b, true, e);
    case SUBR: return sf::add(b, a, true, e);
    case DIV: return sf::div(a, b, e);
    default: return sf::div(b, a, e);
  }
}

template <int OP>
inline F80 arith(Cpu& c, F80 a, F80 b) {
  sf::Env e = env(c, true);
  const F80 r = arith_env<OP>(a, b, e);
  commit(c, e);
  return r;
}

// Memory operand as an arithmetic source: SNaNs stay signalling (so the x87 NaN rules
// see them), denormals raise DE.
template <int KIND>
F80 load_operand(Cpu& c, uint64_t a, uint16_t& exc) {
  sf::Env e;
  F80 v;
  switch (KIND) {
    case M32FP: v = sf::from_f32(c.mem->read<uint32_t>(a), true, e); break;
    case M64FP: v = sf::from_f64(c.mem->read<uint64_t>(a), true, e); break;
    case M16INT: v = sf::from_i64((int16_t)c.mem->read<uint16_t>(a)); break;
    default: v = sf::from_i64((int32_t)c.mem->read<uint32_t>(a)); break;
  }
  exc |= e.exc;
  return v;
}

template <int OP, int KIND>
void arith_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  uint16_t exc = 0;
  const F80 b = load_operand<KIND>(c, a, exc);
  note(c, i, a);
  if (__builtin_expect(is_empty(c, 0), 0)) { stack_underflow(c); put(c, 0, sf::kIndefinite); return; }
  F80& d = st(c, 0);
  // The memory operand's DE (a float/double denormal, normal in 80 bits) counts as the
  // operands' DE: hidden by a stack fault, a NaN operand, IE or ZE (measured).
  if (exc && (sf::classify(d) >= sf::C_QNAN || sf::classify(b) >= sf::C_QNAN)) exc = 0;
  if (exc) {
    sf::Env e = env(c, true);
    e.exc = exc;
    d = arith_env<OP>(d, b, e);
    commit(c, e);
    return;
  }
  d = arith<OP>(c, d, b);
}

// dst = st(d) OP st(s), optionally popping.
template <int OP, bool DST_STI, bool POP>
void arith_reg(Cpu& c, const Insn& i) {
  enter(c, i);
  const int k = i.rm & 7;
  const int dst = DST_STI ? k : 0, src = DST_STI ? 0 : k;
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, k), 0)) {
    stack_underflow(c);
    put(c, dst, sf::kIndefinite);
  } else {
    F80& d = st(c, dst);
    d = arith<OP>(c, d, st(c, src));
  }
  if (POP) fpop(c);
}

// ---- compares ----
constexpr uint16_t kCC[4] = {0, FSW_C0, FSW_C3, FSW_C3 | FSW_C2 | FSW_C0};     // > < = unordered
constexpr uint64_t kFL[4] = {0, FL_CF, FL_ZF, FL_ZF | FL_PF | FL_CF};

// Compares st0 with b. Ordered compares raise IE on any NaN, unordered ones on SNaNs.
inline int do_compare(Cpu& c, F80 a, F80 b, bool unordered) {
  sf::Env e = env(c);
  const int r = sf::compare(a, b, unordered, e);
  sf::finish(e);
  if (e.exc & FSW_EXC) raise(c, e.exc & FSW_EXC);
  return r;
}

template <bool UNORDERED, int POPS>
void fcom_reg(Cpu& c, const Insn& i, int k) {
  enter(c, i);
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, k), 0)) {
    stack_underflow(c);
    set_cc(c, kCC[3]);
  } else {
    set_cc(c, kCC[do_compare(c, st(c, 0), st(c, k), UNORDERED)]);
  }
  for (int n = 0; n < POPS; n++) fpop(c);
}

template <int KIND, bool POP>
void fcom_mem(Cpu& c, const Insn& i) {
  wait(c);
  const uint64_t a = ea(c, i);
  uint16_t exc = 0;
  const F80 b = load_operand<KIND>(c, a, exc);
  note(c, i, a);
  if (__builtin_expect(is_empty(c, 0), 0)) {
    stack_underflow(c);
    set_cc(c, kCC[3]);
  } else {
    const F80 a0 = st(c, 0);
    if (exc && sf::classify(a0) < sf::C_QNAN && sf::classify(b) < sf::C_QNAN) raise(c, exc);
    set_cc(c, kCC[do_compare(c, a0, b, false)]);
  }
  if (POP) fpop(c);
}

// fcomi family: ZF PF CF from the compare, OF SF AF cleared.
template <bool UNORDERED, bool POP>
void fcomi_reg(Cpu& c, const Insn& i) {
  enter(c, i);
  const int k = i.rm & 7;
  int r = 3;
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, k), 0)) stack_underflow(c);
  else { c.fpu.fsw &= ~FSW_C1; r = do_compare(c, st(c, 0), st(c, k), UNORDERED); }
  c.set_flags(FL_ARITH, kFL[r]);
  if (POP) fpop(c);
}

// fcmovcc: cc4 is the x86 condition code (b=2 e=4 be=6 p=10; +1 negates).
template <int CC4>
void fcmov(Cpu& c, const Insn& i) {
  enter(c, i);
  const int k = i.rm & 7;
  const bool take = c.cond(CC4);
  if (__builtin_expect(is_empty(c, 0) || is_empty(c, k), 0)) {
    stack_underflow(c);
    put(c, 0, sf::kIndefinite);  // whether or not the condition holds (measured)
    return;
  }
  if (take) st(c, 0) = st(c, k);  // C1 unchanged (measured)
}

}  // namespace

// ---- D8: st0 op m32fp / st0 op st(i) ----
void fadd_m32(Cpu& c, const Insn& i) { arith_mem<ADD, M32FP>(c, i); }
void fmul_m32(Cpu& c, const Insn& i) { arith_mem<MUL, M32FP>(c, i); }
void fsub_m32(Cpu& c, const Insn& i) { arith_mem<SUB, M32FP>(c, i); }
void fsubr_m32(Cpu& c, const Insn& i) { arith_mem<SUBR, M32FP>(c, i); }
void fdiv_m32(Cpu& c, const Insn& i) { arith_mem<DIV, M32FP>(c, i); }
void fdivr_m32(Cpu& c, const Insn& i) { arith_mem<DIVR, M32FP>(c, i); }
void fadd_ST0_STi(Cpu& c, const Insn& i) { arith_reg<ADD, false, false>(c, i); }
void fmul_ST0_STi(Cpu& c, const Insn& i) { arith_reg<MUL, false, false>(c, i); }
void fsub_ST0_STi(Cpu& c, const Insn& i) { arith_reg<SUB, false, false>(c, i); }
void fsubr_ST0_STi(Cpu& c, const Insn& i) { arith_reg<SUBR, false, false>(c, i); }
void fdiv_ST0_STi(Cpu& c, const Insn& i) { arith_reg<DIV, false, false>(c, i); }
void fdivr_ST0_STi(Cpu& c, const Insn& i) { arith_reg<DIVR, false, false>(c, i); }

// ---- DC: st0 op m64fp / st(i) op st0 ----
void fadd_m64(Cpu& c, const Insn& i) { arith_mem<ADD, M64FP>(c, i); }
void fmul_m64(Cpu& c, const Insn& i) { arith_mem<MUL, M64FP>(c, i); }
void fsub_m64(Cpu& c, const Insn& i) { arith_mem<SUB, M64FP>(c, i); }
void fsubr_m64(Cpu& c, const Insn& i) { arith_mem<SUBR, M64FP>(c, i); }
void fdiv_m64(Cpu& c, const Insn& i) { arith_mem<DIV, M64FP>(c, i); }
void fdivr_m64(Cpu& c, const Insn& i) { arith_mem<DIVR, M64FP>(c, i); }
void fadd_STi_ST0(Cpu& c, const Insn& i) { arith_reg<ADD, true, false>(c, i); }
void fmul_STi_ST0(Cpu& c, const Insn& i) { arith_reg<MUL, true, false>(c, i); }
void fsubr_STi_ST0(Cpu& c, const Insn& i) { arith_reg<SUBR, true, false>(c, i); }
void fsub_STi_ST0(Cpu& c, const Insn& i) { arith_reg<SUB, true, false>(c, i); }
void fdivr_STi_ST0(Cpu& c, const Insn& i) { arith_reg<DIVR, true, false>(c, i); }
void fdiv_STi_ST0(Cpu& c, const Insn& i) { arith_reg<DIV, true, false>(c, i); }

// ---- DE: st(i) op st0, pop ----
void faddp_STi_ST0(Cpu& c, const Insn& i) { arith_reg<ADD, true, true>(c, i); }
void fmulp_STi_ST0(Cpu& c, const Insn& i) { arith_reg<MUL, true, true>(c, i); }
void fsubrp_STi_ST0(Cpu& c, const Insn& i) { arith_reg<SUBR, true, true>(c, i); }
void fsubp_STi_ST0(Cpu& c, const Insn& i) { arith_reg<SUB, true, true>(c, i); }
void fdivrp_STi_ST0(Cpu& c, const Insn& i) { arith_reg<DIVR, true, true>(c, i); }
void fdivp_STi_ST0(Cpu& c, const Insn& i) { arith_reg<DIV, true, true>(c, i); }

// ---- DA / DE memory: st0 op m32int / m16int ----
void fiadd_m32(Cpu& c, const Insn& i) { arith_mem<ADD, M32INT>(c, i); }
void fimul_m32(Cpu& c, const Insn& i) { arith_mem<MUL, M32INT>(c, i); }
void fisub_m32(Cpu& c, const Insn& i) { arith_mem<SUB, M32INT>(c, i); }
void fisubr_m32(Cpu& c, const Insn& i) { arith_mem<SUBR, M32INT>(c, i); }
void fidiv_m32(Cpu& c, const Insn& i) { arith_mem<DIV, M32INT>(c, i); }
void fidivr_m32(Cpu& c, const Insn& i) { arith_mem<DIVR, M32INT>(c, i); }
void fiadd_m16(Cpu& c, const Insn& i) { arith_mem<ADD, M16INT>(c, i); }
void fimul_m16(Cpu& c, const Insn& i) { arith_mem<MUL, M16INT>(c, i); }
void fisub_m16(Cpu& c, const Insn& i) { arith_mem<SUB, M16INT>(c, i); }
void fisubr_m16(Cpu& c, const Insn& i) { arith_mem<SUBR, M16INT>(c, i); }
void fidiv_m16(Cpu& c, const Insn& i) { arith_mem<DIV, M16INT>(c, i); }
void fidivr_m16(Cpu& c, const Insn& i) { arith_mem<DIVR, M16INT>(c, i); }

// ---- compares ----
void fcom_m32(Cpu& c, const Insn& i) { fcom_mem<M32FP, false>(c, i); }
void fcomp_m32(Cpu& c, const Insn& i) { fcom_mem<M32FP, true>(c, i); }
void fcom_m64(Cpu& c, const Insn& i) { fcom_mem<M64FP, false>(c, i); }
void fcomp_m64(Cpu& c, const Insn& i) { fcom_mem<M64FP, true>(c, i); }
void ficom_m32(Cpu& c, const Insn& i) { fcom_mem<M32INT, false>(c, i); }
void ficomp_m32(Cpu& c, const Insn& i) { fcom_mem<M32INT, true>(c, i); }
void ficom_m16(Cpu& c, const Insn& i) { fcom_mem<M16INT, false>(c, i); }
void ficomp_m16(Cpu& c, const Insn& i) { fcom_mem<M16INT, true>(c, i); }
void fcom_STi(Cpu& c, const Insn& i) { fcom_reg<false, 0>(c, i, i.rm & 7); }
void fcomp_STi(Cpu& c, const Insn& i) { fcom_reg<false, 1>(c, i, i.rm & 7); }
void fucom_STi(Cpu& c, const Insn& i) { fcom_reg<true, 0>(c, i, i.rm & 7); }
void fucomp_STi(Cpu& c, const Insn& i) { fcom_reg<true, 1>(c, i, i.rm & 7); }
void fcompp(Cpu& c, const Insn& i) {
  if ((i.rm & 7) != 1) { op_ud(c, i); return; }  // only DE D9
  fcom_reg<false, 2>(c, i, 1);
}
void fucompp(Cpu& c, const Insn& i) {
  if ((i.rm & 7) != 1) { op_ud(c, i); return; }  // only DA E9
  fcom_reg<true, 2>(c, i, 1);
}
void fcomi_ST0_STi(Cpu& c, const Insn& i) { fcomi_reg<false, false>(c, i); }
void fucomi_ST0_STi(Cpu& c, const Insn& i) { fcomi_reg<true, false>(c, i); }
void fcomip_ST0_STi(Cpu& c, const Insn& i) { fcomi_reg<false, true>(c, i); }
void fucomip_ST0_STi(Cpu& c, const Insn& i) { fcomi_reg<true, true>(c, i); }

// ---- fcmovcc ----
void fcmovb_ST0_STi(Cpu& c, const Insn& i) { fcmov<2>(c, i); }
void fcmovnb_ST0_STi(Cpu& c, const Insn& i) { fcmov<3>(c, i); }
void fcmove_ST0_STi(Cpu& c, const Insn& i) { fcmov<4>(c, i); }
void fcmovne_ST0_STi(Cpu& c, const Insn& i) { fcmov<5>(c, i); }
void fcmovbe_ST0_STi(Cpu& c, const Insn& i) { fcmov<6>(c, i); }
void fcmovnbe_ST0_STi(Cpu& c, const Insn& i) { fcmov<7>(c, i); }
void fcmovu_ST0_STi(Cpu& c, const Insn& i) { fcmov<10>(c, i); }
void fcmovnu_ST0_STi(Cpu& c, const Insn& i) { fcmov<11>(c, i); }

// D9 E0 fchs, E1 fabs, E4 ftst, E5 fxam (E2 E3 E6 E7 reserved).
void x87_D9_E0(Cpu& c, const Insn& i) {
  const int r = i.rm & 7;
  if (r == 2 || r == 3 || r >= 6) { op_ud(c, i); return; }
  enter(c, i);
  if (r == 5) {  // fxam: C1 = sign; C3 C2 C0 = class
    const F80 v = st(c, 0);
    uint16_t cc = sf::sign_of(v) ? FSW_C1 : 0;
    if (is_empty(c, 0)) cc |= FSW_C3 | FSW_C0;
    else {
      switch (sf::classify(v)) {
        case sf::C_UNSUPPORTED: break;
        case sf::C_QNAN: case sf::C_SNAN: cc |= FSW_C0; break;
        case sf::C_INF: cc |= FSW_C2 | FSW_C0; break;
        case sf::C_ZERO: cc |= FSW_C3; break;
        case sf::C_DENORMAL: cc |= FSW_C3 | FSW_C2; break;
        default: cc |= FSW_C2; break;
      }
    }
    set_cc(c, cc);
    return;
  }
  if (__builtin_expect(is_empty(c, 0), 0)) {
    stack_underflow(c);
    if (r == 4) set_cc(c, kCC[3]);
    else put(c, 0, sf::kIndefinite);
    return;
  }
  if (r == 4) {  // ftst: compare with +0.0
    set_cc(c, kCC[do_compare(c, st(c, 0), sf::zero(false), false)]);
    return;
  }
  c.fpu.fsw &= ~FSW_C1;
  F80& d = st(c, 0);
  d.se = (uint16_t)(r == 0 ? d.se ^ 0x8000 : d.se & 0x7fff);  // sign bit only, NaNs too
}

}  // namespace gb

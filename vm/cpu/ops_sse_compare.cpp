// vm/cpu/ops_sse_compare.cpp — SSE/SSE2 floating-point comparisons: cmpps/cmppd/cmpss/
// cmpsd with the imm8 predicate, and comiss/comisd/ucomiss/ucomisd into rflags.
//
//   * Predicates 0..7: eq lt le unord neq nlt nle ord. Legacy SSE encodings use only
//     imm8[2:0] (the upper bits are ignored, as the host CPU does). The lane becomes all
//     ones when the predicate holds, else zero.
//   * IE: lt le nlt nle signal on any NaN operand; eq unord neq ord only on an SNaN.
//     comiss/comisd signal on any NaN; ucomiss/ucomisd only on an SNaN.
//   * comis/ucomis: unordered ZF=PF=CF=1; less CF=1; equal ZF=1; greater all clear;
//     OF SF AF are always cleared.
//   * Denormal operands set DE (or count as zeros under DAZ).
#include "vm/cpu/sse.h"

namespace gb {

namespace {

template <class T> using UT = typename Fp<T>::U;

template <class T>
inline void packed_cmp(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  Xmm r = xmm_V(c, i);
  uint32_t ex = 0;
  const uint32_t mx = c.mxcsr;
  const int pred = (int)(i.imm & 7);
  UT<T>* rl = lanes<UT<T>>(r);
  const UT<T>* sl = lanes<UT<T>>(s);
  for (int k = 0; k < (int)(16 / sizeof(T)); k++) rl[k] = fp_cmp<T>(pred, rl[k], sl[k], mx, ex) ? ~UT<T>(0) : 0;
  mx_commit(c, ex);
  xmm_V(c, i) = r;
}

template <class T>
inline UT<T> rd_Ws(Cpu& c, const Insn& i) {
  if constexpr (sizeof(T) == 4) return rd_Wd(c, i);
  else return rd_Wq(c, i);
}

template <class T>
inline void scalar_cmp(Cpu& c, const Insn& i) {
  const UT<T> b = rd_Ws<T>(c, i);
  UT<T>& d = lanes<UT<T>>(xmm_V(c, i))[0];
  uint32_t ex = 0;
  const UT<T> r = fp_cmp<T>((int)(i.imm & 7), d, b, c.mxcsr, ex) ? ~UT<T>(0) : 0;
  mx_commit(c, ex);
  d = r;
}

template <class T>
inline void comi(Cpu& c, const Insn& i, bool signal_qnan) {
  const UT<T> b = rd_Ws<T>(c, i);
  const UT<T> a = lanes<UT<T>>(xmm_V(c, i))[0];
  uint32_t ex = 0;
  const uint64_t f = fp_comi<T>(signal_qnan, a, b, c.mxcsr, ex);
  mx_commit(c, ex);
  c.set_flags(FL_ARITH, f);
}

}  // namespace

void cmpps_Vps_Wps_Ib(Cpu& c, const Insn& i) { packed_cmp<float>(c, i); }
void cmppd_Vpd_Wpd_Ib(Cpu& c, const Insn& i) { packed_cmp<double>(c, i); }
void cmpss_Vss_Wss_Ib(Cpu& c, const Insn& i) { scalar_cmp<float>(c, i); }
void cmpsd_Vsd_Wsd_Ib(Cpu& c, const Insn& i) { scalar_cmp<double>(c, i); }

void comiss_Vss_Wss(Cpu& c, const Insn& i) { comi<float>(c, i, true); }
void comisd_Vsd_Wsd(Cpu& c, const Insn& i) { comi<double>(c, i, true); }
void ucomiss_Vss_Wss(Cpu& c, const Insn& i) { comi<float>(c, i, false); }
void ucomisd_Vsd_Wsd(Cpu& c, const Insn& i) { comi<double>(c, i, false); }

}  // namespace gb

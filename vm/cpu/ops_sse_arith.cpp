// vm/cpu/ops_sse_arith.cpp — SSE/SSE2 floating-point arithmetic: add sub mul div min max
// sqrt (ss sd ps pd), rcp/rsqrt (ss ps), and the bitwise and/andn/or/xor (ps pd).
//
// x86 rules these handlers follow (Intel SDM vol. 1 §4.8.3, §11.5; checked against the
// host CPU by tests/unit/test_sse.cpp):
//   * Invalid operations (0/0, inf/inf, inf-inf, 0*inf, sqrt of a negative non-zero,
//     including -inf) return the default NaN, "real indefinite": the NEGATIVE quiet NaN
//     0xFFC00000 (float) / 0xFFF8000000000000 (double), and set IE.
//   * NaN operands of add/sub/mul/div: if the first source (the destination register) is
//     a NaN it is returned, else the second source's NaN; an SNaN is quietened (bit 22 /
//     bit 51 set) and sets IE. So with two NaNs the first source wins, whatever their
//     kinds; payload and sign are kept.
//   * sqrt of a NaN returns it quietened.
//   * min/max compute (a < b) ? a : b and (a > b) ? a : b: the SECOND operand is returned
//     unchanged (not quietened, even an SNaN) when either operand is a NaN, and when both
//     are zeros of any sign. Any NaN operand sets IE (QNaN too).
//   * Denormal operands set DE, or count as zeros of their sign when MXCSR.DAZ is set.
//     Results are correctly rounded per MXCSR.RC; tiny results (tininess detected after
//     rounding) set UE when inexact, or become zeros of their sign (with UE and PE) when
//     MXCSR.FTZ is set; overflow sets OE and PE and gives inf or the largest finite value
//     as the rounding mode says; PE marks every inexact result.
//   * Scalar forms (ss/sd) change only the low lane; the other lanes of the destination
//     are kept. Packed forms with a memory operand need 16-byte alignment (#GP -> SIGSEGV).
//   * rcp/rsqrt: see fp_rcp/fp_rsqrt in sse_helpers.cpp (exact values instead of the
//     hardware's 12-bit approximations; no flags).
//   * Unmasked exceptions raise SIGFPE (FpFault) with the flag set and the destination
//     unchanged; flags of all lanes are gathered first (hardware would report only the
//     pre-computation exceptions of a packed operation in that case).
#include "vm/cpu/sse.h"

namespace gb {

namespace {

template <class T> using UT = typename Fp<T>::U;

template <class T>
GB_INLINE UT<T> rd_Ws(Cpu& c, const Insn& i) {
  if constexpr (sizeof(T) == 4) return rd_Wd(c, i);
  else return rd_Wq(c, i);
}

template <class T, int OP>
inline void packed_bin(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  Xmm r = xmm_V(c, i);
  uint32_t ex = 0;
  const uint32_t mx = c.mxcsr;
  UT<T>* rl = lanes<UT<T>>(r);
  const UT<T>* sl = lanes<UT<T>>(s);
  for (int k = 0; k < (int)(16 / sizeof(T)); k++) rl[k] = fp_bin<T>(OP, rl[k], sl[k], mx, ex);
  mx_commit(c, ex);
  xmm_V(c, i) = r;
}

template <class T, int OP>
inline void scalar_bin(Cpu& c, const Insn& i) {
  const UT<T> b = rd_Ws<T>(c, i);
  UT<T>& d = lanes<UT<T>>(xmm_V(c, i))[0];
  uint32_t ex = 0;
  const UT<T> r = fp_bin<T>(OP, d, b, c.mxcsr, ex);
  mx_commit(c, ex);
  d = r;
}

template <class T, bool MAX>
inline void packed_minmax(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  Xmm r = xmm_V(c, i);
  uint32_t ex = 0;
  const uint32_t mx = c.mxcsr;
  UT<T>* rl = lanes<UT<T>>(r);
  const UT<T>* sl = lanes<UT<T>>(s);
  for (int k = 0; k < (int)(16 / sizeof(T)); k++) rl[k] = fp_minmax<T>(MAX, rl[k], sl[k], mx, ex);
  mx_commit(c, ex);
  xmm_V(c, i) = r;
}

template <class T, bool MAX>
inline void scalar_minmax(Cpu& c, const Insn& i) {
  const UT<T> b = rd_Ws<T>(c, i);
  UT<T>& d = lanes<UT<T>>(xmm_V(c, i))[0];
  uint32_t ex = 0;
  const UT<T> r = fp_minmax<T>(MAX, d, b, c.mxcsr, ex);
  mx_commit(c, ex);
  d = r;
}

template <class T>
inline void packed_sqrt(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  uint32_t ex = 0;
  const uint32_t mx = c.mxcsr;
  UT<T>* sl = lanes<UT<T>>(s);
  for (int k = 0; k < (int)(16 / sizeof(T)); k++) sl[k] = fp_sqrt<T>(sl[k], mx, ex);
  mx_commit(c, ex);
  xmm_V(c, i) = s;
}

template <class T>
inline void scalar_sqrt(Cpu& c, const Insn& i) {
  const UT<T> b = rd_Ws<T>(c, i);
  uint32_t ex = 0;
  const UT<T> r = fp_sqrt<T>(b, c.mxcsr, ex);
  mx_commit(c, ex);
  lanes<UT<T>>(xmm_V(c, i))[0] = r;
}

enum LogicOp { L_AND, L_ANDN, L_OR, L_XOR };
template <int L>
inline void logic128(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  for (int k = 0; k < 2; k++) {
    switch (L) {
      case L_AND: d.q[k] &= s.q[k]; break;
      case L_ANDN: d.q[k] = ~d.q[k] & s.q[k]; break;
      case L_OR: d.q[k] |= s.q[k]; break;
      default: d.q[k] ^= s.q[k]; break;
    }
  }
}

}  // namespace

// ---- add sub mul div ----
void addps_Vps_Wps(Cpu& c, const Insn& i) { packed_bin<float, FOP_ADD>(c, i); }
void addpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_bin<double, FOP_ADD>(c, i); }
void addss_Vss_Wss(Cpu& c, const Insn& i) { scalar_bin<float, FOP_ADD>(c, i); }
void addsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_bin<double, FOP_ADD>(c, i); }
void subps_Vps_Wps(Cpu& c, const Insn& i) { packed_bin<float, FOP_SUB>(c, i); }
void subpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_bin<double, FOP_SUB>(c, i); }
void subss_Vss_Wss(Cpu& c, const Insn& i) { scalar_bin<float, FOP_SUB>(c, i); }
void subsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_bin<double, FOP_SUB>(c, i); }
void mulps_Vps_Wps(Cpu& c, const Insn& i) { packed_bin<float, FOP_MUL>(c, i); }
void mulpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_bin<double, FOP_MUL>(c, i); }
void mulss_Vss_Wss(Cpu& c, const Insn& i) { scalar_bin<float, FOP_MUL>(c, i); }
void mulsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_bin<double, FOP_MUL>(c, i); }
void divps_Vps_Wps(Cpu& c, const Insn& i) { packed_bin<float, FOP_DIV>(c, i); }
void divpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_bin<double, FOP_DIV>(c, i); }
void divss_Vss_Wss(Cpu& c, const Insn& i) { scalar_bin<float, FOP_DIV>(c, i); }
void divsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_bin<double, FOP_DIV>(c, i); }

// ---- min max ----
void minps_Vps_Wps(Cpu& c, const Insn& i) { packed_minmax<float, false>(c, i); }
void minpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_minmax<double, false>(c, i); }
void minss_Vss_Wss(Cpu& c, const Insn& i) { scalar_minmax<float, false>(c, i); }
void minsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_minmax<double, false>(c, i); }
void maxps_Vps_Wps(Cpu& c, const Insn& i) { packed_minmax<float, true>(c, i); }
void maxpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_minmax<double, true>(c, i); }
void maxss_Vss_Wss(Cpu& c, const Insn& i) { scalar_minmax<float, true>(c, i); }
void maxsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_minmax<double, true>(c, i); }

// ---- sqrt, reciprocal approximations ----
void sqrtps_Vps_Wps(Cpu& c, const Insn& i) { packed_sqrt<float>(c, i); }
void sqrtpd_Vpd_Wpd(Cpu& c, const Insn& i) { packed_sqrt<double>(c, i); }
void sqrtss_Vss_Wss(Cpu& c, const Insn& i) { scalar_sqrt<float>(c, i); }
void sqrtsd_Vsd_Wsd(Cpu& c, const Insn& i) { scalar_sqrt<double>(c, i); }

void rcpps_Vps_Wps(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  for (int k = 0; k < 4; k++) s.d[k] = fp_rcp(s.d[k]);
  xmm_V(c, i) = s;
}
void rcpss_Vss_Wss(Cpu& c, const Insn& i) { xmm_V(c, i).d[0] = fp_rcp(rd_Wd(c, i)); }
void rsqrtps_Vps_Wps(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  for (int k = 0; k < 4; k++) s.d[k] = fp_rsqrt(s.d[k]);
  xmm_V(c, i) = s;
}
void rsqrtss_Vss_Wss(Cpu& c, const Insn& i) { xmm_V(c, i).d[0] = fp_rsqrt(rd_Wd(c, i)); }

// ---- bitwise (no flags, no alignment exemption) ----
void andps_Vps_Wps(Cpu& c, const Insn& i) { logic128<L_AND>(c, i); }
void andpd_Vpd_Wpd(Cpu& c, const Insn& i) { logic128<L_AND>(c, i); }
void andnps_Vps_Wps(Cpu& c, const Insn& i) { logic128<L_ANDN>(c, i); }
void andnpd_Vpd_Wpd(Cpu& c, const Insn& i) { logic128<L_ANDN>(c, i); }
void orps_Vps_Wps(Cpu& c, const Insn& i) { logic128<L_OR>(c, i); }
void orpd_Vpd_Wpd(Cpu& c, const Insn& i) { logic128<L_OR>(c, i); }
void xorps_Vps_Wps(Cpu& c, const Insn& i) { logic128<L_XOR>(c, i); }
void xorpd_Vpd_Wpd(Cpu& c, const Insn& i) { logic128<L_XOR>(c, i); }

}  // namespace gb

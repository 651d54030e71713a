// vm/cpu/ops_sse_convert.cpp — SSE/SSE2 conversions between integers, floats and doubles.
//
//   cvtsi2ss/cvtsi2sd   Ey (r/m32, or r/m64 with REX.W) -> low lane; rounded per MXCSR.RC
//   cvt(t)ss2si/sd2si   low lane -> Gy (32 or 64 bits with REX.W)
//   cvtss2sd/cvtsd2ss   scalar float <-> double (other lanes kept)
//   cvtps2pd/cvtpd2ps   packed (cvtps2pd reads 64 bits; cvtpd2ps zeroes the upper half)
//   cvtdq2ps/cvtps2dq/cvttps2dq, cvtdq2pd/cvtpd2dq/cvttpd2dq
//
//   * Float -> integer: cvt* rounds per MXCSR.RC, cvtt* truncates. NaN, infinities and
//     out-of-range values give the "integer indefinite" 0x80000000 / 0x8000000000000000
//     and set IE; inexact results set PE. DAZ applies to the source; DE is never set
//     (the SDM lists only IE and PE for these).
//   * Double -> float rounds per RC with overflow/underflow/FTZ as arithmetic does; a NaN
//     is quietened keeping its sign and the top of its payload. Float -> double is exact.
//   * Integer -> float rounds per RC (PE when inexact); int32 -> double is exact.
//   * The MMX forms (cvtpi2ps, cvtps2pi, ... with an mm operand) are not implemented:
//     glibc and gcc's x86-64 output do not use them.
#include "vm/cpu/sse.h"

namespace gb {

namespace {
inline int ysize(const Insn& i) { return i.osz == 8 ? 8 : 4; }
inline int64_t rd_Ey_signed(Cpu& c, const Insn& i) {
  const int sz = ysize(i);
  return sext(rd_E(c, i, sz), sz);
}
inline uint64_t rd_Wq_or_low(Cpu& c, const Insn& i) {
  return i.mod == 3 ? c.xmm[i.rm].q[0] : c.mem->read<uint64_t>(ea(c, i));
}
}  // namespace

void cvtsi2ss_Vss_Ey(Cpu& c, const Insn& i) {
  const int64_t v = rd_Ey_signed(c, i);
  uint32_t ex = 0;
  const uint32_t r = fp_from_int<float>(v, c.mxcsr, ex);
  mx_commit(c, ex);
  xmm_V(c, i).d[0] = r;
}
void cvtsi2sd_Vsd_Ey(Cpu& c, const Insn& i) {
  const int64_t v = rd_Ey_signed(c, i);
  uint32_t ex = 0;
  const uint64_t r = fp_from_int<double>(v, c.mxcsr, ex);
  mx_commit(c, ex);
  xmm_V(c, i).q[0] = r;
}

template <class T>
static void to_gpr(Cpu& c, const Insn& i, bool trunc) {
  typename Fp<T>::U a;
  if constexpr (sizeof(T) == 4) a = rd_Wd(c, i);
  else a = rd_Wq(c, i);
  const int sz = ysize(i);
  uint32_t ex = 0;
  const uint64_t v = fp_to_int<T>(a, sz * 8, trunc, c.mxcsr, ex);
  mx_commit(c, ex);
  wr_G(c, i, sz, v);
}
void cvtss2si_Gy_Wss(Cpu& c, const Insn& i) { to_gpr<float>(c, i, false); }
void cvttss2si_Gy_Wss(Cpu& c, const Insn& i) { to_gpr<float>(c, i, true); }
void cvtsd2si_Gy_Wsd(Cpu& c, const Insn& i) { to_gpr<double>(c, i, false); }
void cvttsd2si_Gy_Wsd(Cpu& c, const Insn& i) { to_gpr<double>(c, i, true); }

void cvtss2sd_Vsd_Wss(Cpu& c, const Insn& i) {
  const uint32_t a = rd_Wd(c, i);
  uint32_t ex = 0;
  const uint64_t r = fp_cvt_f2d(a, c.mxcsr, ex);
  mx_commit(c, ex);
  xmm_V(c, i).q[0] = r;
}
void cvtsd2ss_Vss_Wsd(Cpu& c, const Insn& i) {
  const uint64_t a = rd_Wq(c, i);
  uint32_t ex = 0;
  const uint32_t r = fp_cvt_d2f(a, c.mxcsr, ex);
  mx_commit(c, ex);
  xmm_V(c, i).d[0] = r;
}

void cvtps2pd_Vpd_Wps(Cpu& c, const Insn& i) {
  const uint64_t s = rd_Wq_or_low(c, i);  // two floats; m64 needs no alignment
  uint32_t ex = 0;
  const uint64_t lo = fp_cvt_f2d((uint32_t)s, c.mxcsr, ex);
  const uint64_t hi = fp_cvt_f2d((uint32_t)(s >> 32), c.mxcsr, ex);
  mx_commit(c, ex);
  Xmm& d = xmm_V(c, i);
  d.q[0] = lo;
  d.q[1] = hi;
}
void cvtpd2ps_Vps_Wpd(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  uint32_t ex = 0;
  const uint32_t lo = fp_cvt_d2f(s.q[0], c.mxcsr, ex);
  const uint32_t hi = fp_cvt_d2f(s.q[1], c.mxcsr, ex);
  mx_commit(c, ex);
  Xmm& d = xmm_V(c, i);
  d.d[0] = lo;
  d.d[1] = hi;
  d.q[1] = 0;
}

void cvtdq2ps_Vps_Wdq(Cpu& c, const Insn& i) {
  Xmm s = rd_W128(c, i, true);
  uint32_t ex = 0;
  for (int k = 0; k < 4; k++) s.d[k] = fp_from_int<float>(s.sd[k], c.mxcsr, ex);
  mx_commit(c, ex);
  xmm_V(c, i) = s;
}
static void ps2dq(Cpu& c, const Insn& i, bool trunc) {
  Xmm s = rd_W128(c, i, true);
  uint32_t ex = 0;
  for (int k = 0; k < 4; k++) s.d[k] = (uint32_t)fp_to_int<float>(s.d[k], 32, trunc, c.mxcsr, ex);
  mx_commit(c, ex);
  xmm_V(c, i) = s;
}
void cvtps2dq_Vdq_Wps(Cpu& c, const Insn& i) { ps2dq(c, i, false); }
void cvttps2dq_Vdq_Wps(Cpu& c, const Insn& i) { ps2dq(c, i, true); }

void cvtdq2pd_Vpd_Wq(Cpu& c, const Insn& i) {
  const uint64_t s = rd_Wq_or_low(c, i);
  Xmm& d = xmm_V(c, i);
  d.g[0] = (double)(int32_t)(uint32_t)s;  // exact
  d.g[1] = (double)(int32_t)(uint32_t)(s >> 32);
}
static void pd2dq(Cpu& c, const Insn& i, bool trunc) {
  const Xmm s = rd_W128(c, i, true);
  uint32_t ex = 0;
  const uint32_t lo = (uint32_t)fp_to_int<double>(s.q[0], 32, trunc, c.mxcsr, ex);
  const uint32_t hi = (uint32_t)fp_to_int<double>(s.q[1], 32, trunc, c.mxcsr, ex);
  mx_commit(c, ex);
  Xmm& d = xmm_V(c, i);
  d.d[0] = lo;
  d.d[1] = hi;
  d.q[1] = 0;
}
void cvtpd2dq_Vdq_Wpd(Cpu& c, const Insn& i) { pd2dq(c, i, false); }
void cvttpd2dq_Vdq_Wpd(Cpu& c, const Insn& i) { pd2dq(c, i, true); }

}  // namespace gb

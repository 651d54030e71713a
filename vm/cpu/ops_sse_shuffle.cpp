// vm/cpu/ops_sse_shuffle.cpp — SSE/SSE2 lane rearrangement: unpck{l,h}{ps,pd},
// shufps/shufpd, pshufd/pshuflw/pshufhw, punpck{l,h}{bw,wd,dq,qdq}, the saturating packs
// packsswb/packssdw/packuswb, and pinsrw/pextrw.
//
//   * Every form reads the whole source first: the destination may be the source.
//   * 128-bit memory sources must be 16-byte aligned even when only the low half is
//     used (punpckl*, unpckl*), as for all legacy SSE m128 operands.
//   * shufps: the two low lanes come from the destination, the two high from the source.
#include "vm/cpu/sse.h"

namespace gb {

namespace {

// Interleave the low (hi=false) or high half lanes of d and s: d0 s0 d1 s1 ...
template <class L>
inline void unpack(Cpu& c, const Insn& i, bool hi) {
  Xmm s = rd_W128(c, i, true);
  Xmm d = xmm_V(c, i);
  Xmm r;
  constexpr int N = 16 / sizeof(L);
  const L* dl = lanes<L>(d);
  const L* sl = lanes<L>(s);
  L* rl = lanes<L>(r);
  const int base = hi ? N / 2 : 0;
  for (int k = 0; k < N / 2; k++) {
    rl[2 * k] = dl[base + k];
    rl[2 * k + 1] = sl[base + k];
  }
  xmm_V(c, i) = r;
}

inline int8_t sat_s8(int v) { return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); }
inline uint8_t sat_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
inline int16_t sat_s16(int v) { return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v); }

}  // namespace

void unpcklps_Vps_Wps(Cpu& c, const Insn& i) { unpack<uint32_t>(c, i, false); }
void unpckhps_Vps_Wps(Cpu& c, const Insn& i) { unpack<uint32_t>(c, i, true); }
void unpcklpd_Vpd_Wpd(Cpu& c, const Insn& i) { unpack<uint64_t>(c, i, false); }
void unpckhpd_Vpd_Wpd(Cpu& c, const Insn& i) { unpack<uint64_t>(c, i, true); }
void punpcklbw_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint8_t>(c, i, false); }
void punpcklwd_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint16_t>(c, i, false); }
void punpckldq_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint32_t>(c, i, false); }
void punpcklqdq_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint64_t>(c, i, false); }
void punpckhbw_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint8_t>(c, i, true); }
void punpckhwd_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint16_t>(c, i, true); }
void punpckhdq_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint32_t>(c, i, true); }
void punpckhqdq_Vdq_Wdq(Cpu& c, const Insn& i) { unpack<uint64_t>(c, i, true); }

void shufps_Vps_Wps_Ib(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  const unsigned m = (uint8_t)i.imm;
  Xmm r;
  r.d[0] = d.d[m & 3];
  r.d[1] = d.d[(m >> 2) & 3];
  r.d[2] = s.d[(m >> 4) & 3];
  r.d[3] = s.d[(m >> 6) & 3];
  d = r;
}
void shufpd_Vpd_Wpd_Ib(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  const unsigned m = (uint8_t)i.imm;
  const uint64_t lo = d.q[m & 1], hi = s.q[(m >> 1) & 1];
  d.q[0] = lo;
  d.q[1] = hi;
}

void pshufd_Vdq_Wdq_Ib(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  const unsigned m = (uint8_t)i.imm;
  Xmm r;
  for (int k = 0; k < 4; k++) r.d[k] = s.d[(m >> (2 * k)) & 3];
  xmm_V(c, i) = r;
}
void pshuflw_Vdq_Wdq_Ib(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  const unsigned m = (uint8_t)i.imm;
  Xmm r = s;
  for (int k = 0; k < 4; k++) r.w[k] = s.w[(m >> (2 * k)) & 3];
  xmm_V(c, i) = r;
}
void pshufhw_Vdq_Wdq_Ib(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  const unsigned m = (uint8_t)i.imm;
  Xmm r = s;
  for (int k = 0; k < 4; k++) r.w[4 + k] = s.w[4 + ((m >> (2 * k)) & 3)];
  xmm_V(c, i) = r;
}

// ---- packs: destination lanes narrowed into the low half, source lanes into the high ----
void packsswb_Vdq_Wdq(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  Xmm r;
  for (int k = 0; k < 8; k++) {
    r.sb[k] = sat_s8(d.sw[k]);
    r.sb[8 + k] = sat_s8(s.sw[k]);
  }
  d = r;
}
void packuswb_Vdq_Wdq(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  Xmm r;
  for (int k = 0; k < 8; k++) {
    r.b[k] = sat_u8(d.sw[k]);
    r.b[8 + k] = sat_u8(s.sw[k]);
  }
  d = r;
}
void packssdw_Vdq_Wdq(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  Xmm r;
  for (int k = 0; k < 4; k++) {
    r.sw[k] = sat_s16(d.sd[k]);
    r.sw[4 + k] = sat_s16(s.sd[k]);
  }
  d = r;
}

// ---- word insert / extract ----
// 66 0F C4: pinsrw xmm, r32/m16, imm8 (the low 16 bits of the register).
void pinsrw_Vdq_Ew_Ib(Cpu& c, const Insn& i) {
  const uint16_t v = (uint16_t)rd_E(c, i, 2);
  xmm_V(c, i).w[i.imm & 7] = v;
}
// 66 0F C5: pextrw r32, xmm, imm8 (zero-extended into the full register).
void pextrw_Gd_Udq_Ib(Cpu& c, const Insn& i) { c.r[i.reg] = xmm_U(c, i).w[i.imm & 7]; }

}  // namespace gb

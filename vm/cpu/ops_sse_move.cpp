// vm/cpu/ops_sse_move.cpp — SSE/SSE2 data movement: full-register moves (aligned and
// unaligned), scalar moves, half moves, movd/movq between xmm and general registers or
// memory, non-temporal stores, and the sign-mask extractions movmskps/movmskpd.
//
//   * movaps/movapd/movdqa/movntps/movntpd/movntdq need a 16-byte aligned memory operand
//     (#GP -> SIGSEGV); movups/movupd/movdqu do not. Non-temporal hints are ignored.
//   * movss/movsd: register to register merges the low lane only; a load from memory
//     zeroes the rest of the register; a store writes only the low lane.
//   * movlps/movlpd/movhps/movhpd load or store one 64-bit half and keep the other;
//     movhlps/movlhps are the register forms of 0F 12 / 0F 16 without a 66 prefix.
//   * movd/movq (66 0F 6E/7E, REX.W for 64 bits), movq F3 0F 7E and 66 0F D6: a load
//     into an xmm register zeroes bits above the moved value.
#include "vm/cpu/sse.h"

namespace gb {

// ---- full 128-bit moves ----
void movups_Vps_Wps(Cpu& c, const Insn& i) { xmm_V(c, i) = rd_W128(c, i, false); }
void movups_Wps_Vps(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), false); }
void movupd_Vpd_Wpd(Cpu& c, const Insn& i) { xmm_V(c, i) = rd_W128(c, i, false); }
void movupd_Wpd_Vpd(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), false); }
void movaps_Vps_Wps(Cpu& c, const Insn& i) { xmm_V(c, i) = rd_W128(c, i, true); }
void movaps_Wps_Vps(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), true); }
void movapd_Vpd_Wpd(Cpu& c, const Insn& i) { xmm_V(c, i) = rd_W128(c, i, true); }
void movapd_Wpd_Vpd(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), true); }
void movdqa_Vdq_Wdq(Cpu& c, const Insn& i) { xmm_V(c, i) = rd_W128(c, i, true); }
void movdqa_Wdq_Vdq(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), true); }
void movdqu_Vdq_Wdq(Cpu& c, const Insn& i) { xmm_V(c, i) = rd_W128(c, i, false); }
void movdqu_Wdq_Vdq(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), false); }
void movntps_Mps_Vps(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), true); }
void movntpd_Mpd_Vpd(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), true); }
void movntdq_Mdq_Vdq(Cpu& c, const Insn& i) { wr_W128(c, i, xmm_V(c, i), true); }

// ---- scalar moves ----
void movss_Vss_Wss(Cpu& c, const Insn& i) {
  if (i.mod == 3) {
    xmm_V(c, i).d[0] = xmm_U(c, i).d[0];
    return;
  }
  const uint32_t v = c.mem->read<uint32_t>(ea(c, i));
  Xmm& d = xmm_V(c, i);
  d.q[1] = 0;
  d.q[0] = v;
}
void movss_Wss_Vss(Cpu& c, const Insn& i) {
  if (i.mod == 3) xmm_U(c, i).d[0] = xmm_V(c, i).d[0];
  else c.mem->write<uint32_t>(ea(c, i), xmm_V(c, i).d[0]);
}
void movsd_Vsd_Wsd(Cpu& c, const Insn& i) {
  if (i.mod == 3) {
    xmm_V(c, i).q[0] = xmm_U(c, i).q[0];
    return;
  }
  const uint64_t v = c.mem->read<uint64_t>(ea(c, i));
  Xmm& d = xmm_V(c, i);
  d.q[0] = v;
  d.q[1] = 0;
}
void movsd_Wsd_Vsd(Cpu& c, const Insn& i) {
  if (i.mod == 3) xmm_U(c, i).q[0] = xmm_V(c, i).q[0];
  else c.mem->write<uint64_t>(ea(c, i), xmm_V(c, i).q[0]);
}

// ---- 64-bit halves ----
void movhlps_Vq_Uq(Cpu& c, const Insn& i) { xmm_V(c, i).q[0] = xmm_U(c, i).q[1]; }
void movlhps_Vq_Uq(Cpu& c, const Insn& i) { xmm_V(c, i).q[1] = xmm_U(c, i).q[0]; }
void movlps_Vq_Mq(Cpu& c, const Insn& i) { xmm_V(c, i).q[0] = c.mem->read<uint64_t>(ea(c, i)); }
void movlpd_Vq_Mq(Cpu& c, const Insn& i) { xmm_V(c, i).q[0] = c.mem->read<uint64_t>(ea(c, i)); }
void movhps_Vq_Mq(Cpu& c, const Insn& i) { xmm_V(c, i).q[1] = c.mem->read<uint64_t>(ea(c, i)); }
void movhpd_Vq_Mq(Cpu& c, const Insn& i) { xmm_V(c, i).q[1] = c.mem->read<uint64_t>(ea(c, i)); }
void movlps_Mq_Vq(Cpu& c, const Insn& i) { c.mem->write<uint64_t>(ea(c, i), xmm_V(c, i).q[0]); }
void movlpd_Mq_Vq(Cpu& c, const Insn& i) { c.mem->write<uint64_t>(ea(c, i), xmm_V(c, i).q[0]); }
void movhps_Mq_Vq(Cpu& c, const Insn& i) { c.mem->write<uint64_t>(ea(c, i), xmm_V(c, i).q[1]); }
void movhpd_Mq_Vq(Cpu& c, const Insn& i) { c.mem->write<uint64_t>(ea(c, i), xmm_V(c, i).q[1]); }

// ---- movd / movq ----
// 66 0F 6E: movd xmm, r/m32 / movq xmm, r/m64 (REX.W).
void movd_Vy_Ey(Cpu& c, const Insn& i) {
  const uint64_t v = rd_E(c, i, i.osz == 8 ? 8 : 4);
  Xmm& d = xmm_V(c, i);
  d.q[0] = v;
  d.q[1] = 0;
}
// 66 0F 7E: movd r/m32, xmm / movq r/m64, xmm (REX.W). A 32-bit register write zero-extends.
void movd_Ey_Vy(Cpu& c, const Insn& i) {
  const int sz = i.osz == 8 ? 8 : 4;
  wr_E(c, i, sz, xmm_V(c, i).q[0]);
}
// F3 0F 7E: movq xmm, xmm/m64.
void movq_Vq_Wq(Cpu& c, const Insn& i) {
  const uint64_t v = rd_Wq(c, i);
  Xmm& d = xmm_V(c, i);
  d.q[0] = v;
  d.q[1] = 0;
}
// 66 0F D6: movq xmm/m64, xmm (the register form zeroes the destination's upper half).
void movq_Wq_Vq(Cpu& c, const Insn& i) {
  const uint64_t v = xmm_V(c, i).q[0];
  if (i.mod == 3) {
    Xmm& d = xmm_U(c, i);
    d.q[0] = v;
    d.q[1] = 0;
  } else {
    c.mem->write<uint64_t>(ea(c, i), v);
  }
}

// NP 0F C3: movnti m32/m64, r (non-temporal integer store).
void movnti_My_Gy(Cpu& c, const Insn& i) {
  const int sz = i.osz == 8 ? 8 : 4;
  wr_mem(c, ea(c, i), sz, rd_G(c, i, sz));
}

// ---- sign masks ----
void movmskps_Gd_Ups(Cpu& c, const Insn& i) {
  const Xmm& s = xmm_U(c, i);
  uint32_t m = 0;
  for (int k = 0; k < 4; k++) m |= (s.d[k] >> 31) << k;
  c.r[i.reg] = m;
}
void movmskpd_Gd_Upd(Cpu& c, const Insn& i) {
  const Xmm& s = xmm_U(c, i);
  c.r[i.reg] = (uint32_t)((s.q[0] >> 63) | ((s.q[1] >> 63) << 1));
}

}  // namespace gb

// vm/cpu/ops_sse_int.cpp — SSE2 integer SIMD on xmm registers (66-prefixed forms):
// add/sub (wrapping, signed and unsigned saturating), multiplies (pmullw pmulhw pmulhuw
// pmuludq pmaddwd), averages, min/max, psadbw, logic, compares, shifts (by xmm/m128
// count and by imm8 through the 66 0F 71/72/73 groups, byte shifts pslldq/psrldq) and
// pmovmskb.
//
//   * A memory source is 128 bits and must be 16-byte aligned (#GP -> SIGSEGV).
//   * Shift counts come from the low 64 bits of the source (or imm8). A count of the lane
//     width or more zeroes logical shifts and fills arithmetic shifts with the sign bit.
//   * The MMX (no 66 prefix) forms are not implemented (not used by glibc/gcc x86-64).
#include <type_traits>

#include "vm/cpu/sse.h"

namespace gb {

namespace {

template <class L, class F>
inline void binop(Cpu& c, const Insn& i, F f) {
  Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  L* dl = lanes<L>(d);
  const L* sl = lanes<L>(s);
  for (int k = 0; k < (int)(16 / sizeof(L)); k++) dl[k] = (L)f(dl[k], sl[k]);
}

inline int8_t sat_s8(int v) { return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); }
inline uint8_t sat_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
inline int16_t sat_s16(int v) { return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v); }
inline uint16_t sat_u16(int v) { return (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v); }

enum ShiftKind { SH_L, SH_R, SH_A };
template <class L, int K>
inline void shift_lanes(Xmm& d, uint64_t count) {
  using S = std::make_signed_t<L>;
  constexpr uint64_t W = sizeof(L) * 8;
  L* dl = lanes<L>(d);
  for (int k = 0; k < (int)(16 / sizeof(L)); k++) {
    if (K == SH_A) dl[k] = (L)((S)dl[k] >> (count >= W ? W - 1 : count));
    else if (count >= W) dl[k] = 0;
    else if (K == SH_L) dl[k] = (L)(dl[k] << count);
    else dl[k] = (L)(dl[k] >> count);
  }
}
template <class L, int K>
inline void shift_by_xmm(Cpu& c, const Insn& i) {
  const uint64_t n = rd_W128(c, i, true).q[0];
  shift_lanes<L, K>(xmm_V(c, i), n);
}
template <class L, int K>
inline void shift_by_imm(Cpu& c, const Insn& i) {
  shift_lanes<L, K>(xmm_U(c, i), (uint8_t)i.imm);
}

}  // namespace

// ---- add / subtract ----
void paddb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return a + b; }); }
void paddw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return a + b; }); }
void paddd_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint32_t>(c, i, [](uint32_t a, uint32_t b) { return a + b; }); }
void paddq_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return a + b; }); }
void psubb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return a - b; }); }
void psubw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return a - b; }); }
void psubd_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint32_t>(c, i, [](uint32_t a, uint32_t b) { return a - b; }); }
void psubq_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return a - b; }); }
void paddsb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int8_t>(c, i, [](int8_t a, int8_t b) { return sat_s8(a + b); }); }
void paddsw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int16_t>(c, i, [](int16_t a, int16_t b) { return sat_s16(a + b); }); }
void paddusb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return sat_u8(a + b); }); }
void paddusw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return sat_u16(a + b); }); }
void psubsb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int8_t>(c, i, [](int8_t a, int8_t b) { return sat_s8(a - b); }); }
void psubsw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int16_t>(c, i, [](int16_t a, int16_t b) { return sat_s16(a - b); }); }
void psubusb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return sat_u8(a - b); }); }
void psubusw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return sat_u16(a - b); }); }

// ---- multiply ----
void pmullw_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return (uint16_t)((uint32_t)a * b); });
}
void pmulhw_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<int16_t>(c, i, [](int16_t a, int16_t b) { return (int16_t)(((int32_t)a * b) >> 16); });
}
void pmulhuw_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return (uint16_t)(((uint32_t)a * b) >> 16); });
}
void pmuludq_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return (a & 0xffffffffu) * (b & 0xffffffffu); });
}
void pmaddwd_Vdq_Wdq(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  for (int k = 0; k < 4; k++) {
    const int64_t v = (int64_t)((int32_t)d.sw[2 * k] * s.sw[2 * k]) + (int32_t)d.sw[2 * k + 1] * s.sw[2 * k + 1];
    d.d[k] = (uint32_t)v;  // -32768*-32768*2 wraps to 0x80000000
  }
}

// ---- average, min/max, sum of absolute differences ----
void pavgb_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return (uint8_t)(((unsigned)a + b + 1) >> 1); });
}
void pavgw_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return (uint16_t)(((unsigned)a + b + 1) >> 1); });
}
void pminub_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return a < b ? a : b; }); }
void pmaxub_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return a > b ? a : b; }); }
void pminsw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int16_t>(c, i, [](int16_t a, int16_t b) { return a < b ? a : b; }); }
void pmaxsw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int16_t>(c, i, [](int16_t a, int16_t b) { return a > b ? a : b; }); }
void psadbw_Vdq_Wdq(Cpu& c, const Insn& i) {
  const Xmm s = rd_W128(c, i, true);
  Xmm& d = xmm_V(c, i);
  for (int h = 0; h < 2; h++) {
    uint64_t sum = 0;
    for (int k = 0; k < 8; k++) {
      const int a = d.b[h * 8 + k], b = s.b[h * 8 + k];
      sum += (uint64_t)(a > b ? a - b : b - a);
    }
    d.q[h] = sum;
  }
}

// ---- logic ----
void pand_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return a & b; }); }
void pandn_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return ~a & b; }); }
void por_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return a | b; }); }
void pxor_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint64_t>(c, i, [](uint64_t a, uint64_t b) { return a ^ b; }); }

// ---- compares (all ones / zero per lane) ----
void pcmpeqb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint8_t>(c, i, [](uint8_t a, uint8_t b) { return a == b ? 0xff : 0; }); }
void pcmpeqw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<uint16_t>(c, i, [](uint16_t a, uint16_t b) { return a == b ? 0xffff : 0; }); }
void pcmpeqd_Vdq_Wdq(Cpu& c, const Insn& i) {
  binop<uint32_t>(c, i, [](uint32_t a, uint32_t b) { return a == b ? 0xffffffffu : 0u; });
}
void pcmpgtb_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int8_t>(c, i, [](int8_t a, int8_t b) { return a > b ? -1 : 0; }); }
void pcmpgtw_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int16_t>(c, i, [](int16_t a, int16_t b) { return a > b ? -1 : 0; }); }
void pcmpgtd_Vdq_Wdq(Cpu& c, const Insn& i) { binop<int32_t>(c, i, [](int32_t a, int32_t b) { return a > b ? -1 : 0; }); }

// ---- shifts by the low quadword of xmm/m128 ----
void psllw_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint16_t, SH_L>(c, i); }
void pslld_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint32_t, SH_L>(c, i); }
void psllq_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint64_t, SH_L>(c, i); }
void psrlw_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint16_t, SH_R>(c, i); }
void psrld_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint32_t, SH_R>(c, i); }
void psrlq_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint64_t, SH_R>(c, i); }
void psraw_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint16_t, SH_A>(c, i); }
void psrad_Vdq_Wdq(Cpu& c, const Insn& i) { shift_by_xmm<uint32_t, SH_A>(c, i); }

// ---- shifts by imm8 (groups 12, 13, 14: register operand only) ----
void psllw_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint16_t, SH_L>(c, i); }
void pslld_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint32_t, SH_L>(c, i); }
void psllq_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint64_t, SH_L>(c, i); }
void psrlw_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint16_t, SH_R>(c, i); }
void psrld_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint32_t, SH_R>(c, i); }
void psrlq_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint64_t, SH_R>(c, i); }
void psraw_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint16_t, SH_A>(c, i); }
void psrad_Udq_Ib(Cpu& c, const Insn& i) { shift_by_imm<uint32_t, SH_A>(c, i); }

// Whole-register byte shifts: counts above 15 clear the register.
void pslldq_Udq_Ib(Cpu& c, const Insn& i) {
  const unsigned n = (uint8_t)i.imm;
  Xmm& d = xmm_U(c, i);
  Xmm r{};
  for (unsigned k = n; k < 16; k++) r.b[k] = d.b[k - n];
  d = r;
}
void psrldq_Udq_Ib(Cpu& c, const Insn& i) {
  const unsigned n = (uint8_t)i.imm;
  Xmm& d = xmm_U(c, i);
  Xmm r{};
  for (unsigned k = 0; k + n < 16; k++) r.b[k] = d.b[k + n];
  d = r;
}

// ---- byte sign mask ----
void pmovmskb_Gd_Udq(Cpu& c, const Insn& i) {
  const Xmm& s = xmm_U(c, i);
  uint32_t m = 0;
  for (int k = 0; k < 16; k++) m |= (uint32_t)(s.b[k] >> 7) << k;
  c.r[i.reg] = m;
}

}  // namespace gb

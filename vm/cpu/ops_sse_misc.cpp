// vm/cpu/ops_sse_misc.cpp — MXCSR access (ldmxcsr/stmxcsr) and maskmovdqu.
//
//   * ldmxcsr with a bit set outside MXCSR_MASK (0xffff: DAZ is supported) is #GP
//     (SIGSEGV), as on hardware. Loading flags that are unmasked does not trap by itself.
//   * maskmovdqu stores the bytes of the first operand whose mask byte (second operand)
//     has its top bit set, to [rdi] ([edi] with a 67 prefix; segment overrides apply).
//     The whole span of selected bytes is checked for writability first, so a fault
//     stores nothing.
#include "vm/cpu/sse.h"

namespace gb {

void ldmxcsr_Md(Cpu& c, const Insn& i) {
  const uint32_t v = c.mem->read<uint32_t>(ea(c, i));
  if (v & ~MXCSR_MASK) throw GpFault{};
  c.mxcsr = v;
}

void stmxcsr_Md(Cpu& c, const Insn& i) { c.mem->write<uint32_t>(ea(c, i), c.mxcsr); }

void maskmovdqu_Vdq_Udq(Cpu& c, const Insn& i) {
  const Xmm v = xmm_V(c, i), m = xmm_U(c, i);
  uint64_t a = c.r[RDI];
  if (i.asz == 4) a = (uint32_t)a;
  if (i.seg) a += (i.seg == SEG_FS) ? c.fs_base : c.gs_base;
  int first = -1, last = -1;
  for (int k = 0; k < 16; k++) {
    if (m.b[k] & 0x80) {
      if (first < 0) first = k;
      last = k;
    }
  }
  if (first < 0) return;
  c.mem->probe_write(a + first, (uint64_t)(last - first + 1));
  for (int k = first; k <= last; k++)
    if (m.b[k] & 0x80) c.mem->write<uint8_t>(a + k, v.b[k]);
}

}  // namespace gb

// vm/linux/guest_cpuid.cpp — runs the engine's own CPUID instruction handler, so that
// AT_HWCAP and /proc/cpuinfo always agree with what the guest's cpuid returns.
// (Kept apart from files that include <unistd.h>; optable.h's lock flag is now F_LOCKOK, so the clash is gone.)
#include <cstring>

#include "vm/cpu/cpu.h"
#include "vm/cpu/optable.h"
#include "vm/linux/kernel.h"

namespace gb {

void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]) {
  Cpu c;
  c.r[RAX] = leaf;
  c.r[RCX] = sub;
  Insn in;
  memset(&in, 0, sizeof in);
  cpuid(c, in);
  out[0] = (uint32_t)c.r[RAX];
  out[1] = (uint32_t)c.r[RBX];
  out[2] = (uint32_t)c.r[RCX];
  out[3] = (uint32_t)c.r[RDX];
}

}  // namespace gb

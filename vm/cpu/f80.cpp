// vm/cpu/f80.cpp — the x87 model's exception plumbing (see f80.h): the SIGFPE code of a
// pending exception and its delivery.
#include "vm/cpu/f80.h"

namespace gb {
namespace x87 {

int fpe_code(const Cpu& c) {
  const unsigned err = c.fpu.fsw & ~c.fpu.fcw & 0x3f;
  if (err & FSW_IE) return FPE_FLTINV_;
  if (err & FSW_ZE) return FPE_FLTDIV_;
  if (err & FSW_OE) return FPE_FLTOVF_;
  if (err & (FSW_UE | FSW_DE)) return FPE_FLTUND_;
  if (err & FSW_PE) return FPE_FLTRES_;
  return 0;
}

void pending_fault(const Cpu& c) { throw FpFault{fpe_code(c)}; }

}  // namespace x87
}  // namespace gb

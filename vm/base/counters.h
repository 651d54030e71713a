// vm/base/counters.h — one machine's counters (the Kernel owns one instance): the list
// is vm/base/counters.inc, an X-macro, so --stats, the trace and the inspector read the
// same names without a hand-kept copy. The rooms that count (cpu's block cache, mem's
// PhysMem, linux) hold a pointer to their machine's instance.
#pragma once
#include <cstdint>

namespace gb {

struct Counters {
#define X(field, label, what) uint64_t field = 0;
#include "vm/base/counters.inc"
#undef X

  // Calls fn(label, value) for every counter, in counters.inc order.
  template <class F> void each(F&& fn) const {
#define X(field, label, what) fn(label, field);
#include "vm/base/counters.inc"
#undef X
  }
};

}  // namespace gb

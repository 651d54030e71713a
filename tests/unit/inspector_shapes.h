// tests/unit/inspector_shapes.h — the engine's syscall table as the inspector gets it:
// the SysShapes records of the attach snapshot (vm/linux/rectrace.h), read by a model.
#pragma once
#include <vector>

#include "inspector/model/syscall_decode.h"
#include "vm/linux/rectrace.h"

inline const gbi::SyscallShapes& engine_shapes() {
  static gbi::SyscallShapes sh;
  if (!sh.known) {
    gb::RecordRing ring;
    ring.enable(256);
    gb::record_syscall_shapes(ring);
    std::vector<gb::TraceRecord> recs(ring.pending());
    recs.resize(ring.take(recs.data(), recs.size()));
    for (const gb::TraceRecord& r : recs) sh.apply(r);
  }
  return sh;
}

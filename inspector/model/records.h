// inspector/model/records.h — reading the engine's binary trace records (vm/trace/record.h)
// and counting the ones lost on the way (seq gaps), for every panel model.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vm/trace/record.h"

namespace gbi {

using gb::RecKind;
using gb::TraceRecord;

// Copies record i of a packed byte array (records may be unaligned in a JS-filled buffer).
inline TraceRecord record_at(const uint8_t* bytes, size_t i) {
  TraceRecord r;
  memcpy(&r, bytes + i * sizeof(TraceRecord), sizeof r);
  return r;
}

// Seq bookkeeping: records arrive in seq order with gaps where a ring overwrote them.
struct RecordStream {
  uint64_t last_seq = 0;
  uint64_t received = 0;
  uint64_t dropped = 0;  // records missing from the sequence (gaps)
  // Returns false for a record at or before one already seen (a replay), which is ignored.
  bool accept(const TraceRecord& r) {
    if (r.seq <= last_seq) return false;
    dropped += r.seq - last_seq - 1;
    last_seq = r.seq;
    received++;
    return true;
  }
};

}  // namespace gbi

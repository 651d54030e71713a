// vm/trace/record.cpp — the engine's record ring (see record.h).
#include "vm/trace/record.h"

#include "vm/trace/trace.h"

namespace gb {

void RecordRing::enable(size_t capacity) {
  std::vector<TraceRecord>(capacity).swap(slots_);
  written_ = taken_ = dropped_ = 0;
}

TraceRecord RecordRing::make(RecKind kind, int pid, int tid, uint64_t icount) const {
  TraceRecord r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.pid = pid;
  r.tid = tid;
  r.icount = icount;
  r.time_ns = trace_now_ns();
  r.data_arg = REC_NO_ARG;
  return r;
}

void RecordRing::push(const TraceRecord& r) {
  if (slots_.empty()) return;
  const size_t cap = slots_.size();
  if (written_ - taken_ == cap) {  // full: the oldest goes
    taken_++;
    dropped_++;
  }
  TraceRecord& s = slots_[written_ % cap];
  s = r;
  s.seq = ++written_;
}

size_t RecordRing::take(TraceRecord* out, size_t max) {
  size_t n = 0;
  const size_t cap = slots_.size();
  while (n < max && taken_ < written_) out[n++] = slots_[taken_++ % cap];
  return n;
}

}  // namespace gb

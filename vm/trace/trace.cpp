// vm/trace/trace.cpp — the event ring and listeners (see trace.h).
#include "vm/trace/trace.h"

#include <time.h>

namespace gb {

const char* trace_kind_name(TraceKind k) {
  switch (k) {
    case TraceKind::SyscallEnter: return "syscall-enter";
    case TraceKind::SyscallExit: return "syscall-exit";
    case TraceKind::Exec: return "exec";
    case TraceKind::Exit: return "exit";
    case TraceKind::Signal: return "signal";
    case TraceKind::Fault: return "fault";
    case TraceKind::Message: return "message";
    case TraceKind::FsRead: return "fs-read";
    case TraceKind::JitRegion: return "jit-region";
    case TraceKind::JitDrop: return "jit-drop";
  }
  return "?";
}

uint64_t trace_now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int Trace::subscribe(Listener l) {
  const int id = next_id_++;
  listeners_.emplace_back(id, std::move(l));
  update_enabled();
  return id;
}

void Trace::unsubscribe(int id) {
  for (size_t i = 0; i < listeners_.size(); i++) {
    if (listeners_[i].first == id) {
      listeners_.erase(listeners_.begin() + (long)i);
      break;
    }
  }
  update_enabled();
}

void Trace::enable_ring(size_t capacity) {
  ring_.assign(capacity, TraceEvent{});
  head_ = 0;
  count_ = 0;
  update_enabled();
}

TraceEvent Trace::make(TraceKind kind, int pid, int tid, uint64_t icount) {
  TraceEvent e;
  memset(&e, 0, sizeof e);
  e.kind = kind;
  e.pid = pid;
  e.tid = tid;
  e.icount = icount;
  e.time_ns = trace_now_ns();
  return e;
}

void Trace::emit(const TraceEvent& ev) {
  TraceEvent e = ev;
  e.seq = ++seq_;
  if (!ring_.empty()) {
    if (count_ == ring_.size()) dropped_++;
    else count_++;
    ring_[head_] = e;
    head_ = (head_ + 1) % ring_.size();
  }
  for (auto& [id, l] : listeners_) l(e);
}

uint64_t Trace::read_since(uint64_t after, std::vector<TraceEvent>& out) const {
  if (ring_.empty()) return seq_;
  const size_t cap = ring_.size();
  size_t idx = (head_ + cap - count_) % cap;
  for (size_t i = 0; i < count_; i++) {
    const TraceEvent& e = ring_[(idx + i) % cap];
    if (e.seq > after) out.push_back(e);
  }
  return seq_;
}

}  // namespace gb

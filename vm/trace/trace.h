// vm/trace/trace.h — the engine's event stream: what the inspector and --strace read.
//
// Events are fixed-size records (TraceEvent) kept in a ring (the last N events, for
// the inspector to poll) and handed to listeners as they happen (the CLI's --strace
// printer). When nobody listens and no ring is enabled, producers pay exactly one
// branch: `if (trace.enabled())` before building an event.
//
//   Trace t;
//   int id = t.subscribe([](const TraceEvent& e) { ... });   // enables
//   t.enable_ring(4096);                                      // enables
//   if (t.enabled()) { TraceEvent e = t.make(TraceKind::Exit, pid); ...; t.emit(e); }
//   t.read_since(seq, out);                                   // poll the ring
//
// Event kinds and their fields:
//   SyscallEnter   nr, args[6], text = "name(decoded args of the call so far"
//   SyscallExit    nr, args[6], ret, text = full strace line "name(args) = ret"
//   Exec           text = path, args[0] = entry, args[1] = stack pointer
//   Exit           ret = wait status (code << 8 | signal)
//   Signal         nr = signal, args[0] = fault address, args[1] = rip, text = reason
//   Fault          as Signal, for faults that kill the process
//   Message        text = free-form engine message ("unimplemented syscall ...")
//   FsRead         a file system read (ext2): nr = what (0 data, 1 inode, 2 bitmap,
//                  3 indirect, 4 dir, 5 super, 6 xattr, 7 symlink), ret = source
//                  (0 cache, 1 overlay, 2 base/network, as fs::ReadSource), args = ino,
//                  logical block, physical block, blocks, bytes fetched, chunk (-1: none)
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace gb {

// JitRegion: a region compiled (args: guest start, end, x86 instructions, compile us,
// wasm bytes of its function, table index; text: a summary); JitDrop: a region
// invalidated (args: guest start, the page written/unmapped; text: why).
enum class TraceKind : uint8_t { SyscallEnter, SyscallExit, Exec, Exit, Signal, Fault, Message, FsRead, JitRegion, JitDrop };
const char* trace_kind_name(TraceKind k);

struct TraceEvent {
  static constexpr size_t kText = 352;
  uint64_t seq;      // 1, 2, 3 ... per Trace
  uint64_t icount;   // guest instructions retired by the task at the event
  uint64_t time_ns;  // host monotonic time
  int32_t pid, tid;
  TraceKind kind;
  uint8_t truncated; // text was cut to fit
  uint16_t nr;       // syscall number or signal number
  int64_t ret;       // syscall result (-errno on error), or exit status
  uint64_t args[6];
  char text[kText];  // NUL-terminated

  void set_text(const std::string& s) {
    const size_t n = s.size() < kText - 1 ? s.size() : kText - 1;
    memcpy(text, s.data(), n);
    text[n] = 0;
    truncated = s.size() >= kText;
  }
};
static_assert(sizeof(TraceEvent) == 448, "TraceEvent is fixed-size");

class Trace {
 public:
  using Listener = std::function<void(const TraceEvent&)>;

  bool enabled() const { return enabled_; }

  int subscribe(Listener l);
  void unsubscribe(int id);
  void enable_ring(size_t capacity);  // 0 disables the ring
  // A zeroed event with seq/kind/pid/time filled.
  TraceEvent make(TraceKind kind, int pid, int tid, uint64_t icount);
  void emit(const TraceEvent& e);
  // Events with seq > `after` still in the ring, oldest first. Returns the last seq.
  uint64_t read_since(uint64_t after, std::vector<TraceEvent>& out) const;
  uint64_t last_seq() const { return seq_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void update_enabled() { enabled_ = !listeners_.empty() || !ring_.empty(); }
  bool enabled_ = false;
  uint64_t seq_ = 0;
  uint64_t dropped_ = 0;
  std::vector<std::pair<int, Listener>> listeners_;
  int next_id_ = 1;
  std::vector<TraceEvent> ring_;
  size_t head_ = 0;  // next slot
  size_t count_ = 0;
};

// Host monotonic time in nanoseconds (the clock trace timestamps use).
uint64_t trace_now_ns();

}  // namespace gb

// vm/trace/record.h — binary trace records: what the engine hands the inspector.
//
// A TraceRecord is 256 bytes, fixed, with one payload layout per kind (below). The engine
// fills numbers and copies raw guest bytes (a path, the start of a buffer) into `data`;
// it never formats text for a record: the inspector decodes and prints (inspector/).
// Records travel: engine -> RecordRing (engine memory) -> the worker copies them into a
// SharedArrayBuffer ring (ide/src/engine/trace-ring.ts) -> the page copies them into the
// inspector module (docs/inspector.md).
//
// Layout (little-endian, offsets in bytes; the TypeScript ring and the inspector read it):
//   0  u64 seq       1, 2, 3 ... per ring (gaps = records dropped)
//   8  u64 time_ns   host monotonic time
//  16  u64 icount    guest instructions retired by the task so far
//  24  i32 pid       thread-group id (the process)
//  28  i32 tid       the task
//  32  u8  kind      RecKind
//  33  u8  flags     REC_TRUNCATED: data was cut to fit
//  34  u16 nr        syscall number / signal number
//  36  u16 data_len  bytes used in data
//  38  u8  data_arg  which syscall argument `data` holds (REC_NO_ARG: none)
//  39  u8  pad
//  40  i64 ret       syscall result (-errno), wait status, child tid ...
//  48  u64 a[6]      per kind
//  96  u8  data[160] per kind
//
// Kinds:
//   SysEnter  nr, a = the six argument registers; data = the first path/string argument
//             or the input buffer (write), data_arg = its index
//   SysExit   as SysEnter plus ret; data = the path/string/input buffer, or the output
//             buffer (read: the first min(ret,160) bytes); after a successful execve none
//   Fork      tid = the new task, pid = its thread group; ret = the parent's tid,
//             a[0] = clone flags, a[1] = the parent's thread-group id
//   Exec      a[0] = entry point, a[1] = argc; data = argv joined by NULs (then cut)
//   Exit      ret = wait status (code << 8 | signal); a[0..3] as Stat (the final figures)
//   Signal    a signal acted on (vm/linux/signal.cpp): nr = the signal, ret = what it did
//             (SignalAction: 0 a handler runs, 1 the process stops, 2 the process is
//             killed by its default action), a[0] = si_code (sign-extended), a[1] = the
//             fault address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) or the sender's
//             pid, a[2] = the sender's uid (SIGCHLD: the child's status), a[3] = the
//             handler's address (ret 0), a[4] = rip when it was acted on
//   Stat      a running task's figures, at most every 100 ms of host time per task (after a
//             scheduler slice): a[0] = CPU time in ns, a[1] = instructions the task retired
//             itself (icount minus the count it was forked with), a[2] = of those, run in
//             compiled code (the JIT tier), a[3] = 1 if its address space has a JIT tier
//   Fd        an open fd of a live process when the records were enabled (the attach
//             snapshot: what was open before the trace began): a[0] = fd, a[1] = 1 if
//             close-on-exec; data = the file as /proc/PID/fd shows it ("/dev/pts/0")
//   Chunks    the image's chunk cache when the records were enabled (web engine): a[0] =
//             first chunk, a[1] = chunks covered, a[2] = chunks in the image; data = a
//             bitmap, bit i (byte i/8, bit i%8) = chunk a[0]+i was in the cache
//   FsRead    one device read by ext2 (vm/fs/ext2.h Ext2TraceEvent): nr = what (0 data,
//             1 inode, 2 bitmap, 3 indirect, 4 dir, 5 super, 6 xattr, 7 symlink), ret = where
//             from (fs::ReadSource: 0 cache, 1 overlay, 2 network, 3 disk, 4 zero/hole),
//             a[0] = inode (0: fs-wide), a[1] = logical block, a[2] = physical block,
//             a[3] = blocks, a[4] = bytes fetched, a[5] = chunk (-1: none)
//   FsWrite   one device write by ext2 (the student's changes: file data when written,
//             metadata when written back, superblock and group descriptors at sync):
//             as FsRead, with ret = 0 and a[4] = 0
//   SysShapes the attach snapshot of the syscall table (what each argument is, so the reader
//             decodes every call the engine implements as --strace does): a[0] = entries;
//             data = entries of 16 bytes: u16 nr, u8 nargs, u8 result kind (RetKind),
//             u8 kind[6] (ArgKind), u8 aux[6] (vm/base/sysargs.h)
//   JitRegion a region compiled by the JIT (vm/jit): nr = its blocks, ret = regions in its
//             batch (one module), a[0] = guest start, a[1] = end, a[2] = x86 instructions,
//             a[3] = its compile us (its generation + its share of the module's by
//             code size: a batch's regions sum to the batch's), a[4] = wasm bytes of its function,
//             a[5] = table index
//   JitDrop   compiled code dropped: nr = why (JitDropWhy), ret = regions dropped (1, or
//             all of the address space's for ProcessGone), a[0] = start (0: several),
//             a[1] = the page written (CodeWritten), a[2] = end, a[3] = x86 instructions,
//             a[4] = wasm bytes, a[5] = runs of its entry block
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace gb {

enum class RecKind : uint8_t { None = 0, SysEnter = 1, SysExit = 2, Fork = 3, Exec = 4, Exit = 5, Signal = 6, FsRead = 7,
                              Stat = 8, Fd = 9, Chunks = 10, JitRegion = 11, JitDrop = 12, FsWrite = 13,
                              SysShapes = 14 };
enum JitDropWhy : uint16_t { JitCodeWritten = 0, JitProcessGone = 1, JitEvicted = 2 };
enum SignalAction : int64_t { SigHandled = 0, SigStopped = 1, SigKilled = 2 };
enum : uint8_t { REC_TRUNCATED = 1 };
enum : uint8_t { REC_NO_ARG = 0xff };

struct TraceRecord {
  static constexpr size_t kData = 160;
  uint64_t seq;
  uint64_t time_ns;
  uint64_t icount;
  int32_t pid, tid;
  RecKind kind;
  uint8_t flags;
  uint16_t nr;
  uint16_t data_len;
  uint8_t data_arg;
  uint8_t pad;
  int64_t ret;
  uint64_t a[6];
  uint8_t data[kData];

  // Copies up to kData bytes of `p` into data (REC_TRUNCATED if cut).
  void set_data(const void* p, size_t n, uint8_t arg = REC_NO_ARG) {
    if (n > kData) { n = kData; flags |= REC_TRUNCATED; }
    memcpy(data, p, n);
    data_len = (uint16_t)n;
    data_arg = arg;
  }
};
static_assert(sizeof(TraceRecord) == 256, "TraceRecord is 256 bytes");
static_assert(offsetof(TraceRecord, ret) == 40 && offsetof(TraceRecord, data) == 96, "layout");

// A fixed ring of records in engine memory. The writer never waits: when the reader has
// not taken the oldest records, they are overwritten and counted in dropped(). Off (no
// storage, enabled() false) until enable(capacity).
class RecordRing {
 public:
  bool enabled() const { return !slots_.empty(); }
  void enable(size_t capacity);  // 0 disables and frees
  // A zeroed record with kind, pid, tid, icount and time filled (seq is set by push).
  TraceRecord make(RecKind kind, int pid, int tid, uint64_t icount) const;
  void push(const TraceRecord& r);
  // Copies up to `max` of the oldest untaken records to `out`, oldest first; returns how many.
  size_t take(TraceRecord* out, size_t max);
  size_t pending() const { return (size_t)(written_ - taken_); }
  uint64_t written() const { return written_; }
  uint64_t dropped() const { return dropped_; }
  size_t capacity() const { return slots_.size(); }

 private:
  std::vector<TraceRecord> slots_;
  uint64_t written_ = 0;  // records pushed (seq of the last)
  uint64_t taken_ = 0;    // records consumed or dropped
  uint64_t dropped_ = 0;
};

}  // namespace gb

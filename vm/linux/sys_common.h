// vm/linux/sys_common.h — shared by the syscall family files (sys_*.cpp).
#pragma once
#include <algorithm>
#include <cstring>
#include <string>

#include "vm/linux/kernel.h"
#include "vm/linux/syscall.h"

namespace gb {

#define SYS(name) static int64_t sys_##name(Task& p, const uint64_t* a)

// Reads the path argument a[i] into `var` or returns its error.
#define GET_PATH(var, i)                  \
  std::string var;                        \
  do {                                    \
    int e_ = p.get_path(a[i], var);       \
    if (e_ < 0) return e_;                \
  } while (0)

#define GET_FILE(var, i)                        \
  FileRef var = p.fds.get((int)(int32_t)a[i]);  \
  if (!var) return -LX_EBADF

inline int32_t arg_int(const uint64_t* a, int i) { return (int32_t)a[i]; }

// stat -> guest struct stat
inline lx_stat to_lx_stat(const Stat& s) {
  lx_stat o;
  memset(&o, 0, sizeof o);
  o.st_dev = s.dev;
  o.st_ino = s.ino;
  o.st_nlink = s.nlink;
  o.st_mode = s.mode;
  o.st_uid = s.uid;
  o.st_gid = s.gid;
  o.st_rdev = s.rdev;
  o.st_size = s.size;
  o.st_blksize = s.blksize;
  o.st_blocks = s.blocks;
  o.st_atim = {s.atime.sec, s.atime.nsec};
  o.st_mtim = {s.mtime.sec, s.mtime.nsec};
  o.st_ctim = {s.ctime.sec, s.ctime.nsec};
  return o;
}

// The SIGPIPE rule for writes that got EPIPE: the default action kills the process.
int64_t epipe(Task& p);
// A blocking call that must wait (it has kBlock to return): kBlock, or -EAGAIN once
// `timeout_ns` (SO_RCVTIMEO / SO_SNDTIMEO; 0 = none) has passed since the call began.
int64_t bounded_block(Task& p, uint64_t timeout_ns);

// A write to a stream (pipe, socket, terminal) that completes when it blocks, as Linux's
// do: `attempt(done)` writes the bytes from `done` on and returns how many went, kBlock
// (nothing fits now) or -errno (EPIPE already turned into SIGPIPE where the caller wants
// it). When only part fits, a blocking writer parks with the count in p.write_done and
// the re-executed call goes on from there (a signal then returns the count; signal.cpp);
// `n`'s SO_SNDTIMEO bounds the wait (EAGAIN, or the count so far). Writes of up to
// PIPE_BUF stay atomic because a pipe refuses a part of them.
template <class F>
int64_t write_whole(Task& p, const Inode& n, bool blocking, uint64_t len, F attempt) {
  uint64_t done = blocking && p.write_done < len ? p.write_done : 0;
  p.write_done = 0;
  const int64_t r = attempt(done);
  if (r > 0) done += (uint64_t)r;
  const bool wait = r == kBlock || (blocking && r > 0 && done < len);
  if (!wait) return r < 0 && !done ? r : (int64_t)done;
  if (bounded_block(p, n.wait_timeout_ns(true)) != kBlock) return done ? (int64_t)done : -LX_EAGAIN;
  p.write_done = done;
  return kBlock;
}

// ppoll, pselect6, epoll_pwait: the temporary signal mask while waiting (restored after
// a handler ran or the call returned; signal.cpp). 0 or -errno.
int set_temp_sigmask(Task& p, uint64_t mask_addr, uint64_t size);

// Host time helpers.
int64_t host_clock_ns(int clock_id);  // CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1 ...
void host_sleep_ns(int64_t ns);

// Linux's access_ok: [addr, addr + n) lies below the top of user space (TASK_SIZE_MAX)
// without wrapping. read/write/readv/writev/sendmsg check it before anything else.
inline bool access_ok(uint64_t addr, uint64_t n) {
  constexpr uint64_t kTaskSizeMax = (1ull << 47) - 4096;
  return n <= kTaskSizeMax && addr <= kTaskSizeMax - n;
}

// Copies src to guest memory at addr up to the first fault; returns the bytes copied
// (Linux's copy_to_user: a read into a partly bad buffer returns what fitted).
inline uint64_t put_prefix(Task& p, uint64_t addr, const uint8_t* src, uint64_t n) {
  if (p.put(addr, src, (size_t)n)) return n;
  uint64_t done = 0;
  while (done < n) {
    const uint64_t k = std::min<uint64_t>(n - done, 4096 - ((addr + done) & 4095));
    if (!p.put(addr + done, src + done, (size_t)k)) break;
    done += k;
  }
  return done;
}

}  // namespace gb

// vm/linux/sys_common.h — shared by the syscall family files (sys_*.cpp).
#pragma once
#include <cstring>
#include <string>

#include "vm/linux/kernel.h"
#include "vm/linux/syscall.h"

namespace gb {

#define SYS(name) static int64_t sys_##name(Process& p, const uint64_t* a)

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
int64_t epipe(Process& p);
// A blocking call that must wait (it has kBlock to return): kBlock, or -EAGAIN once
// `timeout_ns` (SO_RCVTIMEO / SO_SNDTIMEO; 0 = none) has passed since the call began.
int64_t bounded_block(Process& p, uint64_t timeout_ns);

// ppoll, pselect6, epoll_pwait: the temporary signal mask while waiting (restored after
// a handler ran or the call returned; signal.cpp). 0 or -errno.
int set_temp_sigmask(Process& p, uint64_t mask_addr, uint64_t size);

// Host time helpers.
int64_t host_clock_ns(int clock_id);  // CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1 ...
void host_sleep_ns(int64_t ns);

}  // namespace gb

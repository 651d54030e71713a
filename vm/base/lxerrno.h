// vm/base/lxerrno.h — Linux (guest) errno numbers, independent of the host's.
//
// Every engine interface that returns "-errno" (the VFS, file systems, syscalls) uses
// these numbers, never the host's E* macros: Emscripten's libc numbers errno the WASI
// way (ENOENT is 44 there), so a host errno must go through host_errno() first.
//
//   LX_ENOENT ...            the values (X-macro over errno_names.inc)
//   host_errno(e)            host errno -> Linux errno (identity on a Linux host)
//   errno_name(e)            "ENOENT" (nullptr if unknown)
//   errno_message(e)         "No such file or directory" (glibc's wording)
#pragma once

namespace gb {

enum : int {
#define X(n, name, msg) LX_##name = n,
#include "vm/base/errno_names.inc"
#undef X
  LX_EWOULDBLOCK = 11,
  LX_EDEADLOCK = 35,
  LX_ENOTSUP = 95,
};

// Host errno (the value of `errno` after a failed host call) -> Linux errno.
int host_errno(int e);
// Convenience: -host_errno(errno) for the current errno.
int neg_host_errno();

const char* errno_name(int e);
const char* errno_message(int e);

}  // namespace gb

// vm/base/lxerrno.cpp — host errno translation and errno names (see lxerrno.h).
#include "vm/base/lxerrno.h"

#include <cerrno>

namespace gb {

int host_errno(int e) {
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
  return e;  // the host is Linux: same numbers
#else
  switch (e) {
#include "vm/base/errno_host.inc"
    default: return LX_EIO;
  }
#endif
}

int neg_host_errno() { return -host_errno(errno); }

const char* errno_name(int e) {
  switch (e) {
#define X(n, name, msg) case n: return #name;
#include "vm/base/errno_names.inc"
#undef X
    default: return nullptr;
  }
}

const char* errno_message(int e) {
  switch (e) {
#define X(n, name, msg) case n: return msg;
#include "vm/base/errno_names.inc"
#undef X
    default: return "Unknown error";
  }
}

}  // namespace gb

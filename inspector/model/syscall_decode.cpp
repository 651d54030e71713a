// inspector/model/syscall_decode.cpp — syscall records to text (see syscall_decode.h).
//
// [SECTION] names  [SECTION] argument kinds of the common calls  [SECTION] flag names
// [SECTION] formatting
#include "inspector/model/syscall_decode.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "inspector/model/text.h"
#include "vm/base/abi.h"
#include "vm/base/lxerrno.h"

namespace gbi {

//-----------------------------------------------------------------------------
// [SECTION] names
//-----------------------------------------------------------------------------
const char* syscall_name(unsigned nr) {
  switch (nr) {
#define X(n, name) case n: return #name;
#include "vm/linux/syscall_names.inc"
#undef X
    default: return nullptr;
  }
}

int syscall_number(const char* name) {
#define X(n, nm) if (strcmp(name, #nm) == 0) return n;
#include "vm/linux/syscall_names.inc"
#undef X
  return -1;
}

//-----------------------------------------------------------------------------
// [SECTION] argument kinds of the common calls
//-----------------------------------------------------------------------------
enum Kind : uint8_t { K_END, K_INT, K_LONG, K_ULONG, K_HEX, K_PTR, K_OCT, K_FD, K_DIRFD, K_STR, K_BUF, K_OFLAGS, K_ATFLAGS, K_PROT, K_MAPFLAGS };

struct CallShape {
  uint16_t nr;
  Kind k[6];
};

static const CallShape kShapes[] = {
    {0, {K_FD, K_BUF, K_ULONG}},                     // read
    {1, {K_FD, K_BUF, K_ULONG}},                     // write
    {2, {K_STR, K_OFLAGS, K_OCT}},                   // open
    {3, {K_FD}},                                     // close
    {4, {K_STR, K_PTR}},                             // stat
    {5, {K_FD, K_PTR}},                              // fstat
    {6, {K_STR, K_PTR}},                             // lstat
    {8, {K_FD, K_LONG, K_INT}},                      // lseek
    {9, {K_PTR, K_ULONG, K_PROT, K_MAPFLAGS, K_FD, K_HEX}},  // mmap
    {10, {K_PTR, K_ULONG, K_PROT}},                  // mprotect
    {11, {K_PTR, K_ULONG}},                          // munmap
    {12, {K_PTR}},                                   // brk
    {16, {K_FD, K_HEX, K_PTR}},                      // ioctl
    {17, {K_FD, K_BUF, K_ULONG, K_LONG}},            // pread64
    {21, {K_STR, K_INT}},                            // access
    {22, {K_PTR}},                                   // pipe
    {32, {K_FD}},                                    // dup
    {33, {K_FD, K_FD}},                              // dup2
    {41, {K_INT, K_HEX, K_INT}},                     // socket
    {42, {K_FD, K_PTR, K_INT}},                      // connect
    {43, {K_FD, K_PTR, K_PTR}},                      // accept
    {56, {K_HEX, K_PTR, K_PTR, K_PTR, K_HEX}},       // clone
    {57, {}},                                        // fork
    {58, {}},                                        // vfork
    {59, {K_STR, K_PTR, K_PTR}},                     // execve
    {60, {K_INT}},                                   // exit
    {61, {K_INT, K_PTR, K_INT, K_PTR}},              // wait4
    {72, {K_FD, K_INT, K_HEX}},                      // fcntl
    {79, {K_BUF, K_ULONG}},                          // getcwd
    {87, {K_STR}},                                   // unlink
    {89, {K_STR, K_BUF, K_ULONG}},                   // readlink
    {217, {K_FD, K_PTR, K_ULONG}},                   // getdents64
    {231, {K_INT}},                                  // exit_group
    {257, {K_DIRFD, K_STR, K_OFLAGS, K_OCT}},        // openat
    {262, {K_DIRFD, K_STR, K_PTR, K_ATFLAGS}},       // newfstatat
    {263, {K_DIRFD, K_STR, K_HEX}},                  // unlinkat
    {267, {K_DIRFD, K_STR, K_BUF, K_ULONG}},         // readlinkat
    {269, {K_DIRFD, K_STR, K_INT}},                  // faccessat
    {288, {K_FD, K_PTR, K_PTR, K_HEX}},              // accept4
    {292, {K_FD, K_FD, K_OFLAGS}},                   // dup3
    {293, {K_PTR, K_OFLAGS}},                        // pipe2
    {439, {K_DIRFD, K_STR, K_INT, K_ATFLAGS}},       // faccessat2
};

static const CallShape* shape_of(unsigned nr) {
  for (const CallShape& s : kShapes)
    if (s.nr == nr) return &s;
  return nullptr;
}

//-----------------------------------------------------------------------------
// [SECTION] flag names
//-----------------------------------------------------------------------------
struct FlagName {
  uint64_t bit;
  const char* name;
};

static void flags(std::string& out, uint64_t v, const FlagName* names, size_t n, const char* zero) {
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    if ((v & names[i].bit) == names[i].bit && names[i].bit) {
      if (any) out += '|';
      out += names[i].name;
      v &= ~names[i].bit;
      any = true;
    }
  }
  if (v || !any) {
    char b[24];
    if (!any && !v) { out += zero; return; }
    snprintf(b, sizeof b, "%s%#" PRIx64, any ? "|" : "", v);
    out += b;
  }
}

static void open_flags(std::string& out, uint64_t v) {
  static const char* const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  out += acc[v & gb::LO_ACCMODE];
  static const FlagName names[] = {
      {gb::LO_CREAT, "O_CREAT"}, {gb::LO_EXCL, "O_EXCL"}, {gb::LO_NOCTTY, "O_NOCTTY"}, {gb::LO_TRUNC, "O_TRUNC"},
      {gb::LO_APPEND, "O_APPEND"}, {gb::LO_NONBLOCK, "O_NONBLOCK"}, {gb::LO_DIRECTORY, "O_DIRECTORY"},
      {gb::LO_NOFOLLOW, "O_NOFOLLOW"}, {gb::LO_CLOEXEC, "O_CLOEXEC"}, {gb::LO_PATH, "O_PATH"},
      {gb::LO_LARGEFILE, "O_LARGEFILE"}};
  v &= ~(uint64_t)gb::LO_ACCMODE;
  if (v) {
    out += '|';
    const size_t before = out.size();
    flags(out, v, names, sizeof names / sizeof names[0], "");
    if (out.size() == before) out.pop_back();
  }
}

static void prot_flags(std::string& out, uint64_t v) {
  static const FlagName names[] = {{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}};
  flags(out, v, names, 3, "PROT_NONE");
}

static void map_flags(std::string& out, uint64_t v) {
  static const FlagName names[] = {{0x01, "MAP_SHARED"}, {0x02, "MAP_PRIVATE"}, {0x10, "MAP_FIXED"},
                                   {0x20, "MAP_ANONYMOUS"}, {0x100, "MAP_GROWSDOWN"}, {0x800, "MAP_DENYWRITE"},
                                   {0x4000, "MAP_NORESERVE"}, {0x100000, "MAP_FIXED_NOREPLACE"}};
  flags(out, v, names, sizeof names / sizeof names[0], "0");
}

static void at_flags(std::string& out, uint64_t v) {
  static const FlagName names[] = {{gb::LAT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"}, {gb::LAT_EACCESS, "AT_EACCESS"},
                                   {gb::LAT_EMPTY_PATH, "AT_EMPTY_PATH"}};
  flags(out, v, names, 3, "0");
}

//-----------------------------------------------------------------------------
// [SECTION] formatting
//-----------------------------------------------------------------------------
static void hex(std::string& out, uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%#" PRIx64, v);
  out += b;
}

static void one_arg(std::string& out, const TraceRecord& r, int i, Kind k) {
  const uint64_t v = r.a[i];
  char b[32];
  switch (k) {
    case K_INT: case K_FD: snprintf(b, sizeof b, "%d", (int)v); out += b; return;
    case K_LONG: snprintf(b, sizeof b, "%" PRId64, (int64_t)v); out += b; return;
    case K_ULONG: snprintf(b, sizeof b, "%" PRIu64, v); out += b; return;
    case K_OCT: snprintf(b, sizeof b, "%#" PRIo64, v); out += b; return;
    case K_DIRFD:
      if ((int)v == gb::LAT_FDCWD) out += "AT_FDCWD";
      else { snprintf(b, sizeof b, "%d", (int)v); out += b; }
      return;
    case K_STR: case K_BUF:
      if (r.data_arg == i) {
        quote_bytes(out, r.data, r.data_len, (r.flags & gb::REC_TRUNCATED) != 0);
        return;
      }
      if (!v) { out += "NULL"; return; }
      hex(out, v);
      return;
    case K_PTR: if (!v) { out += "NULL"; return; } hex(out, v); return;
    case K_OFLAGS: open_flags(out, v); return;
    case K_ATFLAGS: at_flags(out, v); return;
    case K_PROT: prot_flags(out, v); return;
    case K_MAPFLAGS: map_flags(out, v); return;
    case K_HEX: case K_END: hex(out, v); return;
  }
}

void format_args(std::string& out, const TraceRecord& r) {
  const CallShape* s = shape_of(r.nr);
  if (!s) {  // not decoded yet: three arguments in hex
    for (int i = 0; i < 3; i++) {
      if (i) out += ", ";
      hex(out, r.a[i]);
    }
    return;
  }
  for (int i = 0; i < 6 && s->k[i] != K_END; i++) {
    if (i) out += ", ";
    one_arg(out, r, i, s->k[i]);
  }
}

void format_result(std::string& out, unsigned nr, int64_t ret) {
  char b[48];
  if (nr == 60 || nr == 231) {  // exit, exit_group: they do not return
    out += '?';
    return;
  }
  if (syscall_failed(ret)) {
    const int e = (int)-ret;
    const char* n = gb::errno_name(e);
    const char* m = gb::errno_message(e);
    if (n) snprintf(b, sizeof b, "-1 %s", n);
    else snprintf(b, sizeof b, "-1 E%d", e);
    out += b;
    if (m) { out += " ("; out += m; out += ')'; }
    return;
  }
  if (nr == 9 || nr == 12) hex(out, (uint64_t)ret);  // mmap, brk: addresses
  else { snprintf(b, sizeof b, "%" PRId64, ret); out += b; }
}

void signal_text(std::string& out, unsigned sig) {
  if (const char* n = gb::signal_name((int)sig)) {
    out += n;
    return;
  }
  char b[16];
  snprintf(b, sizeof b, "SIG%u", sig);
  out += b;
}

// si_code's name as strace prints it (the common ones; others as a number).
static const char* si_code_name(unsigned sig, int64_t code) {
  switch (code) {
    case 0: return "SI_USER";
    case 0x80: return "SI_KERNEL";
    case -1: return "SI_QUEUE";
    case -2: return "SI_TIMER";
    case -6: return "SI_TKILL";
    default: break;
  }
  if (sig == gb::LSIGSEGV) return code == 1 ? "SEGV_MAPERR" : code == 2 ? "SEGV_ACCERR" : nullptr;
  if (sig == gb::LSIGBUS) return code == 1 ? "BUS_ADRALN" : code == 2 ? "BUS_ADRERR" : nullptr;
  if (sig == gb::LSIGILL) return code == 1 ? "ILL_ILLOPC" : code == 2 ? "ILL_ILLOPN" : nullptr;
  if (sig == gb::LSIGFPE) return code == 1 ? "FPE_INTDIV" : code == 2 ? "FPE_INTOVF" : nullptr;
  if (sig == gb::LSIGTRAP) return code == 1 ? "TRAP_BRKPT" : code == 2 ? "TRAP_TRACE" : nullptr;
  if (sig == gb::LSIGCHLD) {
    static const char* const cld[] = {"CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
    return code >= 1 && code <= 6 ? cld[code - 1] : nullptr;
  }
  return nullptr;
}

void format_signal(std::string& out, const TraceRecord& r) {
  char b[96];
  out += "--- ";
  signal_text(out, r.nr);
  out += " {si_signo=";
  signal_text(out, r.nr);
  const int64_t code = (int64_t)r.a[0];
  out += ", si_code=";
  if (const char* c = si_code_name(r.nr, code)) out += c;
  else { snprintf(b, sizeof b, "%" PRId64, code); out += b; }
  if (gb::signal_is_fault(r.nr) && code > 0) {
    out += ", si_addr=";
    hex(out, r.a[1]);
  } else if (r.nr == gb::LSIGCHLD) {
    snprintf(b, sizeof b, ", si_pid=%d, si_status=%d", (int)(int64_t)r.a[1], (int)(int64_t)r.a[2]);
    out += b;
  } else if (code <= 0) {
    snprintf(b, sizeof b, ", si_pid=%d, si_uid=%u", (int)(int64_t)r.a[1], (unsigned)r.a[2]);
    out += b;
  }
  out += "} ---";
}

void format_signal_action(std::string& out, const TraceRecord& r) {
  switch (r.ret) {
    case gb::SigHandled:
      out += "handler ";
      hex(out, r.a[3]);
      break;
    case gb::SigStopped: out += "stopped"; break;
    case gb::SigKilled: out += "killed"; break;
    default: out += '?'; break;
  }
}

void format_call(std::string& out, const TraceRecord& r) {
  if (r.kind == RecKind::Signal) {
    format_signal(out, r);
    out += " (";
    format_signal_action(out, r);
    out += ')';
    return;
  }
  const char* n = syscall_name(r.nr);
  if (n) out += n;
  else {
    char b[24];
    snprintf(b, sizeof b, "syscall_%u", r.nr);
    out += b;
  }
  out += '(';
  format_args(out, r);
  out += ')';
  if (r.kind == RecKind::SysExit) {
    out += " = ";
    format_result(out, r.nr, r.ret);
  }
}

}  // namespace gbi

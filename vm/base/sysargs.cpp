// vm/base/sysargs.cpp — see sysargs.h. The tables of names follow strace's spelling.
#include "vm/base/sysargs.h"

#include <cinttypes>
#include <cstdio>

#include "vm/base/abi.h"
#include "vm/base/lxerrno.h"

namespace gb {

namespace {

using Flag = ArgFlag;

void num(std::string& out, int64_t v) { out += std::to_string(v); }
void unum(std::string& out, uint64_t v) { out += std::to_string(v); }
void oct(std::string& out, uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%#" PRIo64, v);
  out += b;
}

void open_flags(std::string& out, uint64_t v) {
  static const Flag t[] = {
      {LO_CREAT, "O_CREAT"},       {LO_EXCL, "O_EXCL"},         {LO_NOCTTY, "O_NOCTTY"},
      {LO_TRUNC, "O_TRUNC"},       {LO_APPEND, "O_APPEND"},     {LO_NONBLOCK, "O_NONBLOCK"},
      {LO_SYNC, "O_SYNC"},         {LO_DSYNC, "O_DSYNC"},       {LO_ASYNC, "O_ASYNC"},
      {LO_DIRECT, "O_DIRECT"},     {LO_LARGEFILE, "O_LARGEFILE"}, {LO_TMPFILE, "O_TMPFILE"},
      {LO_DIRECTORY, "O_DIRECTORY"}, {LO_NOFOLLOW, "O_NOFOLLOW"}, {LO_NOATIME, "O_NOATIME"},
      {LO_CLOEXEC, "O_CLOEXEC"},   {LO_PATH, "O_PATH"},
  };
  const uint64_t acc = v & LO_ACCMODE;
  const size_t at = out.size();
  if (!(v & LO_PATH)) out += acc == LO_RDONLY ? "O_RDONLY" : acc == LO_WRONLY ? "O_WRONLY" : acc == LO_RDWR ? "O_RDWR" : "O_ACCMODE";
  std::string rest;
  format_flags(rest, v & ~(uint64_t)LO_ACCMODE, t, sizeof t / sizeof t[0], "");
  if (out.size() == at) {
    out += rest.empty() ? "0" : rest;
    return;
  }
  if (!rest.empty()) out += "|" + rest;
}

void at_flags(std::string& out, uint64_t v) {
  static const Flag t[] = {{LAT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"}, {LAT_REMOVEDIR, "AT_REMOVEDIR"},
                           {LAT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},     {LAT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
                           {LAT_EMPTY_PATH, "AT_EMPTY_PATH"}};
  format_flags(out, v, t, sizeof t / sizeof t[0]);
}

void prot(std::string& out, uint64_t v) {
  static const Flag t[] = {{LPROT_READ, "PROT_READ"}, {LPROT_WRITE, "PROT_WRITE"}, {LPROT_EXEC, "PROT_EXEC"},
                           {LPROT_GROWSDOWN, "PROT_GROWSDOWN"}};
  format_flags(out, v, t, sizeof t / sizeof t[0], "PROT_NONE");
}

void mmap_flags(std::string& out, uint64_t v) {
  static const Flag t[] = {
      {LMAP_FIXED, "MAP_FIXED"},       {LMAP_ANONYMOUS, "MAP_ANONYMOUS"}, {LMAP_32BIT, "MAP_32BIT"},
      {LMAP_GROWSDOWN, "MAP_GROWSDOWN"}, {LMAP_DENYWRITE, "MAP_DENYWRITE"}, {LMAP_EXECUTABLE, "MAP_EXECUTABLE"},
      {LMAP_LOCKED, "MAP_LOCKED"},     {LMAP_NORESERVE, "MAP_NORESERVE"}, {LMAP_POPULATE, "MAP_POPULATE"},
      {LMAP_NONBLOCK, "MAP_NONBLOCK"}, {LMAP_STACK, "MAP_STACK"},         {LMAP_HUGETLB, "MAP_HUGETLB"},
      {LMAP_SYNC, "MAP_SYNC"},         {LMAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
  };
  const uint64_t type = v & LMAP_TYPE;
  if (type == LMAP_SHARED) out += "MAP_SHARED";
  else if (type == LMAP_PRIVATE) out += "MAP_PRIVATE";
  else if (type == LMAP_SHARED_VALIDATE) out += "MAP_SHARED_VALIDATE";
  else format_hex(out, type);
  std::string rest;
  format_flags(rest, v & ~(uint64_t)LMAP_TYPE, t, sizeof t / sizeof t[0], "");
  if (!rest.empty()) out += "|" + rest;
}

void named(std::string& out, uint64_t v, const Flag* t, size_t n, bool is_signed = true) {
  for (size_t i = 0; i < n; i++)
    if (t[i].v == v) {
      out += t[i].n;
      return;
    }
  if (is_signed) num(out, (int32_t)v);
  else format_hex(out, v);
}
#define NAMED(v, tab, ...) named(out, v, tab, sizeof tab / sizeof tab[0], ##__VA_ARGS__)

}  // namespace

void format_flags(std::string& out, uint64_t v, const ArgFlag* tab, size_t n, const char* zero) {
  const size_t at = out.size();
  for (size_t i = 0; i < n; i++) {
    if (tab[i].v && (v & tab[i].v) == tab[i].v) {
      if (out.size() != at) out += "|";
      out += tab[i].n;
      v &= ~tab[i].v;
    }
  }
  if (v) {
    if (out.size() != at) out += "|";
    format_hex(out, v);
  }
  if (out.size() == at) out += zero;
}

void format_hex(std::string& out, uint64_t v) {
  if (!v) {
    out += "0";
    return;
  }
  char b[24];
  snprintf(b, sizeof b, "%#" PRIx64, v);
  out += b;
}

void format_ptr(std::string& out, uint64_t v) {
  if (v) format_hex(out, v);
  else out += "NULL";
}

void format_signal_arg(std::string& out, uint64_t s) {
  if (const char* n = signal_name((int)s)) out += n;
  else if (s >= 32 && s <= 64) out += "SIGRT_" + std::to_string((int64_t)s - 32);
  else num(out, (int32_t)s);
}

void quote_bytes(std::string& out, const uint8_t* p, size_t n, bool more) {
  out += '"';
  for (size_t i = 0; i < n; i++) {
    const uint8_t c = p[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\v': out += "\\v"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += (char)c;
        } else {
          const bool next_digit = i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7';
          char b[8];
          snprintf(b, sizeof b, next_digit ? "\\%03o" : "\\%o", c);
          out += b;
        }
    }
  }
  out += '"';
  if (more) out += "...";
}

bool format_scalar_arg(std::string& out, uint8_t kind, uint64_t v) {
  switch (kind) {
    case A_INT: case A_FD: num(out, (int32_t)v); return true;
    case A_LONG: num(out, (int64_t)v); return true;
    case A_ULONG: unum(out, v); return true;
    case A_HEX: format_hex(out, v); return true;
    case A_PTR: case A_OUT_PTR: format_ptr(out, v); return true;
    case A_OCT: oct(out, v & 07777777); return true;
    case A_DIRFD:
      if ((int32_t)v == LAT_FDCWD) out += "AT_FDCWD";
      else num(out, (int32_t)v);
      return true;
    case A_OPEN_FLAGS: open_flags(out, v); return true;
    case A_AT_FLAGS: at_flags(out, v); return true;
    case A_PROT: prot(out, v); return true;
    case A_MMAP_FLAGS: mmap_flags(out, v); return true;
    case A_WHENCE: {
      static const Flag t[] = {{0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}};
      NAMED(v, t);
      return true;
    }
    case A_ACCESS_MODE: {
      static const Flag t[] = {{LR_OK, "R_OK"}, {LW_OK, "W_OK"}, {LX_OK, "X_OK"}};
      format_flags(out, v, t, 3, "F_OK");
      return true;
    }
    case A_CLOCK: {
      static const Flag t[] = {{0, "CLOCK_REALTIME"}, {1, "CLOCK_MONOTONIC"}, {2, "CLOCK_PROCESS_CPUTIME_ID"},
                               {3, "CLOCK_THREAD_CPUTIME_ID"}, {4, "CLOCK_MONOTONIC_RAW"}, {5, "CLOCK_REALTIME_COARSE"},
                               {6, "CLOCK_MONOTONIC_COARSE"}, {7, "CLOCK_BOOTTIME"}};
      NAMED(v, t);
      return true;
    }
    case A_FCNTL_CMD: {
      static const Flag t[] = {{LF_DUPFD, "F_DUPFD"}, {LF_GETFD, "F_GETFD"}, {LF_SETFD, "F_SETFD"},
                               {LF_GETFL, "F_GETFL"}, {LF_SETFL, "F_SETFL"}, {LF_GETLK, "F_GETLK"},
                               {LF_SETLK, "F_SETLK"}, {LF_SETLKW, "F_SETLKW"}, {LF_SETOWN, "F_SETOWN"},
                               {LF_GETOWN, "F_GETOWN"}, {LF_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"},
                               {LF_SETPIPE_SZ, "F_SETPIPE_SZ"}, {LF_GETPIPE_SZ, "F_GETPIPE_SZ"},
                               {LF_ADD_SEALS, "F_ADD_SEALS"}, {LF_GET_SEALS, "F_GET_SEALS"},
                               {LF_OFD_GETLK, "F_OFD_GETLK"}, {LF_OFD_SETLK, "F_OFD_SETLK"}, {LF_OFD_SETLKW, "F_OFD_SETLKW"}};
      NAMED(v, t);
      return true;
    }
    case A_IOCTL_REQ: {
      static const Flag t[] = {{0x5401, "TCGETS"}, {0x5402, "TCSETS"}, {0x5403, "TCSETSW"}, {0x5404, "TCSETSF"},
                               {0x540b, "TCFLSH"}, {0x540e, "TIOCSCTTY"}, {0x540f, "TIOCGPGRP"}, {0x5410, "TIOCSPGRP"},
                               {0x5411, "TIOCOUTQ"}, {0x5413, "TIOCGWINSZ"}, {0x5414, "TIOCSWINSZ"},
                               {0x541b, "FIONREAD"}, {0x5421, "FIONBIO"}, {0x5422, "TIOCNOTTY"}, {0x5429, "TIOCGSID"},
                               {0x5450, "FIONCLEX"}, {0x5451, "FIOCLEX"}, {0x5452, "FIOASYNC"}};
      NAMED(v & 0xffffffff, t, false);
      return true;
    }
    case A_ARCH_PRCTL: {
      static const Flag t[] = {{0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"}, {0x1003, "ARCH_GET_FS"},
                               {0x1004, "ARCH_GET_GS"}, {0x1011, "ARCH_GET_CPUID"}, {0x1012, "ARCH_SET_CPUID"},
                               {0x3001, "ARCH_CET_STATUS"}};
      NAMED(v, t, false);
      return true;
    }
    case A_FUTEX_OP: {
      static const Flag t[] = {{0, "FUTEX_WAIT"}, {1, "FUTEX_WAKE"}, {3, "FUTEX_REQUEUE"}, {4, "FUTEX_CMP_REQUEUE"},
                               {5, "FUTEX_WAKE_OP"}, {6, "FUTEX_LOCK_PI"}, {7, "FUTEX_UNLOCK_PI"},
                               {9, "FUTEX_WAIT_BITSET"}, {10, "FUTEX_WAKE_BITSET"}};
      if (v & 256) out += "FUTEX_CLOCK_REALTIME|";
      NAMED(v & 0x7f, t);
      if (v & 128) out += "_PRIVATE";
      return true;
    }
    case A_SIGNAL: format_signal_arg(out, v); return true;
    case A_SIGHOW: {
      static const Flag t[] = {{0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"}};
      NAMED(v, t);
      return true;
    }
    case A_MADVISE: {
      static const Flag t[] = {{0, "MADV_NORMAL"}, {1, "MADV_RANDOM"}, {2, "MADV_SEQUENTIAL"}, {3, "MADV_WILLNEED"},
                               {4, "MADV_DONTNEED"}, {8, "MADV_FREE"}, {9, "MADV_REMOVE"}, {10, "MADV_DONTFORK"},
                               {11, "MADV_DOFORK"}, {12, "MADV_MERGEABLE"}, {14, "MADV_HUGEPAGE"},
                               {15, "MADV_NOHUGEPAGE"}, {16, "MADV_DONTDUMP"}, {17, "MADV_DODUMP"}};
      NAMED(v, t);
      return true;
    }
    case A_RLIMIT_RES: {
      static const Flag t[] = {{0, "RLIMIT_CPU"}, {1, "RLIMIT_FSIZE"}, {2, "RLIMIT_DATA"}, {3, "RLIMIT_STACK"},
                               {4, "RLIMIT_CORE"}, {5, "RLIMIT_RSS"}, {6, "RLIMIT_NPROC"}, {7, "RLIMIT_NOFILE"},
                               {8, "RLIMIT_MEMLOCK"}, {9, "RLIMIT_AS"}, {10, "RLIMIT_LOCKS"},
                               {11, "RLIMIT_SIGPENDING"}, {12, "RLIMIT_MSGQUEUE"}, {13, "RLIMIT_NICE"},
                               {14, "RLIMIT_RTPRIO"}, {15, "RLIMIT_RTTIME"}};
      NAMED(v, t);
      return true;
    }
    case A_MREMAP_FLAGS: {
      static const Flag t[] = {{LMREMAP_MAYMOVE, "MREMAP_MAYMOVE"}, {LMREMAP_FIXED, "MREMAP_FIXED"},
                               {LMREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"}};
      format_flags(out, v, t, 3);
      return true;
    }
    case A_RENAME_FLAGS: {
      static const Flag t[] = {{LRENAME_NOREPLACE, "RENAME_NOREPLACE"}, {LRENAME_EXCHANGE, "RENAME_EXCHANGE"},
                               {LRENAME_WHITEOUT, "RENAME_WHITEOUT"}};
      format_flags(out, v, t, 3);
      return true;
    }
    case A_FD_FLAGS: {
      static const Flag t[] = {{LO_CLOEXEC, "O_CLOEXEC"}, {LO_NONBLOCK, "O_NONBLOCK"}, {LO_DIRECT, "O_DIRECT"}};
      format_flags(out, v, t, 3);
      return true;
    }
    default: return false;
  }
}

bool arg_is_out(uint8_t k) {
  return k == A_BUF_OUT || k == A_STAT_OUT || k == A_STATX_OUT || k == A_IOV_OUT || k == A_PIPEFDS ||
         k == A_SIGSET_OUT || k == A_DIRENTS || k == A_UNAME_OUT;
}

bool arg_shown(const ArgSpec* args, const uint64_t* a, int i) {
  if (args[i].kind != A_OCT || i == 0 || args[i - 1].kind != A_OPEN_FLAGS) return true;
  // (O_TMPFILE includes O_DIRECTORY's bit: all of its bits, not any)
  return (a[i - 1] & LO_CREAT) || (a[i - 1] & LO_TMPFILE) == LO_TMPFILE;
}

void format_ret(std::string& out, int64_t ret, uint8_t kind) {
  if (kind == R_NONE) {
    out += "?";
    return;
  }
  if (ret < 0 && ret >= -4095) {
    const int e = (int)-ret;
    const char* n = errno_name(e);
    out += "-1 ";
    if (n) out += n;
    else out += "E" + std::to_string(e);
    out += " (";
    out += errno_message(e);
    out += ")";
    return;
  }
  if (kind == R_HEX) format_hex(out, (uint64_t)ret);
  else num(out, ret);
}

}  // namespace gb

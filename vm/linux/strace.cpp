// vm/linux/strace.cpp — decoding syscall arguments for the trace, strace style:
//   openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
//   read(3, "\177ELF\2\1\1\0"..., 832) = 832
//   openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "vm/linux/kernel.h"
#include "vm/linux/syscall.h"

namespace gb {

namespace {

constexpr size_t kStrMax = 32;  // strace's default -s

std::string num(int64_t v) { return std::to_string(v); }
std::string unum(uint64_t v) { return std::to_string(v); }
std::string hexs(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%#" PRIx64, v);
  return v ? b : "0";
}
std::string ptr(uint64_t v) { return v ? hexs(v) : "NULL"; }
std::string oct(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%#" PRIo64, v);
  return b;
}

// Quotes bytes like strace: C escapes, octal for the rest.
std::string quote(const uint8_t* p, size_t n, bool more) {
  std::string s = "\"";
  for (size_t i = 0; i < n; i++) {
    const uint8_t c = p[i];
    switch (c) {
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      case '\t': s += "\\t"; break;
      case '\n': s += "\\n"; break;
      case '\v': s += "\\v"; break;
      case '\f': s += "\\f"; break;
      case '\r': s += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          s += (char)c;
        } else {
          const bool next_digit = i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7';
          char b[8];
          snprintf(b, sizeof b, next_digit ? "\\%03o" : "\\%o", c);
          s += b;
        }
    }
  }
  s += "\"";
  if (more) s += "...";
  return s;
}

std::string guest_str(Task& p, uint64_t a, bool full) {
  if (!a) return "NULL";
  std::string s;
  const size_t lim = full ? 4096 : kStrMax;
  if (!p.mem->read_cstr(a, s, lim + 1) && s.size() <= lim) return hexs(a);
  const bool more = s.size() > lim;
  if (more) s.resize(lim);
  return quote((const uint8_t*)s.data(), s.size(), more);
}

std::string guest_buf(Task& p, uint64_t a, int64_t len) {
  if (!a) return "NULL";
  if (len <= 0) return "\"\"";
  const size_t n = (size_t)len < kStrMax ? (size_t)len : kStrMax;
  uint8_t b[kStrMax];
  if (!p.mem->copy_in(b, a, n)) return hexs(a);
  return quote(b, n, (size_t)len > kStrMax);
}

struct Flag { uint64_t v; const char* n; };

std::string flags(uint64_t v, const Flag* tab, size_t ntab, const char* zero = "0") {
  std::string s;
  for (size_t i = 0; i < ntab; i++) {
    if (tab[i].v && (v & tab[i].v) == tab[i].v) {
      if (!s.empty()) s += "|";
      s += tab[i].n;
      v &= ~tab[i].v;
    }
  }
  if (v) {
    if (!s.empty()) s += "|";
    s += hexs(v);
  }
  return s.empty() ? zero : s;
}

std::string open_flags(uint64_t v) {
  static const Flag t[] = {
      {LO_CREAT, "O_CREAT"},       {LO_EXCL, "O_EXCL"},         {LO_NOCTTY, "O_NOCTTY"},
      {LO_TRUNC, "O_TRUNC"},       {LO_APPEND, "O_APPEND"},     {LO_NONBLOCK, "O_NONBLOCK"},
      {LO_SYNC, "O_SYNC"},         {LO_DSYNC, "O_DSYNC"},       {LO_ASYNC, "O_ASYNC"},
      {LO_DIRECT, "O_DIRECT"},     {LO_LARGEFILE, "O_LARGEFILE"}, {LO_TMPFILE, "O_TMPFILE"},
      {LO_DIRECTORY, "O_DIRECTORY"}, {LO_NOFOLLOW, "O_NOFOLLOW"}, {LO_NOATIME, "O_NOATIME"},
      {LO_CLOEXEC, "O_CLOEXEC"},   {LO_PATH, "O_PATH"},
  };
  const uint64_t acc = v & LO_ACCMODE;
  std::string s = acc == LO_RDONLY ? "O_RDONLY" : acc == LO_WRONLY ? "O_WRONLY" : acc == LO_RDWR ? "O_RDWR" : "O_ACCMODE";
  if (v & LO_PATH) s = "";
  const std::string rest = flags(v & ~(uint64_t)LO_ACCMODE, t, sizeof t / sizeof t[0], "");
  if (s.empty()) return rest.empty() ? "0" : rest;
  return rest.empty() ? s : s + "|" + rest;
}

std::string at_flags(uint64_t v) {
  static const Flag t[] = {{LAT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"}, {LAT_REMOVEDIR, "AT_REMOVEDIR"},
                           {LAT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},     {LAT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
                           {LAT_EMPTY_PATH, "AT_EMPTY_PATH"}};
  return flags(v, t, sizeof t / sizeof t[0]);
}

std::string prot(uint64_t v) {
  static const Flag t[] = {{LPROT_READ, "PROT_READ"}, {LPROT_WRITE, "PROT_WRITE"}, {LPROT_EXEC, "PROT_EXEC"},
                           {LPROT_GROWSDOWN, "PROT_GROWSDOWN"}};
  return flags(v, t, sizeof t / sizeof t[0], "PROT_NONE");
}

std::string mmap_flags(uint64_t v) {
  static const Flag t[] = {
      {LMAP_FIXED, "MAP_FIXED"},       {LMAP_ANONYMOUS, "MAP_ANONYMOUS"}, {LMAP_32BIT, "MAP_32BIT"},
      {LMAP_GROWSDOWN, "MAP_GROWSDOWN"}, {LMAP_DENYWRITE, "MAP_DENYWRITE"}, {LMAP_EXECUTABLE, "MAP_EXECUTABLE"},
      {LMAP_LOCKED, "MAP_LOCKED"},     {LMAP_NORESERVE, "MAP_NORESERVE"}, {LMAP_POPULATE, "MAP_POPULATE"},
      {LMAP_NONBLOCK, "MAP_NONBLOCK"}, {LMAP_STACK, "MAP_STACK"},         {LMAP_HUGETLB, "MAP_HUGETLB"},
      {LMAP_SYNC, "MAP_SYNC"},         {LMAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
  };
  const uint64_t type = v & LMAP_TYPE;
  std::string s = type == LMAP_SHARED ? "MAP_SHARED" : type == LMAP_PRIVATE ? "MAP_PRIVATE"
                  : type == LMAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE" : hexs(type);
  const std::string rest = flags(v & ~(uint64_t)LMAP_TYPE, t, sizeof t / sizeof t[0], "");
  return rest.empty() ? s : s + "|" + rest;
}

std::string named(uint64_t v, const Flag* t, size_t n, bool is_signed = true) {
  for (size_t i = 0; i < n; i++)
    if (t[i].v == v) return t[i].n;
  return is_signed ? num((int32_t)v) : hexs(v);
}
#define NAMED(v, tab, ...) named(v, tab, sizeof tab / sizeof tab[0], ##__VA_ARGS__)

std::string signame(uint64_t s) {
  const char* n = signal_name((int)s);
  if (n) return n;
  if (s >= 32 && s <= 64) return "SIGRT_" + num((int64_t)s - 32);
  return num((int32_t)s);
}

std::string mode_str(uint32_t m) {
  static const Flag t[] = {{LS_IFSOCK, "S_IFSOCK"}, {LS_IFLNK, "S_IFLNK"}, {LS_IFREG, "S_IFREG"}, {LS_IFBLK, "S_IFBLK"},
                           {LS_IFDIR, "S_IFDIR"},   {LS_IFCHR, "S_IFCHR"}, {LS_IFIFO, "S_IFIFO"}};
  std::string s;
  for (auto& f : t)
    if ((m & LS_IFMT) == f.v) s = f.n;
  char b[16];
  snprintf(b, sizeof b, "%04o", m & 07777);
  return s.empty() ? oct(m) : s + "|" + b;
}

std::string stat_str(Task& p, uint64_t a) {
  lx_stat st;
  if (!a) return "NULL";
  if (!p.mem->copy_in(&st, a, sizeof st)) return hexs(a);
  std::string s = "{st_mode=" + mode_str(st.st_mode);
  if ((st.st_mode & LS_IFMT) == LS_IFCHR || (st.st_mode & LS_IFMT) == LS_IFBLK) {
    char b[64];
    snprintf(b, sizeof b, ", st_rdev=makedev(%#x, %#x)", (unsigned)((st.st_rdev >> 8) & 0xfff),
             (unsigned)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xfff00)));
    s += b;
  } else {
    s += ", st_size=" + num(st.st_size);
  }
  return s + ", ...}";
}

std::string statx_str(Task& p, uint64_t a) {
  lx_statx st;
  if (!a) return "NULL";
  if (!p.mem->copy_in(&st, a, sizeof st)) return hexs(a);
  return "{stx_mask=" + hexs(st.stx_mask) + ", stx_attributes=0, stx_mode=" + mode_str(st.stx_mode) +
         ", stx_size=" + unum(st.stx_size) + ", ...}";
}

std::string strarray(Task& p, uint64_t a) {
  if (!a) return "NULL";
  std::string s = "[";
  for (int i = 0; i < 64; i++) {
    uint64_t e;
    if (!p.mem->copy_in(&e, a + 8 * (uint64_t)i, 8)) return hexs(a);
    if (!e) break;
    if (i) s += ", ";
    if (i == 32) { s += "..."; break; }
    s += guest_str(p, e, false);
  }
  return s + "]";
}

std::string envp_str(Task& p, uint64_t a) {
  if (!a) return "NULL";
  int n = 0;
  for (; n < 100000; n++) {
    uint64_t e;
    if (!p.mem->copy_in(&e, a + 8 * (uint64_t)n, 8)) return hexs(a);
    if (!e) break;
  }
  return hexs(a) + " /* " + num(n) + (n == 1 ? " var */" : " vars */");
}

std::string iov_str(Task& p, uint64_t a, uint64_t cnt, int64_t total, bool out) {
  if (!a) return "NULL";
  std::string s = "[";
  int64_t left = total;
  for (uint64_t i = 0; i < cnt && i < 8; i++) {
    lx_iovec v;
    if (!p.mem->copy_in(&v, a + 16 * i, 16)) return hexs(a);
    if (i) s += ", ";
    const int64_t show = out ? (left < (int64_t)v.len ? left : (int64_t)v.len) : (int64_t)v.len;
    s += "{iov_base=" + guest_buf(p, v.base, show < 0 ? 0 : show) + ", iov_len=" + unum(v.len) + "}";
    if (out) left -= show;
  }
  if (cnt > 8) s += ", ...";
  return s + "]";
}

std::string timespec_str(Task& p, uint64_t a) {
  if (!a) return "NULL";
  lx_timespec t;
  if (!p.mem->copy_in(&t, a, sizeof t)) return hexs(a);
  return "{tv_sec=" + num(t.tv_sec) + ", tv_nsec=" + num(t.tv_nsec) + "}";
}

std::string sigset_str(Task& p, uint64_t a) {
  if (!a) return "NULL";
  uint64_t m;
  if (!p.mem->copy_in(&m, a, 8)) return hexs(a);
  if (m == ~0ull) return "~[]";
  std::string s = "[";
  bool first = true;
  for (int i = 1; i <= 64; i++) {
    if (!(m >> (i - 1) & 1)) continue;
    if (!first) s += " ";
    first = false;
    std::string n = signame((uint64_t)i);
    s += n.compare(0, 3, "SIG") == 0 ? n.substr(3) : n;
  }
  return s + "]";
}

std::string sigaction_str(Task& p, uint64_t a) {
  if (!a) return "NULL";
  lx_sigaction sa;
  if (!p.mem->copy_in(&sa, a, sizeof sa)) return hexs(a);
  std::string h = sa.handler == 0 ? "SIG_DFL" : sa.handler == 1 ? "SIG_IGN" : hexs(sa.handler);
  static const Flag t[] = {{0x1, "SA_NOCLDSTOP"}, {0x2, "SA_NOCLDWAIT"}, {0x4, "SA_SIGINFO"}, {0x04000000, "SA_RESTORER"},
                           {0x08000000, "SA_ONSTACK"}, {0x10000000, "SA_RESTART"}, {0x40000000, "SA_NODEFER"},
                           {0x80000000, "SA_RESETHAND"}};
  return "{sa_handler=" + h + ", sa_mask=" + sigset_str(p, a + 24) + ", sa_flags=" +
         flags(sa.flags, t, sizeof t / sizeof t[0]) + (sa.flags & 0x04000000 ? ", sa_restorer=" + hexs(sa.restorer) : "") + "}";
}

std::string pollfds_str(Task& p, uint64_t a, uint64_t n) {
  if (!a) return "NULL";
  std::string s = "[";
  for (uint64_t i = 0; i < n && i < 16; i++) {
    lx_pollfd pf;
    if (!p.mem->copy_in(&pf, a + 8 * i, 8)) return hexs(a);
    static const Flag t[] = {{LPOLLIN, "POLLIN"}, {LPOLLPRI, "POLLPRI"}, {LPOLLOUT, "POLLOUT"}, {LPOLLERR, "POLLERR"},
                             {LPOLLHUP, "POLLHUP"}, {LPOLLNVAL, "POLLNVAL"}, {LPOLLRDNORM, "POLLRDNORM"},
                             {LPOLLWRNORM, "POLLWRNORM"}};
    if (i) s += ", ";
    s += "{fd=" + num(pf.fd) + ", events=" + flags((uint16_t)pf.events, t, sizeof t / sizeof t[0]) + "}";
  }
  return s + "]";
}

std::string format_arg(Task& p, const ArgSpec& s, const uint64_t* a, int i, bool at_exit, int64_t ret) {
  const uint64_t v = a[i];
  switch (s.kind) {
    case A_INT: case A_FD: return num((int32_t)v);
    case A_LONG: return num((int64_t)v);
    case A_ULONG: return unum(v);
    case A_HEX: return hexs(v);
    case A_PTR: case A_OUT_PTR: return ptr(v);
    case A_OCT: return oct(v & 07777777);
    case A_DIRFD: return (int32_t)v == LAT_FDCWD ? "AT_FDCWD" : num((int32_t)v);
    case A_PATH: return guest_str(p, v, true);
    case A_STR: return guest_str(p, v, false);
    case A_BUF_IN: return guest_buf(p, v, (int64_t)a[s.aux]);
    case A_BUF_OUT: return ret >= 0 ? guest_buf(p, v, ret) : ptr(v);
    case A_OPEN_FLAGS: return open_flags(v);
    case A_AT_FLAGS: return at_flags(v);
    case A_PROT: return prot(v);
    case A_MMAP_FLAGS: return mmap_flags(v);
    case A_WHENCE: {
      static const Flag t[] = {{0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}};
      return NAMED(v, t);
    }
    case A_ACCESS_MODE: {
      if (v == 0) return "F_OK";
      static const Flag t[] = {{LR_OK, "R_OK"}, {LW_OK, "W_OK"}, {LX_OK, "X_OK"}};
      return flags(v, t, 3);
    }
    case A_CLOCK: {
      static const Flag t[] = {{0, "CLOCK_REALTIME"}, {1, "CLOCK_MONOTONIC"}, {2, "CLOCK_PROCESS_CPUTIME_ID"},
                               {3, "CLOCK_THREAD_CPUTIME_ID"}, {4, "CLOCK_MONOTONIC_RAW"}, {5, "CLOCK_REALTIME_COARSE"},
                               {6, "CLOCK_MONOTONIC_COARSE"}, {7, "CLOCK_BOOTTIME"}};
      return NAMED(v, t);
    }
    case A_FCNTL_CMD: {
      static const Flag t[] = {{LF_DUPFD, "F_DUPFD"}, {LF_GETFD, "F_GETFD"}, {LF_SETFD, "F_SETFD"},
                               {LF_GETFL, "F_GETFL"}, {LF_SETFL, "F_SETFL"}, {LF_GETLK, "F_GETLK"},
                               {LF_SETLK, "F_SETLK"}, {LF_SETLKW, "F_SETLKW"}, {LF_SETOWN, "F_SETOWN"},
                               {LF_GETOWN, "F_GETOWN"}, {LF_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"},
                               {LF_SETPIPE_SZ, "F_SETPIPE_SZ"}, {LF_GETPIPE_SZ, "F_GETPIPE_SZ"},
                               {LF_ADD_SEALS, "F_ADD_SEALS"}, {LF_GET_SEALS, "F_GET_SEALS"},
                               {LF_OFD_GETLK, "F_OFD_GETLK"}, {LF_OFD_SETLK, "F_OFD_SETLK"}, {LF_OFD_SETLKW, "F_OFD_SETLKW"}};
      return NAMED(v, t);
    }
    case A_IOCTL_REQ: {
      static const Flag t[] = {{0x5401, "TCGETS"}, {0x5402, "TCSETS"}, {0x5403, "TCSETSW"}, {0x5404, "TCSETSF"},
                               {0x540b, "TCFLSH"}, {0x540e, "TIOCSCTTY"}, {0x540f, "TIOCGPGRP"}, {0x5410, "TIOCSPGRP"},
                               {0x5411, "TIOCOUTQ"}, {0x5413, "TIOCGWINSZ"}, {0x5414, "TIOCSWINSZ"},
                               {0x541b, "FIONREAD"}, {0x5421, "FIONBIO"}, {0x5422, "TIOCNOTTY"}, {0x5429, "TIOCGSID"},
                               {0x5450, "FIONCLEX"}, {0x5451, "FIOCLEX"}, {0x5452, "FIOASYNC"}};
      return NAMED(v & 0xffffffff, t, false);
    }
    case A_ARCH_PRCTL: {
      static const Flag t[] = {{0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"}, {0x1003, "ARCH_GET_FS"},
                               {0x1004, "ARCH_GET_GS"}, {0x1011, "ARCH_GET_CPUID"}, {0x1012, "ARCH_SET_CPUID"},
                               {0x3001, "ARCH_CET_STATUS"}};
      return NAMED(v, t, false);
    }
    case A_FUTEX_OP: {
      static const Flag t[] = {{0, "FUTEX_WAIT"}, {1, "FUTEX_WAKE"}, {3, "FUTEX_REQUEUE"}, {4, "FUTEX_CMP_REQUEUE"},
                               {5, "FUTEX_WAKE_OP"}, {6, "FUTEX_LOCK_PI"}, {7, "FUTEX_UNLOCK_PI"},
                               {9, "FUTEX_WAIT_BITSET"}, {10, "FUTEX_WAKE_BITSET"}};
      std::string s = NAMED(v & 0x7f, t);
      if (v & 128) s += "_PRIVATE";
      if (v & 256) s = "FUTEX_CLOCK_REALTIME|" + s;
      return s;
    }
    case A_SIGNAL: return signame(v);
    case A_SIGHOW: {
      static const Flag t[] = {{0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"}};
      return NAMED(v, t);
    }
    case A_MADVISE: {
      static const Flag t[] = {{0, "MADV_NORMAL"}, {1, "MADV_RANDOM"}, {2, "MADV_SEQUENTIAL"}, {3, "MADV_WILLNEED"},
                               {4, "MADV_DONTNEED"}, {8, "MADV_FREE"}, {9, "MADV_REMOVE"}, {10, "MADV_DONTFORK"},
                               {11, "MADV_DOFORK"}, {12, "MADV_MERGEABLE"}, {14, "MADV_HUGEPAGE"},
                               {15, "MADV_NOHUGEPAGE"}, {16, "MADV_DONTDUMP"}, {17, "MADV_DODUMP"}};
      return NAMED(v, t);
    }
    case A_RLIMIT_RES: {
      static const Flag t[] = {{0, "RLIMIT_CPU"}, {1, "RLIMIT_FSIZE"}, {2, "RLIMIT_DATA"}, {3, "RLIMIT_STACK"},
                               {4, "RLIMIT_CORE"}, {5, "RLIMIT_RSS"}, {6, "RLIMIT_NPROC"}, {7, "RLIMIT_NOFILE"},
                               {8, "RLIMIT_MEMLOCK"}, {9, "RLIMIT_AS"}, {10, "RLIMIT_LOCKS"},
                               {11, "RLIMIT_SIGPENDING"}, {12, "RLIMIT_MSGQUEUE"}, {13, "RLIMIT_NICE"},
                               {14, "RLIMIT_RTPRIO"}, {15, "RLIMIT_RTTIME"}};
      return NAMED(v, t);
    }
    case A_MREMAP_FLAGS: {
      static const Flag t[] = {{LMREMAP_MAYMOVE, "MREMAP_MAYMOVE"}, {LMREMAP_FIXED, "MREMAP_FIXED"},
                               {LMREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"}};
      return flags(v, t, 3);
    }
    case A_RENAME_FLAGS: {
      static const Flag t[] = {{LRENAME_NOREPLACE, "RENAME_NOREPLACE"}, {LRENAME_EXCHANGE, "RENAME_EXCHANGE"},
                               {LRENAME_WHITEOUT, "RENAME_WHITEOUT"}};
      return flags(v, t, 3);
    }
    case A_FD_FLAGS: {
      static const Flag t[] = {{LO_CLOEXEC, "O_CLOEXEC"}, {LO_NONBLOCK, "O_NONBLOCK"}, {LO_DIRECT, "O_DIRECT"}};
      return flags(v, t, 3);
    }
    case A_STAT_OUT: return ret == 0 ? stat_str(p, v) : ptr(v);
    case A_STATX_OUT: return ret == 0 ? statx_str(p, v) : ptr(v);
    case A_STRARRAY: return strarray(p, v);
    case A_ENVP: return envp_str(p, v);
    case A_IOV_IN: return iov_str(p, v, a[s.aux], 0, false);
    case A_IOV_OUT: return ret >= 0 ? iov_str(p, v, a[s.aux], ret, true) : ptr(v);
    case A_TIMESPEC: return timespec_str(p, v);
    case A_PIPEFDS: {
      int32_t fds[2];
      if (ret < 0 || !v || !p.mem->copy_in(fds, v, 8)) return ptr(v);
      return "[" + num(fds[0]) + ", " + num(fds[1]) + "]";
    }
    case A_SIGSET: case A_SIGSET_OUT: return (s.kind == A_SIGSET_OUT && ret < 0) ? ptr(v) : sigset_str(p, v);
    case A_SIGACTION: return sigaction_str(p, v);
    case A_POLLFDS: return pollfds_str(p, v, a[s.aux]);
    case A_DIRENTS: return ret > 0 ? hexs(v) + " /* " + num(ret) + " bytes */" : ptr(v);
    case A_UNAME_OUT: {
      if (ret < 0) return ptr(v);
      lx_utsname u;
      if (!p.mem->copy_in(&u, v, sizeof u)) return ptr(v);
      u.sysname[64] = u.nodename[64] = 0;
      return std::string("{sysname=\"") + u.sysname + "\", nodename=\"" + u.nodename + "\", ...}";
    }
    default: return hexs(v);
  }
}

bool is_out(uint8_t k) {
  return k == A_BUF_OUT || k == A_STAT_OUT || k == A_STATX_OUT || k == A_IOV_OUT || k == A_PIPEFDS ||
         k == A_SIGSET_OUT || k == A_DIRENTS || k == A_UNAME_OUT;
}

}  // namespace

std::string format_ret(int64_t ret, uint8_t kind) {
  if (kind == R_NONE) return "?";
  if (ret < 0 && ret >= -4095) {
    const int e = (int)-ret;
    const char* n = errno_name(e);
    return "-1 " + std::string(n ? n : ("E" + num(e)).c_str()) + " (" + errno_message(e) + ")";
  }
  if (kind == R_HEX) return hexs((uint64_t)ret);
  return num(ret);
}

void format_sys_enter(Task& p, const SyscallDef& d, const uint64_t* a, SysFormat& f) {
  for (int i = 0; i < d.nargs; i++) {
    f.out[i] = is_out(d.args[i].kind);
    if (!f.out[i]) f.args[i] = format_arg(p, d.args[i], a, i, false, 0);
  }
}

std::string format_sys_exit(Task& p, const SyscallDef& d, const uint64_t* a, SysFormat& f, int64_t ret) {
  std::string s = std::string(d.name) + "(";
  const bool exited = p.exited;
  for (int i = 0; i < d.nargs; i++) {
    std::string arg = f.out[i] ? (exited ? ptr(a[i]) : format_arg(p, d.args[i], a, i, true, ret)) : f.args[i];
    // open/openat show the mode only when a file may be created.
    if (d.args[i].kind == A_OCT && i > 0 && d.args[i - 1].kind == A_OPEN_FLAGS &&
        !(a[i - 1] & (LO_CREAT | LO_TMPFILE)))
      break;
    if (i) s += ", ";
    s += arg;
  }
  s += ") = " + format_ret(ret, d.ret);
  return s;
}

}  // namespace gb

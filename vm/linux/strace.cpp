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

std::string quote(const uint8_t* p, size_t n, bool more) {
  std::string s;
  quote_bytes(s, p, n, more);
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

using Flag = ArgFlag;

std::string flags(uint64_t v, const Flag* tab, size_t ntab, const char* zero = "0") {
  std::string s;
  format_flags(s, v, tab, ntab, zero);
  return s;
}

std::string signame(uint64_t sig) {
  std::string s;
  format_signal_arg(s, sig);
  return s;
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
  std::string text;
  if (format_scalar_arg(text, s.kind, v)) return text;  // numbers, flags, names (vm/base/sysargs.h)
  switch (s.kind) {
    case A_PATH: return guest_str(p, v, true);
    case A_STR: return guest_str(p, v, false);
    case A_BUF_IN: return guest_buf(p, v, (int64_t)a[s.aux]);
    case A_BUF_OUT: return ret >= 0 ? guest_buf(p, v, ret) : ptr(v);
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

}  // namespace

std::string format_ret(int64_t ret, uint8_t kind) {
  std::string s;
  gb::format_ret(s, ret, kind);
  return s;
}

void format_sys_enter(Task& p, const SyscallDef& d, const uint64_t* a, SysFormat& f) {
  for (int i = 0; i < d.nargs; i++) {
    f.out[i] = arg_is_out(d.args[i].kind);
    if (!f.out[i]) f.args[i] = format_arg(p, d.args[i], a, i, false, 0);
  }
}

std::string format_sys_exit(Task& p, const SyscallDef& d, const uint64_t* a, SysFormat& f, int64_t ret) {
  std::string s = std::string(d.name) + "(";
  const bool exited = p.exited;
  for (int i = 0; i < d.nargs; i++) {
    std::string arg = f.out[i] ? (exited ? ptr(a[i]) : format_arg(p, d.args[i], a, i, true, ret)) : f.args[i];
    if (!arg_shown(d.args, a, i)) break;  // open/openat: the mode only when a file may be created
    if (i) s += ", ";
    s += arg;
  }
  s += ") = " + format_ret(ret, d.ret);
  return s;
}

}  // namespace gb

// inspector/model/fd_model.cpp — see fd_model.h. Call numbers are x86-64 Linux's.
#include "inspector/model/fd_model.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace gbi {

static constexpr uint64_t kCloexec = 02000000;  // O_CLOEXEC == SOCK_CLOEXEC on x86-64

int fd_arg_of(unsigned nr) {
  switch (nr) {
    case 0: case 1: case 3: case 5: case 8: case 16: case 17: case 18: case 19: case 20:  // read .. writev
    case 32: case 33: case 292:                                                           // dup, dup2, dup3
    case 42: case 43: case 44: case 45: case 46: case 47: case 48: case 49: case 50:      // sockets
    case 51: case 52: case 54: case 55: case 288:
    case 72: case 73: case 74: case 75: case 77: case 78: case 81: case 91: case 93:      // fcntl .. fchown
    case 138: case 217: case 295: case 296: case 221: case 285: case 306:               // fstatfs, getdents64 ..
    case 40:                                                                              // sendfile (out)
      return 0;
    case 9: return 4;  // mmap
    default: return -1;
  }
}

const FdOrigin* FdModel::lookup(int pid, int fd) const {
  auto t = tables.find(pid);
  if (t == tables.end()) return nullptr;
  auto f = t->second.find(fd);
  return f == t->second.end() ? nullptr : &f->second;
}

const AttachFd* FdModel::attach_of(uint64_t seq) const {
  auto it = std::lower_bound(attach.begin(), attach.end(), seq, [](const AttachFd& a, uint64_t s) { return a.seq < s; });
  return it != attach.end() && it->seq == seq ? &*it : nullptr;
}

void FdModel::apply(const TraceRecord& r) {
  switch (r.kind) {
    case RecKind::Fork: {
      const int parent = (int)(int64_t)r.a[1];
      if (r.pid == parent) return;  // a thread shares its process's table
      auto t = tables.find(parent);
      if (t != tables.end()) tables[r.pid] = t->second;
      else tables.erase(r.pid);
      return;
    }
    case RecKind::Exit:
      if (r.pid == r.tid) tables.erase(r.pid);  // the process ended (its leader)
      return;
    case RecKind::Exec: {  // the close-on-exec fds go
      auto t = tables.find(r.pid);
      if (t == tables.end()) return;
      for (auto f = t->second.begin(); f != t->second.end();) f = f->second.cloexec ? t->second.erase(f) : std::next(f);
      return;
    }
    case RecKind::Fd: {
      FdOrigin& o = tables[r.pid][(int)r.a[0]];
      o.seq = r.seq;
      o.cloexec = r.a[1] & 1;
      o.at_attach = true;
      o.path.assign((const char*)r.data, r.data_len);
      if (attach.size() < 4096) attach.push_back(AttachFd{r.seq, r.pid, (int)r.a[0], o.path});
      return;
    }
    default:
      return;
  }
}

void FdModel::on_call(const TraceRecord& r, int* fd_out, uint64_t* origin_out) {
  *fd_out = -1;
  *origin_out = 0;
  const int arg = fd_arg_of(r.nr);
  const int used = arg >= 0 ? (int)(int32_t)r.a[arg] : -1;
  if (arg >= 0 && used >= 0 && !(r.nr == 9 && (r.a[3] & 0x20))) {  // (mmap: not MAP_ANONYMOUS)
    *fd_out = used;
    if (const FdOrigin* o = lookup(r.pid, used)) *origin_out = o->seq;
  }
  if (r.ret < 0 && r.ret >= -4095) return;  // a failed call changed nothing
  std::map<int, FdOrigin>& t = tables[r.pid];
  auto made = [&](int fd, bool cloexec, const char* path, size_t n) {
    if (fd < 0) return;
    FdOrigin& o = t[fd];
    o.seq = r.seq;
    o.cloexec = cloexec;
    o.at_attach = false;
    o.path.assign(path ? path : "", path ? n : 0);
  };
  const char* data = (const char*)r.data;
  switch (r.nr) {
    case 2: made((int)r.ret, r.a[1] & kCloexec, data, r.data_len); break;            // open
    case 85: made((int)r.ret, false, data, r.data_len); break;                       // creat
    case 257: case 437: made((int)r.ret, r.nr == 257 && (r.a[2] & kCloexec), data, r.data_len); break;  // openat, openat2
    case 41: made((int)r.ret, r.a[1] & kCloexec, nullptr, 0); break;                 // socket
    case 43: made((int)r.ret, false, nullptr, 0); break;                             // accept
    case 288: made((int)r.ret, r.a[3] & kCloexec, nullptr, 0); break;                // accept4
    case 32: {                                                                       // dup: the same file
      const FdOrigin* o = lookup(r.pid, (int)r.a[0]);
      const std::string p = o ? o->path : std::string();
      made((int)r.ret, false, p.data(), p.size());
      break;
    }
    case 33: case 292: {                                                             // dup2, dup3
      if (r.a[0] == r.a[1]) break;
      const FdOrigin* o = lookup(r.pid, (int)r.a[0]);
      const std::string p = o ? o->path : std::string();
      made((int)r.a[1], r.nr == 292 && (r.a[2] & kCloexec), p.data(), p.size());
      break;
    }
    case 72:                                                                         // fcntl
      if (r.a[1] == 0 || r.a[1] == 1030) {                                           // F_DUPFD, F_DUPFD_CLOEXEC
        const FdOrigin* o = lookup(r.pid, (int)r.a[0]);
        const std::string p = o ? o->path : std::string();
        made((int)r.ret, r.a[1] == 1030, p.data(), p.size());
      } else if (r.a[1] == 2) {                                                      // F_SETFD
        auto f = t.find((int)r.a[0]);
        if (f != t.end()) f->second.cloexec = r.a[2] & 1;
      }
      break;
    case 22: case 293: case 53:                                                      // pipe, pipe2, socketpair
      if (r.data_len >= 8) {
        int32_t fds[2];
        memcpy(fds, r.data, sizeof fds);
        const bool ce = r.nr == 293 ? (r.a[1] & kCloexec) : r.nr == 53 ? (r.a[1] & kCloexec) : false;
        made(fds[0], ce, nullptr, 0);
        made(fds[1], ce, nullptr, 0);
      }
      break;
    case 213: case 291: case 290: case 284: case 283: case 289: case 294: case 253: case 319: case 434:  // epoll, eventfd ...
      made((int)r.ret, false, nullptr, 0);
      break;
    case 3: t.erase((int)r.a[0]); break;                                             // close
    case 59: case 322:                                                               // execve(at): cloexec fds go
      for (auto f = t.begin(); f != t.end();) f = f->second.cloexec ? t.erase(f) : std::next(f);
      break;
    default: break;
  }
}

}  // namespace gbi

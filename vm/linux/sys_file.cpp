// vm/linux/sys_file.cpp — file I/O syscalls: read/write family, open/close, lseek, dup,
// pipes, fcntl, ioctl, poll/select, sendfile, fsync.
#include <algorithm>
#include <vector>

#include "vm/linux/sys_common.h"

namespace gb {

int64_t bounded_block(Task& p, uint64_t timeout_ns) {
  if (!timeout_ns) return kBlock;
  const uint64_t deadline = p.deadline_for(timeout_ns);
  if (Task::now_ns() >= deadline) return -LX_EAGAIN;
  p.wake_at(deadline);
  return kBlock;
}

int64_t epipe(Task& p) {
  p.k.signal_task(p, LSIGPIPE, make_siginfo(LSIGPIPE, LSI_USER, p.pid, p.uid));  // send_sig(SIGPIPE, current, 0): SI_USER from itself
  return -LX_EPIPE;
}

namespace {

constexpr uint64_t kMaxRw = 0x7ffff000;  // Linux caps one read/write at this many bytes
constexpr uint64_t kChunk = 1 << 16;

// Reads from a description into guest memory. off < 0: use and advance the position.
int64_t do_read(Task& p, OpenFile& f, uint64_t buf, uint64_t n, int64_t off) {
  if (!f.readable()) return -LX_EBADF;
  if (!access_ok(buf, n)) return -LX_EFAULT;
  if (f.node->is_dir()) return -LX_EISDIR;
  n = std::min(n, kMaxRw);
  const bool stream = f.node->is_stream();
  uint64_t pos = off >= 0 ? (uint64_t)off : f.pos;
  uint64_t got = 0;
  std::vector<uint8_t> tmp(std::min<uint64_t>(std::max<uint64_t>(n, 1), kChunk));
  while (got < n) {
    const uint64_t k = std::min<uint64_t>(n - got, tmp.size());
    int64_t r = file_read(p.k.phys->shared, *f.node, pos, tmp.data(), k, f.flags);
    if (r == kBlock && !got) return bounded_block(p, f.node->wait_timeout_ns(false));
    if (r < 0) return got ? (int64_t)got : r;  // kBlock parks the caller (nothing read yet)
    if (r > 0) {
      const uint64_t c = put_prefix(p, buf + got, tmp.data(), (uint64_t)r);
      got += c;
      pos += c;  // (a stream's bytes past the fault are lost, as on Linux)
      if (c < (uint64_t)r) {
        if (!got) return -LX_EFAULT;
        break;
      }
    }
    if ((uint64_t)r < k || stream) break;
  }
  if (off < 0 && !stream) f.pos = pos;
  return (int64_t)got;
}

// The guest buffers of one write/writev, as (address, length) pieces. Guest memory is
// copied a chunk at a time while writing: nothing is allocated from a guest-chosen size.
struct GuestBufs {
  std::vector<lx_iovec> v;
  uint64_t total = 0;
  // Copies bytes [off, off + k) into dst; returns how many could be read (short on a fault).
  uint64_t copy(Task& p, uint64_t off, uint8_t* dst, uint64_t k) const {
    uint64_t got = 0, base = 0;
    for (const auto& e : v) {
      if (got == k) break;
      if (off + got < base + e.len) {
        const uint64_t in = off + got - base, n = std::min<uint64_t>(e.len - in, k - got);
        if (!p.get(dst + got, e.base + in, (size_t)n)) {
          // Part of the piece may be readable: take the readable prefix, page by page.
          uint64_t a = e.base + in, left = n;
          while (left) {
            const uint64_t m = std::min<uint64_t>(left, PAGE - (a & (PAGE - 1)));
            if (!p.get(dst + got, a, (size_t)m)) return got;
            got += m; a += m; left -= m;
          }
          continue;
        }
        got += n;
      }
      base += e.len;
    }
    return got;
  }
};

// write(2)/writev(2) to a stream: completes as write_whole says. Guest bytes are read in
// chunks of kChunk as they are written: a bad buffer is EFAULT (or a short count after
// some bytes went), never a host allocation of the guest's length.
int64_t stream_write(Task& p, OpenFile& f, const GuestBufs& b) {
  const uint64_t n = b.total;
  return write_whole(p, *f.node, !(f.flags & LO_NONBLOCK), n, [&](uint64_t done) -> int64_t {
    std::vector<uint8_t> tmp(std::min<uint64_t>(std::max<uint64_t>(n - done, 1), kChunk));
    uint64_t wrote = 0;
    while (done + wrote < n) {
      const uint64_t k = std::min<uint64_t>(n - done - wrote, tmp.size());
      const uint64_t got = b.copy(p, done + wrote, tmp.data(), k);
      if (!got) return wrote ? (int64_t)wrote : -LX_EFAULT;
      const int64_t r = f.node->write(0, tmp.data(), got, f.flags);
      if (r == -LX_EPIPE) { epipe(p); return wrote ? (int64_t)wrote : -LX_EPIPE; }  // SIGPIPE even when part was written
      if (r < 0) return wrote ? (int64_t)wrote : r;  // kBlock too: the caller parks
      wrote += (uint64_t)r;
      if ((uint64_t)r < got || got < k) break;  // full, or the buffer ended in a fault
    }
    return (int64_t)wrote;
  });
}

int64_t do_write(Task& p, OpenFile& f, uint64_t buf, uint64_t n, int64_t off) {
  if (!f.writable()) return -LX_EBADF;
  if (!access_ok(buf, n)) return -LX_EFAULT;
  if (f.node->is_dir()) return -LX_EISDIR;
  n = std::min(n, kMaxRw);
  if (f.node->is_stream()) {
    GuestBufs b;
    b.v.push_back(lx_iovec{buf, n});
    b.total = n;
    return stream_write(p, f, b);
  }
  uint64_t pos = off >= 0 ? (uint64_t)off : f.pos;
  if (off < 0 && (f.flags & LO_APPEND)) {
    Stat st;
    if (f.node->getattr(st) == 0) pos = (uint64_t)st.size;
  }
  uint64_t done = 0;
  std::vector<uint8_t> tmp(std::min<uint64_t>(std::max<uint64_t>(n, 1), kChunk));
  while (done < n || n == 0) {
    const uint64_t k = std::min<uint64_t>(n - done, tmp.size());
    if (k && !p.get(tmp.data(), buf + done, (size_t)k)) return done ? (int64_t)done : -LX_EFAULT;
    int64_t r = file_write(p.k.phys->shared, *f.node, pos, tmp.data(), k, f.flags);
    if (r == kBlock) return done ? (int64_t)done : kBlock;
    if (r == -LX_EPIPE) return done ? (int64_t)done : epipe(p);
    if (r < 0) return done ? (int64_t)done : r;
    done += (uint64_t)r;
    pos += (uint64_t)r;
    if ((uint64_t)r < k || n == 0) break;
  }
  if (off < 0) f.pos = pos;
  return (int64_t)done;
}

SYS(read) {
  GET_FILE(f, 0);
  return do_read(p, *f, a[1], a[2], -1);
}
SYS(write) {
  GET_FILE(f, 0);
  return do_write(p, *f, a[1], a[2], -1);
}
SYS(pread64) {
  GET_FILE(f, 0);
  if ((int64_t)a[3] < 0) return -LX_EINVAL;
  if (f->node->is_stream()) return -LX_ESPIPE;
  return do_read(p, *f, a[1], a[2], (int64_t)a[3]);
}
SYS(pwrite64) {
  GET_FILE(f, 0);
  if ((int64_t)a[3] < 0) return -LX_EINVAL;
  if (f->node->is_stream()) return -LX_ESPIPE;
  return do_write(p, *f, a[1], a[2], (int64_t)a[3]);
}

// readv/writev and the p- variants. Linux's checks come first: more than UIO_MAXIOV
// (1024) vectors or a negative length is EINVAL, a segment reaching past user space
// EFAULT (so no sum can wrap); the total is then clamped to MAX_RW_COUNT by shortening
// the vector.
int64_t do_readv(Task& p, OpenFile& f, uint64_t iov, uint64_t cnt, int64_t off, bool write) {
  if (cnt > 1024) return -LX_EINVAL;
  std::vector<lx_iovec> v(cnt);
  if (cnt && !p.get(v.data(), iov, cnt * sizeof(lx_iovec))) return -LX_EFAULT;
  for (auto& e : v) {  // as Linux's import_iovec, segment by segment
    if ((int64_t)e.len < 0) return -LX_EINVAL;
    if (!access_ok(e.base, e.len)) return -LX_EFAULT;
  }
  uint64_t room = kMaxRw;
  for (auto& e : v) {
    e.len = std::min<uint64_t>(e.len, room);
    room -= e.len;
  }
  if (write && f.node->is_stream()) {
    // One write for the whole vector, so a line written with writev reaches the
    // terminal whole.
    if (!f.writable()) return -LX_EBADF;
    GuestBufs b;
    b.total = kMaxRw - room;
    b.v = std::move(v);
    return stream_write(p, f, b);
  }
  int64_t done = 0;
  for (auto& e : v) {
    if (!e.len) continue;
    const int64_t r = write ? do_write(p, f, e.base, e.len, off >= 0 ? off + done : -1)
                            : do_read(p, f, e.base, e.len, off >= 0 ? off + done : -1);
    if (r < 0) return done ? done : r;
    done += r;
    if ((uint64_t)r < e.len) break;
  }
  return done;
}

SYS(readv) {
  GET_FILE(f, 0);
  if (!f->readable()) return -LX_EBADF;
  return do_readv(p, *f, a[1], a[2], -1, false);
}
SYS(writev) {
  GET_FILE(f, 0);
  if (!f->writable()) return -LX_EBADF;
  return do_readv(p, *f, a[1], a[2], -1, true);
}
SYS(preadv) {
  GET_FILE(f, 0);
  if (f->node->is_stream()) return -LX_ESPIPE;
  return do_readv(p, *f, a[1], a[2], (int64_t)a[3], false);
}
SYS(pwritev) {
  GET_FILE(f, 0);
  if (f->node->is_stream()) return -LX_ESPIPE;
  return do_readv(p, *f, a[1], a[2], (int64_t)a[3], true);
}

// ---- open / close --------------------------------------------------------------------

int64_t do_open(Task& p, int dirfd, const std::string& path, uint32_t flags, uint32_t mode) {
  if ((flags & LO_TMPFILE) == LO_TMPFILE) return -LX_EOPNOTSUPP;
  if (path.empty()) return -LX_ENOENT;
  Loc loc;
  if ((flags & LO_CREAT) && !(flags & LO_PATH)) {
    std::string cur_path = path;
    Loc base_dir;
    int dfd = dirfd;
    for (int hops = 0;; hops++) {
      if (hops > Vfs::kMaxSymlinks) return -LX_ELOOP;
      Loc dir;
      std::string last;
      bool trailing = false;
      int e = hops == 0 ? p.resolve_parent_at(dfd, cur_path, dir, last, &trailing)
                        : p.k.vfs.resolve_parent(p.root, base_dir, cur_path, dir, last, &trailing);
      if (e < 0) return e;
      if (last.empty() || last == "." || last == ".." || trailing) return -LX_EISDIR;
      InodeRef child;
      e = dir.node->lookup(last, child);
      if (e == 0) {
        if (flags & LO_EXCL) return -LX_EEXIST;
        if (child->is_symlink()) {
          if (flags & LO_NOFOLLOW) return -LX_ELOOP;
          Loc magic;
          if (child->magic_follow(magic)) { loc = magic; break; }
          std::string target;
          e = child->readlink(target);
          if (e < 0) return e;
          // Follow: if the target exists, open it; if it dangles, create it.
          Loc t;
          ResolveOpts o;
          e = p.k.vfs.resolve(p.root, dir, target, o, t);
          if (e == 0) { loc = t; break; }
          if (e != -LX_ENOENT) return e;
          cur_path = target;
          base_dir = dir;
          continue;
        }
        // Mount points: look through.
        Loc full;
        ResolveOpts o;
        o.follow = false;
        e = p.k.vfs.resolve(p.root, dir, last, o, full);
        if (e < 0) return e;
        loc = full;
        break;
      }
      if (e != -LX_ENOENT) return e;
      InodeRef created;
      e = dir.node->create(last, (mode & 07777) & ~p.umask, created);
      if (e < 0) return e;
      loc = Loc{created, Vfs::join(dir.path, last)};
      flags &= ~LO_TRUNC;
      break;
    }
  } else {
    int e = p.resolve_at(dirfd, path, !(flags & LO_NOFOLLOW), loc, false, (flags & LO_DIRECTORY) != 0);
    if (e < 0) return e;
    if ((flags & LO_NOFOLLOW) && loc.node->is_symlink() && !(flags & LO_PATH)) return -LX_ELOOP;
  }
  if ((flags & LO_DIRECTORY) && !loc.node->is_dir()) return -LX_ENOTDIR;
  if (loc.node->is_dir() && !(flags & LO_PATH) && ((flags & LO_ACCMODE) != LO_RDONLY || (flags & LO_CREAT)))
    return -LX_EISDIR;
  const uint32_t keep = flags & ~(LO_CREAT | LO_EXCL | LO_CLOEXEC);  // O_NOCTTY reaches on_open only
  FileRef f;
  int e = open_inode(p.k.phys->shared, loc, keep | LO_LARGEFILE, f);
  if (e < 0) return e;
  f->flags &= ~LO_TRUNC;
  return p.fds.alloc(f, (flags & LO_CLOEXEC) != 0);
}

SYS(open) {
  GET_PATH(path, 0);
  return do_open(p, LAT_FDCWD, path, (uint32_t)a[1], (uint32_t)a[2]);
}
SYS(openat) {
  GET_PATH(path, 1);
  return do_open(p, arg_int(a, 0), path, (uint32_t)a[2], (uint32_t)a[3]);
}
SYS(creat) {
  GET_PATH(path, 0);
  return do_open(p, LAT_FDCWD, path, LO_CREAT | LO_WRONLY | LO_TRUNC, (uint32_t)a[1]);
}
SYS(close) { return p.fds.close(arg_int(a, 0)); }
SYS(close_range) {
  const uint32_t first = (uint32_t)a[0], last = (uint32_t)a[1], flags = (uint32_t)a[2];
  if (first > last) return -LX_EINVAL;
  if (flags & ~6u) return -LX_EINVAL;
  for (int fd : p.fds.list()) {
    if ((uint32_t)fd < first || (uint32_t)fd > last) continue;
    if (flags & 4) p.fds.set_cloexec(fd, true);  // CLOSE_RANGE_CLOEXEC
    else p.fds.close(fd);
  }
  return 0;
}

SYS(lseek) {
  GET_FILE(f, 0);
  const int64_t off = (int64_t)a[1];
  const int whence = arg_int(a, 2);
  if (f->node->is_stream()) return f->node->seek(off, whence);
  int64_t base;
  if (f->node->is_dir()) {
    if (whence != 0 && whence != 1) return -LX_EINVAL;
    base = whence == 0 ? 0 : (int64_t)f->pos;
    if (base + off < 0) return -LX_EINVAL;
    f->pos = (uint64_t)(base + off);
    if (f->pos == 0) f->dir_loaded = false;  // rewinddir: see new entries
    return (int64_t)f->pos;
  }
  Stat st;
  switch (whence) {
    case 0: base = 0; break;
    case 1: base = (int64_t)f->pos; break;
    case 2: {
      int e = f->node->getattr(st);
      if (e < 0) return e;
      base = st.size;
      break;
    }
    case 3: case 4: {  // SEEK_DATA / SEEK_HOLE: the whole file is data
      int e = f->node->getattr(st);
      if (e < 0) return e;
      if (off < 0 || off >= st.size) return -LX_ENXIO;
      f->pos = (uint64_t)(whence == 3 ? off : st.size);
      return (int64_t)f->pos;
    }
    default: return -LX_EINVAL;
  }
  if (base + off < 0 || (off > 0 && base + off < base)) return -LX_EINVAL;
  f->pos = (uint64_t)(base + off);
  return (int64_t)f->pos;
}

// ---- dup -----------------------------------------------------------------------------

SYS(dup) {
  GET_FILE(f, 0);
  return p.fds.alloc(f, false);
}
SYS(dup2) {
  GET_FILE(f, 0);
  const int nfd = arg_int(a, 1);
  if (nfd == arg_int(a, 0)) return nfd;
  return p.fds.install(nfd, f, false);
}
SYS(dup3) {
  GET_FILE(f, 0);
  const int nfd = arg_int(a, 1);
  if ((uint32_t)a[2] & ~LO_CLOEXEC) return -LX_EINVAL;
  if (nfd == arg_int(a, 0)) return -LX_EINVAL;
  return p.fds.install(nfd, f, ((uint32_t)a[2] & LO_CLOEXEC) != 0);
}

// ---- pipes ---------------------------------------------------------------------------

int64_t do_pipe(Task& p, uint64_t out, uint32_t flags) {
  if (flags & ~(LO_CLOEXEC | LO_NONBLOCK | LO_DIRECT)) return -LX_EINVAL;
  InodeRef r, w;
  make_pipe(p.k.anon, r, w);
  FileRef fr, fw;
  open_inode(p.k.phys->shared, Loc{r, ""}, LO_RDONLY | (flags & LO_NONBLOCK), fr);
  open_inode(p.k.phys->shared, Loc{w, ""}, LO_WRONLY | (flags & LO_NONBLOCK), fw);
  const bool ce = (flags & LO_CLOEXEC) != 0;
  const int a0 = p.fds.alloc(fr, ce);
  if (a0 < 0) return a0;
  const int a1 = p.fds.alloc(fw, ce);
  if (a1 < 0) { p.fds.close(a0); return a1; }
  const int32_t v[2] = {a0, a1};
  if (!p.put(out, v, sizeof v)) {
    p.fds.close(a0);
    p.fds.close(a1);
    return -LX_EFAULT;
  }
  return 0;
}
SYS(pipe) { return do_pipe(p, a[0], 0); }
SYS(pipe2) { return do_pipe(p, a[0], (uint32_t)a[1]); }

// ---- fcntl / ioctl -------------------------------------------------------------------

SYS(fcntl) {
  const int fd = arg_int(a, 0);
  GET_FILE(f, 0);
  const int cmd = arg_int(a, 1);
  const uint64_t arg = a[2];
  switch (cmd) {
    case LF_DUPFD: case LF_DUPFD_CLOEXEC:
      if ((int64_t)(int32_t)arg < 0) return -LX_EINVAL;
      return p.fds.alloc(f, cmd == LF_DUPFD_CLOEXEC, (int)(int32_t)arg);
    case LF_GETFD: return p.fds.cloexec(fd) ? LFD_CLOEXEC : 0;
    case LF_SETFD: p.fds.set_cloexec(fd, (arg & LFD_CLOEXEC) != 0); return 0;
    case LF_GETFL: return f->flags & ~(LO_TRUNC);
    case LF_SETFL: {
      const uint32_t changeable = LO_APPEND | LO_NONBLOCK | LO_ASYNC | LO_DIRECT | LO_NOATIME;
      f->flags = (f->flags & ~changeable) | ((uint32_t)arg & changeable);
      return 0;
    }
    case LF_GETLK: case LF_OFD_GETLK: {
      // struct flock starts with short l_type: nothing else holds a lock -> F_UNLCK (2).
      const int16_t unlck = 2;
      return p.put(arg, &unlck, 2) ? 0 : -LX_EFAULT;
    }
    case LF_SETLK: case LF_SETLKW: case LF_OFD_SETLK: case LF_OFD_SETLKW: return 0;
    case LF_GETOWN: return 0;
    case LF_SETOWN: return 0;
    case LF_GETPIPE_SZ: return pipe_capacity(*f->node, 0);
    case LF_SETPIPE_SZ:
      if ((int64_t)(int32_t)arg <= 0) return (int32_t)arg == 0 ? pipe_capacity(*f->node, 1) : -LX_EINVAL;
      return pipe_capacity(*f->node, (uint32_t)arg);
    case LF_GET_SEALS: case LF_ADD_SEALS: return -LX_EINVAL;
    case LF_SETLEASE: case LF_GETLEASE: case LF_NOTIFY: return -LX_EINVAL;
    case LF_GETSIG: return 0;
    case LF_SETSIG: return 0;
    default: return -LX_EINVAL;
  }
}

SYS(ioctl) {
  const int fd = arg_int(a, 0);
  GET_FILE(f, 0);
  const uint32_t req = (uint32_t)a[1];
  switch (req) {
    case 0x5451: p.fds.set_cloexec(fd, true); return 0;   // FIOCLEX
    case 0x5450: p.fds.set_cloexec(fd, false); return 0;  // FIONCLEX
    case 0x5421: {                                        // FIONBIO
      int32_t on;
      if (!p.get(&on, a[2], 4)) return -LX_EFAULT;
      if (on) f->flags |= LO_NONBLOCK;
      else f->flags &= ~LO_NONBLOCK;
      return 0;
    }
    case 0x541b: {  // FIONREAD
      if (f->node->is_dir()) return -LX_EINVAL;
      int64_t n = f->node->readable_bytes(f->pos);
      if (n < 0) return n;
      int32_t v = (int32_t)std::min<int64_t>(n, 0x7fffffff);
      return p.put(a[2], &v, 4) ? 0 : -LX_EFAULT;
    }
    default: return f->node->ioctl(req, a[2], *p.mem);
  }
}

// ---- poll / select -------------------------------------------------------------------

// Fills revents; returns the number of ready entries. Host fds (the CLI's stdin) are
// noted so that a parked poll is woken by host input.
int poll_once(Task& p, std::vector<lx_pollfd>& v) {
  int ready = 0;
  for (auto& e : v) {
    e.revents = 0;
    if (e.fd < 0) continue;
    FileRef f = p.fds.get(e.fd);
    if (!f) { e.revents = (int16_t)LPOLLNVAL; ready++; continue; }
    const uint32_t r = f->node->poll((uint16_t)e.events | LPOLLERR | LPOLLHUP);
    e.revents = (int16_t)(r & ((uint16_t)e.events | LPOLLERR | LPOLLHUP | LPOLLNVAL));
    if (e.revents) ready++;
    const int hfd = host_fd_of(*f->node);
    if (hfd >= 0) p.k.waits.note_host_wait(hfd, (short)(e.events & (LPOLLIN | LPOLLOUT | LPOLLPRI)));
  }
  return ready;
}

// The waiting part of poll/select: 0 to report now (ready or timed out), or kBlock.
int64_t wait_or_timeout(Task& p, int ready, int64_t timeout_ns) {
  if (ready || timeout_ns == 0) return 0;
  if (timeout_ns > 0) {
    const uint64_t deadline = p.deadline_for((uint64_t)timeout_ns);
    if (Task::now_ns() >= deadline) return 0;
    p.wake_at(deadline);
  }
  return kBlock;
}

int64_t do_poll(Task& p, uint64_t addr, uint64_t n, int64_t timeout_ns) {
  if (n > (uint64_t)p.fds.max_fds) return -LX_EINVAL;
  std::vector<lx_pollfd> v(n);
  if (n && !p.get(v.data(), addr, n * sizeof(lx_pollfd))) return -LX_EFAULT;
  const int ready = poll_once(p, v);
  const int64_t w = wait_or_timeout(p, ready, timeout_ns);
  if (w == kBlock) return kBlock;
  if (n && !p.put(addr, v.data(), n * sizeof(lx_pollfd))) return -LX_EFAULT;
  return ready;
}

SYS(poll) {
  const int32_t t = arg_int(a, 2);
  return do_poll(p, a[0], a[1], t < 0 ? -1 : (int64_t)t * 1000000);
}
SYS(ppoll) {
  int64_t t = -1;
  if (a[2]) {
    lx_timespec ts;
    if (!p.get(&ts, a[2], sizeof ts)) return -LX_EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -LX_EINVAL;
    t = lx_ns(ts);
  }
  const int e = set_temp_sigmask(p, a[3], a[4]);
  if (e < 0) return e;
  return do_poll(p, a[0], a[1], t);
}

int64_t do_select(Task& p, int n, uint64_t rp, uint64_t wp, uint64_t ep, int64_t timeout_ns) {
  if (n < 0) return -LX_EINVAL;
  if (n > p.fds.max_fds) n = p.fds.max_fds;
  const size_t words = ((size_t)n + 63) / 64;
  std::vector<uint64_t> r(words), w(words), e(words);
  if (rp && !p.get(r.data(), rp, ((size_t)n + 7) / 8)) return -LX_EFAULT;
  if (wp && !p.get(w.data(), wp, ((size_t)n + 7) / 8)) return -LX_EFAULT;
  if (ep && !p.get(e.data(), ep, ((size_t)n + 7) / 8)) return -LX_EFAULT;
  std::vector<lx_pollfd> v;
  for (int fd = 0; fd < n; fd++) {
    const uint64_t bit = 1ull << (fd % 64);
    int16_t ev = 0;
    if (rp && (r[(size_t)fd / 64] & bit)) ev |= LPOLLIN;
    if (wp && (w[(size_t)fd / 64] & bit)) ev |= LPOLLOUT;
    if (ep && (e[(size_t)fd / 64] & bit)) ev |= LPOLLPRI;
    if (ev) {
      if (!p.fds.get(fd)) return -LX_EBADF;
      v.push_back({fd, ev, 0});
    }
  }
  const int ready = poll_once(p, v);
  if (wait_or_timeout(p, ready, timeout_ns) == kBlock) return kBlock;
  std::fill(r.begin(), r.end(), 0);
  std::fill(w.begin(), w.end(), 0);
  std::fill(e.begin(), e.end(), 0);
  int count = 0;
  for (auto& x : v) {
    const uint64_t bit = 1ull << (x.fd % 64);
    if ((x.events & LPOLLIN) && (x.revents & (LPOLLIN | LPOLLHUP | LPOLLERR))) { r[(size_t)x.fd / 64] |= bit; count++; }
    if ((x.events & LPOLLOUT) && (x.revents & (LPOLLOUT | LPOLLERR))) { w[(size_t)x.fd / 64] |= bit; count++; }
    if ((x.events & LPOLLPRI) && (x.revents & LPOLLPRI)) { e[(size_t)x.fd / 64] |= bit; count++; }
  }
  if (rp && !p.put(rp, r.data(), ((size_t)n + 7) / 8)) return -LX_EFAULT;
  if (wp && !p.put(wp, w.data(), ((size_t)n + 7) / 8)) return -LX_EFAULT;
  if (ep && !p.put(ep, e.data(), ((size_t)n + 7) / 8)) return -LX_EFAULT;
  return count;
}

SYS(select) {
  int64_t t = -1;
  if (a[4]) {
    lx_timeval tv;
    if (!p.get(&tv, a[4], sizeof tv)) return -LX_EFAULT;
    if (tv.tv_sec < 0 || tv.tv_usec < 0) return -LX_EINVAL;
    t = lx_ns(tv);
  }
  return do_select(p, arg_int(a, 0), a[1], a[2], a[3], t);
}
SYS(pselect6) {
  int64_t t = -1;
  if (a[4]) {
    lx_timespec ts;
    if (!p.get(&ts, a[4], sizeof ts)) return -LX_EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -LX_EINVAL;
    t = lx_ns(ts);
  }
  if (a[5]) {
    uint64_t ms[2];  // { const sigset_t *ss; size_t ss_len; }
    if (!p.get(ms, a[5], sizeof ms)) return -LX_EFAULT;
    const int e = set_temp_sigmask(p, ms[0], ms[1]);
    if (e < 0) return e;
  }
  return do_select(p, arg_int(a, 0), a[1], a[2], a[3], t);
}

// ---- misc ----------------------------------------------------------------------------

// Copies up to `len` bytes from one description to another: sendfile, splice and
// copy_file_range. in_off/out_off: explicit positions, advanced (nullptr: the
// descriptions' own positions; O_APPEND output goes to the end).
int64_t copy_data(Task& p, OpenFile& in, int64_t* in_off, OpenFile& out, int64_t* out_off, uint64_t len) {
  uint64_t left = std::min<uint64_t>(len, kMaxRw);
  std::vector<uint8_t> buf(std::min<uint64_t>(std::max<uint64_t>(left, 1), kChunk));
  uint64_t ip = in_off ? (uint64_t)*in_off : in.pos;
  uint64_t op = out_off ? (uint64_t)*out_off : out.pos;
  int64_t total = 0;
  while (left) {
    const uint64_t k = std::min<uint64_t>(left, buf.size());
    const int64_t r = file_read(p.k.phys->shared, *in.node, ip, buf.data(), k, in.flags);
    if (r < 0) { if (!total) return r; break; }  // kBlock parks a call that copied nothing
    if (r == 0) break;
    if (!out_off && !out.node->is_stream() && (out.flags & LO_APPEND)) {
      Stat st;
      if (out.node->getattr(st) == 0) op = (uint64_t)st.size;
    }
    const int64_t w = file_write(p.k.phys->shared, *out.node, op, buf.data(), (uint64_t)r, out.flags);
    if (w == -LX_EPIPE) return total ? total : epipe(p);
    if (w < 0) { if (!total) return w; break; }
    if (!in.node->is_stream()) ip += (uint64_t)w;
    if (!out.node->is_stream()) op += (uint64_t)w;
    total += w;
    left -= (uint64_t)w;
    if (w < r) break;
  }
  if (in_off) *in_off = (int64_t)ip;
  else if (!in.node->is_stream()) in.pos = ip;
  if (out_off) *out_off = (int64_t)op;
  else if (!out.node->is_stream()) out.pos = op;
  return total;
}

// Reads an optional loff_t argument: 0 (absent), 1 (read into v) or -errno.
int get_off(Task& p, uint64_t addr, int64_t& v) {
  if (!addr) return 0;
  if (!p.get(&v, addr, 8)) return -LX_EFAULT;
  return v < 0 ? -LX_EINVAL : 1;
}

SYS(sendfile) {
  GET_FILE(out, 0);
  GET_FILE(in, 1);
  if (!in->readable() || !out->writable()) return -LX_EBADF;
  if (in->node->is_dir()) return -LX_EISDIR;
  int64_t off = 0;
  const int h = get_off(p, a[2], off);
  if (h < 0) return h;
  const int64_t r = copy_data(p, *in, h ? &off : nullptr, *out, nullptr, a[3]);
  if (r >= 0 && h && !p.put(a[2], &off, 8)) return -LX_EFAULT;
  return r;
}

SYS(splice) {
  GET_FILE(in, 0);
  GET_FILE(out, 2);
  if (a[5] & ~0xfull) return -LX_EINVAL;
  if (!in->readable() || !out->writable()) return -LX_EBADF;
  const bool in_pipe = is_guest_pipe(*in->node), out_pipe = is_guest_pipe(*out->node);
  if (!in_pipe && !out_pipe) return -LX_EINVAL;  // one end must be a pipe
  if ((in_pipe && a[1]) || (out_pipe && a[3])) return -LX_ESPIPE;
  int64_t ioff = 0, ooff = 0;
  const int hi = get_off(p, a[1], ioff), ho = get_off(p, a[3], ooff);
  if (hi < 0) return hi;
  if (ho < 0) return ho;
  if (a[4] == 0) return 0;
  const int64_t r = copy_data(p, *in, hi ? &ioff : nullptr, *out, ho ? &ooff : nullptr, a[4]);
  if (r >= 0 && hi && !p.put(a[1], &ioff, 8)) return -LX_EFAULT;
  if (r >= 0 && ho && !p.put(a[3], &ooff, 8)) return -LX_EFAULT;
  return r;
}

SYS(copy_file_range) {
  GET_FILE(in, 0);
  GET_FILE(out, 2);
  if (a[5] != 0) return -LX_EINVAL;
  if (!in->readable() || !out->writable() || (out->flags & LO_APPEND)) return -LX_EBADF;
  if (!in->node->is_reg() || !out->node->is_reg()) return in->node->is_dir() || out->node->is_dir() ? -LX_EISDIR : -LX_EINVAL;
  int64_t ioff = 0, ooff = 0;
  const int hi = get_off(p, a[1], ioff), ho = get_off(p, a[3], ooff);
  if (hi < 0) return hi;
  if (ho < 0) return ho;
  const int64_t r = copy_data(p, *in, hi ? &ioff : nullptr, *out, ho ? &ooff : nullptr, a[4]);
  if (r >= 0 && hi && !p.put(a[1], &ioff, 8)) return -LX_EFAULT;
  if (r >= 0 && ho && !p.put(a[3], &ooff, 8)) return -LX_EFAULT;
  return r;
}

SYS(readahead) {
  GET_FILE(f, 0);
  return f->node->is_reg() ? 0 : -LX_EINVAL;
}

SYS(fsync) {
  GET_FILE(f, 0);
  const int e = p.k.phys->shared.sync(f->node->page_key());  // stores through MAP_SHARED maps
  const int e2 = f->node->fsync();
  return e < 0 ? e : e2;
}
SYS(ftruncate) {
  GET_FILE(f, 0);
  if ((int64_t)a[1] < 0) return -LX_EINVAL;
  if (!f->writable() || !f->node->is_reg()) return -LX_EINVAL;
  return file_truncate(p.k.phys->shared, *f->node, a[1]);
}
SYS(fadvise64) {
  GET_FILE(f, 0);
  if (f->node->ftype() == LS_IFIFO) return -LX_ESPIPE;
  return 0;
}
SYS(flock) {
  GET_FILE(f, 0);
  return 0;
}
SYS(fallocate) {
  GET_FILE(f, 0);
  if (!f->writable()) return -LX_EBADF;
  if (a[1] != 0) return -LX_EOPNOTSUPP;
  Stat st;
  int e = f->node->getattr(st);
  if (e < 0) return e;
  const uint64_t end = a[2] + a[3];
  if ((int64_t)end > st.size) return f->node->truncate(end);
  return 0;
}

}  // namespace

void register_sys_file(SyscallTable& t) {
  t.add(0, "read", sys_read, {FD(), K(A_BUF_OUT, 2), U()});
  t.add(1, "write", sys_write, {FD(), K(A_BUF_IN, 2), U()});
  t.add(2, "open", sys_open, {K(A_PATH), K(A_OPEN_FLAGS), K(A_OCT)});
  t.add(3, "close", sys_close, {FD()});
  t.add(7, "poll", sys_poll, {K(A_POLLFDS, 1), U(), I()});
  t.add(8, "lseek", sys_lseek, {FD(), L(), K(A_WHENCE)});
  t.add(16, "ioctl", sys_ioctl, {FD(), K(A_IOCTL_REQ), P()});
  t.add(17, "pread64", sys_pread64, {FD(), K(A_BUF_OUT, 2), U(), L()});
  t.add(18, "pwrite64", sys_pwrite64, {FD(), K(A_BUF_IN, 2), U(), L()});
  t.add(19, "readv", sys_readv, {FD(), K(A_IOV_OUT, 2), I()});
  t.add(20, "writev", sys_writev, {FD(), K(A_IOV_IN, 2), I()});
  t.add(22, "pipe", sys_pipe, {K(A_PIPEFDS)});
  t.add(23, "select", sys_select, {I(), P(), P(), P(), P()});
  t.add(32, "dup", sys_dup, {FD()});
  t.add(33, "dup2", sys_dup2, {FD(), FD()});
  t.add(40, "sendfile", sys_sendfile, {FD(), FD(), P(), U()});
  t.add(72, "fcntl", sys_fcntl, {FD(), K(A_FCNTL_CMD), H()});
  t.add(73, "flock", sys_flock, {FD(), I()});
  t.add(74, "fsync", sys_fsync, {FD()});
  t.add(75, "fdatasync", sys_fsync, {FD()});
  t.add(77, "ftruncate", sys_ftruncate, {FD(), L()});
  t.add(85, "creat", sys_creat, {K(A_PATH), K(A_OCT)});
  t.add(221, "fadvise64", sys_fadvise64, {FD(), L(), L(), I()});
  t.add(257, "openat", sys_openat, {K(A_DIRFD), K(A_PATH), K(A_OPEN_FLAGS), K(A_OCT)});
  t.add(270, "pselect6", sys_pselect6, {I(), P(), P(), P(), K(A_TIMESPEC), P()});
  t.add(271, "ppoll", sys_ppoll, {K(A_POLLFDS, 1), U(), K(A_TIMESPEC), P(), U()});
  t.add(285, "fallocate", sys_fallocate, {FD(), I(), L(), L()});
  t.add(292, "dup3", sys_dup3, {FD(), FD(), K(A_FD_FLAGS)});
  t.add(293, "pipe2", sys_pipe2, {K(A_PIPEFDS), K(A_FD_FLAGS)});
  t.add(295, "preadv", sys_preadv, {FD(), K(A_IOV_OUT, 2), I(), L()});
  t.add(296, "pwritev", sys_pwritev, {FD(), K(A_IOV_IN, 2), I(), L()});
  t.add(187, "readahead", sys_readahead, {FD(), L(), U()});
  t.add(275, "splice", sys_splice, {FD(), P(), FD(), P(), U(), H()});
  t.add(326, "copy_file_range", sys_copy_file_range, {FD(), P(), FD(), P(), U(), H()});
  t.add(436, "close_range", sys_close_range, {U(), U(), U()});
}

}  // namespace gb

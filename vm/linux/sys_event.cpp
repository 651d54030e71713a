// vm/linux/sys_event.cpp — event file descriptors: epoll (create, ctl, wait, pwait),
// eventfd, timerfd, pidfd_open/pidfd_send_signal; and memfd_create. All are anonymous inodes; their waits park the task (kBlock).
//
// Index
//   1. eventfd: a 64-bit counter (EFD_SEMAPHORE, EFD_NONBLOCK)
//   2. timerfd: expirations of a one-shot or periodic timer on MONOTONIC/REALTIME/BOOTTIME
//   3. epoll: an interest list of (fd, description) -> events; level-triggered readiness,
//      EPOLLONESHOT; EPOLLET is treated as level-triggered (correct for callers that
//      drain until EAGAIN, which edge-triggered callers must do anyway)
//   4. the syscalls
#include <algorithm>
#include <map>
#include <set>

#include "vm/fs/tmpfs.h"
#include "vm/linux/sys_common.h"

namespace gb {

namespace {

// Shared parts of the anonymous inodes here.
class AnonNode : public Inode {
 public:
  explicit AnonNode(AnonFs& fs) : fs_(fs), ino_(fs.next_ino()) {}
  FileSystem* fs() const override { return &fs_; }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return 0; }  // anon_inode: no type bits
  int getattr(Stat& st) override {
    st = Stat{};
    st.dev = fs_.dev();
    st.ino = ino_;
    st.mode = 0600;
    st.nlink = 1;
    st.blksize = 4096;
    return 0;
  }
  bool is_stream() const override { return true; }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }

 protected:
  Waits& waits() const { return fs_.waits; }
 public:
  AnonFs& anon_fs() const { return fs_; }

 private:
  AnonFs& fs_;
  uint64_t ino_;
};

// ---- 1. eventfd -----------------------------------------------------------------------
class EventFd : public AnonNode {
 public:
  EventFd(AnonFs& fs, uint64_t v, bool sem) : AnonNode(fs), count_(v), sem_(sem) {}
  int64_t read(uint64_t, void* buf, uint64_t n, uint32_t oflags) override {
    if (n < 8) return -LX_EINVAL;
    if (count_ == 0) return (oflags & LO_NONBLOCK) ? -LX_EAGAIN : kBlock;
    const uint64_t v = sem_ ? 1 : count_;
    count_ -= v;
    memcpy(buf, &v, 8);
    waits().wake();
    return 8;
  }
  int64_t write(uint64_t, const void* buf, uint64_t n, uint32_t oflags) override {
    if (n < 8) return -LX_EINVAL;
    uint64_t v;
    memcpy(&v, buf, 8);
    if (v == ~0ull) return -LX_EINVAL;
    if (~0ull - 1 - count_ < v) return (oflags & LO_NONBLOCK) ? -LX_EAGAIN : kBlock;
    count_ += v;
    waits().wake();
    return 8;
  }
  uint32_t poll(uint32_t events) override {
    uint32_t r = 0;
    if (count_ > 0) r |= LPOLLIN | LPOLLRDNORM;
    if (count_ < ~0ull - 1) r |= LPOLLOUT | LPOLLWRNORM;
    return r & (events | LPOLLERR | LPOLLHUP);
  }

 private:
  uint64_t count_;
  bool sem_;
};

// ---- 2. timerfd -----------------------------------------------------------------------
class TimerFd : public AnonNode {
 public:
  TimerFd(AnonFs& fs, int clock) : AnonNode(fs), clock_(clock) {}
  // Deadlines are kept on the host clock of the timer (ns).
  uint64_t now() const { return (uint64_t)host_clock_ns(clock_); }
  void update() {
    if (!next_) return;
    const uint64_t t = now();
    if (t < next_) return;
    if (interval_) {
      const uint64_t n = (t - next_) / interval_ + 1;
      ticks_ += n;
      next_ += n * interval_;
    } else {
      ticks_ += 1;
      next_ = 0;
    }
  }
  // Tells a parking caller when to look again (the timer's next expiry, monotonic).
  void note_wakeup() {
    if (!next_) return;
    const uint64_t t = now();
    waits().note_deadline(Task::now_ns() + (next_ > t ? next_ - t : 0));
  }
  int64_t read(uint64_t, void* buf, uint64_t n, uint32_t oflags) override {
    if (n < 8) return -LX_EINVAL;
    update();
    if (!ticks_) {
      if (oflags & LO_NONBLOCK) return -LX_EAGAIN;
      note_wakeup();
      return kBlock;
    }
    memcpy(buf, &ticks_, 8);
    ticks_ = 0;
    return 8;
  }
  uint32_t poll(uint32_t events) override {
    update();
    if (ticks_) return events & (LPOLLIN | LPOLLRDNORM);
    note_wakeup();
    return 0;
  }
  void set(uint64_t first_abs, uint64_t interval) {
    next_ = first_abs;
    interval_ = interval;
    ticks_ = 0;
    waits().wake();
  }
  void get(uint64_t& left, uint64_t& interval) {
    update();
    const uint64_t t = now();
    left = next_ ? (next_ > t ? next_ - t : 1) : 0;
    interval = interval_;
  }
  int clock_;
  uint64_t next_ = 0, interval_ = 0, ticks_ = 0;
};

// ---- 3. epoll -------------------------------------------------------------------------
struct lx_epoll_event {
  uint32_t events;
  uint64_t data;
} __attribute__((packed));

enum : uint32_t { LEPOLLIN = 1, LEPOLLPRI = 2, LEPOLLOUT = 4, LEPOLLERR = 8, LEPOLLHUP = 0x10, LEPOLLRDHUP = 0x2000,
                  LEPOLLEXCLUSIVE = 1u << 28, LEPOLLWAKEUP = 1u << 29, LEPOLLONESHOT = 1u << 30, LEPOLLET = 1u << 31 };

class EpollNode : public AnonNode {
 public:
  using AnonNode::AnonNode;
  struct Item {
    int fd;
    std::weak_ptr<OpenFile> file;
    uint32_t events;
    uint64_t data;
    bool disabled = false;  // EPOLLONESHOT fired
  };
  std::map<std::pair<int, OpenFile*>, Item> items;
  explicit EpollNode(AnonFs& fs) : AnonNode(fs) { fs.epolls.insert(this); }
  ~EpollNode() override { anon_fs().epolls.erase(this); }

  // Collects ready items (dropping those whose description is gone).
  int collect(std::vector<lx_epoll_event>* out, int max) {
    int n = 0;
    for (auto it = items.begin(); it != items.end();) {
      FileRef f = it->second.file.lock();
      if (!f) { it = items.erase(it); continue; }
      Item& e = it->second;
      ++it;
      if (e.disabled) continue;
      const uint32_t want = (e.events & (LEPOLLIN | LEPOLLPRI | LEPOLLOUT | LEPOLLRDHUP)) | LEPOLLERR | LEPOLLHUP;
      const uint32_t r = f->node->poll(want) & want;
      if (!r) continue;
      if (out) {
        if (n >= max) break;
        out->push_back({r, e.data});
        if (e.events & LEPOLLONESHOT) e.disabled = true;
      }
      n++;
    }
    return n;
  }
  uint32_t poll(uint32_t events) override {
    return collect(nullptr, 0) ? (events & (LPOLLIN | LPOLLRDNORM)) : 0;
  }
  int64_t read(uint64_t, void*, uint64_t, uint32_t) override { return -LX_EINVAL; }
  int64_t write(uint64_t, const void*, uint64_t, uint32_t) override { return -LX_EINVAL; }
};

int install(Task& p, InodeRef n, uint32_t flags, const char* name) {
  FileRef f;
  int e = open_inode(p.k.phys->shared, Loc{n, std::string("anon_inode:") + name}, LO_RDWR | (flags & LO_NONBLOCK), f);
  if (e < 0) return e;
  return p.fds.alloc(f, (flags & LO_CLOEXEC) != 0);
}

// ---- 4. syscalls ----------------------------------------------------------------------

SYS(eventfd2) {
  const uint32_t flags = (uint32_t)a[1];
  if (flags & ~(LO_CLOEXEC | LO_NONBLOCK | 1u)) return -LX_EINVAL;
  return install(p, std::make_shared<EventFd>(p.k.anon, (uint32_t)a[0], flags & 1), flags, "[eventfd]");
}
SYS(eventfd) { return install(p, std::make_shared<EventFd>(p.k.anon, (uint32_t)a[0], false), 0, "[eventfd]"); }

SYS(timerfd_create) {
  const int clock = arg_int(a, 0);
  const uint32_t flags = (uint32_t)a[1];
  if (clock != 0 && clock != 1 && clock != 7 && clock != 8 && clock != 9) return -LX_EINVAL;
  if (flags & ~(LO_CLOEXEC | LO_NONBLOCK)) return -LX_EINVAL;
  return install(p, std::make_shared<TimerFd>(p.k.anon, clock == 8 ? 0 : clock == 9 ? 7 : clock), flags, "[timerfd]");
}

TimerFd* timer_of(Task& p, int fd, FileRef& hold) {
  hold = p.fds.get(fd);
  return hold ? dynamic_cast<TimerFd*>(hold->node.get()) : nullptr;
}

struct lx_itimerspec { lx_timespec interval, value; };
uint64_t ts_ns(const lx_timespec& t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }
lx_timespec ns_ts(uint64_t ns) { return {(int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull)}; }

SYS(timerfd_settime) {
  FileRef hold;
  if (!p.fds.get(arg_int(a, 0))) return -LX_EBADF;
  TimerFd* t = timer_of(p, arg_int(a, 0), hold);
  if (!t) return -LX_EINVAL;
  lx_itimerspec nv;
  if (!p.get(&nv, a[2], sizeof nv)) return -LX_EFAULT;
  if (nv.value.tv_nsec < 0 || nv.value.tv_nsec >= 1000000000 || nv.interval.tv_nsec < 0 ||
      nv.interval.tv_nsec >= 1000000000 || nv.value.tv_sec < 0 || nv.interval.tv_sec < 0)
    return -LX_EINVAL;
  if (a[3]) {
    uint64_t left, iv;
    t->get(left, iv);
    lx_itimerspec old = {ns_ts(iv), ns_ts(left)};
    if (!p.put(a[3], &old, sizeof old)) return -LX_EFAULT;
  }
  const uint64_t v = ts_ns(nv.value);
  if (!v) t->set(0, 0);
  else if (a[1] & 1) t->set(v, ts_ns(nv.interval));  // TFD_TIMER_ABSTIME
  else t->set(t->now() + v, ts_ns(nv.interval));
  return 0;
}
SYS(timerfd_gettime) {
  FileRef hold;
  if (!p.fds.get(arg_int(a, 0))) return -LX_EBADF;
  TimerFd* t = timer_of(p, arg_int(a, 0), hold);
  if (!t) return -LX_EINVAL;
  uint64_t left, iv;
  t->get(left, iv);
  lx_itimerspec cur = {ns_ts(iv), ns_ts(left)};
  return p.put(a[1], &cur, sizeof cur) ? 0 : -LX_EFAULT;
}

SYS(epoll_create1) {
  const uint32_t flags = (uint32_t)a[0];
  if (flags & ~LO_CLOEXEC) return -LX_EINVAL;
  return install(p, std::make_shared<EpollNode>(p.k.anon), flags, "[eventpoll]");
}
SYS(epoll_create) {
  if (arg_int(a, 0) <= 0) return -LX_EINVAL;
  return install(p, std::make_shared<EpollNode>(p.k.anon), 0, "[eventpoll]");
}

// Nesting, as Linux checks it (ep_loop_check, EP_MAX_NESTS = 4): adding epoll `to` into
// `ep` is ELOOP if `ep` is reachable from `to` (a cycle, which would recurse forever) or
// if the longest chain of epoll-in-epoll edges through the new one would exceed 4.
constexpr int kMaxNests = 4;
constexpr int kLoop = 1 << 20;

EpollNode* as_epoll(const std::weak_ptr<OpenFile>& w) {
  FileRef f = w.lock();
  return f ? dynamic_cast<EpollNode*>(f->node.get()) : nullptr;
}
// Longest chain of edges below `n`; kLoop if `into` is reachable or it is too deep.
int depth_below(EpollNode* n, EpollNode* into, int depth) {
  int result = 0;
  for (auto& [k, item] : n->items) {
    EpollNode* c = as_epoll(item.file);
    if (!c) continue;
    if (c == into || depth > kMaxNests) return kLoop;
    result = std::max(result, depth_below(c, into, depth + 1) + 1);
    if (result > kMaxNests) return result;
  }
  return result;
}
// Longest chain of edges above `n` (epolls watching it, transitively). Chains are
// acyclic and at most kMaxNests long, which this check keeps true.
int depth_above(EpollNode* n, int depth) {
  if (depth > kMaxNests) return kLoop;
  int result = 0;
  for (Inode* i : n->anon_fs().epolls) {
    auto* up = static_cast<EpollNode*>(i);
    for (auto& [k, item] : up->items)
      if (as_epoll(item.file) == n) { result = std::max(result, depth_above(up, depth + 1) + 1); break; }
  }
  return result;
}
bool nesting_too_deep(EpollNode* ep, EpollNode* to) {
  const int below = depth_below(to, ep, 0);
  if (below > kMaxNests) return true;
  return below + 1 + depth_above(ep, 0) > kMaxNests;
}

EpollNode* epoll_of(Task& p, int fd, FileRef& hold, int64_t& err) {
  hold = p.fds.get(fd);
  if (!hold) { err = -LX_EBADF; return nullptr; }
  auto* e = dynamic_cast<EpollNode*>(hold->node.get());
  if (!e) err = -LX_EINVAL;
  return e;
}

SYS(epoll_ctl) {
  FileRef hold;
  int64_t err = 0;
  EpollNode* ep = epoll_of(p, arg_int(a, 0), hold, err);
  if (!ep) return err;
  const int op = arg_int(a, 1), fd = arg_int(a, 2);
  FileRef target = p.fds.get(fd);
  if (!target) return -LX_EBADF;
  if (target == hold) return -LX_EINVAL;
  if (target->node->is_reg() || target->node->is_dir()) return -LX_EPERM;  // always ready: Linux refuses
  lx_epoll_event ev{};
  if (op != 2 && !p.get(&ev, a[3], sizeof ev)) return -LX_EFAULT;
  const auto key = std::make_pair(fd, target.get());
  auto it = ep->items.find(key);
  switch (op) {
    case 1:  // EPOLL_CTL_ADD
      if (auto* to = dynamic_cast<EpollNode*>(target->node.get()); to && nesting_too_deep(ep, to)) return -LX_ELOOP;
      if (it != ep->items.end()) return -LX_EEXIST;
      ep->items[key] = EpollNode::Item{fd, target, ev.events, ev.data};
      break;
    case 2:  // EPOLL_CTL_DEL
      if (it == ep->items.end()) return -LX_ENOENT;
      ep->items.erase(it);
      break;
    case 3:  // EPOLL_CTL_MOD
      if (it == ep->items.end()) return -LX_ENOENT;
      it->second.events = ev.events;
      it->second.data = ev.data;
      it->second.disabled = false;
      break;
    default: return -LX_EINVAL;
  }
  p.k.waits.wake();
  return 0;
}

int64_t do_epoll_wait(Task& p, int epfd, uint64_t events, int max, int64_t timeout_ns) {
  FileRef hold;
  int64_t err = 0;
  EpollNode* ep = epoll_of(p, epfd, hold, err);
  if (!ep) return err;
  if (max <= 0 || max > (1 << 20)) return -LX_EINVAL;
  std::vector<lx_epoll_event> out;
  const int n = ep->collect(&out, max);
  if (n == 0 && timeout_ns != 0) {
    if (timeout_ns > 0) {
      const uint64_t deadline = p.deadline_for((uint64_t)timeout_ns);
      if (Task::now_ns() < deadline) {
        p.wake_at(deadline);
        return kBlock;
      }
    } else {
      return kBlock;
    }
  }
  if (!out.empty() && !p.put(events, out.data(), out.size() * sizeof(lx_epoll_event))) return -LX_EFAULT;
  return (int64_t)out.size();
}

SYS(epoll_wait) {
  const int t = arg_int(a, 3);
  return do_epoll_wait(p, arg_int(a, 0), a[1], arg_int(a, 2), t < 0 ? -1 : (int64_t)t * 1000000);
}
SYS(epoll_pwait) {
  const int e = set_temp_sigmask(p, a[4], a[5]);
  if (e < 0) return e;
  const int t = arg_int(a, 3);
  return do_epoll_wait(p, arg_int(a, 0), a[1], arg_int(a, 2), t < 0 ? -1 : (int64_t)t * 1000000);
}

// pidfd_open: a descriptor for a process; readable once it has exited.
class PidFd : public AnonNode {
 public:
  PidFd(Kernel& k, int pid) : AnonNode(k.anon), k_(k), pid_(pid) {}
  int pid() const { return pid_; }
  bool exited() {
    Task* t = k_.find_leader(pid_);
    return !t || t->tg->zombie || t->reaped_;
  }
  uint32_t poll(uint32_t events) override { return exited() ? (events & (LPOLLIN | LPOLLRDNORM)) : 0; }
  int64_t read(uint64_t, void*, uint64_t, uint32_t) override { return -LX_EINVAL; }
  int64_t write(uint64_t, const void*, uint64_t, uint32_t) override { return -LX_EINVAL; }

 private:
  Kernel& k_;
  int pid_;
};

SYS(pidfd_open) {
  const int pid = arg_int(a, 0);
  const uint32_t flags = (uint32_t)a[1];
  if (pid <= 0 || (flags & ~LO_NONBLOCK)) return -LX_EINVAL;
  Task* t = p.k.find_leader(pid);
  if (!t || t->tg->zombie) return -LX_ESRCH;
  FileRef f;
  int e = open_inode(p.k.phys->shared, Loc{std::make_shared<PidFd>(p.k, pid), "anon_inode:[pidfd]"}, LO_RDWR | flags, f);
  if (e < 0) return e;
  return p.fds.alloc(f, true);  // always close-on-exec
}

SYS(pidfd_send_signal) {
  FileRef f = p.fds.get(arg_int(a, 0));
  if (!f) return -LX_EBADF;
  // A pidfd, or (the older form) an fd of a /proc/PID directory.
  int pid = 0;
  if (auto* pf = dynamic_cast<PidFd*>(f->node.get())) {
    pid = pf->pid();
  } else {
    const std::string& path = f->loc.path;
    if (path.rfind("/proc/", 0) == 0 && path.size() > 6 && f->node->is_dir() &&
        path.find_first_not_of("0123456789", 6) == std::string::npos)
      pid = std::stoi(path.substr(6));
  }
  if (!pid) return -LX_EBADF;
  const int sig = arg_int(a, 1);
  if (a[3] != 0 || sig < 0 || sig > LNSIG) return -LX_EINVAL;
  Task* t = p.k.find_leader(pid);
  if (!t || t->tg->zombie) return -LX_ESRCH;
  if (sig == 0) return 0;
  lx_siginfo si = make_siginfo(sig, LSI_USER, p.pid, p.uid);
  if (a[2] && !p.get(&si, a[2], sizeof si)) return -LX_EFAULT;
  p.k.signal_process(*t, sig, si);
  return 0;
}

// memfd_create: an unnamed file in a memory file system of its own (tmpfs), opened
// read-write and already unlinked; /proc/self/fd shows "/memfd:NAME (deleted)".
SYS(memfd_create) {
  std::string name;
  if (!p.mem->read_cstr(a[0], name, 250)) return name.size() >= 249 ? -LX_EINVAL : -LX_EFAULT;
  const uint32_t flags = (uint32_t)a[1];
  if (flags & ~7u) return -LX_EINVAL;  // MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB
  if (!p.k.memfd_fs) p.k.memfd_fs = make_tmpfs();
  const std::string entry = "memfd-" + std::to_string(++p.k.memfd_seq);
  InodeRef dir = p.k.memfd_fs->root(), node;
  int e = dir->create(entry, LS_IFREG | 0777, node);
  if (e < 0) return e;
  FileRef f;
  e = open_inode(p.k.phys->shared, Loc{node, "/memfd:" + name + " (deleted)"}, LO_RDWR | LO_LARGEFILE, f);
  dir->unlink(entry);
  if (e < 0) return e;
  return p.fds.alloc(f, (flags & 1) != 0);
}

}  // namespace

void register_sys_event(SyscallTable& t) {
  t.add(319, "memfd_create", sys_memfd_create, {K(A_STR), H()});
  t.add(424, "pidfd_send_signal", sys_pidfd_send_signal, {FD(), K(A_SIGNAL), P(), H()});
  t.add(434, "pidfd_open", sys_pidfd_open, {I(), H()});
  t.add(213, "epoll_create", sys_epoll_create, {I()});
  t.add(232, "epoll_wait", sys_epoll_wait, {FD(), P(), I(), I()});
  t.add(233, "epoll_ctl", sys_epoll_ctl, {FD(), I(), FD(), P()});
  t.add(281, "epoll_pwait", sys_epoll_pwait, {FD(), P(), I(), I(), K(A_SIGSET), U()});
  t.add(284, "eventfd", sys_eventfd, {U()});
  t.add(290, "eventfd2", sys_eventfd2, {U(), K(A_FD_FLAGS)});
  t.add(291, "epoll_create1", sys_epoll_create1, {K(A_FD_FLAGS)});
  t.add(283, "timerfd_create", sys_timerfd_create, {K(A_CLOCK), K(A_FD_FLAGS)});
  t.add(286, "timerfd_settime", sys_timerfd_settime, {FD(), I(), P(), P()});
  t.add(287, "timerfd_gettime", sys_timerfd_gettime, {FD(), P()});
}

}  // namespace gb

// vm/linux/sys_socket.cpp — the socket syscalls: socket, socketpair, bind, listen,
// connect, accept/accept4, sendto/recvfrom, sendmsg/recvmsg, sendmmsg/recvmmsg,
// shutdown, getsockname/getpeername, setsockopt/getsockopt. The sockets themselves are
// in socket.{h,cpp}; this file moves bytes, addresses and control messages between
// guest memory and them.
//
// Index
//   1. helpers: fd -> socket, sockaddr in/out, unix path names
//   2. socket, socketpair, bind, listen, connect, accept
//   3. the data path: sendto/recvfrom, sendmsg/recvmsg (cmsg: SCM_RIGHTS,
//      SCM_CREDENTIALS), sendmmsg/recvmmsg
//   4. shutdown, getsockname, getpeername
//   5. socket options
//   6. registration
//
// Notes
//   * Blocking calls return kBlock (docs/processes.md) before they change anything, so
//     a re-executed call sees the same state; the one exception, a blocking stream send
//     that sent part of its data, keeps the count in Task::write_done (send_one).
//     EPIPE on a stream raises SIGPIPE through epipe() unless MSG_NOSIGNAL.
//   * AF_UNIX path names are created in the file system with mknod(S_IFSOCK); where the
//     file system cannot hold a socket inode (EPERM/ENOSYS) a placeholder regular file
//     stands in, so the name exists, stat/unlink work and a second bind gets EADDRINUSE.
//   * SO_RCVTIMEO bounds recv, read and accept; SO_SNDTIMEO send and write
//     (bounded_block: EAGAIN, or the count already sent).
#include <algorithm>
#include <vector>

#include "vm/linux/socket.h"
#include "vm/linux/sys_common.h"

namespace gb {

namespace {

// ---- 1. helpers ----------------------------------------------------------------------

#pragma pack(push, 1)
struct lx_msghdr {
  uint64_t name;
  uint32_t namelen;
  uint32_t pad0;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  int32_t flags;
  uint32_t pad1;
};
struct lx_cmsghdr {
  uint64_t len;
  int32_t level;
  int32_t type;
};
struct lx_ucred {
  int32_t pid;
  uint32_t uid, gid;
};
#pragma pack(pop)
static_assert(sizeof(lx_msghdr) == 56, "struct msghdr");

constexpr uint64_t kMaxStreamChunk = 1 << 20;  // bytes read from the guest per stream send
constexpr uint64_t kMaxDgram = 1 << 20;

uint64_t cmsg_align(uint64_t n) { return (n + 7) & ~7ull; }

// IPv6 options and cmsg types (RFC 3542 numbering as Linux has it).
constexpr int LIPV6_UNICAST_HOPS = 16, LIPV6_PKTINFO = 50, LIPV6_RECVHOPLIMIT = 51, LIPV6_HOPLIMIT = 52,
              LIPV6_RECVTCLASS = 66, LIPV6_TCLASS = 67;

int32_t int_opt(const Socket& s, int level, int name, int32_t dflt);

// Appends one control message to `ctl` the way Linux's put_cmsg does when `room` bytes
// of control buffer are left: no room for a header -> nothing, MSG_CTRUNC; room for part
// of the data -> a header saying so and the part, MSG_CTRUNC.
void put_cmsg(std::vector<uint8_t>& ctl, uint64_t room, int level, int type, const void* data, size_t len,
              uint32_t& mflags) {
  const uint64_t left = room > ctl.size() ? room - ctl.size() : 0;
  if (left < sizeof(lx_cmsghdr)) {
    mflags |= LMSG_CTRUNC;
    return;
  }
  uint64_t cmlen = sizeof(lx_cmsghdr) + len;
  if (left < cmlen) {
    mflags |= LMSG_CTRUNC;
    cmlen = left;
  }
  lx_cmsghdr c{cmlen, level, type};
  ctl.insert(ctl.end(), (const uint8_t*)&c, (const uint8_t*)&c + sizeof c);
  ctl.insert(ctl.end(), (const uint8_t*)data, (const uint8_t*)data + (cmlen - sizeof c));
  ctl.resize(ctl.size() - cmlen + std::min<uint64_t>(cmsg_align(sizeof(lx_cmsghdr) + len), left));
}

SockCred cred_of(Task& p) { return SockCred{p.pid, p.euid, p.egid}; }

int get_sock(Task& p, uint64_t fdarg, FileRef& f, Socket*& s) {
  f = p.fds.get((int)(int32_t)fdarg);
  if (!f) return -LX_EBADF;
  s = as_socket(f->node.get());
  if (!s) return -LX_ENOTSOCK;
  return 0;
}

#define GET_SOCK(i)                    \
  FileRef f;                           \
  Socket* s = nullptr;                 \
  do {                                 \
    int e_ = get_sock(p, a[i], f, s);  \
    if (e_ < 0) return e_;             \
  } while (0)

int read_addr(Task& p, uint64_t addr, uint64_t len, int family, SockAddr& out) {
  if ((int64_t)(int32_t)len < 0 || len > 128) return -LX_EINVAL;
  uint8_t buf[128];
  if (!p.get(buf, addr, (size_t)len)) return -LX_EFAULT;
  return parse_sockaddr(buf, (size_t)len, family, out);
}

// Writes an address to (addr, *lenp) the way the kernel does: truncated to the buffer,
// the full length reported.
int write_addr(Task& p, const std::string& bytes, uint64_t addr, uint64_t lenp) {
  if (!addr || !lenp) return 0;
  int32_t len;
  if (!p.get(&len, lenp, 4)) return -LX_EFAULT;
  if (len < 0) return -LX_EINVAL;
  const size_t k = std::min<size_t>((size_t)len, bytes.size());
  if (!p.put(addr, bytes.data(), k)) return -LX_EFAULT;
  const int32_t full = (int32_t)bytes.size();
  return p.put(lenp, &full, 4) ? 0 : -LX_EFAULT;
}

int new_fd(Task& p, const std::shared_ptr<Socket>& s, bool nonblock, bool cloexec) {
  FileRef f;
  int e = open_inode(p.k.phys->shared, Loc{s, ""}, LO_RDWR | (nonblock ? LO_NONBLOCK : 0), f);
  if (e < 0) return e;
  return p.fds.alloc(f, cloexec);
}

// The unix socket a path names: ENOENT (no such file), ECONNREFUSED (no socket there).
int unix_target(Task& p, const SockAddr& a, std::shared_ptr<Socket>& out) {
  out = nullptr;
  if (a.kind == SockAddr::Abstract) { out = p.k.sockets->find_unix_abstract(a.path); return 0; }
  if (a.kind != SockAddr::Path) return -LX_EINVAL;
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, a.path, true, l);
  if (e < 0) return e;
  out = p.k.sockets->find_unix_path(l.node->fs(), l.node->ino());
  return 0;
}

// ---- 2. socket, socketpair, bind, listen, connect, accept ----------------------------

SYS(socket) {
  const int type = arg_int(a, 1);
  if (type & ~(LSOCK_TYPE_MASK | LSOCK_NONBLOCK | LSOCK_CLOEXEC)) return -LX_EINVAL;
  std::shared_ptr<Socket> s;
  int e = socket_create(*p.k.sockets, arg_int(a, 0), type & LSOCK_TYPE_MASK, arg_int(a, 2), cred_of(p), s);
  if (e < 0) return e;
  return new_fd(p, s, type & LSOCK_NONBLOCK, type & LSOCK_CLOEXEC);
}

SYS(socketpair) {
  const int type = arg_int(a, 1);
  if (type & ~(LSOCK_TYPE_MASK | LSOCK_NONBLOCK | LSOCK_CLOEXEC)) return -LX_EINVAL;
  std::shared_ptr<Socket> x, y;
  int e = socket_pair(*p.k.sockets, arg_int(a, 0), type & LSOCK_TYPE_MASK, arg_int(a, 2), cred_of(p), x, y);
  if (e < 0) return e;
  const int fd0 = new_fd(p, x, type & LSOCK_NONBLOCK, type & LSOCK_CLOEXEC);
  if (fd0 < 0) return fd0;
  const int fd1 = new_fd(p, y, type & LSOCK_NONBLOCK, type & LSOCK_CLOEXEC);
  if (fd1 < 0) { p.fds.close(fd0); return fd1; }
  const int32_t sv[2] = {fd0, fd1};
  if (!p.put(a[3], sv, sizeof sv)) {
    p.fds.close(fd0);
    p.fds.close(fd1);
    return -LX_EFAULT;
  }
  return 0;
}

SYS(bind) {
  GET_SOCK(0);
  SockAddr addr;
  int e = read_addr(p, a[1], a[2], s->domain, addr);
  if (e < 0) return e;
  if (s->domain != LAF_UNIX) {
    if (addr.family == LAF_UNSPEC) {
      if (s->domain != LAF_INET || !addr.is_any()) return -LX_EAFNOSUPPORT;
      addr.family = LAF_INET;
    }
    return s->bind(addr);
  }
  if (addr.kind != SockAddr::Path) return s->bind(addr);
  Loc dir;
  std::string last;
  bool trailing = false;
  e = p.resolve_parent_at(LAT_FDCWD, addr.path, dir, last, &trailing);
  if (e < 0) return e;
  if (last.empty() || last == "." || last == ".." || trailing) return -LX_EADDRINUSE;
  const uint32_t perm = 0777 & ~p.umask;
  e = dir.node->mknod(last, LS_IFSOCK | perm, 0);
  if (e == -LX_EPERM || e == -LX_ENOSYS || e == -LX_EOPNOTSUPP) {  // no socket inodes here
    InodeRef ph;
    e = dir.node->create(last, LS_IFREG | perm, ph);
  }
  if (e == -LX_EEXIST) return -LX_EADDRINUSE;  // checked before "already bound", as Linux does
  if (e < 0) return e;
  if (s->bound) {
    dir.node->unlink(last);
    return -LX_EINVAL;
  }
  InodeRef node;
  e = dir.node->lookup(last, node);
  if (e < 0) return e;
  return s->bind_path(addr, node->fs(), node->ino());
}

SYS(listen) {
  GET_SOCK(0);
  return s->listen(arg_int(a, 1));
}

SYS(connect) {
  GET_SOCK(0);
  SockAddr addr;
  int e = read_addr(p, a[1], a[2], s->domain, addr);
  if (e < 0) return e;
  std::shared_ptr<Socket> target;
  if (s->domain == LAF_UNIX) {
    if (addr.kind == SockAddr::Unnamed) return -LX_EINVAL;
    e = unix_target(p, addr, target);
    if (e < 0) return e;
    if (!target) return -LX_ECONNREFUSED;
  }
  return s->connect(addr, (f->flags & LO_NONBLOCK) != 0, cred_of(p), target);
}

int64_t do_accept(Task& p, const uint64_t* a, int flags) {
  if (flags & ~(LSOCK_NONBLOCK | LSOCK_CLOEXEC)) return -LX_EINVAL;
  GET_SOCK(0);
  if (!s->connection_oriented()) return -LX_EOPNOTSUPP;
  std::shared_ptr<Socket> c;
  int e = s->accept((f->flags & LO_NONBLOCK) != 0, c);
  if (e == kBlock) return bounded_block(p, s->wait_timeout_ns(false));  // SO_RCVTIMEO bounds accept
  if (e < 0) return e;
  const int fd = new_fd(p, c, flags & LSOCK_NONBLOCK, flags & LSOCK_CLOEXEC);
  if (fd < 0) { s->unaccept(c); return fd; }
  e = write_addr(p, c->peer_addr.encode(c->domain), a[1], a[2]);
  if (e < 0) { p.fds.close(fd); return e; }
  return fd;
}
SYS(accept) { return do_accept(p, a, 0); }
SYS(accept4) { return do_accept(p, a, arg_int(a, 3)); }

// ---- 3. the data path ------------------------------------------------------------------

// One outgoing message, gathered from guest memory.
struct OutMsg {
  std::vector<uint8_t> data;
  bool has_to = false;
  SockAddr to;
  std::vector<FileRef> fds;
  SockCred cred;
  int32_t hoplimit = -1, tclass = -1;  // IPV6_HOPLIMIT / IPV6_TCLASS cmsgs (-1: the socket's)
};

int gather(Task& p, Socket& s, uint64_t iov, uint64_t iovlen, std::vector<uint8_t>& out) {
  if (iovlen > 1024) return -LX_EMSGSIZE;
  std::vector<lx_iovec> v(iovlen);
  if (iovlen && !p.get(v.data(), iov, iovlen * sizeof(lx_iovec))) return -LX_EFAULT;
  uint64_t total = 0;
  for (auto& e : v) {  // as Linux's import_iovec: no sum of these can wrap
    if ((int64_t)e.len < 0) return -LX_EINVAL;
    if (!access_ok(e.base, e.len)) return -LX_EFAULT;
    total += e.len;
  }
  uint64_t limit = s.type == LSOCK_STREAM ? std::min(total, kMaxStreamChunk) : total;
  if (s.type != LSOCK_STREAM && total > kMaxDgram) return -LX_EMSGSIZE;
  out.resize(limit);
  uint64_t o = 0;
  for (auto& e : v) {
    if (o >= limit) break;
    const uint64_t k = std::min(e.len, limit - o);
    if (k && !p.get(out.data() + o, e.base, (size_t)k)) return -LX_EFAULT;
    o += k;
  }
  return 0;
}

int read_control(Task& p, Socket& s, uint64_t control, uint64_t len, OutMsg& m) {
  if (!control || !len) return 0;
  if (len > 1 << 16) return -LX_ENOBUFS;
  std::vector<uint8_t> buf(len);
  if (!p.get(buf.data(), control, (size_t)len)) return -LX_EFAULT;
  uint64_t off = 0;
  while (off + sizeof(lx_cmsghdr) <= len) {
    lx_cmsghdr h;
    memcpy(&h, buf.data() + off, sizeof h);
    if (h.len < sizeof h || h.len > len - off) return -LX_EINVAL;
    const uint8_t* d = buf.data() + off + sizeof h;
    const uint64_t dlen = h.len - sizeof h;
    if (h.level == LIPPROTO_IPV6 && s.domain == LAF_INET6 && s.type != LSOCK_STREAM) {
      // ipv6(7) ancillary data on datagrams: an int each, -1 = the socket's default
      int32_t v;
      if (h.type == LIPV6_PKTINFO) {  // source address / interface: loopback is the only one
        if (dlen != 20) return -LX_EINVAL;
      } else if (h.type == LIPV6_HOPLIMIT || h.type == LIPV6_TCLASS) {
        if (dlen != 4) return -LX_EINVAL;
        memcpy(&v, d, 4);
        if (v < -1 || v > 255) return -LX_EINVAL;
        (h.type == LIPV6_HOPLIMIT ? m.hoplimit : m.tclass) = v;
      } else {
        return -LX_EINVAL;
      }
      off += cmsg_align(h.len);
      continue;
    }
    if (h.level != LSOL_SOCKET || s.domain != LAF_UNIX) return -LX_EINVAL;
    if (h.type == LSCM_RIGHTS) {
      const uint64_t n = dlen / 4;
      if (n == 0 || n + m.fds.size() > 253) return -LX_EINVAL;
      for (uint64_t i = 0; i < n; i++) {
        int32_t fd;
        memcpy(&fd, d + 4 * i, 4);
        FileRef f = p.fds.get(fd);
        if (!f) return -LX_EBADF;
        m.fds.push_back(f);
      }
      // Cycles of sockets in flight are collected every so many passes (unix_gc.cpp).
      if (++p.k.sockets->fd_passes % 64 == 0) unix_gc(*p.k.sockets);
    } else if (h.type == LSCM_CREDENTIALS) {
      if (dlen != sizeof(lx_ucred)) return -LX_EINVAL;
      lx_ucred c;
      memcpy(&c, d, sizeof c);
      const bool root = p.euid == 0;
      if (!root && (c.pid != p.pid || (c.uid != p.uid && c.uid != p.euid) || (c.gid != p.gid && c.gid != p.egid)))
        return -LX_EPERM;
      m.cred = SockCred{c.pid, c.uid, c.gid};
    } else {
      return -LX_EINVAL;
    }
    off += cmsg_align(h.len);
  }
  return 0;
}

// Sends one message; handles EPIPE/SIGPIPE.
int64_t send_one(Task& p, FileRef& f, Socket& s, OutMsg& m, uint32_t flags) {
  const bool nonblock = (f->flags & LO_NONBLOCK) || (flags & LMSG_DONTWAIT);
  std::shared_ptr<Socket> target;
  if (m.has_to && s.domain == LAF_UNIX && !s.connection_oriented()) {
    if (m.to.kind == SockAddr::Unnamed) return -LX_EINVAL;
    int e = unix_target(p, m.to, target);
    if (e < 0) return e;
    if (!target) return -LX_ECONNREFUSED;
  }
  SockIpFields ip;  // inet datagrams: the header the receiver may ask about
  if (s.inet() && s.type != LSOCK_STREAM) {
    const bool v6 = s.domain == LAF_INET6;
    const int32_t hops = int_opt(s, v6 ? LIPPROTO_IPV6 : LIPPROTO_IP, v6 ? LIPV6_UNICAST_HOPS : 2 /* IP_TTL */, 64);
    const int32_t tc = int_opt(s, v6 ? LIPPROTO_IPV6 : LIPPROTO_IP, v6 ? LIPV6_TCLASS : 1 /* IP_TOS */, 0);
    ip.hoplimit = m.hoplimit >= 0 ? m.hoplimit : (hops >= 0 ? hops : 64);
    ip.tclass = m.tclass >= 0 ? m.tclass : (tc >= 0 ? tc : 0);
  }
  // A blocking stream send completes like a pipe write (write_whole); the passed
  // descriptors go with the first part.
  const bool whole = s.type == LSOCK_STREAM && !nonblock;
  return write_whole(p, s, whole, m.data.size(), [&](uint64_t done) {
    if (done) m.fds.clear();
    const int64_t r = s.send(m.data.data() + done, m.data.size() - done, std::move(m.fds), m.cred,
                             m.has_to ? &m.to : nullptr, flags, nonblock, target, ip);
    if (r == -LX_EPIPE && s.connection_oriented() && !(flags & LMSG_NOSIGNAL)) return epipe(p);
    return r;
  });
}

SYS(sendto) {
  GET_SOCK(0);
  const uint32_t flags = (uint32_t)a[3];
  OutMsg m;
  m.cred = cred_of(p);
  uint64_t n = std::min<uint64_t>(a[2], 0x7fffffff);  // Linux: len > INT_MAX is INT_MAX
  if (!access_ok(a[1], n)) return -LX_EFAULT;
  if (s->type == LSOCK_STREAM) n = std::min(n, kMaxStreamChunk);
  else if (n > kMaxDgram) return -LX_EMSGSIZE;
  m.data.resize(n);
  if (n && !p.get(m.data.data(), a[1], (size_t)n)) return -LX_EFAULT;
  if (a[4]) {
    int e = read_addr(p, a[4], a[5], s->domain, m.to);
    if (e < 0) return e;
    m.has_to = true;
  }
  return send_one(p, f, *s, m, flags);
}

// Receives one message into plain buffers. Returns bytes (or full length with MSG_TRUNC
// on datagrams), -errno or kBlock.
int64_t recv_one(Task& p, Socket& s, FileRef& f, uint64_t n, uint32_t flags, RecvResult& r) {
  const bool nonblock = (f->flags & LO_NONBLOCK) || (flags & LMSG_DONTWAIT);
  if (flags & LMSG_OOB) return -LX_EINVAL;
  int64_t got = s.recv((size_t)std::min<uint64_t>(n, 0x7ffff000), flags, nonblock, r);
  if (got == kBlock) return bounded_block(p, s.wait_timeout_ns(false));
  if (got < 0) return got;
  if ((flags & LMSG_TRUNC) && s.type != LSOCK_STREAM) return (int64_t)r.full_len;
  return got;
}

std::string from_bytes(const Socket& s, const RecvResult& r) {
  // unix senders without a name give no address (msg_namelen 0), unlike getpeername
  if (!r.has_from || (s.domain == LAF_UNIX && r.from.kind == SockAddr::Unnamed)) return std::string();
  return r.from.encode(s.domain);
}

SYS(recvfrom) {
  GET_SOCK(0);
  RecvResult r;
  int64_t got = recv_one(p, *s, f, a[2], (uint32_t)a[3], r);
  if (got < 0) return got;
  if (!r.data.empty() && !p.put(a[1], r.data.data(), r.data.size())) return -LX_EFAULT;
  if (a[4] && a[5]) {
    int e = write_addr(p, from_bytes(*s, r), a[4], a[5]);
    if (e < 0) return e;
  }
  return got;
}

int64_t do_sendmsg(Task& p, FileRef& f, Socket& s, uint64_t msgaddr, uint32_t flags) {
  lx_msghdr h;
  if (!p.get(&h, msgaddr, sizeof h)) return -LX_EFAULT;
  OutMsg m;
  m.cred = cred_of(p);
  int e = gather(p, s, h.iov, h.iovlen, m.data);
  if (e < 0) return e;
  if (h.name && h.namelen) {
    e = read_addr(p, h.name, h.namelen, s.domain, m.to);
    if (e < 0) return e;
    m.has_to = true;
  }
  e = read_control(p, s, h.control, h.controllen, m);
  if (e < 0) return e;
  return send_one(p, f, s, m, flags);
}

int64_t do_recvmsg(Task& p, FileRef& f, Socket& s, uint64_t msgaddr, uint32_t flags) {
  lx_msghdr h;
  if (!p.get(&h, msgaddr, sizeof h)) return -LX_EFAULT;
  if (h.iovlen > 1024) return -LX_EMSGSIZE;
  std::vector<lx_iovec> v(h.iovlen);
  if (h.iovlen && !p.get(v.data(), h.iov, h.iovlen * sizeof(lx_iovec))) return -LX_EFAULT;
  uint64_t total = 0;
  for (auto& e : v) {
    if ((int64_t)e.len < 0) return -LX_EINVAL;
    total += e.len;
  }
  RecvResult r;
  int64_t got = recv_one(p, s, f, total, flags, r);
  if (got < 0) return got;
  // data
  uint64_t o = 0;
  for (auto& e : v) {
    if (o >= r.data.size()) break;
    const uint64_t k = std::min<uint64_t>(e.len, r.data.size() - o);
    if (k && !p.put(e.base, r.data.data() + o, (size_t)k)) return -LX_EFAULT;
    o += k;
  }
  // name
  uint32_t namelen = 0;
  if (h.name) {
    const std::string nb = from_bytes(s, r);
    const size_t k = std::min<size_t>(h.namelen, nb.size());
    if (k && !p.put(h.name, nb.data(), k)) return -LX_EFAULT;
    namelen = (uint32_t)nb.size();
  }
  // control: credentials first, then rights (the order Linux uses)
  uint32_t mflags = r.msg_flags | (flags & LMSG_CMSG_CLOEXEC);  // Linux reports it back
  std::vector<uint8_t> ctl;
  const uint64_t room = h.control ? h.controllen : 0;
  if (r.has_cred) {
    const uint64_t need = sizeof(lx_cmsghdr) + sizeof(lx_ucred);
    if (room < need) {
      mflags |= LMSG_CTRUNC;
    } else {
      lx_cmsghdr c{need, LSOL_SOCKET, LSCM_CREDENTIALS};
      lx_ucred u{r.cred.pid, r.cred.uid, r.cred.gid};
      ctl.insert(ctl.end(), (uint8_t*)&c, (uint8_t*)&c + sizeof c);
      ctl.insert(ctl.end(), (uint8_t*)&u, (uint8_t*)&u + sizeof u);
      ctl.resize(std::min<uint64_t>(cmsg_align(ctl.size()), room));
    }
  }
  if (!r.fds.empty()) {
    const uint64_t left = room > ctl.size() ? room - ctl.size() : 0;
    const uint64_t fit = left > sizeof(lx_cmsghdr) ? (left - sizeof(lx_cmsghdr)) / 4 : 0;
    std::vector<int32_t> fds;
    for (size_t i = 0; i < r.fds.size() && i < fit; i++) {
      const int fd = p.fds.alloc(r.fds[i], (flags & LMSG_CMSG_CLOEXEC) != 0);
      if (fd < 0) break;
      fds.push_back(fd);
    }
    if (fds.size() < r.fds.size()) mflags |= LMSG_CTRUNC;
    if (!fds.empty()) {
      lx_cmsghdr c{sizeof(lx_cmsghdr) + 4 * fds.size(), LSOL_SOCKET, LSCM_RIGHTS};
      ctl.insert(ctl.end(), (uint8_t*)&c, (uint8_t*)&c + sizeof c);
      ctl.insert(ctl.end(), (uint8_t*)fds.data(), (uint8_t*)(fds.data() + fds.size()));
      ctl.resize(std::min<uint64_t>(cmsg_align(ctl.size()), room));
    }
  }
  if (s.domain == LAF_INET6 && s.type != LSOCK_STREAM) {  // ip6_datagram_recv_ctl's order
    if (int_opt(s, LIPPROTO_IPV6, LIPV6_RECVHOPLIMIT, 0))
      put_cmsg(ctl, room, LIPPROTO_IPV6, LIPV6_HOPLIMIT, &r.ip.hoplimit, 4, mflags);
    if (int_opt(s, LIPPROTO_IPV6, LIPV6_RECVTCLASS, 0))
      put_cmsg(ctl, room, LIPPROTO_IPV6, LIPV6_TCLASS, &r.ip.tclass, 4, mflags);
  }
  if (!ctl.empty() && !p.put(h.control, ctl.data(), ctl.size())) return -LX_EFAULT;
  const uint64_t ctl_len = ctl.size();
  const int32_t mf = (int32_t)mflags;
  if (!p.put(msgaddr + offsetof(lx_msghdr, namelen), &namelen, 4) ||
      !p.put(msgaddr + offsetof(lx_msghdr, controllen), &ctl_len, 8) ||
      !p.put(msgaddr + offsetof(lx_msghdr, flags), &mf, 4))
    return -LX_EFAULT;
  return got;
}

SYS(sendmsg) {
  GET_SOCK(0);
  return do_sendmsg(p, f, *s, a[1], (uint32_t)a[2]);
}
SYS(recvmsg) {
  GET_SOCK(0);
  return do_recvmsg(p, f, *s, a[1], (uint32_t)a[2]);
}

constexpr uint64_t kMmsgSize = 64;  // struct mmsghdr: msghdr + unsigned msg_len (+ pad)

SYS(sendmmsg) {
  GET_SOCK(0);
  const uint64_t n = std::min<uint64_t>(a[2], 1024);
  uint64_t i = 0;
  for (; i < n; i++) {
    const uint64_t at = a[1] + i * kMmsgSize;
    int64_t r = do_sendmsg(p, f, *s, at, (uint32_t)a[3]);
    if (r < 0 || r == kBlock) return i ? (int64_t)i : r;
    const uint32_t len = (uint32_t)r;
    if (!p.put(at + 56, &len, 4)) return i ? (int64_t)i : -LX_EFAULT;
  }
  return (int64_t)i;
}

SYS(recvmmsg) {
  GET_SOCK(0);
  const uint64_t n = std::min<uint64_t>(a[2], 1024);
  uint32_t flags = (uint32_t)a[3];
  uint64_t i = 0;
  for (; i < n; i++) {
    const uint64_t at = a[1] + i * kMmsgSize;
    int64_t r = do_recvmsg(p, f, *s, at, flags & ~LMSG_WAITFORONE);
    if (r < 0 || r == kBlock) return i ? (int64_t)i : r;
    const uint32_t len = (uint32_t)r;
    if (!p.put(at + 56, &len, 4)) return i ? (int64_t)i : -LX_EFAULT;
    if (flags & LMSG_WAITFORONE) flags |= LMSG_DONTWAIT;
  }
  return (int64_t)i;
}

// ---- 4. shutdown, names ------------------------------------------------------------------

SYS(shutdown) {
  GET_SOCK(0);
  return s->shutdown(arg_int(a, 1));
}

SYS(getsockname) {
  GET_SOCK(0);
  std::string b;
  if (s->bound) {
    b = s->local.encode(s->domain);
  } else if (s->domain == LAF_UNIX || s->domain == LAF_NETLINK) {
    SockAddr u;
    u.family = s->domain;
    b = u.encode(s->domain);
  } else {
    b = (s->domain == LAF_INET ? SockAddr::inet4(0, 0) : SockAddr::inet6_any(0)).encode(s->domain);
  }
  return write_addr(p, b, a[1], a[2]);
}

SYS(getpeername) {
  GET_SOCK(0);
  if (s->state != Socket::Connected || !s->has_peer_addr || (s->connect_pending && s->so_error))
    return -LX_ENOTCONN;
  return write_addr(p, s->peer_addr.encode(s->domain), a[1], a[2]);
}

// ---- 5. socket options ---------------------------------------------------------------------

constexpr int LIP_TOS = 1, LIP_TTL = 2, LTCP_MAXSEG = 2, LTCP_KEEPIDLE = 4,
              LTCP_KEEPINTVL = 5, LTCP_KEEPCNT = 6, LTCP_INFO = 11;

int32_t int_opt(const Socket& s, int level, int name, int32_t dflt) {
  for (auto& e : s.int_opts)
    if (e.first == std::make_pair(level, name)) return e.second;
  return dflt;
}
void set_int_opt(Socket& s, int level, int name, int32_t v) {
  for (auto& e : s.int_opts)
    if (e.first == std::make_pair(level, name)) { e.second = v; return; }
  s.int_opts.push_back({{level, name}, v});
}

// Integer options we keep without modelling them: (level, name) -> default.
bool plain_int_opt(const Socket& s, int level, int name, int32_t& dflt) {
  dflt = 0;
  if (level == LSOL_SOCKET) {
    switch (name) {
      case LSO_PRIORITY: case LSO_TIMESTAMP: case LSO_NO_CHECK: case 36 /* SO_MARK */: case 35 /* SO_TIMESTAMPNS */:
      case 42 /* SO_PEEK_OFF */: case 46 /* SO_BUSY_POLL */: return true;
      case LSO_RCVLOWAT: case LSO_SNDLOWAT: dflt = 1; return true;
      default: return false;
    }
  }
  if (!s.inet()) return false;
  if (level == LIPPROTO_IP && s.domain == LAF_INET) {
    switch (name) {
      case LIP_TTL: dflt = 64; return true;
      case LIP_TOS: case 10 /* MTU_DISCOVER */: case 11 /* RECVERR */: case 15 /* FREEBIND */: case 8 /* PKTINFO */:
      case 33 /* MULTICAST_TTL */: case 34 /* MULTICAST_LOOP */: case 7 /* RECVOPTS */: return true;
      default: return false;
    }
  }
  if (level == LIPPROTO_IPV6 && s.domain == LAF_INET6) {
    switch (name) {
      case LIPV6_UNICAST_HOPS: dflt = 64; return true;
      case 23 /* MTU_DISCOVER */: case 25 /* RECVERR */: case 49 /* RECVPKTINFO */: case LIPV6_TCLASS:
      case LIPV6_RECVHOPLIMIT: case LIPV6_RECVTCLASS: return true;
      default: return false;
    }
  }
  if (level == 136 && s.protocol == 136) {  // IPPROTO_UDPLITE: UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV
    return name == 10 || name == 11;
  }
  if (level == LIPPROTO_TCP && s.type == LSOCK_STREAM) {
    switch (name) {
      case LTCP_MAXSEG: dflt = 536; return true;
      case LTCP_KEEPIDLE: dflt = 7200; return true;
      case LTCP_KEEPINTVL: dflt = 75; return true;
      case LTCP_KEEPCNT: dflt = 9; return true;
      case 3 /* CORK */: case 9 /* DEFER_ACCEPT */: case 12 /* QUICKACK */: case 18 /* USER_TIMEOUT */:
      case 23 /* FASTOPEN */: case 30 /* FASTOPEN_CONNECT */: return true;
      default: return false;
    }
  }
  return false;
}

SYS(setsockopt) {
  GET_SOCK(0);
  const int level = arg_int(a, 1), name = arg_int(a, 2);
  const int32_t len = arg_int(a, 4);
  if (len < 0) return -LX_EINVAL;
  uint8_t buf[64] = {};
  const size_t k = std::min<size_t>((size_t)len, sizeof buf);
  if (k && !p.get(buf, a[3], k)) return -LX_EFAULT;
  int32_t iv = 0;
  memcpy(&iv, buf, 4);
  const bool isint = len >= 4;
  if (level == LSOL_SOCKET) {
    bool* flag = nullptr;
    switch (name) {
      case LSO_REUSEADDR: flag = &s->reuseaddr; break;
      case LSO_REUSEPORT: flag = &s->reuseport; break;
      case LSO_KEEPALIVE: flag = &s->keepalive; break;
      case LSO_BROADCAST: flag = &s->broadcast; break;
      case LSO_OOBINLINE: flag = &s->oobinline; break;
      case LSO_PASSCRED: flag = &s->passcred; break;
      case LSO_DEBUG: case LSO_DONTROUTE: if (!isint) return -LX_EINVAL; return 0;
      case LSO_SNDBUF: case LSO_RCVBUF: case LSO_SNDBUFFORCE: case LSO_RCVBUFFORCE: {
        if (!isint) return -LX_EINVAL;
        const bool snd = name == LSO_SNDBUF || name == LSO_SNDBUFFORCE;
        int64_t v = std::min<int64_t>(std::max<int32_t>(iv, 0), 212992) * 2;  // Linux doubles; capped by [rw]mem_max
        v = std::max<int64_t>(v, snd ? 4608 : 2304);
        (snd ? s->sndbuf : s->rcvbuf) = (int32_t)v;
        p.k.waits.wake();
        return 0;
      }
      case LSO_LINGER: {
        if (len < 8) return -LX_EINVAL;
        memcpy(&s->linger_onoff, buf, 4);
        memcpy(&s->linger_sec, buf + 4, 4);
        return 0;
      }
      case LSO_RCVTIMEO: case LSO_SNDTIMEO: {
        if (len < 16) return -LX_EINVAL;
        lx_timeval tv;
        memcpy(&tv, buf, sizeof tv);
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -LX_EDOM;
        memcpy(name == LSO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo, buf, 16);
        return 0;
      }
      default: break;
    }
    if (flag) {
      if (!isint) return -LX_EINVAL;
      *flag = iv != 0;
      return 0;
    }
  } else if (s->domain == LAF_UNIX) {
    return -LX_EOPNOTSUPP;
  } else if (level == LIPPROTO_TCP && s->type == LSOCK_STREAM && name == LTCP_NODELAY) {
    if (!isint) return -LX_EINVAL;
    s->nodelay = iv != 0;
    return 0;
  } else if (level == LIPPROTO_IPV6 && name == LIPV6_V6ONLY && s->domain == LAF_INET6) {
    if (!isint) return -LX_EINVAL;
    if (s->bound) return -LX_EINVAL;
    s->v6only = iv != 0;
    return 0;
  } else if (level == LIPPROTO_IPV6 && (name == LIPV6_UNICAST_HOPS || name == LIPV6_TCLASS) &&
             s->domain == LAF_INET6) {
    if (!isint) return -LX_EINVAL;
    if (iv < -1 || iv > 255) return -LX_EINVAL;
    set_int_opt(*s, level, name, iv < 0 ? (name == LIPV6_TCLASS ? 0 : 64) : iv);  // -1: the default
    return 0;
  }
  int32_t dflt;
  if (plain_int_opt(*s, level, name, dflt)) {
    if (!isint) return -LX_EINVAL;
    set_int_opt(*s, level, name, iv);
    return 0;
  }
  return -LX_ENOPROTOOPT;
}

SYS(getsockopt) {
  GET_SOCK(0);
  const int level = arg_int(a, 1), name = arg_int(a, 2);
  int32_t len;
  if (!p.get(&len, a[4], 4)) return -LX_EFAULT;
  if (len < 0) return -LX_EINVAL;
  std::vector<uint8_t> val;
  auto put_int = [&](int32_t v) { val.assign((uint8_t*)&v, (uint8_t*)&v + 4); };
  bool found = true;
  if (level == LSOL_SOCKET) {
    switch (name) {
      case LSO_TYPE: put_int(s->type); break;
      case LSO_PROTOCOL: put_int(s->protocol); break;
      case LSO_DOMAIN: put_int(s->domain); break;
      case LSO_ERROR: put_int(s->take_error()); break;
      case LSO_ACCEPTCONN: put_int(s->state == Socket::Listening); break;
      case LSO_REUSEADDR: put_int(s->reuseaddr); break;
      case LSO_REUSEPORT: put_int(s->reuseport); break;
      case LSO_KEEPALIVE: put_int(s->keepalive); break;
      case LSO_BROADCAST: put_int(s->broadcast); break;
      case LSO_OOBINLINE: put_int(s->oobinline); break;
      case LSO_PASSCRED: put_int(s->passcred); break;
      case LSO_DEBUG: case LSO_DONTROUTE: put_int(0); break;
      case LSO_SNDBUF: put_int(s->sndbuf); break;
      case LSO_RCVBUF: put_int(s->rcvbuf); break;
      case LSO_LINGER: {
        const int32_t l[2] = {s->linger_onoff, s->linger_sec};
        val.assign((const uint8_t*)l, (const uint8_t*)l + 8);
        break;
      }
      case LSO_RCVTIMEO: val.assign(s->rcvtimeo, s->rcvtimeo + 16); break;
      case LSO_SNDTIMEO: val.assign(s->sndtimeo, s->sndtimeo + 16); break;
      case LSO_PEERCRED: {
        lx_ucred u{0, 65534, 65534};  // no peer: the overflow ids, as Linux reports
        if (s->has_peer_cred) u = lx_ucred{s->peer_cred.pid, s->peer_cred.uid, s->peer_cred.gid};
        val.assign((const uint8_t*)&u, (const uint8_t*)&u + sizeof u);
        break;
      }
      default: found = false;
    }
  } else if (s->domain == LAF_UNIX) {
    return -LX_EOPNOTSUPP;
  } else if (level == LIPPROTO_TCP && s->type == LSOCK_STREAM && name == LTCP_NODELAY) {
    put_int(s->nodelay);
  } else if (level == LIPPROTO_TCP && s->type == LSOCK_STREAM && name == LTCP_INFO) {
    val.assign(232, 0);  // struct tcp_info, all zero except the state
    val[0] = s->state == Socket::Connected ? 1 : s->state == Socket::Listening ? 10 : 7;
  } else if (level == LIPPROTO_IPV6 && name == LIPV6_V6ONLY && s->domain == LAF_INET6) {
    put_int(s->v6only);
  } else {
    found = false;
  }
  if (!found) {
    int32_t dflt;
    if (!plain_int_opt(*s, level, name, dflt)) return -LX_ENOPROTOOPT;
    put_int(int_opt(*s, level, name, dflt));
  }
  const size_t k = std::min<size_t>((size_t)len, val.size());
  if (k && !p.put(a[3], val.data(), k)) return -LX_EFAULT;
  const int32_t out = (int32_t)k;
  return p.put(a[4], &out, 4) ? 0 : -LX_EFAULT;
}

}  // namespace

// ---- 6. registration ---------------------------------------------------------------------

void register_sys_socket(SyscallTable& t) {
  t.add(41, "socket", sys_socket, {I(), I(), I()});
  t.add(42, "connect", sys_connect, {FD(), P(), I()});
  t.add(43, "accept", sys_accept, {FD(), P(), P()});
  t.add(44, "sendto", sys_sendto, {FD(), K(A_BUF_IN, 2), U(), H(), P(), I()});
  t.add(45, "recvfrom", sys_recvfrom, {FD(), K(A_BUF_OUT), U(), H(), P(), P()});
  t.add(46, "sendmsg", sys_sendmsg, {FD(), P(), H()});
  t.add(47, "recvmsg", sys_recvmsg, {FD(), P(), H()});
  t.add(48, "shutdown", sys_shutdown, {FD(), I()});
  t.add(49, "bind", sys_bind, {FD(), P(), I()});
  t.add(50, "listen", sys_listen, {FD(), I()});
  t.add(51, "getsockname", sys_getsockname, {FD(), P(), P()});
  t.add(52, "getpeername", sys_getpeername, {FD(), P(), P()});
  t.add(53, "socketpair", sys_socketpair, {I(), I(), I(), P()});
  t.add(54, "setsockopt", sys_setsockopt, {FD(), I(), I(), P(), I()});
  t.add(55, "getsockopt", sys_getsockopt, {FD(), I(), I(), P(), P()});
  t.add(288, "accept4", sys_accept4, {FD(), P(), P(), H()});
  t.add(299, "recvmmsg", sys_recvmmsg, {FD(), P(), U(), H(), P()});
  t.add(307, "sendmmsg", sys_sendmmsg, {FD(), P(), U(), H()});
}

}  // namespace gb

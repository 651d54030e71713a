// vm/linux/socket.h — sockets inside the VM: AF_UNIX (stream, datagram, seqpacket),
// AF_INET/AF_INET6 on loopback only (TCP and UDP), and AF_NETLINK NETLINK_ROUTE queries
// about the loopback interface (netlink.cpp). Nothing here touches the host's network:
// every socket is an Inode on AnonFs and every connection joins two of them.
//
// Index
//   1. ABI constants (address families, socket types, MSG_* flags, options)
//   2. SockAddr: a parsed socket address (unix path / abstract name, inet endpoint)
//   3. SockMsg, SockCred: what travels through a receive queue (bytes, fds, credentials)
//   4. Socket: the inode — state, queues, options; bind/listen/connect/accept/send/recv
//   5. Construction: socket_create, socket_pair, as_socket
//
// Design notes
//   * Blocking follows docs/processes.md: an operation that cannot complete now returns
//     kBlock (file.h) without changing any state, and every change that may let a parked
//     call finish calls its machine's Waits::wake(). Non-blocking callers get -EAGAIN instead.
//   * Each socket owns its receive queue; a sender pushes into its peer's queue. A
//     stream read merges queued messages (stopping at SCM_RIGHTS boundaries, like Linux);
//     datagram and seqpacket reads take one message (MSG_TRUNC when it did not fit).
//   * Stream writes that do not fit queue what fits; the syscall layer parks a blocking
//     writer with its count and sends the rest later (sys_socket.cpp, send_one). MSG_WAITALL waits until min(len, queue capacity) bytes
//     are queued (or EOF/error) and only then copies, so a parked read never consumed.
//   * A connection to a listening socket is complete at once (loopback): the server side
//     socket is created and queued for accept(). A non-blocking TCP connect still reports
//     EINPROGRESS (as Linux does) and completes or fails through POLLOUT + SO_ERROR.
//   * Names: AF_UNIX paths are inodes in the VFS (the syscall layer creates them with
//     mknod(S_IFSOCK), or a placeholder file where the file system cannot hold sockets)
//     and a registry maps (file system, ino) -> socket; abstract names ("\0name") and inet
//     ports live in the same registry (SocketRegistry: one per machine, like the kernel's
//     tables; two machines in one process never see each other's names or ports).
//   * Inet addresses are kept as 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d) so dual-stack
//     matching is one rule. 127.0.0.0/8, ::1, INADDR_ANY and in6addr_any are local; a
//     connect or send to anything else fails with ENETUNREACH; bind to one gives
//     EADDRNOTAVAIL.
//   * A socket is "closed" when its last open file description goes (on_close): its
//     names are released, its peer sees EOF (or ECONNRESET when unread data or pending
//     connections were dropped) and writes to it get EPIPE.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vm/linux/file.h"

namespace gb {

// ---- 1. ABI constants ----------------------------------------------------------------
enum : int { LAF_UNSPEC = 0, LAF_UNIX = 1, LAF_INET = 2, LAF_INET6 = 10, LAF_NETLINK = 16 };
enum : int { LSOCK_STREAM = 1, LSOCK_DGRAM = 2, LSOCK_RAW = 3, LSOCK_SEQPACKET = 5, LSOCK_TYPE_MASK = 0xf,
             LSOCK_NONBLOCK = 04000, LSOCK_CLOEXEC = 02000000 };
enum : int { LIPPROTO_IP = 0, LIPPROTO_TCP = 6, LIPPROTO_UDP = 17, LIPPROTO_IPV6 = 41 };
enum : uint32_t {
  LMSG_OOB = 1, LMSG_PEEK = 2, LMSG_DONTROUTE = 4, LMSG_CTRUNC = 8, LMSG_TRUNC = 0x20, LMSG_DONTWAIT = 0x40,
  LMSG_EOR = 0x80, LMSG_WAITALL = 0x100, LMSG_NOSIGNAL = 0x4000, LMSG_MORE = 0x8000,
  LMSG_WAITFORONE = 0x10000, LMSG_CMSG_CLOEXEC = 0x40000000,
};
enum : int { LSHUT_RD = 0, LSHUT_WR = 1, LSHUT_RDWR = 2 };
constexpr int LSOL_SOCKET = 1;
enum : int { LSCM_RIGHTS = 1, LSCM_CREDENTIALS = 2 };
enum : int {
  LSO_DEBUG = 1, LSO_REUSEADDR = 2, LSO_TYPE = 3, LSO_ERROR = 4, LSO_DONTROUTE = 5, LSO_BROADCAST = 6,
  LSO_SNDBUF = 7, LSO_RCVBUF = 8, LSO_KEEPALIVE = 9, LSO_OOBINLINE = 10, LSO_NO_CHECK = 11, LSO_PRIORITY = 12,
  LSO_LINGER = 13, LSO_REUSEPORT = 15, LSO_PASSCRED = 16, LSO_PEERCRED = 17, LSO_RCVLOWAT = 18,
  LSO_SNDLOWAT = 19, LSO_RCVTIMEO = 20, LSO_SNDTIMEO = 21, LSO_TIMESTAMP = 29, LSO_ACCEPTCONN = 30,
  LSO_SNDBUFFORCE = 32, LSO_RCVBUFFORCE = 33, LSO_PROTOCOL = 38, LSO_DOMAIN = 39,
};
constexpr int LIPV6_V6ONLY = 26;
constexpr int LTCP_NODELAY = 1;

// ---- 2. SockAddr -----------------------------------------------------------------------
struct SockAddr {
  int family = LAF_UNSPEC;
  // AF_UNIX: `path` is the file name (kind Path) or the abstract name without its
  // leading NUL (kind Abstract); kind Unnamed has neither.
  enum Kind { Unnamed, Path, Abstract } kind = Unnamed;
  std::string path;
  // AF_INET/AF_INET6: IPv6 form (IPv4 as ::ffff:a.b.c.d), port in host order.
  uint8_t ip[16] = {};
  uint16_t port = 0;
  uint32_t flowinfo = 0, scope_id = 0;
  // AF_NETLINK: the port id (0 = the kernel) and multicast groups.
  uint32_t nl_pid = 0, nl_groups = 0;

  bool is_v4mapped() const;
  bool is_any() const;       // 0.0.0.0 or ::
  bool is_loopback() const;  // 127.0.0.0/8 or ::1
  bool local() const { return is_any() || is_loopback(); }
  // The guest sockaddr bytes of this address as a socket of `as_family` reports it
  // (an AF_INET6 socket shows IPv4 peers as v4-mapped addresses).
  std::string encode(int as_family) const;
  static SockAddr inet4(uint32_t addr_host_order, uint16_t port);
  static SockAddr inet6_any(uint16_t port);
};
// Parses a guest sockaddr of `len` bytes for a socket of `family`. Returns 0 or -errno
// (EINVAL for short/odd lengths, EAFNOSUPPORT for a family the socket cannot use).
int parse_sockaddr(const uint8_t* buf, size_t len, int family, SockAddr& out);

// ---- 3. messages ------------------------------------------------------------------------
struct SockCred {
  int32_t pid = 0;
  uint32_t uid = 0, gid = 0;
};

// The IP header fields a datagram carries that recvmsg can report (RFC 3542 ancillary
// data: IPV6_HOPLIMIT, IPV6_TCLASS). The sender fills them from its options or cmsgs.
struct SockIpFields {
  int32_t hoplimit = 64;
  int32_t tclass = 0;
};

struct SockMsg {
  std::vector<uint8_t> data;
  SockIpFields ip;              // inet datagrams
  size_t off = 0;               // bytes of `data` already read (streams)
  std::vector<FileRef> fds;     // SCM_RIGHTS
  SockCred cred;                // the sender's (or the SCM_CREDENTIALS it sent)
  SockAddr from;                // datagrams: the sender's address
  size_t left() const { return data.size() - off; }
};

// What recv() hands back to the syscall layer.
struct RecvResult {
  std::vector<uint8_t> data;
  size_t full_len = 0;          // datagram length before truncation (MSG_TRUNC)
  std::vector<FileRef> fds;
  bool has_cred = false;
  SockCred cred;
  SockAddr from;
  bool has_from = false;
  SockIpFields ip;              // inet datagrams: what the IP header said
  uint32_t msg_flags = 0;       // LMSG_TRUNC ...
};

// ---- 4. Socket ----------------------------------------------------------------------------
class Socket;
class NetOut;

// One machine's socket names (the Kernel owns one) and the AnonFs its sockets live on.
struct SocketRegistry {
  explicit SocketRegistry(AnonFs& fs) : anon(fs) {}
  SocketRegistry(const SocketRegistry&) = delete;
  // The unix socket bound at (fs, ino) or under an abstract name, or nullptr.
  std::shared_ptr<Socket> find_unix_path(const FileSystem* fs, uint64_t ino);
  std::shared_ptr<Socket> find_unix_abstract(const std::string& name);

  AnonFs& anon;
  std::map<std::pair<const FileSystem*, uint64_t>, std::weak_ptr<Socket>> paths;
  std::map<std::string, std::weak_ptr<Socket>> abstract;
  // (protocol, port) -> sockets bound there
  std::map<std::pair<int, uint16_t>, std::vector<std::weak_ptr<Socket>>> ports;
  uint16_t next_eph = 32768;  // ip_local_port_range's low end
  // Outbound networking through a relay (net_out.h); nullptr: non-loopback is ENETUNREACH.
  NetOut* net = nullptr;
  uint32_t next_autobind = 0;
  // unix_gc.cpp: every live AF_UNIX socket, descriptors passed so far (a collection
  // every 64), and the collector's reentry guard (dropping garbage closes sockets).
  std::set<Socket*> unix_live;
  uint64_t fd_passes = 0;
  bool gc_running = false;
};

class Socket : public Inode {
 public:
  enum State { Unconnected, Listening, Connected, Closed };

  Socket(SocketRegistry& reg, int domain, int type, int protocol);
  ~Socket() override;

  // ---- Inode ----
  FileSystem* fs() const override { return &reg_.anon; }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return LS_IFSOCK; }
  int getattr(Stat& st) override;
  int on_open(uint32_t flags) override { opens_++; return 0; }
  void on_close(uint32_t flags) override;
  bool is_stream() const override { return true; }
  // read(2)/write(2): recv/send with no flags (EPIPE is returned; the caller raises SIGPIPE).
  int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t oflags) override;
  int64_t write(uint64_t off, const void* buf, uint64_t n, uint32_t oflags) override;
  uint32_t poll(uint32_t events) override;
  int64_t readable_bytes(uint64_t off) override;
  int64_t ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) override;
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }

  // ---- operations (0/bytes, -errno or kBlock) ----
  bool inet() const { return domain == LAF_INET || domain == LAF_INET6; }
  bool connection_oriented() const { return type == LSOCK_STREAM || type == LSOCK_SEQPACKET; }
  // Inet addresses and abstract unix names. Unix path names: bind_path.
  int bind(const SockAddr& a);
  // A unix path name whose inode the syscall layer created: (fs, ino) is its identity.
  int bind_path(const SockAddr& a, const FileSystem* fs, uint64_t ino);
  int listen(int backlog);
  // `target` is the unix socket a path resolved to (nullptr: look `a` up here).
  int connect(const SockAddr& a, bool nonblock, const SockCred& me, std::shared_ptr<Socket> target = nullptr);
  int accept(bool nonblock, std::shared_ptr<Socket>& out);
  // Puts an accepted connection back (the accept failed after all, e.g. EMFILE).
  void unaccept(std::shared_ptr<Socket> s);
  // `to`: destination for unconnected datagram sockets (nullptr: the connected peer).
  // `ip`: the header fields of an inet datagram (the syscall layer resolves options/cmsgs).
  int64_t send(const uint8_t* data, size_t n, std::vector<FileRef> fds, const SockCred& cred, const SockAddr* to,
               uint32_t flags, bool nonblock, std::shared_ptr<Socket> target = nullptr,
               const SockIpFields& ip = SockIpFields{});
  int64_t recv(size_t n, uint32_t flags, bool nonblock, RecvResult& out);
  // AF_NETLINK (netlink.cpp): the kernel's answers to the requests in `data` are queued
  // on this socket. Returns n or -errno.
  int64_t netlink_send(const uint8_t* data, size_t n);
  int shutdown(int how);
  // For SO_ERROR: returns and clears the pending error.
  int take_error() { int e = so_error; so_error = 0; return e; }
  std::shared_ptr<Socket> peer_socket() const { return peer_.lock(); }

  // ---- state the syscall layer reads (getsockname, getsockopt ...) ----
  const int domain, type, protocol;
  State state = Unconnected;
  bool bound = false;
  SockAddr local;               // valid when bound (inet: also after autobind)
  SockAddr peer_addr;           // valid when connected
  bool has_peer_addr = false;
  bool connect_pending = false; // non-blocking TCP connect reported EINPROGRESS
  bool shut_rd = false, shut_wr = false;
  bool peer_shut_wr = false;    // EOF after the queue drains
  bool peer_gone = false;       // the peer closed: EOF, writes get EPIPE
  bool reset_seen = false;      // TCP: a write after the peer closed drew its reset
  int so_error = 0;             // positive errno
  SockCred owner;               // creator (fstat uid/gid, SO_PEERCRED of the listener side)
  SockCred peer_cred;           // SO_PEERCRED
  bool has_peer_cred = false;
  // options
  bool reuseaddr = false, reuseport = false, keepalive = false, nodelay = false, passcred = false,
       v6only = false, broadcast = false, oobinline = false;
  int32_t sndbuf = 212992, rcvbuf = 212992;
  int32_t linger_onoff = 0, linger_sec = 0;
  uint8_t rcvtimeo[16] = {}, sndtimeo[16] = {};  // struct timeval as set (SO_*TIMEO)
  uint64_t wait_timeout_ns(bool send) const override;
  int backlog = 0;
  // ---- outbound (net_out.cpp): this socket's relay stream, while its connect is open ----
  uint32_t net_id = 0;
  bool net_opening = false, net_blocking_result = false;
  // Other integer options set with setsockopt (level, name) -> value, reported back.
  std::vector<std::pair<std::pair<int, int>, int32_t>> int_opts;

  size_t queued() const { return rq_bytes_; }
  // unix_gc.cpp: the descriptors queued at this socket (and at its embryos).
  template <class F> void for_each_inflight(F fn);
  void drop_inflight(std::vector<FileRef>& out);

 private:
  friend int socket_pair(SocketRegistry&, int, int, int, const SockCred&, std::shared_ptr<Socket>&,
                         std::shared_ptr<Socket>&);
  friend struct SocketRegistry;
  friend class NetOut;  // outbound streams (net_out.cpp) drive the queues of both ends
  void wake() { reg_.anon.waits.wake(); }
  void close_now();
  void drop_names();
  int autobind(bool v6_loopback_hint);
  size_t capacity() const;
  bool peer_alive() const;
  int64_t deliver_dgram(Socket& to, const uint8_t* data, size_t n, std::vector<FileRef>& fds, const SockCred& cred,
                        bool nonblock, bool drop_when_full);
  static void link_pair(const std::shared_ptr<Socket>& a, const std::shared_ptr<Socket>& b);
  // TCP over loopback: the listener at d, the handshake, and a SYN waiting for room in a
  // full accept queue (the listen backlog).
  std::shared_ptr<Socket> tcp_listener(const SockAddr& d);
  void tcp_join(const std::shared_ptr<Socket>& lst, const SockAddr& d, const SockCred& me);
  void syn_retry();
  bool syn_sent = false;
  SockAddr syn_dest;
  SockCred syn_cred;

  SocketRegistry& reg_;
  uint64_t ino_;
  Timespec created_;
  int opens_ = 0;
  bool closed_ = false;
  std::weak_ptr<Socket> peer_;
  std::deque<SockMsg> rq_;
  size_t rq_bytes_ = 0;
  std::deque<std::shared_ptr<Socket>> accq_;
  // registry keys held (released on close)
  bool has_path_key_ = false;
  std::pair<const FileSystem*, uint64_t> path_key_{};
  bool has_port_ = false;
};

// ---- 5. construction ---------------------------------------------------------------------
// type is the SOCK_* value without SOCK_NONBLOCK/SOCK_CLOEXEC. Returns 0 or -errno
// (EAFNOSUPPORT, ESOCKTNOSUPPORT, EPROTONOSUPPORT, EPROTOTYPE).
int socket_create(SocketRegistry& reg, int domain, int type, int protocol, const SockCred& owner,
                  std::shared_ptr<Socket>& out);
// AF_UNIX only (EOPNOTSUPP for inet, like Linux).
int socket_pair(SocketRegistry& reg, int domain, int type, int protocol, const SockCred& owner,
                std::shared_ptr<Socket>& a, std::shared_ptr<Socket>& b);
Socket* as_socket(Inode* n);

// The collector of this machine's unreachable AF_UNIX sockets in flight (unix_gc.cpp):
// returns how many sockets' queues it emptied of descriptors.
size_t unix_gc(SocketRegistry& reg);

}  // namespace gb

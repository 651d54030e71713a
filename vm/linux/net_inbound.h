// vm/linux/net_inbound.h — connections from the host INTO the machine: the page's preview
// (docs/preview.md) opens a TCP connection to a port a guest program listens on, as if a
// client on the guest's loopback connected, and lists the listening TCP ports.
//
// Design notes
//   * No hook in the socket layer: the host's end is an ordinary AF_INET stream Socket in
//     the machine's registry (socket.h), connected to 127.0.0.1:port (then ::1:port for a
//     listener bound to ::1 only). The guest accept()s it like any loopback client; its
//     peer address is 127.0.0.1 (or ::1) and an ephemeral port, its SO_PEERCRED pid 0.
//   * Everything is non-blocking and returns errors as values: a write that does not fit
//     the guest's receive queue takes what fits (bounded buffers), a read with nothing
//     queued gives -EAGAIN, and the caller (the engine worker) waits between gb_run slices
//     and owns the timeout. ECONNREFUSED when nothing listens.
//   * Every call that changes a queue wakes the machine's parked tasks (the socket layer
//     does), so the next Kernel::run lets the guest see the request.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vm/linux/socket.h"

namespace gb {

class Kernel;

// One host-side connection.
class InboundConn {
 public:
  // Connects to `port` on the guest's loopback. Returns 0 or -errno (ECONNREFUSED,
  // EINVAL for port 0).
  static int open(Kernel& k, uint16_t port, std::unique_ptr<InboundConn>& out);
  ~InboundConn();

  // Queues up to n request bytes for the guest: bytes taken (maybe fewer than n, 0 when
  // the guest's queue is full), or -EPIPE / -ECONNRESET once the guest closed.
  int64_t write(const uint8_t* data, size_t n);
  // Takes up to n response bytes: > 0 bytes, 0 at end of stream, -EAGAIN when nothing is
  // queued yet, -ECONNRESET when the guest reset the connection.
  int64_t read(uint8_t* buf, size_t n);
  // No more request bytes (the guest reads EOF after what was queued).
  int shutdown_write();
  // LPOLLIN/LPOLLOUT/LPOLLHUP/LPOLLERR as poll(2) would report them.
  uint32_t poll();
  // The guest-side port of the connection (what the server's accept() sees as the peer).
  uint16_t local_port() const;

 private:
  explicit InboundConn(std::shared_ptr<Socket> s) : s_(std::move(s)) {}
  std::shared_ptr<Socket> s_;
};

// A TCP port some guest process listens on.
struct ListeningPort {
  uint16_t port = 0;
  std::string address;  // "127.0.0.1", "0.0.0.0", "::", "::1" ...
  int pid = 0;          // a process holding the listening socket (0: none found)
  std::string command;  // its argv joined with spaces (comm when argv is empty)
};
// Sorted by port, one entry per (port, address).
std::vector<ListeningPort> listening_tcp_ports(Kernel& k);

}  // namespace gb

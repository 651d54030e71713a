// vm/linux/wisp.cpp — Wisp frame encoding/parsing and CLOSE reason → errno (wisp.h).
#include "vm/linux/wisp.h"

#include "vm/linux/file.h"

namespace gb::wisp {

namespace {
void head(std::vector<uint8_t>& v, uint8_t type, uint32_t stream) {
  v.push_back(type);
  for (int i = 0; i < 4; i++) v.push_back((uint8_t)(stream >> (8 * i)));
}
uint32_t le32(const uint8_t* p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
}  // namespace

std::vector<uint8_t> connect_frame(uint32_t stream, StreamType t, uint16_t port, const std::string& host) {
  std::vector<uint8_t> v;
  v.reserve(8 + host.size());
  head(v, kConnect, stream);
  v.push_back(t);
  v.push_back((uint8_t)port);
  v.push_back((uint8_t)(port >> 8));
  v.insert(v.end(), host.begin(), host.end());
  return v;
}

std::vector<uint8_t> data_frame(uint32_t stream, const uint8_t* p, size_t n) {
  std::vector<uint8_t> v;
  v.reserve(5 + n);
  head(v, kData, stream);
  v.insert(v.end(), p, p + n);
  return v;
}

std::vector<uint8_t> close_frame(uint32_t stream, uint8_t reason) {
  std::vector<uint8_t> v;
  head(v, kClose, stream);
  v.push_back(reason);
  return v;
}

std::vector<uint8_t> continue_frame(uint32_t stream, uint32_t credit) {
  std::vector<uint8_t> v;
  head(v, kContinue, stream);
  for (int i = 0; i < 4; i++) v.push_back((uint8_t)(credit >> (8 * i)));
  return v;
}

bool parse(const uint8_t* p, size_t n, Frame& f) {
  f = Frame{};
  if (n < 5) return false;
  f.type = p[0];
  f.stream = le32(p + 1);
  p += 5;
  n -= 5;
  switch (f.type) {
    case kData: f.data = p; f.len = n; return true;
    case kContinue: if (n < 4) return false; f.credit = le32(p); return true;
    case kClose: if (n < 1) return false; f.reason = p[0]; return true;
    case kConnect: if (n < 3) return false; f.data = p; f.len = n; return true;
    default: f.data = p; f.len = n; return true;  // INFO and unknown types: the caller ignores them
  }
}

int close_errno(uint8_t reason, bool opening) {
  switch (reason) {
    case kVoluntary: return opening ? LX_ECONNREFUSED : 0;
    case kUnreachable: return LX_EHOSTUNREACH;
    case kTimeout: return LX_ETIMEDOUT;
    case kRefused: return LX_ECONNREFUSED;
    case kDataTimeout: return LX_ETIMEDOUT;
    // A destination the relay's policy forbids: EACCES, what Linux gives when a local
    // firewall rule rejects a connect (an iptables REJECT with "admin-prohibited" is
    // EHOSTUNREACH, an LSM or cgroup BPF veto EPERM; EACCES reads clearest to a student).
    case kBlocked: return LX_EACCES;
    case kThrottled: return LX_ENOBUFS;
    case kInvalid: return opening ? LX_EHOSTUNREACH : LX_ECONNRESET;
    // wisp-js reports every failed connect as a network error.
    default: return opening ? LX_ECONNREFUSED : LX_ECONNRESET;
  }
}

}  // namespace gb::wisp

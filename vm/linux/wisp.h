// vm/linux/wisp.h — the Wisp protocol's frames (v1.2; docs/networking.md): encoding the
// frames a client sends, parsing the frames a server sends, and the mapping of CLOSE
// reasons to the errno a guest socket reports. Pure functions, no I/O: net_out.cpp uses
// them, tests/unit/test_wisp.cpp checks them.
//
// Frame: u8 type | u32 stream id (little-endian) | payload.
//   CONNECT 0x01: u8 stream type (1 TCP, 2 UDP) | u16 port (LE) | host name (UTF-8, rest)
//   DATA    0x02: the bytes
//   CONTINUE 0x03: u32 buffer remaining (packets the server can still take for the stream)
//   CLOSE   0x04: u8 reason
//   INFO    0x05: v2 only; a v1 client ignores it
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gb::wisp {

enum Type : uint8_t { kConnect = 1, kData = 2, kContinue = 3, kClose = 4, kInfo = 5 };
enum StreamType : uint8_t { kTcp = 1, kUdp = 2 };
enum Reason : uint8_t {
  kUnknown = 0x01, kVoluntary = 0x02, kNetworkError = 0x03,
  kInvalid = 0x41, kUnreachable = 0x42, kTimeout = 0x43, kRefused = 0x44,
  kDataTimeout = 0x47, kBlocked = 0x48, kThrottled = 0x49,
  kClientError = 0x81,
};

struct Frame {
  uint8_t type = 0;
  uint32_t stream = 0;
  // CONTINUE: credit; CLOSE: reason
  uint32_t credit = 0;
  uint8_t reason = 0;
  // DATA: the payload (pointer into the parsed buffer, valid while it lives)
  const uint8_t* data = nullptr;
  size_t len = 0;
};

std::vector<uint8_t> connect_frame(uint32_t stream, StreamType t, uint16_t port, const std::string& host);
std::vector<uint8_t> data_frame(uint32_t stream, const uint8_t* p, size_t n);
std::vector<uint8_t> close_frame(uint32_t stream, uint8_t reason);
// A server-side frame (the relay's tests and the unit tests build them with these too).
std::vector<uint8_t> continue_frame(uint32_t stream, uint32_t credit);

// Parses one WebSocket message. false: too short for its type (the caller drops it,
// as a malformed frame from a server must never crash the engine).
bool parse(const uint8_t* p, size_t n, Frame& out);

// The positive errno a CLOSE reason gives the guest socket. `opening`: the stream was
// not confirmed yet (its connect() is still in progress). Voluntary: 0 (EOF).
int close_errno(uint8_t reason, bool opening);

}  // namespace gb::wisp

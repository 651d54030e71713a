// vm/fs/chunked_sha256.h — SHA-256 (FIPS 180-4), used to verify image chunks against
// the content hash that names them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace gb::fs {

class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  void update(const void* data, size_t len);
  void finish(uint8_t out[32]);  // the object must be reset() before reuse
  static std::string hex(const void* data, size_t len);  // one-shot, lower-case hex

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t used_ = 0;
  uint64_t total_ = 0;
};

}  // namespace gb::fs

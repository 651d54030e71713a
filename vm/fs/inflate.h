// vm/fs/inflate.h — gzip (RFC 1952) decoding and CRC-32, for the chunked image device
// (chunks are gzip members) and the overlay log (records carry a CRC-32).
//
// Both are libdeflate's (cmake/deps.cmake: Debian's sources, compiled by g++ and by emcc
// alike); this header keeps the engine's small interface in front of it. Decoding is
// bounded: never more than `max_out` bytes out, never a read past the input, and every
// malformed stream (bad block, bad code, distance too far back, CRC-32 or size trailer
// wrong, truncation) is an error value.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gb::fs {

// CRC-32 (IEEE 802.3, the one gzip uses). crc32_update(0, ...) starts a new sum; the
// result of one call may be passed to the next to continue it.
uint32_t crc32_update(uint32_t crc, const void* data, size_t len);

// A gzip file of one or more members, each with its CRC-32 and size trailer checked.
// `out` is replaced by the decoded bytes (at most max_out, more is an error; up to max_out
// bytes may be allocated, so pass the size expected, not a huge bound). The header
// CRC (FHCRC, never written by gzip or tools/mkimage) is skipped, not checked.
bool gunzip(const uint8_t* in, size_t in_len, std::vector<uint8_t>* out, size_t max_out,
            std::string* err = nullptr);

}  // namespace gb::fs

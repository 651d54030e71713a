// vm/fs/inflate.h — DEFLATE (RFC 1951) and gzip (RFC 1952) decoding, and CRC-32.
//
// Written for the chunked image device: no zlib, so the same code builds natively and
// with Emscripten. The decoder is bounded: it never writes more than `max_out` bytes,
// never reads past the input, and returns an error for every malformed stream
// (bad block type, over-subscribed or incomplete code, distance too far back, ...).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gb::fs {

// CRC-32 (IEEE 802.3, the one gzip uses). crc32_update(0, ...) starts a new sum.
uint32_t crc32_update(uint32_t crc, const void* data, size_t len);

// Raw DEFLATE: decodes `in` into `out` (appended). Returns true on success;
// *consumed (if given) receives the number of input bytes used.
bool inflate_raw(const uint8_t* in, size_t in_len, std::vector<uint8_t>* out, size_t max_out,
                 size_t* consumed = nullptr, std::string* err = nullptr);

// A gzip file of one or more members: header, DEFLATE data, CRC-32 + size trailer
// (both checked). `out` is replaced.
bool gunzip(const uint8_t* in, size_t in_len, std::vector<uint8_t>* out, size_t max_out,
            std::string* err = nullptr);

}  // namespace gb::fs

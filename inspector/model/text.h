// inspector/model/text.h — small text helpers the models share: JSON string escaping and
// hex dumps (strace-style quoting of guest bytes is gb::quote_bytes, vm/base/sysargs.h).
#pragma once
#include <cstddef>
#include <string>

namespace gbi {

// Appends "..." with JSON escapes; control bytes and bytes >= 0x80 become \u00XX, so any
// guest bytes give valid JSON (non-ASCII text reads as Latin-1 there).
void json_string(std::string& out, const char* s, size_t n);
// Appends a hex dump, 16 bytes a line: "0000  68 65 6c 6c 6f 0a              hello."
// (offset, bytes, then the printable ones; others as '.').
void hex_dump(std::string& out, const unsigned char* s, size_t n);
// Appends the bytes as plain hex pairs without spaces ("68656c6c6f0a"): the JSON view.
void hex_string(std::string& out, const unsigned char* s, size_t n);

}  // namespace gbi

// inspector/model/text.h — small text helpers the models share: JSON string escaping and
// strace-style quoting of guest bytes ("hello\n"...).
#pragma once
#include <cstddef>
#include <string>

namespace gbi {

// Appends "..." with JSON escapes; control bytes and bytes >= 0x80 become \u00XX, so any
// guest bytes give valid JSON (non-ASCII text reads as Latin-1 there).
void json_string(std::string& out, const char* s, size_t n);
// Appends "..." with C escapes, like strace prints a buffer; `more` adds the trailing ...
void quote_bytes(std::string& out, const unsigned char* s, size_t n, bool more);

}  // namespace gbi

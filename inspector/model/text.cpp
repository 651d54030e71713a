// inspector/model/text.cpp — see text.h.
#include "inspector/model/text.h"

#include <cstdio>

namespace gbi {

void json_string(std::string& out, const char* s, size_t n) {
  out += '"';
  for (size_t i = 0; i < n; i++) {
    const unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { out += '\\'; out += (char)c; }
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f || c >= 0x80) {  // keep the JSON valid whatever the bytes
      char b[8];
      snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else out += (char)c;
  }
  out += '"';
}

void hex_dump(std::string& out, const unsigned char* s, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t at = 0; at < n; at += 16) {
    char line[80];
    int k = snprintf(line, sizeof line, "%04zx ", at);
    for (size_t i = 0; i < 16; i++) {
      line[k++] = ' ';
      if (at + i < n) {
        line[k++] = kHex[s[at + i] >> 4];
        line[k++] = kHex[s[at + i] & 15];
      } else {
        line[k++] = ' ';
        line[k++] = ' ';
      }
    }
    line[k++] = ' ';
    line[k++] = ' ';
    for (size_t i = 0; i < 16 && at + i < n; i++) line[k++] = s[at + i] >= 0x20 && s[at + i] < 0x7f ? (char)s[at + i] : '.';
    line[k++] = '\n';
    out.append(line, (size_t)k);
  }
}

void hex_string(std::string& out, const unsigned char* s, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out += kHex[s[i] >> 4];
    out += kHex[s[i] & 15];
  }
}

}  // namespace gbi

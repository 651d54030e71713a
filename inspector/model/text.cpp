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

void quote_bytes(std::string& out, const unsigned char* s, size_t n, bool more) {
  out += '"';
  for (size_t i = 0; i < n; i++) {
    const unsigned char c = s[i];
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) out += (char)c;
        else {
          char b[6];
          snprintf(b, sizeof b, "\\%o", c);
          out += b;
        }
    }
  }
  out += '"';
  if (more) out += "...";
}

}  // namespace gbi

// vm/trace/line_rule.cpp — see line_rule.h.
#include "vm/trace/line_rule.h"

#include <cstdlib>
#include <set>

namespace gb {

bool line_file_matches(const std::string& have, const std::string& want) {
  if (have == want) return true;
  if (want.find('/') == std::string::npos) {
    const size_t s = have.rfind('/');
    return s != std::string::npos && have.compare(s + 1, std::string::npos, want) == 0;
  }
  return have.size() > want.size() && have.compare(have.size() - want.size(), want.size(), want) == 0 &&
         (want[0] == '/' || have[have.size() - want.size() - 1] == '/');
}

std::vector<uint64_t> line_addresses(const std::string& text, const std::string& file, uint32_t line, uint32_t* used) {
  struct Row { uint64_t addr; uint32_t file, line; };
  std::set<uint32_t> files;  // indices naming `file`
  std::vector<Row> rows;
  size_t p = 0;
  while (p < text.size()) {
    size_t e = text.find('\n', p);
    if (e == std::string::npos) e = text.size();
    const std::string l = text.substr(p, e - p);
    p = e + 1;
    if (l.compare(0, 5, "file ") == 0) {
      char* end = nullptr;
      const unsigned long idx = strtoul(l.c_str() + 5, &end, 10);
      if (end && *end == ' ' && line_file_matches(end + 1, file)) files.insert((uint32_t)idx);
      continue;
    }
    char* end = nullptr;
    Row r;
    r.addr = strtoull(l.c_str(), &end, 16);
    if (!end || *end != ' ') continue;
    r.file = (uint32_t)strtoul(end + 1, &end, 10);
    if (!end || *end != ' ') continue;
    r.line = (uint32_t)strtoul(end + 1, &end, 10);
    rows.push_back(r);
  }
  uint32_t best = 0;
  for (const Row& r : rows)
    if (files.count(r.file) && r.line >= line && (!best || r.line < best)) best = r.line;
  if (used) *used = best;
  std::vector<uint64_t> out;
  if (!best) return out;
  for (size_t i = 0; i < rows.size(); i++) {
    const Row& r = rows[i];
    if (r.line != best || !files.count(r.file)) continue;
    if (i > 0 && rows[i - 1].line == best && files.count(rows[i - 1].file)) continue;  // the same run
    out.push_back(r.addr);
  }
  return out;
}

}  // namespace gb

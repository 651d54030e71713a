// vm/trace/dwarf_lines.cpp — see dwarf_lines.h. The line-number program is DWARF's state
// machine (DWARF 5, section 6.2): standard, extended and special opcodes over
// (address, file, line); a row is kept when it starts a statement.
#include "vm/trace/dwarf_lines.h"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace gb {

namespace {

template <typename T> T rd(const uint8_t* p) { T v; memcpy(&v, p, sizeof v); return v; }

// A bounded cursor: any read past the end sets `bad` and yields 0.
struct Cur {
  const uint8_t* p;
  const uint8_t* end;
  bool bad = false;
  bool need(size_t n) { if ((size_t)(end - p) < n) { bad = true; p = end; return false; } return true; }
  uint8_t u8() { return need(1) ? *p++ : 0; }
  uint16_t u16() { if (!need(2)) return 0; uint16_t v = rd<uint16_t>(p); p += 2; return v; }
  uint32_t u32() { if (!need(4)) return 0; uint32_t v = rd<uint32_t>(p); p += 4; return v; }
  uint64_t u64() { if (!need(8)) return 0; uint64_t v = rd<uint64_t>(p); p += 8; return v; }
  uint64_t uleb() {
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) { const uint8_t b = u8(); v |= (uint64_t)(b & 0x7f) << s; if (!(b & 0x80) || bad) return v; }
    return v;
  }
  int64_t sleb() {
    int64_t v = 0;
    int s = 0;
    uint8_t b;
    do { b = u8(); v |= (int64_t)(b & 0x7f) << s; s += 7; } while ((b & 0x80) && s < 64 && !bad);
    if (s < 64 && (b & 0x40)) v |= -((int64_t)1 << s);
    return v;
  }
  std::string cstr() {
    const uint8_t* z = (const uint8_t*)memchr(p, 0, (size_t)(end - p));
    if (!z) { bad = true; p = end; return ""; }
    std::string s((const char*)p, (size_t)(z - p));
    p = z + 1;
    return s;
  }
  void skip(uint64_t n) { if (need((size_t)std::min<uint64_t>(n, (uint64_t)(end - p) + 1))) p += n; }
};

struct Section { uint64_t off = 0, size = 0; bool found = false; };

std::string str_at(const std::vector<uint8_t>& s, uint64_t off) {
  if (off >= s.size()) return "";
  const uint8_t* z = (const uint8_t*)memchr(s.data() + off, 0, s.size() - off);
  return std::string((const char*)s.data() + off, z ? (size_t)(z - s.data() - off) : s.size() - off);
}

struct Row { uint64_t addr; uint32_t file, line; };

// One value of a directory/file entry (DWARF 5): a string or a number; others skipped.
bool read_form(Cur& c, uint64_t form, bool dwarf64, const std::vector<uint8_t>& line_str, const std::vector<uint8_t>& str,
               std::string* s, uint64_t* n) {
  switch (form) {
    case 0x08: *s = c.cstr(); return true;                                        // string
    case 0x1f: *s = str_at(line_str, dwarf64 ? c.u64() : c.u32()); return true;    // line_strp
    case 0x0e: *s = str_at(str, dwarf64 ? c.u64() : c.u32()); return true;         // strp
    case 0x0b: *n = c.u8(); return true;                                           // data1
    case 0x05: *n = c.u16(); return true;                                          // data2
    case 0x06: *n = c.u32(); return true;                                          // data4
    case 0x07: *n = c.u64(); return true;                                          // data8
    case 0x0f: *n = c.uleb(); return true;                                         // udata
    case 0x1e: c.skip(16); return true;                                            // data16 (MD5)
    case 0x09: c.skip(c.uleb()); return true;                                      // block
    default: return false;
  }
}

}  // namespace

bool dwarf_lines(const ElfReader& read, std::string& out, std::string& err, size_t max_rows) {
  uint8_t eh[64];
  if (!read(0, eh, sizeof eh) || memcmp(eh, "\x7f" "ELF", 4) != 0 || eh[4] != 2) { err = "not an ELF64 file"; return false; }
  const uint64_t shoff = rd<uint64_t>(eh + 40);
  const uint16_t shentsize = rd<uint16_t>(eh + 58), shnum = rd<uint16_t>(eh + 60), shstrndx = rd<uint16_t>(eh + 62);
  if (shentsize < 64 || shnum == 0 || shnum > 4096 || shstrndx >= shnum) return true;  // no sections: no lines
  std::vector<uint8_t> sh((size_t)shentsize * shnum);
  if (!read(shoff, sh.data(), sh.size())) { err = "section headers beyond the end of the file"; return false; }
  const uint8_t* ns = &sh[(size_t)shstrndx * shentsize];
  std::vector<uint8_t> names(std::min<uint64_t>(rd<uint64_t>(ns + 32), 1 << 20));
  if (!read(rd<uint64_t>(ns + 24), names.data(), names.size())) { err = "bad section names"; return false; }
  Section line, line_str, str;
  for (uint16_t i = 0; i < shnum; i++) {
    const uint8_t* s = &sh[(size_t)i * shentsize];
    const std::string n = str_at(names, rd<uint32_t>(s));
    Section* t = n == ".debug_line" ? &line : n == ".debug_line_str" ? &line_str : n == ".debug_str" ? &str : nullptr;
    if (t) { t->off = rd<uint64_t>(s + 24); t->size = rd<uint64_t>(s + 32); t->found = true; }
  }
  if (!line.found) return true;
  if (line.size > (64u << 20) || line_str.size > (64u << 20) || str.size > (64u << 20)) { err = "debug sections too large"; return false; }
  std::vector<uint8_t> L(line.size), LS(line_str.size), S(str.size);
  if (!read(line.off, L.data(), L.size()) || (line_str.found && !read(line_str.off, LS.data(), LS.size())) ||
      (str.found && !read(str.off, S.data(), S.size()))) {
    err = "debug sections beyond the end of the file";
    return false;
  }
  std::vector<Row> rows;
  uint32_t file_base = 0;  // this unit's file 0 (or 1) in the output numbering
  char buf[96];
  Cur all{L.data(), L.data() + L.size()};
  while (all.p < all.end && !all.bad && rows.size() < max_rows) {
    uint64_t len = all.u32();
    bool dwarf64 = false;
    if (len == 0xffffffffu) { len = all.u64(); dwarf64 = true; }
    if (all.bad || len > (uint64_t)(all.end - all.p)) break;
    Cur u{all.p, all.p + len};
    all.p += len;
    const uint16_t version = u.u16();
    if (version < 2 || version > 5) continue;
    if (version >= 5) { u.u8(); u.u8(); }  // address size, segment selector size
    const uint64_t hlen = dwarf64 ? u.u64() : u.u32();
    if (hlen > (uint64_t)(u.end - u.p)) continue;
    const uint8_t* prog = u.p + hlen;
    const uint8_t min_len = u.u8();
    if (version >= 4) u.u8();  // maximum operations per instruction (VLIW only)
    const bool default_stmt = u.u8() != 0;
    const int8_t line_base = (int8_t)u.u8();
    const uint8_t line_range = u.u8();
    const uint8_t opcode_base = u.u8();
    if (line_range == 0 || opcode_base == 0) continue;
    std::vector<uint8_t> std_len(opcode_base, 0);
    for (int i = 1; i < opcode_base; i++) std_len[i] = u.u8();
    std::vector<std::string> dirs, files;
    if (version >= 5) {
      for (int pass = 0; pass < 2 && !u.bad; pass++) {
        const uint8_t nfmt = u.u8();
        std::vector<std::pair<uint64_t, uint64_t>> fmt;
        for (int i = 0; i < nfmt; i++) { const uint64_t ct = u.uleb(); fmt.push_back({ct, u.uleb()}); }
        const uint64_t count = u.uleb();
        for (uint64_t i = 0; i < count && !u.bad && i < 100000; i++) {
          std::string path;
          uint64_t dir = 0;
          for (auto& [ct, form] : fmt) {
            std::string s;
            uint64_t n = 0;
            if (!read_form(u, form, dwarf64, LS, S, &s, &n)) { u.bad = true; break; }
            if (ct == 1) path = s;
            else if (ct == 2) dir = n;
          }
          if (pass == 0) dirs.push_back(path);
          else files.push_back(!path.empty() && path[0] != '/' && dir < dirs.size() && !dirs[dir].empty() ? dirs[dir] + "/" + path : path);
        }
      }
    } else {
      dirs.push_back("");  // index 0: the compilation directory (unnamed here)
      for (std::string d = u.cstr(); !d.empty() && !u.bad; d = u.cstr()) dirs.push_back(d);
      files.push_back("");  // files are numbered from 1
      for (std::string f = u.cstr(); !f.empty() && !u.bad; f = u.cstr()) {
        const uint64_t dir = u.uleb();
        u.uleb();
        u.uleb();
        files.push_back(!f.empty() && f[0] != '/' && dir > 0 && dir < dirs.size() ? dirs[dir] + "/" + f : f);
      }
    }
    if (u.bad) continue;
    for (size_t i = 0; i < files.size(); i++) {
      snprintf(buf, sizeof buf, "file %u ", (unsigned)(file_base + i));
      out += buf;
      for (char ch : files[i]) out += ch == '\n' ? '?' : ch;
      out += '\n';
    }
    // the line-number program
    Cur c{prog, u.end};
    uint64_t addr = 0;
    uint32_t file = 1, ln = 1;
    bool stmt = default_stmt;
    auto emit = [&]() {
      if (stmt && file < files.size() && rows.size() < max_rows) rows.push_back({addr, file_base + file, ln});
    };
    while (c.p < c.end && !c.bad) {
      const uint8_t op = c.u8();
      if (op >= opcode_base) {
        const uint8_t adj = op - opcode_base;
        addr += (uint64_t)(adj / line_range) * min_len;
        ln += line_base + adj % line_range;
        emit();
        continue;
      }
      switch (op) {
        case 0: {
          const uint64_t elen = c.uleb();
          if (elen == 0 || elen > (uint64_t)(c.end - c.p)) { c.bad = true; break; }
          const uint8_t* next = c.p + elen;
          const uint8_t sub = c.u8();
          if (sub == 1) { addr = 0; file = 1; ln = 1; stmt = default_stmt; }  // end_sequence (no row: it ends a range)
          else if (sub == 2 && elen == 9) addr = c.u64();
          c.p = next;
          break;
        }
        case 1: emit(); break;
        case 2: addr += c.uleb() * min_len; break;
        case 3: ln = (uint32_t)((int64_t)ln + c.sleb()); break;
        case 4: file = (uint32_t)c.uleb(); break;
        case 5: c.uleb(); break;
        case 6: stmt = !stmt; break;
        case 7: break;
        case 8: addr += (uint64_t)((255 - opcode_base) / line_range) * min_len; break;
        case 9: addr += c.u16(); break;
        case 10: case 11: break;
        case 12: c.uleb(); break;
        default:
          for (int i = 0; i < std_len[op]; i++) c.uleb();
      }
    }
    file_base += (uint32_t)files.size();
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.addr < b.addr; });
  for (const Row& r : rows) {
    snprintf(buf, sizeof buf, "%" PRIx64 " %u %u\n", r.addr, r.file, r.line);
    out += buf;
  }
  return true;
}

}  // namespace gb

// vm/trace/elf_symbols.cpp — see elf_symbols.h.
#include "vm/trace/elf_symbols.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

namespace gb {

namespace {
template <typename T> T rd(const uint8_t* p) { T v; memcpy(&v, p, sizeof v); return v; }
struct Sym { uint64_t value, size; uint32_t name; };
}  // namespace

bool elf_symbols(const ElfReader& read, std::string& out, std::string& err, size_t max_symbols) {
  uint8_t eh[64];
  if (!read(0, eh, sizeof eh) || memcmp(eh, "\x7f" "ELF", 4) != 0) { err = "not an ELF file"; return false; }
  if (eh[4] != 2 || eh[5] != 1 || rd<uint16_t>(eh + 18) != 62) { err = "not an ELF64 x86-64 file"; return false; }
  const uint16_t type = rd<uint16_t>(eh + 16);
  const uint64_t phoff = rd<uint64_t>(eh + 32), shoff = rd<uint64_t>(eh + 40);
  const uint16_t phentsize = rd<uint16_t>(eh + 54), phnum = rd<uint16_t>(eh + 56);
  const uint16_t shentsize = rd<uint16_t>(eh + 58), shnum = rd<uint16_t>(eh + 60);
  uint64_t first_load = 0;
  if (phentsize >= 56 && phnum < 256) {
    std::vector<uint8_t> ph((size_t)phentsize * phnum);
    if (read(phoff, ph.data(), ph.size()))
      for (uint16_t i = 0; i < phnum; i++)
        if (rd<uint32_t>(&ph[(size_t)i * phentsize]) == 1) { first_load = rd<uint64_t>(&ph[(size_t)i * phentsize + 16]); break; }
  }
  char line[96];
  snprintf(line, sizeof line, "elf %u %" PRIx64 "\n", type, first_load);
  out += line;
  if (shentsize < 64 || shnum == 0 || shnum > 4096) return true;  // no sections: no symbols
  std::vector<uint8_t> sh((size_t)shentsize * shnum);
  if (!read(shoff, sh.data(), sh.size())) { err = "section headers beyond the end of the file"; return false; }
  // .symtab (2) first, else .dynsym (11)
  int pick = -1;
  for (uint32_t want : {2u, 11u}) {
    for (uint16_t i = 0; i < shnum && pick < 0; i++)
      if (rd<uint32_t>(&sh[(size_t)i * shentsize + 4]) == want) pick = i;
    if (pick >= 0) break;
  }
  if (pick < 0) return true;
  const uint8_t* s = &sh[(size_t)pick * shentsize];
  const uint64_t off = rd<uint64_t>(s + 24), size = rd<uint64_t>(s + 32);
  const uint32_t link = rd<uint32_t>(s + 40);
  if (link >= shnum || size > (256u << 20)) { err = "bad symbol table"; return false; }
  const uint8_t* l = &sh[(size_t)link * shentsize];
  const uint64_t stroff = rd<uint64_t>(l + 24), strsize = rd<uint64_t>(l + 32);
  if (strsize > (256u << 20)) { err = "bad string table"; return false; }
  std::vector<uint8_t> syms(size), strs(strsize);
  if (!read(off, syms.data(), syms.size()) || !read(stroff, strs.data(), strs.size())) {
    err = "symbol table beyond the end of the file";
    return false;
  }
  std::vector<Sym> list;
  for (uint64_t o = 0; o + 24 <= size && list.size() < max_symbols; o += 24) {
    const uint8_t* e = &syms[o];
    const uint8_t kind = e[4] & 0xf;       // STT_OBJECT 1, STT_FUNC 2
    const uint16_t shndx = rd<uint16_t>(e + 6);
    const uint32_t name = rd<uint32_t>(e);
    if ((kind != 1 && kind != 2) || shndx == 0 || name == 0 || name >= strsize) continue;
    list.push_back({rd<uint64_t>(e + 8), rd<uint64_t>(e + 16), name});
  }
  std::sort(list.begin(), list.end(), [](const Sym& a, const Sym& b) { return a.value < b.value; });
  for (const Sym& y : list) {
    const char* nm = (const char*)&strs[y.name];
    const size_t len = strnlen(nm, strsize - y.name);
    snprintf(line, sizeof line, "%" PRIx64 " %" PRIu64 " ", y.value, y.size);
    out += line;
    for (size_t i = 0; i < len && i < 200; i++) out += (nm[i] == '\n' || nm[i] == ' ') ? '?' : nm[i];
    out += '\n';
  }
  return true;
}

}  // namespace gb

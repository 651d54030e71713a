// vm/linux/debug_lines.cpp — see debug_lines.h.
#include "vm/linux/debug_lines.h"

#include "vm/linux/kernel.h"
#include "vm/trace/dwarf_lines.h"

namespace gb {

bool guest_file_reader(Kernel& k, const std::string& path, ElfReader& out) {
  if (path.empty() || path[0] != '/') return false;
  const Loc root = k.vfs.root();
  Loc l;
  ResolveOpts o;
  if (k.vfs.resolve(root, root, path, o, l) < 0 || !l.node->is_reg()) return false;
  InodeRef node = l.node;
  out = [node](uint64_t off, void* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      const int64_t r = node->read(off + got, (uint8_t*)dst + got, n - got);
      if (r <= 0) return false;
      got += (size_t)r;
    }
    return true;
  };
  return true;
}

bool program_lines(Kernel& k, const std::string& path, std::string& lines, bool& pie) {
  ElfReader read;
  if (!guest_file_reader(k, path, read)) return false;
  uint16_t type = 0;
  if (!read(16, &type, 2)) return false;
  pie = type == 3;  // ET_DYN
  std::string err;
  lines.clear();
  return dwarf_lines(read, lines, err);
}

}  // namespace gb

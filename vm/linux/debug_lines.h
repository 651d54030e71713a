// vm/linux/debug_lines.h — source-line breakpoints: a guest program file's DWARF line
// table (vm/trace/dwarf_lines.h) and the addresses where a source line starts.
//
// The rule: vm/trace/line_rule.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vm/trace/elf_symbols.h"
#include "vm/trace/line_rule.h"

namespace gb {

class Kernel;

// A reader over the guest file `path` (absolute, resolved from the root); false if it is
// not a regular file. The reader keeps the file open.
bool guest_file_reader(Kernel& k, const std::string& path, ElfReader& out);

// The line table text and whether the program is position independent (ET_DYN).
bool program_lines(Kernel& k, const std::string& path, std::string& lines, bool& pie);

}  // namespace gb

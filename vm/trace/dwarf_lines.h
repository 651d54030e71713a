// vm/trace/dwarf_lines.h — a program's DWARF line table (.debug_line, versions 2-5) for the
// inspector's Code panel: which source line an instruction came from (`gcc -g`). Reads
// the ELF's section headers, .debug_line and .debug_line_str / .debug_str through a
// reader (elf_symbols.h) and writes text (StateTag::Lines, vm/trace/state.h):
//   "file <index> <path>\n" per file of each unit's table (indices numbered across units),
//   "<address hex> <file index> <line>\n" per row that starts a statement, by address.
// A file without .debug_line gives an empty table; malformed data ends the table where
// it stops making sense (never reads past a section, never crashes).
#pragma once
#include <cstddef>
#include <string>

#include "vm/trace/elf_symbols.h"

namespace gb {

bool dwarf_lines(const ElfReader& read, std::string& out, std::string& err, size_t max_rows = 200000);

}  // namespace gb

// vm/linux/debug_lines.h — source-line breakpoints: a guest program file's DWARF line
// table (vm/trace/dwarf_lines.h) and the addresses where a source line starts.
//
// The rule (as gdb's, simplified): the line asked for, or if it has no code (a comment,
// a declaration without an initialiser) the next line of that file that has code; every
// row of that line which starts a run of rows of the line (the previous row, by address,
// is another line), so `for (...)` stops at its initialiser and at its test, and a line
// spread over two rows in a row stops once.
// A file name without '/' matches any directory; with '/' it matches a path suffix.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vm/trace/elf_symbols.h"

namespace gb {

class Kernel;

// A reader over the guest file `path` (absolute, resolved from the root); false if it is
// not a regular file. The reader keeps the file open.
bool guest_file_reader(Kernel& k, const std::string& path, ElfReader& out);

// The line table text and whether the program is position independent (ET_DYN).
bool program_lines(Kernel& k, const std::string& path, std::string& lines, bool& pie);

// The link-time addresses where `line` of `file` starts (see the rule above); the line
// actually used in *used (0: none found).
std::vector<uint64_t> line_addresses(const std::string& lines_text, const std::string& file, uint32_t line,
                                     uint32_t* used = nullptr);

}  // namespace gb

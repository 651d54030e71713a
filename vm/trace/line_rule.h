// vm/trace/line_rule.h — where a source line starts, from a DWARF line table's text
// (vm/trace/dwarf_lines.h): the engine's line breakpoints (vm/linux/debug_lines.h) and
// the inspector's "instructions of this line" (inspector/state/) use the same rule.
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

namespace gb {

// The link-time addresses where `line` of `file` starts (see the rule above); the line
// actually used in *used (0: none found).
std::vector<uint64_t> line_addresses(const std::string& lines_text, const std::string& file, uint32_t line,
                                     uint32_t* used = nullptr);

// Whether a line table's file path names `want` (the matching rule above).
bool line_file_matches(const std::string& have, const std::string& want);

}  // namespace gb

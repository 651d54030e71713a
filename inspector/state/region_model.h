// inspector/state/region_model.h — a compiled region of the JIT (vm/jit) as the JIT
// blocks panel shows it: the x86 of each instruction (Capstone, from the region's bytes)
// next to the WebAssembly the compiler made from it (the lines of its listing).
//
// The engine sends a Region section (vm/trace/state.h RegionState): the region's range,
// its blocks' starts and bytes, the module and the compiler's listing, wasm text with
//   ";; block N: 0x..0x.. (k insns)"   before each block's code (its budget check, count)
//   ";; 0x<addr>  <bytes>  <insn>"      before the code of each x86 instruction
// parse() cuts the listing into rows at those comments: the region's prologue (registers
// loaded into locals, the dispatcher), a row per block header and a row per instruction,
// each with the wasm lines that follow it. Decoded once when the reply arrives.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gbi {

struct RegionRow {
  enum Kind : uint8_t { Prologue, Block, Insn };
  Kind kind = Prologue;
  uint64_t addr = 0;              // the instruction (or the block's start)
  uint32_t block = 0, n = 0;      // a block header's index in the region and its instructions
  std::string x86;                // "add rax, rcx" (Capstone), or the block's header
  std::vector<std::string> wasm;  // the wasm lines made from it, indented as nested
};

struct RegionModel {
  bool have = false;
  uint64_t start = 0, end = 0;
  uint32_t insns = 0, table_index = 0;
  std::vector<uint64_t> block_starts;
  std::vector<uint8_t> x86, wasm;  // the blocks' bytes (block order); the module
  std::string listing;
  std::vector<RegionRow> rows;
  // rows flattened for drawing with a clipper: one line per wasm line (at least one per
  // row); `w` = that row's wasm line, the x86 on its first line
  struct Line { uint32_t row; int32_t w; };
  std::vector<Line> lines;
  size_t wasm_lines = 0;
  std::vector<uint32_t> row_line;  // rows[r]'s first entry in `lines` (its lines follow)
  std::string error;  // why there is none ("0x.. is not in a compiled region")
  std::vector<uint8_t> raw;  // the section as received (the syntax switch parses it again)
  bool att = false;

  // A Region section's body; false (and `error`) if it does not parse. `att`: AT&T syntax.
  bool parse(const uint8_t* body, size_t len, bool att);
  // The same region in the other syntax (no request: the section is kept).
  void set_syntax(bool att);
  // The hover: the row of the instruction at `addr` (-1: none) and the `lines` it spans
  // (its x86 line and the wasm made from it), what the panel highlights.
  int row_at(uint64_t addr) const;
  void row_lines(int row, uint32_t& first, uint32_t& count) const;
  // {"row":N,"x86":"..","first":F,"count":C,"wasm":[..]} for the instruction at addr.
  void hover_json(uint64_t addr, std::string& out) const;
  void clear();
  void to_json(std::string& out) const;
  void to_text(std::string& out) const;
};

}  // namespace gbi

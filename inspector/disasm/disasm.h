// inspector/disasm/disasm.h — x86-64 disassembly for the inspector's Code panel (to come),
// over Capstone (Debian's sources, cmake/deps.cmake gb_capstone). Plain data out: one line
// per instruction; bytes that do not decode become a one-byte "(bad)" line, so garbage or a
// half-copied window never stops the listing and never crashes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gbi {

struct DisasmLine {
  uint64_t address;
  uint8_t size;         // bytes of the instruction (1 for a byte that does not decode)
  uint8_t bytes[16];
  bool bad;             // not an instruction
  char text[200];       // "mov rbp, rsp" (Intel) or "movq %rsp, %rbp" (AT&T)
};

enum class Syntax { Intel, Att };

// Disassembles up to `max` instructions of `code[0..n)` loaded at `address`. Returns how
// many lines were written (0 if Capstone cannot start).
size_t disassemble(const uint8_t* code, size_t n, uint64_t address, Syntax syntax, DisasmLine* out, size_t max);

}  // namespace gbi
